"""Extraction evaluation: the token metric on hand-made cases, the folder readers, and the real dev set."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from ingest.evaluate import (
    EvaluationError,
    evaluate_dir,
    evaluate_pages,
    evaluate_snippets,
    main,
    score_tokens,
    tokenize,
)


@pytest.mark.parametrize(
    ("predicted", "gold", "expected"),
    [
        ("the cat sat", "the cat sat", (1.0, 1.0, 1.0)),
        ("The cat, sat!", "the CAT sat", (1.0, 1.0, 1.0)),
        ("", "", (1.0, 1.0, 1.0)),
        ("", "the cat sat", (0.0, 0.0, 0.0)),
        ("the cat sat", "", (0.0, 0.0, 0.0)),
        ("dog runs", "the cat sat", (0.0, 0.0, 0.0)),
        # 2 shared of 4 predicted and 3 gold tokens: P = 1/2, R = 2/3, F1 = 4/7
        ("a b c d", "a b e", (0.5, 2 / 3, 4 / 7)),
        # multisets: "a" appears once in gold, so only one of three predicted "a" counts
        ("a a a", "a", (1 / 3, 1.0, 0.5)),
        # the gold doubled: everything predicted is right, half the gold is found
        ("x y", "x y x y", (1.0, 0.5, 2 / 3)),
    ],
)
def test_score_tokens_on_hand_made_cases(predicted: str, gold: str, expected: tuple[float, float, float]) -> None:
    assert score_tokens(predicted, gold) == pytest.approx(expected)


def test_tokenize_lowercases_and_splits_on_non_word_characters() -> None:
    assert tokenize("Über-Größe: 2024's  café\nDONE") == ["über", "größe", "2024", "s", "café", "done"]


def _pages_dir(tmp_path: Path, pages: dict[str, tuple[str, str]]) -> Path:
    (tmp_path / "html").mkdir()
    truth = {}
    for page_id, (html, gold) in pages.items():
        (tmp_path / "html" / f"{page_id}.html.gz").write_bytes(gzip.compress(html.encode()))
        truth[page_id] = {"articleBody": gold, "url": f"https://example.com/{page_id}"}
    (tmp_path / "ground-truth.json").write_text(json.dumps(truth))
    return tmp_path


def test_evaluate_pages_averages_over_pages_and_scores_failures_as_zero(tmp_path: Path) -> None:
    directory = _pages_dir(
        tmp_path,
        {"a": ("<p>alpha beta</p>", "alpha beta"), "b": ("<p>boom</p>", "gamma"), "c": ("<p>x</p>", "one two")},
    )

    def extract(data: bytes, url: str) -> str:
        if url.endswith("/b"):
            raise ValueError("cannot extract")
        return "alpha beta" if url.endswith("/a") else "one"

    report = evaluate_pages(directory, extract=extract)
    # a: perfect; b: failed -> 0; c: P=1, R=1/2, F1=2/3
    assert report.as_dict() == {"pages": 3, "precision": 0.6667, "recall": 0.5, "f1": 0.5556}
    failed = [score for score in report.scores if score.error]
    assert [(s.page_id, s.error) for s in failed] == [("b", "ValueError: cannot extract")]
    assert "failed extractions (scored 0): 1" in report.render_text()


def test_evaluate_pages_passes_the_raw_bytes_and_url_to_the_extractor(tmp_path: Path) -> None:
    directory = _pages_dir(tmp_path, {"p1": ("<html><body><p>Größe</p></body></html>", "Größe")})
    seen: list[tuple[bytes, str]] = []

    def extract(data: bytes, url: str) -> str:
        seen.append((data, url))
        return data.decode()

    evaluate_pages(directory, extract=extract)
    assert seen == [("<html><body><p>Größe</p></body></html>".encode(), "https://example.com/p1")]


def _snippets_dir(tmp_path: Path) -> Path:
    (tmp_path / "html").mkdir()
    (tmp_path / "html" / "one.html").write_text("<p>Main text here.</p>")
    (tmp_path / "html" / "two.html").write_text("<p>Other</p>")
    gold = {
        "https://one.example/": {"file": "one.html", "with": ["Main  text", "missing"], "without": ["Footer", "here."]},
        "https://two.example/": {"file": "two.html", "with": ["Other"], "without": []},
    }
    (tmp_path / "gold_subset.json").write_text(json.dumps(gold))
    return tmp_path


def test_evaluate_snippets_counts_found_and_absent_snippets(tmp_path: Path) -> None:
    report = evaluate_snippets(_snippets_dir(tmp_path), extract=lambda data, url: "Main\ntext here. Other")
    assert report.as_dict() == {
        "pages": 2,
        "with_found": 2,
        "with_total": 3,
        "with_share": 0.6667,
        "without_absent": 1,
        "without_total": 2,
        "without_share": 0.5,
    }
    assert [(s.url, s.with_found, s.without_absent) for s in report.scores] == [
        ("https://one.example/", 1, 1),
        ("https://two.example/", 1, 0),
    ]


def test_evaluate_dir_refuses_a_folder_without_gold(tmp_path: Path) -> None:
    with pytest.raises(EvaluationError):
        evaluate_dir(tmp_path)


def test_cli_prints_the_report_as_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    directory = _pages_dir(
        tmp_path, {"a": ("<html><body><article><p>alpha beta gamma</p></article></body></html>", "alpha beta gamma")}
    )
    assert main([str(directory), "--format", "json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert set(printed) == {"pages", "precision", "recall", "f1"} and printed["pages"] == 1


def test_cli_reports_an_unusable_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path)]) == 2
    assert "expected ground-truth.json" in capsys.readouterr().err


@pytest.mark.slow
def test_page_extraction_f1_on_the_dev_set_stays_above_the_guard(shared_data: Path) -> None:
    # Measured 0.971 (P 0.977, R 0.972) with parse_page; trafilatura's defaults measure 0.948.
    # 0.93 is a regression guard slightly under the measured figure, not the goal (>= 0.95).
    report = evaluate_pages(shared_data / "article-extraction-dev50")
    assert report.pages == 50
    assert report.f1 >= 0.93
    assert not [score for score in report.scores if score.error]


@pytest.mark.slow
def test_snippet_checks_on_company_and_press_pages_stay_above_the_guard(shared_data: Path) -> None:
    # Measured 147/161 wanted snippets found and 144/158 boilerplate snippets absent.
    report = evaluate_snippets(shared_data / "trafilatura-eval-sample")
    assert report.pages == 53
    assert report.with_share >= 0.88
    assert report.without_share >= 0.88
