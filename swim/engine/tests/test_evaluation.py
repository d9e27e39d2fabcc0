"""The evaluation harness: metrics with known answers, the baselines, the planted area."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import sparse

from swim.engine.evaluation import (
    MEASURES,
    EvaluationSet,
    GeoClusters,
    RandomClusters,
    TextClusters,
    TiesClusters,
    chance_coherence,
    clusters_to_labels,
    evaluate,
    hide_ties,
    make_planted_area,
    network_lift,
    pair_coherence,
    partition_scores,
    size_rule,
    tie_recall,
)
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
