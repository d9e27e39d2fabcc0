"""Interest from classification codes: organisations that the registers put in the same box.

Codes are ``"scheme:code"`` strings (register what/who/how, UK-CAT tags, ICNPO…). Two
organisations are similar when they share codes, and more so when the shared codes are
rare: sharing "arts and culture" says more than sharing "general public", which a large
share of all organisations tick and which is therefore ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import sparse

from swim.engine.communities import haversine_km
from swim.engine.data import Organisations
from swim.engine.signals._knn import Edges, alike_edges, cosine_edges, symmetric_matrix

#: Codes are only ever "too common" when more organisations than this hold them, so that
#: a handful of organisations sharing a code in a tiny area still count as similar.
SMALL_AREA = 10


def code_vectors(
    classifications: Sequence[Sequence[str]], *, max_share: float = 0.3
) -> tuple[Any, list[str]]:
    """IDF-weighted, unit-length code vectors: the sparse incidence matrix of the codes.

    Parameters
    ----------
    classifications : list of list of str
        Codes per organisation (duplicates and blanks ignored).
    max_share : float, default 0.3
        Codes held by more than this share of the organisations that have any code (and by
        more than ``SMALL_AREA`` of them) are ignored.

    Returns
    -------
    vectors : scipy.sparse.csr_matrix, shape (n, n_codes)
        Row ``i`` holds ``1 + ln((1 + N) / (1 + df))`` for each kept code of organisation
        ``i`` (``N`` organisations with codes, ``df`` of them holding the code), scaled to
        unit length; zero rows for organisations without a kept code.
    codes : list of str
        The kept codes, one per column.

    Examples
    --------
    >>> vectors, codes = code_vectors(
    ...     [["what:arts", "who:public"], ["what:arts", "who:public"], ["who:public"]],
    ...     max_share=0.3,
    ... )
    >>> codes
    ['what:arts', 'who:public']
    >>> vectors.shape
    (3, 2)
    """
    if not 0 < max_share <= 1:
        raise ValueError(f"max_share must be in (0, 1], got {max_share}")
    code_index: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    for i, codes_of_org in enumerate(classifications):
        for code in sorted({c.strip() for c in codes_of_org if c and c.strip()}):
            rows.append(i)
            cols.append(code_index.setdefault(code, len(code_index)))
    n = len(classifications)
    incidence = sparse.csr_matrix(
        (np.ones(len(rows)), (np.asarray(rows, np.int64), np.asarray(cols, np.int64))),
        shape=(n, len(code_index)),
    )
    frequency = np.bincount(np.asarray(cols, np.int64), minlength=len(code_index))
    n_with_codes = int(np.count_nonzero(np.diff(incidence.indptr)))
    too_common = (frequency > max_share * n_with_codes) & (frequency > SMALL_AREA)
    kept = np.flatnonzero(~too_common)
    weights = 1.0 + np.log((1.0 + n_with_codes) / (1.0 + frequency[kept]))
    weighted = sparse.csr_matrix(incidence[:, kept] @ sparse.diags(weights))
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
    scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    vectors = sparse.csr_matrix(sparse.diags(scale) @ weighted)
    names = sorted(code_index, key=code_index.__getitem__)
    return vectors, [names[j] for j in kept]


def classification_similarity(
    orgs: Organisations,
    *,
    k: int = 15,
    min_similarity: float = 0.2,
    max_share: float = 0.3,
    seed: int = 0,
    reach_km: float | None = None,
    reach_candidates: int = 300,
) -> Any:
    """Similarity of organisations by the classification codes they share.

    The IDF-weighted cosine between code sets (see :func:`code_vectors`), sparsified to each
    organisation's ``k`` most similar others with at least ``min_similarity``, then made
    symmetric. Organisations with exactly the same code set are similar with value 1; when
    many share a set, each is linked to at most ``k`` of them (a ring in seeded random
    order) rather than all to the same few. Codes held by a single organisation are kept in
    the weighting (they make an organisation less like the others) but cannot link anyone.

    The search runs on distinct code sets (a register's coarse codes give far fewer sets
    than organisations), as dense vectors when there are at most 256 codes, else as a
    blocked sparse product whose blocks are sized by the products they make.

    The ``k`` most alike organisations of a charity are usually anywhere in the area, and
    the span limit of candidates then splits them apart. With ``reach_km`` (typically the
    largest span of a candidate) every located organisation is also linked to its ``k``
    most alike among its ``reach_candidates`` nearest within ``reach_km``, nearer first
    among equals (:func:`~swim.engine.signals._knn.alike_edges`): its *alike neighbours*,
    the organisations of the same kind that could share a candidate with it (the units of
    one federation, registered alike, a few streets apart), even when none is among its
    ``k`` most alike of the whole area. A pair found both ways keeps the larger value (they
    are the same cosine). Area-wide links longer than ``reach_km`` are then dropped: no
    candidate could hold both ends.

    Parameters
    ----------
    orgs : Organisations
        Uses ``classifications``; organisations without a kept code get no links.
    k : int, default 15
        Neighbours kept per organisation before symmetrisation.
    min_similarity : float, default 0.2
        Weaker links are dropped (sharing one code of five equally rare ones is 0.2).
    max_share : float, default 0.3
        See :func:`code_vectors`.
    seed : int, default 0
        Seeds tie-breaking.
    reach_km : float, optional
        How far alike neighbours are looked for, and the longest link kept; without it,
        only the area-wide links, however long.
    reach_candidates : int, default 300
        Nearest organisations (with a kept code) within ``reach_km`` among which each
        organisation's ``k`` alike neighbours are chosen.

    Returns
    -------
    scipy.sparse.csr_matrix, shape (n, n)
        Symmetric, zero diagonal, values in [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from swim.engine.data import Organisations
    >>> orgs = Organisations(
    ...     ids=list("abcd"), names=list("ABCD"), latitude=np.full(4, np.nan),
    ...     longitude=np.full(4, np.nan), income=np.full(4, np.nan), texts=[""] * 4,
    ...     classifications=[["what:arts", "who:youth"], ["what:arts", "who:youth"],
    ...                      ["what:sport", "who:youth"], []],
    ... )
    >>> classification_similarity(orgs).toarray().round(2)
    array([[0.  , 1.  , 0.31, 0.  ],
           [1.  , 0.  , 0.31, 0.  ],
           [0.31, 0.31, 0.  , 0.  ],
           [0.  , 0.  , 0.  , 0.  ]])
    """
    vectors, codes = code_vectors(orgs.classifications, max_share=max_share)
    linking = np.flatnonzero(np.bincount(vectors.indices, minlength=len(codes)) >= 2)
    vectors = sparse.csr_matrix(vectors[:, linking])
    # The rows stay as code_vectors scaled them (with single-holder codes in the length).
    edges = cosine_edges(vectors, k=k, min_similarity=min_similarity, seed=seed, normalise=False)
    if reach_km is not None:
        edges = _within(edges, orgs, reach_km)
        local = alike_edges(
            vectors,
            orgs.latitude,
            orgs.longitude,
            k=k,
            candidates=reach_candidates,
            radius_km=reach_km,
            min_similarity=min_similarity,
            normalise=False,
        )
        edges = Edges(*(np.concatenate(parts) for parts in zip(edges, local, strict=True)))
    return symmetric_matrix(len(orgs), edges)


def _within(edges: Edges, orgs: Organisations, reach_km: float) -> Edges:
    """The edges no longer than ``reach_km`` (or with an unlocated end, which may be near).

    A link longer than the largest span of a candidate can never lie inside one: it only
    pulls far-apart organisations into a community that the span limit then breaks up.
    """
    rows, cols, values = edges
    distance = haversine_km(
        orgs.latitude[rows], orgs.longitude[rows], orgs.latitude[cols], orgs.longitude[cols]
    )
    keep = ~(distance > reach_km)  # NaN (an unlocated end) is kept
    return Edges(rows[keep], cols[keep], values[keep])
