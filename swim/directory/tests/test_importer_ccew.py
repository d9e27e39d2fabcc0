"""The CCEW importer: the register extract as JSON or TXT, and CSV subsets of it."""

from __future__ import annotations

import gzip
import io
import json
import shutil
import zipfile
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from swim.directory.importers import get_importer_class
from swim.directory.importers.base import Rejected
from swim.directory.importers.ccew import CcewImporter, iter_json_array, sniff
from swim.directory.importing import ImportFailed, run_import
from swim.directory.models import ImportRun, Organisation

DATA = Path(__file__).parent / "data" / "ccew"
EXTRACT = DATA / "extract" / "publicextract.charity.json"
CLASSIFICATIONS = DATA / "extract" / "publicextract.charity_classification.json"
EXTRACT_TXT = DATA / "extract-txt" / "publicextract.charity.txt"
SUBSET = DATA / "charities_operating_in_trafford.csv"


def accounted(run: ImportRun) -> bool:
    return run.read == run.created + run.updated + run.unchanged + run.rejected


def reasons(run: ImportRun) -> dict[int, str]:
    return {r["row"]: r["reason"] for r in run.rejections}


def test_it_is_registered_as_ccew() -> None:
    assert get_importer_class("ccew") is CcewImporter


def test_it_tells_the_three_forms_apart_from_the_first_bytes() -> None:
    assert (sniff(EXTRACT), sniff(EXTRACT_TXT), sniff(SUBSET)) == ("json", "txt", "csv")


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=12,
)


@given(
    items=st.lists(JSON_VALUES, max_size=6),
    chunk_size=st.integers(min_value=1, max_value=40),
    indent=st.sampled_from([None, 1]),
)
def test_it_streams_any_json_array_as_json_loads_reads_it(
    items: list[object], chunk_size: int, indent: int | None
) -> None:
    text = json.dumps(items, indent=indent)
    streamed = list(iter_json_array(io.StringIO(text), chunk_size=chunk_size))
    assert streamed == json.loads(text)


def test_it_rejects_a_linked_charity_with_a_reason() -> None:
    row = {"registered_charity_number": "200001", "linked_charity_number": "3", "charity_name": "X"}
    with pytest.raises(Rejected, match=r"linked charity 200001-3 \(only main charities"):
        CcewImporter().parse_row(row)


@pytest.mark.django_db
def test_every_extract_row_is_created_or_rejected_with_a_reason() -> None:
    run = run_import(CcewImporter(), EXTRACT)
    assert (run.read, run.created, run.rejected, run.removed) == (7, 3, 4, 0)
    assert accounted(run)
    assert reasons(run) == {
        3: "linked charity 200001-1 (only main charities are kept)",
        5: "date_of_registration: '2015-02-31' is not a date",
        6: "charity 200004 has no name",
        7: "org-id GB-CHC-200001 repeats row 2",
    }


@pytest.mark.django_db
def test_it_stores_the_extract_fields() -> None:
    run_import(CcewImporter(), EXTRACT)
    org = Organisation.objects.get(org_id="GB-CHC-200001")
    assert org.name == "Altrincham Community Pantry"
    assert org.status == "active"
    assert org.source == "ccew"
    assert org.address == "The Old Chapel, 12 Market Street, Altrincham, Cheshire"
    assert org.postcode == "WA14 1AA"
    assert (org.income, org.spending, org.income_band) == (25000, 20000, "small")
    assert org.date_registered == date(2001, 4, 1)
    assert org.financial_year_end == date(2024, 3, 31)
    assert org.source_date == date(2024, 5, 1)
    assert org.website == "http://www.altpantry.example"
    assert org.email == "hello@altpantry.example"
    assert org.phone == "0161 000 0001"
    assert org.other_ids == ["GB-COH-01234567"]
    assert org.activities == "A food pantry and community cafe for families in Altrincham."
    carers = Organisation.objects.get(org_id="GB-CHC-200005")
    assert (carers.postcode, carers.email, carers.website, carers.other_ids) == (
        "M32 0FP",
        "",
        "",
        [],
    )
    assert carers.activities.endswith("Stretford. Monthly carers' café.")


@pytest.mark.django_db
def test_a_removed_charity_keeps_its_removal_date() -> None:
    run_import(CcewImporter(), EXTRACT)
    removed = Organisation.objects.get(org_id="GB-CHC-200002")
    assert (removed.status, removed.date_removed) == ("removed", date(2019, 6, 30))


@pytest.mark.django_db
def test_it_reads_what_who_how_codes_from_the_classification_table_beside_the_file() -> None:
    run_import(CcewImporter(), EXTRACT)
    pantry = Organisation.objects.get(org_id="GB-CHC-200001")
    assert sorted(pantry.classifications.values_list("scheme", "code", "label")) == [
        ("ccew-how", "306", "Provides Services"),
        ("ccew-what", "102", "Education Training"),
        ("ccew-what", "105", "The Prevention Or Relief Of Poverty"),
        ("ccew-who", "207", "The General Public Mankind"),
    ]  # the linked charity's code 302 is not the main charity's
    carers = Organisation.objects.get(org_id="GB-CHC-200005")
    assert list(carers.classifications.values_list("code", flat=True)) == ["206"]


@pytest.mark.django_db
def test_the_tab_separated_extract_gives_the_same_charities_as_the_json() -> None:
    fields = ["org_id", "name", "status", "date_registered", "date_removed", "address"]
    fields += ["postcode", "income", "spending", "financial_year_end", "activities", "website"]
    fields += ["email", "phone", "other_ids", "source_date"]
    run_import(CcewImporter(), EXTRACT)
    from_json = list(Organisation.objects.order_by("org_id").values(*fields))
    Organisation.objects.all().delete()
    run = run_import(CcewImporter(), EXTRACT_TXT)
    assert (run.read, run.created, run.rejected) == (8, 3, 5)
    assert reasons(run)[9] == "the row has 5 fields where the header has 34"
    assert list(Organisation.objects.order_by("org_id").values(*fields)) == from_json


@pytest.mark.django_db
def test_importing_the_same_extract_twice_changes_nothing() -> None:
    run_import(CcewImporter(), EXTRACT)
    second = run_import(CcewImporter(), EXTRACT)
    assert (second.created, second.updated, second.unchanged, second.removed) == (0, 0, 3, 0)
    assert accounted(second)


@pytest.mark.django_db
def test_a_newer_extract_updates_changed_charities_and_marks_vanished_ones_removed(
    tmp_path: Path,
) -> None:
    run_import(CcewImporter(), EXTRACT)
    rows = json.loads(EXTRACT.read_text(encoding="utf-8-sig"))
    rows[0]["latest_income"] = 31000
    newer = [row for row in rows if row["registered_charity_number"] != 200005]
    (tmp_path / EXTRACT.name).write_text(json.dumps(newer))
    shutil.copy(CLASSIFICATIONS, tmp_path / CLASSIFICATIONS.name)
    run = run_import(CcewImporter(), tmp_path / EXTRACT.name)
    assert (run.read, run.updated, run.unchanged, run.removed) == (6, 1, 1, 1)
    assert Organisation.objects.get(org_id="GB-CHC-200001").income == 31000
    vanished = Organisation.objects.get(org_id="GB-CHC-200005")
    assert (vanished.status, vanished.date_removed) == ("removed", timezone.localdate())


@pytest.mark.django_db
def test_it_streams_the_json_from_the_official_zip_and_reads_a_gzipped_txt(
    tmp_path: Path,
) -> None:
    archive = tmp_path / "publicextract.charity.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr("readme.txt", "Not the table.\n")
        out.write(EXTRACT, "publicextract.charity.json")
    run = run_import(CcewImporter(classifications=str(CLASSIFICATIONS)), archive)
    assert (run.read, run.created, run.rejected) == (7, 3, 4)
    pantry = Organisation.objects.get(org_id="GB-CHC-200001")
    assert pantry.classifications.count() == 4

    packed = tmp_path / "publicextract.charity.txt.gz"
    packed.write_bytes(gzip.compress(EXTRACT_TXT.read_bytes()))
    again = run_import(CcewImporter(), packed)
    assert (again.read, again.rejected) == (8, 5)


@pytest.mark.django_db
def test_every_subset_row_is_created_or_rejected_with_a_reason() -> None:
    run = run_import(CcewImporter(), SUBSET)
    assert (run.read, run.created, run.rejected) == (6, 2, 4)
    assert reasons(run) == {
        4: "date_of_registration: '2019-13-01' is not a date",
        5: "charity 1100003 has no name",
        6: "org-id GB-CHC-1100001 repeats row 3",
        7: "registered charity number '12X4' is not a number",
    }
    toys = Organisation.objects.get(org_id="GB-CHC-1100001")
    assert (toys.name, toys.postcode, toys.activities, toys.phone) == (
        "TIMPERLEY TOY LIBRARY",
        "WA15 0HF",  # typed with a letter O
        "",
        "",
    )
    trust = Organisation.objects.get(org_id="GB-CHC-214927")
    assert trust.address == "Bickley Hall Farm, Bickley Wood, Malpas"
    assert (
        trust.activities == 'Works for wildlife across the Cheshire region, "richer in wildlife".'
    )
    assert trust.other_ids == ["GB-COH-00738693"]


def test_a_subset_has_its_own_source_key_so_it_marks_no_register_charity_removed() -> None:
    assert CcewImporter().source_key(EXTRACT) == "ccew"
    assert CcewImporter().source_key(SUBSET) == "ccew:charities_operatin-a044a6"
    assert CcewImporter(label="trafford").source_key(SUBSET) == "ccew:trafford"


@pytest.mark.django_db
def test_importing_a_subset_after_the_extract_removes_nothing_from_the_extract() -> None:
    run_import(CcewImporter(), EXTRACT)
    run = run_import(CcewImporter(), SUBSET)
    assert run.removed == 0
    assert Organisation.objects.get(org_id="GB-CHC-200001").status == "active"


@pytest.mark.django_db
def test_a_file_that_is_not_a_ccew_register_fails_the_import(tmp_path: Path) -> None:
    other = tmp_path / "other.csv"
    other.write_text("Charity Number,Charity Name\nSC000001,Somewhere\n")
    with pytest.raises(ImportFailed, match="has no registered_charity_number column"):
        run_import(CcewImporter(), other)
    assert not Organisation.objects.exists()


@pytest.mark.realdata
@pytest.mark.django_db
def test_the_trafford_subset_imports_all_736_charities() -> None:
    path = settings.SHARED_DATA_DIR / "ccew-trafford-2023" / "charities_operating_in_trafford.csv"
    if not path.exists():
        pytest.skip(f"{path} not present")
    run = run_import(CcewImporter(), path)
    assert (run.read, run.created, run.rejected, run.removed) == (736, 736, 0, 0)
    assert Organisation.objects.filter(status="active").count() == 736
    wildlife = Organisation.objects.get(org_id="GB-CHC-214927")
    assert wildlife.name == "THE CHESHIRE WILDLIFE TRUST LIMITED"
    assert wildlife.other_ids == ["GB-COH-00738693"]
    assert Organisation.objects.filter(activities="").count() == 19  # NA in the file
    assert Organisation.objects.filter(postcode="WA15 0HF").exists()  # "WA15 OHF" mended
