"""Regions: every organisation in exactly one, deterministic, places kept whole, cuts cheap."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse
from scipy.sparse import csgraph

from swim.engine.data import Organisations
from swim.engine.partition import (
    RegionPartition,
    partition_regions,
    region_clusters,
    split_regions,
)
from swim.engine.signals.location import location_similarity
from swim.engine.tests.helpers import make_orgs

KM_LAT = 1 / 111.2


def towns(
    sizes: tuple[int, ...], seed: int = 0, unlocated: float = 0.05
) -> tuple[Organisations, sparse.csr_matrix]:
    """Towns of the given sizes 40 km apart on a line, 3 km wide, and their location links."""
    rng = np.random.default_rng(seed)
    lat, lon = [], []
    for t, size in enumerate(sizes):
        lat.append(51.0 + rng.random(size) * 3 * KM_LAT)
        lon.append(-2.0 + t * 0.6 + rng.random(size) * 0.04)
    latitude, longitude = np.concatenate(lat), np.concatenate(lon)
    n = len(latitude)
    income = np.exp(rng.normal(np.log(40_000), 1.2, n))
    orgs = make_orgs(n, latitude=latitude, longitude=longitude, income=income)
    links = location_similarity(orgs, radius_km=3.0, k=6)
    gone = rng.random(n) < unlocated
    orgs.latitude[gone] = orgs.longitude[gone] = np.nan
    return orgs, links


def test_every_organisation_is_in_exactly_one_region() -> None:
    orgs, links = towns((120, 80, 200, 50))
    labels = partition_regions(links, orgs, links, max_size=150)
    assert labels.shape == (len(orgs),)
    assert labels.min() == 0
    assert set(labels.tolist()) == set(range(labels.max() + 1)), "labels 0..R-1, none empty"
    regions = split_regions(labels, links, orgs)
    members = np.concatenate([r.members for r in regions])
    assert sorted(members.tolist()) == list(range(len(orgs)))


def test_the_partition_is_deterministic() -> None:
    orgs, links = towns((300, 90, 140), seed=3)
    first = RegionPartition(max_size=100).fit(links, orgs, links)
    second = RegionPartition(max_size=100).fit(links.copy(), orgs, links.copy())
    assert first.labels_.tolist() == second.labels_.tolist()
    assert first.cut_links_ == second.cut_links_


def test_small_towns_are_never_cut_and_a_small_area_is_one_region() -> None:
    orgs, links = towns((60, 70, 80), unlocated=0.0)
    labels = partition_regions(links, orgs, links, max_size=100)
    town = np.repeat([0, 1, 2], [60, 70, 80])
    for t in range(3):
        assert len(set(labels[town == t].tolist())) == 1, f"town {t} is whole"
    assert partition_regions(links, orgs, links, max_size=1000).tolist() == [0] * 210


def test_a_large_town_is_tiled_into_regions_within_the_size() -> None:
    orgs, links = towns((500,), unlocated=0.0)
    part = RegionPartition(max_size=120).fit(links, orgs, links)
    sizes = np.bincount(part.labels_)
    assert sizes.max() <= 120
    assert part.n_regions_ >= 5
    cut_share = part.cut_links_ / (links.nnz / 2)
    assert 0 < cut_share < 0.25, "tiling cuts some location links, but few"


def test_unlocated_organisations_follow_their_links() -> None:
    orgs, links = towns((40, 40), unlocated=0.0)
    n = len(orgs)
    extra = make_orgs(n + 2)
    extra.latitude[:n], extra.longitude[:n] = orgs.latitude, orgs.longitude
    graph = sparse.lil_matrix((n + 2, n + 2))
    graph[:n, :n] = links
    graph[n, 45] = graph[45, n] = 0.5  # org n is linked to the second town
    graph[n + 1, n] = graph[n, n + 1] = 0.9  # org n+1 only to org n
    graph = graph.tocsr()
    labels = partition_regions(graph, extra, graph, max_size=40)
    assert labels[n] == labels[n + 1] == labels[45] != labels[0]


def test_organisations_linked_to_no_region_get_their_own() -> None:
    orgs = make_orgs(3)
    labels = partition_regions(sparse.csr_matrix((3, 3)), orgs, max_size=10)
    assert labels.tolist() == [0, 0, 0]


def test_a_region_clusters_into_area_wide_indices() -> None:
    adj = np.zeros((10, 10))
    adj[:5, :5] = adj[5:, 5:] = 1.0
    np.fill_diagonal(adj, 0)
    graph = sparse.csr_matrix(adj)
    orgs = make_orgs(10)
    labels = np.array([1, 1, 1, 1, 1, 0, 0, 0, 0, 0])
    regions = split_regions(labels, graph, orgs)
    assert [r.members.tolist() for r in regions] == [[5, 6, 7, 8, 9], [0, 1, 2, 3, 4]]
    found = region_clusters(regions[0], {"seed": 0})
    assert [c.tolist() for c in found] == [[5, 6, 7, 8, 9]]


def test_a_zero_max_size_is_refused() -> None:
    orgs, links = towns((10,))
    with pytest.raises(ValueError, match="max_size"):
        RegionPartition(max_size=0).fit(links, orgs, links)


def test_a_tiling_cut_runs_through_the_gap_between_two_neighbourhoods() -> None:
    # Two neighbourhoods of 60 side by side, 0.3 km apart: one place (location links cross
    # the gap), too big for one region; the cut belongs in the gap, not through a street.
    rng = np.random.default_rng(5)
    east_km = np.r_[rng.random(60) * 2.0, 2.3 + rng.random(60) * 2.0]
    north_km = rng.random(120) * 1.5
    orgs = make_orgs(
        120,
        latitude=51.0 + north_km * KM_LAT,
        longitude=-2.0 + east_km / (111.2 * np.cos(np.radians(51.0))),
    )
    links = location_similarity(orgs, radius_km=3.0, k=15)
    assert csgraph.connected_components(links)[0] == 1, "one place"
    part = RegionPartition(max_size=100).fit(links, orgs, links)
    west, east = part.labels_[:60], part.labels_[60:]
    assert len(set(west.tolist())) == len(set(east.tolist())) == 1
    assert west[0] != east[0]
    crossing = links[:60][:, 60:].nnz
    assert part.cut_links_ == crossing, "only the links across the gap are cut"


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 80),
    max_size=st.integers(1, 40),
    seed=st.integers(0, 1000),
    unlocated=st.floats(0.0, 0.5),
)
def test_any_area_is_partitioned_into_bounded_contiguous_regions(
    n: int, max_size: int, seed: int, unlocated: float
) -> None:
    rng = np.random.default_rng(seed)
    orgs = make_orgs(n, latitude=51.0 + rng.random(n) * 0.05, longitude=rng.random(n) * 0.08)
    links = location_similarity(orgs, radius_km=3.0, k=5)
    gone = rng.random(n) < unlocated
    orgs.latitude[gone] = np.nan
    part = RegionPartition(max_size=max_size).fit(links, orgs, links)
    labels = part.labels_
    assert set(labels.tolist()) == set(range(part.n_regions_))
    located_sizes = np.bincount(labels[~gone], minlength=part.n_regions_)
    assert located_sizes.max(initial=0) <= max_size
    again = RegionPartition(max_size=max_size).fit(links, orgs, links).labels_
    assert again.tolist() == labels.tolist()
