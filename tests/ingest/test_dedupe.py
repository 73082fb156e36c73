"""Exact and near-duplicate detection: hashes, MinHash signatures, story clusters."""

from __future__ import annotations

import itertools
import json
import random
import re
import tracemalloc
from collections import defaultdict
from pathlib import Path

import feedparser
import lxml.html
import numpy as np
import pytest

from ingest.dedupe import (
    _BLOCK,
    _PERM_A,
    _PERM_B,
    NUM_PERM,
    DedupeError,
    NearDupIndex,
    _shingle_hashes,
    cluster_all,
    content_hash,
    normalize_text,
    signature,
    signature_from_bytes,
    signature_to_bytes,
    similarity,
)

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "dedupe" / "stories.json"
FEEDS = Path("rss-feeds") / "feedjira"


@pytest.fixture(scope="module")
def stories() -> list[dict[str, str]]:
    items: list[dict[str, str]] = json.loads(FIXTURE.read_text("utf-8"))["items"]
    return items


def _expected_clusters(stories: list[dict[str, str]]) -> dict[str, str]:
    first: dict[str, str] = {}
    for item in sorted(stories, key=lambda s: s["id"]):
        first.setdefault(item["story"], item["id"])
    return {item["id"]: first[item["story"]] for item in stories}


def _pair_scores(predicted: dict[str, str], truth: dict[str, str]) -> tuple[float, float]:
    tp = fp = fn = 0
    for a, b in itertools.combinations(sorted(truth), 2):
        same_pred, same_true = predicted[a] == predicted[b], truth[a] == truth[b]
        tp += same_pred and same_true
        fp += same_pred and not same_true
        fn += same_true and not same_pred
    return tp / (tp + fp), tp / (tp + fn)


def _feed_texts(path: Path) -> list[str]:
    parsed = feedparser.parse(path.read_bytes())
    texts = []
    for entry in parsed.entries:
        html = entry.content[0].value if entry.get("content") else entry.get("summary", "")
        texts.append(lxml.html.fromstring(html).text_content() if html.strip() else "")
    return texts


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Acme raised $40M.", "acme   RAISED $40m."),
        ("Line one\nline two", "line one line two"),
        ("  padded  ", "padded"),
        ("ﬁnance", "finance"),
    ],
)
def test_content_hash_ignores_case_and_whitespace(a: str, b: str) -> None:
    assert content_hash(a) == content_hash(b)
    assert re.fullmatch(r"[0-9a-f]{64}", content_hash(a))


def test_content_hash_changes_with_the_words() -> None:
    assert content_hash("Acme raised $40M.") != content_hash("Acme raised $41M.")


def test_normalize_text_collapses_whitespace_and_folds_case() -> None:
    assert normalize_text("  Straße\t\nNEWS ") == "strasse news"


def test_signature_is_deterministic_and_fixed_size() -> None:
    text = "Acme Robotics has raised forty million dollars in a Series B round led by Sequoia Capital."
    sig = signature(text)
    assert sig == signature(text)
    assert len(sig) == NUM_PERM
    assert all(0 <= v < 2**32 for v in sig)


def _one_shot_signature(text: str) -> tuple[int, ...]:
    """The MinHash over all shingles in one NUM_PERM x shingles matrix: the definition blocks must match."""
    shingles = _shingle_hashes(text)
    mixed = np.multiply.outer(_PERM_A, shingles) + _PERM_B[:, None]
    return tuple((mixed.min(axis=1) >> np.uint64(32)).tolist())


def _random_words(count: int, *, seed: int) -> str:
    rng = random.Random(seed)
    return " ".join(f"w{rng.randrange(50_000)}" for _ in range(count))


def _random_cjk(count: int, *, seed: int) -> str:
    rng = random.Random(seed)
    return "".join(chr(0x4E00 + rng.randrange(3000)) for _ in range(count))


@pytest.mark.parametrize(
    "text",
    [
        _random_words(_BLOCK - 2, seed=1),  # exactly one full block of shingles
        _random_words(3 * _BLOCK + 17, seed=2),  # three full blocks and a partial one
        _random_cjk(2 * _BLOCK + 500, seed=3),
    ],
    ids=["one-block", "partial-last-block", "cjk"],
)
def test_signature_by_blocks_equals_the_one_shot_minhash(text: str) -> None:
    assert _shingle_hashes(text).size > _BLOCK - 10
    assert signature(text) == _one_shot_signature(text)


def test_signature_of_a_long_cjk_page_stays_within_a_memory_bound() -> None:
    text = _random_cjk(200_000, seed=4)
    assert _shingle_hashes(text).size > 150_000  # one-shot would need 256 x that x 8 bytes, over 300 MB
    tracemalloc.start()
    try:
        signature(text)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024 * 1024


def test_signature_round_trips_through_bytes() -> None:
    sig = signature("Acme Robotics has raised forty million dollars in a Series B round led by Sequoia.")
    data = signature_to_bytes(sig)
    assert len(data) == NUM_PERM * 4
    assert signature_from_bytes(data) == sig


def test_malformed_stored_signature_is_refused() -> None:
    with pytest.raises(DedupeError):
        signature_from_bytes(b"\x00" * 10)
    with pytest.raises(DedupeError):
        NearDupIndex().add_signature("x", (1, 2, 3))


def test_similarity_is_one_for_equal_texts_and_low_for_unrelated_ones() -> None:
    a = "Acme Robotics has raised forty million dollars in a Series B round led by Sequoia Capital today."
    b = "The city council voted on Tuesday to extend the opening hours of all public libraries in winter."
    assert similarity(signature(a), signature(a)) == 1.0
    assert similarity(signature(a), signature(b)) < 0.05


@pytest.mark.parametrize("text", ["", "   ", "Comments", "Read more here."])
def test_texts_too_short_to_compare_never_cluster(text: str) -> None:
    index = NearDupIndex()
    assert index.add("first", text) == "first"
    assert index.add("second", text) == "second"
    assert similarity(signature(text), signature(text)) == 0.0


def test_fixture_stories_cluster_exactly_by_event(stories: list[dict[str, str]]) -> None:
    truth = _expected_clusters(stories)
    predicted = cluster_all([(s["id"], s["text"]) for s in stories])
    assert predicted == truth
    assert _pair_scores(predicted, truth) == (1.0, 1.0)


def test_fixture_has_one_cluster_with_ten_outlets(stories: list[dict[str, str]]) -> None:
    predicted = cluster_all([(s["id"], s["text"]) for s in stories])
    sizes: defaultdict[str, int] = defaultdict(int)
    for cluster in predicted.values():
        sizes[cluster] += 1
    assert sizes["acme-series-b-bayareabiz"] == 10


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_cluster_all_does_not_depend_on_input_order(stories: list[dict[str, str]], seed: int) -> None:
    items = [(s["id"], s["text"]) for s in stories]
    shuffled = items[:]
    random.Random(seed).shuffle(shuffled)
    assert cluster_all(shuffled) == cluster_all(items)


def test_incremental_index_names_clusters_after_their_first_document(stories: list[dict[str, str]]) -> None:
    index = NearDupIndex()
    ordered = sorted(stories, key=lambda s: s["id"])
    assigned = {s["id"]: index.add(s["id"], s["text"]) for s in ordered}
    assert assigned == _expected_clusters(stories)
    assert index.members("hooli-layoffs-blog") == [s["id"] for s in ordered if s["story"] == "hooli-layoffs"]


def test_adding_a_document_twice_keeps_its_cluster(stories: list[dict[str, str]]) -> None:
    index = NearDupIndex()
    first = index.add("a", stories[0]["text"])
    assert index.add("a", "something else entirely, long enough to have its own shingles here") == first
    assert len(index) == 1


def test_restored_index_keeps_stored_cluster_ids_and_grows_them(stories: list[dict[str, str]]) -> None:
    acme = [s for s in stories if s["story"] == "acme-series-b"]
    stored = [(s["id"], signature_to_bytes(signature(s["text"])), "cluster-from-db") for s in acme[:5]]
    index = NearDupIndex.from_signatures((doc_id, signature_from_bytes(data), cid) for doc_id, data, cid in stored)
    assert {index.cluster_of(s["id"]) for s in acme[:5]} == {"cluster-from-db"}
    assert index.add(acme[5]["id"], acme[5]["text"]) == "cluster-from-db"
    other = next(s for s in stories if s["story"] == "globex-initech")
    assert index.add(other["id"], other["text"]) == other["id"]


def test_restoring_without_cluster_ids_clusters_in_the_given_order(stories: list[dict[str, str]]) -> None:
    hooli = sorted((s for s in stories if s["story"] == "hooli-layoffs"), key=lambda s: s["id"])
    index = NearDupIndex.from_signatures((s["id"], signature(s["text"]), None) for s in hooli)
    assert {index.cluster_of(s["id"]) for s in hooli} == {hooli[0]["id"]}


def test_nearest_lists_similar_documents_without_adding(stories: list[dict[str, str]]) -> None:
    index = NearDupIndex()
    for s in stories:
        index.add(s["id"], s["text"])
    query = next(s for s in stories if s["id"] == "globex-initech-techbrief")
    hits = index.nearest(query["text"])
    assert hits[0] == ("globex-initech-techbrief", 1.0)
    assert {doc_id for doc_id, _ in hits} <= {s["id"] for s in stories if s["story"] == "globex-initech"}
    assert len(index) == len(stories)


def test_threshold_must_be_a_fraction() -> None:
    with pytest.raises(ValueError):
        NearDupIndex(threshold=0)


def test_lsh_compares_each_new_document_with_few_others() -> None:
    rng = random.Random(5)
    vocabulary = [f"w{i}" for i in range(5000)]
    index = NearDupIndex()
    for i in range(2000):
        index.add(f"d{i}", " ".join(rng.choice(vocabulary) for _ in range(120)))
    # A linear scan would make ~2 million comparisons; buckets keep it to a handful per document.
    assert index.comparisons < 2000 * 5


def test_versions_of_one_feed_cluster_post_by_post(shared_data: Path) -> None:
    names = ["PaulDixExplainsNothing.xml", "PaulDixExplainsNothingAlternate.xml", "PaulDixExplainsNothingWFW.xml"]
    items = [(f"{name}#{i}", text) for name in names for i, text in enumerate(_feed_texts(shared_data / FEEDS / name))]
    assert len(items) == 15
    clusters = cluster_all(items)
    assert clusters == {doc_id: f"{names[0]}#{doc_id.rsplit('#', 1)[1]}" for doc_id, _ in items}


def test_distinct_posts_of_one_blog_stay_apart(shared_data: Path) -> None:
    texts = _feed_texts(shared_data / FEEDS / "DuplicateContentAtomFeed.xml")
    assert len(texts) == 10
    clusters = cluster_all([(str(i), text) for i, text in enumerate(texts)])
    assert len(set(clusters.values())) == 10


def test_templated_insider_sale_alerts_are_a_known_false_merge(shared_data: Path) -> None:
    texts = _feed_texts(shared_data / FEEDS / "google_alerts_atom.xml")
    clusters = cluster_all([(f"{i:02d}", text) for i, text in enumerate(texts)])
    # Entries 2 and 17: the same insider, the same share count, two different trade dates.
    assert "July 5th" in texts[2] and "June 28th" in texts[17]
    assert clusters["02"] == clusters["17"]
    # Unrelated alerts (auto parts reports, a baseball report) stay on their own.
    assert len({clusters["00"], clusters["11"], clusters["19"]}) == 3
