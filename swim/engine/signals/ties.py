"""Existing relationships: direct ties and shared networks.

"Build on existing relationships" is a critical success factor: organisations that already
share trustees, are parent and subsidiary, have merged or partnered, or meet in the same
local network, are the easiest to bring together. Two sources:

* **direct ties** (``Organisations.ties``): any weight of ``tie_scale`` or more is a full
  tie (1); weaker weights count in proportion;
* **shared networks** (``Organisations.networks``): members of a small network (a local
  forum, a consortium) are all linked to each other; members of a large one (a national
  federation with thousands of members) only to their ``k`` nearest fellow members within
  ``network_radius_km`` — and not at all when they are not located — so that one federation
  cannot add millions of links.

Links from several networks add up, and add to direct ties; the total is capped at 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse

from swim.engine.data import Organisations
from swim.engine.signals._knn import haversine_edges


def tie_matrix(ties: Any, *, tie_scale: float = 1.0) -> Any:
    """Direct ties as a symmetric similarity in [0, 1] with zero diagonal.

    Each tie weighs ``min(weight / tie_scale, 1)``; non-positive or non-finite weights are
    ignored, and a tie recorded in one direction only counts in both.

    Examples
    --------
    >>> from scipy import sparse
    >>> tie_matrix(sparse.csr_matrix([[0, 3, 0.5], [0, 0, 0], [0, 0, 0]])).toarray()
    array([[0. , 1. , 0.5],
           [1. , 0. , 0. ],
           [0.5, 0. , 0. ]])
    """
    if tie_scale <= 0:
        raise ValueError(f"tie_scale must be positive, got {tie_scale}")
    entries = sparse.coo_matrix(ties, dtype=np.float64)
    keep = np.isfinite(entries.data) & (entries.data > 0) & (entries.row != entries.col)
    matrix = sparse.csr_matrix(
        (entries.data[keep], (entries.row[keep], entries.col[keep])), shape=entries.shape
    )  # duplicate entries add up
    matrix = sparse.csr_matrix(matrix.maximum(matrix.T))
    matrix.data = np.minimum(matrix.data / tie_scale, 1.0)
    matrix.sort_indices()
    return matrix


def network_links(
    orgs: Organisations,
    *,
    k: int = 15,
    max_clique: int = 25,
    network_weight: float = 0.5,
    network_radius_km: float = 10.0,
    seed: int = 0,
) -> Any:
    """Links between fellow members of the declared networks (not capped).

    Parameters
    ----------
    orgs : Organisations
        Uses ``networks`` and, for large networks, ``latitude`` and ``longitude``.
    k : int, default 15
        In a network of more than ``max_clique`` members, each located member is linked to
        its ``k`` nearest located fellow members.
    max_clique : int, default 25
        Networks up to this size link every pair of members.
    network_weight : float, default 0.5
        Value of one shared network.
    network_radius_km : float, default 10.0
        Fellow members of a large network further apart are not linked.
    seed : int, default 0
        Seeds the order in which co-located fellow members are linked.

    Returns
    -------
    scipy.sparse.csr_matrix, shape (n, n)
        Symmetric, zero diagonal; ``network_weight`` times the number of shared networks.
    """
    if not 0 <= network_weight <= 1:
        raise ValueError(f"network_weight must be in [0, 1], got {network_weight}")
    n = len(orgs)
    members: dict[str, list[int]] = {}
    for i, names in enumerate(orgs.networks):
        for name in {name.strip() for name in names if name and name.strip()}:
            members.setdefault(name, []).append(i)
    located = orgs.located
    pairs: list[np.ndarray[Any, np.dtype[np.int64]]] = []
    for name in sorted(members):
        group = np.unique(np.asarray(members[name], dtype=np.int64))
        if len(group) < 2:
            continue
        if len(group) <= max_clique:
            first, second = np.triu_indices(len(group), 1)
            pairs.append(group[first] * n + group[second])
            continue
        group = group[located[group]]
        if len(group) < 2:
            continue
        edges = haversine_edges(
            orgs.latitude[group],
            orgs.longitude[group],
            k=k,
            radius_km=network_radius_km,
            scale_km=network_radius_km,
            seed=seed,
        )
        low = group[np.minimum(edges.rows, edges.cols)]
        high = group[np.maximum(edges.rows, edges.cols)]
        pairs.append(np.unique(low * n + high))  # each pair once per network
    if not pairs:
        return sparse.csr_matrix((n, n), dtype=np.float64)
    keys = np.concatenate(pairs)
    low, high = keys // n, keys % n
    values = np.full(2 * len(keys), network_weight, dtype=np.float64)
    matrix = sparse.csr_matrix(
        (values, (np.concatenate([low, high]), np.concatenate([high, low]))), shape=(n, n)
    )  # duplicates (pairs sharing several networks) add up
    matrix.eliminate_zeros()
    matrix.sort_indices()
    return matrix


def ties_similarity(
    orgs: Organisations,
    *,
    k: int = 15,
    max_clique: int = 25,
    network_weight: float = 0.5,
    network_radius_km: float = 10.0,
    tie_scale: float = 1.0,
    seed: int = 0,
) -> Any:
    """Existing relationships: direct ties plus shared networks, capped at 1.

    ``min(1, tie_matrix(ties) + network_links(networks))``; see :func:`tie_matrix` and
    :func:`network_links` for the parameters. A direct tie is worth twice one shared
    network by default: a shared trustee or a partnership is a working relationship, a
    shared network only a place where the organisations meet.

    Returns
    -------
    scipy.sparse.csr_matrix, shape (n, n)
        Symmetric, zero diagonal, values in [0, 1].

    Examples
    --------
    ``a`` and ``b`` share a trustee; ``b`` and ``c`` meet in a local forum; ``d`` has no
    relationship.

    >>> import numpy as np
    >>> from scipy import sparse
    >>> from swim.engine.data import Organisations
    >>> orgs = Organisations(
    ...     ids=list("abcd"), names=list("ABCD"), latitude=np.full(4, np.nan),
    ...     longitude=np.full(4, np.nan), income=np.full(4, np.nan), texts=[""] * 4,
    ...     classifications=[[]] * 4,
    ...     ties=sparse.csr_matrix(([1.0, 1.0], ([0, 1], [1, 0])), shape=(4, 4)),
    ...     networks=[[], ["Women's Forum"], ["Women's Forum"], []],
    ... )
    >>> ties_similarity(orgs).toarray()
    array([[0. , 1. , 0. , 0. ],
           [1. , 0. , 0.5, 0. ],
           [0. , 0.5, 0. , 0. ],
           [0. , 0. , 0. , 0. ]])
    """
    direct = tie_matrix(orgs.ties, tie_scale=tie_scale)
    networks = network_links(
        orgs,
        k=k,
        max_clique=max_clique,
        network_weight=network_weight,
        network_radius_km=network_radius_km,
        seed=seed,
    )
    total = sparse.csr_matrix(direct + networks)
    total.data = np.minimum(total.data, 1.0)
    total.eliminate_zeros()
    total.sort_indices()
    return total
