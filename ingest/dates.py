"""Publication dates: parsing date strings, dates in URL paths, and choosing the one to trust.

Every datetime returned here is timezone-aware UTC. A date is plausible only between
1990-01-01 and one day after "now": feeds and pages carry placeholder dates (1970, 2099)
and clock-skewed timestamps, and a wrong date would put an old story into today's digest.

    >>> from datetime import datetime, timezone
    >>> publication_date(feed=None, page=None, url="https://example.com/news/2024/05/12/acme-raises")
    datetime.datetime(2024, 5, 12, 0, 0, tzinfo=datetime.timezone.utc)
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

__all__ = [
    "EARLIEST",
    "date_from_url",
    "is_plausible",
    "parse_date",
    "publication_date",
    "struct_to_utc",
    "to_utc",
]

EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
_FUTURE_SLACK = timedelta(days=1)

# /2024/05/12/ and /2024-05-12- (month and day may have one digit: /2019/7/10/)
_URL_YMD = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})[/_-]([0-9]{1,2})[/_-]([0-9]{1,2})(?![0-9])")
# /20240512/ or -20240512- : exactly eight digits, so long numeric ids do not match
_URL_COMPACT = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})([0-9]{2})([0-9]{2})(?![0-9])")
_ISO_DAY = re.compile(r"^\s*([0-9]{4})-([0-9]{2})-([0-9]{2})")


def to_utc(value: datetime) -> datetime:
    """Returns the datetime in UTC; a naive datetime is taken to be UTC already."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def struct_to_utc(value: time.struct_time | None) -> datetime | None:
    """Converts a UTC `time.struct_time` (as feedparser gives) into an aware datetime, or None."""
    if value is None:
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def parse_date(text: str | None) -> datetime | None:
    """Parses an ISO 8601 / RFC 3339 or RFC 2822 date string into UTC; None when it is not a date."""
    if not text:
        return None
    raw = text.strip()
    if not raw or len(raw) > 64:
        return None
    try:
        return to_utc(datetime.fromisoformat(raw))
    except ValueError:
        pass
    try:
        return to_utc(parsedate_to_datetime(raw))
    except (TypeError, ValueError, IndexError, OverflowError):
        pass
    # "2024-05-12 extra words" or an ISO date with an odd time part: keep the day
    match = _ISO_DAY.match(raw)
    if match:
        return _make_day(match.group(1), match.group(2), match.group(3))
    return None


def date_from_url(url: str | None) -> datetime | None:
    """Returns the date written in a URL path (/2024/05/12/, /2024-05-12-, /20240512/), or None."""
    if not url:
        return None
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    for pattern in (_URL_YMD, _URL_COMPACT):
        for match in pattern.finditer(path):
            found = _make_day(match.group(1), match.group(2), match.group(3))
            if found is not None:
                return found
    return None


def is_plausible(value: datetime, *, now: datetime | None = None) -> bool:
    """Tells whether a publication date lies between 1990 and one day after now."""
    current = to_utc(now) if now is not None else datetime.now(UTC)
    return EARLIEST <= to_utc(value) <= current + _FUTURE_SLACK


def publication_date(
    *,
    feed: datetime | None,
    page: datetime | None,
    url: str | None,
    now: datetime | None = None,
) -> datetime | None:
    """Chooses the publication date: the feed's, else the page's, else the URL's; implausible dates are skipped."""
    for candidate in (feed, page, date_from_url(url)):
        if candidate is not None and is_plausible(candidate, now=now):
            return to_utc(candidate)
    return None


def _make_day(year: str, month: str, day: str) -> datetime | None:
    try:
        return datetime(int(year), int(month), int(day), tzinfo=UTC)
    except ValueError:
        return None
