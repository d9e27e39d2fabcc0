"""How fast ClusterFinder runs, and how much memory it takes, on synthetic kNN graphs.

Usage: ``python benchmarks/engine_communities.py [N ...] [--iterations K] [--regions R]``
(default 5000 and 170000 organisations, ``K`` = the estimator's default, -1 = until
stable; ``R``: cut the area into regions of at most R organisations and cluster them one
by one with one resolution, as ``Discovery`` does above 10,000 — the uniform synthetic
area is one "place", so every region boundary is a tiling cut, and ``cut`` is the share of
links dropped by the cuts).

Each size runs in a fresh subprocess so that peak memory (the process's maximum resident
set size) is the run's own. The graph is a random geometric one: organisations scattered
over a region whose area grows with N at a borough-like density (about 10 per km², so
5,000 fill 22 km x 22 km and 170,000 fill 130 km x 130 km), 15 nearest neighbours each,
Gaussian weights on distance, symmetrised; incomes log-normal (median £40k), 5% unknown,
3% unlocated. Prints: edges, the time to build the graph, the fit's time (resolution search
included), the resolution chosen, the candidates found and their median size, the share of
organisations in a candidate, memory (resident before the fit, and the peak by the end of
the fit), then the time to profile each candidate (``profile_clusters``) and the time of one
``partners_for`` call (mean of 20).
"""

from __future__ import annotations

import json
import math
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

K = 15
DENSITY_PER_KM2 = 10.0


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_one(n: int, iterations: int | None, region_size: int = 0) -> dict[str, float]:
    """Build one synthetic area of ``n`` organisations and time ClusterFinder on it.

    With ``region_size``, the area is cut into regions of at most that many organisations
    and clustered region by region with one resolution (what ``Discovery`` does).
    """
    import numpy as np
    from scipy import sparse
    from sklearn.neighbors import NearestNeighbors

    from swim.engine.communities import ClusterFinder, partners_for
    from swim.engine.data import Organisations
    from swim.engine.partition import RegionPartition, cluster_regions, split_regions
    from swim.engine.profile import profile_clusters

    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    side_km = (n / DENSITY_PER_KM2) ** 0.5
    xy = rng.random((n, 2)) * side_km
    dist, ind = NearestNeighbors(n_neighbors=K + 1).fit(xy).kneighbors(xy)
    scale = float(np.median(dist[:, 1:]))
    weights = np.exp(-((dist[:, 1:].ravel() / scale) ** 2) / 2)
    rows = np.repeat(np.arange(n), K)
    graph = sparse.csr_matrix((weights, (rows, ind[:, 1:].ravel())), shape=(n, n))
    graph = graph.maximum(graph.T).tocsr()
    lat = 52.0 + xy[:, 1] / 111.2
    lon = -1.5 + xy[:, 0] / (111.2 * np.cos(np.radians(52.0)))
    unlocated = rng.random(n) < 0.03
    lat[unlocated] = lon[unlocated] = np.nan
    income = np.exp(rng.normal(np.log(40_000), 1.5, n))
    income[rng.random(n) < 0.05] = np.nan
    orgs = Organisations(
        ids=[f"GB-TEST-{i}" for i in range(n)], names=[f"Org {i}" for i in range(n)],
        latitude=lat, longitude=lon, income=income, texts=[""] * n,
        classifications=[[] for _ in range(n)],
    )  # fmt: skip
    build = time.perf_counter() - t0
    before = _rss_mb()
    kwargs = {} if iterations is None else {"n_iterations": iterations}
    t0 = time.perf_counter()
    cut = 0.0
    if region_size:
        part = RegionPartition(region_size).fit(graph, orgs, graph)
        regions = split_regions(part.labels_, graph, orgs)
        clusters, gamma = cluster_regions(regions, {"n_iterations": 2, **kwargs})
        resolution = math.nan if gamma is None else gamma
        covered = sum(len(c) for c in clusters) / n
        cut = part.cut_links_ / (graph.nnz // 2)
    else:
        finder = ClusterFinder(**kwargs).fit(graph, orgs)
        clusters, resolution = finder.clusters_, finder.resolution_
        covered = float((finder.labels_ >= 0).mean())
    fit = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sizes = np.array([len(c) for c in clusters])
    t0 = time.perf_counter()
    profile_clusters(clusters, orgs, graph, {"location": graph})
    profile_ms = (time.perf_counter() - t0) / max(1, len(sizes)) * 1000
    t0 = time.perf_counter()
    for seed_index in range(0, n, n // 20):
        partners_for(graph, seed_index, orgs)
    partners_ms = (time.perf_counter() - t0) / 20 * 1000
    return {
        "n": n, "edges": graph.nnz // 2, "build_s": build, "fit_s": fit,
        "resolution": resolution, "clusters": len(sizes),
        "median_size": float(np.median(sizes)) if len(sizes) else 0.0,
        "covered": covered, "cut": cut,
        "rss_before_mb": before, "peak_rss_mb": peak,
        "profile_ms": profile_ms, "partners_ms": partners_ms,
    }  # fmt: skip


def main(argv: list[str]) -> None:
    if argv[:1] == ["--child"]:
        mode, regions = argv[2], int(argv[3])
        iterations = None if mode == "default" else int(mode)
        print(json.dumps(run_one(int(argv[1]), iterations, regions)))
        return
    mode = "default"
    if "--iterations" in argv:
        at = argv.index("--iterations")
        mode = argv[at + 1]
        argv = argv[:at] + argv[at + 2 :]
    regions = 0
    if "--regions" in argv:
        at = argv.index("--regions")
        regions = int(argv[at + 1])
        argv = argv[:at] + argv[at + 2 :]
    sizes = [int(a) for a in argv] or [5_000, 170_000]
    how = f", regions of at most {regions:,}" if regions else ", whole area"
    print(f"ClusterFinder on random geometric {K}-NN graphs, n_iterations={mode}{how}")
    head = f"{'orgs':>8} {'edges':>9} {'build s':>8} {'fit s':>7} {'gamma':>7} "
    head += f"{'clusters':>8} {'median':>6} {'covered':>7} {'cut':>5} {'RSS MB':>7} "
    print(head + f"{'peak MB':>7} {'profile ms':>10} {'partners ms':>11} {'load':>5}")
    for n in sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(n), mode, str(regions)],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        r = json.loads(out.strip().splitlines()[-1])
        print(
            f"{r['n']:>8,} {r['edges']:>9,} {r['build_s']:>8.1f} {r['fit_s']:>7.1f} "
            f"{r['resolution']:>7.3f} {r['clusters']:>8,} {r['median_size']:>6.0f} "
            f"{r['covered']:>7.1%} {r['cut']:>5.1%} {r['rss_before_mb']:>7.0f} "
            f"{r['peak_rss_mb']:>7.0f} {r['profile_ms']:>10.2f} {r['partners_ms']:>11.0f} "
            f"{os.getloadavg()[0]:>5.1f}"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
