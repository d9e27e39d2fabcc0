"""Scottish Charity Regulator (OSCR): the register download, current or former (removed).

OSCR publishes two CSV exports in one layout: the register of current charities and the former
register of removed ones (``CharityExport-Removed-<date>.csv``). Each is a whole register, so
each is imported under its own source — ``oscr`` and ``oscr-removed``, told apart by the first
row — and importing one never marks the other's charities removed.

The purposes, beneficiaries and activities columns hold quoted label lists
(``'The advancement of education','The saving of lives'``) whose labels may contain commas;
they become classifications of the schemes ``oscr-purpose``, ``oscr-beneficiary`` and
``oscr-activity``. ``Main Operating Location`` is a council area and becomes the local
authority's name.

Not imported: ``Known As`` (there is no field for a second name), the constitutional form, the
income breakdown, and the parent charity columns — a parent is a relationship between two
organisations, for a relationship importer, not another identifier of this one.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from swim.directory.importers.base import (
    ClassificationRef,
    Importer,
    OrgRecord,
    Rejected,
    clean,
    clean_email,
    clean_website,
    parse_date,
    parse_money,
    read_bytes,
    split_labels,
)

NUMBER = re.compile(r"^SC0*(\d{1,6})$")
EXPORT_DATE = re.compile(r"(\d{2}-[A-Za-z]{3}-\d{4})")
OUTSIDE_SCOTLAND = "Outwith Scotland"

PURPOSES = [
    "The prevention or relief of poverty",
    "The advancement of education",
    "The advancement of religion",
    "The advancement of health",
    "The saving of lives",
    "The advancement of citizenship or community development",
    "The advancement of the arts, heritage, culture or science",
    "The advancement of public participation in sport",
    "The provision of recreational facilities, or the organisation of recreational activities, "
    "with the object of improving the conditions of life for the persons for whom the "
    "facilities or activities are primarily intended",
    "The advancement of human rights, conflict resolution or reconciliation",
    "The promotion of religious or racial harmony",
    "The promotion of equality and diversity",
    "The advancement of environmental protection or improvement",
    "The relief of those in need by reason of age, ill health, disability, financial hardship "
    "or other disadvantage",
    "The advancement of animal welfare",
    "Any other purpose that may reasonably be regarded as analogous to any of the preceding "
    "purposes",
]
BENEFICIARIES = [
    "Children / young people",
    "Older people",
    "People with disabilities or health problems",
    "People of a particular ethnic or racial origin",
    "Other charities / voluntary bodies",
    "Other defined groups",
    "No specific group, or for the benefit of the community",
]
ACTIVITIES = [
    "It carries out activities or services itself",
    "It makes grants, donations or gifts to organisations",
    "It makes grants, donations, loans, gifts or pensions to individuals",
    "It does none of these",
]
LABEL_COLUMNS = [
    ("Purposes", "oscr-purpose", PURPOSES),
    ("Beneficiaries", "oscr-beneficiary", BENEFICIARIES),
    ("Activities", "oscr-activity", ACTIVITIES),
]


def oscr_number(value: str | None) -> str:
    """The charity number as OSCR prints it, ``SC`` and six digits.

    >>> oscr_number("SC000002"), oscr_number(" sc 12345 ")
    ('SC000002', 'SC012345')
    >>> oscr_number("230165")
    Traceback (most recent call last):
    ...
    swim.directory.importers.base.Rejected: '230165' is not an OSCR charity number (SC + 6 digits)
    """
    text = clean(value)
    match = NUMBER.match(text.upper().replace(" ", ""))
    if not match or not int(match.group(1)):
        raise Rejected(f"{text!r} is not an OSCR charity number (SC + 6 digits)")
    return f"SC{int(match.group(1)):06d}"


def oscr_date(row: dict[str, str], column: str) -> date | None:
    """A date of the export (``02/06/2012 18:58``: the time is dropped).

    >>> oscr_date({"Ceased Date": "02/06/2012 18:58"}, "Ceased Date")
    datetime.date(2012, 6, 2)
    """
    try:
        return parse_date(clean(row.get(column)).split(" ")[0])
    except Rejected as exc:
        raise Rejected(f"{column}: {exc}") from exc


def oscr_labels(value: str | None, vocabulary: list[str]) -> list[str]:
    """The labels of a quoted label list (or of a plain comma-joined one).

    >>> oscr_labels("'Older people','Other charities / voluntary bodies'", BENEFICIARIES)
    ['Older people', 'Other charities / voluntary bodies']
    >>> oscr_labels("Older people,No specific group, or for the benefit of the community",
    ...             BENEFICIARIES)
    ['No specific group, or for the benefit of the community', 'Older people']
    """
    text = clean(value)
    if len(text) > 1 and text.startswith("'") and text.endswith("'"):
        return [label.strip() for label in text[1:-1].split("','") if label.strip()]
    return split_labels(text, vocabulary)


def export_date(path: Path) -> date | None:
    """The date in an export's file name, ``CharityExport-Removed-06-Jul-2020.csv``."""
    match = EXPORT_DATE.search(Path(path).name)
    if not match:
        return None
    try:
        return datetime.strptime(match.group(1), "%d-%b-%Y").date()
    except ValueError:
        return None


class OscrImporter(Importer):
    name = "oscr"
    title = "Scottish Charity Register"
    publisher = "Office of the Scottish Charity Regulator"
    licence = "Open Government Licence v3.0"
    org_id_prefix = "GB-SC-"
    download_url = "https://www.oscr.org.uk/umbraco/Surface/FormsSurface/CharityRegDownload"

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.source_date: date | None = None

    def source_key(self, path: Path) -> str:
        """``oscr-removed`` for the former register (its rows have a ceased date), else ``oscr``."""
        head = read_bytes(path, self.download_member)[: 1 << 16]
        text = head.decode("utf-8-sig", errors="ignore")
        first = next(csv.DictReader(io.StringIO(text, newline="")), {})
        status = clean(first.get("Charity Status")).lower()
        removed = bool(clean(first.get("Ceased Date"))) or status == "removed"
        return "oscr-removed" if removed else self.name

    def rows(self, path: Path) -> Iterator[dict[str, str]]:
        self.source_date = export_date(path)
        rows = super().rows(path)
        first = next(rows, None)
        if first is None:
            return
        if "Charity Number" not in first:
            raise ValueError(f"{Path(path).name} is not an OSCR export: it has no Charity Number")
        yield first
        yield from rows

    def parse_row(self, row: dict[str, str]) -> OrgRecord:
        number = oscr_number(row.get("Charity Number"))
        name = clean(row.get("Charity Name"))
        if not name:
            raise Rejected(f"charity {number} has no name")
        ceased = oscr_date(row, "Ceased Date")
        removed = ceased is not None or clean(row.get("Charity Status")).lower() == "removed"
        location = clean(row.get("Main Operating Location"))
        outside = location.lower() == OUTSIDE_SCOTLAND.lower()
        spread = [clean(row.get("Geographical Spread")), location if outside else ""]
        try:
            income = parse_money(row.get("Most recent year income"))
            spending = parse_money(row.get("Most recent year expenditure"))
        except Rejected as exc:
            raise Rejected(f"income or expenditure: {exc}") from exc
        return OrgRecord(
            org_id=f"GB-SC-{number}",
            name=name,
            status="removed" if removed else "active",
            date_registered=oscr_date(row, "Registered Date"),
            date_removed=ceased,
            address=clean(row.get("Principal Office/Trustees Address")),
            postcode=clean(row.get("Postcode")).upper(),
            local_authority="" if outside else location,
            area_of_operation="; ".join(part for part in spread if part),
            income=income,
            spending=spending,
            financial_year_end=oscr_date(row, "Year End"),
            objects_text=clean(row.get("Objectives")),
            website=clean_website(row.get("Website")),
            email=clean_email(row.get("Email")),
            source_date=self.source_date,
            classifications=[
                ClassificationRef(scheme, label[:60], label)
                for column, scheme, vocabulary in LABEL_COLUMNS
                for label in oscr_labels(row.get(column), vocabulary)
            ],
        )
