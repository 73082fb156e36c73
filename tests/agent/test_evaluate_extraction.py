"""Extraction evaluation arithmetic on a tiny hand-made labelled file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.evaluate import LabelledFileError, evaluate_extraction, load_labelled, prefilter_share
from agent.extractors import ExtractionInput
from agent.schemas import Event, Extraction
from scoring.domain import EventType


class ScriptedExtractor:
    """Returns the events scripted per document id and records which documents it saw."""

    name = "scripted"
    version = "1"

    def __init__(self, script: dict[str, list[tuple[str, str]]]) -> None:
        self.script = script
        self.seen: list[str] = []

    def extract(self, doc: ExtractionInput) -> Extraction:
        self.seen.append(doc.document_id)
        events = [
            Event(type=EventType(kind), summary="scripted", quote=quote)
            for kind, quote in self.script.get(doc.document_id, [])
        ]
        return Extraction(events=events)


ROWS = [
    {"id": "d1", "text": "Acme raised $5 million.", "events": ["funding"], "split": "dev"},
    {
        "id": "d2",
        "text": "Globex raised money and bought Initech.",
        "events": ["funding", "acquisition"],
        "split": "dev",
        "notes": "x",
    },
    {"id": "d3", "text": "Nothing happened here.", "events": [], "split": "test", "source": "hand"},
    {"id": "d4", "text": "Hooli completed its acquisition of Pied Piper.", "events": ["acquisition"], "split": "test"},
    {
        "id": "d5",
        "text": "Shares of Acme rose after earnings.",
        "events": [],
        "published_at": "2025-07-28T10:00:00+00:00",
    },
]
SCRIPT = {
    "d1": [("funding", "Acme raised $5 million")],  # TP funding
    "d2": [
        ("acquisition", "bought Initech"),
        ("ipo", "Globex raised money"),
    ],  # FN funding, TP acquisition, ipo not labelled anywhere
    "d3": [("funding", "Acme raised $40 million")],  # quote not in the text: grounding drops it, so no FP
    "d5": [("funding", "Shares of Acme rose")],  # FP funding
}


@pytest.fixture
def labelled_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.jsonl"
    path.write_text("\n".join(json.dumps(row) for row in ROWS) + "\n\n", encoding="utf-8")
    return path


def test_as_dict_counts_only_labelled_types_after_grounding(labelled_file: Path) -> None:
    report = evaluate_extraction(labelled_file, extractor=ScriptedExtractor(SCRIPT))
    # funding: TP d1, FN d2, FP d5 -> P 1/2, R 1/2. acquisition: TP d2, FN d4 -> P 1, R 1/2.
    # micro: TP 2, FP 1, FN 2 -> P 2/3, R 1/2, F1 4/7.
    assert report.as_dict() == {
        "types": {
            "funding": {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2},
            "acquisition": {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "support": 2},
        },
        "micro": {"precision": 0.6667, "recall": 0.5, "f1": 0.5714},
    }
    assert report.dropped_items == 1
    assert report.documents == 5


def test_split_selects_items_and_their_label_types(labelled_file: Path) -> None:
    extractor = ScriptedExtractor(SCRIPT)
    report = evaluate_extraction(labelled_file, extractor=extractor, split="test")
    assert extractor.seen == ["d3", "d4"]
    assert report.as_dict() == {
        "types": {"acquisition": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}},
        "micro": {"precision": 0.0, "recall": 0.0, "f1": 0.0},
    }


def test_types_option_restricts_scoring(labelled_file: Path) -> None:
    report = evaluate_extraction(
        labelled_file, extractor=ScriptedExtractor(SCRIPT), types=[EventType.ACQUISITION, EventType.IPO]
    )
    assert list(report.as_dict()["types"]) == ["acquisition"]
    assert report.as_dict()["micro"] == {"precision": 1.0, "recall": 0.5, "f1": 0.6667}


def test_render_text_shows_every_type_and_the_micro_line(labelled_file: Path) -> None:
    text = evaluate_extraction(labelled_file, extractor=ScriptedExtractor(SCRIPT)).render_text()
    lines = text.splitlines()
    assert lines[0] == "extractor scripted: 5 documents, 1 items dropped by grounding"
    assert [line.split()[0] for line in lines[2:]] == ["funding", "acquisition", "micro"]
    assert lines[-1].split()[1:] == ["0.667", "0.500", "0.571", "4", "2", "1", "2"]


def test_an_extractor_failing_on_one_text_is_recorded_not_fatal(labelled_file: Path) -> None:
    class Broken(ScriptedExtractor):
        def extract(self, doc: ExtractionInput) -> Extraction:
            if doc.document_id == "d1":
                raise RuntimeError("boom")
            return super().extract(doc)

    report = evaluate_extraction(labelled_file, extractor=Broken(SCRIPT))
    assert report.errors == ["d1: RuntimeError: boom"]
    assert report.as_dict()["types"]["funding"]["support"] == 2


def test_optional_keys_are_read_or_ignored(labelled_file: Path) -> None:
    items = load_labelled(labelled_file)
    assert [i.id for i in items] == ["d1", "d2", "d3", "d4", "d5"]
    assert items[4].published_at is not None and items[4].published_at.isoformat() == "2025-07-28T10:00:00+00:00"
    assert items[1].events == frozenset({EventType.FUNDING, EventType.ACQUISITION})


@pytest.mark.parametrize(
    "line",
    [
        '{"id": "x", "text": "t", "events": ["merger"]}',
        '{"id": "x", "events": []}',
        '["not", "an", "object"]',
        "{broken json",
    ],
)
def test_a_bad_line_names_its_line_number(tmp_path: Path, line: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(ROWS[0]) + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(LabelledFileError, match=r"bad\.jsonl:2:"):
        load_labelled(path)


def test_prefilter_share_counts_documents_kept_away(labelled_file: Path) -> None:
    away, total = prefilter_share(labelled_file, is_relevant=lambda doc: "raised" in doc.text)
    assert (away, total) == (3, 5)
