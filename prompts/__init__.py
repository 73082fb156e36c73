"""Prompt templates as files, with a loader that versions each one by content hash.

Templates are `prompts/<name>.txt`; placeholders are written `{{name}}` so JSON braces in a prompt
need no escaping. `render` refuses a missing or an unexpected value, and substitutes in one pass, so
a value that itself contains `{{x}}` is never expanded.

    >>> p = load_prompt("repair")
    >>> len(p.version)
    12
    >>> "{{error}}" in p.text
    True
    >>> "not valid" in render(p, error="not valid")
    True
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = ["Prompt", "PromptError", "combined_version", "load_prompt", "render", "version_of"]

_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")
_NAME = re.compile(r"[a-z0-9_]+(?:\.[a-z0-9_]+)*")


class PromptError(Exception):
    """A prompt is missing, or a render call gave missing or unexpected values."""


@dataclass(frozen=True, slots=True)
class Prompt:
    """One prompt template: its name, its text and a version id (first 12 hex digits of the text's sha256)."""

    name: str
    text: str
    version: str

    @property
    def placeholders(self) -> frozenset[str]:
        """Returns the names of the `{{placeholders}}` in the text."""
        return frozenset(_PLACEHOLDER.findall(self.text))


def version_of(text: str) -> str:
    """Returns the version id of a text: the first 12 hex digits of its sha256."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


@cache
def load_prompt(name: str) -> Prompt:
    """Returns the prompt stored in `prompts/<name>.txt`, e.g. `load_prompt("extraction.system")`."""
    if not _NAME.fullmatch(name):
        raise PromptError(f"invalid prompt name {name!r}: use lowercase letters, digits, '_' and '.'")
    resource = resources.files(__name__).joinpath(f"{name}.txt")
    if not resource.is_file():
        raise PromptError(f"no prompt named {name!r} (expected prompts/{name}.txt)")
    text = resource.read_text(encoding="utf-8")
    return Prompt(name=name, text=text, version=version_of(text))


def render(prompt: Prompt, **values: str) -> str:
    """Returns the prompt text with every placeholder replaced; missing or extra values raise PromptError."""
    expected = prompt.placeholders
    missing = sorted(expected - values.keys())
    extra = sorted(values.keys() - expected)
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing)}")
        if extra:
            parts.append(f"unexpected {', '.join(extra)}")
        raise PromptError(f"cannot render prompt {prompt.name!r}: {'; '.join(parts)}")
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], prompt.text)


def combined_version(*parts: str) -> str:
    """Returns one version id for several versioned parts (prompts, a schema), order-sensitive."""
    return version_of("\x00".join(parts))
