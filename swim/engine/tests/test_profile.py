"""profile_cluster: kind, readiness, priority, lead, member reasons and the explanation."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest
from scipy import sparse

from swim.engine.data import CAPACITY_AREAS, Organisations
from swim.engine.profile import (
    READINESS_WEIGHTS,
    SMALL_NETWORK,
    CandidateProfile,
    profile_cluster,
    profile_clusters,
    within_distance,
)

KM_LAT = 1 / 111.2
KM_LON = 1 / (111.2 * np.cos(np.radians(51.5)))
HR, ICT, FINANCE = (CAPACITY_AREAS.index(a) for a in ("hr", "ict", "finance"))
WOMEN = {"ccew:who:women": "Women"}


def women_orgs(**overrides: Any) -> Organisations:
    """Six women's organisations within 2 km; five lack HR most; four in Women's Aid."""
    xy = np.array([(0, 0), (0.5, 0), (1.0, 0.3), (0.2, 1.2), (1.4, 1.0), (0.8, 0.6)])
    needs = np.zeros((6, len(CAPACITY_AREAS)))
    needs[:, FINANCE] = 0.3
    needs[:5, HR] = 0.9
    needs[5, HR], needs[5, ICT] = 0.2, 0.8
    fields: dict[str, Any] = {
        "ids": list("abcdef"),
        "names": [
            "Ash Women's Centre",
            "Birch Refuge",
            "Cedar Sisters",
            "Damson Project",
            "Elm Women's Aid",
            "Fir Family Hub",
        ],
        "latitude": 51.5 + xy[:, 1] * KM_LAT,
        "longitude": -0.1 + xy[:, 0] * KM_LON,
        "income": np.array([20e3, 35e3, 12e3, 50e3, 80e3, np.nan]),
        "texts": [""] * 6,
        "classifications": [["ccew:who:women"]] * 6,
        "ties": sparse.csr_matrix(([1.0, 1.0], ([0, 1], [1, 0])), shape=(6, 6)),
        "networks": [["Women's Aid"]] * 4 + [[], []],
        "needs": needs,
        "ceo_hours": np.array([4, 6, 8, np.nan, 6, 4.0]),
        "willing_to_lead": np.array([False, False, False, False, True, False]),
    }
    fields.update(overrides)
    return Organisations(**fields)


def bare_orgs(n: int, **overrides: Any) -> Organisations:
    """Organisations the engine knows nothing about but their names."""
    fields: dict[str, Any] = {
        "ids": [str(i) for i in range(n)],
        "names": [f"Org {i}" for i in range(n)],
        "latitude": np.full(n, np.nan),
        "longitude": np.full(n, np.nan),
        "income": np.full(n, np.nan),
        "texts": [""] * n,
        "classifications": [[] for _ in range(n)],
    }
    fields.update(overrides)
    return Organisations(**fields)


def full_graph(n: int, weight: float = 0.5) -> sparse.csr_matrix:
    return sparse.csr_matrix((np.ones((n, n)) - np.eye(n)) * weight)


def profile(orgs: Organisations, members: list[int] | None = None) -> CandidateProfile:
    chosen = list(range(len(orgs))) if members is None else members
    return profile_cluster(chosen, orgs, full_graph(len(orgs)), classification_labels=WOMEN)


# --- The explanation ---------------------------------------------------------------------


def test_the_explanation_reads_the_facts_aloud() -> None:
    assert profile(women_orgs()).explanation == (
        "Six organisations within 2 km of each other, all listed under Women; five rate HR "
        "as their biggest gap; four are already in the Women's Aid network. Elm Women's Aid "
        "has offered to lead; the five that said can give 6 hours a month of senior time on "
        "average."
    )


def test_each_member_has_a_short_reason() -> None:
    reasons = profile(women_orgs()).member_reasons
    assert reasons[0] == "3 ties inside; 0.8 km from the centre; shares HR gap"
    assert reasons[4] == "0.9 km from the centre; shares HR gap; offered to lead"
    assert reasons[5] == "0.2 km from the centre; listed under Women"


def test_with_no_data_the_explanation_claims_nothing() -> None:
    p = profile_cluster([0, 1, 2], bare_orgs(3), full_graph(3))
    assert p.explanation == "Three organisations; none has answered the needs diagnostic yet."
    assert p.member_reasons == {0: "linked in the similarity graph"} | {
        1: "linked in the similarity graph",
        2: "linked in the similarity graph",
    }


def test_unlocated_members_are_left_out_of_the_distance() -> None:
    orgs = women_orgs()
    orgs.latitude[[3, 5]] = np.nan
    p = profile(orgs)
    assert "; the four with a known location are within 2 km of each other;" in p.explanation
    assert p.explanation.startswith("Six organisations, all listed under Women;")
    assert p.member_reasons[5] == "listed under Women; location unknown"


def test_a_fallback_lead_is_named_as_a_suggestion() -> None:
    orgs = women_orgs(willing_to_lead=np.zeros(6, dtype=bool), networks=[[] for _ in range(6)])
    p = profile(orgs, members=[0, 1, 2, 3])
    assert p.lead_index in (0, 1)
    name = orgs.names[p.lead_index]
    assert f"Nobody has offered to lead yet; {name} is among the best connected and could lead" in (
        p.explanation
    )
    assert p.readiness_factors["leadership"] == 0.5


@pytest.mark.parametrize(
    ("km", "text"),
    [(0.0, "100 m"), (0.1, "100 m"), (0.101, "200 m"), (0.99, "1 km"), (1.0, "1 km"),
     (1.01, "1.5 km"), (4.5, "4.5 km"), (9.99, "10 km"), (10.2, "11 km")],
)  # fmt: skip
def test_distances_are_rounded_up_never_understated(km: float, text: str) -> None:
    assert within_distance(km) == text


# --- Kind and priority -------------------------------------------------------------------


def test_a_shared_back_office_gap_makes_a_resource_cluster() -> None:
    p = profile(women_orgs())
    assert p.kind == "resource"
    assert p.reasons == ("Five of the six members with a diagnostic report a gap in HR.",)
    assert (p.suggested_priority, p.priority_area) == ("HR", "hr")


def test_without_a_diagnostic_the_kind_comes_from_classifications() -> None:
    p = profile(women_orgs(needs=None))
    assert p.kind == "impact"
    assert p.reasons[0].startswith("No member has answered the needs diagnostic yet")
    assert p.reasons[1] == "All six are listed under Women."
    assert (p.suggested_priority, p.priority_area) == ("Women", None)
    assert p.readiness_factors["shared_priority"] is None


def test_a_gap_shared_by_fewer_than_half_does_not_make_a_resource_cluster() -> None:
    needs = np.zeros((6, len(CAPACITY_AREAS)))
    needs[:2, ICT] = 0.9  # two of six
    p = profile(women_orgs(needs=needs))
    assert p.kind == "impact"
    assert p.reasons[0] == "Their diagnostics show no back-office gap shared by half of them."
    assert p.suggested_priority == "ICT", "still the gap most members lack"


def test_similar_activities_make_an_impact_cluster_without_shared_classifications() -> None:
    orgs = women_orgs(needs=None, classifications=[[] for _ in range(6)])
    text = full_graph(6, 0.6)
    p = profile_cluster(range(6), orgs, full_graph(6), {"text": text})
    assert p.kind == "impact"
    assert p.reasons[-1] == "Their activity descriptions are similar (0.60 on average)."
    assert p.suggested_priority is None


def test_nothing_shared_is_typed_impact_by_default_and_says_so() -> None:
    p = profile_cluster([0, 1, 2], bare_orgs(3), full_graph(3))
    assert p.kind == "impact"
    assert p.reasons[-1] == "No shared field found either: typed as impact by default."


# --- Readiness ---------------------------------------------------------------------------


def test_readiness_combines_the_factors_with_the_documented_weights() -> None:
    p = profile(women_orgs())
    f = p.readiness_factors
    assert f["existing_ties"] == pytest.approx(6 / 15)  # four in one network: six pairs
    assert f["leadership"] == 1.0
    assert f["shared_priority"] == pytest.approx(5 / 6)
    assert f["ceo_time"] == pytest.approx(5.6 / 8)
    incomes = np.array([20e3, 35e3, 12e3, 50e3, 80e3])
    gini = np.abs(incomes[:, None] - incomes).sum() / (2 * 25 * incomes.mean()) * 5 / 4
    assert f["scale_balance"] == pytest.approx(1 - gini)
    assert f["compactness"] is not None
    assert 0 < f["compactness"] < 1
    expected = 100 * sum(READINESS_WEIGHTS[k] * v for k, v in f.items() if v is not None)
    assert p.readiness == pytest.approx(expected)
    assert p.readiness_coverage == 1.0


def test_readiness_factors_are_none_when_the_data_is_missing() -> None:
    p = profile_cluster([0, 1, 2], bare_orgs(3), full_graph(3))
    assert set(p.readiness_factors) == set(READINESS_WEIGHTS)
    assert all(v is None for v in p.readiness_factors.values())
    assert (p.readiness, p.readiness_coverage, p.lead_index) == (0.0, 0.0, None)


def test_readiness_uses_only_what_is_measurable() -> None:
    orgs = bare_orgs(4, ceo_hours=np.array([8.0, 16.0, np.nan, np.nan]))
    p = profile_cluster(range(4), orgs, full_graph(4))
    assert p.readiness_factors["ceo_time"] == 1.0
    assert p.readiness == 100.0
    assert p.readiness_coverage == pytest.approx(READINESS_WEIGHTS["ceo_time"])


def federation_orgs(**overrides: Any) -> Organisations:
    """100 organisations in Girlguiding; 0-3 also in a local forum of four, 4-7 in Scouts (50)."""
    networks = [["Girlguiding"] for _ in range(100)]
    for i in range(4):
        networks[i].append("Stretford Women's Forum")
    for i in [4, 5, 6, 7, *range(54, 100)]:
        networks[i].append("Scouts")
    return bare_orgs(100, networks=networks, **overrides)


def existing_ties(orgs: Organisations, members: list[int]) -> float | None:
    return profile_cluster(members, orgs, full_graph(len(orgs))).readiness_factors["existing_ties"]


def test_a_small_local_forum_counts_more_than_a_large_federation() -> None:
    orgs = federation_orgs()
    assert SMALL_NETWORK == 25
    assert existing_ties(orgs, [0, 1, 2, 3]) == 1.0  # the forum of four: every pair fully
    assert existing_ties(orgs, [8, 9, 10, 11]) == pytest.approx(25 / 100)  # Girlguiding only
    # Scouts (50) as well: the strongest link counts, two federations do not add up
    assert existing_ties(orgs, [4, 5, 6, 7]) == pytest.approx(25 / 50)


def test_a_network_counts_by_its_size_among_the_organisations_given() -> None:
    orgs = bare_orgs(40, networks=[["Girlguiding"]] * 40)
    assert existing_ties(orgs, [0, 1, 2, 3]) == pytest.approx(25 / 40)
    fewer = bare_orgs(SMALL_NETWORK, networks=[["Girlguiding"]] * SMALL_NETWORK)
    assert existing_ties(fewer, [0, 1, 2, 3]) == 1.0


def test_a_recorded_tie_counts_fully_even_inside_a_large_federation() -> None:
    ties = sparse.csr_matrix(([1.0], ([8], [9])), shape=(100, 100))  # one direction is enough
    orgs = federation_orgs(ties=ties)
    assert existing_ties(orgs, [8, 9, 10, 11]) == pytest.approx((1 + 5 * 0.25) / 6)
    assert existing_ties(orgs, [0, 1, 8, 9]) == pytest.approx((1 + 1 + 4 * 0.25) / 6)


def test_existing_ties_is_none_only_when_the_area_has_no_relationship_data() -> None:
    assert existing_ties(bare_orgs(4), [0, 1, 2, 3]) is None
    assert existing_ties(bare_orgs(4, networks=[[" "]] * 4), [0, 1, 2, 3]) is None
    elsewhere = bare_orgs(6, networks=[[], [], [], [], ["Forum"], ["Forum"]])
    assert existing_ties(elsewhere, [0, 1, 2, 3]) == 0.0


def test_the_explanation_names_the_strongest_network_and_a_large_ones_size() -> None:
    orgs = federation_orgs()
    forum = profile_cluster([0, 1, 2, 10], orgs, full_graph(100)).explanation
    assert "three are already in the Stretford Women's Forum network." in forum
    guides = profile_cluster([8, 9, 10, 11], orgs, full_graph(100)).explanation
    assert "all four are already in the Girlguiding network (100 members in the area)." in guides


# --- Lead and member reasons by link strength ---------------------------------------------


def voluntary_sector_orgs(**overrides: Any) -> Organisations:
    """400 organisations all in one federation (each pair 25 / 400 = 0.0625); 0 the richest."""
    income = np.full(400, 10e3)
    income[0] = 90e3
    return bare_orgs(400, networks=[["Voluntary Sector Forum"]] * 400, income=income, **overrides)


def tie(n: int, *pairs: tuple[int, int]) -> sparse.csr_matrix:
    rows, cols = zip(*pairs, strict=True)
    return sparse.csr_matrix((np.ones(len(pairs)), (rows, cols)), shape=(n, n))


def test_one_recorded_tie_outweighs_a_large_federation_shared_with_everyone() -> None:
    """Member 0 shares the federation with the seven others (7 x 0.0625), 3 has one tie."""
    p = profile_cluster(range(8), voluntary_sector_orgs(ties=tie(400, (3, 4))), full_graph(400))
    assert p.lead_index == 3  # 3 and 4: 1 + 6 x 0.0625 each; 0 richest, 3 first given
    assert p.readiness_factors["leadership"] == 0.5
    assert p.explanation.endswith("Org 3 is among the best connected and could lead.")


def test_a_federation_alone_makes_no_plausible_lead() -> None:
    """Seven fellow members of a federation of 400 are not one member it can expect to know."""
    p = profile_cluster(range(8), voluntary_sector_orgs(), full_graph(400))
    assert (p.lead_index, p.readiness_factors["leadership"]) == (None, 0.0)
    assert "could lead" not in p.explanation


@pytest.mark.parametrize(
    ("members", "lead", "leadership"),
    [([8, 9, 10, 11], None, 0.0),  # 3 x 0.25 = 0.75 each in Girlguiding (100)
     ([8, 9, 10, 11, 12], 8, 0.5)],  # 4 x 0.25 = 1: about one member each can expect to know
)  # fmt: skip
def test_a_plausible_lead_by_ties_needs_link_strengths_summing_to_one(
    members: list[int], lead: int | None, leadership: float
) -> None:
    p = profile_cluster(members, federation_orgs(), full_graph(100))
    assert (p.lead_index, p.readiness_factors["leadership"]) == (lead, leadership)


def test_below_one_the_lead_falls_to_the_member_with_the_fewest_gaps() -> None:
    needs = np.full((100, len(CAPACITY_AREAS)), np.nan)
    needs[8:11] = 0.9
    needs[11] = 0.1
    p = profile_cluster([8, 9, 10, 11], federation_orgs(needs=needs), full_graph(100))
    assert (p.lead_index, p.readiness_factors["leadership"]) == (11, 0.5)
    assert p.explanation.endswith("Org 11 reports the fewest gaps and could lead.")


def test_a_lead_with_the_strongest_links_alone_is_the_best_connected() -> None:
    p = profile_cluster(range(3), bare_orgs(3, ties=tie(3, (0, 1), (2, 0))), full_graph(3))
    assert p.lead_index == 0
    assert p.explanation == (
        "Three organisations; none has answered the needs diagnostic yet; all three already "
        "have a tie with another member. Org 0 is the best connected and could lead."
    )


def test_a_member_reason_counts_only_ties_of_at_least_half_strength() -> None:
    """Forum (4) and Scouts (50, 0.5 a pair) count, Girlguiding (100, 0.25) does not."""
    orgs = federation_orgs(ties=tie(100, (8, 9)))
    reasons = profile_cluster([0, 1, 2, 4, 5, 8, 9, 10], orgs, full_graph(100)).member_reasons
    assert reasons[0] == "2 ties inside"  # the forum with 1 and 2
    assert reasons[4] == "1 tie inside"  # Scouts with 5
    assert reasons[8] == "1 tie inside"  # the recorded tie with 9
    assert reasons[10] == "linked in the similarity graph"  # Girlguiding only


def test_scale_balance_is_one_for_equals_and_zero_when_one_holds_everything() -> None:
    equal = profile_cluster(range(3), bare_orgs(3, income=np.full(3, 5e4)), full_graph(3))
    skewed = profile_cluster(range(3), bare_orgs(3, income=np.array([0, 0, 1e6])), full_graph(3))
    assert equal.readiness_factors["scale_balance"] == pytest.approx(1.0)
    assert skewed.readiness_factors["scale_balance"] == pytest.approx(0.0)


# --- Scores and the result type ------------------------------------------------------------


def test_signal_scores_are_mean_similarities_over_member_pairs() -> None:
    text = sparse.csr_matrix(np.array([[0, 1.0, 0.5, 0], [1.0, 0, 0, 0], [0.5, 0, 0, 0.9],
                                       [0, 0, 0.9, 0]]))  # fmt: skip
    signals = {"text": text, "needs": sparse.csr_matrix((4, 4))}  # no needs data at all
    p = profile_cluster([2, 0, 1], bare_orgs(4), full_graph(4), signals)
    assert p.signal_scores == {"text": pytest.approx(0.5)}  # (1.0 + 0.5 + 0) / 3
    assert p.cohesion == pytest.approx(0.5)
    assert p.members == (2, 0, 1)


def test_the_profile_is_frozen() -> None:
    p = profile(women_orgs())
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.kind = "impact"  # type: ignore[misc]
    with pytest.raises(TypeError):
        p.readiness_factors["leadership"] = 0.0  # type: ignore[index]


def test_members_must_be_at_least_two_distinct_organisations() -> None:
    with pytest.raises(ValueError, match="two distinct"):
        profile_cluster([1, 1], bare_orgs(3), full_graph(3))


def test_profiling_many_candidates_matches_one_at_a_time() -> None:
    orgs = women_orgs()
    clusters = [[0, 1, 2, 3], [2, 3, 4, 5]]
    batch = profile_clusters(clusters, orgs, full_graph(6), classification_labels=WOMEN)
    single = [
        profile_cluster(c, orgs, full_graph(6), classification_labels=WOMEN) for c in clusters
    ]
    assert batch == single
    assert batch[0] != batch[1]


def test_a_pair_is_described_with_both() -> None:
    assert profile(women_orgs(), members=[0, 1]).explanation == (
        "Two organisations within 500 m of each other, both listed under Women; both rate HR "
        "as their biggest gap; both are already in the Women's Aid network. Nobody has offered "
        "to lead yet; Birch Refuge is among the best connected and could lead; on average they "
        "can give 5 hours a month of senior time."
    )
