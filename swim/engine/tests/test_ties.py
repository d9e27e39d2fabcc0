"""Ties signal: direct ties and shared networks."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from swim.engine.signals.ties import network_links, tie_matrix, ties_similarity
from swim.engine.tests.helpers import assert_similarity, make_orgs

KM_LAT = 1 / 111.195


def ties_of(n: int, pairs: list[tuple[int, int, float]]) -> Any:
    rows, cols, weights = zip(*pairs, strict=True) if pairs else ((), (), ())
    return sparse.csr_matrix((weights, (rows, cols)), shape=(n, n))


def test_a_tie_recorded_one_way_counts_both_ways_and_is_capped_at_one() -> None:
    matrix = tie_matrix(ties_of(3, [(0, 1, 3.0), (2, 0, 0.25)])).toarray()
    assert matrix[0, 1] == matrix[1, 0] == 1.0
    assert matrix[0, 2] == matrix[2, 0] == 0.25


def test_tie_scale_sets_the_weight_of_a_full_tie() -> None:
    matrix = tie_matrix(ties_of(2, [(0, 1, 2.0), (1, 0, 2.0)]), tie_scale=4.0)
    assert matrix[0, 1] == 0.5


def test_self_ties_and_invalid_weights_are_ignored() -> None:
    ties = ties_of(3, [(0, 0, 1.0), (0, 1, -1.0), (1, 2, np.nan), (0, 2, np.inf)])
    assert tie_matrix(ties).nnz == 0


def test_members_of_a_small_network_are_all_linked() -> None:
    orgs = make_orgs(5, networks=[["Forum"], ["Forum"], ["Forum"], [], ["Other"]])
    similarity = ties_similarity(orgs).toarray()
    assert similarity[0, 1] == similarity[0, 2] == similarity[1, 2] == 0.5
    assert not similarity[3].any()
    assert not similarity[4].any()  # alone in its network


def test_links_from_several_networks_and_ties_add_up_to_at_most_one() -> None:
    orgs = make_orgs(
        3,
        networks=[["Forum", "Consortium"], ["Forum", "Consortium"], ["Forum"]],
        ties=ties_of(3, [(1, 2, 1.0), (2, 1, 1.0)]),
    )
    similarity = ties_similarity(orgs).toarray()
    assert similarity[0, 1] == 1.0  # two networks
    assert similarity[0, 2] == 0.5  # one network
    assert similarity[1, 2] == 1.0  # a tie and a network, capped


def test_a_large_network_links_members_only_to_their_nearest_fellow_members() -> None:
    """A national federation of 400 branches makes a few links each, none far."""
    n = 400
    rng = np.random.default_rng(0)
    latitude = 51 + rng.random(n) * 4  # spread over 450 km
    longitude = -2 + rng.random(n) * 0.5
    latitude[:20] = np.nan  # unlocated branches
    orgs = make_orgs(n, latitude=latitude, longitude=longitude, networks=[["Federation"]] * n)
    links = network_links(orgs, k=3, max_clique=25, network_radius_km=10.0)
    assert links[:20].nnz == 0
    assert links.nnz <= 2 * 3 * n  # nowhere near the 160,000 of a clique
    rows, cols = links.nonzero()
    distance_km = np.abs(latitude[rows] - latitude[cols]) / KM_LAT
    assert distance_km.max() <= 10.0
    assert np.diff(links.indptr).max() <= 3 + 10  # its own k plus a few that chose it


def test_a_network_of_exactly_max_clique_members_is_a_clique() -> None:
    orgs = make_orgs(6, networks=[["Forum"]] * 6)
    assert network_links(orgs, max_clique=6).nnz == 30
    assert network_links(orgs, max_clique=5).nnz == 0  # larger, and nobody is located


def test_organisations_without_relationships_get_no_links() -> None:
    orgs = make_orgs(4, ties=ties_of(4, [(0, 1, 1.0)]), networks=[[], [], [""], []])
    similarity = ties_similarity(orgs)
    assert similarity[2].nnz == 0
    assert similarity[3].nnz == 0
    assert ties_similarity(make_orgs(3)).nnz == 0


def test_it_rejects_invalid_weights() -> None:
    with pytest.raises(ValueError, match="tie_scale"):
        tie_matrix(ties_of(2, []), tie_scale=0)
    with pytest.raises(ValueError, match="network_weight"):
        network_links(make_orgs(2), network_weight=2.0)


@settings(max_examples=80, deadline=None)
@given(
    data=st.data(),
    n=st.integers(0, 30),
    max_clique=st.integers(2, 6),
)
def test_it_is_a_valid_similarity_for_any_relationships(
    data: st.DataObject, n: int, max_clique: int
) -> None:
    index = st.integers(0, max(n - 1, 0))
    pairs = data.draw(st.lists(st.tuples(index, index, st.floats(0.01, 5)), max_size=40))
    networks = data.draw(
        st.lists(
            st.lists(st.sampled_from(["A", "B", "C", "D"]), max_size=3), min_size=n, max_size=n
        )
    )
    located = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    rng = np.random.default_rng(0)
    latitude = np.where(located, 53.4 + rng.random(n) * 0.3, np.nan)
    orgs = make_orgs(
        n,
        ties=ties_of(n, pairs if n else []),
        networks=networks,
        latitude=latitude,
        longitude=np.where(located, -2.2, np.nan),
    )
    similarity = ties_similarity(orgs, k=2, max_clique=max_clique)
    assert_similarity(similarity, n)
    tied = {i for i, j, _ in pairs if i != j} | {j for i, j, _ in pairs if i != j}
    for i in range(n):
        if i not in tied and not networks[i]:
            assert similarity[i].nnz == 0
