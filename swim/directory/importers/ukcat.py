"""UK-CAT hand-tagged charities: the UK Charity Activity Tags project's sample files.

``sample.csv`` and ``top2000.csv`` list charities from all three UK registers, each already
with its org-id (``GB-CHC-…``, ``GB-SC-…``, ``GB-NIC-…``), register details and the tags people
gave it by hand: UK-CAT codes (``UKCAT``, semicolon-separated) and one ICNP/TSO code
(``ICNPTSO``). The tags become classifications of the schemes ``ukcat`` and ``icnptso``; their
labels come from ``ukcat.csv`` and ``icnptso.csv`` when those lists sit beside the imported file
(as in the project's ``data`` folder), else the label is the code.

A sample is not a register: a charity missing from the next sample has not closed, so this
import marks nothing removed. A charity in both a sample and its register's import takes the
fields of whichever was imported last.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from swim.directory.geocoding import normalise_postcode
from swim.directory.importers.base import (
    ClassificationRef,
    Importer,
    OrgRecord,
    Rejected,
    clean,
    clean_website,
    parse_date,
    parse_money,
)
from swim.directory.importers.ccew import company_org_id

ORG_ID = re.compile(r"^[A-Z]{2}-[A-Z0-9]+-[A-Za-z0-9]+$")


def read_labels(path: Path, code_columns: list[str], label_column: str) -> dict[str, str]:
    """Code → label from a code list; a row's code is its last filled ``code_columns`` cell."""
    if not path.is_file():
        return {}
    labels: dict[str, str] = {}
    with path.open(encoding="utf-8-sig", newline="") as file:
        for row in csv.DictReader(file):
            codes = [clean(row.get(column)) for column in code_columns]
            code = next((c for c in reversed(codes) if c), "")
            if code:
                labels[code] = clean(row.get(label_column)) or code
    return labels


def field_date(row: dict[str, str], column: str) -> date | None:
    try:
        return parse_date(row.get(column))
    except Rejected as exc:
        raise Rejected(f"{column}: {exc}") from exc


class UkcatImporter(Importer):
    name = "ukcat"
    title = "UK-CAT hand-tagged charity sample"
    publisher = (
        "UK Charity Activity Tags project (NCVO, Kane Data), from the CCEW, OSCR, CCNI registers"
    )
    licence = "CC BY 4.0 (tags); Open Government Licence v3.0 (register data)"
    org_id_prefix = ""
    download_url = (
        "https://raw.githubusercontent.com/charity-classification/ukcat/main/data/sample.csv"
    )
    marks_vanished = False

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.ukcat_labels: dict[str, str] = {}
        self.icnptso_labels: dict[str, str] = {}

    def source_key(self, path: Path) -> str:
        return "ukcat"

    def rows(self, path: Path) -> Iterator[dict[str, str]]:
        folder = Path(path).parent
        self.ukcat_labels = read_labels(folder / "ukcat.csv", ["Code"], "tag")
        self.icnptso_labels = read_labels(
            folder / "icnptso.csv", ["Section", "Group", "Sub-group"], "Title"
        )
        rows = super().rows(path)
        first = next(rows, None)
        if first is None:
            return
        if "org_id" not in first or "UKCAT" not in first:
            raise ValueError(
                f"{Path(path).name} is not a UK-CAT sample: no org_id and UKCAT columns"
            )
        yield first
        yield from rows

    def parse_row(self, row: dict[str, str]) -> OrgRecord:
        org_id = clean(row.get("org_id"))
        if not ORG_ID.match(org_id):
            raise Rejected(f"{org_id!r} is not an org-id")
        name = clean(row.get("name"))
        if not name:
            raise Rejected(f"{org_id} has no name")
        place = clean(row.get("postcode"))
        is_postcode = bool(normalise_postcode(place))
        company = company_org_id(row.get("company_number"))
        try:
            income, spending = parse_money(row.get("income")), parse_money(row.get("spending"))
        except Rejected as exc:
            raise Rejected(f"income or spending: {exc}") from exc
        return OrgRecord(
            org_id=org_id,
            name=name,
            status="removed" if clean(row.get("active")).lower() == "false" else "active",
            other_ids=[company] if company else [],
            date_registered=field_date(row, "date_registered"),
            postcode=place.upper() if is_postcode else "",
            address="" if is_postcode else place,  # some rows give a town or county instead
            income=income,
            spending=spending,
            financial_year_end=field_date(row, "fye"),
            activities=clean(row.get("activities")),
            objects_text=clean(row.get("objects")),
            website=clean_website(row.get("web")),
            classifications=self.tags(row),
        )

    def tags(self, row: dict[str, str]) -> list[ClassificationRef]:
        codes = [c.strip() for c in clean(row.get("UKCAT")).split(";") if c.strip()]
        refs = [ClassificationRef("ukcat", c, self.ukcat_labels.get(c, c)) for c in codes]
        if icnptso := clean(row.get("ICNPTSO")):
            refs.append(
                ClassificationRef("icnptso", icnptso, self.icnptso_labels.get(icnptso, icnptso))
            )
        return list(dict.fromkeys(refs))
