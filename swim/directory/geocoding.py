"""Offline geocoding from postcode centroids: unit, then sector, then district.

>>> normalise_postcode(" m32  0aa ")
'M32 0AA'
>>> normalise_postcode("bt147pj")
'BT14 7PJ'
>>> normalise_postcode("not a postcode")
''
>>> sector_of("M32 0AA"), district_of("M32 0AA")
('M32 0', 'M32')
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from swim.directory.models import GeocodePrecision, Postcode

UK_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")
UK_DISTRICT = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
US_ZIP = re.compile(r"^([0-9]{5})(?:-?[0-9]{4})?$")


def normalise_postcode(raw: str) -> str:
    """A UK postcode in ``OUT IN`` form, a UK district, a 5-digit US ZIP, or ``""``."""
    compact = re.sub(r"[^A-Za-z0-9-]", "", raw or "").upper()
    if match := UK_POSTCODE.match(compact.replace("-", "")):
        return f"{match.group(1)} {match.group(2)}"
    if UK_DISTRICT.match(compact):
        return compact
    if match := US_ZIP.match(compact):
        return match.group(1)
    return ""


def sector_of(postcode: str) -> str:
    """``"M32 0AA"`` → ``"M32 0"`` (empty for anything that is not a full UK postcode)."""
    out, _, inward = postcode.partition(" ")
    return f"{out} {inward[0]}" if inward else ""


def district_of(postcode: str) -> str:
    return postcode.partition(" ")[0] if not postcode.isdigit() else ""


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float
    precision: GeocodePrecision
    local_authority_code: str


PRECISION_OF_KIND: dict[str, GeocodePrecision] = {
    Postcode.Kind.UNIT: GeocodePrecision.UNIT,
    Postcode.Kind.ZIP: GeocodePrecision.UNIT,
    Postcode.Kind.SECTOR: GeocodePrecision.SECTOR,
    Postcode.Kind.DISTRICT: GeocodePrecision.DISTRICT,
}


def geocode_many(postcodes: Iterable[str], chunk: int = 2000) -> dict[str, Location]:
    """The most precise centroid known for each normalised postcode (missing: not found)."""
    wanted = {p for p in postcodes if p}
    keys: dict[str, list[str]] = {}
    for postcode in wanted:
        for key in (postcode, sector_of(postcode), district_of(postcode)):
            if key:
                keys.setdefault(key, []).append(postcode)
    found: dict[str, Postcode] = {}
    codes = list(keys)
    for start in range(0, len(codes), chunk):
        for row in Postcode.objects.filter(code__in=codes[start : start + chunk]):
            found[row.code] = row
    result: dict[str, Location] = {}
    for postcode in wanted:
        for key in (postcode, sector_of(postcode), district_of(postcode)):
            match = found.get(key) if key else None
            if match is not None:
                result[postcode] = Location(
                    match.latitude,
                    match.longitude,
                    PRECISION_OF_KIND[match.kind],
                    match.local_authority_code,
                )
                break
    return result


IMPROVABLE = [GeocodePrecision.NONE, GeocodePrecision.DISTRICT, GeocodePrecision.SECTOR]
RANK = {
    GeocodePrecision.NONE: 0,
    GeocodePrecision.DISTRICT: 1,
    GeocodePrecision.SECTOR: 2,
    GeocodePrecision.UNIT: 3,
    GeocodePrecision.SUPPLIED: 4,
}


def regeocode(chunk: int = 5000) -> int:
    """Re-locate organisations whose postcode now matches a more precise centroid.

    Organisations with coordinates from their source (``supplied``) and those already at
    unit precision are left alone. Returns how many organisations moved.
    """
    from swim.directory.models import Area, Organisation

    areas = dict(Area.objects.values_list("code", "name"))
    candidates = (
        Organisation.objects.filter(geocode_precision__in=IMPROVABLE)
        .exclude(postcode="")
        .order_by("pk")
    )
    improved = 0
    last_pk = 0
    while batch := list(candidates.filter(pk__gt=last_pk)[:chunk]):
        last_pk = batch[-1].pk
        found = geocode_many(org.postcode for org in batch)
        changed = []
        for org in batch:
            location = found.get(org.postcode)
            if (
                location is None
                or RANK[location.precision] <= RANK[GeocodePrecision(org.geocode_precision)]
            ):
                continue
            org.latitude, org.longitude = location.latitude, location.longitude
            org.geocode_precision = location.precision
            if location.local_authority_code and not org.local_authority_code:
                org.local_authority_code = location.local_authority_code
                org.local_authority = areas.get(location.local_authority_code, "")
            changed.append(org)
        Organisation.objects.bulk_update(
            changed,
            [
                "latitude",
                "longitude",
                "geocode_precision",
                "local_authority_code",
                "local_authority",
            ],
            batch_size=1000,
        )
        improved += len(changed)
    return improved
