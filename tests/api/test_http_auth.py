"""Keys, scopes and workspaces (RELIABILITY.md A-4, A-5) and request limits (A-6)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from http_support import ApiWorld, make_world

from store.keys import revoke_key


@pytest.fixture
def world(tmp_path: Path) -> ApiWorld:
    return make_world(tmp_path)


def test_requests_without_a_valid_key_get_401_and_no_data(world: ApiWorld) -> None:
    c = world.client
    responses = [
        c.get("/accounts"),
        c.get("/accounts", headers={"Authorization": "Bearer nope"}),
        c.get("/accounts", headers={"Authorization": "Basic abc"}),
        c.get("/accounts", headers={"Authorization": f"Bearer {world.key_a_read}x"}),
    ]
    for r in responses:
        assert r.status_code == 401
        assert set(r.json()) == {"error"}
        assert "Northwind" not in r.text


def test_a_revoked_key_stops_working(world: ApiWorld) -> None:
    assert world.client.get("/accounts", headers=world.h(world.key_a_read)).status_code == 200
    with world.services.db.session() as s:
        revoke_key(s, "a", world.key_a_read[:10])
    assert world.client.get("/accounts", headers=world.h(world.key_a_read)).status_code == 401


def test_read_keys_cannot_write(world: ApiWorld) -> None:
    r = world.client.post("/score", headers=world.h(world.key_a_read))
    assert r.status_code == 403
    assert world.client.post("/score", headers=world.h(world.key_a_write)).status_code == 200


def test_keys_are_stored_hashed(world: ApiWorld) -> None:
    from sqlalchemy import select

    from store.models import ApiKeyRow

    with world.services.db.session() as s:
        stored = [r.key_hash for r in s.scalars(select(ApiKeyRow))]
    assert all(world.key_a_read not in h for h in stored)
    assert all(len(h) == 64 for h in stored)


def test_another_workspace_never_sees_a_workspaces_objects(world: ApiWorld) -> None:
    """A-5: B requests every id of A and 1,000 guessed ids: 404 and no data, 0 leaks."""
    c = world.client
    a_items = c.get("/accounts?limit=1000", headers=world.h(world.key_a_read)).json()["items"]
    a_ids = [i["id"] for i in a_items]
    names = [i["name"] for i in a_items]
    assert len(a_ids) >= 10
    probes = 0
    leaks = 0
    for acc_id in [*a_ids, *range(1, 1001)]:
        for path in (f"/accounts/{acc_id}", f"/accounts/{acc_id}/explanation"):
            r = c.get(path, headers=world.h(world.key_b_read))
            probes += 1
            if r.status_code != 404 or any(n in r.text for n in names):
                leaks += 1
    assert probes >= 2000
    assert leaks == 0
    listing = c.get("/accounts", headers=world.h(world.key_b_read)).json()
    assert listing["total"] == 0


def test_oversized_and_deep_bodies_are_refused_before_parsing(tmp_path: Path) -> None:
    world = make_world(tmp_path, max_body_bytes=10_000, max_csv_bytes=50_000)
    c = world.client
    big_csv = b"Company name,Company Domain Name\n" + b"x,y.example\n" * 10_000
    r = c.post("/imports/accounts", headers=world.h(world.key_a_write), files={"file": ("a.csv", big_csv, "text/csv")})
    assert r.status_code == 413
    deep = b"[" * 5000 + b"]" * 5000
    r = c.post("/score", headers={**world.h(world.key_a_write), "content-type": "application/json"}, content=deep)
    assert r.status_code == 422
    r = c.post(
        "/score", headers={**world.h(world.key_a_write), "content-type": "application/json"}, content=b"x" * 20_000
    )
    assert r.status_code == 413


def test_rate_limit_answers_429_with_retry_after(tmp_path: Path) -> None:
    world = make_world(tmp_path, per_minute=5)
    codes = [world.client.get("/health").status_code for _ in range(3)]
    assert codes == [200, 200, 200]  # health is not keyed
    statuses = [world.client.get("/accounts", headers=world.h(world.key_a_read)) for _ in range(8)]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited
    assert int(limited[0].headers["Retry-After"]) >= 1
    assert "rate" in json.loads(limited[0].text)["error"]["message"]


def test_errors_are_json_without_stack_traces(world: ApiWorld) -> None:
    r = world.client.get("/accounts/not-a-number", headers=world.h(world.key_a_read))
    assert r.status_code == 422
    assert r.json()["error"]["type"] == "invalid_request"
    assert "Traceback" not in r.text
