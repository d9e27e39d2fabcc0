"""US IRS Exempt Organizations Business Master File (EO BMF): one CSV per state.

The IRS publishes the file per state at ``https://www.irs.gov/pub/irs-soi/eo_<state>.csv``
(``eo_vt.csv``…); there is no single national file, so the importer has no download address of
its own — give ``--download --url`` with a state's address, or the file.

Each state's file is a whole register of that state, so each is imported under its own source
(``irs:VT``, from the ``label`` option, the file name or the first row's state): importing
Vermont does not mark New Hampshire's organisations removed.

The file has names and codes but no mission text. ``NTEE_CD`` becomes a classification of the
scheme ``ntee``, labelled from an ``ntee.csv`` (``major_group, major_group_name, code, name``)
beside the file when there is one, else by its code. ``GROUP``, the number of a central
organisation's group exemption, is a network: its members are the central organisation and its
subordinates (local chapters, posts, lodges), and they become members of the network
``IRS group exemption <number>``.

Not imported: ``ICO`` (a person's name, "in care of"), asset and revenue amounts, and the
subsection, foundation and deductibility codes.
"""

from __future__ import annotations

import calendar
import csv
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from swim.directory.importers.base import (
    ClassificationRef,
    Importer,
    NetworkRecord,
    OrgRecord,
    Rejected,
    clean,
    parse_money,
)
from swim.directory.importers.ccew import short_key

STATE_FILE_URL = "https://www.irs.gov/pub/irs-soi/eo_{state}.csv"
STATE_FILE = re.compile(r"^eo_([a-z]{2})$", re.I)
REGION_FILE = re.compile(r"^eo(\d)$", re.I)
ROLES = {"6": "central", "8": "central", "7": "intermediate", "9": "subordinate"}


def year_month(value: str | None, *, last_day: bool = False) -> date | None:
    """A ``YYYYMM`` date (the first or last day of the month), or None when empty or zero.

    >>> year_month("200211"), year_month("201906", last_day=True), year_month("000000")
    (datetime.date(2002, 11, 1), datetime.date(2019, 6, 30), None)
    """
    text = clean(value)
    if not text or not text.strip("0"):
        return None
    if not (len(text) == 6 and text.isdigit() and 1 <= int(text[4:]) <= 12 and int(text[:4])):
        raise Rejected(f"{text!r} is not a year and month (YYYYMM)")
    year, month = int(text[:4]), int(text[4:])
    return date(year, month, calendar.monthrange(year, month)[1] if last_day else 1)


def zip_code(value: str | None) -> str:
    """The five-digit ZIP code of a ZIP+4 (leading zeros restored).

    >>> zip_code("05089-0455"), zip_code("5602"), zip_code("")
    ('05089', '05602', '')
    """
    text = clean(value).split("-")[0]
    return text.zfill(5)[:5] if text.isdigit() else text


def read_ntee(path: Path) -> dict[str, str]:
    """NTEE code (and major group letter) → name, from ``ntee.csv``."""
    if not path.is_file():
        return {}
    names: dict[str, str] = {}
    with path.open(encoding="utf-8-sig", newline="") as file:
        for row in csv.DictReader(file):
            if group := clean(row.get("major_group")):
                names.setdefault(group, clean(row.get("major_group_name")) or group)
            if code := clean(row.get("code")):
                names[code] = clean(row.get("name")) or code
    return names


def ntee_label(code: str, names: dict[str, str]) -> str:
    """The name of an NTEE code, of its first three characters, of its major group, or the code.

    >>> ntee_label("C40Z", {"C40": "Botanical & Horticultural", "C": "Environment"})
    'Botanical & Horticultural'
    >>> ntee_label("C99", {"C": "Environment"}), ntee_label("C99", {})
    ('Environment', 'C99')
    """
    return names.get(code) or names.get(code[:3]) or names.get(code[:1]) or code


class IrsImporter(Importer):
    name = "irs"
    title = "US IRS Exempt Organizations Business Master File"
    publisher = "Internal Revenue Service (United States)"
    licence = "US federal government work (public domain in the US)"
    org_id_prefix = "US-EIN-"
    download_url = None  # one file per state: STATE_FILE_URL

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.ntee_names: dict[str, str] = {}

    def source_key(self, path: Path) -> str:
        """``irs:<label>``, else ``irs:<state>`` from the file name or its first row."""
        stem = Path(path).name.split(".")[0]
        if label := clean(self.options.get("label")):
            return short_key(self.name, label)
        if match := STATE_FILE.match(stem):
            return f"{self.name}:{match.group(1).upper()}"
        if match := REGION_FILE.match(stem):
            return f"{self.name}:region-{match.group(1)}"
        first = next(super().rows(path), {})
        state = clean(first.get("STATE")).upper()
        return f"{self.name}:{state}" if state else self.name

    def rows(self, path: Path) -> Iterator[dict[str, str]]:
        self.ntee_names = read_ntee(Path(path).parent / "ntee.csv")
        rows = super().rows(path)
        first = next(rows, None)
        if first is None:
            return
        if "EIN" not in first or "NAME" not in first:
            raise ValueError(f"{Path(path).name} is not an IRS EO BMF file: no EIN and NAME")
        yield first
        yield from rows

    def parse_row(self, row: dict[str, str]) -> OrgRecord:
        ein = clean(row.get("EIN")).replace("-", "")
        if not (ein.isdigit() and len(ein) <= 9 and int(ein)):
            raise Rejected(f"EIN {ein!r} is not a number of nine digits")
        ein = ein.zfill(9)
        name = clean(row.get("NAME"))
        if not name:
            raise Rejected(f"EIN {ein} has no name")
        group = clean(row.get("GROUP"))
        in_group = bool(group.strip("0"))
        if in_group and (local := clean(row.get("SORT_NAME"))):
            name = f"{name} ({local})"  # subordinates share the central organisation's name
        try:
            registered = year_month(row.get("RULING"))
            year_end = year_month(row.get("TAX_PERIOD"), last_day=True)
            income = parse_money(row.get("INCOME_AMT"))
        except Rejected as exc:
            raise Rejected(f"EIN {ein}: {exc}") from exc
        address = [clean(row.get(column)) for column in ("STREET", "CITY", "STATE")]
        ntee = clean(row.get("NTEE_CD")).upper()
        return OrgRecord(
            org_id=f"US-EIN-{ein}",
            name=name[:300],
            date_registered=registered,
            address=", ".join(part for part in address if part),
            postcode=zip_code(row.get("ZIP")),
            income=income,
            financial_year_end=year_end,
            classifications=(
                [ClassificationRef("ntee", ntee, ntee_label(ntee, self.ntee_names))] if ntee else []
            ),
            networks=(
                [
                    NetworkRecord(
                        network=f"IRS group exemption {group}",
                        kind="irs-group",
                        role=ROLES.get(clean(row.get("AFFILIATION")), ""),
                    )
                ]
                if in_group
                else []
            ),
        )
