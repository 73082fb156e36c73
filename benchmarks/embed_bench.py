"""Benchmark: throughput of the numpy MiniLM embedder, against the machine's BLAS peak and torch.

Embeds N chunks of about 200 words cut from the gold article bodies of
../shared/data/article-extraction-dev50 (replicated when N asks for more) and prints chunks/s,
tokens/s, peak RSS, achieved GFLOP/s against a float32 matmul measured in the same run, and, when
torch is at hand (in this interpreter or in the one given by --reference-python), the time that
sentence-transformers takes on the same texts.

FLOPs are counted analytically from each chunk's real wordpiece count n (hidden size h = 384,
6 layers): per layer the dense products cost 2·n·h·(3h + h + 4h + 4h) = 24·n·h² (fused QKV,
attention output, the two feed-forward products) and attention 2·(2·n²·h) (QKᵀ and PV over all
heads); softmax, GELU and LayerNorm are left out (O(n·h) and O(n²·heads) work, not multiply-adds).

    .venv/bin/python benchmarks/embed_bench.py --reference-python /path/to/venv-with-torch/bin/python
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.embeddings import MiniLmEmbedder, locate_minilm_dir  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "article-extraction-dev50" / "ground-truth.json"
HIDDEN, LAYERS = 384, 6

# Runs in the reference interpreter: sentence-transformers on torch, same texts, same batch size.
TORCH_SCRIPT = """
import json, sys, time
import torch
from sentence_transformers import SentenceTransformer
model_dir, texts_path, batch_size, check = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
texts = json.load(open(texts_path, encoding="utf-8"))
model = SentenceTransformer(model_dir, device="cpu")
model.encode(texts[:batch_size], batch_size=batch_size)
started, cpu = time.perf_counter(), time.process_time()
vectors = model.encode(texts, batch_size=batch_size, normalize_embeddings=True)
seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "threads": torch.get_num_threads(), "torch": torch.__version__,
                  "vectors": vectors[:check].tolist()}))
"""


def load_chunks(path: Path, *, count: int, words: int) -> list[str]:
    """Returns `count` chunks of about `words` words from the gold bodies, replicated if needed."""
    bodies = [entry["articleBody"] for _, entry in sorted(json.loads(path.read_text(encoding="utf-8")).items())]
    chunks = []
    for body in bodies:
        tokens = body.split()
        for start in range(0, len(tokens), words):
            piece = tokens[start : start + words]
            if len(piece) >= words // 4:
                chunks.append(" ".join(piece))
    if not chunks:
        raise SystemExit(f"no text found in {path}")
    return [chunks[i % len(chunks)] for i in range(count)]


def count_flops(token_counts: list[int]) -> float:
    """Returns the encoder's multiply-add FLOPs for chunks of these wordpiece counts (see the module docstring)."""
    n = np.asarray(token_counts, dtype=np.float64)
    return float(LAYERS * (24 * n * HIDDEN**2 + 4 * n**2 * HIDDEN).sum())


def measure_matmul_peak(*, size: int = 2048, repeats: int = 5, threads: int | None = None) -> float:
    """Returns the best float32 GFLOP/s of a size×size matmul (all BLAS threads, or `threads`)."""
    from threadpoolctl import ThreadpoolController

    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size), dtype=np.float32)
    b = rng.standard_normal((size, size), dtype=np.float32)
    out = np.empty_like(a)
    controller = ThreadpoolController()
    best = float("inf")
    with controller.limit(limits=threads, user_api="blas") if threads else contextlib.nullcontext():
        np.matmul(a, b, out=out)
        for _ in range(repeats):
            started = time.perf_counter()
            np.matmul(a, b, out=out)
            best = min(best, time.perf_counter() - started)
    return 2 * size**3 / best / 1e9


def run_torch_reference(python: str | None, texts: list[str], *, batch_size: int, check: int) -> dict[str, Any] | None:
    """Returns sentence-transformers' timing (and its first vectors) on the same texts, or None without torch."""
    model_dir = str(locate_minilm_dir())
    with tempfile.TemporaryDirectory() as folder:
        texts_path = Path(folder) / "texts.json"
        texts_path.write_text(json.dumps(texts), encoding="utf-8")
        interpreter = python
        if interpreter is None:
            if importlib.util.find_spec("sentence_transformers") is None:
                return None
            interpreter = sys.executable
        env = os.environ | {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
        done = subprocess.run(
            [interpreter, "-c", TORCH_SCRIPT, model_dir, str(texts_path), str(batch_size), str(check)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
    if done.returncode != 0:
        print(f"torch reference failed:\n{done.stderr[-2000:]}", file=sys.stderr)
        return None
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def describe_machine() -> str:
    """Returns cores, BLAS build and kernel, and the load average (the cores are shared)."""
    from threadpoolctl import threadpool_info

    blas = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    kernels = ", ".join(
        f"{i['internal_api']} {i.get('version')} {i.get('architecture')} x{i['num_threads']}" for i in blas
    )
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    coretype = os.environ.get("OPENBLAS_CORETYPE", "unset")
    return f"{os.cpu_count()} cores (shared with other jobs; load average {load}); BLAS: {kernels}; OPENBLAS_CORETYPE={coretype}"


def main(argv: list[str] | None = None) -> None:
    """Runs the benchmark and prints its figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=2000, help="number of chunks (default 2000)")
    parser.add_argument("--words", type=int, default=200, help="words per chunk (default 200)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="ground-truth.json with articleBody texts")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-batch-tokens", type=int, default=1024)
    parser.add_argument("--threads", type=int, default=None, help="worker threads (default: numpy's BLAS threads)")
    parser.add_argument("--reference-python", default=None, help="a Python with torch and sentence-transformers")
    args = parser.parse_args(argv)

    texts = load_chunks(args.data, count=args.n, words=args.words)
    print(describe_machine())
    embedder = MiniLmEmbedder(batch_size=args.batch_size, max_batch_tokens=args.max_batch_tokens, threads=args.threads)
    tokens = embedder.count_tokens(texts)
    flops = count_flops(tokens)
    print(
        f"{len(texts)} chunks of ~{args.words} words: {sum(tokens)} wordpieces "
        f"(mean {np.mean(tokens):.0f}, {sum(t == 256 for t in tokens)} cut at 256); "
        f"{flops / len(texts) / 1e9:.2f} GFLOP per chunk (analytic)"
    )
    embedder.embed(texts[:16])
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started, cpu = time.perf_counter(), time.process_time()
    vectors = embedder.embed(texts)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    achieved = flops / seconds / 1e9
    print(
        f"numpy MiniLM ({embedder.threads} workers): {seconds:.1f} s ({cpu:.1f} CPU-s), {len(texts) / seconds:.1f} chunks/s, "
        f"{sum(tokens) / seconds:,.0f} tokens/s, {achieved:.0f} GFLOP/s; "
        f"peak RSS {rss_peak:.0f} MiB (before the timed run {rss_before:.0f} MiB)"
    )
    peak_all = measure_matmul_peak()
    peak_one = measure_matmul_peak(threads=1)
    print(
        f"float32 2048² matmul: {peak_all:.0f} GFLOP/s with all BLAS threads, {peak_one:.0f} GFLOP/s with one; "
        f"the embedder reaches {100 * achieved / peak_all:.0f}% of the all-threads figure"
    )
    reference = run_torch_reference(args.reference_python, texts, batch_size=args.batch_size, check=64)
    if reference is None:
        print("torch reference: not run (no sentence-transformers here; pass --reference-python)")
        return
    theirs = np.asarray(reference["vectors"], dtype=np.float32)
    cosines = (theirs * vectors[: len(theirs)]).sum(axis=1)
    print(
        f"torch {reference['torch']} sentence-transformers ({reference['threads']} threads): "
        f"{reference['seconds']:.1f} s ({reference['cpu_seconds']:.1f} CPU-s), {len(texts) / reference['seconds']:.1f} chunks/s; "
        f"numpy takes {seconds / reference['seconds']:.2f}x torch's time "
        f"({cpu / reference['cpu_seconds']:.2f}x its CPU time); "
        f"cosine numpy vs torch on the first {len(theirs)} chunks: min {cosines.min():.6f}"
    )


if __name__ == "__main__":
    main()
