"""The discovery pipeline finds a planted cluster, ranks, times and reports progress."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy import sparse

from swim.engine.data import Organisations
from swim.engine.discover import STAGES, Discovery

PLANTED = list(range(6))


def planted_area(n_background: int = 30, seed: int = 0) -> Organisations:
    """Six women's organisations close together with ties, among scattered others."""
    rng = np.random.default_rng(seed)
    n = 6 + n_background
    lat = np.concatenate(
        [53.45 + rng.normal(0, 0.002, 6), 53.3 + rng.uniform(0, 0.4, n_background)]
    )
    lon = np.concatenate(
        [-2.30 + rng.normal(0, 0.003, 6), -2.6 + rng.uniform(0, 0.6, n_background)]
    )
    topics = ["football coaching", "allotment gardening", "church choir", "credit union advice"]
    texts = ["Support, refuge and advice for women and girls affected by domestic abuse."] * 6
    texts += [f"{topics[i % 4]} for local people number {i}" for i in range(n_background)]
    classes = [["who:women", "what:abuse"]] * 6 + [[f"what:t{i % 4}"] for i in range(n_background)]
    ties = sparse.lil_matrix((n, n))
    for a, b in [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (0, 3)]:
        ties[a, b] = ties[b, a] = 1.0
    return Organisations(
        ids=[f"o{i}" for i in range(n)],
        names=[f"Org {i}" for i in range(n)],
        latitude=lat,
        longitude=lon,
        income=np.full(n, 20_000.0),
        texts=texts,
        classifications=classes,
        ties=sparse.csr_matrix(ties),
        networks=[["Women's Forum"]] * 6 + [[] for _ in range(n_background)],
    )


def test_it_finds_the_planted_cluster_first_with_an_explanation() -> None:
    found = Discovery(seed=0).fit(planted_area())
    assert found.candidates_, "no candidate found"
    members, profile = found.candidates_[0]
    assert members.tolist() == PLANTED
    assert profile.explanation
    assert profile.readiness == max(p.readiness for _, p in found.candidates_)


def test_candidates_are_ranked_by_readiness_then_cohesion() -> None:
    found = Discovery(seed=0, min_size=3).fit(planted_area(60))
    keys = [(p.readiness, p.cohesion) for _, p in found.candidates_]
    assert keys == sorted(keys, reverse=True)


def test_it_times_every_stage_and_reports_progress() -> None:
    calls: list[tuple[int, int, str]] = []
    found = Discovery().fit(planted_area(), progress=lambda *a: calls.append(a))
    assert set(found.timings_) == set(STAGES)
    assert all(t >= 0 for t in found.timings_.values())
    assert [c[0] for c in calls] == [0, 1, 2, 3]
    assert calls[-1][0] == calls[-1][1]


def test_partners_mode_gives_one_candidate_holding_the_organisation() -> None:
    found = Discovery().fit(planted_area(), seed_index=2)
    assert len(found.candidates_) == 1
    members, _ = found.candidates_[0]
    assert 2 in members.tolist()
    assert set(members.tolist()) == set(PLANTED)


def test_the_same_seed_gives_the_same_candidates() -> None:
    one = Discovery(seed=3).fit(planted_area(40))
    two = Discovery(seed=3).fit(planted_area(40))
    assert [m.tolist() for m, _ in one.candidates_] == [m.tolist() for m, _ in two.candidates_]


def test_too_few_organisations_give_no_candidates_not_an_error() -> None:
    area = planted_area(0)
    found = Discovery(min_size=8).fit(area)
    assert found.candidates_ == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"min_size": 8, "max_size": 4}, "above the largest"),
        ({"radius_km": -1.0}, "radius"),
        ({"max_income_share": 0.0}, "income share"),
        ({"max_region_size": 10}, "region"),
        ({"engine": "spark"}, "engine must be one of local, dask"),
    ],
)
def test_impossible_parameters_are_refused_with_a_reason(
    params: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Discovery(**params).fit(planted_area())


def test_a_small_area_is_one_region_with_its_own_resolution() -> None:
    found = Discovery(seed=0).fit(planted_area())
    assert set(found.regions_.tolist()) == {0}
    assert found.resolution_ is None
    assert found.cut_links_ == 0


def test_a_large_area_is_clustered_region_by_region_with_one_resolution() -> None:
    area = planted_area(120, seed=4)
    found = Discovery(seed=0, max_region_size=40).fit(area)
    assert found.regions_.max() >= 2
    assert found.resolution_ is not None
    assert found.resolution_ > 0
    for members, _ in found.candidates_:
        assert len(set(found.regions_[members].tolist())) == 1, "a candidate is in one region"
    assert PLANTED in [m.tolist() for m, _ in found.candidates_]
