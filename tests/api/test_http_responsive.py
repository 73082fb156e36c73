"""A large import does not stall the server: other requests are answered while it runs."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from fastapi.testclient import TestClient
from http_support import make_world


def test_health_answers_while_a_large_csv_is_imported(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    rows = "\n".join(
        f"Company {i},company{i}.example,Manufacturing,€{50 + i % 400}M,{200 + i % 1500},Germany" for i in range(6000)
    )
    csv = (
        "Company name,Company Domain Name,Industry,Annual Revenue,Number of Employees,Country/Region\n" + rows
    ).encode()
    done = threading.Event()
    import_seconds: list[float] = []
    with TestClient(world.client.app) as client:

        def importer() -> None:
            t = time.perf_counter()
            r = client.post(
                "/imports/accounts", headers=world.h(world.key_a_write), files={"file": ("big.csv", csv, "text/csv")}
            )
            import_seconds.append(time.perf_counter() - t)
            assert r.status_code == 200
            done.set()

        thread = threading.Thread(target=importer)
        thread.start()
        time.sleep(0.3)
        worst = 0.0
        while not done.is_set():
            t = time.perf_counter()
            assert client.get("/health").status_code == 200
            worst = max(worst, time.perf_counter() - t)
            time.sleep(0.05)
        thread.join()
    assert import_seconds and import_seconds[0] > 1.0  # the import is long enough to matter
    assert worst < 0.5 * import_seconds[0]
