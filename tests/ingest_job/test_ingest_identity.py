"""Document identity of feed items: items without a link keep their own deterministic ids (D-1)."""

from __future__ import annotations

from pathlib import Path

from job_support import make_world, snapshot
from sqlalchemy import select

from api.ops.ingest import run_ingest
from ingest.dedupe import content_hash
from ingest.urls import document_id
from store.documents import add_source
from store.models import DocumentRow

PRESS_ITEMS = [
    "<item><guid>pr-1</guid><title>Acme opens a plant in Lyon</title>"
    "<description>Acme opened a plant in Lyon that will employ 200 people.</description></item>",
    "<item><guid>pr-2</guid><title>Acme names a new CFO</title>"
    "<description>Acme appointed Jane Roe as chief financial officer.</description></item>",
    "<item><title>Acme wins a supplier award</title>"
    "<description>Acme received the supplier award of the year.</description></item>",
]


def _write_press_feed(folder: Path, items: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "press.xml"
    path.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Press</title>'
        f"<link>https://press.example/</link>{''.join(items)}</channel></rss>",
        encoding="utf-8",
    )
    return path


def _ingest_press(home: Path, items: list[str]) -> dict[str, str]:
    world = make_world(home)
    feed = _write_press_feed(home / "feeds", items)
    with world.svc.db.session() as s:
        add_source(s, "w", url=str(feed), kind="file", options={"base_url": "https://press.example/"})
    summary = run_ingest(world.svc).summary
    assert summary.new == 3 and not summary.failed
    with world.svc.db.session() as s:
        return {d.title: d.id for d in s.scalars(select(DocumentRow).where(DocumentRow.workspace_id == "w"))}


def test_feed_items_without_links_get_one_document_each(tmp_path: Path) -> None:
    ids = _ingest_press(tmp_path, PRESS_ITEMS)
    award_key = content_hash("Acme wins a supplier award" + "Acme received the supplier award of the year.")[:16]
    assert ids == {
        "Acme opens a plant in Lyon": document_id("w", "https://press.example/press.xml#pr-1"),
        "Acme names a new CFO": document_id("w", "https://press.example/press.xml#pr-2"),
        "Acme wins a supplier award": document_id("w", f"https://press.example/press.xml#{award_key}"),
    }


def test_ids_of_linkless_items_do_not_depend_on_feed_order(tmp_path: Path) -> None:
    forward = _ingest_press(tmp_path / "forward", PRESS_ITEMS)
    backward = _ingest_press(tmp_path / "backward", PRESS_ITEMS[::-1])
    assert forward == backward


def test_linkless_items_are_unchanged_on_a_second_run(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    feed = _write_press_feed(tmp_path / "feeds", PRESS_ITEMS)
    with world.svc.db.session() as s:
        add_source(s, "w", url=str(feed), kind="file", options={"base_url": "https://press.example/"})
    run_ingest(world.svc)
    before = snapshot(world)
    second = run_ingest(world.svc).summary
    assert (second.new, second.updated, second.unchanged, second.embedded_chunks) == (0, 0, 3, 0)
    assert snapshot(world) == before
