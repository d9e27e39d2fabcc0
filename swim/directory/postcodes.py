"""Loading postcode-centroid files into the ``Postcode`` table, fast.

Recognised formats (by their header; see ``../shared/data/uk-postcodes/PROVENANCE.md``):

- GB unit postcodes (Code-Point Open): ``pcd,lat,lon,...,lad,...``
- NI unit postcodes: ``pcd,lat,lon,n_points`` or the raw ``postcode,lat,lon``
- sector centroids: ``sector,lat,lon,...``; district centroids: ``outcode,lat,lon,...``
- GeoNames postal codes (tab-separated, no header): GB outward codes become districts,
  US ZIP codes become ZIPs.

Rows load in batches through one bulk statement each (PostgreSQL: ``COPY`` into a temporary
table, then an upsert), inside one transaction.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.db import connection, transaction

from swim.directory.geocoding import normalise_postcode
from swim.directory.importers.base import read_bytes
from swim.directory.models import Postcode

Row = tuple[str, str, float, float, str]
BATCH = 50_000
UPDATE = (
    "ON CONFLICT (code) DO UPDATE SET kind = excluded.kind, latitude = excluded.latitude, "
    "longitude = excluded.longitude, local_authority_code = excluded.local_authority_code"
)


@dataclass
class LoadResult:
    path: str
    kind: str
    loaded: int
    skipped: int


class UnknownFormat(Exception):
    """The file is not one of the postcode formats SWiM reads."""


def load_postcodes(path: Path, progress: Callable[[int], None] | None = None) -> LoadResult:
    """Load one postcode file; returns how many rows were loaded and skipped."""
    text = read_bytes(path).decode("utf-8-sig", errors="replace")
    kind, rows = _parse(text, path)
    loaded = skipped = 0
    with transaction.atomic():
        for batch in _batches(rows):
            good = [row for row in batch if row is not None]
            skipped += len(batch) - len(good)
            _upsert(good, replace=kind != "geonames")
            loaded += len(good)
            if progress:
                progress(loaded)
    return LoadResult(str(path), kind, loaded, skipped)


def _batches(rows: Iterator[Row | None]) -> Iterator[list[Row | None]]:
    while batch := list(itertools.islice(rows, BATCH)):
        yield batch


def _parse(text: str, path: Path) -> tuple[str, Iterator[Row | None]]:
    first = text.split("\n", 1)[0]
    if "\t" in first and not first.lower().startswith(("pcd", "postcode", "sector", "outcode")):
        return "geonames", _geonames(text)
    header = [h.strip().lower() for h in first.split(",")]
    reader = csv.reader(io.StringIO(text))
    next(reader)
    column = {name: i for i, name in enumerate(header)}
    if not {"lat", "lon"} <= column.keys():
        raise UnknownFormat(f"{path.name}: no lat and lon columns in the header {first!r}.")
    lad = column.get("lad")
    if "pcd" in column or "postcode" in column:
        code_col = column.get("pcd", column.get("postcode"))
        return "unit", _rows(reader, code_col, column, lad, Postcode.Kind.UNIT)  # type: ignore[arg-type]
    if "sector" in column:
        return "sector", _rows(reader, column["sector"], column, lad, Postcode.Kind.SECTOR)
    if "outcode" in column:
        return "district", _rows(reader, column["outcode"], column, lad, Postcode.Kind.DISTRICT)
    raise UnknownFormat(f"{path.name}: expected a pcd, postcode, sector or outcode column.")


def _rows(
    reader: Iterator[list[str]],
    code_col: int,
    column: dict[str, int],
    lad: int | None,
    kind: str,
) -> Iterator[Row | None]:
    lat_col, lon_col = column["lat"], column["lon"]
    seen: set[str] = set()
    for record in reader:
        try:
            code = _code(record[code_col], kind)
            lat, lon = float(record[lat_col]), float(record[lon_col])
        except (ValueError, IndexError):
            yield None
            continue
        if not code or code in seen or not (-90 <= lat <= 90 and -180 <= lon <= 180):
            yield None
            continue
        seen.add(code)
        yield code, kind, lat, lon, (record[lad] if lad is not None else "")


def _code(raw: str, kind: str) -> str:
    raw = " ".join(raw.upper().split())
    if kind == Postcode.Kind.UNIT:
        code = normalise_postcode(raw)
        return code if " " in code else ""
    return raw


def _geonames(text: str) -> Iterator[Row | None]:
    seen: set[str] = set()
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) < 11:
            yield None
            continue
        country, code = parts[0], parts[1].strip().upper()
        kind = Postcode.Kind.ZIP if country == "US" else Postcode.Kind.DISTRICT
        try:
            lat, lon = float(parts[9]), float(parts[10])
        except ValueError:
            yield None
            continue
        if not code or code in seen:
            yield None
            continue
        seen.add(code)
        yield code, kind, lat, lon, ""


def _upsert(rows: list[Row], replace: bool) -> None:
    """Insert rows; existing codes are updated, or kept when ``replace`` is false."""
    if not rows:
        return
    table = Postcode._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS _postcode_load (LIKE {table}) ON COMMIT DROP"
            )
            cursor.execute("TRUNCATE _postcode_load")
            columns = "code, kind, latitude, longitude, local_authority_code"
            with cursor.copy(f"COPY _postcode_load ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM _postcode_load "  # noqa: S608
                + (UPDATE if replace else "ON CONFLICT (code) DO NOTHING")
            )
        else:
            cursor.executemany(
                f"INSERT INTO {table} (code, kind, latitude, longitude, local_authority_code) "  # noqa: S608
                "VALUES (%s, %s, %s, %s, %s) "
                + (UPDATE if replace else "ON CONFLICT (code) DO NOTHING"),
                rows,
            )
