"""Running the `icp` command line in tests, and writing the small CRM files they import."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from api.cli import app

runner = CliRunner()


def icp(home: Path, *args: str) -> tuple[int, str]:
    """Runs `icp --home HOME ARGS...` and returns its exit code and output (stdout and stderr)."""
    result = runner.invoke(app, ["--home", str(home), *args])
    return result.exit_code, result.output


def write_csv(path: Path, *lines: str) -> Path:
    """Writes CSV lines to a file and returns its path."""
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
