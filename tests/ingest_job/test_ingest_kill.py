"""SIGKILL at a random instant during ingest, then rerun: the state equals an uninterrupted run (D-2).

CI runs a few seeds; `ICP_KILL_SEEDS=20` runs the 20 of RELIABILITY.md.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from job_support import add_corpus_sources, import_accounts_for, make_services, snapshot_of, write_corpus

from api.ops.ingest import run_ingest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SEEDS = int(os.environ.get("ICP_KILL_SEEDS", "4"))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    write_corpus(folder)
    return folder


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, corpus: Path) -> dict[str, object]:
    home = tmp_path_factory.mktemp("reference")
    svc = make_services(home)
    import_accounts_for(svc)
    add_corpus_sources(svc, corpus)
    started = time.monotonic()
    run_ingest(svc)
    snap = snapshot_of(svc)
    snap["_seconds"] = time.monotonic() - started
    return snap


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(SEEDS))
def test_a_killed_run_then_a_rerun_equals_an_uninterrupted_run(
    tmp_path: Path, corpus: Path, reference: dict[str, object], seed: int
) -> None:
    home = tmp_path / "home"
    svc = make_services(home)
    import_accounts_for(svc)
    add_corpus_sources(svc, corpus)
    svc.db.dispose()
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{HERE}"}
    proc = subprocess.Popen([sys.executable, str(HERE / "kill_worker.py"), str(home)], env=env, stdout=subprocess.PIPE)
    # the worker spends ~1-2 s importing, then ingests; aim the kill across the whole span
    delay = random.Random(seed).uniform(1.0, 2.0 + 1.5 * float(reference["_seconds"]))  # type: ignore[arg-type]
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    svc = make_services(home)
    run_ingest(svc)
    got = snapshot_of(svc)
    for part in ("documents", "chunks", "vectors", "links", "sources"):
        assert got[part] == reference[part], f"{part} differ (seed {seed}, killed after {delay:.2f}s)"
