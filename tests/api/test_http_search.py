"""Search and documents over HTTP never cross workspaces, vector queries included (RELIABILITY.md PI-5)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi.testclient import TestClient

from api.http import create_app
from api.ops.accounts import import_accounts
from api.ops.ingest import run_ingest
from api.services import Services
from api.settings import Settings
from store.documents import add_source
from store.keys import create_key

DEMO = Path(str(resources.files("api") / "demo_data"))
CANARY = "zebra-canary-7731 quarterly llama forecast"


def test_workspace_b_never_finds_workspace_a_documents(tmp_path: Path) -> None:
    svc = Services.create(Settings(icp_home=tmp_path, embeddings="hash"), workspace="a")
    svc.for_workspace("b")
    import_accounts(svc, (DEMO / "accounts.csv").read_bytes(), source="accounts.csv")
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "memo.html").write_text(
        f"<html><head><title>Board memo</title></head><body><main><p>{CANARY}. Internal only.</p></main></body></html>",
        encoding="utf-8",
    )
    with svc.db.session() as s:
        add_source(s, "a", url=str(secret), kind="file")
        add_source(s, "a", url=str(DEMO / "feeds" / "industry-news.xml"), kind="file")
        key_a, _ = create_key(s, "a", scope="read")
        key_b, _ = create_key(s, "b", scope="read")
    run_ingest(svc)
    client = TestClient(create_app(svc))
    a = client.get("/search", params={"q": CANARY, "k": 50}, headers={"Authorization": f"Bearer {key_a}"}).json()
    b = client.get("/search", params={"q": CANARY, "k": 50}, headers={"Authorization": f"Bearer {key_b}"}).json()
    assert any("zebra-canary-7731" in h["chunk"] for h in a)
    assert b == []
    docs_a = client.get("/documents", headers={"Authorization": f"Bearer {key_a}"}).json()
    assert docs_a
    for d in docs_a:
        r = client.get(f"/documents/{d['id']}", headers={"Authorization": f"Bearer {key_b}"})
        assert r.status_code == 404 and "zebra" not in r.text
    assert client.get("/documents", headers={"Authorization": f"Bearer {key_b}"}).json() == []
