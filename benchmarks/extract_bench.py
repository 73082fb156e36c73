"""Throughput of the offline extractor (and of the grounding check) in documents per CPU second.

Runs on the labelled dev-set texts (replicated to make the run long enough to time) and on the
gold article bodies of ../shared/data/article-extraction-dev50 (longer texts). Not a timed test:
it prints figures.

    .venv/bin/python benchmarks/extract_bench.py [--repeat 10]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from agent.devset import DEFAULT_LABELS, DEFAULT_SHARED_DATA, build_devset, write_devset
from agent.evaluate import load_labelled
from agent.extractors import ExtractionInput
from agent.grounding import ground_document
from agent.offline import OfflineExtractor, is_relevant

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = ROOT.parent / "shared" / "data" / "article-extraction-dev50" / "ground-truth.json"


def time_run(docs: Sequence[ExtractionInput], work: Callable[[ExtractionInput], object]) -> tuple[float, float, int]:
    """Returns (CPU seconds, wall seconds, characters) for running `work` over every document once."""
    chars = sum(len(doc.text) for doc in docs)
    cpu, wall = time.process_time(), time.perf_counter()
    for doc in docs:
        work(doc)
    return time.process_time() - cpu, time.perf_counter() - wall, chars


def report(label: str, docs: Sequence[ExtractionInput], work: Callable[[ExtractionInput], object]) -> str:
    """Returns one line of figures for a run: docs/s per CPU second (wall seconds vary on a shared machine)."""
    cpu, wall, chars = time_run(docs, work)
    return (
        f"{label:<44} {len(docs):>6} docs  cpu {cpu:>6.2f} s  wall {wall:>6.2f} s"
        f"  {len(docs) / cpu:>7.0f} docs/s  {chars / cpu / 1e6:>5.2f} M chars/s"
    )


def load_articles() -> list[ExtractionInput]:
    """Returns the 50 gold article bodies as extractor inputs (empty when the shared data is missing)."""
    if not ARTICLES.is_file():
        return []
    data = json.loads(ARTICLES.read_text(encoding="utf-8"))
    return [
        ExtractionInput(document_id=key, text=value["articleBody"], url=value.get("url")) for key, value in data.items()
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Prints documents per second for extraction, extraction + grounding, and the prefilter."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10, help="how many times the dev-set texts are replicated")
    args = parser.parse_args(argv)
    extractor = OfflineExtractor()
    extractor.extract(ExtractionInput(document_id="warm-up", text="Acme raised $1 million."))  # compiles lazy patterns
    with tempfile.TemporaryDirectory() as tmp:  # the labelled texts are rebuilt from the shared data
        dev_file = write_devset(build_devset(DEFAULT_SHARED_DATA, DEFAULT_LABELS), Path(tmp) / "dev.jsonl")
        dev = [item.as_input() for item in load_labelled(dev_file)] * args.repeat
    articles = load_articles() * max(1, args.repeat // 5)
    print(f"offline extractor {extractor.version}")
    print(report(f"dev set texts x{args.repeat}: extract", dev, extractor.extract))
    print(
        report(
            f"dev set texts x{args.repeat}: extract + ground", dev, lambda d: ground_document(extractor.extract(d), d)
        )
    )
    print(report(f"dev set texts x{args.repeat}: prefilter", dev, is_relevant))
    if articles:
        mean = sum(len(a.text) for a in articles) / len(articles)
        label = f"article bodies (mean {mean:.0f} chars): extract"
        print(report(label, articles, extractor.extract))
        print(report("article bodies: extract + ground", articles, lambda d: ground_document(extractor.extract(d), d)))
    else:
        print(f"article bodies: {ARTICLES} not found, skipped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
