"""Classification signal: IDF-weighted cosine between code sets."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from swim.engine.data import Organisations
from swim.engine.signals import _knn
from swim.engine.signals.classification import (
    SMALL_AREA,
    classification_similarity,
    code_vectors,
)
from swim.engine.tests.helpers import assert_similarity


def make_orgs(classifications: list[list[str]]) -> Organisations:
    n = len(classifications)
    return Organisations(
        ids=[f"o{i}" for i in range(n)],
        names=[f"Org {i}" for i in range(n)],
        latitude=np.full(n, np.nan),
        longitude=np.full(n, np.nan),
        income=np.full(n, np.nan),
        texts=[""] * n,
        classifications=classifications,
    )


def test_identical_code_sets_are_fully_similar_and_disjoint_ones_not_at_all() -> None:
    similarity = classification_similarity(
        make_orgs([["what:arts", "who:youth"], ["who:youth", "what:arts"], ["what:sport"]])
    ).toarray()
    assert similarity[0, 1] == pytest.approx(1.0)
    assert similarity[0, 2] == 0


def test_a_rare_shared_code_counts_more_than_a_common_one() -> None:
    rare, common = "what:heritage", "who:children"
    classifications = [
        [rare, common, "u:0"],
        [rare, "u:1", "v:1"],  # shares the rare code with 0
        [common, "u:2", "v:2"],  # shares the common code with 0
    ] + [[common, f"u:{i}"] for i in range(3, 8)]
    vectors, codes = code_vectors(classifications)
    weight = dict(zip(codes, vectors[0].toarray().ravel(), strict=True))
    assert weight[rare] > weight[common]
    similarity = classification_similarity(make_orgs(classifications), min_similarity=0)
    assert similarity[0, 1] > similarity[0, 2] > 0


def test_codes_held_by_a_large_share_of_a_large_area_are_ignored() -> None:
    n = 3 * SMALL_AREA
    classifications = [["who:general-public", f"what:{i}"] for i in range(n)]
    _, codes = code_vectors(classifications, max_share=0.3)
    assert "who:general-public" not in codes
    assert classification_similarity(make_orgs(classifications)).nnz == 0


def test_in_a_tiny_area_a_code_everybody_holds_still_links_them() -> None:
    similarity = classification_similarity(make_orgs([["who:public"], ["who:public"]]))
    assert similarity[0, 1] == pytest.approx(1.0)


def test_the_share_is_of_organisations_with_codes() -> None:
    # 12 of 100 organisations are classified, 11 of them "who:public": too common.
    classifications = [["who:public", f"what:{i % 6}"] for i in range(11)] + [["what:0"]]
    classifications += [[] for _ in range(88)]
    _, codes = code_vectors(classifications)
    assert "who:public" not in codes


def test_organisations_without_codes_get_no_links() -> None:
    similarity = classification_similarity(make_orgs([["a:1"], [], ["a:1"], ["  "]]))
    assert similarity[1].nnz == 0
    assert similarity[3].nnz == 0
    assert similarity[0, 2] > 0


def test_many_organisations_with_one_code_set_form_a_bounded_ring() -> None:
    classifications = [["what:arts"]] * 50 + [[f"what:{i}"] for i in range(150)]
    similarity = classification_similarity(make_orgs(classifications), k=6)
    degrees = np.diff(similarity.indptr)[:50]
    assert similarity[50:].nnz == 0
    assert degrees.min() >= 6
    assert degrees.max() <= 12


def test_wide_code_sets_found_through_a_reduction_are_measured_exactly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(5)
    classifications = [
        [f"tag:{t}" for t in rng.choice(300, size=rng.integers(1, 6), replace=False)]
        + [f"field:{i % 20}"]
        for i in range(600)
    ]
    orgs = make_orgs(classifications)
    exact = classification_similarity(orgs, k=5)
    monkeypatch.setattr(_knn, "DENSE_MAX_ELEMENTS", 1000)  # force the sparse path
    reduced = classification_similarity(orgs, k=5)
    both = exact.multiply(reduced > 0)
    assert abs(both - reduced.multiply(exact > 0)).max() < 1e-6  # same values where found
    assert both.nnz / exact.nnz > 0.8


def test_alike_neighbours_within_reach_are_linked() -> None:
    """0 and 1 are 2 km apart sharing "a"; each has three exact twins 50 km away, which fill
    its k = 2 most alike of the area, so only the search within reach links 0 and 1. Org 8,
    nearer, shares nothing. Links longer than the reach are dropped."""
    classifications = [["a", "b"], ["a", "c"]] + [["a", "b"]] * 3 + [["a", "c"]] * 3 + [["d"]]
    orgs = make_orgs(classifications)
    orgs.latitude[:] = [53.48, 53.48 + 2 / 111.195] + [53.93] * 6 + [53.481]
    orgs.longitude[:] = [-2.24, -2.24] + [-2.24 + 0.01 * i for i in range(6)] + [-2.24]
    alone = classification_similarity(orgs, k=2)
    linked = classification_similarity(orgs, k=2, reach_km=5.0)
    short = classification_similarity(orgs, k=2, reach_km=1.5)
    # Of the 9 organisations with codes, "a" is held by 8 (kept: a small area) and weighs
    # 1 + ln(10 / 9); "b" and "c" by 4 each, weighing 1 + ln(10 / 5). The cosine of {a, b}
    # and {a, c} is wa**2 / (wa**2 + wb**2).
    wa, wb = 1 + np.log(10 / 9), 1 + np.log(2)
    assert alone[0, 1] == 0
    assert linked[0, 1] == linked[1, 0] == pytest.approx(wa**2 / (wa**2 + wb**2))  # 0.299
    assert linked[0, 8] == 0
    assert short[0, 1] == 0  # 2 km is beyond a 1.5 km reach
    assert alone[0, 2:8].nnz > 0  # the far twins, linked area-wide…
    assert short[0, 2:8].nnz == 0  # …are beyond reach: no candidate could hold both
    assert (linked[2:8, 2:8] != alone[2:8, 2:8]).nnz == 0  # twins among themselves stay
    assert_similarity(linked, 9)


def test_it_rejects_a_reach_that_is_not_positive() -> None:
    orgs = make_orgs([["a"], ["a"]])
    orgs.latitude[:], orgs.longitude[:] = 53.48, -2.24
    with pytest.raises(ValueError, match="radius_km"):
        classification_similarity(orgs, reach_km=0)


def test_it_rejects_a_share_outside_zero_to_one() -> None:
    with pytest.raises(ValueError, match="max_share"):
        code_vectors([["a:1"]], max_share=0)


codes = st.lists(st.sampled_from(["what:1", "what:2", "who:1", "who:2", "how:1", ""]))


@settings(max_examples=80, deadline=None)
@given(classifications=st.lists(codes, max_size=30), k=st.integers(1, 5))
def test_it_is_a_valid_similarity_for_any_classifications(
    classifications: list[list[str]], k: int
) -> None:
    similarity = classification_similarity(make_orgs(classifications), k=k)
    assert_similarity(similarity, len(classifications))
    without = [i for i, c in enumerate(classifications) if not any(c)]
    assert similarity[without].nnz == 0
    for i, j in zip(*similarity.nonzero(), strict=True):
        assert set(classifications[i]) & set(classifications[j]) - {""}


def test_alike_neighbours_are_the_same_through_the_sparse_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(4)
    classifications = [
        [f"what:{rng.integers(6)}", f"who:{rng.integers(4)}", f"how:{rng.integers(3)}"]
        for _ in range(300)
    ]
    orgs = make_orgs(classifications)
    orgs.latitude[:] = 53.48 + rng.uniform(0, 0.1, 300)
    orgs.longitude[:] = -2.24 + rng.uniform(0, 0.15, 300)
    dense = classification_similarity(orgs, k=4, reach_km=3.0, reach_candidates=40)
    monkeypatch.setattr(_knn, "DENSE_MAX_ELEMENTS", 10)  # force the sparse path
    reduced = classification_similarity(orgs, k=4, reach_km=3.0, reach_candidates=40)
    assert abs(dense - reduced).max() < 1e-6
    assert dense.nnz > 300
