"""The OSCR importer: the Scottish register export, current and former (removed) charities."""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from swim.directory.importers import get_importer_class
from swim.directory.importers.base import Rejected
from swim.directory.importers.oscr import OscrImporter
from swim.directory.importing import run_import
from swim.directory.models import ImportRun, Organisation

DATA = Path(__file__).parent / "data" / "oscr"
REMOVED = DATA / "CharityExport-Removed-01-Jan-2020.csv"
ACTIVE = DATA / "CharityExport-01-Jan-2020.csv"


def accounted(run: ImportRun) -> bool:
    return run.read == run.created + run.updated + run.unchanged + run.rejected


def test_it_is_registered_as_oscr() -> None:
    assert get_importer_class("oscr") is OscrImporter


def test_it_rejects_a_number_that_is_not_scottish_with_a_reason() -> None:
    with pytest.raises(Rejected, match="'230165' is not an OSCR charity number"):
        OscrImporter().parse_row({"Charity Number": "230165", "Charity Name": "X"})


@pytest.mark.django_db
def test_every_row_of_the_former_register_is_created_or_rejected_with_a_reason() -> None:
    run = run_import(OscrImporter(), REMOVED)
    assert (run.read, run.created, run.rejected, run.removed) == (7, 3, 4, 0)
    assert accounted(run)
    assert {r["row"]: r["reason"] for r in run.rejections} == {
        4: "'230165' is not an OSCR charity number (SC + 6 digits)",
        5: "charity SC000009 has no name",
        6: "Registered Date: '31/02/2011' is not a date",
        7: "org-id GB-SC-SC000002 repeats row 2",
    }


@pytest.mark.django_db
def test_former_register_charities_are_removed_on_their_ceased_date() -> None:
    run_import(OscrImporter(), REMOVED)
    trust = Organisation.objects.get(org_id="GB-SC-SC000002")
    assert (trust.status, trust.date_removed, trust.date_registered) == (
        "removed",
        date(2012, 6, 2),
        date(1984, 10, 19),
    )
    assert set(Organisation.objects.values_list("status", flat=True)) == {"removed"}
    assert set(Organisation.objects.values_list("source", flat=True)) == {"oscr-removed"}
    assert trust.source_date == date(2020, 1, 1)  # from the export's file name


@pytest.mark.django_db
def test_it_stores_objectives_money_and_the_council_area() -> None:
    run_import(OscrImporter(), REMOVED)
    trust = Organisation.objects.get(org_id="GB-SC-SC000002")
    assert trust.objects_text.startswith("To provide a scholarship for post-graduate students")
    assert (trust.income, trust.spending, trust.financial_year_end) == (
        1416,
        1200,
        date(2008, 4, 5),
    )
    assert trust.local_authority == "City of Edinburgh"
    assert trust.area_of_operation == "A specific local point, community or neighbourhood"
    school = Organisation.objects.get(org_id="GB-SC-SC000007")
    assert (school.objects_text, school.income, school.local_authority) == ("", None, "")


@pytest.mark.django_db
def test_purposes_beneficiaries_and_activities_become_classifications() -> None:
    run_import(OscrImporter(), REMOVED)
    trust = Organisation.objects.get(org_id="GB-SC-SC000002")
    assert sorted(trust.classifications.values_list("scheme", "label")) == [
        ("oscr-activity", "It makes grants, donations, loans, gifts or pensions to individuals"),
        ("oscr-beneficiary", "Other defined groups"),
        ("oscr-purpose", "The advancement of education"),
        ("oscr-purpose", "The advancement of the arts, heritage, culture or science"),
    ]


@pytest.mark.django_db
def test_a_charity_working_outside_scotland_has_no_council_and_no_parent_id() -> None:
    run_import(OscrImporter(), REMOVED)
    friends = Organisation.objects.get(org_id="GB-SC-SC000011")
    assert friends.local_authority == ""
    assert friends.area_of_operation == "Overseas only; Outwith Scotland"
    assert friends.other_ids == []  # the parent charity is a relationship, not an identifier
    assert friends.objects_text == "To relieve poverty in Malawi, “by education”."
    assert friends.classifications.filter(scheme="oscr-activity").count() == 2


@pytest.mark.django_db
def test_importing_the_same_export_twice_changes_nothing() -> None:
    run_import(OscrImporter(), REMOVED)
    second = run_import(OscrImporter(), REMOVED)
    assert (second.created, second.updated, second.unchanged, second.removed) == (0, 0, 3, 0)


@pytest.mark.django_db
def test_the_current_register_is_its_own_source_and_keeps_contact_details() -> None:
    run = run_import(OscrImporter(), ACTIVE)
    assert (run.read, run.created, run.rejected) == (2, 2, 0)
    larder = Organisation.objects.get(org_id="GB-SC-SC040001")
    assert (larder.status, larder.source, larder.postcode, larder.website) == (
        "active",
        "oscr",
        "EH6 6QU",
        "http://www.leithlarder.example",
    )
    assert larder.address == "12 Great Junction Street, Edinburgh"


@pytest.mark.django_db
def test_importing_the_former_register_removes_no_current_charity() -> None:
    run_import(OscrImporter(), ACTIVE)
    run = run_import(OscrImporter(), REMOVED)
    assert run.removed == 0
    assert Organisation.objects.get(org_id="GB-SC-SC040001").status == "active"


@pytest.mark.django_db
def test_a_newer_export_updates_changed_rows_and_marks_vanished_ones_removed(
    tmp_path: Path,
) -> None:
    run_import(OscrImporter(), ACTIVE)
    lines = ACTIVE.read_text(encoding="utf-8").splitlines()
    newer = tmp_path / "CharityExport-01-Feb-2020.csv.gz"
    newer.write_bytes(gzip.compress(f"{lines[0]}\n{lines[1].replace('56000', '61000')}\n".encode()))
    run = run_import(OscrImporter(), newer)
    assert (run.read, run.updated, run.unchanged, run.removed) == (1, 1, 0, 1)
    assert Organisation.objects.get(org_id="GB-SC-SC040001").income == 61000
    shed = Organisation.objects.get(org_id="GB-SC-SC040002")
    assert (shed.status, shed.date_removed) == ("removed", timezone.localdate())


@pytest.mark.realdata
@pytest.mark.django_db
def test_the_2020_former_register_imports_25257_removed_charities() -> None:
    folder = settings.SHARED_DATA_DIR / "oscr-removed-2020"
    if not folder.exists():
        pytest.skip(f"{folder} not present")
    run = run_import(OscrImporter(), folder / "CharityExport-Removed-06-Jul-2020.csv.gz")
    assert (run.read, run.created, run.rejected) == (25_257, 25_257, 0)
    assert not Organisation.objects.exclude(status="removed").exists()
    assert Organisation.objects.filter(local_authority="City of Edinburgh").count() == 2_022
    assert Organisation.objects.exclude(income=None).count() == 8_774
    first = Organisation.objects.get(org_id="GB-SC-SC000002")
    assert first.name == "Miss Athene L W Munkman Trust"
    assert first.date_removed == date(2012, 6, 2)
    assert first.classifications.filter(scheme="oscr-purpose").count() == 2
