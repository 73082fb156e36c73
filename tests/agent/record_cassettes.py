"""Re-records the LLM cassettes against the local OpenAI-compatible stub, never against a real provider.

    .venv/bin/python tests/agent/record_cassettes.py

It deletes the cassettes of the recorded modules, then runs their `vcr`-marked tests with
`--record-mode=rewrite`. In that mode the `llm_base_url` fixture (tests/agent/conftest.py) starts a
fresh stub (tests/agent/openai_stub.py) on a loopback port for each test, so each scenario's script
starts from its first step; pytest-recording writes one cassette per test, with the stub's address
rewritten to http://llm-stub.test and the Authorization and key headers removed. Finally it checks
that no cassette contains the test key or an Authorization header, and lists what was written.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
MODULES = ("test_llm_cassettes.py", "test_extract_llm.py", "test_chat_cassettes.py")
sys.path.insert(0, str(HERE))

from openai_stub import CASSETTES, TEST_KEY  # noqa: E402


def main() -> int:
    """Records the cassettes and returns the process exit code."""
    for module in MODULES:
        shutil.rmtree(CASSETTES / Path(module).stem, ignore_errors=True)
    command = [
        sys.executable,
        "-m",
        "pytest",
        *(str(HERE / module) for module in MODULES),
        "-m",
        "vcr",
        "--record-mode=rewrite",
        "-q",
        "-p",
        "no:xdist",
    ]
    status = subprocess.call(command, cwd=ROOT)
    if status != 0:
        print("recording failed: some cassette tests did not pass", file=sys.stderr)
        return status
    leaks = []
    files = sorted(CASSETTES.rglob("*.yaml"))
    for path in files:
        text = path.read_text()
        if "authorization" in text.lower() or TEST_KEY in text:
            leaks.append(path)
    for path in files:
        print(path.relative_to(ROOT))
    if leaks:
        print(f"secrets found in {len(leaks)} cassettes: {leaks}", file=sys.stderr)
        return 1
    print(f"{len(files)} cassettes recorded against the local stub")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
