"""A discovery run of 5,000 organisations through SWiM with cached sentence embeddings.

Builds the seeded sample area at 5,000 organisations in a throw-away database, fills the
per-organisation embedding cache (``OrganisationEmbedding``) with ``do_embed_organisations``
— real all-MiniLM-L6-v2 by default, or ``--fake`` random unit vectors to skip the model —
then times a run through ``do_run_discovery`` (the same action the background task calls):
loading the cached vectors from the database, and the whole run, stage by stage.

Usage: ``python benchmarks/discovery_cached_embeddings.py [sqlite|postgresql ...]
[--size N] [--fake] [--file-cache PATH]``. Each database kind runs in its own process.
``--file-cache PATH`` keeps MiniLM's vectors in an ``.npz`` (``EmbeddingCache``) so that a
second run, or the other database, fills its cache without encoding again (the fill time
printed is then the file's, not MiniLM's).
"""

from __future__ import annotations

import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._django import fresh_database, run_in_subprocess

ENGINE = {"min_size": 4, "max_size": 12, "max_span_km": 5.0, "max_income_share": 0.5,
          "radius_km": 3.0, "seed": 0}  # fmt: skip


class RandomEncoder:
    """Unit vectors of MiniLM's size, without the model (``--fake``)."""

    model_name = "sentence-transformers/all-MiniLM-L6-v2"
    dimension = 384

    def __init__(self) -> None:
        self.rng = np.random.default_rng(0)

    def encode(self, texts: list[str]) -> np.ndarray:
        v = self.rng.normal(size=(len(texts), self.dimension)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)


class FileCachedEncoder:
    """MiniLM behind an ``EmbeddingCache`` kept in a file (``--file-cache``)."""

    def __init__(self, encoder: object, path: Path) -> None:
        from swim.engine.embeddings import EmbeddingCache

        self.encoder = encoder
        self.path = path
        self.cache = EmbeddingCache.load(path) if path.exists() else EmbeddingCache()
        self.model_name = encoder.model_name  # type: ignore[attr-defined]
        self.computed = 0

    @property
    def dimension(self) -> int:
        return int(self.encoder.dimension)  # type: ignore[attr-defined]

    def encode(self, texts: list[str]) -> np.ndarray:
        from swim.engine.embeddings import encode_cached

        vectors, computed = encode_cached(self.encoder, texts, self.cache)  # type: ignore[arg-type]
        self.computed += computed
        if computed:
            self.cache.save(self.path)
        return vectors


def bench(kind: str, size: int, fake: bool, file_cache: str = "") -> None:
    os.environ["SWIM_TEXT_MODEL"] = "auto"
    with fresh_database(kind):
        from swim.directory.models import Organisation
        from swim.directory.sample import generate_sample_area, write_sample_area
        from swim.discovery import actions, text_vectors
        from swim.discovery.actions import do_create_run, do_embed_organisations, do_run_discovery
        from swim.discovery.inputs import active_keys, organisations_for

        write_sample_area(generate_sample_area(size=size))
        encoder: object = RandomEncoder() if fake else text_vectors.text_encoder()
        if file_cache and not fake:
            encoder = FileCachedEncoder(encoder, Path(file_cache))
        if fake:
            text_vectors.missing_packages = lambda: []  # type: ignore[assignment]
            actions.text_encoder = lambda: encoder  # type: ignore[assignment]
        started = time.perf_counter()
        summary = do_embed_organisations(Organisation.objects.all(), encoder=encoder)  # type: ignore[arg-type]
        encode = time.perf_counter() - started
        rate = summary.encoded / encode if encode else 0
        what = "random vectors (--fake)" if fake else "all-MiniLM-L6-v2"
        if isinstance(encoder, FileCachedEncoder):
            what += f" ({encoder.computed:,} texts encoded, the rest read from {file_cache})"
        print(f"[{kind}] cache filled with {what}: {summary} — {rate:,.0f} organisations/s")

        area = Organisation.objects.all()
        orgs, pks, _ = organisations_for(area)
        started = time.perf_counter()
        cached = text_vectors.cached_vectors(active_keys(area), pks, orgs.texts, encoder.model_name)
        matrix = cached.matrix()
        load = time.perf_counter() - started
        fresh = cached.n - len(cached.missing)
        print(
            f"[{kind}] load {fresh:,} cached vectors {matrix.shape} from the database: "
            f"{load * 1000:.0f} ms ({len(cached.missing)} missing)"
        )

        run = do_create_run(by=None, mode="area", filters={}, engine=ENGINE)
        started = time.perf_counter()
        do_run_discovery(run)
        seconds = time.perf_counter() - started
        stages = ", ".join(f"{k} {v:.2f}" for k, v in run.timings.items())
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"[{kind}] discovery run of {run.organisations_considered:,} organisations "
            f"({run.get_text_method_display()}): {seconds:.2f} s [{stages}], "
            f"{run.candidates.count():,} candidates, status {run.status}, "
            f"peak memory {peak:,.0f} MB"
        )
        print(f"[{kind}] load average {os.getloadavg()[0]:.2f} (2 cores)")


def main() -> None:
    argv = sys.argv[1:]
    size = 5_000
    if "--size" in argv:
        at = argv.index("--size")
        size = int(argv[at + 1])
        del argv[at : at + 2]
    file_cache = ""
    if "--file-cache" in argv:
        at = argv.index("--file-cache")
        file_cache = argv[at + 1]
        del argv[at : at + 2]
    fake = "--fake" in argv
    kinds = [a for a in argv if a in {"sqlite", "postgresql"}]
    if len(kinds) == 1:
        bench(kinds[0], size, fake, file_cache)
        return
    extra = ["--size", str(size)] + (["--fake"] if fake else [])
    extra += ["--file-cache", file_cache] if file_cache else []
    for kind in kinds or ["sqlite", "postgresql"]:
        run_in_subprocess(Path(__file__), kind, *extra)


if __name__ == "__main__":
    main()
