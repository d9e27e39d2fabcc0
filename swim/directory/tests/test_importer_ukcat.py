"""The UK-CAT importer: hand-tagged charities from all three UK registers."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings

from swim.directory.importers import get_importer_class
from swim.directory.importers.base import Rejected
from swim.directory.importers.ukcat import UkcatImporter
from swim.directory.importing import run_import
from swim.directory.models import Classification, ImportRun, Organisation

DATA = Path(__file__).parent / "data" / "ukcat"
SAMPLE = DATA / "sample.csv"


def accounted(run: ImportRun) -> bool:
    return run.read == run.created + run.updated + run.unchanged + run.rejected


def tags(org_id: str) -> list[tuple[str, str, str]]:
    org = Organisation.objects.get(org_id=org_id)
    return sorted(org.classifications.values_list("scheme", "code", "label"))


def test_it_is_registered_as_ukcat() -> None:
    assert get_importer_class("ukcat") is UkcatImporter


def test_it_rejects_a_row_without_an_org_id_with_a_reason() -> None:
    with pytest.raises(Rejected, match="'1000117' is not an org-id"):
        UkcatImporter().parse_row({"org_id": "1000117", "name": "A chapel"})


@pytest.mark.django_db
def test_every_row_is_created_or_rejected_with_a_reason() -> None:
    run = run_import(UkcatImporter(), SAMPLE)
    assert (run.read, run.created, run.rejected, run.removed) == (7, 3, 4, 0)
    assert accounted(run)
    assert {r["row"]: r["reason"] for r in run.rejections} == {
        5: "GB-CHC-1000116 has no name",
        6: "'1000117' is not an org-id",
        7: "date_registered: '1990-02-30' is not a date",
        8: "org-id GB-CHC-1000003 repeats row 2",
    }
    assert set(Organisation.objects.values_list("source", flat=True)) == {"ukcat"}


@pytest.mark.django_db
def test_it_keeps_the_org_ids_of_all_three_registers_and_their_fields() -> None:
    run_import(UkcatImporter(), SAMPLE)
    assert sorted(Organisation.objects.values_list("org_id", flat=True)) == [
        "GB-CHC-1000003",
        "GB-NIC-100002",
        "GB-SC-SC012345",
    ]
    centre = Organisation.objects.get(org_id="GB-CHC-1000003")
    assert (centre.income, centre.spending, centre.financial_year_end) == (
        75186,
        86065,
        date(2019, 10, 31),
    )
    assert centre.date_registered == date(1990, 8, 2)
    assert centre.activities.startswith("To advance education about Southern African art")
    assert centre.objects_text == "1) TO ADVANCE THE EDUCATION OF THE PUBLIC"
    garden = Organisation.objects.get(org_id="GB-SC-SC012345")
    assert (garden.postcode, garden.website, garden.other_ids) == (
        "EH15 1AB",
        "http://www.portygarden.example",
        ["GB-COH-SC123456"],
    )


@pytest.mark.django_db
def test_an_inactive_charity_is_removed_and_a_town_in_the_postcode_column_is_its_address() -> None:
    run_import(UkcatImporter(), SAMPLE)
    lifeline = Organisation.objects.get(org_id="GB-NIC-100002")
    assert (lifeline.status, lifeline.postcode, lifeline.address) == ("removed", "", "POOLE")
    assert lifeline.other_ids == ["GB-COH-01234567"]  # "1234567.0" in the file
    assert lifeline.income is None


@pytest.mark.django_db
def test_hand_made_tags_become_classifications_labelled_from_the_lists_beside_the_file() -> None:
    run_import(UkcatImporter(), SAMPLE)
    assert tags("GB-CHC-1000003") == [
        ("icnptso", "G20", "Political activities"),
        ("ukcat", "CA103", "Policy campaigning and advocacy"),
        ("ukcat", "ED101", "Adult education"),
    ]
    assert tags("GB-SC-SC012345") == [  # EN102 is listed twice in the file
        ("icnptso", "E11", "Land or water management activities"),
        ("ukcat", "EN102", "Conservation and sustainability"),
        ("ukcat", "HR105", "Museum"),
    ]
    assert tags("GB-NIC-100002") == [("icnptso", "I10", "Religious congregations")]


@pytest.mark.django_db
def test_without_the_code_lists_beside_the_file_the_label_is_the_code(tmp_path: Path) -> None:
    shutil.copy(SAMPLE, tmp_path / "sample.csv")
    run_import(UkcatImporter(), tmp_path / "sample.csv")
    assert ("ukcat", "ED101", "ED101") in tags("GB-CHC-1000003")
    assert Classification.objects.get(scheme="icnptso", code="G20").label == "G20"


@pytest.mark.django_db
def test_importing_the_same_sample_twice_changes_nothing() -> None:
    run_import(UkcatImporter(), SAMPLE)
    second = run_import(UkcatImporter(), SAMPLE)
    assert (second.created, second.updated, second.unchanged, second.removed) == (0, 0, 3, 0)


@pytest.mark.django_db
def test_a_changed_row_is_updated_and_a_charity_missing_from_a_later_sample_stays_active(
    tmp_path: Path,
) -> None:
    run_import(UkcatImporter(), SAMPLE)
    for name in ("ukcat.csv", "icnptso.csv"):
        shutil.copy(DATA / name, tmp_path / name)
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    newer = [lines[0], lines[1].replace("ED101;CA103", "ED101"), lines[2]]  # NI charity gone
    (tmp_path / "top2000.csv").write_text("\n".join(newer) + "\n", encoding="utf-8")
    run = run_import(UkcatImporter(), tmp_path / "top2000.csv")
    assert (run.read, run.updated, run.unchanged, run.removed) == (2, 1, 1, 0)
    assert [code for _, code, _ in tags("GB-CHC-1000003")] == ["G20", "ED101"]
    assert Organisation.objects.get(org_id="GB-NIC-100002").status == "removed"  # as it was
    assert Organisation.objects.get(org_id="GB-SC-SC012345").status == "active"


@pytest.mark.realdata
@pytest.mark.django_db
def test_the_ukcat_sample_imports_4179_rows_of_which_99_repeat_a_charity() -> None:
    folder = settings.SHARED_DATA_DIR / "ukcat-sample"
    if not folder.exists():
        pytest.skip(f"{folder} not present")
    run = run_import(UkcatImporter(), folder / "sample.csv")
    assert (run.read, run.created, run.rejected) == (4_179, 4_080, 99)
    assert all("repeats row" in r["reason"] for r in run.rejections)
    by_register = {
        prefix: Organisation.objects.filter(org_id__startswith=prefix).count()
        for prefix in ("GB-CHC-", "GB-SC-", "GB-NIC-")
    }
    assert by_register == {"GB-CHC-": 3_409, "GB-SC-": 550, "GB-NIC-": 121}
    assert Classification.objects.get(scheme="ukcat", code="ED101").label == "Adult education"
    assert Classification.objects.filter(scheme="icnptso").count() == 84


@pytest.mark.realdata
@pytest.mark.django_db
def test_the_ukcat_top_charities_import_with_eight_nameless_rows_rejected() -> None:
    folder = settings.SHARED_DATA_DIR / "ukcat-sample"
    if not folder.exists():
        pytest.skip(f"{folder} not present")
    run = run_import(UkcatImporter(), folder / "top2000.csv")
    assert (run.read, run.created, run.rejected) == (2_462, 2_454, 8)
    assert all(r["reason"].endswith("has no name") for r in run.rejections)
    assert Organisation.objects.filter(status="removed").count() == 71
