"""Needs signal: shared gaps and complementary offers from the diagnostic."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from swim.engine.data import CAPACITY_AREAS
from swim.engine.signals.needs import (
    complementary_offers,
    gap_profiles,
    needs_similarity,
    shared_needs,
)
from swim.engine.tests.helpers import assert_similarity, make_orgs

A = len(CAPACITY_AREAS)
HR, ICT = CAPACITY_AREAS.index("hr"), CAPACITY_AREAS.index("ict")


def gaps(*rows: dict[int, float] | None) -> Any:
    needs = np.zeros((len(rows), A))
    for i, row in enumerate(rows):
        if row is None:
            needs[i] = np.nan
        else:
            for area, gap in row.items():
                needs[i, area] = gap
    return needs


def test_without_a_diagnostic_the_signal_is_all_zero() -> None:
    similarity = needs_similarity(make_orgs(3))
    assert similarity.shape == (3, 3)
    assert similarity.nnz == 0


def test_organisations_short_of_the_same_things_are_alike() -> None:
    needs = gaps({HR: 1.0, ICT: 0.8}, {HR: 0.8, ICT: 1.0}, {CAPACITY_AREAS.index("legal"): 1.0})
    similarity = shared_needs(make_orgs(3, needs=needs)).toarray()
    assert similarity[0, 1] == pytest.approx(1.6 / 1.64, rel=1e-6)
    assert similarity[0, 2] == 0


def test_organisations_without_a_diagnostic_or_without_gaps_get_no_links() -> None:
    needs = gaps({HR: 1.0}, None, {}, {HR: 0.9})
    offers = np.zeros((4, A), dtype=bool)
    offers[1, HR] = True  # no diagnostic: its offer does not count
    offers[2, HR] = True  # no gaps, but an offer: linked by the offer only
    similarity = needs_similarity(make_orgs(4, needs=needs, offers=offers)).toarray()
    assert not similarity[1].any()
    assert np.flatnonzero(similarity[2]).tolist() == [0, 3]
    assert similarity[0, 3] == pytest.approx(1.0)


def test_an_offer_links_to_a_gap_of_at_least_the_threshold_worth_the_gap() -> None:
    needs = gaps({}, {HR: 0.9}, {HR: 0.4}, {ICT: 1.0})
    offers = np.zeros((4, A), dtype=bool)
    offers[0, HR] = True
    similarity = complementary_offers(make_orgs(4, needs=needs, offers=offers)).toarray()
    assert similarity[0, 1] == pytest.approx(0.9)
    assert similarity[0, 2] == 0  # gap below 0.5
    assert similarity[0, 3] == 0  # a gap in another area
    combined = needs_similarity(make_orgs(4, needs=needs, offers=offers), complement_weight=0.5)
    assert combined[0, 1] == pytest.approx(0.45)


def test_a_lone_offerer_is_linked_to_the_largest_gaps_first() -> None:
    needs = gaps({}, *({HR: 0.5 + i / 100} for i in range(40)))
    offers = np.zeros((41, A), dtype=bool)
    offers[0, HR] = True
    similarity = complementary_offers(make_orgs(41, needs=needs, offers=offers), k=5)
    assert sorted(similarity[0].indices.tolist()) == [36, 37, 38, 39, 40]


def test_many_offerers_share_the_organisations_in_need_round_robin() -> None:
    needs = gaps(*([{}] * 20), *([{HR: 1.0}] * 20))
    offers = np.zeros((40, A), dtype=bool)
    offers[:20, HR] = True
    similarity = complementary_offers(make_orgs(40, needs=needs, offers=offers), k=1)
    assert np.diff(similarity.indptr).tolist() == [1] * 40


def test_offers_must_match_the_needs() -> None:
    orgs = make_orgs(2, needs=gaps({HR: 1.0}, {}), offers=np.zeros((2, 3), dtype=bool))
    with pytest.raises(ValueError, match="offers"):
        complementary_offers(orgs)


def test_gap_profiles_clip_gaps_and_count_missing_answers_as_no_gap() -> None:
    needs = np.full((2, A), np.nan)
    needs[0, :2] = [1.7, -0.2]
    profile, has = gap_profiles(make_orgs(2, needs=needs))
    assert profile[0, :3].tolist() == [1.0, 0.0, 0.0]
    assert has.tolist() == [True, False]


needs_rows = hnp.arrays(
    np.float64, A, elements=st.sampled_from([np.nan, 0.0, 0.25, 0.5, 0.75, 1.0])
)


@settings(max_examples=80, deadline=None)
@given(
    data=st.data(),
    n=st.integers(0, 25),
    k=st.integers(1, 5),
)
def test_it_is_a_valid_similarity_for_any_diagnostic(data: st.DataObject, n: int, k: int) -> None:
    needs = np.array(data.draw(st.lists(needs_rows, min_size=n, max_size=n))).reshape(n, A)
    offers = data.draw(hnp.arrays(np.bool_, (n, A)))
    orgs = make_orgs(n, needs=needs, offers=offers)
    similarity = needs_similarity(orgs, k=k)
    assert_similarity(similarity, n)
    no_diagnostic = np.flatnonzero(np.isnan(needs).all(axis=1))
    assert similarity[no_diagnostic].nnz == 0
