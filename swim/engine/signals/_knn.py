"""Machinery shared by the signals: nearest neighbours on unit vectors and on the sphere.

Every signal ends the same way: each organisation keeps its ``k`` most similar others, and
the directed "keeps" are made symmetric by taking the larger of the two directions. The
pieces here make that cheap and memory-bounded at 170,000 organisations:

* **Duplicates are collapsed first.** Organisations with identical vectors (the same code
  set, the same postcode centroid, the same boilerplate text) form one *profile*; neighbours
  are searched between profiles, then handed out to the members (:func:`expand_profiles`)
  round-robin, so that a thousand identical organisations make a ring of bounded degree
  instead of a thousand links to the same few "first" ones.
* **Similarities are computed in blocks** of at most :data:`BLOCK_ELEMENTS` values; an
  n-by-n dense matrix is never built.
* **Exact search** (a blocked matrix product) is used up to :data:`EXACT_MAX_PROFILES`
  profiles; above that an inverted-file search (k-means cells, each cell searched against
  its nearest cells) keeps the cost near ``n * sqrt(n)`` instead of ``n**2``.
* **Ties are broken at random** (seeded), never by position.
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal, NamedTuple

import numpy as np
import numpy.typing as npt
from scipy import sparse
from threadpoolctl import threadpool_limits

from swim.engine.data import FloatArray, IntArray

#: Mean Earth radius (IUGG), the scale of the haversine distance.
EARTH_RADIUS_KM = 6371.0088
#: Most similarity values held at once in one block (16 MB of float32).
BLOCK_ELEMENTS = 1 << 22
#: Above this many distinct vectors, method="auto" switches from exact to inverted-file search.
EXACT_MAX_PROFILES = 10_000
#: Sparse input is searched as dense vectors when these take at most this many values
#: (128 MB of float32); larger input is first reduced to :data:`REDUCED_DIM` dimensions.
DENSE_MAX_ELEMENTS = 1 << 25
#: Dimensions of the truncated SVD used to find candidates among very wide sparse vectors.
REDUCED_DIM = 128

Method = Literal["auto", "exact", "ivf"]
F32Array = npt.NDArray[np.float32]


class Edges(NamedTuple):
    """Directed weighted edges ``rows[i] -> cols[i]``."""

    rows: IntArray
    cols: IntArray
    values: FloatArray


def no_edges() -> Edges:
    """An empty edge list."""
    return Edges(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64))


def empty_matrix(n: int) -> Any:
    """An all-zero n-by-n CSR matrix (the value of a signal without data)."""
    return sparse.csr_matrix((n, n), dtype=np.float64)


def symmetric_matrix(n: int, edges: Edges) -> Any:
    """The symmetric CSR matrix of ``edges``: zero diagonal, values clipped to [0, 1].

    An edge given in either direction (or several times) keeps its largest value.
    """
    rows, cols, values = edges
    keep = (rows != cols) & (values > 0)
    rows, cols = rows[keep], cols[keep]
    values = np.minimum(values[keep], 1.0)
    both_rows = np.concatenate([rows, cols])
    both_cols = np.concatenate([cols, rows])
    both_values = np.concatenate([values, values])
    if len(both_rows) == 0:
        return empty_matrix(n)
    keys = both_rows * np.int64(n) + both_cols
    order = np.argsort(keys, kind="stable")
    keys, both_values = keys[order], both_values[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    largest = np.maximum.reduceat(both_values, starts)
    unique_keys = keys[starts]
    matrix = sparse.csr_matrix(
        (largest.astype(np.float64), (unique_keys // n, unique_keys % n)), shape=(n, n)
    )
    matrix.sort_indices()
    return matrix


def unit_rows(vectors: Any) -> Any:
    """Rows scaled to unit length as float32 (dense array or CSR); zero rows stay zero."""
    if sparse.issparse(vectors):
        matrix = sparse.csr_matrix(vectors, dtype=np.float32)
        matrix.sum_duplicates()
        if not np.isfinite(matrix.data).all():
            raise ValueError("vectors must be finite (no NaN or infinity)")
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
        scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
        return sparse.csr_matrix(sparse.diags(scale.astype(np.float32)) @ matrix)
    array = np.asarray(vectors, dtype=np.float32)
    if array.ndim != 2:
        raise ValueError(f"vectors must be a 2-d array, got shape {array.shape}")
    norms = np.sqrt(np.einsum("ij,ij->i", array, array))  # no n-by-d temporary
    if not np.isfinite(norms).all():
        raise ValueError("vectors must be finite (no NaN or infinity)")
    if np.all((np.abs(norms - 1) < 1e-5) | (norms == 0)):
        return array  # already unit rows: no copy (the caller's array is only read)
    scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    return array * scale[:, None]


def _digest(row: bytes) -> bytes:
    """A 128-bit fingerprint of a row: keeps the duplicate index small (16 bytes a row)."""
    return hashlib.blake2b(row, digest_size=16).digest()


def unique_rows(vectors: Any) -> tuple[Any, IntArray]:
    """Distinct non-zero rows and, per row, the index of its profile (-1 for zero rows)."""
    n = vectors.shape[0]
    inverse = np.full(n, -1, dtype=np.int64)
    first: list[int] = []
    seen: dict[bytes, int] = {}
    if sparse.issparse(vectors):
        vectors.sort_indices()
        indptr, indices, data = vectors.indptr, vectors.indices, vectors.data
        for i in range(n):
            start, end = int(indptr[i]), int(indptr[i + 1])
            row_data = data[start:end]
            if not row_data.any():
                continue
            key = _digest(indices[start:end].tobytes() + b"|" + row_data.tobytes())
            inverse[i] = seen.setdefault(key, len(first))
            if inverse[i] == len(first):
                first.append(i)
        return vectors[first], inverse
    nonzero = np.flatnonzero(np.einsum("ij,ij->i", vectors, vectors) > 0)
    for row in nonzero.tolist():
        key = _digest(vectors[row].tobytes())
        inverse[row] = seen.setdefault(key, len(first))
        if inverse[row] == len(first):
            first.append(row)
    if len(first) == n:  # all distinct and non-zero: no copy
        return vectors, inverse
    return vectors[first], inverse


def expand_profiles(
    inverse: IntArray,
    neighbours: IntArray,
    similarities: FloatArray,
    *,
    k: int,
    self_similarity: float,
    rng: np.random.Generator,
) -> Edges:
    """Hand profile-level neighbours out to the organisations of each profile.

    Parameters
    ----------
    inverse : int array, shape (n,)
        Profile of each organisation, -1 for organisations without one.
    neighbours, similarities : arrays, shape (n_profiles, m)
        Each profile's nearest other profiles, most similar first; -1 pads.
    k : int
        Edges per organisation.
    self_similarity : float
        Similarity between two organisations of the same profile.
    rng : numpy Generator
        Orders the members of each profile (ties are broken at random).

    Returns
    -------
    Edges
        Each organisation first gets the other members of its own profile (its ``k``
        successors on a ring when the profile is large), then members of the neighbouring
        profiles in order, taken round-robin from its own position, until it has ``k``.
    """
    n_profiles = neighbours.shape[0]
    members = np.flatnonzero(inverse >= 0)
    if n_profiles == 0 or len(members) == 0 or k <= 0:
        return no_edges()
    order = members[np.lexsort((rng.random(len(members)), inverse[members]))]
    sizes = np.bincount(inverse[members], minlength=n_profiles)
    starts = np.cumsum(sizes) - sizes

    slot_profile = np.concatenate([np.arange(n_profiles)[:, None], neighbours], axis=1)
    slot_similarity = np.concatenate(
        [np.full((n_profiles, 1), self_similarity), similarities], axis=1
    )
    capacity = np.where(slot_profile >= 0, sizes[np.maximum(slot_profile, 0)], 0)
    capacity[:, 0] -= 1
    taken_before = np.cumsum(capacity, axis=1) - capacity
    take = np.clip(k - taken_before, 0, capacity)

    profile, slot = np.nonzero(take > 0)
    take_n = take[profile, slot]
    target = slot_profile[profile, slot]
    value = slot_similarity[profile, slot]
    count = sizes[profile] * take_n
    pair = np.repeat(np.arange(len(profile)), count)
    within = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    position = within // take_n[pair]
    step = within % take_n[pair]
    offset = np.where(slot[pair] == 0, position + 1 + step, position + step)
    rows = order[starts[profile[pair]] + position]
    cols = order[starts[target[pair]] + offset % sizes[target[pair]]]
    return Edges(rows.astype(np.int64), cols.astype(np.int64), value[pair].astype(np.float64))


# --- k nearest neighbours between unit vectors -----------------------------------------


def _select_dense(
    similarity: F32Array,
    k: int,
    min_similarity: float,
    self_cols: IntArray | None,
    rng: np.random.Generator,
) -> tuple[IntArray, IntArray, FloatArray, IntArray]:
    """Top-k entries of each row of a dense block: (rows, cols, values, rank in row)."""
    n_rows, n_cols = similarity.shape
    if self_cols is not None:
        similarity[np.arange(n_rows), self_cols] = -np.inf
    floor = max(min_similarity, float(np.finfo(np.float32).tiny))
    threshold = np.full(n_rows, floor, dtype=np.float32)
    n_groups = 4 * k
    if n_cols > 2 * n_groups:
        # The k-th largest of the group maxima is a lower bound of the k-th largest value:
        # it cuts the candidates to about k per row without sorting whole rows.
        group_starts = (np.arange(n_groups) * n_cols) // n_groups
        group_max = np.maximum.reduceat(similarity, group_starts, axis=1)
        kth = np.partition(group_max, n_groups - k, axis=1)[:, n_groups - k]
        threshold = np.maximum(threshold, kth)
    # flatnonzero is ten times faster than a 2-d nonzero.
    flat = np.flatnonzero(similarity >= threshold[:, None])
    rows, cols = np.divmod(flat, n_cols)
    values = similarity.ravel()[flat].astype(np.float64)
    return _rank(rows.astype(np.int64), cols.astype(np.int64), values, n_rows, k, rng)


def _rank(
    rows: IntArray,
    cols: IntArray,
    values: FloatArray,
    n_rows: int,
    k: int,
    rng: np.random.Generator,
) -> tuple[IntArray, IntArray, FloatArray, IntArray]:
    # One sort on row + (1 - value) / 2: rows ascending, values descending within a row; a
    # jitter far below float32 resolution breaks exact ties at random.
    key = rows + (1.0 - values) / 2 + rng.random(len(rows)) * 1e-9
    order = np.argsort(key)
    rows, cols, values = rows[order], cols[order], values[order]
    rank = np.arange(len(rows)) - np.searchsorted(rows, np.arange(n_rows))[rows]
    keep = rank < k
    return rows[keep], cols[keep], values[keep], rank[keep]


def _exact_dense(
    profiles: F32Array, k: int, min_similarity: float, rng: np.random.Generator
) -> tuple[IntArray, IntArray, FloatArray, IntArray]:
    n = profiles.shape[0]
    block = max(1, BLOCK_ELEMENTS // max(n, 1))
    parts = []
    for start in range(0, n, block):
        stop = min(start + block, n)
        similarity = profiles[start:stop] @ profiles.T
        rows, cols, values, rank = _select_dense(
            similarity, k, min_similarity, np.arange(start, stop), rng
        )
        parts.append((rows + start, cols, values, rank))
    return _concat(parts)


def _reduced_sparse(
    profiles: Any,
    k: int,
    min_similarity: float,
    method: Method,
    n_cells: int | None,
    n_probe: int | None,
    seed: int,
    rng: np.random.Generator,
) -> tuple[IntArray, IntArray, FloatArray, IntArray]:
    """Very wide sparse vectors: candidates from a truncated SVD, exact cosines to rank them."""
    from sklearn.decomposition import TruncatedSVD

    n, width = profiles.shape
    svd = TruncatedSVD(n_components=min(REDUCED_DIM, width - 1), random_state=seed)
    reduced = unit_rows(svd.fit_transform(profiles))
    rows, cols, _, _ = _dense_search(reduced, 3 * k, 0.0, method, n_cells, n_probe, seed, rng)
    exact = np.zeros(len(rows), dtype=np.float64)
    chunk = 1 << 20
    for start in range(0, len(rows), chunk):
        part = slice(start, start + chunk)
        products = profiles[rows[part]].multiply(profiles[cols[part]])
        exact[part] = np.asarray(products.sum(axis=1)).ravel()
    keep = exact >= max(min_similarity, float(np.finfo(np.float32).tiny))
    return _rank(rows[keep], cols[keep], exact[keep], n, k, rng)


def _dense_search(
    profiles: F32Array,
    k: int,
    min_similarity: float,
    method: Method,
    n_cells: int | None,
    n_probe: int | None,
    seed: int,
    rng: np.random.Generator,
) -> tuple[IntArray, IntArray, FloatArray, IntArray]:
    if method == "exact" or (method == "auto" and profiles.shape[0] <= EXACT_MAX_PROFILES):
        return _exact_dense(profiles, k, min_similarity, rng)
    return _ivf_dense(profiles, k, min_similarity, n_cells, n_probe, seed, rng)


def _ivf_dense(
    profiles: F32Array,
    k: int,
    min_similarity: float,
    n_cells: int | None,
    n_probe: int | None,
    seed: int,
    rng: np.random.Generator,
) -> tuple[IntArray, IntArray, FloatArray, IntArray]:
    """Inverted-file search: every k-means cell is searched against its nearest cells."""
    from sklearn.cluster import KMeans

    n = profiles.shape[0]
    cells = n_cells or max(1, round(np.sqrt(n)))
    cells = min(cells, n)
    probes = min(n_probe or 10, cells)
    sample_size = min(n, max(40 * cells, 10_000))
    sample = rng.choice(n, size=sample_size, replace=False)
    # Random initial centres: k-means++ would cost more than the whole search.
    kmeans = KMeans(n_clusters=cells, init="random", n_init=1, max_iter=20, random_state=seed)
    kmeans.fit(profiles[sample])
    labels = kmeans.predict(profiles).astype(np.int64)
    centres = unit_rows(kmeans.cluster_centers_)
    centre_similarity = centres @ centres.T
    np.fill_diagonal(centre_similarity, np.inf)  # a cell searches itself first
    nearest_cells = np.argsort(-centre_similarity, axis=1, kind="stable")[:, :probes]

    by_cell = np.argsort(labels, kind="stable")
    sizes = np.bincount(labels, minlength=cells)
    # The products per cell are small: BLAS threads would spend more time waiting for each
    # other than multiplying (15 times slower on a busy two-core machine).
    with threadpool_limits(limits=1, user_api="blas"):
        return _search_cells(profiles, k, min_similarity, nearest_cells, by_cell, sizes, rng)


def _search_cells(
    profiles: F32Array,
    k: int,
    min_similarity: float,
    nearest_cells: IntArray,
    by_cell: IntArray,
    sizes: IntArray,
    rng: np.random.Generator,
) -> tuple[IntArray, IntArray, FloatArray, IntArray]:
    starts = np.cumsum(sizes) - sizes
    parts = []
    for cell in range(len(sizes)):
        queries = by_cell[starts[cell] : starts[cell] + sizes[cell]]
        if len(queries) == 0:
            continue
        candidates = np.concatenate(
            [by_cell[starts[c] : starts[c] + sizes[c]] for c in nearest_cells[cell]]
        )
        candidate_vectors = profiles[candidates]
        block = max(1, BLOCK_ELEMENTS // len(candidates))
        for start in range(0, len(queries), block):
            chunk = queries[start : start + block]
            similarity = profiles[chunk] @ candidate_vectors.T
            # Queries come first in their own cell, so query j sits in column start + j.
            self_cols = np.arange(start, start + len(chunk))
            rows, cols, values, rank = _select_dense(similarity, k, min_similarity, self_cols, rng)
            parts.append((chunk[rows], candidates[cols], values, rank))
    return _concat(parts)


def _concat(
    parts: list[tuple[IntArray, IntArray, FloatArray, IntArray]],
) -> tuple[IntArray, IntArray, FloatArray, IntArray]:
    if not parts:
        empty = np.zeros(0, np.int64)
        return empty, empty, np.zeros(0, np.float64), empty
    rows, cols, values, rank = (np.concatenate(column) for column in zip(*parts, strict=True))
    return rows.astype(np.int64), cols.astype(np.int64), values, rank.astype(np.int64)


def profile_neighbours(
    profiles: Any,
    *,
    k: int,
    min_similarity: float,
    method: Method = "auto",
    n_cells: int | None = None,
    n_probe: int | None = None,
    seed: int = 0,
) -> tuple[IntArray, FloatArray]:
    """The ``k`` most similar other rows of each (distinct, unit) row, most similar first.

    Returns ``(neighbours, similarities)`` of shape (n, k), padded with -1 and 0.
    """
    if method not in ("auto", "exact", "ivf"):
        raise ValueError(f"method must be 'auto', 'exact' or 'ivf', not {method!r}")
    rng = np.random.default_rng(seed)
    n = profiles.shape[0]
    if sparse.issparse(profiles) and n * profiles.shape[1] <= DENSE_MAX_ELEMENTS:
        profiles = profiles.toarray()
    if n < 2 or k <= 0:
        found = _concat([])
    elif sparse.issparse(profiles):
        found = _reduced_sparse(profiles, k, min_similarity, method, n_cells, n_probe, seed, rng)
    else:
        found = _dense_search(profiles, k, min_similarity, method, n_cells, n_probe, seed, rng)
    rows, cols, values, rank = found
    neighbours = np.full((n, max(k, 0)), -1, dtype=np.int64)
    similarities = np.zeros((n, max(k, 0)), dtype=np.float64)
    neighbours[rows, rank] = cols
    similarities[rows, rank] = values
    return neighbours, similarities


def cosine_edges(
    vectors: Any,
    *,
    k: int,
    min_similarity: float,
    method: Method = "auto",
    n_cells: int | None = None,
    n_probe: int | None = None,
    seed: int = 0,
    normalise: bool = True,
) -> Edges:
    """Directed k-nearest-neighbour edges by cosine similarity (zero rows get none).

    With ``normalise=False`` the rows are used as they are (dot products, not cosines).
    """
    if normalise:
        unit = unit_rows(vectors)
    elif sparse.issparse(vectors):
        unit = sparse.csr_matrix(vectors, dtype=np.float32)
    else:
        unit = np.asarray(vectors, dtype=np.float32)
    profiles, inverse = unique_rows(unit)
    neighbours, similarities = profile_neighbours(
        profiles,
        k=k,
        min_similarity=min_similarity,
        method=method,
        n_cells=n_cells,
        n_probe=n_probe,
        seed=seed,
    )
    rng = np.random.default_rng([seed, 1])
    return expand_profiles(inverse, neighbours, similarities, k=k, self_similarity=1.0, rng=rng)


def _as_unit(vectors: Any, normalise: bool) -> Any:
    """Rows as float32 unit vectors (or as they are, if not ``normalise``)."""
    if normalise:
        return unit_rows(vectors)
    if sparse.issparse(vectors):
        return sparse.csr_matrix(vectors, dtype=np.float32)
    return np.asarray(vectors, dtype=np.float32)


def _pair_products(unit: Any, rows: IntArray, cols: IntArray) -> FloatArray:
    """Dot products of rows ``rows[i]`` and ``cols[i]``, computed in bounded blocks.

    Sparse input narrow enough to be held densely (at most :data:`DENSE_MAX_ELEMENTS`
    values, as for a register's few dozen codes) is densified first: a dense block of row
    pairs is an order of magnitude faster than sparse row products.
    """
    if sparse.issparse(unit) and unit.shape[0] * unit.shape[1] <= DENSE_MAX_ELEMENTS:
        unit = unit.toarray()
    values = np.empty(len(rows), dtype=np.float64)
    # Sparse rows hold a few values each; dense blocks hold at most BLOCK_ELEMENTS values.
    step = 1 << 18 if sparse.issparse(unit) else max(1, BLOCK_ELEMENTS // max(1, unit.shape[1]))
    for start in range(0, len(rows), step):
        r, c = rows[start : start + step], cols[start : start + step]
        if sparse.issparse(unit):
            products = unit[r].multiply(unit[c]).sum(axis=1)
        else:
            products = np.einsum("ij,ij->i", unit[r], unit[c])
        values[start : start + step] = np.asarray(products, dtype=np.float64).ravel()
    return values


def alike_edges(
    vectors: Any,
    latitude: FloatArray,
    longitude: FloatArray,
    *,
    k: int,
    candidates: int,
    radius_km: float,
    min_similarity: float,
    normalise: bool = True,
) -> Edges:
    """Directed edges from each organisation to its ``k`` most alike *neighbours*.

    The neighbours of an organisation are its ``candidates`` nearest others within
    ``radius_km`` that have a non-zero vector; among them it keeps the ``k`` most alike
    (cosine of the vectors, dot product if not ``normalise``), nearer first among equals,
    and drops those below ``min_similarity``. Rows with a NaN coordinate or a zero vector
    get no edges.

    This is how a non-spatial signal finds *alike neighbours*: the organisations most like
    ``i`` among those that could share a candidate cluster with it, whatever their rank
    among the most alike organisations of the whole area. The search runs in blocks of
    organisations (a KD-tree on the unit sphere, then ``candidates`` short dot products
    each), so memory stays bounded at 170,000 organisations.

    Examples
    --------
    Two "a" organisations 2 km apart with a "b" between them: with ``k=1`` each "a" links
    the other, past the nearer "b"; the "b" links the nearest "a" at cosine 0.6.

    >>> import numpy as np
    >>> vectors = np.array([[1.0, 0.0], [0.6, 0.8], [1.0, 0.0], [0.0, 0.0]])
    >>> lat = 53.48 + np.array([0.0, 0.8, 2.0, 0.5]) / 111.195
    >>> lon = np.full(4, -2.24)
    >>> rows, cols, values = alike_edges(
    ...     vectors, lat, lon, k=1, candidates=10, radius_km=5.0, min_similarity=0.2
    ... )
    >>> [(int(r), int(c), round(float(v), 2)) for r, c, v in zip(rows, cols, values)]
    [(0, 2, 1.0), (1, 0, 0.6), (2, 0, 1.0)]
    """
    from scipy.spatial import KDTree

    if radius_km <= 0:
        raise ValueError(f"radius_km must be positive, got {radius_km}")
    unit = _as_unit(vectors, normalise)
    if sparse.issparse(unit) and unit.shape[0] * unit.shape[1] <= DENSE_MAX_ELEMENTS:
        unit = unit.toarray()
    if sparse.issparse(unit):
        has_vector = np.diff(sparse.csr_matrix(unit).indptr) > 0
    else:
        has_vector = np.any(unit != 0, axis=1)
    latitude = np.asarray(latitude, dtype=np.float64)
    longitude = np.asarray(longitude, dtype=np.float64)
    usable = np.flatnonzero(has_vector & np.isfinite(latitude) & np.isfinite(longitude))
    if len(usable) < 2 or k <= 0 or candidates <= 0:
        return no_edges()
    lat, lon = np.radians(latitude[usable]), np.radians(longitude[usable])
    sphere = np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
    chord_radius = 2 * np.sin(min(radius_km / EARTH_RADIUS_KM, np.pi) / 2)
    tree = KDTree(sphere)
    n_query = min(candidates + 1, len(usable))
    keep_k = min(k, n_query - 1)
    block = max(1, BLOCK_ELEMENTS // (n_query * (1 if sparse.issparse(unit) else unit.shape[1])))
    parts: list[Edges] = []
    for start in range(0, len(usable), block):
        own = np.arange(start, min(start + block, len(usable)))
        _, index = tree.query(
            sphere[own], k=n_query, distance_upper_bound=chord_radius * (1 + 1e-9)
        )
        index = np.asarray(index).reshape(len(own), n_query)
        valid = (index < len(usable)) & (index != own[:, None])
        safe = np.where(valid, index, own[:, None])
        rows, cols = usable[own], usable[safe]
        if sparse.issparse(unit):
            flat = unit[np.repeat(rows, n_query)].multiply(unit[cols.ravel()]).sum(axis=1)
            values = np.asarray(flat, dtype=np.float64).reshape(len(own), n_query)
        else:
            values = np.einsum("id,ijd->ij", unit[rows], unit[cols]).astype(np.float64)
        values = np.where(valid, values, -np.inf)
        # The tree lists neighbours nearest first: a stable sort keeps them so among equals.
        order = np.argsort(-np.round(values, 6), axis=1, kind="stable")[:, :keep_k]
        best = np.take_along_axis(values, order, axis=1)
        chosen = np.take_along_axis(cols, order, axis=1)
        ok = (best >= min_similarity) & (best > 0)
        parts.append(
            Edges(np.repeat(rows, keep_k)[ok.ravel()], chosen[ok], np.minimum(best[ok], 1.0))
        )
    return Edges(*(np.concatenate(column) for column in zip(*parts, strict=True)))


# --- k nearest neighbours on the sphere ------------------------------------------------


def haversine_edges(
    latitude: FloatArray,
    longitude: FloatArray,
    *,
    k: int,
    radius_km: float,
    scale_km: float,
    seed: int = 0,
) -> Edges:
    """Directed edges to the ``k`` nearest located others within ``radius_km``.

    The value of an edge at distance ``d`` is ``exp(-(d / scale_km) ** 2)``. Rows with a
    NaN coordinate get no edges.
    """
    from scipy.spatial import KDTree

    latitude = np.asarray(latitude, dtype=np.float64)
    longitude = np.asarray(longitude, dtype=np.float64)
    located = np.flatnonzero(np.isfinite(latitude) & np.isfinite(longitude))
    inverse = np.full(len(latitude), -1, dtype=np.int64)
    if len(located) == 0 or k <= 0:
        return no_edges()
    points = np.column_stack([latitude[located], longitude[located]])
    places, place_of = np.unique(points, axis=0, return_inverse=True)
    inverse[located] = place_of.ravel()
    n_places = len(places)
    neighbours = np.full((n_places, k), -1, dtype=np.int64)
    similarities = np.zeros((n_places, k), dtype=np.float64)
    if n_places > 1:
        # Points on the unit sphere: the straight-line (chord) distance c and the
        # great-circle distance d = 2 R asin(c / 2) order neighbours alike, so a 3-d KD-tree
        # finds exactly the haversine neighbours, 30 times faster than a haversine BallTree.
        lat, lon = np.radians(places[:, 0]), np.radians(places[:, 1])
        sphere = np.column_stack(
            [np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)]
        )
        chord_radius = 2 * np.sin(min(radius_km / EARTH_RADIUS_KM, np.pi) / 2)
        n_query = min(k + 1, n_places)
        chord, index = KDTree(sphere).query(
            sphere, k=n_query, distance_upper_bound=chord_radius * (1 + 1e-9)
        )
        chord, index = chord.reshape(n_places, n_query), index.reshape(n_places, n_query)
        is_self = index == np.arange(n_places)[:, None]
        is_self[~is_self.any(axis=1), -1] = True  # self hidden among equals: drop the last
        index = index[~is_self].reshape(n_places, n_query - 1)
        chord = chord[~is_self].reshape(n_places, n_query - 1)
        distance_km = (
            2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(np.nan_to_num(chord / 2, posinf=1), 1))
        )
        near = np.isfinite(chord) & (distance_km <= radius_km)
        neighbours[:, : n_query - 1] = np.where(near, index, -1)
        similarities[:, : n_query - 1] = np.where(near, np.exp(-((distance_km / scale_km) ** 2)), 0)
    rng = np.random.default_rng([seed, 2])
    return expand_profiles(inverse, neighbours, similarities, k=k, self_similarity=1.0, rng=rng)
