"""Location quotients: where a field of activity is unusually concentrated.

Porter defines clusters as "geographic concentrations of interconnected organisations in a
particular field"; the US Cluster Mapping Project measures the concentration with the
**location quotient**. For a field ``f`` (a classification code) and an area ``a`` (a local
authority, a postcode district)::

    LQ(f, a) = (n_fa / n_a) / (n_f / N)

the field's share of the area's organisations over its share of all organisations. 1 is the
average; 2 means the field is twice as common in the area as in the whole register.

The reference population is every organisation with a known area at the level asked for, so
``n_f`` and ``N`` are sums over the areas and the areas' quotients, weighted by their sizes,
average exactly 1 for every field.

Small counts make wild quotients (one food bank among three organisations is an LQ of 50), so
two guards come with every quotient:

- a **minimum count**: a cell with fewer than ``min_count`` organisations of the field
  (default 5) is reported but flagged as too few to judge, and never ranked;
- a **confidence interval** for the quotient (Moineddin, Beyene and Boyle, 2003, "On the
  location quotient confidence interval", *Geographical Analysis* 35(3)): ``ln LQ`` is
  approximately normal with variance ``1/n_fa - 1/n_a + 1/n_f - 1/N``. A concentration is
  *clear* when the interval's lower end is above 1.

Areas smaller than ``min_area`` organisations are flagged as well: their shares move a lot
with one organisation more or less.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.stats import norm

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Fewer organisations of a field than this in an area are too few to judge.
MIN_COUNT = 5
#: Areas with fewer organisations than this are flagged as small.
MIN_AREA = 20


def count_matrix(
    area_of: Sequence[int] | IntArray,
    fields_of: Sequence[Sequence[int]],
    *,
    n_areas: int | None = None,
    n_fields: int | None = None,
) -> tuple[sparse.csr_matrix, IntArray]:
    """Organisations per (area, field) and per area, from one row per organisation.

    Parameters
    ----------
    area_of : array of int, shape (n_organisations,)
        The area index of each organisation; negative for none (it is left out).
    fields_of : list of list of int
        The field indices of each organisation (repeats count once).
    n_areas, n_fields : int, optional
        The matrix's shape; by default one more than the largest index used.

    Returns
    -------
    counts : scipy.sparse.csr_matrix of int64, shape (n_areas, n_fields)
        ``counts[a, f]`` organisations of area ``a`` hold field ``f``.
    area_totals : array of int64, shape (n_areas,)
        Organisations per area, with or without a field.

    Examples
    --------
    >>> counts, totals = count_matrix([0, 0, 1, -1], [[0, 1], [0], [1, 1], [0]])
    >>> counts.toarray().tolist(), totals.tolist()
    ([[2, 1], [0, 1]], [2, 1])
    """
    areas = np.asarray(area_of, dtype=np.int64)
    if len(areas) != len(fields_of):
        raise ValueError(f"{len(areas)} areas given for {len(fields_of)} organisations")
    rows, cols = [], []
    for area, fields in zip(areas.tolist(), fields_of, strict=True):
        if area >= 0:
            unique = set(fields)
            rows += [area] * len(unique)
            cols += list(unique)
    located = areas[areas >= 0]
    n_areas = n_areas if n_areas is not None else int(located.max(initial=-1)) + 1
    n_fields = n_fields if n_fields is not None else max(cols, default=-1) + 1
    counts = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.int64), (rows, cols)), shape=(n_areas, n_fields)
    )
    counts.sum_duplicates()
    totals = np.bincount(located, minlength=n_areas).astype(np.int64)
    return counts, totals


@dataclass(frozen=True)
class Concentration:
    """Location quotients of every (area, field) cell that holds organisations.

    The cells are the non-zero entries of ``counts``, listed in the parallel arrays
    ``area``, ``field``, ``count``, ``lq``, ``lower`` and ``upper``; an absent cell has no
    organisation of the field, and a quotient of 0.
    """

    area_totals: IntArray  #: organisations per area, shape (n_areas,)
    field_totals: IntArray  #: organisations per field, shape (n_fields,)
    total: int  #: all organisations with a known area
    area: IntArray  #: the area index of each cell
    field: IntArray  #: the field index of each cell
    count: IntArray  #: organisations of the field in the area
    lq: FloatArray  #: the location quotient
    lower: FloatArray  #: lower end of its confidence interval
    upper: FloatArray  #: upper end of its confidence interval
    min_count: int
    min_area: int

    @property
    def share(self) -> FloatArray:
        """The field's share of the area's organisations, per cell."""
        result: FloatArray = self.count / self.area_totals[self.area]
        return result

    @property
    def enough(self) -> BoolArray:
        """Cells with at least ``min_count`` organisations of the field."""
        result: BoolArray = self.count >= self.min_count
        return result

    @property
    def small_area(self) -> BoolArray:
        """Cells of areas with fewer than ``min_area`` organisations."""
        result: BoolArray = self.area_totals[self.area] < self.min_area
        return result

    @property
    def clear(self) -> BoolArray:
        """Cells clearly concentrated: enough organisations and the interval above 1."""
        result: BoolArray = self.enough & (self.lower > 1.0)
        return result

    def top(self, limit: int | None = None) -> IntArray:
        """Cells worth starting from: enough organisations, not a small area, clearly above 1.

        Sorted by quotient (highest first), then by count; indices into the cell arrays.
        """
        keep = np.flatnonzero(self.clear & ~self.small_area)
        order = np.lexsort((-self.count[keep], -self.lq[keep]))
        result: IntArray = keep[order][:limit].astype(np.int64)
        return result


def location_quotients(
    counts: sparse.spmatrix | npt.ArrayLike,
    area_totals: npt.ArrayLike,
    *,
    confidence: float = 0.95,
    min_count: int = MIN_COUNT,
    min_area: int = MIN_AREA,
) -> Concentration:
    """Location quotients, with confidence intervals, of an (area, field) count matrix.

    Parameters
    ----------
    counts : sparse or dense matrix of int, shape (n_areas, n_fields)
        Organisations of each field in each area (an organisation can hold several fields).
    area_totals : array of int, shape (n_areas,)
        All organisations of each area, with or without a field; each at least the largest
        count of its row.
    confidence : float, default 0.95
        Coverage of the interval, in (0, 1).
    min_count : int, default 5
        Cells with fewer organisations of the field are "too few to judge".
    min_area : int, default 20
        Areas with fewer organisations are flagged as small.

    Returns
    -------
    Concentration
        One entry per non-zero cell, in row-major order.

    Examples
    --------
    Two areas of 10 organisations; field 0 is held by 6 in the first and 2 in the second:

    >>> result = location_quotients([[6, 1], [2, 1]], [10, 10], min_count=1, min_area=1)
    >>> result.lq.round(2).tolist()
    [1.5, 1.0, 0.5, 1.0]
    >>> result.total, result.field_totals.tolist()
    (20, [8, 2])
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if min_count < 1 or min_area < 1:
        raise ValueError("min_count and min_area must be at least 1")
    matrix = sparse.csr_matrix(counts, dtype=np.int64)
    matrix.eliminate_zeros()
    matrix.sort_indices()
    totals = np.asarray(area_totals, dtype=np.int64).ravel()
    if totals.shape != (matrix.shape[0],):
        raise ValueError(f"{totals.size} area totals for {matrix.shape[0]} areas")
    too_many = matrix.nnz and (matrix.max(axis=1).toarray().ravel() > totals).any()
    if matrix.nnz and (matrix.data.min() < 0 or too_many):
        raise ValueError("counts must be non-negative and at most their area's total")
    coo = matrix.tocoo()
    area, field = coo.row.astype(np.int64), coo.col.astype(np.int64)
    count = coo.data.astype(np.int64)
    field_totals = np.asarray(matrix.sum(axis=0), dtype=np.int64).ravel()
    total = int(totals.sum())
    n_fa = count.astype(np.float64)
    n_a = totals[area].astype(np.float64)
    n_f = field_totals[field].astype(np.float64)
    big_n = np.float64(max(total, 1))  # no cell at all when there is no organisation
    lq = (n_fa / n_a) / (n_f / big_n)
    variance = np.clip(1 / n_fa - 1 / n_a + 1 / n_f - 1 / big_n, 0.0, None)
    spread = norm.ppf(0.5 + confidence / 2) * np.sqrt(variance)
    return Concentration(
        area_totals=totals,
        field_totals=field_totals,
        total=total,
        area=area,
        field=field,
        count=count,
        lq=np.asarray(lq, dtype=np.float64),
        lower=np.asarray(lq * np.exp(-spread), dtype=np.float64),
        upper=np.asarray(lq * np.exp(spread), dtype=np.float64),
        min_count=min_count,
        min_area=min_area,
    )
