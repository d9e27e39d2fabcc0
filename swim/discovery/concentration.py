"""The concentration map: location quotients of every field in every area of the directory.

The counts come from two grouped queries over the whole loaded register (active
organisations only): organisations per area with their mean position, and organisations per
(area, classification) — ``GROUP BY`` in the database, never a loop over 170,000 rows here.
:func:`swim.engine.concentration.location_quotients` turns them into quotients. What is the
same for every request between two imports is kept, with the
:func:`swim.directory.search.data_version` it was computed for, in Django's ``shared`` cache
(``SWIM_CACHE_URL``: a table in the database by default), which the web processes and the
task worker share: computed once between them, not once per process. After an import, a
background job (:func:`do_start_warm_up`) computes it for the new data, so the first page
after an import is as quick as the others. Each process also holds the last one it used.

An area is a local authority (the organisation's ``local_authority``) or a postcode district
(``M32`` of ``M32 0AA``); organisations without one are outside every area and outside the
reference population.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast, overload

import numpy as np
from django import forms
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.db import connection
from django.db.models import Avg, CharField, Count, Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import StrIndex, Substr
from django.urls import reverse
from django.utils.http import urlencode
from scipy import sparse

from swim.directory.models import Classification, Organisation
from swim.directory.search import data_version
from swim.engine.concentration import MIN_AREA, MIN_COUNT, Concentration, location_quotients
from swim.jobs.actions import do_start_job
from swim.jobs.models import Job

if TYPE_CHECKING:
    from swim.accounts.models import User

Link = Organisation.classifications.through

#: The kinds of area, by the ``level`` parameter's value.
LEVELS = {"local_authority": "Local authority", "district": "Postcode district"}
#: How long the counts are used. They are kept with their data version, so an import or a
#: new organisation shows at once; an edit of an older organisation within this time.
CACHE_SECONDS = 3600
#: The Django cache shared by the web processes and the task worker (see ``settings.py``).
SHARED_CACHE = "shared"
#: The kind of the background job that computes the counts after an import.
WARM_UP_KIND = "discovery.concentration"
#: The sort orders of the tables, by the ``sort`` parameter's value (``-`` = descending).
SORTS = {
    "-lq": "Location quotient (highest first)",
    "lq": "Location quotient (lowest first)",
    "-count": "Organisations in the field (most first)",
    "count": "Organisations in the field (fewest first)",
    "-total": "All organisations (most first)",
    "total": "All organisations (fewest first)",
    "-share": "Share (highest first)",
    "share": "Share (lowest first)",
    "area": "Area (A–Z)",
    "-area": "Area (Z–A)",
    "field": "Field (A–Z)",
    "-field": "Field (Z–A)",
}


@dataclass(frozen=True)
class Field:
    """A field of activity: one classification code."""

    pk: int
    scheme: str
    code: str
    label: str

    def __str__(self) -> str:
        return f"{self.label} ({self.scheme})"


@dataclass(frozen=True)
class Register:
    """The register's counts at one level: areas, fields and the quotients of every cell."""

    level: str
    areas: list[str]
    latitude: np.ndarray  # mean position of the area's located organisations (NaN: none)
    longitude: np.ndarray
    fields: list[Field]
    result: Concentration

    def field_index(self, pk: int) -> int | None:
        found = [i for i, field in enumerate(self.fields) if field.pk == pk]
        return found[0] if found else None


@dataclass(frozen=True)
class Stored:
    """A level's register as the caches keep it: the data version it is for, and its age."""

    version: str
    built_at: float  # time.time()
    register: Register

    def serves(self, version: str) -> bool:
        """Whether it holds the counts of data ``version`` and is young enough to use."""
        return self.version == version and time.time() - self.built_at < CACHE_SECONDS


#: This process's copy of the last register of each level, used while it serves.
_held: dict[str, Stored] = {}


def cache_key(level: str) -> str:
    """The shared cache's key of a level: one entry per level, replaced when data change."""
    return f"discovery:concentration:{level}"


def register(level: str) -> Register:
    """The counts and quotients at ``level`` for the current data.

    Taken from this process's copy, else from the shared cache, else computed (two grouped
    queries) and stored in both.
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    version = data_version()
    held = _held.get(level)
    if held is not None and held.serves(version):
        return held.register
    stored = _shared(level, version) or _compute(level, version, patient=False)
    _held[level] = stored
    return stored.register


def warm_up(progress: Callable[[int, int, str], None] | None = None) -> dict[str, Any]:
    """Compute and store every level's counts for the current data, unless the shared cache
    has them already; what the warm-up job does after an import."""
    version = data_version()
    summary: dict[str, Any] = {"computed": [], "areas": {}, "seconds": 0.0}
    for done, level in enumerate(LEVELS):
        if progress:
            progress(done, len(LEVELS), f"Counting the fields by {LEVELS[level].lower()}")
        started = time.perf_counter()
        stored = _shared(level, version)
        if stored is None:
            stored = _compute(level, version, patient=True)
            summary["computed"].append(level)
        summary["seconds"] += time.perf_counter() - started
        summary["areas"][level] = len(stored.register.areas)
    if progress:
        progress(len(LEVELS), len(LEVELS), "Counted")
    summary["seconds"] = round(summary["seconds"], 2)
    return summary


def do_start_warm_up(*, by: User | None) -> Job:
    """Queue the job that computes the counts for the data just imported (never waited for).

    When such a job is still waiting for the worker, that one is returned instead: it will
    count the data as they are when it starts.
    """
    from swim.discovery.tasks import warm_concentration

    waiting = Job.objects.filter(kind=WARM_UP_KIND, status=Job.Status.QUEUED).first()
    if waiting is not None:
        return waiting
    return do_start_job(
        warm_concentration, kind=WARM_UP_KIND, label="Prepare the concentration map", by=by
    )


def _shared(level: str, version: str) -> Stored | None:
    stored = caches[SHARED_CACHE].get(cache_key(level))
    return stored if isinstance(stored, Stored) and stored.serves(version) else None


def _compute(level: str, version: str, *, patient: bool) -> Stored:
    """Build the register and store it in the shared cache; ``patient=False`` (a request):
    on SQLite, do not wait for the write lock an import may hold for minutes, keep it only
    in this process instead."""
    stored = Stored(version, time.time(), _build(level))
    with _not_waiting_for_writers(enabled=not patient):
        caches[SHARED_CACHE].set(cache_key(level), stored, timeout=None)
    return stored


@contextmanager
def _not_waiting_for_writers(*, enabled: bool) -> Iterator[None]:
    """On SQLite with the database cache, make a cache write give up at once when another
    connection holds the write lock (Django's database cache then just skips the write)."""
    on_sqlite = connection.vendor == "sqlite" and isinstance(caches[SHARED_CACHE], DatabaseCache)
    if not (enabled and on_sqlite):
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        waited = int(cursor.fetchone()[0])
        cursor.execute("PRAGMA busy_timeout = 0")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {waited}")


def _build(level: str) -> Register:
    areas = list(
        _in_areas(Organisation.objects.all(), level)
        .values("area")
        .annotate(n=Count("pk"), lat=Avg("latitude"), lon=Avg("longitude"))
        .order_by("area")
    )
    index = {row["area"]: i for i, row in enumerate(areas)}
    cells = list(
        _in_areas(Link.objects.all(), level, prefix="organisation__")
        .values("area", "classification_id")
        .annotate(n=Count("organisation_id"))
        .order_by()
        .values_list("area", "classification_id", "n")
    )
    fields = _fields({pk for _, pk, _ in cells})
    column = {field.pk: j for j, field in enumerate(fields)}
    counts = sparse.csr_matrix(
        (
            np.array([n for _, _, n in cells], dtype=np.int64),
            ([index[a] for a, _, _ in cells], [column[pk] for _, pk, _ in cells]),
        ),
        shape=(len(areas), len(fields)),
    )
    return Register(
        level=level,
        areas=[row["area"] for row in areas],
        latitude=np.array([np.nan if r["lat"] is None else r["lat"] for r in areas]),
        longitude=np.array([np.nan if r["lon"] is None else r["lon"] for r in areas]),
        fields=fields,
        result=location_quotients(counts, [row["n"] for row in areas]),
    )


def _in_areas(queryset: QuerySet[Any], level: str, prefix: str = "") -> QuerySet[Any]:
    """Active organisations (or their links) that have an area, annotated with it."""
    queryset = queryset.filter(**{f"{prefix}status": Organisation.Status.ACTIVE})
    if level == "local_authority":
        return queryset.exclude(**{f"{prefix}local_authority": ""}).annotate(
            area=F(f"{prefix}local_authority")
        )
    postcode = f"{prefix}postcode"
    district = Substr(postcode, 1, StrIndex(postcode, Value(" ")) - 1, output_field=CharField())
    return queryset.filter(Q(**{f"{postcode}__contains": " "})).annotate(area=district)


def _fields(pks: set[int]) -> list[Field]:
    rows = Classification.objects.filter(pk__in=pks).order_by("scheme", "label", "pk")
    return [Field(c.pk, c.scheme, c.code, c.label) for c in rows]


def field_choices() -> list[tuple[str, list[tuple[int, str]]]]:
    """Classifications held by any organisation, grouped by scheme, for a ``<select>``."""
    links = Link.objects.filter(classification=OuterRef("pk"))
    rows = (
        Classification.objects.filter(Exists(links))
        .order_by("scheme", "label")
        .values_list("pk", "scheme", "label")
    )
    groups: dict[str, list[tuple[int, str]]] = {}
    for pk, scheme, label in rows:
        groups.setdefault(scheme, []).append((pk, label))
    return list(groups.items())


class ConcentrationForm(forms.Form):
    """What the concentration page shows: one field's areas, or the top concentrations."""

    level = forms.ChoiceField(label="Areas", choices=list(LEVELS.items()), required=False)
    field = forms.TypedChoiceField(
        label="Field",
        coerce=int,
        required=False,
        empty_value=None,
        help_text="A classification code; leave it empty for the top concentrations of all.",
    )
    scheme = forms.ChoiceField(
        label="Top concentrations in",
        required=False,
        help_text="The classification scheme, when no field is chosen.",
    )
    sort = forms.ChoiceField(label="Sort by", choices=list(SORTS.items()), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        groups = field_choices()
        field = cast(forms.TypedChoiceField, self.fields["field"])
        field.choices = [("", "None: the top concentrations"), *groups]
        scheme = cast(forms.ChoiceField, self.fields["scheme"])
        scheme.choices = [("", "Every scheme")] + [(name, name) for name, _ in groups]

    @property
    def area_level(self) -> str:
        return str(self.cleaned_data.get("level") or "local_authority")

    @property
    def sort_order(self) -> str:
        return str(self.cleaned_data.get("sort") or "-lq")


# --- Tables -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One (area, field) cell as the page and the CSV show it."""

    level: str
    area: str
    field: Field
    count: int
    total: int
    share: float
    lq: float
    lower: float
    upper: float
    latitude: float | None
    longitude: float | None
    note: str

    @property
    def band(self) -> str:
        """The map's class for this cell (see :data:`BANDS`)."""
        return band_of(self.lq, self.count)

    @property
    def share_percent(self) -> str:
        return f"{100 * self.share:.1f}%"

    @property
    def band_label(self) -> str:
        return BAND_LABELS[self.band]

    @property
    def discover_url(self) -> str:
        """The discovery form, prefilled: this area, around this field."""
        where = "local_authority" if self.level == "local_authority" else "postcode"
        query = urlencode({"mode": "theme", where: self.area, "classification": str(self.field.pk)})
        return f"{reverse('discovery-home')}?{query}#new-run"

    @property
    def field_url(self) -> str:
        """This field's areas at this level, on the concentration page."""
        query = urlencode({"level": self.level, "field": str(self.field.pk)})
        return f"{reverse('discovery-concentration')}?{query}"


#: The map's classes of quotient: (key, lowest quotient, words). Cells with fewer than
#: ``MIN_COUNT`` organisations of the field form their own class, "few".
BANDS = [
    ("below", 0.0, "Below average (under 0.8)"),
    ("average", 0.8, "About average (0.8 to 1.25)"),
    ("above", 1.25, "Above average (1.25 to 2)"),
    ("high", 2.0, "Twice the average or more"),
]


BAND_LABELS = {key: words for key, _, words in BANDS} | {
    "few": f"Too few to judge (under {MIN_COUNT} in the field)"
}


def band_of(lq: float, count: int) -> str:
    if count < MIN_COUNT:
        return "few"
    return [key for key, low, _ in BANDS if lq >= low][-1]


class Table(Sequence[Row]):
    """Some cells of a :class:`Register`, sorted; rows are built only when read (a page)."""

    def __init__(self, reg: Register, cells: np.ndarray, sort: str) -> None:
        self.register = reg
        self.cells = cells[_order(reg, cells, sort)]

    def __len__(self) -> int:
        return int(self.cells.size)

    @overload
    def __getitem__(self, index: int) -> Row: ...
    @overload
    def __getitem__(self, index: slice) -> list[Row]: ...
    def __getitem__(self, index: int | slice) -> Row | list[Row]:
        if isinstance(index, slice):
            return [self._row(int(i)) for i in self.cells[index]]
        return self._row(int(self.cells[index]))

    def __iter__(self) -> Iterator[Row]:
        return (self._row(int(i)) for i in self.cells)

    def count(self, value: Any = None) -> int:  # what Django's Paginator asks for
        return len(self)

    def _row(self, i: int) -> Row:
        reg, result = self.register, self.register.result
        area, total = int(result.area[i]), int(result.area_totals[result.area[i]])
        count = int(result.count[i])
        lat, lon = float(reg.latitude[area]), float(reg.longitude[area])
        located = not (np.isnan(lat) or np.isnan(lon))
        return Row(
            level=reg.level,
            area=reg.areas[area],
            field=reg.fields[int(result.field[i])],
            count=count,
            total=total,
            share=count / total,
            lq=float(result.lq[i]),
            lower=float(result.lower[i]),
            upper=float(result.upper[i]),
            latitude=round(lat, 5) if located else None,
            longitude=round(lon, 5) if located else None,
            note=_note(result, i),
        )


def _note(result: Concentration, i: int) -> str:
    if result.count[i] < result.min_count:
        return f"Too few to judge (under {result.min_count} in the field)"
    notes = []
    if result.lower[i] > 1:
        notes.append("Clearly above average")
    elif result.upper[i] < 1:
        notes.append("Clearly below average")
    if result.area_totals[result.area[i]] < result.min_area:
        notes.append(f"small area (under {result.min_area} organisations)")
    text = "; ".join(notes)
    return text[:1].upper() + text[1:]


def _order(reg: Register, cells: np.ndarray, sort: str) -> np.ndarray:
    result = reg.result
    keys = {
        "lq": result.lq[cells],
        "count": result.count[cells],
        "total": result.area_totals[result.area[cells]],
        "share": result.share[cells],
        "area": _ranks(reg.areas)[result.area[cells]],
        "field": _ranks([str(f) for f in reg.fields])[result.field[cells]],
    }
    name = sort.lstrip("-")
    primary = keys.get(name, keys["lq"])
    sign = -1 if sort.startswith("-") else 1
    # Ties: by area then field name, so that pages never shuffle.
    order: np.ndarray = np.lexsort((keys["field"], keys["area"], sign * primary))
    return order


def _ranks(names: list[str]) -> np.ndarray:
    ranks = np.empty(len(names), dtype=np.int64)
    ranks[sorted(range(len(names)), key=lambda i: names[i].casefold())] = np.arange(len(names))
    return ranks


def field_table(reg: Register, field_pk: int, sort: str = "-lq") -> Table:
    """Every area holding organisations of one field (no cells: an empty table)."""
    column = reg.field_index(field_pk)
    cells = np.flatnonzero(reg.result.field == column) if column is not None else np.zeros(0, int)
    return Table(reg, cells, sort)


def top_table(reg: Register, scheme: str = "", sort: str = "-lq") -> Table:
    """The clearest concentrations: enough organisations, not a small area, interval above 1."""
    cells = reg.result.top()
    if scheme:
        schemes = np.array([f.scheme == scheme for f in reg.fields], dtype=bool)
        cells = cells[schemes[reg.result.field[cells]]] if schemes.size else cells[:0]
    return Table(reg, cells, sort)


def map_points(table: Table) -> list[dict[str, Any]]:
    """The located areas of a field's table for the map (count, quotient, band, link)."""
    return [
        {
            "area": row.area,
            "lat": row.latitude,
            "lon": row.longitude,
            "count": row.count,
            "total": row.total,
            "lq": round(row.lq, 2),
            "band": row.band,
        }
        for row in table
        if row.latitude is not None
    ]


__all__ = [
    "BANDS",
    "LEVELS",
    "MIN_AREA",
    "MIN_COUNT",
    "SORTS",
    "Field",
    "Register",
    "Row",
    "Stored",
    "Table",
    "cache_key",
    "do_start_warm_up",
    "field_choices",
    "field_table",
    "map_points",
    "register",
    "top_table",
    "warm_up",
]
