"""The CSV importer: lists of local community groups with a column mapping or guessed headers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from swim.directory.importers import get_importer_class
from swim.directory.importers.base import Rejected
from swim.directory.importers.csv_groups import CsvGroupsImporter
from swim.directory.importing import ImportFailed, run_import
from swim.directory.models import ImportRun, Organisation

DATA = Path(__file__).parent / "data" / "csv_groups"
GROUPS = DATA / "trafford-groups.csv"
FORUM = DATA / "forum-members.csv"
FORUM_MAPPING = DATA / "forum-members.mapping"
PARK = "XI-SWIM-friends-of-longford-park-m32-8da"


def accounted(run: ImportRun) -> bool:
    return run.read == run.created + run.updated + run.unchanged + run.rejected


def test_it_is_registered_as_csv() -> None:
    assert get_importer_class("csv") is CsvGroupsImporter


def test_it_rejects_a_row_with_no_name_with_a_reason() -> None:
    with pytest.raises(Rejected, match="the row has no name"):
        CsvGroupsImporter().parse_row({"name": " ", "postcode": "M41 0AA"})


def test_each_list_is_its_own_source() -> None:
    assert CsvGroupsImporter().source_key(GROUPS) == "csv:trafford-groups"
    assert CsvGroupsImporter(label="Forum 2024").source_key(GROUPS) == "csv:Forum 2024"


@pytest.mark.django_db
def test_every_row_is_created_or_rejected_with_a_reason() -> None:
    run = run_import(CsvGroupsImporter(), GROUPS)
    assert (run.read, run.created, run.rejected, run.removed) == (7, 3, 4, 0)
    assert accounted(run)
    assert {r["row"]: r["reason"] for r in run.rejections} == {
        4: "the row has no name",
        6: f"org-id {PARK} repeats row 2",  # the same name in capitals, same postcode
        7: "coordinate 91.5 is out of range",
        8: "longitude: 'abc' is not a number",
    }
    assert set(Organisation.objects.values_list("source", flat=True)) == {"csv:trafford-groups"}


@pytest.mark.django_db
def test_it_guesses_common_headers_whatever_their_case() -> None:
    run_import(CsvGroupsImporter(), GROUPS)
    park = Organisation.objects.get(org_id=PARK)
    assert (park.name, park.postcode, park.activities) == (
        "Friends of Longford Park",
        "M32 8DA",
        "Park volunteering and events",
    )
    assert (park.website, park.email, park.phone) == (
        "http://longfordpark.example",
        "friends@longford.example",
        "0161 000 1000",
    )
    assert (park.latitude, park.longitude, park.geocode_precision) == (53.4501, -2.2989, "supplied")
    assert park.local_authority == "Trafford"
    hub = Organisation.objects.get(org_id="XI-SWIM-stretford-food-hub-m32-0aa")
    assert (hub.local_authority_code, hub.local_authority, hub.email, hub.website) == (
        "E08000009",
        "",
        "",
        "",
    )


@pytest.mark.django_db
def test_a_mapping_file_reads_odd_headers_semicolons_and_a_windows_encoding() -> None:
    run = run_import(CsvGroupsImporter(mapping=str(FORUM_MAPPING)), FORUM)
    assert (run.read, run.created, run.rejected) == (2, 2, 0)
    toys = Organisation.objects.get(org_id="GB-CHC-1100001")
    assert (toys.name, toys.postcode, toys.address, toys.phone, toys.income) == (
        "Timperley Toy Library",
        "WA15 0HF",
        "Timperley Village Hall",
        "0161 000 2000",
        12500,  # "£12,500" in Windows-1252
    )
    assert Organisation.objects.filter(
        org_id="XI-SWIM-hale-barns-gardening-club-wa15-8aa", name="Hale Barns Gardening Club"
    ).exists()


@pytest.mark.django_db
def test_map_strings_alone_read_only_the_mapped_columns() -> None:
    importer = CsvGroupsImporter(map=["name=organisation title", "postcode=AREA"])
    run = run_import(importer, FORUM)
    assert run.created == 2
    toys = Organisation.objects.get(org_id="XI-SWIM-timperley-toy-library-wa15-0hf")
    assert (toys.postcode, toys.phone, toys.income) == ("WA15 0HF", "", None)


@pytest.mark.django_db
def test_a_mapping_naming_a_missing_column_fails_the_whole_import_naming_it() -> None:
    importer = CsvGroupsImporter(mapping=str(FORUM_MAPPING), map=["email=Contact Email"])
    with pytest.raises(ImportFailed, match="the column 'Contact Email' \\(for email\\)"):
        run_import(importer, FORUM)
    assert not Organisation.objects.exists()
    run = ImportRun.objects.get()
    assert run.status == "failed"
    assert "is not in forum-members.csv" in run.error


@pytest.mark.django_db
def test_a_file_with_no_name_column_and_no_mapping_fails_with_a_hint() -> None:
    with pytest.raises(ImportFailed, match="map one with name=COLUMN"):
        run_import(CsvGroupsImporter(), FORUM)


@pytest.mark.django_db
def test_a_mapping_naming_an_unknown_field_fails_the_import() -> None:
    with pytest.raises(ImportFailed, match="--map line 1: unknown field 'colour'"):
        run_import(CsvGroupsImporter(map=["colour=Area"]), FORUM)


@pytest.mark.django_db
def test_importing_the_same_list_twice_changes_nothing() -> None:
    run_import(CsvGroupsImporter(), GROUPS)
    second = run_import(CsvGroupsImporter(), GROUPS)
    assert (second.created, second.updated, second.unchanged, second.removed) == (0, 0, 3, 0)


@pytest.mark.django_db
def test_a_newer_list_updates_changed_groups_and_marks_vanished_ones_removed(
    tmp_path: Path,
) -> None:
    run_import(CsvGroupsImporter(), GROUPS)
    lines = GROUPS.read_text().splitlines()
    newer = [
        lines[0],
        lines[1].replace("Park volunteering", "Park volunteering and walks"),
        lines[2],
    ]
    (tmp_path / GROUPS.name).write_text("\n".join(newer) + "\n")  # the knitting group is gone
    run = run_import(CsvGroupsImporter(), tmp_path / GROUPS.name)
    assert (run.read, run.updated, run.unchanged, run.removed) == (2, 1, 1, 1)
    assert Organisation.objects.get(org_id=PARK).activities.startswith(
        "Park volunteering and walks"
    )
    knitters = Organisation.objects.get(org_id="XI-SWIM-urmston-knit-and-natter-m41-9ab")
    assert (knitters.status, knitters.date_removed) == ("removed", timezone.localdate())


@pytest.mark.django_db
def test_importing_another_list_marks_none_of_the_first_lists_groups_removed(
    tmp_path: Path,
) -> None:
    run_import(CsvGroupsImporter(), GROUPS)
    shutil.copy(FORUM, tmp_path / "forum.csv")
    run = run_import(CsvGroupsImporter(mapping=str(FORUM_MAPPING)), tmp_path / "forum.csv")
    assert (run.created, run.removed) == (2, 0)
    assert not Organisation.objects.filter(status="removed").exists()


@pytest.mark.realdata
@pytest.mark.django_db
def test_a_real_list_read_through_a_mapping_keeps_all_but_one_repeated_name() -> None:
    path = settings.SHARED_DATA_DIR / "ccew-trafford-2023" / "charities_operating_in_trafford.csv"
    if not path.exists():
        pytest.skip(f"{path} not present")
    mapping = ["name=charity_name", "postcode=charity_contact_postcode"]
    mapping += ["address=charity_contact_address", "activities=charity_activities"]
    mapping += ["website=charity_contact_web", "email=charity_contact_email"]
    run = run_import(CsvGroupsImporter(map=mapping, label="trafford"), path)
    assert (run.read, run.created, run.rejected) == (736, 735, 1)
    # Urmston Musical Theatre is registered twice (a trust and a CIO) at one postcode.
    assert "XI-SWIM-urmston-musical-theatre-m33-4rg repeats" in run.rejections[0]["reason"]
    assert set(Organisation.objects.values_list("source", flat=True)) == {"csv:trafford"}
    assert not Organisation.objects.exclude(org_id__startswith="XI-SWIM-").exists()
