"""A small planted area: six women's organisations close together among scattered others."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from swim.directory.models import Classification, Network, NetworkMembership, Organisation, Tie
from swim.engine.embeddings import Float32Array
from swim.testing import make_org

TOPICS = ["football coaching", "allotment gardening", "church choir", "credit union advice"]


@dataclass
class Area:
    planted: list[Organisation]
    others: list[Organisation]


def make_planted_area() -> Area:
    women = Classification.objects.create(scheme="who", code="women", label="Women")
    forum = Network.objects.create(name="Trafford Women's Forum", slug="trafford-womens-forum")
    planted = []
    for i in range(6):
        org = make_org(
            name=f"Women's Refuge Project {i + 1}",
            local_authority="Trafford",
            postcode="M32 0AA",
            latitude=53.4500 + 0.001 * (i % 3),
            longitude=-2.3000 + 0.0015 * (i // 3),
            income=20_000 + 1_000 * i,
            activities="Support, refuge and advice for women and girls affected by domestic abuse.",
        )
        org.classifications.add(women)
        NetworkMembership.objects.create(network=forum, organisation=org)
        planted.append(org)
    for a, b in [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (0, 3)]:
        first, second = sorted([planted[a], planted[b]], key=lambda o: o.pk)
        Tie.objects.create(a=first, b=second, kind=Tie.Kind.SHARED_TRUSTEE)
    others = [
        make_org(
            name=f"{TOPICS[i % 4].title()} Club {i}",
            local_authority="Trafford",
            postcode="M33 1AA",
            latitude=53.30 + 0.03 * i,
            longitude=-2.60 + 0.04 * (i % 5),
            income=5_000 * (i + 1),
            activities=f"{TOPICS[i % 4]} for local people",
        )
        for i in range(10)
    ]
    return Area(planted=planted, others=others)


@pytest.fixture(autouse=True)
def _words_unless_asked(settings: Any) -> None:
    """Compare texts by TF-IDF unless a test opts into sentence embeddings (fast, no model)."""
    settings.SWIM_TEXT_MODEL = "tfidf"


@pytest.fixture
def area(db: None) -> Area:
    return make_planted_area()


class FakeEncoder:
    """A tiny stand-in for the sentence encoder: hashed bag of words, unit rows, 16-d.

    Texts sharing words get similar vectors; it records every batch it was asked to encode.
    """

    model_name = "test/fake-minilm"
    dimension = 16

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    @property
    def encoded(self) -> list[str]:
        return [text for batch in self.batches for text in batch]

    def encode(self, texts: Sequence[str]) -> Float32Array:
        self.batches.append(list(texts))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                out[row, zlib.crc32(word.strip(".,").encode()) % self.dimension] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return np.divide(out, norms, out=np.zeros_like(out), where=norms > 0)


@pytest.fixture
def fake_encoder(settings: Any, monkeypatch: pytest.MonkeyPatch) -> FakeEncoder:
    """Sentence embeddings switched on (``SWIM_TEXT_MODEL=auto``) with :class:`FakeEncoder`."""
    from swim.discovery import actions, text_vectors

    settings.SWIM_TEXT_MODEL = "auto"
    encoder = FakeEncoder()
    monkeypatch.setattr(text_vectors, "missing_packages", lambda: [])
    monkeypatch.setattr(text_vectors, "text_encoder", lambda: encoder)
    monkeypatch.setattr(actions, "text_encoder", lambda: encoder)
    return encoder
