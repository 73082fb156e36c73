"""Evaluation of main-text extraction on saved pages with gold text: figures, not pass/fail.

Two data sets, in the layouts of ../shared/data:

- `evaluate_pages(DIR)`: DIR holds `html/<id>.html.gz` and `ground-truth.json` mapping
  id -> {"articleBody", "url"} (scrapinghub/article-extraction-benchmark). Each page is
  scored by token overlap between extracted and gold text: both are lowercased and split on
  non-word characters (`\\w+` runs, Unicode-aware), and the overlap is the size of the
  multiset intersection. precision = overlap / extracted tokens, recall = overlap / gold
  tokens, F1 their harmonic mean; the report gives the mean of each over pages. A page whose
  extraction fails or is empty scores 0 (never skipped); an empty gold with an empty
  extraction scores 1. This is the unigram form of the benchmark's measure (the benchmark
  itself also reports 4-token shingles), so figures are close to, not identical with, its own.
- `evaluate_snippets(DIR)`: DIR holds `gold_subset.json` ({url: {"file", "with", "without"}})
  and `html/<file>` (trafilatura's evaluation set). A `with` snippet passes when it occurs in
  the extracted text, a `without` snippet when it does not; whitespace runs are collapsed
  on both sides first, since extractors break lines between blocks.

Run `python -m ingest.evaluate DIR [--format json] [--extractor parse_page|trafilatura]`;
the layout of DIR selects the evaluation.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trafilatura

from ingest.errors import IngestError
from ingest.pages import parse_page

__all__ = [
    "EXTRACTORS",
    "EvaluationError",
    "Extract",
    "PageEvalReport",
    "PageScore",
    "SnippetEvalReport",
    "SnippetScore",
    "default_extract",
    "evaluate_dir",
    "evaluate_pages",
    "evaluate_snippets",
    "main",
    "score_tokens",
    "tokenize",
    "trafilatura_extract",
]

Extract = Callable[[bytes, str], str]
"""An extractor under evaluation: (raw page bytes, page URL) -> main text."""

_WORD = re.compile(r"\w+")


class EvaluationError(IngestError):
    """An evaluation folder is missing files or holds unreadable gold data."""


@dataclass(frozen=True, slots=True)
class PageScore:
    """Token precision, recall and F1 of one page; `error` names an extraction failure (scored 0)."""

    page_id: str
    url: str
    precision: float
    recall: float
    f1: float
    error: str | None = None


@dataclass(frozen=True, slots=True)
class PageEvalReport:
    """Per-page scores and their means over all pages."""

    scores: tuple[PageScore, ...]

    @property
    def pages(self) -> int:
        """Counts the pages evaluated."""
        return len(self.scores)

    @property
    def precision(self) -> float:
        """Returns the mean precision over pages."""
        return _mean([score.precision for score in self.scores])

    @property
    def recall(self) -> float:
        """Returns the mean recall over pages."""
        return _mean([score.recall for score in self.scores])

    @property
    def f1(self) -> float:
        """Returns the mean F1 over pages."""
        return _mean([score.f1 for score in self.scores])

    def as_dict(self) -> dict[str, Any]:
        """Returns {"pages", "precision", "recall", "f1"} (means, rounded to 4 places)."""
        return {
            "pages": self.pages,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }

    def render_text(self, *, worst: int = 5) -> str:
        """Renders the figures and the lowest-scoring pages for a terminal."""
        lines = [
            f"pages: {self.pages}",
            f"precision: {self.precision:.4f}",
            f"recall: {self.recall:.4f}",
            f"f1: {self.f1:.4f}",
        ]
        failed = [score for score in self.scores if score.error]
        if failed:
            lines.append(f"failed extractions (scored 0): {len(failed)}")
        lowest = sorted(self.scores, key=lambda score: score.f1)[:worst]
        if lowest:
            lines.append("lowest F1:")
            lines.extend(f"  {score.f1:.3f}  {score.url or score.page_id}" for score in lowest)
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class SnippetScore:
    """Snippet checks of one page: `with` snippets found and `without` snippets absent."""

    url: str
    with_found: int
    with_total: int
    without_absent: int
    without_total: int
    error: str | None = None


@dataclass(frozen=True, slots=True)
class SnippetEvalReport:
    """Per-page snippet checks and their totals."""

    scores: tuple[SnippetScore, ...]

    @property
    def pages(self) -> int:
        """Counts the pages evaluated."""
        return len(self.scores)

    @property
    def with_found(self) -> int:
        """Counts the `with` snippets found in the extracted text, over all pages."""
        return sum(score.with_found for score in self.scores)

    @property
    def with_total(self) -> int:
        """Counts the `with` snippets over all pages."""
        return sum(score.with_total for score in self.scores)

    @property
    def without_absent(self) -> int:
        """Counts the `without` snippets kept out of the extracted text, over all pages."""
        return sum(score.without_absent for score in self.scores)

    @property
    def without_total(self) -> int:
        """Counts the `without` snippets over all pages."""
        return sum(score.without_total for score in self.scores)

    @property
    def with_share(self) -> float:
        """Returns the share of `with` snippets found (recall of wanted text)."""
        return self.with_found / self.with_total if self.with_total else 1.0

    @property
    def without_share(self) -> float:
        """Returns the share of `without` snippets absent (boilerplate kept out)."""
        return self.without_absent / self.without_total if self.without_total else 1.0

    def as_dict(self) -> dict[str, Any]:
        """Returns the totals and shares as a plain dict."""
        return {
            "pages": self.pages,
            "with_found": self.with_found,
            "with_total": self.with_total,
            "with_share": round(self.with_share, 4),
            "without_absent": self.without_absent,
            "without_total": self.without_total,
            "without_share": round(self.without_share, 4),
        }

    def render_text(self) -> str:
        """Renders the totals for a terminal."""
        return "\n".join(
            [
                f"pages: {self.pages}",
                f"with snippets found: {self.with_found}/{self.with_total} ({self.with_share:.3f})",
                f"without snippets absent: {self.without_absent}/{self.without_total} ({self.without_share:.3f})",
            ]
        )


def tokenize(text: str) -> list[str]:
    """Splits text into lowercase word tokens (runs of Unicode word characters)."""
    return _WORD.findall(text.lower())


def score_tokens(predicted: str, gold: str) -> tuple[float, float, float]:
    """Returns (precision, recall, F1) of the predicted text's tokens against the gold text's, as multisets."""
    predicted_tokens, gold_tokens = Counter(tokenize(predicted)), Counter(tokenize(gold))
    if not predicted_tokens and not gold_tokens:
        return 1.0, 1.0, 1.0
    if not predicted_tokens or not gold_tokens:
        return 0.0, 0.0, 0.0
    overlap = sum((predicted_tokens & gold_tokens).values())
    precision = overlap / sum(predicted_tokens.values())
    recall = overlap / sum(gold_tokens.values())
    f1 = 2 * precision * recall / (precision + recall) if overlap else 0.0
    return precision, recall, f1


def default_extract(data: bytes, url: str) -> str:
    """Extracts main text the way page ingest does (`parse_page`)."""
    return parse_page(data, url=url).text


def trafilatura_extract(data: bytes, url: str) -> str:
    """Extracts main text with trafilatura's default settings: the baseline."""
    return trafilatura.extract(data, url=url) or ""


EXTRACTORS: dict[str, Extract] = {"parse_page": default_extract, "trafilatura": trafilatura_extract}


def evaluate_pages(directory: Path, *, extract: Extract = default_extract) -> PageEvalReport:
    """Scores an extractor on an article-extraction folder (html/<id>.html.gz + ground-truth.json)."""
    gold = _read_json(directory / "ground-truth.json")
    scores: list[PageScore] = []
    for page_id in sorted(gold):
        entry = gold[page_id]
        url = str(entry.get("url") or "")
        path = directory / "html" / f"{page_id}.html.gz"
        try:
            text = extract(gzip.decompress(path.read_bytes()), url)
        except Exception as exc:
            scores.append(PageScore(page_id, url, 0.0, 0.0, 0.0, error=f"{type(exc).__name__}: {exc}"))
            continue
        precision, recall, f1 = score_tokens(text, str(entry.get("articleBody") or ""))
        scores.append(PageScore(page_id, url, precision, recall, f1))
    return PageEvalReport(tuple(scores))


def evaluate_snippets(directory: Path, *, extract: Extract = default_extract) -> SnippetEvalReport:
    """Checks an extractor against must-contain / must-not-contain snippets (gold_subset.json + html/)."""
    gold = _read_json(directory / "gold_subset.json")
    scores: list[SnippetScore] = []
    for url in sorted(gold):
        entry = gold[url]
        wanted = [_squash(item) for item in entry.get("with") or []]
        unwanted = [_squash(item) for item in entry.get("without") or []]
        try:
            text = _squash(extract((directory / "html" / str(entry["file"])).read_bytes(), url))
        except Exception as exc:
            scores.append(SnippetScore(url, 0, len(wanted), 0, len(unwanted), error=f"{type(exc).__name__}: {exc}"))
            continue
        found = sum(1 for item in wanted if item in text)
        absent = sum(1 for item in unwanted if item not in text)
        scores.append(SnippetScore(url, found, len(wanted), absent, len(unwanted)))
    return SnippetEvalReport(tuple(scores))


def evaluate_dir(directory: Path, *, extract: Extract = default_extract) -> PageEvalReport | SnippetEvalReport:
    """Runs the evaluation that the folder's layout calls for."""
    if (directory / "ground-truth.json").is_file():
        return evaluate_pages(directory, extract=extract)
    if (directory / "gold_subset.json").is_file():
        return evaluate_snippets(directory, extract=extract)
    raise EvaluationError(f"{directory}: expected ground-truth.json (pages) or gold_subset.json (snippets)")


def main(argv: Sequence[str] | None = None) -> int:
    """Prints the evaluation of one folder; the exit code is 0 unless the folder is unusable."""
    parser = argparse.ArgumentParser(prog="python -m ingest.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--extractor", choices=sorted(EXTRACTORS), default="parse_page")
    args = parser.parse_args(argv)
    try:
        report = evaluate_dir(args.directory, extract=EXTRACTORS[args.extractor])
    except EvaluationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report.as_dict(), indent=2) if args.format == "json" else report.render_text())
    return 0


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise EvaluationError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise EvaluationError(f"{path}: expected a JSON object")
    return data


def _squash(text: str) -> str:
    return " ".join(text.split())


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


if __name__ == "__main__":
    raise SystemExit(main())
