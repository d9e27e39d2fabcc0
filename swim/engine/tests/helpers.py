"""Small builders and checks shared by the engine's tests."""

from __future__ import annotations

from typing import Any

import numpy as np

from swim.engine.data import Organisations


def make_orgs(n: int, **fields: Any) -> Organisations:
    """``n`` organisations with nothing known but what ``fields`` gives."""
    values: dict[str, Any] = {
        "ids": [f"o{i}" for i in range(n)],
        "names": [f"Org {i}" for i in range(n)],
        "latitude": np.full(n, np.nan),
        "longitude": np.full(n, np.nan),
        "income": np.full(n, np.nan),
        "texts": [""] * n,
        "classifications": [[] for _ in range(n)],
    }
    values.update(fields)
    return Organisations(**values)


def assert_similarity(matrix: Any, n: int) -> None:
    """A valid signal: an n-by-n CSR matrix, symmetric, zero diagonal, values in [0, 1]."""
    assert matrix.format == "csr"
    assert matrix.shape == (n, n)
    assert (abs(matrix - matrix.T) > 0).nnz == 0
    assert not matrix.diagonal().any()
    assert matrix.data.min(initial=0) >= 0
    assert matrix.data.max(initial=0) <= 1
