"""Discovery run time and memory: an area of 5,000 and a register of 170,000 organisations.

The organisations come from the seeded sample-area generator (register-like names,
activities, classifications, incomes in NCVO proportions, networks and ties), replicated
over towns laid out on a grid for the national scale. Embeddings are "cached": the text
signal is given precomputed unit vectors (384-d, MiniLM's size, drawn so that organisations
of the same kind are similar), so the figure is the run on cached embeddings, as the issue
asks; ``--tfidf`` uses the built-in TF-IDF + LSA text signal instead.

Usage: ``python benchmarks/discovery.py [5000|170000 ...] [--engine local|dask|local,dask]
[--tfidf] [--iterations N]``. Without sizes: 5,000 on the local engine, then 170,000 on the
local engine and on ``--engine dask`` (a LocalCluster of 2 worker processes). Each run is a
fresh subprocess; it prints per stage seconds, the regions (and location links cut between
them), the resolution, candidates, the share of organisations in one, their mean cohesion,
the peak memory of the run's processes together (this one and its dask workers, sampled
every 0.2 s), the CPU seconds they used (a figure a busy machine inflates less than the
wall clock) and the machine's load average at the end.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import resource
import subprocess
import sys
import threading
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


class PeakMemory:
    """Peak resident memory of this process and its children (dask workers), sampled."""

    def __init__(self, every: float = 0.2) -> None:
        self.every = every
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.peak_mb = max(self.peak_mb, own)

    def _watch(self) -> None:
        try:
            import psutil  # installed with dask[distributed]; without it, only this process
        except ImportError:
            return
        me = psutil.Process()
        while not self._stop.wait(self.every):
            total = 0
            for proc in [me, *me.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    total += proc.memory_info().rss
            self.peak_mb = max(self.peak_mb, total / 2**20)


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (the dask workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_one(size: int, engine: str, tfidf: bool, iterations: int | None) -> str:
    """One discovery run of ``size`` organisations on ``engine``; its line of figures."""
    from swim.engine.discover import Discovery

    orgs, vectors = sample_organisations(size)
    marks: list[float] = []  # this process's CPU time as each stage starts
    cpu_before = _cpu_seconds()
    with PeakMemory() as memory:
        started = time.perf_counter()
        model = Discovery(n_iterations=iterations, engine=engine, dask_workers=2).fit(
            orgs,
            text_vectors=None if tfidf else vectors,
            progress=lambda *_: marks.append(time.process_time()),
        )
        seconds = time.perf_counter() - started
    peak = memory.peak_mb
    cpu = _cpu_seconds() - cpu_before
    own = ", ".join(f"{b - a:.0f}" for a, b in itertools.pairwise(marks))
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in model.timings_.items())
    text = "TF-IDF" if tfidf else "cached embeddings"
    mode = "auto" if iterations is None else iterations
    where = "local" if engine == "local" else "dask LocalCluster of 2 workers"
    regions = int(model.regions_.max()) + 1 if len(model.regions_) else 0
    gamma = "per region" if model.resolution_ is None else f"{model.resolution_:.4f}"
    covered = sum(len(c) for c, _ in model.candidates_) / max(1, len(orgs))
    cohesion = float(np.mean([p.cohesion for _, p in model.candidates_] or [0.0]))
    return (
        f"discovery {len(orgs):>7,} organisations ({text}, n_iterations={mode}, {where}): "
        f"{seconds:.1f} s [{stages}] ({cpu:.0f} CPU s; this process by stage: {own}), "
        f"{regions} regions "
        f"({model.cut_links_:,} location links cut), resolution {gamma}, "
        f"{len(model.candidates_):,} candidates covering {covered:.1%}, "
        f"mean cohesion {cohesion:.3f}, peak memory {peak:,.0f} MB (load {os.getloadavg()[0]:.1f})"
    )


def main() -> None:
    argv = sys.argv[1:]
    iterations: int | None = None
    if "--iterations" in argv:
        at = argv.index("--iterations")
        iterations = int(argv[at + 1])
        del argv[at : at + 2]
    engines: list[str] | None = None
    if "--engine" in argv:
        at = argv.index("--engine")
        engines = argv[at + 1].split(",")
        del argv[at : at + 2]
    tfidf = "--tfidf" in argv
    if "--child" in argv:
        size, engine = int(argv[1]), argv[2]
        print(run_one(size, engine, tfidf, iterations), flush=True)
        return
    sizes = [int(a) for a in argv if a.isdigit()]
    runs = [(size, engine) for size in sizes for engine in (engines or ["local"])]
    if not sizes:
        runs = [(5_000, "local"), *((170_000, e) for e in engines or ["local", "dask"])]
    for size, engine in runs:
        extra = [*(["--tfidf"] if tfidf else [])]
        extra += ["--iterations", str(iterations)] if iterations is not None else []
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(size), engine, *extra],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        print(out.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
