"""The signals of cluster discovery: who is like whom, one way of looking at a time.

Each signal is a sparse, symmetric, non-negative similarity between organisations — a
``scipy.sparse.csr_matrix`` of shape (n, n) with zero diagonal and values in [0, 1] — and
each copes with missing data: an organisation without the data gets no links from that
signal, and an area where nobody has it gets an all-zero matrix.

========================== ==============================================================
:mod:`.location`           near each other on the map (haversine k nearest neighbours)
:mod:`.text`               alike in what they say they do (TF-IDF + LSA, or embeddings)
:mod:`.classification`     alike in their register codes (IDF-weighted cosine)
:mod:`.ties`               already related: direct ties and shared networks
:mod:`.needs`              short of the same things, or able to help with them
:mod:`.combine`            the weighted sum of all of them (:class:`SimilarityGraph`)
========================== ==============================================================
"""

from swim.engine.signals.classification import classification_similarity, code_vectors
from swim.engine.signals.combine import DEFAULT_WEIGHTS, SIGNALS, SignalWeights, SimilarityGraph
from swim.engine.signals.location import location_similarity
from swim.engine.signals.needs import (
    complementary_offers,
    gap_profiles,
    needs_similarity,
    shared_needs,
)
from swim.engine.signals.text import TfidfLsa, cosine_knn_graph, text_similarity
from swim.engine.signals.ties import network_links, tie_matrix, ties_similarity

__all__ = [
    "DEFAULT_WEIGHTS",
    "SIGNALS",
    "SignalWeights",
    "SimilarityGraph",
    "TfidfLsa",
    "classification_similarity",
    "code_vectors",
    "complementary_offers",
    "cosine_knn_graph",
    "gap_profiles",
    "location_similarity",
    "needs_similarity",
    "network_links",
    "shared_needs",
    "text_similarity",
    "tie_matrix",
    "ties_similarity",
]
