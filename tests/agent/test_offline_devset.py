"""The hand-labelled development set: rebuilding it from the shared data, and the offline extractor on it
(grounding, regression guard, prefilter)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from agent.devset import (
    DEFAULT_LABELS,
    DevsetError,
    article_text,
    build_devset,
    count_lead_paragraphs,
    feed_text,
    finnhub_text,
    text_digest,
    write_devset,
)
from agent.evaluate import CORE_TYPES, KeywordBaseline, LabelledText, load_labelled, score_items
from agent.grounding import ground_document
from agent.offline import OfflineExtractor, is_relevant
from scoring.domain import EventType


@pytest.fixture(scope="module")
def dev_set(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Builds the dev set from the labels and the shared data into the file `icp eval extraction` reads."""
    return write_devset(build_devset(shared_data, DEFAULT_LABELS), tmp_path_factory.mktemp("devset") / "dev.jsonl")


@pytest.fixture(scope="module")
def items(dev_set: Path) -> list[LabelledText]:
    return load_labelled(dev_set)


def test_dev_set_is_well_formed(dev_set: Path, items: list[LabelledText]) -> None:
    rows = [json.loads(line) for line in dev_set.read_text(encoding="utf-8").splitlines()]
    assert len(items) >= 150
    assert len({item.id for item in items}) == len(items)
    assert sum(1 for item in items if item.id.startswith("finnhub-merger-")) == 68
    for row in rows:
        expected = "test" if int(hashlib.sha256(row["id"].encode()).hexdigest(), 16) % 3 == 0 else "dev"
        assert row["split"] == expected, row["id"]
    counts = Counter(kind for item in items for kind in item.events)
    assert counts[EventType.ACQUISITION] >= 30 and counts[EventType.FUNDING] >= 10
    assert sum(1 for item in items if not item.events) >= 200


def test_every_item_the_offline_extractor_emits_on_the_dev_set_passes_grounding(items: list[LabelledText]) -> None:
    extractor = OfflineExtractor()
    dropped: list[tuple[str, str, str]] = []
    for item in items:
        doc = item.as_input()
        result = ground_document(extractor.extract(doc), doc)
        dropped.extend((item.id, d.path, d.reason.value) for d in result.dropped)
    assert dropped == []


# Measured when written (python -m agent.evaluate): core micro F1 0.984 on dev, 0.950 on test,
# 0.970 on all, precision 0.98 on all. The bounds sit a little under, so a rule change that costs
# more than a document or two fails here.
@pytest.mark.parametrize(
    ("split", "min_f1", "min_precision"), [("dev", 0.94, 0.95), ("test", 0.88, 0.9), (None, 0.93, 0.94)]
)
def test_offline_core_types_stay_above_the_measured_level(
    items: list[LabelledText], split: str | None, min_f1: float, min_precision: float
) -> None:
    chosen = [item for item in items if split is None or item.split == split]
    micro = score_items(chosen, extractor=OfflineExtractor(), types=CORE_TYPES).micro
    assert micro.f1 >= min_f1
    assert micro.precision >= min_precision


def test_offline_extractor_beats_the_keyword_baseline(items: list[LabelledText]) -> None:
    offline = score_items(items, extractor=OfflineExtractor(), types=CORE_TYPES).micro
    baseline = score_items(items, extractor=KeywordBaseline(), types=CORE_TYPES).micro
    # the baseline measured 0.43 F1 (precision 0.31) on all items when written
    assert baseline.f1 < 0.5 and baseline.precision < 0.4
    assert offline.f1 > baseline.f1 + 0.3


def test_prefilter_keeps_no_labelled_positive_away_and_a_third_of_the_texts(items: list[LabelledText]) -> None:
    away = [item for item in items if not is_relevant(item.as_input())]
    assert [item.id for item in away if item.events] == []
    assert 0.25 <= len(away) / len(items) <= 0.5  # measured 130 of 383 (33.9%) when written


# --- rebuilding the texts from the shared data -------------------------------------------------------------------------


def test_the_labels_file_keeps_no_text_and_every_article_follows_the_lead_paragraph_rule(shared_data: Path) -> None:
    rows = [json.loads(line) for line in DEFAULT_LABELS.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 383
    assert {key for row in rows for key in row} <= {"id", "events", "split", "ref", "notes"}
    bodies = json.loads((shared_data / "article-extraction-dev50" / "ground-truth.json").read_text(encoding="utf-8"))
    articles = [row["ref"] for row in rows if row["ref"]["source"] == "article"]
    assert len(articles) == 43
    assert [ref["paragraphs"] for ref in articles] == [
        count_lead_paragraphs(bodies[ref["id"]]["articleBody"]) for ref in articles
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (finnhub_text("Olo gets offer - proxy", ""), "Olo gets offer - proxy"),
        (finnhub_text("Acme buys Beta.", "LONDON, July  28 -- Acme"), "Acme buys Beta. LONDON, July  28 -- Acme"),
        (finnhub_text("Same", "Same"), "Same"),
        (finnhub_text("Wood&#039;s ARK", "<p>ARK  partners</p><p>with SOL</p>"), "Wood's ARK. ARK partners with SOL"),
        (finnhub_text("Avalon deal", "Its  Q&A unit"), "Avalon deal. Its Q&A unit"),
        (
            feed_text("<b>Slack</b> Market by Bendix ...", "A <b>Slack</b>&nbsp;report"),
            "Slack Market by Bendix . A Slack report",
        ),
        (feed_text("Dall-E 2", '<a href="https://x.test/c">Comments</a>'), "Dall-E 2"),
        (feed_text("T", "aaa bbb ccc", max_summary_chars=7), "T. aaa bbb"),
        (feed_text("T", "aaa bbb ccc", max_summary_chars=6), "T. aaa"),
        (article_text("p1\n\np2\n\np3", 2), "p1\n\np2"),
    ],
)
def test_text_rules(text: str, expected: str) -> None:
    assert text == expected


@pytest.mark.parametrize(
    ("lengths", "expected"),
    [
        ([600, 10], 1),  # the first paragraph alone reaches 500
        ([1200, 10], 1),  # and is kept whole even past 1,000
        ([100, 300, 200, 10], 3),  # 402 < 500, 604 >= 500
        ([100, 950], 1),  # the second paragraph would pass 1,000
        ([50, 60], 2),  # the whole body is short
    ],
)
def test_count_lead_paragraphs(lengths: list[int], expected: int) -> None:
    assert count_lead_paragraphs("\n\n".join("x" * n for n in lengths)) == expected


def _tiny_shared_data(root: Path) -> Path:
    folder = root / "finnhub-news-categories"
    folder.mkdir(parents=True)
    news = [{"id": 7, "datetime": 1753761900, "headline": "Acme buys Beta", "summary": "Acme said so."}]
    (folder / "news_merger.json").write_text(json.dumps(news), encoding="utf-8")
    return root


def _label(ref: dict[str, Any]) -> str:
    return json.dumps({"id": "finnhub-merger-7", "events": ["acquisition"], "split": "dev", "ref": ref})


def test_build_devset_rebuilds_the_row_icp_eval_reads(tmp_path: Path) -> None:
    shared = _tiny_shared_data(tmp_path / "shared")
    text = "Acme buys Beta. Acme said so."
    ref = {"source": "finnhub", "file": "news_merger.json", "item_id": 7, "text_sha256": text_digest(text)}
    labels = tmp_path / "labels.jsonl"
    labels.write_text(_label(ref) + "\n", encoding="utf-8")
    assert build_devset(shared, labels) == [
        {
            "id": "finnhub-merger-7",
            "text": text,
            "events": ["acquisition"],
            "split": "dev",
            "source": "finnhub/news_merger.json",
            "published_at": "2025-07-29T04:05:00+00:00",
        }
    ]


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ({"source": "finnhub", "file": "news_merger.json", "item_id": 7, "text_sha256": "0" * 16}, "differs"),
        ({"source": "finnhub", "file": "news_merger.json", "item_id": 8, "text_sha256": "0" * 16}, "no item 8"),
        ({"source": "finnhub", "file": "news_crypto.json", "item_id": 7, "text_sha256": "0" * 16}, "cannot read"),
        ({"source": "finnhub", "file": "../news_merger.json", "item_id": 7, "text_sha256": "0" * 16}, "labels.jsonl:1"),
        ({"source": "finnhub", "file": "news_merger.json", "item_id": 7, "text": "copied"}, "labels.jsonl:1"),
    ],
)
def test_build_devset_fails_loudly_when_a_text_cannot_be_rebuilt(
    tmp_path: Path, ref: dict[str, Any], message: str
) -> None:
    shared = _tiny_shared_data(tmp_path / "shared")
    labels = tmp_path / "labels.jsonl"
    labels.write_text(_label(ref) + "\n", encoding="utf-8")
    with pytest.raises(DevsetError, match=message):
        build_devset(shared, labels)
    with pytest.raises(DevsetError, match="shared data folder is missing"):
        build_devset(tmp_path / "nowhere", labels)
