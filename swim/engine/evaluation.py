"""How good are the candidates? The engine against single-signal baselines, on known answers.

Everything a comparison needs, on plain data:

* **baselines**, small estimators with the engine's shape (``fit(orgs, text_vectors)`` then
  ``clusters_`` and ``labels_``): :class:`GeoClusters` (HDBSCAN on great-circle distance),
  :class:`TextClusters` (k-means on the text vectors), :class:`ClassificationClusters`
  (k-means on the IDF-weighted code vectors), :class:`TiesClusters` (Leiden on the ties
  signal), :class:`NeedsClusters` (k-means on the diagnostic's gap profiles, only where
  there is a diagnostic), :class:`RandomClusters` (random groups of given sizes), and
  :class:`EngineClusters` (the engine itself, :class:`~swim.engine.discover.Discovery`);
* **metrics**: :func:`partition_scores` (NMI and ARI against planted truth),
  :func:`pair_coherence` (share of within-candidate pairs sharing a tag),
  :func:`network_lift` (how much more often members of the same network are put together
  than chance) and :func:`tie_recall` (share of hidden ties whose two ends share a
  candidate), with :func:`hide_ties` to hide them, and :func:`shared_gap` (share of
  within-candidate pairs that answered the diagnostic sharing a gap);
* :func:`make_planted_area`, a seeded generator of an area with planted clusters, and
  :func:`add_planted_diagnostic`, which gives the same area a made-up needs diagnostic;
* :func:`evaluate`, which runs every method on one :class:`EvaluationSet` and returns one
  row per method.

Fair comparison
---------------
Every method's groups pass the same **size rule** (``min_size`` to ``max_size`` members):
a larger group is split by k-means on the method's own features (coordinates, text or
code vectors, tie-graph rows) until every piece fits, and a group below ``min_size`` is
dissolved. Organisations in no group are **unassigned**. Unassigned organisations form no
pairs, so they count neither for nor against the pair measures (coherence and lift are
precisions over the pairs a method did propose) and they count as misses in the recall
measures (a hidden tie to an unassigned organisation is not recovered); for NMI and ARI
the unassigned organisations form one "none" group, matched against the organisations
outside every planted cluster (see :func:`partition_scores`). ``coverage`` (share of
organisations in a candidate) is reported with every row so that a method cannot look
precise by proposing little. The random baseline draws groups with exactly the engine's
sizes (so the same coverage), averaged over several draws.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.cluster import HDBSCAN, KMeans
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

# One igraph seeding (and its lock) for the whole engine: two would not exclude each other.
from swim.engine.communities import EARTH_RADIUS_KM, _igraph_seeded, _to_igraph, pairwise_km
from swim.engine.data import CAPACITY_AREAS, FloatArray, IntArray, Organisations
from swim.engine.discover import Discovery
from swim.engine.signals.classification import code_vectors
from swim.engine.signals.combine import DEFAULT_WEIGHTS, SignalWeights
from swim.engine.signals.needs import gap_profiles
from swim.engine.signals.text import TfidfLsa
from swim.engine.signals.ties import network_links, ties_similarity

__all__ = [
    "GAP_NEED",
    "GAP_RATES",
    "MEASURES",
    "NO_SPAN_LIMIT",
    "ClassificationClusters",
    "EngineClusters",
    "EvaluationSet",
    "GeoClusters",
    "NeedsClusters",
    "RandomClusters",
    "TextClusters",
    "TiesClusters",
    "add_planted_diagnostic",
    "chance_coherence",
    "chance_shared_gap",
    "clusters_to_labels",
    "evaluate",
    "hide_ties",
    "make_planted_area",
    "network_lift",
    "pair_coherence",
    "partition_scores",
    "shared_gap",
    "size_rule",
    "tie_recall",
]


Clusters = list[IntArray]
Features = Callable[[IntArray], FloatArray]
BoolArray = npt.NDArray[np.bool_]


# --- Partitions and pairs ---------------------------------------------------------------


def clusters_to_labels(clusters: Sequence[npt.ArrayLike], n: int) -> IntArray:
    """One label per organisation: its first cluster's position, -1 when in none.

    Examples
    --------
    >>> clusters_to_labels([[0, 2], [3]], 5).tolist()
    [0, -1, 0, 1, -1]
    """
    labels = np.full(n, -1, dtype=np.int64)
    for k in range(len(clusters) - 1, -1, -1):
        labels[np.asarray(clusters[k], dtype=np.int64)] = k
    return labels


def _singletons(labels: npt.ArrayLike) -> IntArray:
    """Labels where every -1 becomes a label of its own."""
    out = np.asarray(labels, dtype=np.int64).copy()
    free = np.flatnonzero(out < 0)
    out[free] = out.max(initial=-1) + 1 + np.arange(len(free))
    return out


def _pairs(clusters: Sequence[npt.ArrayLike]) -> IntArray:
    """Distinct unordered pairs ``(i, j)``, ``i < j``, that share a cluster; shape (m, 2)."""
    chunks = []
    for members in clusters:
        idx = np.unique(np.asarray(members, dtype=np.int64))
        if len(idx) > 1:
            a, b = np.triu_indices(len(idx), k=1)
            chunks.append(np.column_stack([idx[a], idx[b]]))
    if not chunks:
        return np.zeros((0, 2), dtype=np.int64)
    return np.unique(np.concatenate(chunks), axis=0)


def partition_scores(
    truth: npt.ArrayLike, clusters: Sequence[npt.ArrayLike]
) -> tuple[float, float]:
    """NMI and ARI of ``clusters`` against ``truth`` labels (-1: in no planted cluster).

    Scored over every organisation, with the organisations outside every planted cluster
    as one "none" group of the truth and the unassigned organisations as one "none" group
    of the candidates: leaving the background out is right, grouping it is wrong, and
    leaving a planted cluster out is wrong. NMI is not corrected for chance (many small
    groups score above 0 even at random: compare with the random baseline); ARI is.

    Examples
    --------
    >>> truth = [0, 0, 0, 1, 1, 1, -1, -1]
    >>> [round(s, 3) for s in partition_scores(truth, [[0, 1, 2], [3, 4, 5]])]
    [1.0, 1.0]
    >>> [round(s, 3) for s in partition_scores(truth, [[0, 3, 6], [1, 4, 7], [2, 5]])]
    [0.078, -0.333]
    """
    labels_true = np.asarray(truth, dtype=np.int64)
    labels_found = clusters_to_labels(clusters, len(labels_true))
    nmi = normalized_mutual_info_score(labels_true, labels_found)
    ari = adjusted_rand_score(labels_true, labels_found)
    return float(nmi), float(ari)


def _tag_matrix(tags: Sequence[Sequence[str]]) -> sparse.csr_matrix:
    vocabulary: dict[str, int] = {}
    rows, cols = [], []
    for i, held in enumerate(tags):
        for tag in set(held):
            rows.append(i)
            cols.append(vocabulary.setdefault(tag, len(vocabulary)))
    data = np.ones(len(rows))
    return sparse.csr_matrix((data, (rows, cols)), shape=(len(tags), max(1, len(vocabulary))))


def pair_coherence(clusters: Sequence[npt.ArrayLike], tags: Sequence[Sequence[str]]) -> float:
    """Share of within-candidate pairs that share at least one tag.

    Only pairs whose two organisations both have a tag count; NaN without such pairs.

    Examples
    --------
    >>> tags = [["food"], ["food", "youth"], ["youth"], ["arts"], []]
    >>> pair_coherence([[0, 1, 2], [3, 4]], tags)  # 0-1 and 1-2 share, 0-2 does not
    0.6666666666666666
    """
    matrix = _tag_matrix(tags)
    return _pairs_sharing(clusters, matrix, _has_any(matrix))


def _has_any(matrix: sparse.csr_matrix) -> BoolArray:
    return np.asarray(np.asarray(matrix.sum(axis=1)).ravel() > 0, dtype=np.bool_)


def _pairs_sharing(
    clusters: Sequence[npt.ArrayLike], matrix: sparse.csr_matrix, counted: BoolArray
) -> float:
    """Share of within-candidate pairs of ``counted`` rows with a column of ``matrix`` in
    common; NaN without such pairs."""
    pairs = _pairs(clusters)
    pairs = pairs[counted[pairs[:, 0]] & counted[pairs[:, 1]]]
    if not len(pairs):
        return math.nan
    shared = np.asarray(matrix[pairs[:, 0]].multiply(matrix[pairs[:, 1]]).sum(axis=1)).ravel()
    return float(np.mean(shared > 0))


def _chance_sharing(matrix: sparse.csr_matrix, counted: BoolArray) -> float:
    """Share of all pairs of ``counted`` rows with a column of ``matrix`` in common."""
    matrix = matrix[counted]
    m = matrix.shape[0]
    if m < 2:
        return math.nan
    common = sparse.csr_matrix(matrix @ matrix.T)
    common.setdiag(0)
    common.eliminate_zeros()
    return float(common.nnz / (m * (m - 1)))


def chance_coherence(tags: Sequence[Sequence[str]]) -> float:
    """Share of all pairs of tagged organisations that share a tag (a random pair's chance).

    Examples
    --------
    >>> chance_coherence([["a"], ["a"], ["b"], []])  # pairs 0-1, 0-2, 1-2 among the tagged
    0.3333333333333333
    """
    matrix = _tag_matrix(tags)
    return _chance_sharing(matrix, _has_any(matrix))


def _network_pairs(networks: Sequence[Sequence[str]]) -> IntArray:
    members: dict[str, list[int]] = {}
    for i, names in enumerate(networks):
        for name in set(names):
            if name and name.strip():
                members.setdefault(name, []).append(i)
    return _pairs([np.array(m) for m in members.values()])


def network_lift(
    clusters: Sequence[npt.ArrayLike], networks: Sequence[Sequence[str]]
) -> tuple[float, float]:
    """How much more often fellow network members share a candidate than chance, and recall.

    ``lift = P(same network and same candidate) / (P(same network) * P(same candidate))``
    over all pairs of the ``n`` organisations: 1 is chance, 10 means a pair in the same
    candidate is ten times likelier than a random pair to be fellow members. ``recall`` is
    the share of fellow-member pairs that share a candidate.

    Returns
    -------
    lift, recall : float
        NaN when there are no candidate pairs or no network pairs.

    Examples
    --------
    >>> networks = [["Scouts"], ["Scouts"], [], [], ["U3A"], ["U3A"]]
    >>> lift, recall = network_lift([[0, 1, 2]], networks)
    >>> round(lift, 2), recall  # 1 of 3 candidate pairs; 2 of 15 pairs are fellow members
    (2.5, 0.5)
    """
    n = len(networks)
    total = n * (n - 1) / 2
    found, truth = _pairs(clusters), _network_pairs(networks)
    if not len(found) or not len(truth) or total == 0:
        return math.nan, math.nan
    both = _count_common(found, truth, n)
    lift = (both / total) / ((len(truth) / total) * (len(found) / total))
    return float(lift), float(both / len(truth))


def _count_common(a: IntArray, b: IntArray, n: int) -> int:
    keys_a = a[:, 0] * n + a[:, 1]
    keys_b = b[:, 0] * n + b[:, 1]
    return int(np.isin(keys_a, keys_b).sum())


def tie_recall(clusters: Sequence[npt.ArrayLike], hidden: npt.ArrayLike, n: int) -> float:
    """Share of ``hidden`` pairs (shape (m, 2)) whose two ends share a candidate.

    Examples
    --------
    >>> tie_recall([[0, 1, 2], [3, 4]], [[1, 0], [2, 3], [4, 3], [5, 6]], 7)
    0.5
    """
    pairs = np.sort(np.asarray(hidden, dtype=np.int64).reshape(-1, 2), axis=1)
    if not len(pairs):
        return math.nan
    pairs = np.unique(pairs, axis=0)
    return _count_common(pairs, _pairs(clusters), n) / len(pairs)


#: The need of a capacity area that the diagnostic calls a gap: median score 2 or below.
GAP_NEED = 0.75


def _gap_matrix(needs: npt.ArrayLike, threshold: float) -> tuple[sparse.csr_matrix, BoolArray]:
    """Gaps as a sparse 0/1 matrix, and who answered (a row not all NaN)."""
    values = np.asarray(needs, dtype=np.float64)
    answered = np.asarray(~np.isnan(values).all(axis=1), dtype=np.bool_)
    return sparse.csr_matrix(
        np.nan_to_num(values, nan=0.0) >= threshold, dtype=np.float64
    ), answered


def shared_gap(
    clusters: Sequence[npt.ArrayLike], needs: npt.ArrayLike, threshold: float = GAP_NEED
) -> float:
    """Share of within-candidate pairs (both answered the diagnostic) that share a gap.

    A gap is a need of at least ``threshold`` (default :data:`GAP_NEED`: median score 2
    or below, the diagnostic's own "gap"). This is the precision of typing candidates as
    resource clusters: a pair sharing a gap has a back-office problem to work on together.
    Pairs with an organisation that did not answer (an all-NaN row) do not count; an
    organisation that answered without any gap counts, as a pair sharing nothing. NaN
    without such pairs.

    Examples
    --------
    >>> nan = np.nan
    >>> needs = [[1.0, 0.0], [0.75, 0.25], [0.0, 1.0], [0.0, 0.0], [nan, nan]]
    >>> shared_gap([[0, 1, 2], [3, 4]], needs)  # 0-1 share HR; 0-2, 1-2 share nothing
    0.3333333333333333
    """
    gaps, answered = _gap_matrix(needs, threshold)
    return _pairs_sharing(clusters, gaps, answered)


def chance_shared_gap(needs: npt.ArrayLike, threshold: float = GAP_NEED) -> float:
    """Share of all pairs of organisations that answered which share a gap (chance level).

    Examples
    --------
    >>> chance_shared_gap([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]])
    0.3333333333333333
    """
    gaps, answered = _gap_matrix(needs, threshold)
    return _chance_sharing(gaps, answered)


def hide_ties(
    orgs: Organisations, share: float = 0.3, seed: int = 0
) -> tuple[Organisations, IntArray]:
    """Hide a share of the existing relationships: what discovery sees, and what it must find.

    The relationships are the direct ties plus the links the ties signal draws between
    fellow network members (:func:`~swim.engine.signals.ties.network_links`): every pair of
    a small network, the nearest fellow members in a large one. A seeded ``share`` of those
    pairs is hidden; the rest become direct ties carrying the weight the signal gave them,
    so the ties signal sees exactly the kept links (and the networks list is emptied).

    Returns
    -------
    kept : Organisations
        ``orgs`` with only the kept relationships.
    hidden : int array, shape (m, 2)
        The hidden pairs, ``i < j``.

    Examples
    --------
    >>> from scipy import sparse
    >>> orgs = Organisations(ids=list("abcd"), names=list("abcd"),
    ...     latitude=np.full(4, np.nan), longitude=np.full(4, np.nan),
    ...     income=np.full(4, np.nan), texts=[""] * 4, classifications=[[]] * 4,
    ...     networks=[["Forum"], ["Forum"], ["Forum"], []])
    >>> kept, hidden = hide_ties(orgs, share=1 / 3, seed=1)
    >>> len(hidden), sparse.triu(kept.ties).nnz, kept.networks
    (1, 2, [[], [], [], []])
    """
    n = len(orgs)
    direct = sparse.csr_matrix(orgs.ties, dtype=np.float64)
    direct = sparse.csr_matrix(direct.maximum(direct.T))
    links = direct + network_links(orgs, seed=seed)
    upper = sparse.triu(links, k=1).tocoo()
    keep = upper.data > 0
    rows, cols, data = upper.row[keep], upper.col[keep], upper.data[keep]
    rng = np.random.default_rng(seed)
    hidden_mask = np.zeros(len(rows), dtype=bool)
    hidden_mask[rng.permutation(len(rows))[: round(share * len(rows))]] = True
    kept = sparse.csr_matrix(
        (data[~hidden_mask], (rows[~hidden_mask], cols[~hidden_mask])), shape=(n, n)
    )
    kept = sparse.csr_matrix(kept + kept.T)
    hidden = np.column_stack([rows[hidden_mask], cols[hidden_mask]]).astype(np.int64)
    return replace(orgs, ties=kept, networks=[[] for _ in range(n)]), hidden


# --- The size rule shared by every baseline ---------------------------------------------


def size_rule(
    groups: Sequence[npt.ArrayLike],
    features: Features,
    min_size: int = 4,
    max_size: int = 12,
    seed: int = 0,
    max_span_km: float = math.inf,
    coordinates: tuple[FloatArray, FloatArray] | None = None,
) -> Clusters:
    """Groups cut to the engine's rules: size ``min_size``..``max_size``, span, as the engine.

    A group whose located members are more than ``max_span_km`` apart (``coordinates``:
    latitude and longitude of every organisation) is first cut by complete-linkage
    clustering of their distances at ``max_span_km``, as the engine does (unlocated members
    go with the largest piece). A group above ``max_size`` is then split by k-means on
    ``features(members)`` into ``ceil(size / max_size)`` pieces, again until every piece
    fits (a piece k-means cannot split, its members being alike, is cut at random into
    equal parts); groups below
    ``min_size`` are dropped.

    Examples
    --------
    >>> pts = np.array([[0.0], [0.1], [0.2], [0.3], [5.0], [5.1], [5.2], [5.3], [9.0]])
    >>> size_rule([np.arange(9)], lambda idx: pts[idx], min_size=3, max_size=5)
    [array([0, 1, 2, 3]), array([4, 5, 6, 7, 8])]
    """
    out: Clusters = []
    queue = [np.unique(np.asarray(g, dtype=np.int64)) for g in groups]
    if coordinates is not None and math.isfinite(max_span_km):
        queue = [p for g in queue for p in _span_pieces(g, coordinates, max_span_km)]
    while queue:
        idx = queue.pop()
        if len(idx) < min_size:
            continue
        if len(idx) <= max_size:
            out.append(idx)
            continue
        k = math.ceil(len(idx) / max_size)
        x = np.asarray(features(idx), dtype=np.float64)
        pieces = []
        if len(np.unique(x, axis=0)) >= k:
            labels = _kmeans(x, k, seed)
            pieces = [idx[labels == label] for label in np.unique(labels)]
        if len(pieces) < 2:  # identical features: cut at random (never in index order)
            shuffled = np.random.default_rng(seed + len(idx)).permutation(idx)
            pieces = [np.sort(p) for p in np.array_split(shuffled, k)]
        queue.extend(pieces)
    out.sort(key=lambda members: int(members[0]))
    return out


def _span_pieces(
    idx: IntArray, coordinates: tuple[FloatArray, FloatArray], max_span_km: float
) -> list[IntArray]:
    """``idx`` cut into pieces of located diameter at most ``max_span_km``."""
    lat, lon = coordinates[0][idx], coordinates[1][idx]
    located = np.flatnonzero(~(np.isnan(lat) | np.isnan(lon)))
    if len(located) < 2:
        return [idx]
    dist = pairwise_km(lat[located], lon[located])
    if dist.max() <= max_span_km:
        return [idx]
    tree = linkage(dist[np.triu_indices(len(located), k=1)], method="complete")
    piece = fcluster(tree, t=max_span_km, criterion="distance") - 1
    pieces = [idx[located[piece == k]] for k in range(int(piece.max()) + 1)]
    unlocated = np.setdiff1d(idx, idx[located])
    largest = int(np.argmax([len(p) for p in pieces]))
    pieces[largest] = np.sort(np.r_[pieces[largest], unlocated])
    return pieces


# --- Baselines --------------------------------------------------------------------------


class _Baseline:
    """Shared parameters and results of the baselines."""

    def __init__(
        self,
        min_size: int = 4,
        max_size: int = 12,
        max_span_km: float = math.inf,
        seed: int = 0,
    ) -> None:
        self.min_size = min_size
        self.max_size = max_size
        self.max_span_km = max_span_km
        self.seed = seed

    def _store(
        self, groups: Sequence[npt.ArrayLike], features: Features, orgs: Organisations
    ) -> None:
        self.clusters_ = size_rule(
            groups, features, self.min_size, self.max_size, self.seed,
            max_span_km=self.max_span_km, coordinates=(orgs.latitude, orgs.longitude),
        )  # fmt: skip
        self.labels_ = clusters_to_labels(self.clusters_, len(orgs))

    def fit(self, orgs: Organisations, text_vectors: Any = None) -> Any:
        raise NotImplementedError


def _unit_sphere(orgs: Organisations) -> FloatArray:
    lat, lon = np.radians(orgs.latitude), np.radians(orgs.longitude)
    xyz = np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
    return np.asarray(xyz * EARTH_RADIUS_KM, dtype=np.float64)


class GeoClusters(_Baseline):
    """Geography only: HDBSCAN on great-circle distance (leaf clusters), then the size rule.

    Parameters
    ----------
    min_size, max_size : int
        The size rule; ``min_size`` is also HDBSCAN's smallest cluster.
    seed : int
        Seeds the k-means splits of the size rule.

    Attributes
    ----------
    clusters_ : list of int arrays
    labels_ : int array
        Cluster per organisation, -1 unassigned (unlocated organisations always are).

    Examples
    --------
    >>> from swim.engine.tests.helpers import make_orgs
    >>> lat = np.r_[np.full(4, 53.40), np.full(4, 53.60)] + np.arange(8) * 1e-4
    >>> orgs = make_orgs(8, latitude=lat, longitude=np.full(8, -2.2))
    >>> GeoClusters().fit(orgs).labels_.tolist()
    [0, 0, 0, 0, 1, 1, 1, 1]
    """

    def fit(self, orgs: Organisations, text_vectors: Any = None) -> GeoClusters:
        located = np.flatnonzero(orgs.located)
        xyz = _unit_sphere(orgs)
        groups: list[IntArray] = []
        if len(located) >= self.min_size:
            points = np.radians(np.column_stack([orgs.latitude, orgs.longitude])[located])
            model = HDBSCAN(
                min_cluster_size=self.min_size,
                metric="haversine",
                cluster_selection_method="leaf",
                allow_single_cluster=True,
                copy=True,
            )
            labels = model.fit_predict(points)
            groups = [located[labels == k] for k in np.unique(labels) if k >= 0]
        self._store(groups, lambda idx: xyz[idx], orgs)
        return self


def _kmeans(x: FloatArray, k: int, seed: int) -> IntArray:
    """k-means labels (at most as many clusters as distinct rows)."""
    k = max(1, min(k, len(np.unique(x, axis=0))))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        labels = KMeans(n_clusters=k, n_init=1, random_state=seed).fit_predict(x)
    return np.asarray(labels, dtype=np.int64)


def _kmeans_groups(x: FloatArray, rows: IntArray, target: float, seed: int) -> list[IntArray]:
    k = max(1, round(len(rows) / target))
    labels = _kmeans(x[rows], k, seed)
    return [rows[labels == label] for label in np.unique(labels)]


class TextClusters(_Baseline):
    """Interest from texts only: k-means on the text vectors, then the size rule.

    The organisations with a text are split into ``round(count / mean size)`` groups, the
    mean size being the middle of the size range, so k-means proposes groups of the size the
    engine aims at. The vectors are the given ``text_vectors`` (e.g. sentence embeddings),
    else :class:`~swim.engine.signals.text.TfidfLsa` vectors of the texts.

    Examples
    --------
    >>> from swim.engine.tests.helpers import make_orgs
    >>> texts = ["food bank meals"] * 8 + ["youth football club"] * 8
    >>> TextClusters().fit(make_orgs(16, texts=texts)).labels_.tolist()
    [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]
    """

    def fit(self, orgs: Organisations, text_vectors: Any = None) -> TextClusters:
        has_text = np.array([bool(t and t.strip()) for t in orgs.texts])
        rows = np.flatnonzero(has_text)
        if text_vectors is None:
            vectors = TfidfLsa(n_components=100, seed=self.seed).fit_transform(orgs.texts)
        else:
            vectors = np.asarray(text_vectors, dtype=np.float64)
        groups: list[IntArray] = []
        if len(rows) >= self.min_size and vectors.shape[1]:
            target = (self.min_size + self.max_size) / 2
            groups = _kmeans_groups(vectors, rows, target, self.seed)
        self._store(groups, lambda idx: vectors[idx], orgs)
        return self


class ClassificationClusters(_Baseline):
    """Interest from register codes only: k-means on IDF-weighted code vectors, size rule.

    Examples
    --------
    >>> from swim.engine.tests.helpers import make_orgs
    >>> codes = [["what:arts"]] * 8 + [["what:sport"]] * 8
    >>> ClassificationClusters().fit(make_orgs(16, classifications=codes)).labels_.tolist()
    [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]
    """

    def fit(self, orgs: Organisations, text_vectors: Any = None) -> ClassificationClusters:
        vectors = np.asarray(code_vectors(orgs.classifications)[0].toarray(), dtype=np.float64)
        rows = np.flatnonzero(vectors.any(axis=1)) if vectors.size else np.zeros(0, np.int64)
        groups: list[IntArray] = []
        if len(rows) >= self.min_size:
            target = (self.min_size + self.max_size) / 2
            groups = _kmeans_groups(vectors, rows, target, self.seed)
        self._store(groups, lambda idx: vectors[idx], orgs)
        return self


class TiesClusters(_Baseline):
    """Existing relationships only: Leiden (modularity) on the ties signal, then the size rule.

    The graph is :func:`~swim.engine.signals.ties.ties_similarity` (direct ties and network
    links); organisations without a relationship are unassigned. Oversized communities are
    split by k-means on their rows of the tie graph.

    Examples
    --------
    >>> from scipy import sparse
    >>> from swim.engine.tests.helpers import make_orgs
    >>> ties = sparse.block_diag([np.ones((4, 4)), np.ones((4, 4)), [[0]]]).tocsr()
    >>> TiesClusters().fit(make_orgs(9, ties=ties)).labels_.tolist()
    [0, 0, 0, 0, 1, 1, 1, 1, -1]
    """

    def fit(self, orgs: Organisations, text_vectors: Any = None) -> TiesClusters:
        graph = sparse.csr_matrix(ties_similarity(orgs, seed=self.seed))
        linked = np.flatnonzero(np.diff(graph.indptr) > 0)
        groups: list[IntArray] = []
        if len(linked) >= self.min_size:
            sub = graph[linked][:, linked]
            g, weights = _to_igraph(sub)
            with _igraph_seeded(self.seed):
                membership = g.community_leiden(
                    objective_function="modularity", weights=weights, n_iterations=-1
                ).membership
            labels = np.asarray(membership, dtype=np.int64)
            groups = [linked[labels == k] for k in np.unique(labels)]

        def rows(idx: IntArray) -> FloatArray:
            return np.asarray(graph[idx][:, idx].toarray() + np.eye(len(idx)), np.float64)

        self._store(groups, rows, orgs)
        return self


class NeedsClusters(_Baseline):
    """Diagnostic needs only: k-means on the gap profiles, then the size rule.

    The organisations that answered the diagnostic with at least one need above 0 are
    split into ``round(count / mean size)`` groups by k-means on their gap profiles scaled
    to unit length (the needs signal compares profiles by cosine: their shape, not their
    size), as :class:`ClassificationClusters` does with codes. Oversized groups are split on
    the same vectors; a group of identical profiles is cut at random.

    Examples
    --------
    >>> from swim.engine.tests.helpers import make_orgs
    >>> needs = np.array([[1.0, 0.0]] * 8 + [[0.0, 0.75]] * 8 + [[np.nan, np.nan]])
    >>> NeedsClusters().fit(make_orgs(17, needs=needs)).labels_.tolist()
    [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, -1]
    """

    def fit(self, orgs: Organisations, text_vectors: Any = None) -> NeedsClusters:
        gaps, _ = gap_profiles(orgs)
        norms = np.linalg.norm(gaps, axis=1) if gaps.size else np.zeros(len(orgs))
        rows = np.flatnonzero(norms > 0)
        vectors = gaps / np.where(norms > 0, norms, 1.0)[:, None]
        groups: list[IntArray] = []
        if len(rows) >= self.min_size:
            target = (self.min_size + self.max_size) / 2
            groups = _kmeans_groups(vectors, rows, target, self.seed)
        self._store(groups, lambda idx: vectors[idx], orgs)
        return self


class RandomClusters:
    """Random disjoint groups with given sizes: the chance level of every measure.

    Parameters
    ----------
    sizes : sequence of int
        Size of each group (e.g. the engine's candidates, for the same coverage).
    seed : int

    Examples
    --------
    >>> from swim.engine.tests.helpers import make_orgs
    >>> model = RandomClusters([4, 5], seed=3).fit(make_orgs(20))
    >>> [len(c) for c in model.clusters_], int((model.labels_ >= 0).sum())
    ([4, 5], 9)
    """

    def __init__(self, sizes: Sequence[int], seed: int = 0) -> None:
        self.sizes = sizes
        self.seed = seed

    def fit(self, orgs: Organisations, text_vectors: Any = None) -> RandomClusters:
        n = len(orgs)
        order = np.random.default_rng(self.seed).permutation(n).astype(np.int64)
        clusters: Clusters = []
        start = 0
        for size in self.sizes:
            if start + size > n:
                break
            clusters.append(np.sort(order[start : start + size]))
            start += size
        self.clusters_ = clusters
        self.labels_ = clusters_to_labels(clusters, n)
        return self


class EngineClusters:
    """The engine: :class:`~swim.engine.discover.Discovery` with ``weights``; its candidates.

    Parameters
    ----------
    weights : SignalWeights
    **params
        Any other :class:`~swim.engine.discover.Discovery` parameter.
    """

    def __init__(self, weights: SignalWeights = DEFAULT_WEIGHTS, **params: Any) -> None:
        self.weights = weights
        self.params = params

    def fit(self, orgs: Organisations, text_vectors: Any = None) -> EngineClusters:
        model = Discovery(weights=self.weights, **self.params).fit(orgs, text_vectors=text_vectors)
        self.discovery_ = model
        self.clusters_: Clusters = [np.asarray(members) for members, _ in model.candidates_]
        self.labels_ = clusters_to_labels(self.clusters_, len(orgs))
        return self


# --- A planted area ---------------------------------------------------------------------

_THEMES: dict[str, tuple[str, ...]] = {
    "food": ("food", "bank", "meals", "pantry", "hunger", "surplus", "kitchen", "parcels"),
    "youth": ("youth", "young", "club", "teenagers", "mentoring", "after", "school", "play"),
    "older": ("older", "lunch", "dementia", "friendship", "befriending", "elderly", "cafe"),
    "women": ("women", "mothers", "domestic", "abuse", "refuge", "wellbeing", "confidence"),
    "arts": ("arts", "theatre", "music", "choir", "gallery", "drama", "creative", "heritage"),
    "sport": ("sport", "football", "cricket", "swimming", "fitness", "league", "coaching"),
    "health": ("health", "mental", "carers", "support", "recovery", "counselling", "disability"),
    "environment": ("environment", "garden", "allotment", "green", "trees", "wildlife", "litter"),
    "faith": ("church", "faith", "worship", "parish", "mosque", "congregation", "prayer"),
    "advice": ("advice", "debt", "benefits", "housing", "legal", "money", "welfare", "rights"),
}
_GENERIC = (
    "community", "local", "people", "volunteers", "charity", "group", "services", "support",
    "area", "residents", "projects", "activities", "families", "events",
)  # fmt: skip
_CODE_OF_THEME = {theme: f"what:{i + 101}" for i, theme in enumerate(_THEMES)}


def make_planted_area(
    n_clusters: int = 40,
    n_background: int = 1200,
    n_places: int = 12,
    tie_rate: float = 0.35,
    noise_ties: int = 300,
    seed: int = 0,
) -> tuple[Organisations, IntArray]:
    """A made-up area with planted clusters of 4-10 organisations, and their labels.

    A planted cluster is a group of organisations a few hundred metres apart around one of
    ``n_places`` neighbourhood centres, sharing a theme (words of its text, a register
    code), with some of its pairs tied (``tie_rate``) and its members in a local forum
    (half of the clusters). No single signal finds them: the ``n_background``
    organisations crowd the same neighbourhoods with the same themes, each theme is planted
    in several places, themes' vocabularies overlap through generic words, ``noise_ties``
    random ties and three area-wide federations link unrelated organisations, and each
    member keeps its theme's words only most of the time.

    Returns
    -------
    orgs : Organisations
    truth : int array
        Planted cluster of each organisation, -1 for the background.

    Examples
    --------
    >>> orgs, truth = make_planted_area(n_clusters=3, n_background=20, seed=1)
    >>> len(orgs), int(truth.max()) + 1, int((truth < 0).sum())
    (43, 3, 20)
    >>> make_planted_area(n_clusters=3, n_background=20, seed=1)[1].tolist() == truth.tolist()
    True
    """
    rng = np.random.default_rng(seed)
    themes = list(_THEMES)
    centres = np.column_stack(
        [53.40 + rng.uniform(0, 0.18, n_places), -2.40 + rng.uniform(0, 0.30, n_places)]
    )
    sizes = rng.integers(4, 11, n_clusters)
    truth = np.r_[np.repeat(np.arange(n_clusters), sizes), np.full(n_background, -1)]
    n = len(truth)
    place = np.empty(n, dtype=np.int64)
    theme = np.empty(n, dtype=np.int64)
    spread = np.empty(n)
    for k in range(n_clusters):
        members = truth == k
        place[members] = rng.integers(n_places)
        theme[members] = rng.integers(len(themes))
        spread[members] = 0.003  # about 300 m
    background = truth < 0
    place[background] = rng.integers(n_places, size=int(background.sum()))
    theme[background] = rng.integers(len(themes), size=int(background.sum()))
    spread[background] = 0.012  # about 1.3 km: the neighbourhood around the centre
    jitter = rng.normal(size=(n, 2)) * spread[:, None] * np.array([1.0, 1.6])
    latitude = centres[place, 0] + jitter[:, 0]
    longitude = centres[place, 1] + jitter[:, 1]
    texts, classifications = [], []
    for i in range(n):
        own = theme[i] if rng.random() < 0.8 else rng.integers(len(themes))
        words = list(rng.choice(_THEMES[themes[own]], size=4, replace=False))
        words += list(rng.choice(_GENERIC, size=5, replace=False))
        rng.shuffle(words)
        texts.append(" ".join(words))
        codes = [_CODE_OF_THEME[themes[own]], f"who:{201 + int(rng.integers(7))}"]
        classifications.append(codes)
    rows, cols = [], []
    for k in range(n_clusters):
        members = np.flatnonzero(truth == k)
        a, b = np.triu_indices(len(members), k=1)
        keep = rng.random(len(a)) < tie_rate
        rows += members[a[keep]].tolist()
        cols += members[b[keep]].tolist()
    noise = rng.integers(n, size=(noise_ties, 2))
    noise = noise[noise[:, 0] != noise[:, 1]]
    rows += noise[:, 0].tolist()
    cols += noise[:, 1].tolist()
    ties = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    ties = sparse.csr_matrix((ties + ties.T) > 0, dtype=np.float64)
    networks: list[list[str]] = [[] for _ in range(n)]
    for k in range(0, n_clusters, 2):
        for member in np.flatnonzero(truth == k):
            networks[member].append(f"Forum {k}")
    for i in range(n):
        if rng.random() < 0.1:
            networks[i].append(f"Federation {int(rng.integers(3))}")
    income = np.asarray(np.round(np.exp(rng.normal(10, 1.5, n)), -2), dtype=np.float64)
    orgs = Organisations(
        ids=[f"planted-{i}" for i in range(n)],
        names=[f"Organisation {i}" for i in range(n)],
        latitude=latitude,
        longitude=longitude,
        income=income,
        texts=texts,
        classifications=classifications,
        ties=ties,
        networks=networks,
    )
    return orgs, truth.astype(np.int64)


# --- A planted diagnostic ---------------------------------------------------------------

#: How often an organisation reports a gap in each capacity area (median score 2 or below),
#: HR and ICT the most common ("HR and ICT are by far the biggest problems").
GAP_RATES: Mapping[str, float] = MappingProxyType(
    {
        "hr": 0.45,
        "ict": 0.40,
        "finance": 0.15,
        "governance": 0.12,
        "fundraising": 0.25,
        "premises": 0.10,
        "communications": 0.18,
        "volunteering": 0.15,
        "data_protection": 0.15,
        "safeguarding": 0.06,
        "legal": 0.08,
        "impact_measurement": 0.20,
    }
)
_GAP_MEDIANS = (np.array([1.0, 1.5, 2.0]), np.array([0.3, 0.15, 0.55]))
_OTHER_MEDIANS = (
    np.array([2.5, 3.0, 3.5, 4.0, 4.5, 5.0]),
    np.array([0.1, 0.3, 0.1, 0.3, 0.05, 0.15]),
)


def add_planted_diagnostic(
    orgs: Organisations,
    truth: npt.ArrayLike,
    answered: float = 0.6,
    keep_gap: float = 0.75,
    seed: int = 0,
) -> Organisations:
    """``orgs`` with a made-up needs diagnostic: planted clusters share one or two gaps.

    A seeded share ``answered`` of all organisations (planted or not alike) answered.
    Everyone's capacity areas are gaps at the rates of :data:`GAP_RATES` (HR and ICT in
    about two of five organisations), the median score of a gap being 1 to 2 and of
    any other area 2.5 to 5, and ``needs = (5 - median) / 4`` as the diagnostic gives it
    (5% of areas unrated: NaN). Each planted cluster (``truth`` >= 0) also has one or two
    **shared gaps**, drawn at the same rates (so mostly HR or ICT); each member that
    answered has each of them only with probability ``keep_gap``. So a shared gap is
    evidence, not an answer: most background organisations have a gap in HR or ICT too.
    Offers: an answered organisation offers each area it is strong in (median 4 or more)
    with probability 0.15, and in a third of the clusters one answering member with no gap
    in the first shared area offers it. CEO hours: 85% of those who answered give some
    (median about 4 a month, one in seven 0); they weigh readiness only.

    Parameters
    ----------
    orgs : Organisations
        From :func:`make_planted_area`; any ``needs``, ``offers`` or ``ceo_hours`` is replaced.
    truth : int array
        Planted cluster of each organisation, -1 for the background.
    answered : float, default 0.6
        Share of organisations that answered the diagnostic.
    keep_gap : float, default 0.75
        Chance that a member of a planted cluster has each of its shared gaps.
    seed : int

    Returns
    -------
    Organisations
        ``orgs`` with ``needs``, ``offers`` and ``ceo_hours`` (NaN rows for those who did
        not answer). Everything else is unchanged, so the same area can be evaluated with
        and without its diagnostic.

    Examples
    --------
    >>> orgs, truth = make_planted_area(n_clusters=3, n_background=20, seed=1)
    >>> diagnosed = add_planted_diagnostic(orgs, truth, seed=1)
    >>> diagnosed.needs.shape, diagnosed.texts == orgs.texts
    ((43, 12), True)
    >>> int((~np.isnan(diagnosed.needs).all(axis=1)).sum())  # answered
    27
    >>> planted = [np.flatnonzero(truth == k) for k in range(3)]
    >>> round(shared_gap(planted, diagnosed.needs), 2), round(chance_shared_gap(diagnosed.needs), 2)
    (0.78, 0.64)
    """
    labels = np.asarray(truth, dtype=np.int64)
    n, areas = len(orgs), len(CAPACITY_AREAS)
    if len(labels) != n:
        raise ValueError(f"truth needs {n} labels (one per organisation), got {len(labels)}")
    if not (0 <= answered <= 1 and 0 <= keep_gap <= 1):
        raise ValueError("answered and keep_gap must be shares between 0 and 1")
    rng = np.random.default_rng(seed)
    rates = np.array([GAP_RATES[a] for a in CAPACITY_AREAS])
    has = rng.random(n) < answered
    gap = rng.random((n, areas)) < rates
    first_shared = []
    for k in range(int(labels.max(initial=-1)) + 1):
        members = np.flatnonzero(labels == k)
        shared = rng.choice(areas, size=1 + int(rng.random() < 0.4), replace=False,
                            p=rates / rates.sum())  # fmt: skip
        gap[np.ix_(members, shared)] = rng.random((len(members), len(shared))) < keep_gap
        first_shared.append(int(shared[0]))
    median = np.where(
        gap,
        rng.choice(_GAP_MEDIANS[0], size=(n, areas), p=_GAP_MEDIANS[1]),
        rng.choice(_OTHER_MEDIANS[0], size=(n, areas), p=_OTHER_MEDIANS[1]),
    )
    offers = (median >= 4.0) & (rng.random((n, areas)) < 0.15)
    for k, first in enumerate(first_shared):
        able = np.flatnonzero((labels == k) & has & ~gap[:, first])
        if rng.random() < 1 / 3 and len(able):
            offers[int(rng.choice(able)), first] = True
    needs = (5.0 - median) / 4.0
    needs[rng.random((n, areas)) < 0.05] = np.nan
    needs[~has] = np.nan
    offers &= has[:, None] & ~np.isnan(needs)
    hours = np.asarray(np.round(np.exp(rng.normal(np.log(4.0), 0.8, n))), dtype=np.float64)
    hours[rng.random(n) < 1 / 7] = 0.0
    hours[~has | (rng.random(n) >= 0.85)] = np.nan
    return replace(orgs, needs=needs, offers=offers, ceo_hours=hours)


# --- One evaluation ---------------------------------------------------------------------


@dataclass
class EvaluationSet:
    """One data set and the answers it is judged against.

    Parameters
    ----------
    name : str
    orgs : Organisations
        What every method sees (ground truth already withheld). With a diagnostic
        (``orgs.needs``) every row also gets the shared-gap measure (:func:`shared_gap`)
        and the needs-only baseline runs.
    text_vectors : array, optional
        Text embeddings, for the engine and the text baseline (else TF-IDF + LSA).
    truth : int array, optional
        Planted cluster per organisation (-1: none): NMI and ARI.
    tags : list of list of str, optional
        Hand-made tags per organisation: pair coherence.
    networks : list of list of str, optional
        Networks each organisation belongs to (withheld from ``orgs``): network lift.
    hidden_ties : int array, shape (m, 2), optional
        Relationships hidden from ``orgs``: tie recall.
    max_span_km : float, default 5.0
        Largest distance between two members, for every method (the engine's default); a
        national sample, with few neighbours within a few kilometres, lifts it
        (:data:`NO_SPAN_LIMIT`).
    notes : list of str
        Sentences describing the data, for the report.
    """

    name: str
    orgs: Organisations
    text_vectors: FloatArray | None = None
    truth: IntArray | None = None
    tags: list[list[str]] | None = None
    networks: list[list[str]] | None = None
    hidden_ties: IntArray | None = None
    max_span_km: float = 5.0
    notes: list[str] = field(default_factory=list)


#: A span no two places on Earth exceed: no span limit.
NO_SPAN_LIMIT = 20_000.0

#: The measures a row may carry, in table order.
MEASURES: tuple[str, ...] = (
    "nmi", "ari", "shared_gap", "coherence", "lift", "network_recall", "tie_recall",
)  # fmt: skip


def _measures(data: EvaluationSet, clusters: Sequence[npt.ArrayLike]) -> dict[str, float]:
    n = len(data.orgs)
    out: dict[str, float] = {}
    if data.truth is not None:
        out["nmi"], out["ari"] = partition_scores(data.truth, clusters)
    if data.orgs.needs is not None:
        out["shared_gap"] = shared_gap(clusters, data.orgs.needs)
    if data.tags is not None:
        out["coherence"] = pair_coherence(clusters, data.tags)
    if data.networks is not None:
        out["lift"], out["network_recall"] = network_lift(clusters, data.networks)
    if data.hidden_ties is not None:
        out["tie_recall"] = tie_recall(clusters, data.hidden_ties, n)
    return out


def _row(method: str, data: EvaluationSet, clusters: Sequence[npt.ArrayLike]) -> dict[str, Any]:
    n = len(data.orgs)
    covered = int((clusters_to_labels(clusters, n) >= 0).sum())
    return {
        "dataset": data.name,
        "method": method,
        "organisations": n,
        "candidates": len(clusters),
        "coverage": covered / n if n else math.nan,
        **_measures(data, clusters),
    }


def _has_data(method: str, orgs: Organisations, text_vectors: Any) -> bool:
    if method == "geo-only":
        return bool(orgs.located.any())
    if method == "text-only":
        return any(t and t.strip() for t in orgs.texts)
    if method == "classification-only":
        return any(any(c for c in codes) for codes in orgs.classifications)
    if method == "ties-only":
        return bool(orgs.ties.nnz) or any(any(names) for names in orgs.networks)
    if method == "needs-only":
        return bool(gap_profiles(orgs)[0].any())
    return True


def evaluate(
    data: EvaluationSet,
    *,
    engines: Mapping[str, SignalWeights] | None = None,
    min_size: int = 4,
    max_size: int = 12,
    seed: int = 0,
    repeats: int = 1,
    n_random: int = 5,
    engine_params: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Run the engine(s) and every baseline on ``data``; one row per method.

    Parameters
    ----------
    data : EvaluationSet
    engines : mapping of str to SignalWeights, optional
        Engine variants by row name; default ``{"engine (default)": DEFAULT_WEIGHTS}``. The
        first one's candidate sizes are the random baseline's.
    min_size, max_size : int
        The size range of every method.
    seed : int
    repeats : int
        Runs with seeds ``seed``, ``seed + 1``…, averaged: Leiden, the k-means splits and
        the tie-breaking of equal similarities all draw on the seed, and a measure over a
        few hundred pairs moves with them.
    n_random : int
        Random draws averaged for the random baseline, per run.
    engine_params : mapping, optional
        Other :class:`~swim.engine.discover.Discovery` parameters.

    Returns
    -------
    list of dict
        ``dataset``, ``method``, ``organisations``, ``candidates``, ``coverage`` and the
        measures the data allows (see :data:`MEASURES`), averaged over the runs; a method
        without data for its signal gets ``"skipped"`` with the reason instead of measures.
    """
    runs = [
        _evaluate_once(data, engines, min_size, max_size, seed + r, n_random, engine_params)
        for r in range(max(1, repeats))
    ]
    return [_mean_row(list(rows)) for rows in zip(*runs, strict=True)]


def _mean_row(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The first row with its counts and measures averaged over ``rows`` (NaN ignored)."""
    out = dict(rows[0])
    for key in ("candidates", "coverage", *MEASURES):
        if key in out:
            values = np.array([row[key] for row in rows], dtype=np.float64)
            out[key] = float(np.nanmean(values)) if np.isfinite(values).any() else math.nan
    return out


def _evaluate_once(
    data: EvaluationSet,
    engines: Mapping[str, SignalWeights] | None,
    min_size: int,
    max_size: int,
    seed: int,
    n_random: int,
    engine_params: Mapping[str, Any] | None,
) -> list[dict[str, Any]]:
    engines = dict(engines or {"engine (default)": DEFAULT_WEIGHTS})
    span = data.max_span_km
    params = {"min_size": min_size, "max_size": max_size, "max_span_km": span, "seed": seed}
    params.update(engine_params or {})
    orgs, vectors = data.orgs, data.text_vectors
    rows: list[dict[str, Any]] = []
    sizes: list[int] = []
    for name, weights in engines.items():
        model = EngineClusters(weights, **params).fit(orgs, text_vectors=vectors)
        rows.append(_row(name, data, model.clusters_))
        if not sizes:
            sizes = [len(c) for c in model.clusters_]
    baselines: dict[str, _Baseline] = {
        "geo-only": GeoClusters(min_size, max_size, span, seed),
        "text-only": TextClusters(min_size, max_size, span, seed),
        "classification-only": ClassificationClusters(min_size, max_size, span, seed),
        "ties-only": TiesClusters(min_size, max_size, span, seed),
    }
    if orgs.needs is not None:  # only where there is a diagnostic at all
        baselines["needs-only"] = NeedsClusters(min_size, max_size, span, seed)
    for name, baseline in baselines.items():
        if not _has_data(name, orgs, vectors):
            rows.append({"dataset": data.name, "method": name, "skipped": "no data"})
            continue
        baseline.fit(orgs, text_vectors=vectors)
        rows.append(_row(name, data, baseline.clusters_))
    draws = [
        _row("random", data, RandomClusters(sizes, seed=seed * 1000 + d).fit(orgs).clusters_)
        for d in range(max(1, n_random))
    ]
    rows.append(_mean_row(draws))
    return rows
