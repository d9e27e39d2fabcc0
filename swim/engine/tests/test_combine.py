"""The combined similarity graph, every signal's invariants, and their speed at 20,000."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import FrozenInstanceError
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from swim.engine.data import CAPACITY_AREAS, Organisations
from swim.engine.signals import (
    DEFAULT_WEIGHTS,
    SIGNALS,
    SignalWeights,
    SimilarityGraph,
    classification_similarity,
    location_similarity,
    needs_similarity,
    text_similarity,
    ties_similarity,
)
from swim.engine.tests.helpers import make_orgs

A = len(CAPACITY_AREAS)


def assert_similarity(matrix: Any, n: int, top: float = 1.0) -> None:
    assert matrix.format == "csr"
    assert matrix.shape == (n, n)
    assert (abs(matrix - matrix.T) > 1e-12).nnz == 0
    assert not matrix.diagonal().any()
    assert matrix.data.min(initial=0) >= 0
    assert matrix.data.max(initial=0) <= top + 1e-12


def example_area() -> Organisations:
    """Five organisations in Trafford with something of every signal."""
    needs = np.full((5, A), np.nan)
    needs[0] = needs[1] = 0.0
    needs[0, 0] = needs[1, 0] = 1.0  # both short of HR
    return make_orgs(
        5,
        latitude=np.array([53.4460, 53.4465, 53.4470, np.nan, 53.60]),
        longitude=np.array([-2.3090, -2.3090, -2.3080, np.nan, -2.10]),
        texts=[
            "food bank for families",
            "community food bank",
            "youth football club",
            "football for youth",
            "",
        ],
        classifications=[["what:poverty"], ["what:poverty"], ["what:sport"], ["what:sport"], []],
        ties=sparse.csr_matrix(([1.0, 1.0], ([2, 3], [3, 2])), shape=(5, 5)),
        networks=[["Trafford Food Alliance"], ["Trafford Food Alliance"], [], [], []],
        needs=needs,
        offers=np.zeros((5, A), dtype=bool),
    )


# --- SignalWeights -----------------------------------------------------------------------


def test_default_weights_add_up_to_one_and_favour_relationships_location_and_interest() -> None:
    weights = SignalWeights().as_dict()
    assert list(weights) == list(SIGNALS)
    assert sum(weights.values()) == pytest.approx(1.0)
    interest = weights["text"] + weights["classification"]
    assert weights["ties"] >= max(weights["location"], weights["needs"])
    assert min(weights["location"], interest) > weights["needs"]


def test_weights_are_frozen_and_non_negative() -> None:
    with pytest.raises(FrozenInstanceError):
        SignalWeights().ties = 1.0  # type: ignore[misc]
    with pytest.raises(ValueError, match="location"):
        SignalWeights(location=-0.1)
    with pytest.raises(ValueError, match="text"):
        SignalWeights(text=float("nan"))


# --- SimilarityGraph ---------------------------------------------------------------------


def test_init_only_stores_parameters_and_fit_returns_self() -> None:
    weights = SignalWeights(needs=0.0)
    model = SimilarityGraph(
        weights=weights, radius_km=2.0, k=4, reach_km=4.0, reach_candidates=50,
        text_components=10, seed=3,
    )  # fmt: skip
    assert vars(model) == {
        "weights": weights,
        "radius_km": 2.0,
        "k": 4,
        "reach_km": 4.0,
        "reach_candidates": 50,
        "text_components": 10,
        "seed": 3,
    }
    assert model.fit(example_area()) is model


def test_the_graph_is_the_weighted_sum_of_the_signals() -> None:
    model = SimilarityGraph(k=3).fit(example_area())
    assert model.available_ == SIGNALS
    expected = sum(
        weight * model.signals_[name] for name, weight in SignalWeights().as_dict().items()
    )
    assert abs(model.graph_ - expected).max() < 1e-12
    assert_similarity(model.graph_, 5)
    graph = model.graph_.toarray()
    # 0 and 1: same place, words, code, network and need; 4: far away, nothing shared.
    assert graph[0, 1] > 0.7  # a shared network is half a tie, so ties give 0.5 x their weight
    assert graph[2, 3] > graph[0, 2] > 0
    assert not graph[4].any()


def test_signals_without_data_are_zero_and_weights_are_not_renormalised() -> None:
    orgs = make_orgs(
        3,
        latitude=np.array([53.48, 53.48, np.nan]),
        longitude=np.array([-2.24, -2.24, np.nan]),
    )
    model = SimilarityGraph().fit(orgs)
    assert model.available_ == ("location",)
    assert model.weights_ == {
        "location": DEFAULT_WEIGHTS.location,
        "text": 0.0,
        "classification": 0.0,
        "ties": 0.0,
        "needs": 0.0,
    }
    for name in ("text", "classification", "ties", "needs"):
        assert model.signals_[name].nnz == 0
        assert model.signals_[name].shape == (3, 3)
    assert model.graph_[0, 1] == pytest.approx(DEFAULT_WEIGHTS.location)  # same place, weighted


def test_given_text_vectors_replace_the_tfidf_vectors() -> None:
    orgs = example_area()
    vectors = np.zeros((5, 3))
    vectors[[0, 2]] = [1.0, 0.0, 0.0]  # food bank and football club "mean the same"
    model = SimilarityGraph(k=3).fit(orgs, text_vectors=vectors)
    assert np.flatnonzero(model.signals_["text"].toarray()[0]).tolist() == [2]


def test_a_zero_weight_leaves_a_signal_out_of_the_graph_but_reports_it() -> None:
    model = SimilarityGraph(weights=SignalWeights(ties=0.0), k=3).fit(example_area())
    assert model.signals_["ties"].nnz > 0
    assert model.weights_["ties"] == 0.0
    without_ties = SimilarityGraph(k=3).fit(example_area())
    difference = without_ties.graph_ - model.graph_
    assert abs(difference - DEFAULT_WEIGHTS.ties * model.signals_["ties"]).max() < 1e-12


@pytest.mark.parametrize("n", [0, 1])
def test_it_copes_with_empty_and_single_organisation_areas(n: int) -> None:
    model = SimilarityGraph().fit(make_orgs(n, texts=["food bank"] * n))
    assert model.graph_.shape == (n, n)
    assert model.graph_.nnz == 0


# --- every signal, on any small area -----------------------------------------------------

SIGNAL_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "location": location_similarity,
    "text": text_similarity,
    "classification": classification_similarity,
    "ties": ties_similarity,
    "needs": needs_similarity,
}

WORDS = ["food", "bank", "youth", "football", "women", "advice", "the", "arts"]


@st.composite
def organisations(draw: st.DrawFn) -> Organisations:
    n = draw(st.integers(0, 20))
    places = [(53.48, -2.24), (53.481, -2.24), (53.50, -2.20), (np.nan, np.nan)]
    where = [draw(st.sampled_from(places)) for _ in range(n)]
    words = st.lists(st.sampled_from(WORDS), max_size=4).map(" ".join)
    index = st.integers(0, max(n - 1, 0))
    pairs = draw(st.lists(st.tuples(index, index), max_size=10)) if n else []
    ties = sparse.csr_matrix(
        (np.ones(len(pairs)), ([p[0] for p in pairs], [p[1] for p in pairs])), shape=(n, n)
    )
    has_diagnostic = draw(st.booleans())
    needs = offers = None
    if has_diagnostic:
        levels = st.sampled_from([np.nan, 0.0, 0.5, 1.0])
        needs = np.array([[draw(levels) for _ in range(A)] for _ in range(n)]).reshape(n, A)
        offers = np.array([[draw(st.booleans()) for _ in range(A)] for _ in range(n)])
        offers = offers.reshape(n, A).astype(bool)
    return make_orgs(
        n,
        latitude=np.array([w[0] for w in where], dtype=float),
        longitude=np.array([w[1] for w in where], dtype=float),
        texts=[draw(words) for _ in range(n)],
        classifications=[
            draw(st.lists(st.sampled_from(["what:1", "what:2", "who:1", "how:3"]), max_size=3))
            for _ in range(n)
        ],
        ties=ties,
        networks=[
            draw(st.lists(st.sampled_from(["Forum", "Alliance"]), max_size=2)) for _ in range(n)
        ],
        needs=needs,
        offers=offers,
    )


def lacks(orgs: Organisations, name: str) -> Any:
    """Organisations without the data of a signal."""
    n = len(orgs)
    if name == "location":
        return ~orgs.located
    if name == "text":
        return np.array([not t.strip() for t in orgs.texts], dtype=bool)
    if name == "classification":
        return np.array([not c for c in orgs.classifications], dtype=bool)
    if name == "ties":
        ties = sparse.coo_matrix(orgs.ties)
        real = (ties.row != ties.col) & (ties.data > 0)
        tied = np.bincount(np.r_[ties.row[real], ties.col[real]], minlength=n) > 0
        return np.array([not names for names in orgs.networks], dtype=bool) & ~tied
    if orgs.needs is None:
        return np.ones(n, dtype=bool)
    return np.isnan(orgs.needs).all(axis=1)


@settings(max_examples=60, deadline=None)
@given(orgs=organisations(), seed=st.integers(0, 3))
def test_every_signal_is_a_valid_similarity_for_any_small_area(
    orgs: Organisations, seed: int
) -> None:
    n = len(orgs)
    for name, function in SIGNAL_FUNCTIONS.items():
        similarity = function(orgs, k=3, seed=seed)
        assert_similarity(similarity, n)
        assert similarity[np.flatnonzero(lacks(orgs, name))].nnz == 0, name
    model = SimilarityGraph(k=3, seed=seed).fit(orgs)
    assert_similarity(model.graph_, n, top=sum(SignalWeights().as_dict().values()))
    again = SimilarityGraph(k=3, seed=seed).fit(orgs)
    assert (model.graph_ != again.graph_).nnz == 0  # seeded: same input, same graph


# --- scale -------------------------------------------------------------------------------

TOPIC_WORDS = [
    "food",
    "bank",
    "youth",
    "football",
    "arts",
    "music",
    "heritage",
    "church",
    "women",
    "refugees",
    "carers",
    "disability",
    "mental",
    "health",
    "older",
    "people",
    "housing",
    "homeless",
    "advice",
    "debt",
    "employment",
    "training",
    "school",
    "parents",
    "children",
    "sport",
    "garden",
    "climate",
    "environment",
    "animal",
    "hospice",
    "cancer",
    "dementia",
    "centre",
    "library",
    "theatre",
    "dance",
    "choir",
    "scouts",
    "veterans",
    "transport",
    "museum",
]


def synthetic_area(n: int, seed: int = 0) -> Organisations:
    """A city of ``n`` organisations with every kind of data, gaps and duplicates."""
    rng = np.random.default_rng(seed)
    latitude = 53.48 + rng.normal(0, 0.08, n)
    longitude = -2.24 + rng.normal(0, 0.12, n)
    shared = rng.random(n) < 0.2  # a fifth share a postcode centroid with someone
    source = rng.integers(0, n, n)
    latitude[shared], longitude[shared] = latitude[source[shared]], longitude[source[shared]]
    latitude[rng.random(n) < 0.1] = np.nan
    topic = rng.integers(0, 40, n)
    words = rng.choice(TOPIC_WORDS, size=(n, 6))
    texts = [
        f"{' '.join(words[i])} topic{topic[i]} field{topic[i] % 7}" if rng.random() > 0.1 else ""
        for i in range(n)
    ]
    classifications = [
        [f"what:{topic[i] % 17}", f"who:{rng.integers(0, 7)}", "who:general-public"]
        + [f"ukcat:{t}" for t in rng.integers(0, 300, rng.integers(0, 4))]
        for i in range(n)
    ]
    m = n // 10
    first, second = rng.integers(0, n, m), rng.integers(0, n, m)
    ties = sparse.csr_matrix((np.ones(m), (first, second)), shape=(n, n))
    networks = [
        [f"forum {rng.integers(0, n // 12)}"]
        + (["National Federation"] if rng.random() < 0.2 else [])
        for _ in range(n)
    ]
    needs = rng.random((n, A))
    needs[rng.random(n) < 0.7] = np.nan
    return make_orgs(
        n,
        latitude=latitude,
        longitude=longitude,
        texts=texts,
        classifications=classifications,
        ties=ties.maximum(ties.T),
        networks=networks,
        needs=needs,
        offers=rng.random((n, A)) < 0.05,
    )


def test_every_signal_builds_for_20000_organisations_in_seconds() -> None:
    """Each signal takes about a second at 20,000 on two cores; the bound catches a
    quadratic step (a dense 20,000 x 20,000 matrix alone would take 3 GB)."""
    n = 20_000
    orgs = synthetic_area(n)
    for name, function in SIGNAL_FUNCTIONS.items():
        start = time.perf_counter()
        similarity = function(orgs, k=15)
        elapsed = time.perf_counter() - start
        assert elapsed < 10, f"{name} took {elapsed:.1f} s"
        assert similarity.shape == (n, n)
        assert 0 < similarity.nnz <= 2 * 15 * n * 2, name  # about k links each, at most


def test_alike_neighbours_within_reach_are_linked_past_closer_unrelated_ones() -> None:
    """A twin 4 km away, behind 40 unrelated nearer neighbours, is linked when within reach.

    Its 12 other twins 100 km away fill its k most alike of the whole area, so only the
    search among its nearest within ``reach_km`` finds it.
    """
    from swim.engine.signals.classification import classification_similarity

    seed = 2  # one whose ring of far twins does not link 0 and 41

    lat = np.r_[53.48, 53.48 + np.arange(1, 41) * 0.0001, 53.48 + 4 / 111.195, np.full(12, 54.4)]
    lon = np.r_[-2.24, np.full(40, -2.24), -2.24, -2.24 + np.arange(12) * 0.001]
    n = len(lat)
    codes = [["what:a", "who:b"]] + [[f"what:z{i % 10}"] for i in range(40)]
    codes += [["what:a", "who:b"]] * 13
    orgs = Organisations(
        ids=[str(i) for i in range(n)], names=[str(i) for i in range(n)], latitude=lat,
        longitude=lon, income=np.full(n, np.nan), texts=[""] * n, classifications=codes,
    )  # fmt: skip
    anywhere = classification_similarity(orgs, k=3, seed=seed)
    assert anywhere[0, 41] == 0  # not among its 3 most alike of the whole area
    within = SimilarityGraph(k=3, reach_km=5.0, seed=seed).fit(orgs).signals_["classification"]
    short = SimilarityGraph(k=3, reach_km=3.5, seed=seed).fit(orgs).signals_["classification"]
    assert within[0, 41] == pytest.approx(1.0)
    assert short[0, 41] == 0
    assert within[0, 1:41].nnz == 0  # unrelated neighbours stay unlinked
    assert_similarity(within, n)
