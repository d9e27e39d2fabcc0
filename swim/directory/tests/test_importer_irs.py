"""The IRS importer: the US Exempt Organizations Business Master File, one state at a time."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from swim.directory.importers import get_importer_class
from swim.directory.importers.base import Rejected
from swim.directory.importers.irs import IrsImporter
from swim.directory.importing import run_import
from swim.directory.models import ImportRun, Network, NetworkMembership, Organisation

DATA = Path(__file__).parent / "data" / "irs"
VERMONT = DATA / "eo_vt.csv"
NTEE = "major_group,major_group_name,code,name\nS,Community Improvement,S30,Economic Development\n"


def accounted(run: ImportRun) -> bool:
    return run.read == run.created + run.updated + run.unchanged + run.rejected


def test_it_is_registered_as_irs() -> None:
    assert get_importer_class("irs") is IrsImporter


def test_it_rejects_an_ein_that_is_not_nine_digits_with_a_reason() -> None:
    with pytest.raises(Rejected, match="EIN '12345678X' is not a number of nine digits"):
        IrsImporter().parse_row({"EIN": "12345678X", "NAME": "X"})


def test_each_state_file_is_its_own_source() -> None:
    assert IrsImporter().source_key(VERMONT) == "irs:VT"
    assert IrsImporter().source_key(Path("eo3.csv")) == "irs:region-3"
    assert IrsImporter(label="vermont 2020").source_key(VERMONT) == "irs:vermont 2020"


@pytest.mark.django_db
def test_every_row_is_created_or_rejected_with_a_reason() -> None:
    run = run_import(IrsImporter(), VERMONT)
    assert (run.read, run.created, run.rejected, run.removed) == (8, 4, 4, 0)
    assert accounted(run)
    assert {r["row"]: r["reason"] for r in run.rejections} == {
        5: "EIN '12345678X' is not a number of nine digits",
        6: "EIN 030000003 has no name",
        7: "EIN 030000004: '201913' is not a year and month (YYYYMM)",
        8: "org-id US-EIN-010180687 repeats row 2",
    }


@pytest.mark.django_db
def test_it_stores_name_address_zip_income_and_dates() -> None:
    run_import(IrsImporter(), VERMONT)
    windsor = Organisation.objects.get(org_id="US-EIN-010180687")
    assert windsor.name == "WINDSOR IMPROVEMENT CORPORATION"
    assert windsor.address == "PO BOX 455, WINDSOR, VT"  # not the person it is in care of
    assert (windsor.postcode, windsor.income, windsor.source) == ("05089", 99714, "irs:VT")
    assert (windsor.date_registered, windsor.financial_year_end) == (
        date(2002, 11, 1),
        date(2019, 6, 30),
    )
    friends = Organisation.objects.get(org_id="US-EIN-030000005")  # "30000005" in the file
    assert (friends.postcode, friends.name) == ("05602", "VERMONT BOTANICAL GARDEN FRIENDS")


@pytest.mark.django_db
def test_ntee_codes_become_classifications_labelled_by_code_without_a_list() -> None:
    run_import(IrsImporter(), VERMONT)
    windsor = Organisation.objects.get(org_id="US-EIN-010180687")
    assert list(windsor.classifications.values_list("scheme", "code", "label")) == [
        ("ntee", "S30", "S30")
    ]
    assert not Organisation.objects.get(org_id="US-EIN-030000002").classifications.exists()


@pytest.mark.django_db
def test_an_ntee_list_beside_the_file_names_the_codes(tmp_path: Path) -> None:
    shutil.copy(VERMONT, tmp_path / VERMONT.name)
    (tmp_path / "ntee.csv").write_text(NTEE)
    run_import(IrsImporter(), tmp_path / VERMONT.name)
    windsor = Organisation.objects.get(org_id="US-EIN-010180687")
    assert windsor.classifications.get().label == "Economic Development"


@pytest.mark.django_db
def test_a_group_exemption_makes_its_members_a_network() -> None:
    run_import(IrsImporter(), VERMONT)
    network = Network.objects.get()
    assert (network.name, network.kind, network.source) == (
        "IRS group exemption 0925",
        "irs-group",
        "irs",
    )
    members = NetworkMembership.objects.filter(network=network)
    assert sorted(members.values_list("organisation__name", "role")) == [
        ("AMERICAN LEGION (1 GREEN MTN INC)", "subordinate"),
        ("AMERICAN LEGION (50 DEPT OF VERMONT)", "subordinate"),
    ]


@pytest.mark.django_db
def test_importing_the_same_file_twice_changes_nothing() -> None:
    run_import(IrsImporter(), VERMONT)
    second = run_import(IrsImporter(), VERMONT)
    assert (second.created, second.updated, second.unchanged, second.removed) == (0, 0, 4, 0)
    assert NetworkMembership.objects.count() == 2


@pytest.mark.django_db
def test_a_newer_file_updates_changed_rows_and_marks_vanished_ones_removed(
    tmp_path: Path,
) -> None:
    run_import(IrsImporter(), VERMONT)
    lines = VERMONT.read_text().splitlines()
    newer = [lines[0], lines[1].replace("99714", "120000"), *lines[2:4]]  # 030000005 gone
    (tmp_path / VERMONT.name).write_text("\n".join(newer) + "\n")
    run = run_import(IrsImporter(), tmp_path / VERMONT.name)
    assert (run.read, run.updated, run.unchanged, run.removed) == (3, 1, 2, 1)
    assert Organisation.objects.get(org_id="US-EIN-010180687").income == 120000
    gone = Organisation.objects.get(org_id="US-EIN-030000005")
    assert (gone.status, gone.date_removed) == ("removed", timezone.localdate())


@pytest.mark.django_db
def test_importing_another_state_removes_nothing_from_the_first(tmp_path: Path) -> None:
    run_import(IrsImporter(), VERMONT)
    lines = VERMONT.read_text().splitlines()
    other = tmp_path / "eo_nh.csv"
    other.write_text(f"{lines[0]}\n{lines[1].replace('010180687', '020000001')}\n")
    run = run_import(IrsImporter(), other)
    assert (run.created, run.removed) == (1, 0)
    assert not Organisation.objects.filter(status="removed").exists()


@pytest.mark.realdata
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("state", "rows", "in_groups", "with_ntee"),
    [("vt", 6_208, 1_118, 4_082), ("nh", 8_806, 2_103, 5_412), ("ri", 8_503, 1_317, 4_569)],
)
def test_a_state_file_imports_every_organisation_and_its_group_memberships(
    state: str, rows: int, in_groups: int, with_ntee: int
) -> None:
    path = settings.SHARED_DATA_DIR / "us-irs-eo-bmf-2020" / f"eo_{state}.csv"
    if not path.exists():
        pytest.skip(f"{path} not present")
    run = run_import(IrsImporter(), path)
    assert (run.read, run.created, run.rejected) == (rows, rows, 0)
    assert NetworkMembership.objects.count() == in_groups
    assert Organisation.objects.filter(classifications__scheme="ntee").count() == with_ntee
    assert set(Organisation.objects.values_list("source", flat=True)) == {f"irs:{state.upper()}"}
