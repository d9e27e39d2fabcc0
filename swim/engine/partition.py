"""Regions: a large area cut into pieces that can be clustered one at a time.

A candidate cluster is a group of organisations at most ``max_span_km`` (5 km) apart, held
together by the similarity graph. Two organisations in different towns can never be in the
same candidate, so a national register need not be clustered as one graph: it can be cut
into **regions**, each clustered on its own (in turn on one machine, or in parallel on a
dask cluster, :mod:`swim.engine.distributed`), and the candidates put together.

:func:`partition_regions` labels every organisation with a region; :func:`split_regions`
cuts the graph and the arrays a region needs into :class:`Region` objects, and
:func:`region_clusters` is the per-region work, the same function whichever engine runs
it, so that both give the same candidates on the same partition.

How regions are made
--------------------
1. **Places.** The connected components of the location links (organisations within
   ``radius_km`` of one another, chained) among located organisations: a town, a city, a
   group of villages. No location link crosses two places.
2. **Large places are tiled.** A place above ``max_size`` organisations is bisected along
   its longer side (east-west or north-south, in kilometres), again and again until every
   piece fits. Each cut is placed, among the positions between the 35th and 65th
   percentile, where the fewest location links cross (ties: nearest the median), so it
   tends to run through a park, a river or open country rather than a high street.
3. **Packing.** Places and pieces are ordered along a Z-order (Morton) curve of their
   centres, so that neighbours on the map are neighbours in the order, and packed greedily
   into regions of at most ``max_size`` organisations (a region is never split to pack
   it). An area of at most ``max_size`` organisations is therefore always one region, and
   a small area is clustered exactly as before.
4. **Unlocated organisations** join the region to which their links (in ``graph``, every
   signal) weigh most, repeatedly, so that one linked only to another unlocated one
   follows it; those linked to no region form regions of their own (packed the same way).

Cross-border links
------------------
A link between two regions is dropped: each region is clustered on the graph among its own
members. Only a tiling cut (step 2) can drop a location link, and the cut is placed where
fewest cross; links of the other signals between regions join organisations more than a
few kilometres apart (or in another tile), which the span constraint would separate anyway.
An organisation next to a cut can still only join a candidate on its own side.
:attr:`RegionPartition.cut_links_` counts the location links dropped.

Everything here is deterministic: no random numbers, ties broken by index.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from swim.engine.communities import ClusterFinder, search_resolution
from swim.engine.data import FloatArray, IntArray, Organisations

__all__ = [
    "DEFAULT_REGION_SIZE",
    "SEARCH_SAMPLE",
    "LocalRunner",
    "Region",
    "RegionPartition",
    "Runner",
    "cluster_regions",
    "partition_regions",
    "region_clusters",
    "region_resolution",
    "search_sample",
    "split_regions",
]

#: Largest region (organisations) by default: an area up to this size is one region.
DEFAULT_REGION_SIZE = 10_000
#: The resolution of an area of several regions is searched on about this many organisations.
SEARCH_SAMPLE = 20_000
#: A tiling cut is placed between these quantiles of the piece's positions.
CUT_RANGE = (0.35, 0.65)
KM_PER_DEGREE = 111.2


class RegionPartition:
    """Cut an area into regions of at most ``max_size`` organisations (see module doc).

    Parameters
    ----------
    max_size : int
        Largest region, in organisations (a region may exceed it only by unlocated
        organisations joining it).

    Attributes
    ----------
    labels_ : int array
        Region of each organisation, 0 to ``n_regions_ - 1``.
    n_regions_ : int
    cut_links_ : int
        Location links between two regions' members (dropped by tiling cuts).

    Examples
    --------
    Two places 30 km apart, each a chain of location links, and one unlocated organisation
    linked to the second place:

    >>> import numpy as np
    >>> from scipy import sparse
    >>> from swim.engine.data import Organisations
    >>> lat = np.array([51.50, 51.51, 51.52, 51.77, 51.78, np.nan])
    >>> lon = np.zeros(6)
    >>> rows, cols = [0, 1, 3, 4], [1, 2, 4, 5]
    >>> links = sparse.coo_matrix((np.ones(4), (rows, cols)), shape=(6, 6)).tocsr()
    >>> links = links + links.T
    >>> orgs = Organisations(ids=list("abcdef"), names=list("ABCDEF"), latitude=lat,
    ...     longitude=lon, income=np.full(6, np.nan), texts=[""] * 6,
    ...     classifications=[[]] * 6)
    >>> RegionPartition(max_size=3).fit(links, orgs, location=links).labels_.tolist()
    [0, 0, 0, 1, 1, 1]
    >>> RegionPartition(max_size=20).fit(links, orgs, location=links).n_regions_
    1
    """

    def __init__(self, max_size: int = DEFAULT_REGION_SIZE) -> None:
        self.max_size = max_size

    def fit(
        self,
        graph: sparse.spmatrix | sparse.sparray,
        orgs: Organisations,
        location: sparse.spmatrix | sparse.sparray | None = None,
    ) -> RegionPartition:
        """Label the organisations of ``orgs`` with regions.

        Parameters
        ----------
        graph : sparse matrix, shape (n, n)
            The combined similarity graph (places unlocated organisations).
        orgs : Organisations
        location : sparse matrix, shape (n, n), optional
            The location links (defines places and where cuts are placed); without it, the
            links of ``graph`` between located organisations are used.
        """
        if self.max_size < 1:
            raise ValueError("max_size must be at least 1")
        n = len(orgs)
        g = sparse.csr_matrix(graph, dtype=np.float64)
        links = sparse.csr_matrix(g if location is None else location, dtype=np.float64)
        located = orgs.located
        x, y = _plane_km(orgs.latitude, orgs.longitude)
        units: list[IntArray] = []
        where = np.flatnonzero(located).astype(np.int64)
        if len(where):
            inner = links[where][:, where]
            _, comp = csgraph.connected_components(inner, directed=False)
            for piece in _groups(comp):
                units += _tile(where[piece], inner, piece, x, y, self.max_size)
        labels = _pack(units, x, y, self.max_size, first=0, n=n)
        labels = _follow_links(g, labels)
        rest = np.flatnonzero(labels < 0).astype(np.int64)
        if len(rest):
            _, comp = csgraph.connected_components(g[rest][:, rest], directed=False)
            more = _pack([rest[p] for p in _groups(comp)], x, y, self.max_size, 0, n)
            labels[rest] = more[rest] + (labels.max() + 1 if (labels >= 0).any() else 0)
        self.labels_ = labels
        self.n_regions_ = int(labels.max()) + 1 if n else 0
        coo = sparse.triu(links, k=1).tocoo()
        self.cut_links_ = int(np.count_nonzero(labels[coo.row] != labels[coo.col]))
        return self


def partition_regions(
    graph: sparse.spmatrix | sparse.sparray,
    orgs: Organisations,
    location: sparse.spmatrix | sparse.sparray | None = None,
    max_size: int = DEFAULT_REGION_SIZE,
) -> IntArray:
    """Region of each organisation: ``RegionPartition(max_size).fit(...).labels_``."""
    return RegionPartition(max_size).fit(graph, orgs, location).labels_


# --- Steps ------------------------------------------------------------------------------


def _plane_km(latitude: FloatArray, longitude: FloatArray) -> tuple[FloatArray, FloatArray]:
    """East and north in km on a plane tangent at the area's mean latitude (NaN kept)."""
    lat0 = float(np.nanmean(latitude)) if np.isfinite(latitude).any() else 0.0
    x = np.asarray(longitude * KM_PER_DEGREE * np.cos(np.radians(lat0)), np.float64)
    return x, np.asarray(latitude * KM_PER_DEGREE, np.float64)


def _groups(labels: IntArray) -> list[IntArray]:
    """Indices grouped by label (each ascending), groups in label order."""
    order = np.argsort(labels, kind="stable").astype(np.int64)
    bounds = np.flatnonzero(np.diff(labels[order])) + 1
    return list(np.split(order, bounds))


def _tile(
    members: IntArray,
    inner: sparse.csr_matrix,
    local: IntArray,
    x: FloatArray,
    y: FloatArray,
    max_size: int,
) -> list[IntArray]:
    """Bisect a place until every piece has at most ``max_size`` members (global indices).

    ``inner`` holds the location links among all located organisations and ``local`` the
    place's rows in it.
    """
    if len(members) <= max_size:
        return [members]
    links = inner[local][:, local].tocoo()
    upper = links.row < links.col
    a, b = links.row[upper], links.col[upper]
    px, py = x[members], y[members]
    pos = px if np.ptp(px) >= np.ptp(py) else py
    order = np.lexsort((members, pos))
    rank = np.empty(len(members), dtype=np.int64)
    rank[order] = np.arange(len(members))
    lo, hi = np.minimum(rank[a], rank[b]), np.maximum(rank[a], rank[b])
    change = np.bincount(lo, minlength=len(members)) - np.bincount(hi, minlength=len(members))
    crossing = np.cumsum(change)  # crossing[c]: links cut when ranks <= c go left
    m = len(members)
    first, last = int(CUT_RANGE[0] * m), max(int(CUT_RANGE[1] * m), int(CUT_RANGE[0] * m) + 1)
    options = np.arange(first, min(last, m - 1))
    best = int(options[np.lexsort((np.abs(options - m // 2), crossing[options]))[0]])
    left, right = np.sort(order[: best + 1]), np.sort(order[best + 1 :])
    return _tile(members[left], inner, local[left], x, y, max_size) + _tile(
        members[right], inner, local[right], x, y, max_size
    )


def _morton(x: FloatArray, y: FloatArray, bits: int = 16) -> IntArray:
    """Z-order key of points (NaN last), for ordering places along the map."""
    keys = np.full(len(x), np.iinfo(np.int64).max, dtype=np.int64)
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        return keys
    scale = (1 << bits) - 1

    def quantise(v: FloatArray) -> IntArray:
        span = float(np.ptp(v)) or 1.0
        return np.asarray(np.round((v - v.min()) / span * scale), dtype=np.int64)

    qx, qy = quantise(x[ok]), quantise(y[ok])
    key = np.zeros(len(qx), dtype=np.int64)
    for bit in range(bits):
        key |= ((qx >> bit) & 1) << (2 * bit)
        key |= ((qy >> bit) & 1) << (2 * bit + 1)
    keys[ok] = key
    return keys


def _pack(
    units: list[IntArray], x: FloatArray, y: FloatArray, max_size: int, first: int, n: int
) -> IntArray:
    """Labels (``-1`` outside ``units``): units in Z-order, packed up to ``max_size``."""
    labels = np.full(n, -1, dtype=np.int64)
    if not units:
        return labels
    with np.errstate(all="ignore"):
        cx = np.array([np.nanmean(x[u]) if np.isfinite(x[u]).any() else np.nan for u in units])
        cy = np.array([np.nanmean(y[u]) if np.isfinite(y[u]).any() else np.nan for u in units])
    heads = np.array([int(u[0]) for u in units])
    region, size = first, 0
    for i in np.lexsort((heads, _morton(cx, cy))).tolist():
        unit = units[i]
        if size and size + len(unit) > max_size:
            region, size = region + 1, 0
        labels[unit] = region
        size += len(unit)
    return labels


def _follow_links(graph: sparse.csr_matrix, labels: IntArray) -> IntArray:
    """Give each unlabelled organisation the region its links weigh most to, repeatedly."""
    labels = labels.copy()
    while (labels < 0).any() and (labels >= 0).any():
        todo = np.flatnonzero(labels < 0)
        done = np.flatnonzero(labels >= 0)
        onehot = sparse.csr_matrix(
            (np.ones(len(done)), (np.arange(len(done)), labels[done])),
            shape=(len(done), int(labels.max()) + 1),
        )
        weight = (graph[todo][:, done] @ onehot).toarray()
        linked = weight.max(axis=1) > 0
        if not linked.any():
            break
        labels[todo[linked]] = np.argmax(weight[linked], axis=1)  # ties: lowest region
    return labels


# --- Regions as units of work -----------------------------------------------------------


@dataclass(frozen=True)
class Region:
    """What clustering one region needs, in the region's own (local) indices.

    ``members`` are the organisations' indices in the whole area (ascending); ``graph``
    and ``signals`` are restricted to them; ``latitude``, ``longitude`` and ``income`` are
    the members' values. A region pickles small, so it can be sent to a worker.
    """

    label: int
    members: IntArray
    graph: sparse.csr_matrix
    latitude: FloatArray
    longitude: FloatArray
    income: FloatArray
    signals: Mapping[str, sparse.csr_matrix] = field(default_factory=dict)

    def organisations(self) -> Organisations:
        """The members as an :class:`Organisations` (only what clustering reads)."""
        m = len(self.members)
        return Organisations(
            ids=[str(i) for i in self.members.tolist()], names=[""] * m,
            latitude=self.latitude, longitude=self.longitude, income=self.income,
            texts=[""] * m, classifications=[[] for _ in range(m)],
        )  # fmt: skip


def split_regions(
    labels: IntArray,
    graph: sparse.spmatrix | sparse.sparray,
    orgs: Organisations,
    signals: Mapping[str, sparse.spmatrix | sparse.sparray] | None = None,
) -> list[Region]:
    """One :class:`Region` per label, in label order (``signals`` only if given)."""
    g = sparse.csr_matrix(graph, dtype=np.float64)
    regions = []
    for label, members in enumerate(_groups(np.asarray(labels, dtype=np.int64))):
        members = np.asarray(members, dtype=np.int64)
        regions.append(
            Region(
                label=label,
                members=members,
                graph=_restrict(g, members),
                latitude=orgs.latitude[members].copy(),
                longitude=orgs.longitude[members].copy(),
                income=orgs.income[members].copy(),
                signals={
                    k: _restrict(sparse.csr_matrix(s), members) for k, s in (signals or {}).items()
                },
            )
        )
    return regions


def _restrict(matrix: sparse.csr_matrix, members: IntArray) -> sparse.csr_matrix:
    if len(members) == matrix.shape[0]:
        return matrix
    return sparse.csr_matrix(matrix[members][:, members])


def region_clusters(region: Region, params: Mapping[str, Any]) -> list[IntArray]:
    """Candidates of one region (members' area-wide indices): the per-region work.

    ``params`` are :class:`~swim.engine.communities.ClusterFinder`'s parameters. Both
    engines call this, so the same region gives the same candidates on either.
    """
    finder = ClusterFinder(**params).fit(region.graph, region.organisations(), region.signals)
    return [region.members[c] for c in finder.clusters_]


def region_resolution(region: Region, params: Mapping[str, Any]) -> float:
    """The resolution :class:`ClusterFinder` would choose for ``region`` (NaN: no links)."""
    return search_resolution(
        region.graph,
        min_size=int(params.get("min_size", 4)),
        max_size=int(params.get("max_size", 12)),
        seed=int(params.get("seed", 0)),
    )


def search_sample(regions: Sequence[Region], size: int = SEARCH_SAMPLE) -> Region:
    """About ``size`` organisations as one :class:`Region`: whole regions taken evenly
    through the region order (which follows the map), their graphs side by side."""
    total = sum(len(r.members) for r in regions)
    chosen = list(range(len(regions)))
    if total > size:
        count = max(1, round(size / (total / len(regions))))
        chosen = np.unique(np.round(np.linspace(0, len(regions) - 1, count))).astype(int).tolist()
    picked = [regions[i] for i in chosen]
    return Region(
        label=-1,
        members=np.concatenate([r.members for r in picked]),
        graph=sparse.csr_matrix(sparse.block_diag([r.graph for r in picked], format="csr")),
        latitude=np.concatenate([r.latitude for r in picked]),
        longitude=np.concatenate([r.longitude for r in picked]),
        income=np.concatenate([r.income for r in picked]),
    )


T = TypeVar("T")


class Runner(Protocol):
    """Runs ``fn(region, params)`` for every region and returns the results in order."""

    def map(
        self,
        fn: Callable[[Region, Mapping[str, Any]], T],
        regions: Sequence[Region],
        params: Mapping[str, Any],
    ) -> list[T]: ...


class LocalRunner:
    """The single-machine runner: each region in turn, in this process."""

    def map(
        self,
        fn: Callable[[Region, Mapping[str, Any]], T],
        regions: Sequence[Region],
        params: Mapping[str, Any],
    ) -> list[T]:
        return [fn(region, params) for region in regions]


def cluster_regions(
    regions: Sequence[Region],
    params: Mapping[str, Any],
    runner: Runner | None = None,
    search_size: int = SEARCH_SAMPLE,
) -> tuple[list[IntArray], float | None]:
    """Candidates of every region (area-wide indices, region by region) and the resolution.

    With more than one region and no ``params["resolution"]``, one resolution is searched
    on :func:`search_sample` (one task) and given to every region, so a large area is held
    to one standard of cohesion, as it would be clustered whole; then every region is
    clustered by :func:`region_clusters` (one task each). ``runner`` (default
    :class:`LocalRunner`) decides where the tasks run; the result does not depend on it.
    The resolution returned is ``None`` when each region chose its own (one region, or a
    sample without links).
    """
    run = runner or LocalRunner()
    chosen = params.get("resolution")
    settings = dict(params)
    if len(regions) > 1 and chosen is None:
        gamma = run.map(region_resolution, [search_sample(regions, search_size)], params)[0]
        if not math.isnan(gamma):
            settings["resolution"] = chosen = gamma
    found = run.map(region_clusters, regions, settings)
    return [c for clusters in found for c in clusters], chosen
