"""Publication dates: parsing, dates in URLs, plausibility and precedence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from ingest.dates import date_from_url, is_plausible, parse_date, publication_date, to_utc

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-12", datetime(2024, 5, 12, tzinfo=UTC)),
        ("2024-05-12T09:30:00Z", datetime(2024, 5, 12, 9, 30, tzinfo=UTC)),
        ("2024-05-12T09:30:00+02:00", datetime(2024, 5, 12, 7, 30, tzinfo=UTC)),
        ("2024-05-12T09:30:00.123-05:00", datetime(2024, 5, 12, 14, 30, 0, 123000, tzinfo=UTC)),
        ("Sun, 12 May 2024 09:30:00 GMT", datetime(2024, 5, 12, 9, 30, tzinfo=UTC)),
        ("Sun, 12 May 2024 09:30:00 +0100", datetime(2024, 5, 12, 8, 30, tzinfo=UTC)),
        ("2024-05-12 at noon", datetime(2024, 5, 12, tzinfo=UTC)),
        ("yesterday", None),
        ("", None),
        (None, None),
        ("2024-13-45", None),
    ],
)
def test_parse_date_reads_iso_and_rfc_2822_into_utc(text: str | None, expected: datetime | None) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://news.example/2024/05/12/acme-raises", datetime(2024, 5, 12, tzinfo=UTC)),
        ("https://www.vox.com/2019/7/10/20688476/recode-daily", datetime(2019, 7, 10, tzinfo=UTC)),
        ("https://blog.example/posts/2024-05-12-acme-raises", datetime(2024, 5, 12, tzinfo=UTC)),
        ("https://blog.example/archive/20240512/acme", datetime(2024, 5, 12, tzinfo=UTC)),
        ("https://www.wsj.com/articles/google-stadia-11574168580", None),
        ("https://news.example/2024/13/45/bad", None),
        ("https://news.example/acme-raises", None),
        ("https://news.example/?date=2024-05-12", None),
        (None, None),
    ],
)
def test_date_from_url_reads_dates_in_the_path(url: str | None, expected: datetime | None) -> None:
    assert date_from_url(url) == expected


@pytest.mark.parametrize(
    ("value", "plausible"),
    [
        (datetime(1989, 12, 31, 23, 59, tzinfo=UTC), False),
        (datetime(1990, 1, 1, tzinfo=UTC), True),
        (NOW + timedelta(hours=23), True),
        (NOW + timedelta(days=2), False),
        (datetime(2099, 1, 1, tzinfo=UTC), False),
    ],
)
def test_dates_before_1990_or_beyond_a_day_ahead_are_implausible(value: datetime, plausible: bool) -> None:
    assert is_plausible(value, now=NOW) is plausible


@pytest.mark.parametrize(
    ("feed", "page", "url", "expected"),
    [
        (
            datetime(2024, 5, 1, tzinfo=UTC),
            datetime(2024, 4, 1, tzinfo=UTC),
            "https://x.example/2024/03/01/a",
            datetime(2024, 5, 1, tzinfo=UTC),
        ),
        (None, datetime(2024, 4, 1, tzinfo=UTC), "https://x.example/2024/03/01/a", datetime(2024, 4, 1, tzinfo=UTC)),
        (None, None, "https://x.example/2024/03/01/a", datetime(2024, 3, 1, tzinfo=UTC)),
        (datetime(2099, 1, 1, tzinfo=UTC), datetime(2024, 4, 1, tzinfo=UTC), None, datetime(2024, 4, 1, tzinfo=UTC)),
        (datetime(1970, 1, 1, tzinfo=UTC), None, "https://x.example/2024/03/01/a", datetime(2024, 3, 1, tzinfo=UTC)),
        (None, None, None, None),
        (datetime(1970, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC), "https://x.example/a", None),
    ],
)
def test_publication_date_prefers_feed_then_page_then_url(
    feed: datetime | None, page: datetime | None, url: str | None, expected: datetime | None
) -> None:
    assert publication_date(feed=feed, page=page, url=url, now=NOW) == expected


def test_publication_date_is_always_utc() -> None:
    naive = datetime(2024, 5, 1, 10, 0)
    berlin = datetime(2024, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    assert publication_date(feed=naive, page=None, url=None, now=NOW) == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    found = publication_date(feed=berlin, page=None, url=None, now=NOW)
    assert found == datetime(2024, 5, 1, 10, 0, tzinfo=UTC) and found.tzinfo is UTC
    assert to_utc(berlin).utcoffset() == timedelta(0)
