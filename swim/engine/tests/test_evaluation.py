"""The evaluation harness: metrics with known answers, the baselines, the planted area."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import sparse

from swim.engine.data import CAPACITY_AREAS
from swim.engine.evaluation import (
    GAP_NEED,
    MEASURES,
    EngineClusters,
    EvaluationSet,
    GeoClusters,
    NeedsClusters,
    RandomClusters,
    TextClusters,
    TiesClusters,
    add_planted_diagnostic,
    chance_coherence,
    chance_shared_gap,
    clusters_to_labels,
    evaluate,
    hide_ties,
    make_planted_area,
    network_lift,
    pair_coherence,
    partition_scores,
    shared_gap,
    size_rule,
    tie_recall,
)
from swim.engine.signals.combine import DEFAULT_WEIGHTS, SignalWeights
from swim.engine.tests.helpers import make_orgs


def _truth_clusters(truth: np.ndarray) -> list[np.ndarray]:
    return [np.flatnonzero(truth == k) for k in range(int(truth.max()) + 1)]


def test_a_perfect_clustering_scores_one() -> None:
    truth = np.repeat(np.arange(20), 6)
    nmi, ari = partition_scores(truth, _truth_clusters(truth))
    assert nmi == pytest.approx(1.0)
    assert ari == pytest.approx(1.0)


def test_random_groups_score_about_zero_ari_and_far_below_perfect_nmi() -> None:
    truth = np.repeat(np.arange(100), 6)
    random_groups = RandomClusters([6] * 100, seed=4).fit(make_orgs(600)).clusters_
    nmi, ari = partition_scores(truth, random_groups)
    assert abs(ari) < 0.02
    assert nmi < 0.75  # NMI is not chance-corrected: many small groups score above 0


def test_background_left_out_is_right_and_grouped_is_wrong() -> None:
    truth = np.array([0, 0, 0, 0, -1, -1, -1, -1])
    assert partition_scores(truth, [[0, 1, 2, 3]]) == pytest.approx((1.0, 1.0))
    nmi, ari = partition_scores(truth, [[0, 1, 2, 3], [4, 5], [6, 7]])
    assert nmi < 1.0
    assert ari < 1.0


def test_pair_coherence_of_a_hand_made_partition() -> None:
    tags = [["arts"], ["arts", "youth"], ["youth"], ["food"], ["food"], ["sport"], []]
    # cluster 1: pairs 0-1 yes, 0-2 no, 1-2 yes; cluster 2: 3-4 yes, 3-5 no, 4-5 no;
    # 6 has no tag and forms no counted pair.
    assert pair_coherence([[0, 1, 2], [3, 4, 5, 6]], tags) == pytest.approx(3 / 6)


def test_pair_coherence_without_pairs_is_nan() -> None:
    assert math.isnan(pair_coherence([[0], [1]], [["a"], ["a"]]))


def test_chance_coherence_counts_every_pair_of_tagged_organisations() -> None:
    tags = [["a"], ["a", "b"], ["b"], ["c"]]
    # pairs sharing a tag: 0-1, 1-2 out of 6
    assert chance_coherence(tags) == pytest.approx(2 / 6)


def test_network_lift_and_recall() -> None:
    networks = [["Scouts"], ["Scouts"], ["Scouts"], [], [], [], ["U3A"], ["U3A"]]
    # 28 pairs in all, 4 fellow-member pairs (3 Scouts + 1 U3A);
    # candidates: {0, 1, 3} (pairs 0-1 yes, 0-3, 1-3 no) and {6, 7} (yes): 2 of 4 pairs.
    lift, recall = network_lift([[0, 1, 3], [6, 7]], networks)
    assert recall == pytest.approx(2 / 4)
    assert lift == pytest.approx((2 / 28) / ((4 / 28) * (4 / 28)))


def test_network_lift_of_random_groups_is_about_one() -> None:
    rng = np.random.default_rng(0)
    networks = [[f"n{rng.integers(40)}"] for _ in range(2000)]
    lifts = [
        network_lift(RandomClusters([8] * 200, seed=s).fit(make_orgs(2000)).clusters_, networks)[0]
        for s in range(5)
    ]
    assert np.mean(lifts) == pytest.approx(1.0, abs=0.15)


def test_tie_recall_counts_hidden_pairs_inside_a_candidate() -> None:
    hidden = np.array([[0, 1], [2, 1], [3, 4], [5, 6]])
    assert tie_recall([[0, 1, 2], [4, 5, 6]], hidden, 7) == pytest.approx(3 / 4)


def test_hide_ties_hides_the_share_asked_and_keeps_the_rest() -> None:
    n = 40
    rng = np.random.default_rng(1)
    edges = {tuple(sorted(rng.choice(n, 2, replace=False).tolist())) for _ in range(60)}
    rows, cols = zip(*edges, strict=True)
    ties = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    orgs = make_orgs(n, ties=ties + ties.T)
    kept, hidden = hide_ties(orgs, share=0.3, seed=2)
    kept_pairs = {tuple(p) for p in np.argwhere(sparse.triu(kept.ties, k=1).toarray() > 0)}
    hidden_pairs = {tuple(p) for p in hidden.tolist()}
    assert len(hidden_pairs) == round(0.3 * len(edges))
    assert kept_pairs | hidden_pairs == edges
    assert not kept_pairs & hidden_pairs
    assert np.array_equal(hide_ties(orgs, share=0.3, seed=2)[1], hidden)


def test_hide_ties_turns_network_links_into_ties() -> None:
    orgs = make_orgs(5, networks=[["Forum"]] * 4 + [[]])
    kept, hidden = hide_ties(orgs, share=0.5, seed=0)
    assert len(hidden) == 3  # half of the forum's 6 pairs
    assert sparse.triu(kept.ties, k=1).nnz == 3
    assert kept.networks == [[]] * 5


def test_size_rule_keeps_every_group_within_the_sizes() -> None:
    rng = np.random.default_rng(3)
    points = rng.normal(size=(200, 2))
    groups = size_rule([np.arange(150), np.arange(150, 153), np.arange(153, 200)],
                       lambda idx: points[idx], min_size=4, max_size=12)  # fmt: skip
    assert all(4 <= len(g) <= 12 for g in groups)
    assert not set(range(150, 153)) & set(np.concatenate(groups).tolist())


def test_size_rule_cuts_groups_wider_than_the_span() -> None:
    latitude = np.r_[np.full(4, 53.40), np.full(4, 53.60)]  # 22 km apart
    longitude = np.full(8, -2.2)
    groups = size_rule([np.arange(8)], lambda idx: np.zeros((len(idx), 1)),
                       max_span_km=5.0, coordinates=(latitude, longitude))  # fmt: skip
    assert [g.tolist() for g in groups] == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_geo_baseline_groups_nearby_organisations() -> None:
    lat = np.r_[np.full(5, 53.40), np.full(5, 53.60), np.nan] + np.r_[np.arange(10) * 1e-4, 0]
    orgs = make_orgs(11, latitude=lat, longitude=np.full(11, -2.2))
    labels = GeoClusters().fit(orgs).labels_
    assert len(set(labels[:5])) == 1
    assert len(set(labels[5:10])) == 1
    assert labels[0] != labels[5]
    assert labels[10] == -1


def test_text_baseline_groups_alike_texts_with_tf_idf() -> None:
    texts = ["food bank parcels"] * 8 + ["youth football club"] * 8 + [""]
    labels = TextClusters().fit(make_orgs(17, texts=texts)).labels_
    assert len(set(labels[:8])) == 1
    assert len(set(labels[8:16])) == 1
    assert labels[0] != labels[8]
    assert labels[16] == -1


def test_ties_baseline_groups_tied_organisations() -> None:
    ties = sparse.block_diag([np.ones((5, 5)), np.ones((5, 5)), np.zeros((2, 2))]).tocsr()
    ties.setdiag(0)
    ties.eliminate_zeros()
    labels = TiesClusters().fit(make_orgs(12, ties=ties)).labels_
    assert labels.tolist() == [0] * 5 + [1] * 5 + [-1, -1]


def test_random_baseline_draws_disjoint_groups_of_the_sizes_given() -> None:
    model = RandomClusters([4, 6, 5], seed=1).fit(make_orgs(30))
    assert [len(c) for c in model.clusters_] == [4, 6, 5]
    members = np.concatenate(model.clusters_)
    assert len(set(members.tolist())) == 15
    assert clusters_to_labels(model.clusters_, 30).tolist() == model.labels_.tolist()


def test_the_planted_area_is_seeded_and_its_clusters_are_workable() -> None:
    orgs, truth = make_planted_area(n_clusters=8, n_background=50, seed=5)
    again, truth_again = make_planted_area(n_clusters=8, n_background=50, seed=5)
    assert truth.tolist() == truth_again.tolist()
    assert orgs.texts == again.texts
    sizes = np.bincount(truth[truth >= 0])
    assert len(sizes) == 8
    assert sizes.min() >= 4
    assert sizes.max() <= 10
    assert orgs.located.all()
    assert orgs.ties.nnz > 0


def test_evaluate_runs_every_method_and_the_engine_beats_random() -> None:
    orgs, truth = make_planted_area(n_clusters=10, n_background=150, seed=0)
    rows = evaluate(EvaluationSet("planted", orgs, truth=truth), seed=0, n_random=3)
    by_method = {row["method"]: row for row in rows}
    assert list(by_method) == [
        "engine (default)", "geo-only", "text-only", "classification-only", "ties-only", "random",
    ]  # fmt: skip
    engine, random_row = by_method["engine (default)"], by_method["random"]
    assert engine["ari"] > random_row["ari"] + 0.2
    assert random_row["coverage"] == pytest.approx(engine["coverage"])
    assert {"nmi", "ari"} <= set(engine)
    assert not {"coherence", "lift"} & set(engine)
    assert set(MEASURES) >= {k for row in rows for k in row if k in MEASURES}


def test_a_baseline_without_its_data_is_skipped() -> None:
    lat = 53.4 + np.arange(12) * 1e-3
    orgs = make_orgs(12, latitude=lat, longitude=np.full(12, -2.2))
    rows = evaluate(EvaluationSet("places only", orgs, tags=[["a"]] * 12), n_random=1)
    skipped = {row["method"] for row in rows if "skipped" in row}
    assert skipped == {"text-only", "classification-only", "ties-only"}


# --- The planted diagnostic -------------------------------------------------------------


def _answered(needs: np.ndarray) -> np.ndarray:
    return np.asarray(~np.isnan(needs).all(axis=1), dtype=bool)


def test_the_planted_diagnostic_is_seeded_and_changes_nothing_else() -> None:
    orgs, truth = make_planted_area(n_clusters=8, n_background=50, seed=5)
    first = add_planted_diagnostic(orgs, truth, seed=3)
    again = add_planted_diagnostic(orgs, truth, seed=3)
    other = add_planted_diagnostic(orgs, truth, seed=4)
    assert first.needs is not None
    assert other.needs is not None
    for name in ("needs", "offers", "ceo_hours"):
        assert np.array_equal(getattr(first, name), getattr(again, name), equal_nan=True), name
    assert not np.array_equal(first.needs, other.needs, equal_nan=True)
    assert first.texts == orgs.texts
    assert first.classifications == orgs.classifications
    assert (first.ties != orgs.ties).nnz == 0
    assert orgs.needs is None  # the area itself is left as it was


def test_only_those_who_answered_have_needs_offers_and_ceo_hours() -> None:
    orgs, truth = make_planted_area(seed=1)
    diagnosed = add_planted_diagnostic(orgs, truth, answered=0.6, seed=1)
    assert diagnosed.needs is not None
    assert diagnosed.offers is not None
    assert diagnosed.ceo_hours is not None
    answered = _answered(diagnosed.needs)
    assert answered.mean() == pytest.approx(0.6, abs=0.04)
    assert diagnosed.needs.shape == (len(orgs), len(CAPACITY_AREAS))
    given = diagnosed.needs[answered]
    assert np.nanmin(given) >= 0.0
    assert np.nanmax(given) <= 1.0
    assert not diagnosed.offers[~answered].any()
    assert np.isnan(diagnosed.ceo_hours[~answered]).all()
    assert (~np.isnan(diagnosed.ceo_hours[answered])).mean() > 0.7
    offered = diagnosed.offers & (diagnosed.needs >= GAP_NEED)
    assert not offered.any()  # nobody offers what it lacks


def test_planted_members_share_gaps_more_often_than_the_background() -> None:
    orgs, truth = make_planted_area(seed=2)
    diagnosed = add_planted_diagnostic(orgs, truth, seed=2)
    assert diagnosed.needs is not None
    planted = _truth_clusters(truth)
    within, chance = shared_gap(planted, diagnosed.needs), chance_shared_gap(diagnosed.needs)
    assert within > chance + 0.15
    assert within < 0.95  # a member keeps the shared gap only most of the time
    # ... and shared gaps alone do not single the clusters out: HR and ICT are the commonest
    # gaps of the background, and over a third of it has an HR gap.
    background = _answered(diagnosed.needs) & (truth < 0)
    rates = (np.nan_to_num(diagnosed.needs[background]) >= GAP_NEED).mean(axis=0)
    top_two = {CAPACITY_AREAS[i] for i in np.argsort(-rates)[:2]}
    assert top_two == {"hr", "ict"}
    assert rates[CAPACITY_AREAS.index("hr")] > 0.35
    assert chance > 0.3


def test_shared_gap_counts_pairs_that_both_answered() -> None:
    nan = np.nan
    needs = np.array([
        [1.0, 0.0], [0.75, 0.0], [0.5, 1.0],  # 0-1 share HR; 0.5 is no gap
        [0.0, 0.0], [0.0, 1.0], [nan, nan],  # 3 answered with no gap; 5 did not answer
    ])  # fmt: skip
    # pairs of [0, 1, 2]: 0-1 yes, 0-2 no, 1-2 no; of [3, 4, 5]: 3-4 no (5 not counted)
    assert shared_gap([[0, 1, 2], [3, 4, 5]], needs) == pytest.approx(1 / 4)
    assert math.isnan(shared_gap([[0, 5]], needs))
    # all 10 pairs among the five who answered: 0-1 and 2-4 share a gap
    assert chance_shared_gap(needs) == pytest.approx(2 / 10)


def test_the_needs_baseline_groups_identical_need_profiles() -> None:
    profiles = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.75, 0.75]])
    needs = np.vstack([np.repeat(profiles, 8, axis=0), np.zeros((3, 3)), np.full((3, 3), np.nan)])
    labels = NeedsClusters().fit(make_orgs(30, needs=needs)).labels_
    for block in range(3):
        assert len(set(labels[block * 8 : block * 8 + 8].tolist())) == 1
    assert len(set(labels[[0, 8, 16]].tolist())) == 3
    assert (labels[24:] == -1).all()  # no gap, or no diagnostic: in no group


def test_needs_weight_zero_is_the_engine_without_a_diagnostic() -> None:
    orgs, truth = make_planted_area(n_clusters=10, n_background=150, seed=3)
    diagnosed = add_planted_diagnostic(orgs, truth, seed=3)
    blind = SignalWeights(**{**DEFAULT_WEIGHTS.as_dict(), "needs": 0.0})
    with_blind = EngineClusters(blind, seed=3).fit(diagnosed).clusters_
    without = EngineClusters(DEFAULT_WEIGHTS, seed=3).fit(orgs).clusters_
    # the same candidates (ranked differently: readiness reads the diagnostic)
    assert sorted(c.tolist() for c in with_blind) == sorted(c.tolist() for c in without)


def test_evaluate_adds_the_needs_baseline_and_shared_gap_with_a_diagnostic() -> None:
    orgs, truth = make_planted_area(n_clusters=10, n_background=150, seed=0)
    diagnosed = add_planted_diagnostic(orgs, truth, seed=0)
    rows = evaluate(EvaluationSet("planted + diagnostic", diagnosed, truth=truth), n_random=3)
    by_method = {row["method"]: row for row in rows}
    assert list(by_method) == [
        "engine (default)", "geo-only", "text-only", "classification-only", "ties-only",
        "needs-only", "random",
    ]  # fmt: skip
    assert all("shared_gap" in row for row in rows)
    # Grouping alike gap profiles shares gaps far more often than chance, and finds no cluster.
    needs_only, random_row = by_method["needs-only"], by_method["random"]
    assert needs_only["shared_gap"] > random_row["shared_gap"] + 0.15
    assert needs_only["ari"] < by_method["engine (default)"]["ari"] - 0.2
    without = evaluate(EvaluationSet("planted", orgs, truth=truth), n_random=1)
    assert not any("shared_gap" in row for row in without)
    assert "needs-only" not in {row["method"] for row in without}
