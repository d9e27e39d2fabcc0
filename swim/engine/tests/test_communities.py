"""ClusterFinder and partners_for: known answers, determinism and the constraints as invariants."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import sparse
from scipy.sparse import csgraph
from sklearn.metrics import normalized_mutual_info_score
from sklearn.neighbors import NearestNeighbors

from swim.engine.communities import (
    MIN_KNOWN_INCOMES,
    ClusterFinder,
    income_shares,
    partners_for,
    span_km,
    submatrix,
)
from swim.engine.data import Organisations

KM_LAT = 1 / 111.2  # degrees of latitude per km
KM_LON = 1 / (111.2 * np.cos(np.radians(51.5)))  # degrees of longitude per km at 51.5 N


def make_orgs(
    n: int,
    *,
    lat: np.ndarray | None = None,
    lon: np.ndarray | None = None,
    income: np.ndarray | None = None,
) -> Organisations:
    return Organisations(
        ids=[f"GB-TEST-{i}" for i in range(n)],
        names=[f"Org {i}" for i in range(n)],
        latitude=np.full(n, np.nan) if lat is None else lat,
        longitude=np.full(n, np.nan) if lon is None else lon,
        income=np.full(n, np.nan) if income is None else income,
        texts=[""] * n,
        classifications=[[] for _ in range(n)],
    )


def cliques(*sizes: int, bridge: float = 0.1) -> sparse.csr_matrix:
    """Cliques of weight 1, consecutive ones joined by one edge of weight ``bridge``."""
    n = sum(sizes)
    adj = np.zeros((n, n))
    start = 0
    for k, size in enumerate(sizes):
        adj[start : start + size, start : start + size] = 1.0
        if k:
            adj[start - 1, start] = adj[start, start - 1] = bridge
        start += size
    np.fill_diagonal(adj, 0)
    return sparse.csr_matrix(adj)


def geometric(
    n: int, seed: int, side_km: float = 8.0, k: int = 6
) -> tuple[sparse.csr_matrix, Organisations]:
    """A kNN graph of ``n`` organisations scattered over a square, with incomes."""
    rng = np.random.default_rng(seed)
    xy = rng.random((n, 2)) * side_km
    dist, ind = NearestNeighbors(n_neighbors=k + 1).fit(xy).kneighbors(xy)
    w = np.exp(-((dist[:, 1:] / np.median(dist[:, 1:])) ** 2) / 2).ravel()
    g = sparse.csr_matrix((w, (np.repeat(np.arange(n), k), ind[:, 1:].ravel())), shape=(n, n))
    g = g.maximum(g.T).tocsr()
    income = np.exp(rng.normal(np.log(40_000), 1.5, n))
    income[rng.random(n) < 0.1] = np.nan
    lat, lon = 51.5 + xy[:, 1] * KM_LAT, -0.1 + xy[:, 0] * KM_LON
    lat[rng.random(n) < 0.05] = np.nan
    return g, make_orgs(n, lat=lat, lon=lon, income=income)


def assert_valid(finder: ClusterFinder, graph: sparse.csr_matrix, orgs: Organisations) -> None:
    """Every candidate meets every constraint, and the attributes agree with each other."""
    counts = np.zeros(len(orgs), dtype=int)
    for members in finder.clusters_:
        assert finder.min_size <= len(members) <= finder.max_size
        assert np.all(np.diff(members) > 0), "members ascending and distinct"
        assert span_km(members, orgs) <= finder.max_span_km + 1e-9
        shares = income_shares(members, orgs.income, MIN_KNOWN_INCOMES)
        assert not np.any(shares > finder.max_income_share + 1e-12)
        inside = sparse.csr_matrix(submatrix(graph, members))
        assert csgraph.connected_components(inside, directed=False)[0] == 1
        counts[members] += 1
    assert counts.max(initial=0) <= finder.max_memberships
    assert np.all(np.diff(finder.cohesion_) <= 1e-12), "most cohesive first"
    for i, label in enumerate(finder.labels_):
        if label < 0:
            assert counts[i] == 0
        else:
            assert i in finder.clusters_[label]
            assert not any(i in c for c in finder.clusters_[:label])


# --- Known answers -----------------------------------------------------------------------


def test_two_cliques_joined_by_a_weak_edge_are_two_clusters() -> None:
    graph = cliques(6, 6)
    finder = ClusterFinder(seed=0).fit(graph, make_orgs(12))
    assert [c.tolist() for c in finder.clusters_] == [list(range(6)), list(range(6, 12))]
    assert 0 < finder.resolution_ < 1.0


def test_planted_partition_is_recovered() -> None:
    rng = np.random.default_rng(7)
    truth = np.repeat(np.arange(3), 10)
    p = np.where(truth[:, None] == truth[None], 0.7, 0.05)
    upper = np.triu(rng.random((30, 30)) < p, 1)
    graph = sparse.csr_matrix((upper | upper.T).astype(float))
    finder = ClusterFinder(seed=3).fit(graph, make_orgs(30))
    assert normalized_mutual_info_score(truth, finder.labels_) >= 0.9


def test_a_given_resolution_is_used() -> None:
    finder = ClusterFinder(resolution=0.5).fit(cliques(6, 6), make_orgs(12))
    assert finder.resolution_ == 0.5
    assert len(finder.clusters_) == 2


def test_groups_below_min_size_are_dropped() -> None:
    finder = ClusterFinder().fit(cliques(3, 6, bridge=0.0), make_orgs(9))
    assert [c.tolist() for c in finder.clusters_] == [list(range(3, 9))]
    assert finder.labels_.tolist() == [-1, -1, -1, 0, 0, 0, 0, 0, 0]


def test_a_graph_without_edges_has_no_clusters() -> None:
    finder = ClusterFinder().fit(sparse.csr_matrix((5, 5)), make_orgs(5))
    assert finder.clusters_ == []
    assert np.isnan(finder.resolution_)
    assert finder.labels_.tolist() == [-1] * 5


# --- Constraints -------------------------------------------------------------------------


def test_an_oversized_uniform_clique_is_split() -> None:
    finder = ClusterFinder(max_size=12).fit(cliques(20), make_orgs(20))
    assert sorted(len(c) for c in finder.clusters_) == [10, 10]


def test_a_cluster_spread_over_two_places_is_split_by_place() -> None:
    # One clique of eight: four in one place, four 20 km north, one not located.
    lat = np.r_[np.full(4, 51.5), np.full(4, 51.5 + 20 * KM_LAT), np.nan]
    lat[:8] += np.arange(8) * 0.1 * KM_LAT
    orgs = make_orgs(9, lat=lat, lon=np.r_[np.zeros(8), np.nan])
    graph = cliques(9).tolil()
    graph[8, 4:8] = graph[4:8, 8] = 0.0  # the unlocated one is linked to the first place only
    graph = sparse.csr_matrix(graph)
    finder = ClusterFinder(resolution=0.3).fit(graph, orgs)
    assert sorted(c.tolist() for c in finder.clusters_) == [[0, 1, 2, 3, 8], [4, 5, 6, 7]]


def test_a_large_charity_does_not_join_a_cluster_of_small_ones() -> None:
    income = np.array([5e6, 20e3, 30e3, 25e3, 15e3, np.nan])
    finder = ClusterFinder().fit(cliques(6), make_orgs(6, income=income))
    assert [c.tolist() for c in finder.clusters_] == [[1, 2, 3, 4, 5]]


def test_removing_a_dominant_hub_splits_what_it_held_together() -> None:
    # Org 0 (large income) links two groups of four that are not linked to each other.
    adj = np.zeros((9, 9))
    adj[1:5, 1:5] = adj[5:9, 5:9] = 1.0
    adj[0, 1:] = adj[1:, 0] = 1.0
    np.fill_diagonal(adj, 0)
    income = np.r_[2e6, np.full(8, 20e3)]
    finder = ClusterFinder(resolution=0.3).fit(sparse.csr_matrix(adj), make_orgs(9, income=income))
    assert [c.tolist() for c in finder.clusters_] == [[1, 2, 3, 4], [5, 6, 7, 8]]


def test_constraints_hold_on_a_random_geometric_area() -> None:
    graph, orgs = geometric(300, seed=1)
    finder = ClusterFinder(max_span_km=1.5, seed=2).fit(graph, orgs)
    assert len(finder.clusters_) >= 20
    assert (finder.labels_ >= 0).mean() > 0.5
    assert_valid(finder, graph, orgs)


def test_overlapping_candidates_respect_max_memberships() -> None:
    graph, orgs = geometric(200, seed=4)
    signals = {"location": graph, "text": sparse.csr_matrix(graph.shape)}
    single = ClusterFinder(seed=1).fit(graph, orgs)
    finder = ClusterFinder(max_memberships=2, seed=1).fit(graph, orgs, signals)
    assert_valid(finder, graph, orgs)
    counts = np.bincount(np.concatenate(finder.clusters_), minlength=len(orgs))
    assert counts.max() == 2, "some organisation is offered a second candidate"
    assert len(finder.clusters_) > len(single.clusters_)
    for i, a in enumerate(finder.clusters_):
        for b in finder.clusters_[:i]:
            same = len(np.intersect1d(a, b))
            assert same / (len(a) + len(b) - same) < 0.5


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(2, 40),
    density=st.floats(0.05, 0.6),
    min_size=st.integers(2, 5),
    extra=st.integers(0, 6),
    span=st.floats(0.3, 5.0),
    share=st.floats(0.3, 0.9),
    memberships=st.integers(1, 2),
    data_seed=st.integers(0, 2**16),
)
def test_constraints_hold_on_random_small_graphs(
    n: int,
    density: float,
    min_size: int,
    extra: int,
    span: float,
    share: float,
    memberships: int,
    data_seed: int,
) -> None:
    rng = np.random.default_rng(data_seed)
    upper = np.triu(rng.random((n, n)) < density, 1) * rng.random((n, n))
    graph = sparse.csr_matrix(upper + upper.T)
    lat = 51.5 + rng.random(n) * 4 * KM_LAT
    lon = -0.1 + rng.random(n) * 4 * KM_LON
    lat[rng.random(n) < 0.2] = np.nan
    income = np.exp(rng.normal(10, 2, n))
    income[rng.random(n) < 0.3] = np.nan
    orgs = make_orgs(n, lat=lat, lon=lon, income=income)
    finder = ClusterFinder(
        min_size=min_size,
        max_size=min_size + extra,
        max_span_km=span,
        max_income_share=share,
        max_memberships=memberships,
        seed=data_seed,
    ).fit(graph, orgs, {"location": graph})
    assert_valid(finder, graph, orgs)


# --- Determinism and parameters ----------------------------------------------------------


def test_the_same_seed_gives_the_same_clusters() -> None:
    graph, orgs = geometric(250, seed=5)
    first = ClusterFinder(seed=11).fit(graph, orgs)
    random.seed(12345)  # the global random state plays no part
    again = ClusterFinder(seed=11).fit(graph, orgs)
    assert [c.tolist() for c in first.clusters_] == [c.tolist() for c in again.clusters_]
    assert first.resolution_ == again.resolution_


def test_fitting_leaves_the_global_random_state_alone() -> None:
    random.seed(99)
    expected = random.random()
    random.seed(99)
    ClusterFinder().fit(cliques(6, 6), make_orgs(12))
    assert random.random() == expected


def test_init_only_stores_parameters() -> None:
    finder = ClusterFinder(min_size=9, max_size=3)  # invalid, but only checked by fit
    assert (finder.min_size, finder.max_size, finder.seed) == (9, 3, 0)
    with pytest.raises(ValueError, match="min_size"):
        finder.fit(cliques(6), make_orgs(6))


def test_an_asymmetric_graph_is_refused() -> None:
    graph = sparse.csr_matrix(np.triu(np.ones((5, 5)), 1))
    with pytest.raises(ValueError, match="symmetric"):
        ClusterFinder().fit(graph, make_orgs(5))


# --- Partners for one organisation ---------------------------------------------------------


def test_partners_are_the_organisations_own_group() -> None:
    graph = cliques(5, 6, 5, bridge=0.2)
    partners = partners_for(graph, 7, make_orgs(16))
    assert partners.tolist() == list(range(5, 11))


def test_partners_respect_the_constraints() -> None:
    graph, orgs = geometric(300, seed=6)
    for seed_index in (0, 50, 100, 150, 200):
        partners = partners_for(graph, seed_index, orgs, max_span_km=1.0)
        assert len(partners) == 0 or seed_index in partners
        if len(partners):
            assert 4 <= len(partners) <= 12
            assert span_km(partners, orgs) <= 1.0
            assert not np.any(income_shares(partners, orgs.income, MIN_KNOWN_INCOMES) > 0.5)
            inside = sparse.csr_matrix(submatrix(graph, partners))
            assert csgraph.connected_components(inside, directed=False)[0] == 1


def test_a_dominant_organisation_has_no_partners_but_others_do_without_it() -> None:
    income = np.array([5e6, 20e3, 30e3, 25e3, 15e3, 20e3])
    orgs = make_orgs(6, income=income)
    assert partners_for(cliques(6), 0, orgs).tolist() == []
    assert partners_for(cliques(6), 2, orgs).tolist() == [1, 2, 3, 4, 5]


def test_an_isolated_organisation_has_no_partners() -> None:
    graph = sparse.csr_matrix(sparse.block_diag([cliques(5), sparse.csr_matrix((1, 1))]))
    assert partners_for(graph, 5, make_orgs(6)).tolist() == []


def test_two_known_incomes_do_not_make_the_larger_one_dominant() -> None:
    # £30k of £30k + £20k is 60%, but two incomes say nothing about the group's balance.
    income = np.array([30e3, 20e3, np.nan, np.nan, np.nan])
    finder = ClusterFinder().fit(cliques(5), make_orgs(5, income=income))
    assert [c.tolist() for c in finder.clusters_] == [[0, 1, 2, 3, 4]]


def test_three_known_incomes_are_enough_to_judge_the_balance() -> None:
    income = np.array([90e3, 20e3, 10e3, np.nan, np.nan, np.nan])
    finder = ClusterFinder().fit(cliques(6), make_orgs(6, income=income))
    assert [c.tolist() for c in finder.clusters_] == [[1, 2, 3, 4, 5]]
