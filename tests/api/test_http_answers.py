"""Answers over HTTP and Slack: cited, workspace-scoped, limited; Slack commands reach the right workspace."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from http_support import ApiWorld, make_world

from api.http import create_app
from api.slack import RecordingPoster, sign_slack_request


@pytest.fixture
def world(tmp_path: Path) -> ApiWorld:
    return make_world(tmp_path)


def _id(world: ApiWorld, name: str) -> int:
    items = world.client.get("/accounts?limit=100", headers=world.h(world.key_a_read)).json()["items"]
    return next(i["id"] for i in items if i["name"].startswith(name))


def test_why_answers_from_the_ledger_and_other_workspaces_get_404(world: ApiWorld) -> None:
    acc = _id(world, "Northwind")
    r = world.client.get(f"/accounts/{acc}/why", headers=world.h(world.key_a_read))
    assert r.status_code == 200
    body = r.json()
    ledger = world.client.get(f"/accounts/{acc}/explanation", headers=world.h(world.key_a_read)).json()
    assert f"{ledger['fit']:.1f}%" in body["text"]
    assert body["account_id"] == acc
    for path in (
        f"/accounts/{acc}/why",
        f"/accounts/{acc}/brief",
        f"/accounts/{acc}/brief.md",
        f"/accounts/{acc}/stakeholders",
    ):
        assert world.client.get(path, headers=world.h(world.key_b_read)).status_code == 404


def test_chat_answers_offline_and_says_what_it_does_not_know(world: ApiWorld) -> None:
    r = world.client.post(
        "/chat", headers=world.h(world.key_a_read), json={"message": "why is Northwind not a target?"}
    )
    assert r.status_code == 200
    assert "Northwind" in r.json()["text"]
    r = world.client.post("/chat", headers=world.h(world.key_a_read), json={"message": "why is Zebulon Corp tier 1?"})
    assert r.json()["unknown"] is True
    b = world.client.post(
        "/chat", headers=world.h(world.key_b_read), json={"message": "why is Northwind not a target?"}
    )
    assert b.json()["unknown"] is True and "52." not in b.json()["text"]


def test_chat_refuses_long_messages_and_extra_fields(tmp_path: Path) -> None:
    world = make_world(tmp_path, max_message_chars=50)
    r = world.client.post("/chat", headers=world.h(world.key_a_read), json={"message": "x" * 51})
    assert r.status_code == 413
    r = world.client.post("/chat", headers=world.h(world.key_a_read), json={"message": "hi", "workspace": "a"})
    assert r.status_code == 422


def test_digest_preview_records_nothing_and_run_sends_once(world: ApiWorld) -> None:
    c = world.client
    assert c.get("/digests/preview", headers=world.h(world.key_a_read)).status_code == 200
    assert c.get("/digests", headers=world.h(world.key_a_read)).json() == []
    assert c.post("/digests/run?day=2026-12-01", headers=world.h(world.key_a_read)).status_code == 403
    first = c.post("/digests/run?day=2026-12-01", headers=world.h(world.key_a_write)).json()
    second = c.post("/digests/run?day=2026-12-01", headers=world.h(world.key_a_write)).json()
    assert first["status"] in ("sent", "empty")
    assert second["status"] == "already_done"
    assert len(c.get("/digests", headers=world.h(world.key_a_read)).json()) == 1


def test_contacts_import_reports_unknown_accounts(world: ApiWorld) -> None:
    csv = b"First Name,Last Name,Job Title,Email,Company Domain Name\nJan,Bakker,Managing Director,jan@northwind-fab.example,northwind-fab.example\nX,Y,CEO,x@nowhere.example,nowhere.example\n"
    r = world.client.post(
        "/imports/contacts", headers=world.h(world.key_a_write), files={"file": ("c.csv", csv, "text/csv")}
    )
    assert r.status_code == 200
    assert r.json()["created"] == 1 and len(r.json()["unmatched"]) == 1


SECRET = "test-signing-secret"


def test_a_signed_slash_command_is_answered_in_the_mapped_workspace(tmp_path: Path) -> None:
    world = make_world(tmp_path, slack_signing_secret=SECRET, slack_team_workspaces={"T1": "a", "T2": "b"})
    poster = RecordingPoster()
    client = type(world.client)(create_app(world.services, slack_poster=poster))
    for team in ("T1", "T2", "T9"):
        body = (
            f"team_id={team}&user_id=U1&channel_id=C1&command=%2Ficp&text=why+Northwind"
            f"&response_url=https%3A%2F%2Fhooks.slack.com%2Fx&trigger_id=tr-{team}"
        ).encode()
        headers = sign_slack_request(body=body, signing_secret=SECRET, timestamp=int(time.time()))
        r = client.post(
            "/slack/commands", content=body, headers={**headers, "content-type": "application/x-www-form-urlencoded"}
        )
        assert r.status_code == 200
    assert poster.wait_for(3, timeout=20)
    posts = poster.posts
    assert len(posts) == 3
    joined = " ".join(str(p.message) for p in posts)
    assert "Northwind Fabrication" in joined  # workspace a knows the account
    assert "not connected" in joined  # team T9 maps to no workspace
    assert sum("Northwind Fabrication B.V. is" in str(p.message) for p in posts) == 1  # only workspace a answers it
