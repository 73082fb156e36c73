"""Ingest is idempotent, converges after failures at any write, and keeps content when sources fail (D-1, D-3, D-4)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from job_support import add_demo_sources, make_world, snapshot
from pytest_httpserver import HTTPServer
from sqlalchemy import select

from api.ops import ingest as ingest_ops
from api.ops.ingest import run_ingest
from api.ops.ingest_sink import SqlIngestSink
from store.documents import add_source
from store.models import DocumentRow, ScoreRow, SourceRow

FEED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>http://x.test/</link>
<item><title>Stark Chemicals opens plant in Tarragona</title><link>http://news.test/a</link><guid>a</guid>
<pubDate>Thu, 12 Nov 2026 08:00:00 +0000</pubDate><description>Stark Chemicals SA opened a new plant in Spain.</description></item>
<item><title>Unrelated steel story</title><link>http://news.test/b</link><guid>b</guid>
<pubDate>Thu, 12 Nov 2026 08:00:00 +0000</pubDate><description>Steel prices fell again this week across Europe.</description></item>
</channel></rss>"""


def test_running_twice_gives_the_same_state_and_embeds_nothing_new(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    add_demo_sources(world)
    first = run_ingest(world.svc).summary
    state1 = snapshot(world)
    second = run_ingest(world.svc).summary
    state2 = snapshot(world)
    assert first.new > 10 and not first.failed
    assert (second.new, second.updated, second.embedded_chunks) == (0, 0, 0)
    assert second.unchanged == first.new + first.duplicates
    assert state1 == state2
    assert state1["vectors"] == state1["chunks"]  # every chunk has its vector, no vector without a chunk
    assert state1["vector_count"] == len(state1["chunks"])


def test_shared_feed_items_link_to_the_accounts_they_name(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    add_demo_sources(world)
    summary = run_ingest(world.svc).summary
    assert summary.linked["Northwind Fabrication B.V."] >= 2
    assert summary.linked["Globex Precision GmbH"] == 1
    assert summary.unattributed == 2  # the two steel stories name no account
    with world.svc.db.session() as s:
        steel = s.scalars(select(DocumentRow).where(DocumentRow.title.like("Steel prices%"))).one()
        assert steel.account_id is None


class FlakySink(SqlIngestSink):
    """Fails the k-th write (commit or mark-embedded), once."""

    def __init__(self, *args: Any, fail_at: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fail_at = fail_at
        self.writes = 0

    def _tick(self) -> None:
        self.writes += 1
        if self.writes == self.fail_at:
            raise RuntimeError(f"injected failure at write {self.fail_at}")

    def commit_source(self, *args: Any, **kwargs: Any) -> None:
        self._tick()
        super().commit_source(*args, **kwargs)

    def mark_embedded(self, *args: Any, **kwargs: Any) -> None:
        self._tick()
        super().mark_embedded(*args, **kwargs)


def test_a_failed_write_at_every_position_converges_on_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """D-3: the k-th write fails, for every k; the next run ends in the uninterrupted state."""
    reference = make_world(tmp_path / "ref")
    add_demo_sources(reference)
    sinks: list[FlakySink] = []

    def counting(*a: Any, **kw: Any) -> FlakySink:
        sinks.append(FlakySink(*a, fail_at=0, **kw))
        return sinks[-1]

    monkeypatch.setattr(ingest_ops, "SqlIngestSink", counting)
    run_ingest(reference.svc)
    monkeypatch.undo()
    writes = sinks[0].writes
    expected = snapshot(reference)
    assert writes >= 4  # one commit per source, then at least one embedding batch

    for k in range(1, writes + 1):
        world = make_world(tmp_path / f"flaky{k}")
        add_demo_sources(world)
        monkeypatch.setattr(ingest_ops, "SqlIngestSink", lambda *a, k=k, **kw: FlakySink(*a, fail_at=k, **kw))
        broken = run_ingest(world.svc).summary
        monkeypatch.undo()
        assert broken.failed, f"write {k} should have failed"
        assert snapshot(world)["vectors"] == sorted(
            v for v in snapshot(world)["vectors"] if v.split(":")[0] in snapshot(world)["documents"]
        ), "no vector without a document row"
        run_ingest(world.svc)
        got = snapshot(world)
        for part in ("documents", "chunks", "vectors", "links"):
            assert got[part] == expected[part], f"{part} differ after a failure at write {k}"


def _feed_source(world: Any, url: str) -> None:
    with world.svc.db.session() as s:
        add_source(s, "w", url=url, kind="feed")


def test_conditional_get_makes_an_unchanged_feed_cost_one_small_request(tmp_path: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/feed.xml", headers={"If-None-Match": '"v1"'}).respond_with_data("", status=304)
    httpserver.expect_request("/feed.xml").respond_with_data(
        FEED, content_type="application/rss+xml", headers={"ETag": '"v1"'}
    )
    world = make_world(tmp_path, fetch_host_delay_s=0)
    _feed_source(world, httpserver.url_for("/feed.xml"))
    first = run_ingest(world.svc).summary
    second = run_ingest(world.svc).summary
    assert first.new == 2 and first.embedded_chunks >= 2
    assert second.not_modified == 1 and second.new == 0 and second.embedded_chunks == 0


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (500, b"oops", "text/plain"),
        (200, b"", "application/rss+xml"),
        (
            200,
            b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>',
            "application/rss+xml",
        ),
    ],
    ids=["server-error", "empty-body", "no-items"],
)
def test_a_failing_refresh_keeps_content_and_marks_it_stale(
    tmp_path: Path, httpserver: HTTPServer, status: int, body: bytes, content_type: str
) -> None:
    from api.ops.scoring import rescore
    from store.accounts import find_account

    world = make_world(tmp_path, fetch_host_delay_s=0)
    with world.svc.db.session() as s:
        stark = find_account(s, "w", "Stark").id
        add_source(s, "w", url=httpserver.url_for("/feed.xml"), kind="feed", account_id=stark)
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_oneshot_request("/feed.xml").respond_with_data(FEED, content_type="application/rss+xml")
    httpserver.expect_oneshot_request("/feed.xml").respond_with_data(body, status=status, content_type=content_type)
    run_ingest(world.svc)
    rescore(world.svc)
    before = snapshot(world)
    second = run_ingest(world.svc).summary
    assert second.failed
    after = snapshot(world)
    assert set(after["documents"]) == set(before["documents"])  # 0 deletions
    assert after["vectors"] == before["vectors"]
    with world.svc.db.session() as s:
        src = s.scalars(select(SourceRow)).one()
        assert src.stale and src.last_error
        docs = list(s.scalars(select(DocumentRow)))
        assert docs and all(d.stale for d in docs)
        assert s.get(ScoreRow, stark).stale  # type: ignore[union-attr]


def test_a_parked_domain_does_not_replace_a_companys_pages(tmp_path: Path, httpserver: HTTPServer) -> None:
    world = make_world(tmp_path, fetch_host_delay_s=0)
    _feed_source(world, httpserver.url_for("/"))
    with world.svc.db.session() as s:
        s.scalars(select(SourceRow)).one().kind = "page"
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    page = b"<html><head><title>Acme</title></head><body><main><p>Acme makes precision parts for machine builders in Europe and sells them worldwide.</p></main></body></html>"
    parked = b"<html><head><title>acme.example</title></head><body><p>This domain is for sale! Buy this domain today.</p></body></html>"
    httpserver.expect_oneshot_request("/").respond_with_data(page, content_type="text/html")
    httpserver.expect_oneshot_request("/").respond_with_data(parked, content_type="text/html")
    run_ingest(world.svc)
    before = snapshot(world)
    summary = run_ingest(world.svc).summary
    assert any("parked" in f["reason"] for f in summary.failed)
    assert snapshot(world)["documents"].keys() == before["documents"].keys()
