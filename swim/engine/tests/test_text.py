"""Text signal: TF-IDF + LSA vectors and the cosine k-nearest-neighbour graph."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import sparse

from swim.engine.data import Organisations
from swim.engine.signals.text import TfidfLsa, cosine_knn_graph, text_similarity
from swim.engine.tests.helpers import assert_similarity

TEXTS = [
    "food bank and community pantry for local families",
    "food bank for families in crisis",
    "youth football club and coaching",
    "football coaching for youth teams",
    "women's refugee support and advice",
    "advice and support for refugee women",
    "",
    "the and of",
]


def make_orgs(texts: list[str]) -> Organisations:
    n = len(texts)
    return Organisations(
        ids=[f"o{i}" for i in range(n)],
        names=[f"Org {i}" for i in range(n)],
        latitude=np.full(n, np.nan),
        longitude=np.full(n, np.nan),
        income=np.full(n, np.nan),
        texts=texts,
        classifications=[[] for _ in range(n)],
    )


def clustered(n: int, d: int, topics: int, seed: int) -> Any:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((topics, d))
    return centres[rng.integers(0, topics, n)] + 0.5 * rng.standard_normal((n, d))


# --- TfidfLsa ----------------------------------------------------------------------------


def test_lsa_gives_unit_rows_and_zero_rows_for_texts_without_known_words() -> None:
    vectors = TfidfLsa(n_components=3, min_df=2).fit_transform(TEXTS)
    norms = np.linalg.norm(vectors, axis=1)
    np.testing.assert_allclose(norms[:6], 1.0, rtol=1e-9)
    assert norms[6] == 0  # empty
    assert norms[7] == 0  # stop words only


def test_lsa_puts_texts_on_the_same_subject_together() -> None:
    vectors = TfidfLsa(n_components=3, min_df=2).fit_transform(TEXTS)
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -1)
    assert similarity[:6].argmax(axis=1).tolist() == [1, 0, 3, 2, 5, 4]


def test_lsa_caps_its_dimensions_at_a_tiny_vocabulary() -> None:
    lsa = TfidfLsa(n_components=100, min_df=1).fit(["food bank", "food bank pantry"])
    assert lsa.n_components_ == 3
    assert lsa.svd_ is None
    assert lsa.transform(["pantry"]).shape == (1, 3)


def test_lsa_caps_its_dimensions_at_a_tiny_corpus() -> None:
    lsa = TfidfLsa(n_components=5, min_df=1).fit(TEXTS[:3])
    assert lsa.n_components_ == 3  # three documents, many more words
    vectors = lsa.transform(TEXTS[:3])
    # Three documents span three dimensions: their cosines are kept exactly.
    tfidf = lsa.vectorizer_.transform(TEXTS[:3]).toarray()
    np.testing.assert_allclose(vectors @ vectors.T, tfidf @ tfidf.T, atol=1e-9)


@pytest.mark.parametrize(
    "texts",
    [[], [""], ["food bank"], ["the and", "of the"], ["food", "bank", "pantry"]],
    ids=["no-texts", "empty", "one-text-min-df-2", "stop-words", "no-repeated-word"],
)
def test_lsa_without_a_vocabulary_maps_every_text_to_nothing(texts: list[str]) -> None:
    lsa = TfidfLsa(min_df=2).fit(texts)
    assert lsa.n_components_ == 0
    assert lsa.transform(texts).shape == (len(texts), 0)


def test_lsa_is_deterministic_for_a_seed() -> None:
    texts = [" ".join(np.random.default_rng(i).choice(TEXTS[0].split(), 4)) for i in range(50)]
    first = TfidfLsa(n_components=4, seed=3).fit_transform(texts)
    second = TfidfLsa(n_components=4, seed=3).fit_transform(texts)
    np.testing.assert_array_equal(first, second)


def test_lsa_init_only_stores_parameters_and_transform_needs_fit() -> None:
    lsa = TfidfLsa(n_components=7, min_df=0.1, seed=5)
    assert vars(lsa) == {"n_components": 7, "min_df": 0.1, "seed": 5}
    with pytest.raises(AttributeError, match="fit"):
        lsa.transform(["food"])
    assert lsa.fit(TEXTS) is lsa


# --- cosine_knn_graph --------------------------------------------------------------------


def test_graph_links_each_row_to_its_k_most_similar_rows() -> None:
    angles = np.radians([0, 10, 25, 90, 95])
    vectors = np.column_stack([np.cos(angles), np.sin(angles)])
    graph = cosine_knn_graph(vectors, k=1, min_similarity=0.2).toarray()
    assert np.flatnonzero(graph[0]).tolist() == [1]
    assert np.flatnonzero(graph[2]).tolist() == [1]
    assert np.flatnonzero(graph[3]).tolist() == [4]
    assert graph[0, 1] == pytest.approx(np.cos(np.radians(10)), rel=1e-6)


def test_graph_drops_links_below_min_similarity_and_negative_ones() -> None:
    vectors = np.array([[1.0, 0.0], [0.5, np.sqrt(0.75)], [-1.0, 0.0]])
    graph = cosine_knn_graph(vectors, k=2, min_similarity=0.6)
    assert graph.nnz == 0
    graph = cosine_knn_graph(vectors, k=2, min_similarity=0.0)
    assert graph.nnz == 2  # 0-1 at 0.5 both ways; 2 is opposite to 0 and at -0.5 to 1


def test_graph_skips_zero_rows() -> None:
    vectors = np.array([[1.0, 0.0], [0.0, 0.0], [1.0, 0.1]])
    graph = cosine_knn_graph(vectors, k=5, min_similarity=0.0)
    assert graph[1].nnz == 0
    assert graph[0, 2] > 0


def test_graph_links_identical_rows_in_a_ring_of_bounded_degree() -> None:
    vectors = np.tile([0.6, 0.8], (50, 1))
    graph = cosine_knn_graph(vectors, k=4)
    degrees = np.diff(graph.indptr)
    assert degrees.min() >= 4
    assert degrees.max() <= 8
    np.testing.assert_allclose(graph.data, 1.0)


def test_graph_accepts_sparse_vectors() -> None:
    vectors = clustered(200, 20, 5, seed=1)
    dense = cosine_knn_graph(vectors, k=5)
    from_sparse = cosine_knn_graph(sparse.csr_matrix(vectors), k=5)
    assert abs(dense - from_sparse).max() < 1e-6


def test_inverted_file_search_finds_nearly_every_exact_neighbour() -> None:
    vectors = clustered(3000, 32, 40, seed=2)
    exact = cosine_knn_graph(vectors, k=10, method="exact")
    approximate = cosine_knn_graph(vectors, k=10, method="ivf", n_probe=8)
    found = exact.multiply(approximate > 0)
    assert found.nnz / exact.nnz > 0.95
    # What it finds it measures exactly.
    assert abs(found - approximate.multiply(exact > 0)).max() < 1e-6


def test_graph_is_deterministic_for_a_seed() -> None:
    vectors = np.repeat(clustered(300, 8, 10, seed=4), 2, axis=0)
    for method in ("exact", "ivf"):
        first = cosine_knn_graph(vectors, k=3, method=method, seed=9)
        second = cosine_knn_graph(vectors, k=3, method=method, seed=9)
        assert (first != second).nnz == 0


def test_graph_rejects_non_finite_vectors_and_unknown_methods() -> None:
    with pytest.raises(ValueError, match="finite"):
        cosine_knn_graph(np.array([[np.nan, 1.0], [1.0, 0.0]]))
    with pytest.raises(ValueError, match="method"):
        cosine_knn_graph(np.eye(3), method="fast")  # type: ignore[arg-type]


@settings(max_examples=80, deadline=None)
@given(
    vectors=hnp.arrays(
        np.float64,
        st.tuples(st.integers(0, 30), st.integers(1, 4)),
        elements=st.sampled_from([0.0, 1.0, -1.0, 0.5, 2.0]),
    ),
    k=st.integers(1, 5),
    min_similarity=st.floats(0, 0.9),
)
def test_graph_is_a_valid_similarity_for_any_vectors(
    vectors: Any, k: int, min_similarity: float
) -> None:
    graph = cosine_knn_graph(vectors, k=k, min_similarity=min_similarity)
    n = vectors.shape[0]
    assert_similarity(graph, n)
    zero = np.flatnonzero(~vectors.any(axis=1))
    assert graph[zero].nnz == 0
    assert graph.data.min(initial=1) >= min_similarity - 1e-6
    # Every non-zero row keeps at least min(k, its candidates) links.
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-300)
    cosine = unit @ unit.T
    np.fill_diagonal(cosine, -1)
    candidates = (cosine >= max(min_similarity, 1e-6) + 1e-6).sum(axis=1)
    assert np.all(np.diff(graph.indptr) >= np.minimum(k, candidates))
    rows, cols = graph.nonzero()
    if len(rows) == 0:
        return
    np.testing.assert_allclose(np.asarray(graph[rows, cols]).ravel(), cosine[rows, cols], atol=1e-6)


# --- text_similarity ---------------------------------------------------------------------


def test_text_similarity_links_organisations_on_the_same_subject() -> None:
    similarity = text_similarity(make_orgs(TEXTS), k=1, n_components=3).toarray()
    assert similarity[0, 1] > 0.5
    assert similarity[2, 3] > 0.5
    assert similarity[0, 2] == 0
    assert not similarity[6:].any()


def test_text_similarity_ignores_vectors_of_organisations_without_text() -> None:
    vectors = np.ones((len(TEXTS), 4))
    similarity = text_similarity(make_orgs(TEXTS), vectors=vectors, k=3)
    assert similarity[6].nnz == 0  # empty text, despite a vector
    assert similarity[7].nnz > 0  # a text (of stop words) with a vector


def test_text_similarity_needs_one_vector_per_organisation() -> None:
    with pytest.raises(ValueError, match="one row per organisation"):
        text_similarity(make_orgs(TEXTS), vectors=np.ones((3, 4)))
