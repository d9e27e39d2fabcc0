"""Charity Commission for Northern Ireland: the register of charities CSV export."""

from __future__ import annotations

import re

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
    split_labels,
)

POSTCODE_AT_END = re.compile(r"(BT\d{1,2})\s*(\d[A-Z]{2})\s*\.?$", re.I)

# CCNI's label vocabularies. Several labels contain commas, so the comma-joined lists are
# split by matching these first (see split_labels).
WHAT_LABELS = [
    "The prevention or relief of poverty",
    "The advancement of education",
    "The advancement of religion",
    "The advancement of health or the saving of lives",
    "The advancement of citizenship or community development",
    "The advancement of the arts, culture, heritage or science",
    "The advancement of amateur sport",
    "The advancement of human rights, conflict resolution or reconciliation or the promotion "
    "of religious or racial harmony or equality and diversity",
    "The advancement of environmental protection or improvement",
    "The relief of those in need by reason of youth, age, ill-health, disability, financial "
    "hardship or other disadvantage",
    "The advancement of animal welfare",
    "The promotion of the efficiency of the armed forces of the Crown or of the efficiency of "
    "the police, fire and rescue services or ambulance services",
    "Other charitable purposes",
]


def company_org_id(number: str) -> str:
    """Companies House org-id of a company number as CCNI prints it.

    >>> company_org_id("28840"), company_org_id("NI012345"), company_org_id("1029207")
    ('GB-COH-NI028840', 'GB-COH-NI012345', 'GB-COH-01029207')
    """
    number = number.upper().replace(" ", "")
    if number.startswith("NI"):
        return f"GB-COH-{number}"
    return f"GB-COH-NI{number.zfill(6)}" if len(number) <= 6 else f"GB-COH-{number.zfill(8)}"


def _codes(scheme: str, labels: list[str]) -> list[ClassificationRef]:
    return [ClassificationRef(scheme, label[:60], label) for label in labels]


class CcniImporter(Importer):
    name = "ccni"
    title = "Charity Commission for Northern Ireland register"
    publisher = "Charity Commission for Northern Ireland"
    licence = "Open Government Licence v3.0"
    org_id_prefix = "GB-NIC-"
    required_columns = ("Reg charity number", "Charity name", "Public address")
    download_url = (
        "https://www.charitycommissionni.org.uk/umbraco/api/charityApi/"
        "ExportSearchResultsToCsv/?pageNumber=1&include=Linked&include=Removed"
    )

    def parse_row(self, row: dict[str, str]) -> OrgRecord:
        number = clean(row.get("Reg charity number"))
        if not number.isdigit():
            raise Rejected(f"charity number {number!r} is not a number")
        sub_number = clean(row.get("Sub charity number"))
        if sub_number not in {"", "0"}:
            raise Rejected(f"sub-charity {sub_number} of {number} (only main charities are kept)")
        address = clean(row.get("Public address"))
        match = POSTCODE_AT_END.search(address)
        postcode = f"{match.group(1)} {match.group(2)}".upper() if match else ""
        if match:
            address = address[: match.start()].rstrip(" ,.")
        status = clean(row.get("Status"))
        company = clean(row.get("Company number"))
        return OrgRecord(
            org_id=f"GB-NIC-{number}",
            name=clean(row.get("Charity name")),
            status="removed" if status.lower() == "removed" else "active",
            other_ids=[company_org_id(company)] if company not in {"", "0"} else [],
            date_registered=parse_date(row.get("Date registered")),
            address=address,
            postcode=postcode,
            income=parse_money(row.get("Total income")),
            spending=parse_money(row.get("Total spending")),
            financial_year_end=parse_date(row.get("Date for financial year ending")),
            website=clean_website(row.get("Website")),
            email=clean_email(row.get("Email")),
            phone=clean(row.get("Telephone"))[:40],
            classifications=(
                _codes("ccni-what", split_labels(row.get("What the charity does", ""), WHAT_LABELS))
                + _codes("ccni-who", split_labels(row.get("Who the charity helps", ""), []))
                + _codes("ccni-how", split_labels(row.get("How the charity works", ""), []))
            ),
        )
