"""Candidate clusters: Leiden communities of the similarity graph, cut to SWiM's constraints.

:class:`ClusterFinder` turns the combined similarity ``graph`` (from
:mod:`swim.engine.signals`) into candidate clusters a facilitator could convene: groups of a
workable size, close enough to meet, of comparable scale, and held together by the graph.
:func:`partners_for` answers the narrower question "who could this organisation cluster
with?".

How it works
------------
1. **Communities.** igraph's Leiden algorithm with the Constant Potts Model (CPM). Under CPM
   a group stays together when its internal edge weight per pair exceeds the resolution
   ``gamma``, so ``gamma`` sets the density a candidate must reach and, through it, the size
   of the communities.
2. **Resolution** (when ``resolution=None``). A search on a logarithmic grid of ``gamma``
   (from 0.8 x the largest edge weight down to 1/1000 of it), scored by the share of
   organisations that land in a community of acceptable size (``min_size`` to
   ``max_size``). The grid is scanned from high ``gamma`` (tiny communities) down and stops
   once the score has fallen below half its best (communities have grown too large). Equal
   scores (common on small graphs, where both a split and a merged partition can be of
   acceptable size) are broken by the partition's modularity, which prefers the natural
   grouping to an arbitrary split or merge. The best ``gamma`` is then refined twice by
   evaluating the geometric midpoints with its neighbours on the grid. Search runs use two
   Leiden iterations (the size distribution is settled by then); the final partition uses
   ``n_iterations``. :func:`search_resolution` runs the same search alone: a large area
   cut into regions (:mod:`swim.engine.partition`) searches once, on a sample of its
   regions, and gives that resolution to every region.
3. **Constraints**, applied to every community until none changes (each step only splits
   or shrinks a group, so this ends):

   * *connected*: a group whose members are not connected through ``graph`` is split into
     its connected components;
   * *size*: a group above ``max_size`` is split by Leiden on its own subgraph at a doubled
     resolution (up to six doublings), or, when that only shatters it (a near-uniform
     clique), by spectral bisection (median split of the Fiedler vector);
   * *span*: a group whose located members are more than ``max_span_km`` apart is split by
     complete-linkage clustering of their haversine distances cut at ``max_span_km`` (which
     bounds every piece's largest pairwise distance); members without coordinates follow
     the piece they are most strongly linked to;
   * *scale balance*: while one member holds more than ``max_income_share`` of the
     combined known income (judged when at least three incomes are known) the largest is
     removed — a large charity does not join a cluster of small ones;
   * groups below ``min_size`` are dissolved.

   Organisations left over (dissolved groups, removed members) are then offered, one by
   one, to the adjacent candidate with the largest CPM gain ``w(v, C) - gamma * |C|``; a
   member joins only when that gain is positive and the candidate still meets every
   constraint afterwards.
4. **Overlap** (``max_memberships = k > 1``). Extra passes re-run Leiden with one signal
   emphasised at a time (each edge weighted by ``0.5 + signal``, rescaled to the same mean,
   so the resolution keeps its meaning) and at half and double the resolution; their
   candidates pass the same constraints. They are then offered in order of cohesion: an
   organisation already in ``k`` accepted candidates is removed from the offer (the rest is
   re-checked), and a candidate is kept only when it differs enough from every accepted
   one (Jaccard similarity of members below 0.5).

Determinism
-----------
igraph's Leiden draws its random numbers from igraph's process-wide generator. Every Leiden
call here installs a fresh ``random.Random(seed)`` as that generator (under a lock, so two
of these calls in different threads cannot interleave) and puts Python's ``random`` module —
igraph's default — back afterwards. Each call's result therefore depends only on the graph,
the resolution and the seed, not on how many calls came before, and the global ``random``
state is neither used nor changed. Every other step (grid, splits, linkage, absorption
order, sorting) is deterministic. (Other code drawing on igraph's randomness from another
thread during a fit would share the generator; nothing in SWiM does.)
"""

from __future__ import annotations

import math
import random
import threading
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import igraph
import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.sparse import csgraph

from swim.engine.data import FloatArray, IntArray, Organisations

__all__ = [
    "ClusterFinder",
    "haversine_km",
    "income_shares",
    "pairwise_km",
    "partners_for",
    "search_resolution",
    "span_km",
    "submatrix",
]

EARTH_RADIUS_KM = 6371.0088
#: Leiden iterations used while searching the resolution (the size distribution is settled).
SEARCH_ITERATIONS = 2
#: The scale-balance rule is judged only when at least this many members' incomes are known:
#: with two (a £30k member and a £20k one) "dominant" would just mean "the larger".
MIN_KNOWN_INCOMES = 3
#: Candidates from extra passes must differ at least this much from accepted ones.
MAX_OVERLAP_JACCARD = 0.5

_IGRAPH_RNG_LOCK = threading.Lock()


# --- Geography and scale ----------------------------------------------------------------


def haversine_km(
    lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike
) -> FloatArray:
    """Great-circle distance in kilometres between points given in degrees (broadcasts).

    Examples
    --------
    >>> round(float(haversine_km(51.5, 0.0, 51.5, 0.1)), 2)
    6.92
    """
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(lon2) - np.radians(lon1)
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1))), np.float64)


def pairwise_km(latitude: FloatArray, longitude: FloatArray) -> FloatArray:
    """Matrix of haversine distances between every pair of points."""
    return haversine_km(latitude[:, None], longitude[:, None], latitude[None], longitude[None])


def span_km(members: npt.ArrayLike, orgs: Organisations) -> float:
    """Largest distance between two located members; 0 when fewer than two are located.

    Examples
    --------
    >>> from swim.engine.data import Organisations
    >>> orgs = Organisations(ids=["a", "b", "c"], names=["A", "B", "C"],
    ...     latitude=np.array([51.5, 51.5, np.nan]), longitude=np.array([0.0, 0.1, 0.0]),
    ...     income=np.full(3, np.nan), texts=["", "", ""], classifications=[[], [], []])
    >>> round(span_km([0, 1, 2], orgs), 1)
    6.9
    """
    idx = np.asarray(members, dtype=np.int64)
    lat, lon = orgs.latitude[idx], orgs.longitude[idx]
    located = ~(np.isnan(lat) | np.isnan(lon))
    if located.sum() < 2:
        return 0.0
    return float(pairwise_km(lat[located], lon[located]).max())


def income_shares(members: npt.ArrayLike, income: FloatArray, min_known: int = 2) -> FloatArray:
    """Each member's share of the members' combined known income (NaN where unknown).

    All NaN when fewer than ``min_known`` (at least two) incomes are known or they add up
    to nothing: one known income says nothing about balance.

    Examples
    --------
    >>> income_shares([0, 1, 2], np.array([30_000.0, 10_000.0, np.nan])).tolist()
    [0.75, 0.25, nan]
    >>> income_shares([0, 1, 2], np.array([30_000.0, 10_000.0, np.nan]), min_known=3).tolist()
    [nan, nan, nan]
    """
    values = income[np.asarray(members, dtype=np.int64)]
    known = ~np.isnan(values)
    total = float(values[known].sum())
    if known.sum() < max(2, min_known) or total <= 0:
        return np.full(len(values), np.nan)
    return np.asarray(values / total, np.float64)


# --- Graph helpers ----------------------------------------------------------------------


def _as_graph(graph: sparse.spmatrix | sparse.sparray, n: int) -> sparse.csr_matrix:
    """Validate the similarity graph and return it as CSR without its diagonal."""
    g = sparse.csr_matrix(graph, dtype=np.float64)
    if g.shape != (n, n):
        raise ValueError(f"graph must be {n} x {n} (one row per organisation); got {g.shape}")
    if g.nnz and (not np.all(np.isfinite(g.data)) or g.data.min() < 0):
        raise ValueError("graph weights must be finite and non-negative")
    if g.nnz and abs(g - g.T).max() > 1e-9:
        raise ValueError("graph must be symmetric")
    coo = g.tocoo()
    off = (coo.row != coo.col) & (coo.data != 0)
    g = sparse.csr_matrix((coo.data[off], (coo.row[off], coo.col[off])), shape=(n, n))
    g.sort_indices()
    return g


def _inner(graph: sparse.csr_matrix, idx: IntArray) -> tuple[IntArray, IntArray, FloatArray]:
    """Edges among sorted, unique ``idx`` as local (rows, cols, weights), both directions.

    Costs time in proportion to the members' edges (SciPy's column indexing costs O(n) per
    call, and building a sparse matrix has a fixed cost too large to pay per community).
    """
    m = len(idx)
    starts = graph.indptr[idx]
    lengths = graph.indptr[idx + 1] - starts
    pos = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
    cols = graph.indices[pos]
    loc = np.minimum(np.searchsorted(idx, cols), m - 1)
    keep = idx[loc] == cols
    rows = np.repeat(np.arange(m, dtype=np.int64), lengths)
    return rows[keep], loc[keep].astype(np.int64), graph.data[pos][keep]


def _subgraph(graph: sparse.csr_matrix, idx: IntArray) -> sparse.csr_matrix:
    """Subgraph induced by sorted, unique ``idx``."""
    rows, cols, data = _inner(graph, idx)
    return sparse.csr_matrix((data, (rows, cols)), shape=(len(idx), len(idx)))


def _dense(graph: sparse.csr_matrix, idx: IntArray) -> FloatArray:
    """Adjacency among a few members as a dense array."""
    rows, cols, data = _inner(graph, idx)
    adj = np.zeros((len(idx), len(idx)))
    adj[rows, cols] = data
    return adj


def submatrix(matrix: sparse.spmatrix | sparse.sparray, members: npt.ArrayLike) -> FloatArray:
    """Dense ``matrix[members][:, members]`` for a few members of a large sparse matrix.

    Runs in time proportional to the members' entries (plain SciPy indexing costs O(n)).

    Examples
    --------
    >>> m = sparse.csr_matrix(np.arange(16.0).reshape(4, 4))
    >>> submatrix(m, [3, 1]).tolist()
    [[15.0, 13.0], [7.0, 5.0]]
    """
    idx = np.asarray(members, dtype=np.int64)
    order = np.argsort(idx, kind="stable")
    csr = matrix if isinstance(matrix, sparse.csr_matrix) else sparse.csr_matrix(matrix)
    if not csr.has_canonical_format:
        csr = csr.copy()
        csr.sum_duplicates()
    back = np.empty_like(order)
    back[order] = np.arange(len(order))
    return _dense(csr, idx[order])[np.ix_(back, back)]


def _components(graph: sparse.csr_matrix, idx: IntArray) -> list[IntArray]:
    """Connected components among sorted ``idx``, as sorted local index arrays."""
    m = len(idx)
    if m > 64:
        count, labels = csgraph.connected_components(_subgraph(graph, idx), directed=False)
        return _groups(labels) if count > 1 else [np.arange(m, dtype=np.int64)]
    adj = _dense(graph, idx) > 0
    labels = np.full(m, -1, dtype=np.int64)
    for start in range(m):
        if labels[start] >= 0:
            continue
        reach = np.zeros(m, dtype=bool)
        reach[start] = True
        while True:
            grown = reach | adj[reach].any(axis=0)
            if grown.sum() == reach.sum():
                break
            reach = grown
        labels[reach] = start
    return _groups(labels)


def _groups(labels: npt.NDArray[np.integer[Any]]) -> list[IntArray]:
    """Indices grouped by label, each group ascending, groups in order of first label."""
    order = np.argsort(labels, kind="stable").astype(np.int64)
    bounds = np.flatnonzero(np.diff(labels[order])) + 1
    return list(np.split(order, bounds))


def _density(graph: sparse.csr_matrix, idx: IntArray) -> float:
    """Internal edge weight per pair of members (CPM's notion of cohesion)."""
    m = len(idx)
    return float(_inner(graph, idx)[2].sum()) / (m * (m - 1)) if m > 1 else 0.0


def _to_igraph(sub: sparse.csr_matrix) -> tuple[Any, list[float]]:
    """An undirected igraph Graph of ``sub`` and its edge weights (``Any``: no stubs)."""
    upper = sparse.triu(sub, k=1).tocoo()
    edges = list(zip(upper.row.tolist(), upper.col.tolist(), strict=True))
    return igraph.Graph(n=sub.shape[0], edges=edges, directed=False), upper.data.tolist()


@contextmanager
def _igraph_seeded(seed: int) -> Iterator[None]:
    """Give igraph a fresh ``random.Random(seed)``; restore its default (``random``) after."""
    with _IGRAPH_RNG_LOCK:
        igraph.set_random_number_generator(random.Random(seed))
        try:
            yield
        finally:
            igraph.set_random_number_generator(random)


def _leiden(
    g: Any,
    weights: Sequence[float],
    resolution: float,
    n_iterations: int,
    seed: int,
) -> IntArray:
    """CPM Leiden membership, reproducible from ``seed`` alone."""
    with _igraph_seeded(seed):
        clustering = g.community_leiden(
            objective_function="CPM",
            weights=list(weights),
            resolution=resolution,
            n_iterations=n_iterations,
        )
    return np.asarray(clustering.membership, dtype=np.int64)


def _size_score(membership: IntArray, min_size: int, max_size: int) -> float:
    """Share of nodes whose community has an acceptable size."""
    size = np.bincount(membership)[membership]
    return float(np.mean((size >= min_size) & (size <= max_size)))


def search_resolution(
    graph: sparse.spmatrix | sparse.sparray, min_size: int = 4, max_size: int = 12, seed: int = 0
) -> float:
    """The CPM resolution :class:`ClusterFinder` would choose for ``graph`` (see module doc).

    Used to choose one resolution on a sample of a large area's regions and apply it to
    every region (:mod:`swim.engine.partition`). NaN when the graph has no edges.

    Examples
    --------
    >>> adj = np.zeros((12, 12))
    >>> adj[:6, :6] = adj[6:, 6:] = 1.0
    >>> np.fill_diagonal(adj, 0)
    >>> 0 < search_resolution(sparse.csr_matrix(adj)) < 1
    True
    """
    g = _as_graph(graph, graph.shape[0])
    ig, weights = _to_igraph(g)
    if not weights:
        return math.nan
    return _search(ig, weights, min_size, max_size, seed)[0]


def _search(
    ig: Any, weights: list[float], min_size: int, max_size: int, seed: int
) -> tuple[float, IntArray]:
    """The searched resolution and its partition."""
    tried: dict[float, tuple[float, float, IntArray]] = {}

    def score(gamma: float) -> float:
        if gamma not in tried:
            membership = _leiden(ig, weights, gamma, SEARCH_ITERATIONS, seed)
            size_score = _size_score(membership, min_size, max_size)
            modularity = float(ig.modularity(membership.tolist(), weights=weights))
            tried[gamma] = (size_score, modularity, membership)
        return tried[gamma][0]

    def best_so_far() -> tuple[list[float], int]:
        gammas = sorted(tried)
        top = max(tried[g][0] for g in gammas)
        tied = [i for i, g in enumerate(gammas) if tried[g][0] >= top - 1e-12]
        return gammas, max(tied, key=lambda i: (tried[gammas[i]][1], gammas[i]))

    best = 0.0
    for gamma in max(weights) * np.logspace(math.log10(0.8), -3, 13):
        now = score(float(gamma))
        best = max(best, now)
        if best > 0 and now < best / 2:
            break
    for _ in range(2):
        gammas, i = best_so_far()
        for j in (i - 1, i + 1):
            if 0 <= j < len(gammas):
                score(math.sqrt(gammas[i] * gammas[j]))
    gammas, i = best_so_far()
    return gammas[i], tried[gammas[i]][2]


# --- Constraints ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rules:
    """The constraints every candidate must meet, and what they need to be checked."""

    min_size: int
    max_size: int
    max_span_km: float
    max_income_share: float
    latitude: FloatArray
    longitude: FloatArray
    income: FloatArray

    def too_wide(self, idx: IntArray) -> bool:
        lat, lon = self.latitude[idx], self.longitude[idx]
        located = ~(np.isnan(lat) | np.isnan(lon))
        if located.sum() < 2:
            return False
        return bool(pairwise_km(lat[located], lon[located]).max() > self.max_span_km)

    def dominant(self, idx: IntArray) -> int | None:
        """The member holding too large a share of known income, if any (global index).

        Judged only when at least :data:`MIN_KNOWN_INCOMES` members' incomes are known.
        """
        shares = income_shares(idx, self.income, MIN_KNOWN_INCOMES)
        if np.all(np.isnan(shares)):
            return None
        top = int(np.nanargmax(shares))
        return int(idx[top]) if shares[top] > self.max_income_share else None

    def split_span(self, idx: IntArray, adj: FloatArray) -> list[IntArray]:
        """Complete-linkage pieces of diameter <= max_span_km; unlocated follow their links."""
        lat, lon = self.latitude[idx], self.longitude[idx]
        located = np.flatnonzero(~(np.isnan(lat) | np.isnan(lon)))
        dist = pairwise_km(lat[located], lon[located])
        condensed = dist[np.triu_indices(len(located), k=1)]
        piece_of_located = fcluster(
            linkage(condensed, method="complete"), t=self.max_span_km, criterion="distance"
        )
        piece = np.full(len(idx), -1, dtype=np.int64)
        piece[located] = piece_of_located - 1
        n_pieces = int(piece_of_located.max())
        sizes = np.bincount(piece[located], minlength=n_pieces)
        for u in np.flatnonzero(piece < 0):
            link = np.bincount(piece[located], weights=adj[u, located], minlength=n_pieces)
            piece[u] = int(np.argmax(link)) if link.max() > 0 else int(np.argmax(sizes))
        return [idx[p] for p in _groups(piece)]


def _bisect(sub: sparse.csr_matrix) -> list[IntArray]:
    """Two halves of a graph: median split of the Fiedler vector (BFS order when large)."""
    m = sub.shape[0]
    if m <= 1000:
        adj = sub.toarray()
        degree = adj.sum(axis=1)
        inv = np.where(degree > 0, 1 / np.sqrt(np.maximum(degree, 1e-300)), 0.0)
        laplacian = np.eye(m) - inv[:, None] * adj * inv[None, :]
        _, vectors = np.linalg.eigh(laplacian)
        key = vectors[:, 1]
    else:
        key = csgraph.breadth_first_order(sub, int(np.argmin(np.diff(sub.indptr))), False, False)
        key = np.argsort(key).astype(np.float64)
    order = np.lexsort((np.arange(m), key))
    half = m // 2
    return [np.sort(order[:half]).astype(np.int64), np.sort(order[half:]).astype(np.int64)]


def _split_oversized(
    sub: sparse.csr_matrix, rules: _Rules, resolution: float, seed: int
) -> list[IntArray]:
    """Local index groups of an oversized, connected group (Leiden, else bisection)."""
    g, weights = _to_igraph(sub)
    for doubling in range(1, 7):
        parts = _groups(_leiden(g, weights, resolution * 2.0**doubling, -1, seed))
        if len(parts) < 2:
            continue
        if max(len(p) for p in parts) >= rules.min_size:
            return parts
        break  # it only shattered: bisect instead
    return _bisect(sub)


def _enforce(
    graph: sparse.csr_matrix,
    pieces: list[IntArray],
    rules: _Rules,
    resolution: float,
    seed: int,
    connected: bool,
) -> list[IntArray]:
    """Apply the constraints to ``pieces`` until every survivor meets all of them."""
    queue: deque[tuple[IntArray, bool]] = deque((p, connected) for p in pieces)
    valid: list[IntArray] = []
    while queue:
        idx, known_connected = queue.popleft()
        if len(idx) < rules.min_size:
            continue
        if not known_connected:
            parts = _components(graph, idx)
            if len(parts) > 1:
                queue.extend((idx[p], True) for p in parts)
                continue
        if len(idx) > rules.max_size:
            parts = _split_oversized(_subgraph(graph, idx), rules, resolution, seed)
            queue.extend((idx[p], False) for p in parts)
        elif rules.too_wide(idx):
            queue.extend((p, False) for p in rules.split_span(idx, _dense(graph, idx)))
        elif (top := rules.dominant(idx)) is not None:
            queue.append((idx[idx != top], False))
        else:
            valid.append(idx)
    return valid


def _absorb(
    graph: sparse.csr_matrix, clusters: list[IntArray], rules: _Rules, resolution: float
) -> list[IntArray]:
    """Offer each left-over organisation to the adjacent candidate it helps most (CPM gain)."""
    n = graph.shape[0]
    label = np.full(n, -1, dtype=np.int64)
    members: list[list[int]] = []
    for c, idx in enumerate(clusters):
        label[idx] = c
        members.append(idx.tolist())
    for v in np.flatnonzero(label < 0).tolist():
        lo, hi = graph.indptr[v], graph.indptr[v + 1]
        near = label[graph.indices[lo:hi]]
        linked = near >= 0
        if not linked.any():
            continue
        cands = np.unique(near[linked])
        link = np.bincount(near[linked], weights=graph.data[lo:hi][linked])[cands]
        sizes = np.array([len(members[c]) for c in cands])
        gain = link - resolution * sizes
        for k in np.lexsort((cands, -gain)):
            c = int(cands[k])
            if gain[k] <= 0:
                break
            if sizes[k] >= rules.max_size:
                continue
            trial = np.sort(np.array([*members[c], v], dtype=np.int64))
            if rules.too_wide(trial) or rules.dominant(trial) is not None:
                continue
            members[c] = trial.tolist()
            label[v] = c
            break
    return [np.asarray(m, dtype=np.int64) for m in members]


def _jaccard(a: IntArray, b: IntArray) -> float:
    inter = len(np.intersect1d(a, b, assume_unique=True))
    return inter / (len(a) + len(b) - inter)


# --- The estimator ----------------------------------------------------------------------


class ClusterFinder:
    """Find candidate clusters in a similarity graph.

    Parameters
    ----------
    min_size, max_size : int
        Workable cluster size, inclusive.
    max_span_km : float
        Largest allowed distance between two located members.
    max_income_share : float
        Largest share of the members' combined known income one member may hold (judged
        when at least three members' incomes are known).
    max_memberships : int
        How many candidates one organisation may appear in (1 = a partition).
    resolution : float or None
        CPM resolution; ``None`` chooses it so that most communities have a workable size.
    n_iterations : int
        Leiden iterations for the final partition; negative = until stable. Until stable
        takes some 35 iterations on a 170,000-organisation kNN graph (the whole fit: 70 to
        100 s, against 25 s with ``2``) for a CPM quality only 0.2% higher, so pass ``2``
        for very large areas (see ``benchmarks/engine_communities.py``).
    seed : int
        Seed of igraph's random numbers; the same seed gives the same clusters.

    Attributes
    ----------
    clusters_ : list of int arrays
        Member indices (ascending) of each candidate, most cohesive first.
    cohesion_ : float array
        Each candidate's internal edge weight per pair of members.
    resolution_ : float
        The CPM resolution used (NaN when the graph has no edges).
    labels_ : int array
        For each organisation, the first candidate it belongs to, or -1.

    Examples
    --------
    Two cliques of six joined by one weak edge:

    >>> import numpy as np
    >>> from scipy import sparse
    >>> from swim.engine.data import Organisations
    >>> adj = np.zeros((12, 12))
    >>> adj[:6, :6] = adj[6:, 6:] = 1.0
    >>> adj[5, 6] = adj[6, 5] = 0.1
    >>> np.fill_diagonal(adj, 0)
    >>> orgs = Organisations(ids=[str(i) for i in range(12)], names=["x"] * 12,
    ...     latitude=np.full(12, np.nan), longitude=np.full(12, np.nan),
    ...     income=np.full(12, np.nan), texts=[""] * 12, classifications=[[]] * 12)
    >>> finder = ClusterFinder(seed=1).fit(sparse.csr_matrix(adj), orgs)
    >>> [c.tolist() for c in finder.clusters_]
    [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]]
    >>> finder.labels_.tolist()
    [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]
    """

    def __init__(
        self,
        min_size: int = 4,
        max_size: int = 12,
        max_span_km: float = 5.0,
        max_income_share: float = 0.5,
        max_memberships: int = 1,
        resolution: float | None = None,
        n_iterations: int = -1,
        seed: int = 0,
    ) -> None:
        self.min_size = min_size
        self.max_size = max_size
        self.max_span_km = max_span_km
        self.max_income_share = max_income_share
        self.max_memberships = max_memberships
        self.resolution = resolution
        self.n_iterations = n_iterations
        self.seed = seed

    def fit(
        self,
        graph: sparse.spmatrix | sparse.sparray,
        orgs: Organisations,
        signals: Mapping[str, sparse.spmatrix | sparse.sparray] | None = None,
    ) -> ClusterFinder:
        """Find the candidates of ``graph`` (n x n, symmetric, non-negative) for ``orgs``.

        ``signals`` (the per-signal similarities the graph was built from) is only used
        when ``max_memberships > 1``, for the extra passes that emphasise one signal each.
        """
        self._check_params()
        n = len(orgs)
        g = _as_graph(graph, n)
        rules = _Rules(
            self.min_size, self.max_size, self.max_span_km, self.max_income_share,
            orgs.latitude, orgs.longitude, orgs.income,
        )  # fmt: skip
        ig, weights = _to_igraph(g)
        if not weights:
            self.resolution_ = float(self.resolution) if self.resolution else math.nan
            self._store(g, [], n)
            return self
        searched: IntArray | None = None
        if self.resolution is None:
            self.resolution_, searched = self._search_resolution(ig, weights)
        else:
            self.resolution_ = float(self.resolution)
        if searched is not None and self.n_iterations == SEARCH_ITERATIONS:
            membership = searched
        else:
            membership = _leiden(ig, weights, self.resolution_, self.n_iterations, self.seed)
        clusters = self._candidates(g, membership, rules, self.resolution_)
        if self.max_memberships > 1:
            clusters = self._overlap(g, ig, weights, clusters, rules, signals or {})
        self._store(g, clusters, n)
        return self

    # -- steps --

    def _check_params(self) -> None:
        if not 1 <= self.min_size <= self.max_size:
            raise ValueError("need 1 <= min_size <= max_size")
        if self.max_span_km <= 0 or not 0 < self.max_income_share <= 1:
            raise ValueError("need max_span_km > 0 and 0 < max_income_share <= 1")
        if self.max_memberships < 1:
            raise ValueError("max_memberships must be at least 1")
        if self.resolution is not None and self.resolution <= 0:
            raise ValueError("resolution must be positive (or None to choose it)")

    def _search_resolution(self, ig: Any, weights: list[float]) -> tuple[float, IntArray]:
        """Resolution whose communities are most often of a workable size (see module doc)."""
        return _search(ig, weights, self.min_size, self.max_size, self.seed)

    def _candidates(
        self, g: sparse.csr_matrix, membership: IntArray, rules: _Rules, resolution: float
    ) -> list[IntArray]:
        """Connected pieces of each community, constrained, then left-overs absorbed."""
        rows = np.repeat(np.arange(g.shape[0]), np.diff(g.indptr))
        same = membership[rows] == membership[g.indices]
        inside = sparse.csr_matrix((g.data[same], (rows[same], g.indices[same])), shape=g.shape)
        _, pieces = csgraph.connected_components(inside, directed=False)
        valid = _enforce(g, _groups(pieces), rules, resolution, self.seed, connected=True)
        return _absorb(g, valid, rules, resolution)

    def _overlap(
        self,
        g: sparse.csr_matrix,
        ig: Any,
        weights: list[float],
        primary: list[IntArray],
        rules: _Rules,
        signals: Mapping[str, sparse.spmatrix | sparse.sparray],
    ) -> list[IntArray]:
        """Add candidates from passes with other signal mixes and resolutions."""
        upper = sparse.triu(g, k=1).tocoo()
        base = np.asarray(weights)
        variants: list[tuple[FloatArray, float]] = []
        for name in sorted(signals):
            s = sparse.csr_matrix(signals[name])
            values = np.asarray(s[upper.row, upper.col]).ravel()
            if not values.any():
                continue
            emphasis = 0.5 + values
            variants.append((base * emphasis / emphasis.mean(), self.resolution_))
        variants += [(base, self.resolution_ / 2), (base, self.resolution_ * 2)]
        extra: list[IntArray] = []
        for w, gamma in variants:
            membership = _leiden(ig, w.tolist(), gamma, self.n_iterations, self.seed)
            extra += self._candidates(g, membership, rules, gamma)
        extra.sort(key=lambda c: (-_density(g, c), c[0], len(c)))
        accepted = list(primary)
        count = np.zeros(g.shape[0], dtype=np.int64)
        for c in primary:
            count[c] += 1
        for cand in extra:
            free = cand[count[cand] < self.max_memberships]
            pieces = [cand] if len(free) == len(cand) else (
                _enforce(g, [free], rules, self.resolution_, self.seed, connected=False)
            )  # fmt: skip
            for piece in pieces:
                if all(_jaccard(piece, a) < MAX_OVERLAP_JACCARD for a in accepted):
                    accepted.append(piece)
                    count[piece] += 1
        return accepted

    def _store(self, g: sparse.csr_matrix, clusters: list[IntArray], n: int) -> None:
        cohesion = [_density(g, c) for c in clusters]
        order = sorted(range(len(clusters)), key=lambda i: (-cohesion[i], clusters[i].tolist()))
        self.clusters_ = [clusters[i] for i in order]
        self.cohesion_ = np.array([cohesion[i] for i in order], dtype=np.float64)
        labels = np.full(n, -1, dtype=np.int64)
        for c, idx in reversed(list(enumerate(self.clusters_))):
            labels[idx] = c
        self.labels_ = labels


# --- Partners for one organisation ------------------------------------------------------


def _neighbourhood(graph: sparse.csr_matrix, seed: int, hops: int, limit: int) -> IntArray:
    """Nodes within ``hops`` of ``seed`` (whole rings while they fit under ``limit``)."""
    inside = np.zeros(graph.shape[0], dtype=bool)
    inside[seed] = True
    ring = np.array([seed], dtype=np.int64)
    for _ in range(hops):
        nxt = np.unique(
            np.concatenate([graph.indices[graph.indptr[v] : graph.indptr[v + 1]] for v in ring])
        )
        nxt = nxt[~inside[nxt]]
        if not len(nxt) or inside.sum() + len(nxt) > limit:
            if len(nxt) and inside.sum() == 1:  # even the first ring is too big: strongest
                row = graph[seed].toarray().ravel()
                nxt = nxt[np.lexsort((nxt, -row[nxt]))][: limit - 1]
                inside[nxt] = True
            break
        inside[nxt] = True
        ring = nxt
    return np.flatnonzero(inside).astype(np.int64)


def partners_for(
    graph: sparse.spmatrix | sparse.sparray,
    seed_index: int,
    orgs: Organisations,
    *,
    min_size: int = 4,
    max_size: int = 12,
    max_span_km: float = 5.0,
    max_income_share: float = 0.5,
    alpha: float = 0.15,
    max_hops: int = 3,
    max_nodes: int = 2000,
) -> IntArray:
    """The best cluster containing organisation ``seed_index`` (its "partners").

    A local community search: personalised PageRank from the organisation (restart
    probability ``alpha``) on its neighbourhood of up to ``max_hops`` hops (at most
    ``max_nodes`` organisations); the cluster grows from the organisation by always adding
    the linked organisation with the highest degree-normalised PageRank that keeps the group
    within ``max_span_km``, up to ``max_size``; of the groups of ``min_size`` to
    ``max_size`` so formed, the one meeting the income-share rule with the best product of
    cohesion (internal weight per pair of members) and separation (the share of its
    members' link weight that stays inside) is returned. When the rule fails because of
    another member, that member is set aside and the search repeats.
    Deterministic (no random numbers).

    Returns
    -------
    int array
        Member indices, ascending (the organisation included); empty when no group meets
        the constraints — for instance when the organisation itself would dominate the
        income of any group, or has too few links.

    Examples
    --------
    >>> from swim.engine.data import Organisations
    >>> adj = np.zeros((9, 9))
    >>> adj[:5, :5] = 1.0
    >>> adj[5:, 5:] = 1.0
    >>> adj[4, 5] = adj[5, 4] = 0.2
    >>> np.fill_diagonal(adj, 0)
    >>> orgs = Organisations(ids=[str(i) for i in range(9)], names=["x"] * 9,
    ...     latitude=np.full(9, np.nan), longitude=np.full(9, np.nan),
    ...     income=np.full(9, np.nan), texts=[""] * 9, classifications=[[]] * 9)
    >>> partners_for(sparse.csr_matrix(adj), 2, orgs).tolist()
    [0, 1, 2, 3, 4]
    """
    n = len(orgs)
    if not 0 <= seed_index < n:
        raise IndexError(f"seed_index {seed_index} is not an organisation (0 to {n - 1})")
    g = _as_graph(graph, n)
    rules = _Rules(
        min_size, max_size, max_span_km, max_income_share,
        orgs.latitude, orgs.longitude, orgs.income,
    )  # fmt: skip
    local = _neighbourhood(g, seed_index, max_hops, max_nodes)
    sub = _subgraph(g, local)
    start = int(np.searchsorted(local, seed_index))
    strength = np.asarray(sub.sum(axis=1)).ravel()
    if strength[start] == 0:
        return np.array([], dtype=np.int64)
    walk = sparse.diags(1 / np.maximum(strength, 1e-300)) @ sub
    restart = np.zeros(len(local))
    restart[start] = 1.0
    rank = restart.copy()
    for _ in range(200):
        new = alpha * restart + (1 - alpha) * (walk.T @ rank)
        done = np.abs(new - rank).sum() < 1e-12
        rank = new
        if done:
            break
    score = rank / np.maximum(strength, 1e-300)
    full_strength = np.asarray(g.sum(axis=1)).ravel()
    excluded: set[int] = set()
    for _ in range(2 * max_size + 1):
        order = _grow(sub, start, score, local, rules, excluded)
        best: tuple[float, int] | None = None
        blocker: int | None = None
        for size in range(min_size, len(order) + 1):
            members = np.sort(local[order[:size]])
            top = rules.dominant(members)
            if top is not None:
                blocker = top
                continue
            inner = float(_inner(g, members)[2].sum())
            kept = inner / max(float(full_strength[members].sum()), 1e-300)
            quality = inner / (size * (size - 1)) * kept
            if best is None or quality > best[0] + 1e-12:
                best = (quality, size)
        if best is not None:
            return np.sort(local[order[: best[1]]])
        if blocker is None or blocker == seed_index:
            break
        excluded.add(int(np.searchsorted(local, blocker)))
    return np.array([], dtype=np.int64)


def _grow(
    sub: sparse.csr_matrix,
    start: int,
    score: FloatArray,
    local: IntArray,
    rules: _Rules,
    excluded: set[int],
) -> list[int]:
    """Greedy order: repeatedly add the best-scored linked node keeping the span allowed."""
    chosen = [start]
    taken = np.zeros(sub.shape[0], dtype=bool)
    taken[start] = True
    for v in excluded:
        taken[v] = True
    frontier = np.zeros(sub.shape[0], dtype=bool)
    while len(chosen) < rules.max_size:
        last = chosen[-1]
        frontier[sub.indices[sub.indptr[last] : sub.indptr[last + 1]]] = True
        options = np.flatnonzero(frontier & ~taken)
        added = False
        for v in options[np.lexsort((options, -score[options]))].tolist():
            taken[v] = True  # considered once: if it breaks the span now, it always will
            if not rules.too_wide(local[np.array([*chosen, v])]):
                chosen.append(v)
                added = True
                break
        if not added:
            break
    return chosen
