"""The trigger-event development set: hand labels in the repository, texts rebuilt from ../shared/data.

`benchmarks/extraction/labels.jsonl` holds one labelled item a line, without its text: the id, the
event types, the split, optional notes and a reference (`ref`) to where the text lives in the shared
data, with a checksum of the text the labels were written for::

    {"id": "finnhub-merger-7501463", "events": ["acquisition"], "split": "dev",
     "ref": {"source": "finnhub", "file": "news_merger.json", "item_id": 7501463, "text_sha256": "..."}}

`build_devset` rebuilds every text from the shared data and returns the rows `icp eval extraction`
reads (`id`, `text`, `events`, `split`, `source`, `published_at`, and `url` for articles); a text whose
checksum differs (changed shared data, a changed parser) raises `DevsetError` naming the item, since
its labels would no longer fit it.

    >>> rows = build_devset(DEFAULT_SHARED_DATA, DEFAULT_LABELS)  # doctest: +SKIP
    >>> write_devset(rows, Path("/tmp/dev.jsonl"))  # doctest: +SKIP

How a text is made (the rules the set was built with; see benchmarks/extraction/LABELLING.md):

- finnhub (`finnhub-news-categories/<file>`, the item with `id == item_id`): `join_title`(headline,
  summary). A field containing `<` or `&` gets its tags replaced by spaces, its entities unescaped and
  its whitespace collapsed; other fields are kept exactly as published (double spaces included).
- feed (`rss-feeds/feedjira/<file>`, entry `index` as feedparser lists them): `join_title`(title,
  summary), both with tags replaced by spaces, entities unescaped and whitespace collapsed; the
  summary is cut at a word boundary to at most 1,200 characters and dropped when it is only "Comments".
- article (`article-extraction-dev50/ground-truth.json`, the page `id`): the first `paragraphs`
  paragraphs of the gold body, joined by a blank line.
"""

from __future__ import annotations

import calendar
import hashlib
import html
import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import feedparser
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agent.errors import AgentError
from scoring.domain import EventType

__all__ = [
    "DEFAULT_LABELS",
    "DEFAULT_SHARED_DATA",
    "FEED_SUMMARY_CHARS",
    "ArticleRef",
    "DevsetError",
    "FeedRef",
    "FinnhubRef",
    "LabelledItem",
    "article_text",
    "build_devset",
    "clean_markup",
    "count_lead_paragraphs",
    "feed_text",
    "finnhub_text",
    "join_title",
    "read_labels",
    "text_digest",
    "write_devset",
]

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LABELS = ROOT / "benchmarks" / "extraction" / "labels.jsonl"
DEFAULT_SHARED_DATA = ROOT.parent / "shared" / "data"

FINNHUB_DIR = "finnhub-news-categories"
FEED_DIR = "rss-feeds/feedjira"
ARTICLES_FILE = "article-extraction-dev50/ground-truth.json"
FEED_SUMMARY_CHARS = 1_200
DIGEST_CHARS = 16

_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
_URL_DATE = re.compile(r"/(\d{4})/(\d{2})/(\d{2})/")
_FILE_NAME = r"^[A-Za-z0-9_.-]+\.(?:json|xml)$"  # a plain file name: a label cannot point outside the shared data


class DevsetError(AgentError):
    """The labels file is malformed, or the shared data cannot give back the labelled texts."""


class _Ref(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    text_sha256: str = Field(pattern=r"^[0-9a-f]{16}$", description="First 16 hex of the text's SHA-256.")


class FinnhubRef(_Ref):
    """A Finnhub news item: `item_id` in finnhub-news-categories/`file`."""

    source: Literal["finnhub"]
    file: str = Field(pattern=_FILE_NAME)
    item_id: int


class FeedRef(_Ref):
    """A feed entry: the `index`-th entry feedparser lists for rss-feeds/feedjira/`file`."""

    source: Literal["feed"]
    file: str = Field(pattern=_FILE_NAME)
    index: int = Field(ge=0)


class ArticleRef(_Ref):
    """The first `paragraphs` paragraphs of a gold article body in article-extraction-dev50."""

    source: Literal["article"]
    id: str = Field(pattern=r"^[0-9a-f]{64}$")
    paragraphs: int = Field(ge=1)


class LabelledItem(BaseModel):
    """One line of labels.jsonl: the labels of a text and where the text comes from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    events: list[EventType]
    split: Literal["dev", "test"]
    ref: Annotated[FinnhubRef | FeedRef | ArticleRef, Field(discriminator="source")]
    notes: str | None = None


def read_labels(path: Path) -> list[LabelledItem]:
    """Reads labels.jsonl; raises DevsetError naming the bad line or a repeated id."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise DevsetError(f"cannot read the labels file {path}: {exc}") from exc
    items: list[LabelledItem] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = LabelledItem.model_validate_json(line)
        except ValidationError as exc:
            raise DevsetError(f"{path}:{number}: {exc}") from exc
        if item.id in seen:
            raise DevsetError(f"{path}:{number}: id {item.id!r} appears twice")
        seen.add(item.id)
        items.append(item)
    return items


def build_devset(shared_data: Path, labels: Path) -> list[dict[str, Any]]:
    """Returns the labelled texts of `labels`, each rebuilt from `shared_data`, in the labels' order."""
    if not shared_data.is_dir():
        raise DevsetError(
            f"the shared data folder is missing: expected ../shared/data beside the project ({shared_data})"
        )
    data = _SharedData(shared_data)
    rows: list[dict[str, Any]] = []
    for item in read_labels(labels):
        row = data.build_row(item)
        digest = text_digest(row["text"])
        if digest != item.ref.text_sha256:
            raise DevsetError(
                f"{item.id}: the text rebuilt from {shared_data} differs from the labelled one "
                f"(sha256 {digest} != {item.ref.text_sha256}); the shared data or the parser changed"
            )
        rows.append(row)
    return rows


def write_devset(rows: list[dict[str, Any]], out: Path) -> Path:
    """Writes rows as JSON Lines (UTF-8, one object a line) and returns `out`."""
    out.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return out


def text_digest(text: str) -> str:
    """Returns the first 16 hex digits of the text's SHA-256 (the checksum kept in labels.jsonl)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:DIGEST_CHARS]


# --- the text rules ----------------------------------------------------------------------------------------------------


def clean_markup(value: str) -> str:
    """Returns the text with every tag replaced by a space, entities unescaped and whitespace collapsed."""
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", value))).strip()


def join_title(title: str, body: str) -> str:
    """Returns "title. body" without doubling the title's final periods; the title alone when body is empty or equal."""
    if not body or body == title:
        return title
    return f"{title.rstrip('.')}. {body}"


def finnhub_text(headline: str, summary: str) -> str:
    """Returns the text of a Finnhub item: fields with markup or entities cleaned, others kept as published."""

    def tidy(value: str) -> str:
        return clean_markup(value) if "<" in value or "&" in value else value

    return join_title(tidy(headline), tidy(summary))


def feed_text(title: str, summary: str, *, max_summary_chars: int = FEED_SUMMARY_CHARS) -> str:
    """Returns the text of a feed entry from its title and summary HTML (summary cut at a word boundary)."""
    body = clean_markup(summary)
    if len(body) > max_summary_chars:
        # the longest prefix that ends before a space: a word running past the limit is left out whole
        prefix = body[: max_summary_chars + 1]
        body = prefix.rsplit(" ", 1)[0].rstrip() if " " in prefix else prefix[:max_summary_chars]
    if body == "Comments":  # Hacker News puts only a link to the thread there
        body = ""
    return join_title(clean_markup(title), body)


def article_text(body: str, paragraphs: int) -> str:
    """Returns the first `paragraphs` paragraphs of an article body, joined by a blank line."""
    return "\n\n".join(body.split("\n\n")[:paragraphs])


def count_lead_paragraphs(body: str, *, min_chars: int = 500, max_chars: int = 1_000) -> int:
    """Returns how many leading paragraphs reach `min_chars` without passing `max_chars` (at least one)."""
    parts = body.split("\n\n")
    count, length = 1, len(parts[0])
    while count < len(parts) and length < min_chars and length + 2 + len(parts[count]) <= max_chars:
        length += 2 + len(parts[count])
        count += 1
    return count


# --- reading the shared data -------------------------------------------------------------------------------------------


class _SharedData:
    """Reads each shared-data file once and turns a labelled item into a dev-set row."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._finnhub: dict[str, dict[int, dict[str, Any]]] = {}
        self._feeds: dict[str, list[Any]] = {}
        self._articles: dict[str, dict[str, Any]] | None = None

    def build_row(self, item: LabelledItem) -> dict[str, Any]:
        """Returns the row `icp eval extraction` reads for one labelled item."""
        head: dict[str, Any] = {"id": item.id}
        labels: dict[str, Any] = {"events": [kind.value for kind in item.events], "split": item.split}
        ref = item.ref
        if isinstance(ref, FinnhubRef):
            news = self._finnhub_item(ref)
            row = {
                **head,
                "text": finnhub_text(news["headline"], news["summary"]),
                **labels,
                "source": f"finnhub/{ref.file}",
                "published_at": datetime.fromtimestamp(news["datetime"], UTC).isoformat(),
            }
        elif isinstance(ref, FeedRef):
            entry = self._feed_entry(ref)
            when = entry.get("published_parsed") or entry.get("updated_parsed")
            row = {
                **head,
                "text": feed_text(entry.get("title", ""), entry.get("summary", "")),
                **labels,
                "source": f"{FEED_DIR}/{ref.file}",
                "published_at": datetime.fromtimestamp(calendar.timegm(when), UTC).isoformat() if when else None,
            }
        else:
            page = self._article(ref)
            url = page.get("url")
            row = {
                **head,
                "text": article_text(page["articleBody"], ref.paragraphs),
                **labels,
                "source": ARTICLES_FILE,
                "published_at": _date_from_url(url),
                "url": url,
            }
        if item.notes is not None:
            row["notes"] = item.notes
        return row

    def _finnhub_item(self, ref: FinnhubRef) -> dict[str, Any]:
        if ref.file not in self._finnhub:
            news = self._load_json(f"{FINNHUB_DIR}/{ref.file}")
            self._finnhub[ref.file] = {entry["id"]: entry for entry in news}
        try:
            return self._finnhub[ref.file][ref.item_id]
        except KeyError as exc:
            raise DevsetError(f"no item {ref.item_id} in {FINNHUB_DIR}/{ref.file}") from exc

    def _feed_entry(self, ref: FeedRef) -> Any:
        if ref.file not in self._feeds:
            path = self.root / FEED_DIR / ref.file
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise DevsetError(f"cannot read {path}: {exc}") from exc
            # a stream, never bytes or str: feedparser would open a path or fetch a URL it was handed
            self._feeds[ref.file] = list(feedparser.parse(io.BytesIO(data)).entries)
        entries = self._feeds[ref.file]
        if ref.index >= len(entries):
            raise DevsetError(f"{FEED_DIR}/{ref.file} has {len(entries)} entries; no entry {ref.index}")
        return entries[ref.index]

    def _article(self, ref: ArticleRef) -> dict[str, Any]:
        if self._articles is None:
            self._articles = self._load_json(ARTICLES_FILE)
        try:
            return self._articles[ref.id]
        except KeyError as exc:
            raise DevsetError(f"no article {ref.id} in {ARTICLES_FILE}") from exc

    def _load_json(self, relative: str) -> Any:
        path = self.root / relative
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise DevsetError(f"cannot read {path}: {exc}") from exc


def _date_from_url(url: str | None) -> str | None:
    """Returns midnight UTC of a /YYYY/MM/DD/ date in the URL (ISO 8601), else None."""
    match = _URL_DATE.search(url or "")
    if match is None:
        return None
    year, month, day = (int(part) for part in match.groups())
    try:
        return datetime(year, month, day, tzinfo=UTC).isoformat()
    except ValueError:  # digits in a path that are no date
        return None
