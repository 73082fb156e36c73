"""Runs one ingest in its own process, so a test can SIGKILL it at a random instant (RELIABILITY.md D-2)."""

from __future__ import annotations

import sys
from pathlib import Path

from job_support import make_services

from api.ops.ingest import run_ingest

if __name__ == "__main__":
    svc = make_services(Path(sys.argv[1]))
    run_ingest(svc)
    print("done", flush=True)
