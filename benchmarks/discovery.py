"""Discovery run time and memory: an area of 5,000 and a register of 170,000 organisations.

The organisations come from the seeded sample-area generator (register-like names,
activities, classifications, incomes in NCVO proportions, networks and ties), replicated
over towns laid out on a grid for the national scale. Embeddings are "cached": the text
signal is given precomputed unit vectors (384-d, MiniLM's size, drawn so that organisations
of the same kind are similar), so the figure is the run on cached embeddings, as the issue
asks; ``--tfidf`` uses the built-in TF-IDF + LSA text signal instead.

Usage: ``python benchmarks/discovery.py [5000|170000 ...] [--tfidf] [--iterations N]``.
Prints per stage seconds, candidates, and the process's peak memory.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
from scipy import sparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "swim.settings")

BLOCK = 5_000


def sample_organisations(size: int, seed: int = 0) -> tuple[object, np.ndarray]:
    """An ``Organisations`` of ``size`` rows and cached text vectors for it."""
    import django

    django.setup()  # the generator lives in the directory app (it only needs settings)
    from swim.directory.sample import generate_sample_area
    from swim.engine.data import Organisations

    area = generate_sample_area(seed=seed, size=min(size, BLOCK))
    copies = -(-size // len(area.organisations))
    rng = np.random.default_rng(seed)
    kinds = sorted({o.kind for o in area.organisations})
    centres = rng.normal(size=(len(kinds), 384))
    ids, names, lat, lon, income, texts, codes, networks = [], [], [], [], [], [], [], []
    vectors = []
    rows, cols, vals = [], [], []
    for copy in range(copies):
        dlat, dlon = 0.25 * (copy // 6), 0.4 * (copy % 6)
        offset = copy * len(area.organisations)
        for o in area.organisations:
            ids.append(f"XI-BENCH-{copy}-{o.number}")
            names.append(o.name)
            lat.append(o.latitude + dlat)
            lon.append(o.longitude + dlon)
            income.append(np.nan if o.income is None else float(o.income))
            texts.append(o.activities)
            codes.append([f"{s}:{c}" for s, c in o.classifications])
            networks.append([])
            v = centres[kinds.index(o.kind)] + rng.normal(scale=1.2, size=384)
            vectors.append(v / np.linalg.norm(v))
        for network in area.networks:
            for number, _role in network.members:
                networks[offset + number - 1].append(f"{network.name} ({copy})")
        for tie in area.ties:
            rows.append(offset + tie.a - 1)
            cols.append(offset + tie.b - 1)
            vals.append(1.0)
    n = len(ids)
    ties = sparse.coo_matrix((vals, (rows, cols)), shape=(n, n)).tocsr()
    ties = ties + ties.T
    orgs = Organisations(
        ids=ids[:size],
        names=names[:size],
        latitude=np.array(lat[:size]),
        longitude=np.array(lon[:size]),
        income=np.array(income[:size]),
        texts=texts[:size],
        classifications=codes[:size],
        ties=ties[:size, :size].tocsr(),
        networks=networks[:size],
    )
    return orgs, np.asarray(vectors[:size], dtype=np.float32)


def main() -> None:
    argv = sys.argv[1:]
    iterations: int | None = None
    if "--iterations" in argv:
        at = argv.index("--iterations")
        iterations = int(argv[at + 1])
        del argv[at : at + 2]
    tfidf = "--tfidf" in argv
    sizes = [int(a) for a in argv if a.isdigit()] or [5_000, 170_000]
    from swim.engine.discover import Discovery

    for size in sizes:
        orgs, vectors = sample_organisations(size)
        started = time.perf_counter()
        model = Discovery(n_iterations=iterations).fit(
            orgs, text_vectors=None if tfidf else vectors
        )
        seconds = time.perf_counter() - started
        stages = ", ".join(f"{k} {v:.1f} s" for k, v in model.timings_.items())
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        text = "TF-IDF" if tfidf else "cached embeddings"
        mode = "auto" if iterations is None else iterations
        print(
            f"discovery {len(orgs):>7,} organisations ({text}, n_iterations={mode}): "
            f"{seconds:.1f} s [{stages}], {len(model.candidates_):,} candidates, "
            f"peak memory {peak:,.0f} MB"
        )


if __name__ == "__main__":
    main()
