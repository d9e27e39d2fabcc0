"""The directory map, aggregated in the database so it stays light with 50,000 organisations.

The browser sends the bounding box it shows and its zoom level. When few organisations are
in view it gets them one by one; otherwise the database groups them into square grid cells
of about :data:`CELL_PIXELS` on screen (``GROUP BY`` the cell's row and column) and the
browser gets one circle per cell with the count and the mean position. Cells are anchored
at latitude -90, longitude -180 rather than at the view, so they stay put while the map pans.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import (
    Avg,
    Case,
    CharField,
    Count,
    F,
    FloatField,
    Func,
    Max,
    Min,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import StrIndex, Substr
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from django.urls import reverse

from swim.directory.models import GeocodePrecision, Organisation
from swim.directory.search import Unindexed

CELL_PIXELS = 64  # a cell's side on screen
POINT_LIMIT = 250  # individual organisations sent when no more than this many are in view
MAX_ZOOM = 22
POINTS_FROM_ZOOM = 17  # from here on, send points (at most POINT_LIMIT) even when crowded
COORDINATE_DIGITS = 5  # about a metre
INDEXED_BOX_DEGREES = 1.0  # taller boxes are read without the latitude index


class MapQueryError(ValueError):
    """A map request whose bounding box or zoom cannot be used; the message says why."""


@dataclass(frozen=True)
class BBox:
    """A bounding box in degrees (WGS84), west < east and south < north."""

    west: float
    south: float
    east: float
    north: float

    @property
    def centre_latitude(self) -> float:
        return (self.south + self.north) / 2

    def as_list(self) -> list[float]:
        return [self.west, self.south, self.east, self.north]


def parse_bbox(text: str) -> BBox:
    """The box in ``"west,south,east,north"`` (Leaflet's ``toBBoxString()``).

    Longitudes beyond ±180 and latitudes beyond ±90 (a zoomed-out map shows them) are
    clamped; anything else that is not a box is refused with a message.

    >>> parse_bbox("-2.5,53.3,-2.2,53.5")
    BBox(west=-2.5, south=53.3, east=-2.2, north=53.5)
    >>> parse_bbox("-200,-95,200,95").as_list()
    [-180.0, -90.0, 180.0, 90.0]
    >>> parse_bbox("-2.2,53.3,-2.5,53.5")
    Traceback (most recent call last):
    ...
    swim.directory.maps.MapQueryError: bbox must have west < east and south < north.
    """
    parts = text.split(",") if text else []
    try:
        west, south, east, north = (float(part) for part in parts)
    except ValueError:
        raise MapQueryError(
            "bbox must be four numbers separated by commas: west,south,east,north."
        ) from None
    if not all(math.isfinite(value) for value in (west, south, east, north)):
        raise MapQueryError("bbox must be four finite numbers.")
    west, east = (min(max(value, -180.0), 180.0) for value in (west, east))
    south, north = (min(max(value, -90.0), 90.0) for value in (south, north))
    if not (west < east and south < north):
        raise MapQueryError("bbox must have west < east and south < north.")
    return BBox(west, south, east, north)


def parse_zoom(text: str) -> int:
    """The zoom level, a whole number from 0 (the world) to :data:`MAX_ZOOM`.

    >>> parse_zoom("12")
    12
    >>> parse_zoom("twelve")
    Traceback (most recent call last):
    ...
    swim.directory.maps.MapQueryError: zoom must be a whole number from 0 to 22.
    """
    if not text.isdigit() or int(text) > MAX_ZOOM:
        raise MapQueryError(f"zoom must be a whole number from 0 to {MAX_ZOOM}.")
    return int(text)


def parse_view(params: Any) -> tuple[BBox, int]:
    """The ``bbox`` and ``zoom`` of a map request's query parameters."""
    return parse_bbox(params.get("bbox", "")), parse_zoom(params.get("zoom", ""))


def cell_size(zoom: int, latitude: float, pixels: int = CELL_PIXELS) -> tuple[float, float]:
    """A grid cell's height and width in degrees, square on a Web Mercator map at ``zoom``.

    A 256-pixel tile spans 360° of longitude at zoom 0, half that at each next level; a
    degree of latitude looks longer by 1/cos(latitude). So that the grid does not shift as
    the map pans, the latitude used is the middle of its 10-degree band (55° for all of
    Great Britain but Shetland): cells are then within 10% of square.

    >>> height, width = cell_size(0, 0.0, pixels=256)
    >>> width, round(height, 1)
    (360.0, 358.6)
    >>> height, width = cell_size(12, 53.4)
    >>> round(width, 5), round(height, 5)
    (0.02197, 0.0126)
    """
    width = pixels * 360.0 / (256 * 2**zoom)
    band_middle = math.floor(latitude / 10) * 10 + 5
    return width * math.cos(math.radians(band_middle)), width


class _GridIndex(Func):
    """``FLOOR((expression + offset) / size)``, a cell's row or column (never negative)."""

    function = "FLOOR"
    output_field = FloatField()

    def __init__(self, field: str, offset: float, size: float) -> None:
        super().__init__((F(field) + Value(offset)) / Value(size))

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # The value is never negative, so truncation is the floor; this avoids the Python
        # function Django registers for FLOOR on SQLite (three times slower on 50,000 rows).
        return self.as_sql(compiler, connection, template="CAST(%(expressions)s AS INTEGER)")


def in_box(organisations: QuerySet[Organisation], bbox: BBox) -> QuerySet[Organisation]:
    """The organisations of a filter that lie in ``bbox``, unordered, ready to aggregate.

    The filter's own query is used as it is (its relevance annotation stays out of the
    ``GROUP BY`` of ``values().annotate()``), so the database can use its latitude index.
    A ``DISTINCT`` filter (joins that repeat rows) is re-selected by primary key instead.
    A box taller than :data:`INDEXED_BOX_DEGREES` holds too large a share of the country
    for the index to help: SQLite is kept to reading the table (a third faster).
    """
    query = organisations.order_by()
    if query.query.distinct:
        query = Organisation.objects.filter(pk__in=query.values("pk"))
    tall = bbox.north - bbox.south > INDEXED_BOX_DEGREES
    latitude = Unindexed("latitude") if tall else F("latitude")
    return query.filter(
        GreaterThanOrEqual(latitude, bbox.south),
        LessThanOrEqual(latitude, bbox.north),
        longitude__gte=bbox.west,
        longitude__lte=bbox.east,
    )


def aggregate(
    organisations: QuerySet[Organisation],
    bbox: BBox,
    zoom: int,
    *,
    point_limit: int = POINT_LIMIT,
) -> dict[str, Any]:
    """What the map shows of ``organisations`` in ``bbox`` at ``zoom``, ready for JSON.

    ``mode`` is ``"points"`` (each organisation, with name, org-id and page URL) when no more
    than ``point_limit`` are in view or the map is zoomed right in, else ``"cells"`` (one
    entry per grid cell with its count, mean position and bounds). One grouped query answers
    a zoomed-out view; a second one fetches the organisations when there are few.
    """
    query = in_box(organisations, bbox)
    payload: dict[str, Any] = {
        "zoom": zoom,
        "bbox": bbox.as_list(),
        "cell_pixels": CELL_PIXELS,
        "mode": "cells",
        "cells": [],
        "points": [],
        "truncated": False,
    }
    if zoom >= POINTS_FROM_ZOOM:
        total = query.count()
    else:
        payload["cells"] = cells(query, cell_size(zoom, bbox.centre_latitude))
        total = sum(cell["count"] for cell in payload["cells"])
    if total <= point_limit or zoom >= POINTS_FROM_ZOOM:
        payload.update(mode="points", cells=[], points=points(query, limit=point_limit))
        payload["truncated"] = total > point_limit
    return {"total": total, **payload}


def cells(query: QuerySet[Organisation], size: tuple[float, float]) -> list[dict[str, Any]]:
    """One entry per occupied grid cell of ``size`` (degrees): count, mean position, bounds."""
    height, width = size
    rows = (
        query.annotate(
            row=_GridIndex("latitude", 90.0, height),
            col=_GridIndex("longitude", 180.0, width),
        )
        .values("row", "col")
        .annotate(count=Count("pk"), mean_lat=Avg("latitude"), mean_lon=Avg("longitude"))
        .order_by("-count", "row", "col")
    )
    digits = COORDINATE_DIGITS
    return [
        {
            "lat": round(row["mean_lat"], digits),
            "lon": round(row["mean_lon"], digits),
            "count": row["count"],
            "bounds": [
                round(row["col"] * width - 180.0, digits),
                round(row["row"] * height - 90.0, digits),
                round((row["col"] + 1) * width - 180.0, digits),
                round((row["row"] + 1) * height - 90.0, digits),
            ],
        }
        for row in rows
    ]


def points(query: QuerySet[Organisation], *, limit: int) -> list[dict[str, Any]]:
    """The organisations themselves (the first ``limit`` by name)."""
    url = reverse("directory-organisation", args=["ORG-ID"])
    rows = query.order_by("name", "pk").values(
        "org_id", "name", "latitude", "longitude", "is_sample"
    )[:limit]
    return [
        {
            "lat": round(row["latitude"] or 0.0, COORDINATE_DIGITS),  # never None in a box
            "lon": round(row["longitude"] or 0.0, COORDINATE_DIGITS),
            "name": row["name"],
            "org_id": row["org_id"],
            "url": url.replace("ORG-ID", row["org_id"]),
            "sample": row["is_sample"],
        }
        for row in rows
    ]


@dataclass(frozen=True)
class Summary:
    """What the map page says in words about a filter's organisations."""

    total: int
    located: int
    bounds: BBox | None
    districts: list[tuple[str, int]]

    @property
    def not_located(self) -> int:
        return self.total - self.located


def summarise(organisations: QuerySet[Organisation], *, districts: int = 12) -> Summary:
    """Counts, the located organisations' bounds and the busiest postcode districts.

    One pass over the rows: they are grouped by postcode district (a few thousand groups at
    most), each group with its counts and bounds, and the groups are added up here.
    """
    plain = organisations.order_by()
    if plain.query.distinct:
        plain = Organisation.objects.filter(pk__in=plain.values("pk"))
    located = Q(latitude__isnull=False, longitude__isnull=False)
    groups = list(
        plain.annotate(district=_district())
        .values("district")
        .annotate(
            total=Count("pk"),
            located=Count("pk", filter=located),
            west=Min("longitude", filter=located),
            south=Min("latitude", filter=located),
            east=Max("longitude", filter=located),
            north=Max("latitude", filter=located),
        )
    )
    with_location = [g for g in groups if g["located"]]
    bounds = None
    if with_location:
        bounds = BBox(
            min(g["west"] for g in with_location),
            min(g["south"] for g in with_location),
            max(g["east"] for g in with_location),
            max(g["north"] for g in with_location),
        )
    busiest = sorted(
        ((g["district"], g["total"]) for g in groups if g["district"] is not None),
        key=lambda item: (-item[1], item[0]),
    )
    return Summary(
        total=sum(g["total"] for g in groups),
        located=sum(g["located"] for g in with_location),
        bounds=bounds,
        districts=busiest[:districts],
    )


def _district() -> Case:
    """The postcode's district (``M32`` of ``M32 0AA``), or NULL without an inward code."""
    return Case(
        When(
            postcode__contains=" ",
            then=Substr("postcode", 1, StrIndex("postcode", Value(" ")) - 1),
        ),
        default=None,
        output_field=CharField(),
    )


def tile_layer() -> dict[str, str]:
    """The background tiles configured (``SWIM_MAP_TILE_URL``), or an empty URL for none."""
    return {
        "url": getattr(settings, "SWIM_MAP_TILE_URL", ""),
        "attribution": getattr(settings, "SWIM_MAP_ATTRIBUTION", ""),
    }


def location_note(org: Organisation) -> str:
    """How precise the organisation's position on the map is, in words."""
    if org.geocode_precision in {GeocodePrecision.SECTOR, GeocodePrecision.DISTRICT}:
        return f"Approximate: the centre of its {org.get_geocode_precision_display().lower()}."
    if org.geocode_precision == GeocodePrecision.UNIT:
        return "The centre of its postcode."
    return "Position given by the source."
