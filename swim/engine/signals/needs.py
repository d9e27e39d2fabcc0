"""Shared needs and complementary offers, from the needs diagnostic.

A resource cluster is built around a shared back-office deficit (HR and ICT most often),
sometimes with a member able to help the others. Two terms:

* **shared needs** — the cosine between two organisations' gap profiles (their rows of
  ``Organisations.needs``): organisations short of the same things are alike;
* **complementary offers** — organisation ``i`` says it could offer capacity area ``a`` and
  ``j`` has a gap of at least ``gap_threshold`` in ``a``; the link is worth ``j``'s gap.

Only organisations that answered the diagnostic take part; without a diagnostic at all
(``needs is None``) the signal is all zero.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from swim.engine.data import FloatArray, Organisations
from swim.engine.signals._knn import (
    Edges,
    cosine_edges,
    empty_matrix,
    symmetric_matrix,
)


def gap_profiles(orgs: Organisations) -> tuple[FloatArray, npt.NDArray[np.bool_]]:
    """Gaps clipped to [0, 1] with zero rows where there is no diagnostic, and who has one.

    A row with some NaN answers counts those areas as no gap; an all-NaN row means no
    diagnostic.

    Examples
    --------
    >>> import numpy as np
    >>> from swim.engine.data import Organisations
    >>> orgs = Organisations(
    ...     ids=["a", "b"], names=["A", "B"], latitude=np.full(2, np.nan),
    ...     longitude=np.full(2, np.nan), income=np.full(2, np.nan), texts=["", ""],
    ...     classifications=[[], []], needs=np.array([[1.5, np.nan], [np.nan, np.nan]]),
    ... )
    >>> gap_profiles(orgs)
    (array([[1., 0.],
           [0., 0.]]), array([ True, False]))
    """
    n = len(orgs)
    if orgs.needs is None:
        return np.zeros((n, 0), dtype=np.float64), np.zeros(n, dtype=bool)
    needs = np.asarray(orgs.needs, dtype=np.float64)
    if needs.ndim != 2 or needs.shape[0] != n:
        raise ValueError(f"needs must have shape ({n}, n_areas), got {needs.shape}")
    has_diagnostic = np.asarray(~np.isnan(needs).all(axis=1), dtype=np.bool_)
    gaps = np.clip(np.nan_to_num(needs, nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0)
    gaps[~has_diagnostic] = 0.0
    return gaps, has_diagnostic


def shared_needs(
    orgs: Organisations, *, k: int = 15, min_similarity: float = 0.5, seed: int = 0
) -> Any:
    """Cosine similarity of gap profiles, kNN-sparsified and symmetric.

    Organisations without a diagnostic, or without any gap, get no links. The cosine
    compares the shape of the profiles, not their size: two organisations with small gaps
    in the same areas are as alike as two with large ones (the complementary-offer term and
    the candidate profiles weigh the size).
    """
    gaps, _ = gap_profiles(orgs)
    if gaps.shape[1] == 0:
        return empty_matrix(len(orgs))
    edges = cosine_edges(gaps, k=k, min_similarity=min_similarity, seed=seed)
    return symmetric_matrix(len(orgs), edges)


def complementary_offers(
    orgs: Organisations, *, k: int = 15, gap_threshold: float = 0.5, seed: int = 0
) -> Any:
    """Links from organisations offering a capacity area to those with a gap in it.

    For each capacity area, each organisation offering it is linked to at most ``k``
    organisations with a gap of at least ``gap_threshold`` there: the largest gaps first,
    handed out round-robin (offerer ``r`` takes the ``r``-th run of ``k``), so that when
    offerers are few the worst-off are served, and when they are many no one organisation
    collects every offer. A link is worth the gap it answers; over several areas the
    largest counts. Both organisations need a diagnostic.

    Returns
    -------
    scipy.sparse.csr_matrix, shape (n, n)
        Symmetric, zero diagonal, values in [gap_threshold, 1] where non-zero.
    """
    gaps, has_diagnostic = gap_profiles(orgs)
    n = len(orgs)
    if orgs.offers is None or gaps.shape[1] == 0:
        return empty_matrix(n)
    offers = np.asarray(orgs.offers, dtype=bool)
    if offers.shape != gaps.shape:
        raise ValueError(f"offers must have the shape of needs {gaps.shape}, got {offers.shape}")
    rng = np.random.default_rng(seed)
    parts: list[Edges] = []
    for area in range(gaps.shape[1]):
        offerers = rng.permutation(np.flatnonzero(has_diagnostic & offers[:, area]))
        needers = np.flatnonzero(has_diagnostic & (gaps[:, area] >= gap_threshold))
        needers = needers[gaps[needers, area] > 0]
        if len(offerers) == 0 or len(needers) == 0 or k <= 0:
            continue
        needers = needers[np.lexsort((rng.random(len(needers)), -gaps[needers, area]))]
        take = min(k, len(needers))
        runs = np.repeat(np.arange(len(offerers)), take)
        steps = np.tile(np.arange(take), len(offerers))
        cols = needers[(runs * k + steps) % len(needers)]
        parts.append(Edges(offerers[runs], cols, gaps[cols, area]))
    if not parts:
        return empty_matrix(n)
    edges = Edges(*(np.concatenate(column) for column in zip(*parts, strict=True)))
    return symmetric_matrix(n, edges)


def needs_similarity(
    orgs: Organisations,
    *,
    k: int = 15,
    min_similarity: float = 0.5,
    gap_threshold: float = 0.5,
    complement_weight: float = 0.75,
    seed: int = 0,
) -> Any:
    """Shared needs and complementary offers: the larger of the two at each link.

    ``maximum(shared_needs, complement_weight * complementary_offers)``. An offer weighs a
    little less than a shared need by default (0.75): a resource cluster forms around a
    deficit its members share; a member able to help strengthens it but does not make one.

    Parameters
    ----------
    orgs : Organisations
        Uses ``needs`` and ``offers``.
    k : int, default 15
        Links kept per organisation (per area for offers).
    min_similarity : float, default 0.5
        Weaker shared-need links are dropped.
    gap_threshold : float, default 0.5
        Smallest gap an offer can answer.
    complement_weight : float, default 0.75
        Value of an offer answering a full gap.
    seed : int, default 0
        Seeds tie-breaking.

    Returns
    -------
    scipy.sparse.csr_matrix, shape (n, n)
        Symmetric, zero diagonal, values in [0, 1]; all zero when ``needs is None``.

    Examples
    --------
    ``a`` and ``b`` lack HR and ICT, ``c`` could offer HR, ``d`` has no diagnostic.

    >>> import numpy as np
    >>> from swim.engine.data import Organisations
    >>> orgs = Organisations(
    ...     ids=list("abcd"), names=list("ABCD"), latitude=np.full(4, np.nan),
    ...     longitude=np.full(4, np.nan), income=np.full(4, np.nan), texts=[""] * 4,
    ...     classifications=[[]] * 4,
    ...     needs=np.array([[1.0, 0.8], [0.8, 1.0], [0.0, 0.0], [np.nan, np.nan]]),
    ...     offers=np.array([[False, False], [False, False], [True, False], [True, True]]),
    ... )
    >>> needs_similarity(orgs).toarray().round(2)
    array([[0.  , 0.98, 0.75, 0.  ],
           [0.98, 0.  , 0.6 , 0.  ],
           [0.75, 0.6 , 0.  , 0.  ],
           [0.  , 0.  , 0.  , 0.  ]])
    """
    if not 0 <= complement_weight <= 1:
        raise ValueError(f"complement_weight must be in [0, 1], got {complement_weight}")
    shared = shared_needs(orgs, k=k, min_similarity=min_similarity, seed=seed)
    offered = complementary_offers(orgs, k=k, gap_threshold=gap_threshold, seed=seed)
    combined = shared.maximum(offered * complement_weight).tocsr()
    combined.eliminate_zeros()
    combined.sort_indices()
    return combined
