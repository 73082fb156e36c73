"""Site sources: sub-pages are fetched even when the home page is unchanged; page sources stay conditional."""

from __future__ import annotations

from pathlib import Path

from job_support import make_world
from pytest_httpserver import HTTPServer
from sqlalchemy import select

from api.ops.ingest import run_ingest
from api.services import Services
from store.documents import add_source
from store.models import DocumentRow

HOME = (
    b"<html><head><title>Acme Machines</title></head><body><main><h1>Acme Machines</h1>"
    b"<p>Acme Machines builds precision milling machines for aerospace suppliers in Europe.</p>"
    b'<p><a href="/news">News</a></p></main></body></html>'
)


def _news(*headlines: str) -> bytes:
    items = "".join(
        f"<article><h2>{h}</h2><p>{h}. Acme Machines said so in a statement today.</p></article>" for h in headlines
    )
    return f"<html><head><title>News</title></head><body><main>{items}</main></body></html>".encode()


def _serve_site(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/sitemap.xml").respond_with_data("", status=404)
    # a server that honours validators: a conditional request for the home page gets a 304
    httpserver.expect_request("/", headers={"If-None-Match": '"home-v1"'}).respond_with_data("", status=304)
    httpserver.expect_request("/").respond_with_data(HOME, content_type="text/html", headers={"ETag": '"home-v1"'})


def _news_text(svc: Services) -> str:
    with svc.db.session() as s:
        return str(s.scalars(select(DocumentRow).where(DocumentRow.doc_type == "news")).one().text)


def test_a_new_press_release_is_fetched_while_the_home_page_is_unchanged(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    _serve_site(httpserver)
    httpserver.expect_oneshot_request("/news").respond_with_data(
        _news("Acme opens a plant in Lyon"), content_type="text/html"
    )
    httpserver.expect_request("/news").respond_with_data(
        _news("Acme wins a Boeing supplier contract", "Acme opens a plant in Lyon"), content_type="text/html"
    )
    world = make_world(tmp_path, fetch_host_delay_s=0)
    with world.svc.db.session() as s:
        add_source(s, "w", url=httpserver.url_for("/"), kind="site")
    first = run_ingest(world.svc).summary
    assert (first.new, first.failed) == (2, [])
    assert "Boeing" not in _news_text(world.svc)

    second = run_ingest(world.svc).summary
    assert (second.not_modified, second.new, second.updated, second.unchanged) == (0, 0, 1, 1)
    assert second.embedded_documents == 1  # only the changed news page is embedded again
    assert "Acme wins a Boeing supplier contract" in _news_text(world.svc)

    third = run_ingest(world.svc).summary
    assert (third.new, third.updated, third.unchanged, third.embedded_chunks) == (0, 0, 2, 0)


def test_a_page_source_still_uses_conditional_get(tmp_path: Path, httpserver: HTTPServer) -> None:
    _serve_site(httpserver)
    world = make_world(tmp_path, fetch_host_delay_s=0)
    with world.svc.db.session() as s:
        add_source(s, "w", url=httpserver.url_for("/"), kind="page")
    first = run_ingest(world.svc).summary
    second = run_ingest(world.svc).summary
    assert (first.new, second.not_modified, second.fetched, second.embedded_chunks) == (1, 1, 1, 0)
