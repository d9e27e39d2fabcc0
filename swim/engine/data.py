"""The engine's input: organisations of an area as plain arrays.

Row ``i`` of every array describes the same organisation. Anything a source does not give
is missing (NaN coordinates or income, empty text, no ties), and every signal copes with
that by contributing nothing for the organisation.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy import sparse

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: The back-office capacity areas of the diagnostic, in a fixed order (columns of ``needs``).
CAPACITY_AREAS: tuple[str, ...] = (
    "hr",
    "ict",
    "finance",
    "governance",
    "fundraising",
    "premises",
    "communications",
    "volunteering",
    "data_protection",
    "safeguarding",
    "legal",
    "impact_measurement",
)


@dataclass
class Organisations:
    """Organisations of an area, one row each.

    Parameters
    ----------
    ids : list of str
        org-ids, unique.
    names : list of str
    latitude, longitude : float arrays
        Degrees; NaN where not located.
    income : float array
        Latest annual income in pounds; NaN where unknown.
    texts : list of str
        What the organisation does (activities and objects); "" where unknown.
    classifications : list of list of str
        Codes as ``"scheme:code"`` (register what/who/how, UK-CAT tags…).
    ties : scipy.sparse matrix, shape (n, n)
        Existing relationships, symmetric, weight > 0 (shared trustees, parents, mergers,
        partnerships); same-network links come from ``networks``.
    networks : list of list of str
        Names of the networks each organisation belongs to.
    needs : float array, shape (n, len(CAPACITY_AREAS)), optional
        Diagnostic gap per capacity area in [0, 1] (1 = serious gap); NaN rows where the
        organisation has no diagnostic. ``None`` when no diagnostic exists at all.
    offers : bool array, shape (n, len(CAPACITY_AREAS)), optional
        "We could offer this to others" per capacity area.
    ceo_hours : float array, optional
        CEO/manager hours a month available for collaboration; NaN where unknown.
    willing_to_lead : bool array, optional
        Whether the organisation said it would lead or champion a cluster.
    """

    ids: list[str]
    names: list[str]
    latitude: FloatArray
    longitude: FloatArray
    income: FloatArray
    texts: list[str]
    classifications: list[list[str]]
    ties: sparse.csr_matrix = field(default_factory=lambda: sparse.csr_matrix((0, 0)))
    networks: list[list[str]] = field(default_factory=list)
    needs: FloatArray | None = None
    offers: npt.NDArray[np.bool_] | None = None
    ceo_hours: FloatArray | None = None
    willing_to_lead: npt.NDArray[np.bool_] | None = None

    def __post_init__(self) -> None:
        n = len(self.ids)
        if self.ties.shape == (0, 0):
            self.ties = sparse.csr_matrix((n, n))
        if not self.networks:
            self.networks = [[] for _ in range(n)]
        lengths = {
            "names": len(self.names),
            "latitude": len(self.latitude),
            "longitude": len(self.longitude),
            "income": len(self.income),
            "texts": len(self.texts),
            "classifications": len(self.classifications),
            "networks": len(self.networks),
            "ties": self.ties.shape[0],
        }
        wrong = {name: size for name, size in lengths.items() if size != n}
        if wrong:
            raise ValueError(f"every field needs {n} rows (one per id); got {wrong}")
        if len(set(self.ids)) != n:
            raise ValueError("ids must be unique")

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def located(self) -> npt.NDArray[np.bool_]:
        """Which organisations have coordinates."""
        return ~(np.isnan(self.latitude) | np.isnan(self.longitude))
