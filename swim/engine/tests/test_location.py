"""Location signal: haversine k nearest neighbours within a radius."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from swim.engine.data import Organisations
from swim.engine.signals.location import location_similarity
from swim.engine.tests.helpers import assert_similarity

KM_LAT = 1 / 111.195  # degrees of latitude per km (mean Earth radius)


def make_orgs(latitude: Any, longitude: Any) -> Organisations:
    n = len(latitude)
    return Organisations(
        ids=[f"o{i}" for i in range(n)],
        names=[f"Org {i}" for i in range(n)],
        latitude=np.asarray(latitude, dtype=float),
        longitude=np.asarray(longitude, dtype=float),
        income=np.full(n, np.nan),
        texts=[""] * n,
        classifications=[[] for _ in range(n)],
    )


def test_it_links_the_two_organisations_within_a_kilometre_and_not_the_far_one() -> None:
    orgs = make_orgs([53.48, 53.48 + 0.9 * KM_LAT, 53.48 + 20 * KM_LAT], [-2.24, -2.24, -2.24])
    similarity = location_similarity(orgs).toarray()
    assert similarity[0, 1] == pytest.approx(np.exp(-((0.9 / 1.5) ** 2)), rel=1e-6)
    assert similarity[0, 2] == 0
    assert similarity[1, 2] == 0


def test_it_links_nobody_beyond_the_radius() -> None:
    orgs = make_orgs([0.0, 2.9 * KM_LAT, -3.1 * KM_LAT], [0.0, 0.0, 0.0])
    similarity = location_similarity(orgs, radius_km=3.0).toarray()
    assert similarity[0, 1] > 0
    assert similarity[0, 2] == 0


def test_distance_is_great_circle_across_the_antimeridian() -> None:
    # 0.02 degrees of longitude at the equator is 2.22 km, though the numbers are 360 apart.
    orgs = make_orgs([0.0, 0.0], [179.99, -179.99])
    similarity = location_similarity(orgs, radius_km=3.0)
    assert similarity[0, 1] == pytest.approx(np.exp(-((2.2239 / 1.5) ** 2)), rel=1e-3)


def test_each_organisation_keeps_only_its_k_nearest() -> None:
    # Six organisations on a line 100 m apart: the first keeps only the next two.
    orgs = make_orgs(np.arange(6) * 0.1 * KM_LAT, np.zeros(6))
    similarity = location_similarity(orgs, k=2).toarray()
    assert np.flatnonzero(similarity[0]).tolist() == [1, 2]
    # Symmetrisation: 2 keeps 1 and 3, and is kept by 0.
    assert np.flatnonzero(similarity[2]).tolist() == [0, 1, 3]


def test_organisations_without_coordinates_get_no_links() -> None:
    orgs = make_orgs([53.48, np.nan, 53.48, 53.4801], [-2.24, -2.24, np.nan, -2.24])
    similarity = location_similarity(orgs)
    assert similarity[1].nnz == 0
    assert similarity[2].nnz == 0
    assert similarity[0, 3] > 0


def test_an_area_where_nobody_is_located_gives_an_all_zero_matrix() -> None:
    similarity = location_similarity(make_orgs([np.nan] * 4, [np.nan] * 4))
    assert similarity.shape == (4, 4)
    assert similarity.nnz == 0


def test_a_crowded_place_makes_a_bounded_ring_not_a_hub() -> None:
    """Forty groups at one community centre: each linked to a few others with weight 1."""
    orgs = make_orgs(np.full(40, 53.48), np.full(40, -2.24))
    similarity = location_similarity(orgs, k=5)
    degrees = np.diff(similarity.indptr)
    assert degrees.min() >= 5
    assert degrees.max() <= 10
    assert np.all(similarity.data == 1.0)
    from scipy.sparse.csgraph import connected_components

    assert connected_components(similarity, directed=False)[0] == 1


def test_it_is_deterministic_for_a_seed() -> None:
    rng = np.random.default_rng(3)
    orgs = make_orgs(np.full(30, 53.48), np.full(30, -2.24) + rng.integers(0, 2, 30) * 1e-3)
    first = location_similarity(orgs, k=3, seed=7)
    second = location_similarity(orgs, k=3, seed=7)
    assert (first != second).nnz == 0


def test_it_rejects_a_non_positive_radius() -> None:
    with pytest.raises(ValueError, match="radius_km"):
        location_similarity(make_orgs([0.0], [0.0]), radius_km=0)


coordinates = st.one_of(
    st.just(np.nan),
    st.sampled_from([53.48, 53.481, 53.49]),
    st.floats(53.4, 53.6, allow_nan=False),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    points=st.lists(st.tuples(coordinates, coordinates.map(lambda x: x - 55.7)), max_size=25),
    k=st.integers(1, 6),
    radius_km=st.floats(0.1, 20),
)
def test_it_is_a_valid_similarity_for_any_area(
    points: list[tuple[float, float]], k: int, radius_km: float
) -> None:
    latitude = np.array([p[0] for p in points], dtype=float)
    longitude = np.array([p[1] for p in points], dtype=float)
    orgs = make_orgs(latitude, longitude)
    similarity = location_similarity(orgs, k=k, radius_km=radius_km)
    assert_similarity(similarity, len(points))
    unlocated = np.flatnonzero(np.isnan(latitude) | np.isnan(longitude))
    assert similarity[unlocated].nnz == 0
    rows, cols = similarity.nonzero()
    if len(rows) == 0:
        return
    lat, lon = np.radians(latitude), np.radians(longitude)
    hav = (
        np.sin((lat[rows] - lat[cols]) / 2) ** 2
        + np.cos(lat[rows]) * np.cos(lat[cols]) * np.sin((lon[rows] - lon[cols]) / 2) ** 2
    )
    distance_km = 2 * 6371.0088 * np.arcsin(np.sqrt(hav))
    assert np.all(distance_km <= radius_km * (1 + 1e-9))
    expected = np.exp(-((distance_km / (radius_km / 2)) ** 2))
    np.testing.assert_allclose(np.asarray(similarity[rows, cols]).ravel(), expected, rtol=1e-6)
