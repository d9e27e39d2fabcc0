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
                    row.latitude,
                    row.longitude,
                    PRECISION_OF_KIND[row.kind],
                    row.local_authority_code,
                )
                break
    return result
