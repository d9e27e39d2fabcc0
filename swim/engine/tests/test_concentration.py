"""Location quotients: known answers, the confidence interval, the guards, invariants."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from swim.engine.concentration import count_matrix, location_quotients


def cell(result: object, area: int, field: int) -> int:
    """The index of cell (area, field) in a result's cell arrays."""
    found = np.flatnonzero((result.area == area) & (result.field == field))  # type: ignore[attr-defined]
    assert found.size == 1, f"no cell ({area}, {field})"
    return int(found[0])


def test_the_quotient_is_the_areas_share_over_the_registers_share() -> None:
    # Area 0: 40 organisations, 20 in field 0; area 1: 40 organisations, 2 in field 0.
    result = location_quotients([[20, 5], [2, 5]], [40, 40])
    assert result.total == 80
    assert result.field_totals.tolist() == [22, 10]
    assert result.lq[cell(result, 0, 0)] == pytest.approx((20 / 40) / (22 / 80))
    assert result.lq[cell(result, 1, 0)] == pytest.approx((2 / 40) / (22 / 80))
    assert result.lq[cell(result, 0, 1)] == pytest.approx(1.0)


def test_the_interval_follows_moineddin_beyene_and_boyle() -> None:
    result = location_quotients([[20, 5], [2, 5]], [40, 40], confidence=0.95)
    i = cell(result, 0, 0)
    lq = (20 / 40) / (22 / 80)
    sd = math.sqrt(1 / 20 - 1 / 40 + 1 / 22 - 1 / 80)
    assert result.lower[i] == pytest.approx(lq * math.exp(-1.959964 * sd), rel=1e-6)
    assert result.upper[i] == pytest.approx(lq * math.exp(1.959964 * sd), rel=1e-6)
    assert result.lower[i] > 1  # 20 of 40 against 22 of 80 is clearly above average


def test_a_wider_confidence_gives_a_wider_interval() -> None:
    narrow = location_quotients([[20, 5], [2, 5]], [40, 40], confidence=0.8)
    wide = location_quotients([[20, 5], [2, 5]], [40, 40], confidence=0.99)
    assert (wide.lower <= narrow.lower).all()
    assert (wide.upper >= narrow.upper).all()
    assert (wide.lq == narrow.lq).all()


def test_small_counts_and_small_areas_are_flagged_and_never_ranked() -> None:
    # Area 2 has 3 organisations, all in field 1: a quotient of 10 that means little.
    counts = [[30, 0], [30, 0], [0, 3]]
    result = location_quotients(counts, [60, 60, 3], min_count=5, min_area=20)
    few = cell(result, 2, 1)
    assert result.lq[few] == pytest.approx((3 / 3) / (3 / 123))
    assert not result.enough[few]
    assert result.small_area[few]
    assert few not in result.top().tolist()


def test_top_ranks_clear_concentrations_by_quotient() -> None:
    counts = [[30, 6, 0], [5, 6, 25], [5, 30, 5]]
    result = location_quotients(counts, [60, 60, 60])
    top = result.top()
    assert len(top) >= 2
    quotients = result.lq[top]
    assert (np.diff(quotients) <= 0).all()
    assert (result.lower[top] > 1).all()
    assert (result.count[top] >= 5).all()
    assert {(int(result.area[i]), int(result.field[i])) for i in top} == {(0, 0), (1, 2), (2, 1)}
    assert len(result.top(limit=1)) == 1


def test_counts_beyond_the_area_total_are_refused() -> None:
    with pytest.raises(ValueError, match="at most their area's total"):
        location_quotients([[5]], [4])
    with pytest.raises(ValueError, match="area totals"):
        location_quotients([[5]], [10, 10])
    with pytest.raises(ValueError, match="confidence"):
        location_quotients([[5]], [10], confidence=1.0)


def test_an_empty_register_gives_no_cells() -> None:
    result = location_quotients(sparse.csr_matrix((2, 3), dtype=np.int64), [0, 0])
    assert result.total == 0
    assert result.lq.size == 0
    assert result.top().size == 0


def test_count_matrix_counts_each_organisation_once_per_field_and_skips_no_area() -> None:
    counts, totals = count_matrix(
        [0, 0, 1, -1, 1], [[2, 2, 0], [0], [], [1], [1]], n_areas=3, n_fields=3
    )
    assert counts.toarray().tolist() == [[2, 0, 1], [0, 1, 0], [0, 0, 0]]
    assert totals.tolist() == [2, 2, 0]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 4), st.lists(st.integers(0, 3), max_size=3)),
        min_size=1,
        max_size=60,
    )
)
def test_the_size_weighted_mean_quotient_of_every_field_is_one(
    rows: list[tuple[int, list[int]]],
) -> None:
    counts, totals = count_matrix([a for a, _ in rows], [f for _, f in rows], n_areas=5, n_fields=4)
    result = location_quotients(counts, totals, min_count=1, min_area=1)
    for field in np.flatnonzero(result.field_totals):
        mine = result.field == field
        weights = result.area_totals[result.area[mine]] / result.total
        assert float((weights * result.lq[mine]).sum()) == pytest.approx(1.0)
    assert (result.lower <= result.lq + 1e-12).all()
    assert (result.lq <= result.upper + 1e-12).all()
