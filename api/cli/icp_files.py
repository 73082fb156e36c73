"""Reading the ICP a command names: a YAML file, or a built-in ICP by name.

>>> cfg, text = read_icp("default")
>>> cfg.version == load_icp_text(text).version
True
"""

from __future__ import annotations

from pathlib import Path

from scoring.config import IcpConfig, builtin_icp_text, builtin_icps, load_icp_text


def read_icp(name_or_path: str) -> tuple[IcpConfig, str]:
    """Returns the validated ICP and its YAML text from a file path, or else a built-in ICP of that name.

    A name that is neither raises FileNotFoundError naming the file and the built-in ICPs.
    """
    path = Path(name_or_path).expanduser()
    if path.exists():
        text = path.read_text(encoding="utf-8")
        return load_icp_text(text, source=name_or_path), text
    builtins = builtin_icps()
    if name_or_path in builtins:
        text = builtin_icp_text(name_or_path)
        return load_icp_text(text, source=f"builtin:{name_or_path}"), text
    raise FileNotFoundError(f"{name_or_path}: no such file (and no built-in ICP of that name: {', '.join(builtins)})")


def read_optional_icp(name_or_path: str | None) -> tuple[IcpConfig | None, str | None]:
    """Returns `read_icp(name_or_path)`, or (None, None) when no ICP was named (the active one is meant)."""
    if name_or_path is None:
        return None, None
    return read_icp(name_or_path)


__all__ = ["read_icp", "read_optional_icp"]
