"""One similarity graph from every signal that has data."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import sparse

from swim.engine.data import Organisations
from swim.engine.signals.classification import classification_similarity
from swim.engine.signals.location import location_similarity
from swim.engine.signals.needs import gap_profiles, needs_similarity
from swim.engine.signals.text import text_similarity
from swim.engine.signals.ties import ties_similarity

#: The signals, in the order :class:`SimilarityGraph` reports them.
SIGNALS: tuple[str, ...] = ("location", "text", "classification", "ties", "needs")


@dataclass(frozen=True)
class SignalWeights:
    """How much each signal counts in the combined similarity graph.

    Each signal is a similarity in [0, 1]; the graph is their weighted sum, so with weights
    adding up to 1 a pair of organisations that is maximally similar on every signal scores
    1. The defaults were tuned on real data with ``swim evaluate_discovery`` (the figures and
    every setting tried: ``docs/evaluation.md``) so that the engine beats each single-signal
    baseline — geography alone, text alone, relationships alone — on interest coherence
    (UK-CAT hand-tagged sample), recovery of existing networks and of hidden ties (Northern
    Ireland register):

    * ``ties`` 0.55 — existing relationships ("**build on existing relationships**", the
      deck's first critical success factor) are sparse and precise: recovering hidden ties
      needed ties at five times location or more; at 0.30 against 0.25 the candidates were
      mostly neighbours and recovered a third as many hidden ties;
    * ``text`` 0.25 — the organisations' own words are the best interest signal: with text
      at twice location or more, candidates share a UK-CAT tag about 61% of the time,
      against 50% for k-means on the same embeddings;
    * ``location`` 0.10 — nearness is already enforced by the span limit (``max_span_km``),
      so as a similarity it mostly joins unrelated neighbours; it stays to link
      organisations that nothing else describes and to favour the closer of equal partners;
    * ``classification`` 0.05 — register codes are coarse; the signal links the most alike
      organisations anywhere in the area (which the span limit splits) and, since it also
      scores every location link, alike *neighbours*: that nearly doubled NI network lift
      (5.0 to 9.4) at this weight. Other weights did no better: 0.03 and 0.08 moved lift
      within the seed spread (10.9, 9.9) but lost held-out ties (0.163, 0.128 against
      0.171), and 0.20 or more shrank coverage to 10-30% (still short of grouping identical
      code profiles, lift 30, which the engine's graph does not do);
    * ``needs`` 0.05 — a shared back-office gap is what a resource cluster is built around,
      but the diagnostic only covers the organisations that answered it, so it sharpens the
      graph where it exists rather than drives it. No real diagnostic data exists to tune
      it: this weight is a judgement, not a measurement.

    Parameters
    ----------
    location, text, classification, ties, needs : float
        Non-negative weights.

    Examples
    --------
    >>> SignalWeights().as_dict()
    {'location': 0.1, 'text': 0.25, 'classification': 0.05, 'ties': 0.55, 'needs': 0.05}
    >>> SignalWeights(needs=0.0).needs
    0.0
    """

    location: float = 0.10
    text: float = 0.25
    classification: float = 0.05
    ties: float = 0.55
    needs: float = 0.05

    def __post_init__(self) -> None:
        for name, weight in asdict(self).items():
            if not (np.isfinite(weight) and weight >= 0):
                raise ValueError(f"weight of {name} must be a non-negative number, got {weight}")

    def as_dict(self) -> dict[str, float]:
        """Weights by signal name, in :data:`SIGNALS` order."""
        values = asdict(self)
        return {name: float(values[name]) for name in SIGNALS}


#: The default weights (a module constant so that it can be a default argument).
DEFAULT_WEIGHTS = SignalWeights()


class SimilarityGraph:
    """The weighted sum of the signals: who is like whom, and why.

    The classification signal also links each organisation to its ``k`` most alike among
    its ``reach_candidates`` nearest within ``reach_km`` (see
    :func:`~swim.engine.signals.classification.classification_similarity`), so alike
    neighbours are linked, not only the most alike organisations anywhere.

    Parameters
    ----------
    weights : SignalWeights, default SignalWeights()
        Weight of each signal.
    radius_km : float, default 3.0
        Largest distance of a location link.
    k : int, default 15
        Neighbours kept per organisation by every signal.
    reach_km : float, default 5.0
        How far the classification signal looks for alike neighbours: the largest span of a
        candidate (:class:`~swim.engine.discover.Discovery` passes its ``max_span_km``).
    reach_candidates : int, default 300
        Nearest organisations within ``reach_km`` among which those alike neighbours are
        chosen.
    text_components : int, default 100
        Dimensions of the :class:`~swim.engine.signals.text.TfidfLsa` vectors used when
        :meth:`fit` is given no ``text_vectors``.
    seed : int, default 0
        Seeds every random choice (tie-breaking, SVD, inverted-file search).

    Attributes
    ----------
    signals_ : dict of str to scipy.sparse.csr_matrix
        Every signal by name (an all-zero matrix for a signal without data), each symmetric
        with zero diagonal and values in [0, 1].
    available_ : tuple of str
        Signals for which at least one organisation has data: located (location), a text
        (text), a classification code (classification), a tie or a network (ties), a
        diagnostic (needs).
    weights_ : dict of str to float
        The weight applied to each signal: its weight in ``weights`` when available, else 0.
        Weights are **not** renormalised when a signal is unavailable: an area without a
        diagnostic has a graph whose values reach at most 0.95 with the defaults. This keeps
        a link's value comparable across areas with and without a signal (a pair linked by
        location alone scores the same everywhere); scale the graph yourself if a method
        needs values up to 1.
    graph_ : scipy.sparse.csr_matrix, shape (n, n)
        ``sum(weights_[s] * signals_[s])``: symmetric, zero diagonal, non-negative.

    Examples
    --------
    >>> import numpy as np
    >>> from swim.engine.data import Organisations
    >>> orgs = Organisations(
    ...     ids=list("abc"), names=list("ABC"),
    ...     latitude=np.array([53.4808, 53.4810, np.nan]),
    ...     longitude=np.array([-2.2426, -2.2426, np.nan]),
    ...     income=np.full(3, np.nan), texts=["", "", ""],
    ...     classifications=[[], [], []], networks=[[], ["Forum"], ["Forum"]],
    ... )
    >>> model = SimilarityGraph().fit(orgs)
    >>> model.available_
    ('location', 'ties')
    >>> model.graph_.toarray().round(3)
    array([[0.   , 0.1  , 0.   ],
           [0.1  , 0.   , 0.275],
           [0.   , 0.275, 0.   ]])
    """

    def __init__(
        self,
        weights: SignalWeights = DEFAULT_WEIGHTS,
        radius_km: float = 3.0,
        k: int = 15,
        reach_km: float = 5.0,
        reach_candidates: int = 300,
        text_components: int = 100,
        seed: int = 0,
    ) -> None:
        self.weights = weights
        self.radius_km = radius_km
        self.k = k
        self.reach_km = reach_km
        self.reach_candidates = reach_candidates
        self.text_components = text_components
        self.seed = seed

    def fit(self, orgs: Organisations, text_vectors: Any = None) -> SimilarityGraph:
        """Compute every signal with data and their weighted sum.

        Parameters
        ----------
        orgs : Organisations
        text_vectors : array-like, shape (n, d), optional
            Embeddings of the organisations' texts (e.g. sentence embeddings); without them
            the text signal uses TF-IDF + LSA vectors.

        Returns
        -------
        self
        """
        n = len(orgs)
        available = _available(orgs)
        seed = self.seed
        k = self.k
        computed: dict[str, Any] = {}
        if "location" in available:
            computed["location"] = location_similarity(
                orgs, radius_km=self.radius_km, k=k, seed=seed
            )
        if "text" in available:
            computed["text"] = text_similarity(
                orgs, vectors=text_vectors, k=k, n_components=self.text_components, seed=seed
            )
        if "classification" in available:
            computed["classification"] = classification_similarity(
                orgs,
                k=k,
                seed=seed,
                reach_km=self.reach_km,
                reach_candidates=self.reach_candidates,
            )
        if "ties" in available:
            computed["ties"] = ties_similarity(orgs, k=k, seed=seed)
        if "needs" in available:
            computed["needs"] = needs_similarity(orgs, k=k, seed=seed)

        weights = self.weights.as_dict()
        self.available_ = tuple(name for name in SIGNALS if name in available)
        self.signals_ = {
            name: computed.get(name, sparse.csr_matrix((n, n), dtype=np.float64))
            for name in SIGNALS
        }
        self.weights_ = {name: weights[name] if name in available else 0.0 for name in SIGNALS}
        graph = sparse.csr_matrix((n, n), dtype=np.float64)
        for name in self.available_:
            if self.weights_[name] > 0:
                graph = graph + self.weights_[name] * self.signals_[name]
        graph = sparse.csr_matrix(graph)
        graph.eliminate_zeros()
        graph.sort_indices()
        self.graph_ = graph
        return self


def _available(orgs: Organisations) -> set[str]:
    """Names of the signals for which at least one organisation has data."""
    available = set()
    if orgs.located.any():
        available.add("location")
    if any(text and text.strip() for text in orgs.texts):
        available.add("text")
    if any(any(code and code.strip() for code in codes) for codes in orgs.classifications):
        available.add("classification")
    has_network = any(name and name.strip() for names in orgs.networks for name in names)
    if sparse.csr_matrix(orgs.ties).count_nonzero() > 0 or has_network:
        available.add("ties")
    if gap_profiles(orgs)[1].any():
        available.add("needs")
    return available
