"""Extraction evaluation: per-type precision, recall and F1 of trigger events on a labelled file.

The file is JSON Lines, one labelled text a line::

    {"id": "n1", "text": "Acme raised $5M in seed funding.", "events": ["funding"]}

`events` lists the trigger types (EventType values) the text reports. Optional keys:
`published_at` (ISO 8601, used to resolve "today"), `split` ("dev"/"test", to report a held-out
part), and any others (`source`, `notes`, ...), which are ignored.

A document's predicted types are the types of the events the extractor returns for it, after the
grounding check. Per type, a document counts as a true positive when the type is both labelled and
predicted, a false positive when only predicted, a false negative when only labelled. Only the types
present in the file's labels (of the selected split) are scored; micro figures pool their counts.

    >>> from agent.offline import OfflineExtractor
    >>> report = evaluate_extraction(Path("/tmp/dev.jsonl"), extractor=OfflineExtractor())  # doctest: +SKIP
    >>> sorted(report.as_dict())  # doctest: +SKIP
    ['micro', 'types']

`python -m agent.evaluate FILE` prints the offline extractor beside the keyword baseline on the
dev, test and whole file, for the four core types and for all types, plus the prefilter share.
Without FILE it builds the dev set from benchmarks/extraction/labels.jsonl and ../shared/data
(`agent.devset`; `benchmarks/extraction/build_devset.py --out /tmp/dev.jsonl` writes the same file).
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from agent.extractors import ExtractionInput, Extractor
from agent.grounding import ground_document, grounding_sources
from agent.offline_text import split_sentences
from agent.schemas import Event, Extraction
from scoring.domain import EventType

__all__ = [
    "CORE_TYPES",
    "ExtractionEvalReport",
    "KeywordBaseline",
    "LabelledText",
    "TypeScore",
    "evaluate_extraction",
    "load_labelled",
    "prefilter_share",
    "render_comparison",
]

CORE_TYPES: tuple[EventType, ...] = (
    EventType.FUNDING,
    EventType.LEADERSHIP_CHANGE,
    EventType.ACQUISITION,
    EventType.EXPANSION,
)


class LabelledFileError(ValueError):
    """A labelled file has a line that is not a valid labelled text."""


@dataclass(frozen=True, slots=True)
class LabelledText:
    """One labelled text: its id, text, the event types it reports, and its split."""

    id: str
    text: str
    events: frozenset[EventType]
    split: str | None = None
    published_at: datetime | None = None

    def as_input(self) -> ExtractionInput:
        """Returns the text as an extractor input (a news item)."""
        return ExtractionInput(document_id=self.id, text=self.text, published_at=self.published_at, doc_type="news")


def load_labelled(path: Path) -> list[LabelledText]:
    """Reads a labelled JSON Lines file; raises LabelledFileError naming the bad line."""
    items: list[LabelledText] = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                items.append(_parse_line(json.loads(line)))
            except (ValueError, TypeError, KeyError) as exc:
                raise LabelledFileError(f"{path}:{number}: {exc}") from exc
    return items


def _parse_line(row: Any) -> LabelledText:
    if not isinstance(row, dict):
        raise TypeError("each line must be a JSON object")
    text, events = row["text"], row["events"]
    if not isinstance(text, str) or not isinstance(events, list):
        raise TypeError("'text' must be a string and 'events' a list")
    published = row.get("published_at")
    return LabelledText(
        id=str(row["id"]),
        text=text,
        events=frozenset(EventType(value) for value in events),
        split=row.get("split"),
        published_at=datetime.fromisoformat(published) if isinstance(published, str) and published else None,
    )


@dataclass(slots=True)
class TypeScore:
    """Document-level counts for one event type."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def support(self) -> int:
        """Returns the number of documents labelled with the type."""
        return self.tp + self.fn

    @property
    def precision(self) -> float:
        """Returns TP / (TP + FP), or 0.0 when nothing was predicted."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        """Returns TP / (TP + FN), or 0.0 when nothing was labelled."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        """Returns the harmonic mean of precision and recall (0.0 when both are 0)."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(slots=True)
class ExtractionEvalReport:
    """Per-type and micro-averaged scores of one extractor on one labelled file (or split of it)."""

    extractor: str
    documents: int
    scores: dict[EventType, TypeScore]
    dropped_items: int = 0
    split: str | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def micro(self) -> TypeScore:
        """Returns the pooled counts over the scored types."""
        total = TypeScore()
        for score in self.scores.values():
            total.tp += score.tp
            total.fp += score.fp
            total.fn += score.fn
        return total

    def as_dict(self) -> dict[str, Any]:
        """Returns {"types": {type: {precision, recall, f1, support}}, "micro": {precision, recall, f1}}."""
        micro = self.micro
        return {
            "types": {
                kind.value: {
                    "precision": round(score.precision, 4),
                    "recall": round(score.recall, 4),
                    "f1": round(score.f1, 4),
                    "support": score.support,
                }
                for kind, score in self.scores.items()
            },
            "micro": {
                "precision": round(micro.precision, 4),
                "recall": round(micro.recall, 4),
                "f1": round(micro.f1, 4),
            },
        }

    def render_text(self) -> str:
        """Returns a fixed-width table of the scores."""
        where = f" ({self.split})" if self.split else ""
        lines = [
            f"extractor {self.extractor}: {self.documents} documents{where}, {self.dropped_items} items dropped by grounding",
            f"{'type':<20} {'precision':>9} {'recall':>7} {'f1':>6} {'support':>8} {'tp':>4} {'fp':>4} {'fn':>4}",
        ]
        for kind, s in self.scores.items():
            lines.append(
                f"{kind.value:<20} {s.precision:>9.3f} {s.recall:>7.3f} {s.f1:>6.3f} {s.support:>8} {s.tp:>4} {s.fp:>4} {s.fn:>4}"
            )
        m = self.micro
        lines.append(
            f"{'micro':<20} {m.precision:>9.3f} {m.recall:>7.3f} {m.f1:>6.3f} {m.support:>8} {m.tp:>4} {m.fp:>4} {m.fn:>4}"
        )
        lines.extend(f"error: {error}" for error in self.errors)
        return "\n".join(lines)


def evaluate_extraction(
    path: Path,
    *,
    extractor: Extractor,
    split: str | None = None,
    types: Collection[EventType] | None = None,
) -> ExtractionEvalReport:
    """Scores an extractor's trigger events (after grounding) against the labelled file at `path`.

    `split` keeps only items of that split; `types` limits scoring to those types (still only the
    ones present in the labels).
    """
    items = [item for item in load_labelled(path) if split is None or item.split == split]
    return score_items(items, extractor=extractor, split=split, types=types)


def score_items(
    items: Sequence[LabelledText],
    *,
    extractor: Extractor,
    split: str | None = None,
    types: Collection[EventType] | None = None,
) -> ExtractionEvalReport:
    """Scores an extractor on already loaded labelled texts (see `evaluate_extraction`)."""
    present = {kind for item in items for kind in item.events}
    scored = [kind for kind in EventType if kind in present and (types is None or kind in types)]
    scores = {kind: TypeScore() for kind in scored}
    dropped = 0
    errors: list[str] = []
    for item in items:
        doc = item.as_input()
        try:
            result = ground_document(extractor.extract(doc), doc)
        except Exception as exc:  # an extractor failing on one text is recorded, not fatal to the run
            errors.append(f"{item.id}: {type(exc).__name__}: {exc}")
            predicted: set[EventType] = set()
        else:
            dropped += len(result.dropped)
            predicted = {event.type for event in result.extraction.events}
        for kind in scored:
            if kind in item.events and kind in predicted:
                scores[kind].tp += 1
            elif kind in predicted:
                scores[kind].fp += 1
            elif kind in item.events:
                scores[kind].fn += 1
    return ExtractionEvalReport(
        extractor=extractor.name, documents=len(items), scores=scores, dropped_items=dropped, split=split, errors=errors
    )


def prefilter_share(path: Path, *, is_relevant: Callable[[ExtractionInput], bool]) -> tuple[int, int]:
    """Returns (documents the prefilter keeps away, all documents) for a labelled file."""
    items = load_labelled(path)
    away = sum(1 for item in items if not is_relevant(item.as_input()))
    return away, len(items)


def render_comparison(
    path: Path,
    extractors: Sequence[Extractor],
    *,
    splits: Sequence[str | None] = ("dev", "test", None),
    type_sets: Sequence[tuple[str, Collection[EventType] | None]] = (("core", CORE_TYPES), ("all", None)),
) -> str:
    """Returns a table of micro and per-type figures for several extractors, splits and type sets."""
    items = load_labelled(path)
    lines: list[str] = []
    for set_name, types in type_sets:
        lines.append(f"== {set_name} types ==")
        for split in splits:
            chosen = [item for item in items if split is None or item.split == split]
            lines.append(f"-- split {split or 'all'} ({len(chosen)} documents) --")
            for extractor in extractors:
                lines.append(score_items(chosen, extractor=extractor, split=split, types=types).render_text())
                lines.append("")
    return "\n".join(lines)


# --- the keyword baseline: the naive comparison point --------------------------------------------------------------------

_BASELINE_KEYWORDS: dict[EventType, tuple[str, ...]] = {
    EventType.FUNDING: ("raise", "raised", "funding", "investment", "series a", "series b", "seed round"),
    EventType.LEADERSHIP_CHANGE: ("ceo", "appoint", "chief", "resign", "steps down", "hires"),
    EventType.ACQUISITION: ("acquire", "acquisition", "merger", "buy", "takeover", "deal"),
    EventType.EXPANSION: ("expand", "expansion", "new office", "opens", "new plant"),
    EventType.LAYOFFS: ("layoff", "lay off", "job cuts", "furlough", "restructuring"),
    EventType.PARTNERSHIP: ("partner", "partnership", "collaboration", "agreement"),
    EventType.PRODUCT_LAUNCH: ("launch", "unveil", "introduces", "release"),
    EventType.HIRING_SURGE: ("hiring", "to hire", "recruiting"),
    EventType.IPO: ("ipo", "public offering", "go public", "listing"),
}
_BASELINE_RE = {
    kind: re.compile(r"\b(?:" + "|".join(re.escape(k) for k in words) + r")", re.IGNORECASE)
    for kind, words in _BASELINE_KEYWORDS.items()
}


class KeywordBaseline:
    """The naive comparison point: an event of a type for the first sentence containing one of its keywords."""

    name = "keyword-baseline"
    version = "1"

    def extract(self, doc: ExtractionInput) -> Extraction:
        """Returns one event per type whose keywords occur, quoting the sentence they occur in."""
        text, _markup = grounding_sources(doc)
        events: list[Event] = []
        for kind, pattern in _BASELINE_RE.items():
            for sentence in split_sentences(text):
                chunk = text[sentence.start : sentence.end]
                if pattern.search(chunk):
                    events.append(Event(type=kind, summary=f"keyword match: {kind.value}", quote=chunk[:400]))
                    break
        return Extraction(events=events)


def main(argv: Sequence[str] | None = None) -> int:
    """Prints the offline extractor beside the keyword baseline for a labelled file (default: the dev set, rebuilt)."""
    from agent.offline import OfflineExtractor, is_relevant

    args = list(sys.argv[1:] if argv is None else argv)
    with tempfile.TemporaryDirectory() as tmp:
        if args:
            path = Path(args[0])
        else:  # the repository keeps only the labels: the texts come from the shared data
            from agent.devset import DEFAULT_LABELS, DEFAULT_SHARED_DATA, build_devset, write_devset

            path = write_devset(build_devset(DEFAULT_SHARED_DATA, DEFAULT_LABELS), Path(tmp) / "dev.jsonl")
        print(render_comparison(path, [OfflineExtractor(), KeywordBaseline()]))
        away, total = prefilter_share(path, is_relevant=is_relevant)
    print(f"prefilter: keeps {away} of {total} documents ({away / total:.1%}) away from the LLM")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
