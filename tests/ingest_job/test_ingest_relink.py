"""Links of unchanged documents follow the accounts: new accounts and reassigned sources are linked."""

from __future__ import annotations

from pathlib import Path

from job_support import DEMO, make_services, snapshot_of
from sqlalchemy import select

from api.ops.accounts import import_accounts
from api.ops.ingest import run_ingest
from api.services import Services
from store.accounts import find_account
from store.documents import add_source
from store.models import DocumentLinkRow, DocumentRow

GLOBEX = "Globex Precision GmbH"
GLOBEX_STORY = "Globex Precision raises €40 million to expand e-mobility production"
ACCOUNTS = (DEMO / "accounts.csv").read_bytes()
SHARED_FEED = DEMO / "feeds" / "industry-news.xml"
NORTHWIND_FEED = DEMO / "feeds" / "northwind-alerts.atom"


def _accounts_without_globex() -> bytes:
    return b"\n".join(line for line in ACCOUNTS.splitlines() if b"Globex" not in line) + b"\n"


def _world_with_shared_feed(home: Path) -> Services:
    svc = make_services(home)
    import_accounts(svc, _accounts_without_globex(), source="accounts.csv")
    with svc.db.session() as s:
        add_source(s, "w", url=str(SHARED_FEED), kind="file")
    return svc


def _links_of(svc: Services, title: str) -> tuple[int | None, list[tuple[int, str]], str]:
    with svc.db.session() as s:
        doc = s.scalars(select(DocumentRow).where(DocumentRow.workspace_id == "w", DocumentRow.title == title)).one()
        links = sorted(
            (r.account_id, r.how)
            for r in s.scalars(select(DocumentLinkRow).where(DocumentLinkRow.document_id == doc.id))
        )
        return doc.account_id, links, doc.status


def test_an_account_imported_later_is_linked_to_stored_shared_news(tmp_path: Path) -> None:
    svc = _world_with_shared_feed(tmp_path)
    first = run_ingest(svc).summary
    assert GLOBEX not in first.linked
    assert _links_of(svc, GLOBEX_STORY)[:2] == (None, [])

    import_accounts(svc, ACCOUNTS, source="accounts.csv")
    with svc.db.session() as s:
        globex = find_account(s, "w", GLOBEX).id
    second = run_ingest(svc).summary

    account_id, links, status = _links_of(svc, GLOBEX_STORY)
    assert account_id == globex and [acc for acc, _ in links] == [globex] and status == "embedded"
    assert second.linked == {GLOBEX: 1}
    assert (second.new, second.updated, second.relinked) == (0, 0, 1)
    # its vectors now carry the account too, so a search filtered by account finds the story
    assert second.embedded_documents == 1
    assert svc.vectors.count(workspace="w", where={"account_id": globex}) >= 1


def test_a_second_run_with_the_same_accounts_writes_no_links(tmp_path: Path) -> None:
    svc = _world_with_shared_feed(tmp_path)
    import_accounts(svc, ACCOUNTS, source="accounts.csv")
    run_ingest(svc)
    before = snapshot_of(svc)
    again = run_ingest(svc).summary
    assert (again.relinked, again.linked, again.embedded_chunks) == (0, {}, 0)
    assert snapshot_of(svc) == before


def test_a_source_reassigned_to_another_account_moves_its_documents(tmp_path: Path) -> None:
    svc = make_services(tmp_path)
    import_accounts(svc, ACCOUNTS, source="accounts.csv")
    with svc.db.session() as s:
        northwind = find_account(s, "w", "Northwind").id
        stark = find_account(s, "w", "Stark").id
        add_source(s, "w", url=str(NORTHWIND_FEED), kind="file", account_id=northwind)
    first = run_ingest(svc).summary
    items = first.new + first.duplicates
    assert items >= 2 and svc.vectors.count(workspace="w", where={"account_id": stark}) == 0

    with svc.db.session() as s:
        add_source(s, "w", url=str(NORTHWIND_FEED), kind="file", account_id=stark)
    second = run_ingest(svc).summary

    with svc.db.session() as s:
        docs = list(s.scalars(select(DocumentRow).where(DocumentRow.workspace_id == "w")))
        links = {(r.document_id, r.account_id, r.how) for r in s.scalars(select(DocumentLinkRow))}
    assert {d.account_id for d in docs} == {stark}
    assert links == {(d.id, stark, "source") for d in docs}
    assert second.linked == {"Stark Chemicals SA": items}
    assert (second.new, second.updated, second.relinked) == (0, 0, items)
    assert svc.vectors.count(workspace="w", where={"account_id": northwind}) == 0
    assert svc.vectors.count(workspace="w", where={"account_id": stark}) == len(snapshot_of(svc)["chunks"])
