"""The import engine: every row accounted for, idempotent, atomic, vanished rows removed."""

from pathlib import Path

import pytest

from swim.directory.importers import get_importer_class
from swim.directory.importers.base import OrgRecord, Rejected
from swim.directory.importers.ccni import CcniImporter
from swim.directory.importing import ImportFailed, run_import
from swim.directory.models import Classification, ImportRun, Organisation
from swim.directory.postcodes import load_postcodes

DATA = Path(__file__).parent / "data"
CCNI = DATA / "ccni_small.csv"


def accounted(run: ImportRun) -> bool:
    return run.read == run.created + run.updated + run.unchanged + run.rejected


@pytest.mark.django_db
def test_every_row_is_created_or_rejected_with_its_row_number_and_reason() -> None:
    run = run_import(CcniImporter(), CCNI)
    assert (run.read, run.created, run.rejected) == (7, 3, 4)
    assert accounted(run)
    reasons = {r["row"]: r["reason"] for r in run.rejections}
    assert reasons == {
        5: "charity number '1000X7' is not a number",
        6: "the organisation has no name",
        7: "Date registered: '31/02/2015' is not a date",
        8: "org-id GB-NIC-100002 repeats row 2",
    }
    assert Path(run.report_file).read_text().splitlines()[0] == "row,kind,reason"


@pytest.mark.django_db
def test_it_stores_the_register_fields_and_classifications() -> None:
    run_import(CcniImporter(), CCNI)
    org = Organisation.objects.get(org_id="GB-NIC-100002")
    assert org.name == "Cancer Lifeline"
    assert org.postcode == "BT14 7PJ"
    assert org.address == "Cancer Lifeline, 44 Alliance Avenue, Belfast"
    assert org.income == 346770
    assert org.income_band == "medium"
    assert org.website == "http://www.cancerlifeline.info"
    assert str(org.financial_year_end) == "2019-03-31"
    labels = set(org.classifications.values_list("label", flat=True))
    assert (
        "The relief of those in need by reason of youth, age, ill-health, disability, "
        "financial hardship or other disadvantage" in labels
    )
    assert {"Carers", "General public", "Counselling/support"} <= labels
    assert Organisation.objects.get(org_id="GB-NIC-100005").status == "removed"
    assert Organisation.objects.get(org_id="GB-NIC-100004").other_ids == ["GB-COH-NI012345"]


@pytest.mark.django_db
def test_importing_the_same_file_twice_changes_nothing() -> None:
    run_import(CcniImporter(), CCNI)
    before = list(Organisation.objects.values_list("org_id", "updated_at").order_by("org_id"))
    second = run_import(CcniImporter(), CCNI)
    assert (second.created, second.updated, second.unchanged, second.removed) == (0, 0, 3, 0)
    assert accounted(second)
    after = list(Organisation.objects.values_list("org_id", "updated_at").order_by("org_id"))
    assert before == after
    assert Classification.objects.filter(scheme="ccni-who").count() == 3


@pytest.mark.django_db
def test_a_newer_file_updates_changed_rows_and_marks_vanished_ones_removed(
    tmp_path: Path,
) -> None:
    run_import(CcniImporter(), CCNI)
    lines = CCNI.read_text().splitlines()
    newer = [lines[0], lines[1].replace("346770", "400000"), lines[3]]  # 100004 vanished
    path = tmp_path / "newer.csv"
    path.write_text("\n".join(newer) + "\n")
    run = run_import(CcniImporter(), path)
    assert (run.read, run.updated, run.unchanged, run.removed) == (2, 1, 1, 1)
    assert Organisation.objects.get(org_id="GB-NIC-100002").income == 400000
    vanished = Organisation.objects.get(org_id="GB-NIC-100004")
    assert vanished.status == "removed"
    assert vanished.date_removed is not None


@pytest.mark.django_db
def test_a_sample_import_reads_the_first_rows_and_removes_nothing() -> None:
    run_import(CcniImporter(), CCNI)
    run = run_import(CcniImporter(), CCNI, sample=1)
    assert (run.read, run.unchanged, run.removed) == (1, 1, 0)


class ExplodingImporter(CcniImporter):
    name = "exploding"

    def parse_row(self, row: dict[str, str]) -> OrgRecord:
        if row["Reg charity number"] == "100005":
            raise RuntimeError("disk on fire")
        return super().parse_row(row)


@pytest.mark.django_db
def test_a_failure_part_way_leaves_the_database_as_it_was() -> None:
    with pytest.raises(ImportFailed, match="disk on fire"):
        run_import(ExplodingImporter(), CCNI)
    assert not Organisation.objects.exists()
    run = ImportRun.objects.get()
    assert run.status == "failed"
    assert "Nothing was saved" in run.error


@pytest.mark.django_db
def test_it_geocodes_from_the_most_precise_postcode_centroid() -> None:
    load_postcodes(DATA / "postcodes_small.csv")
    load_postcodes(DATA / "sectors_small.csv")
    load_postcodes(DATA / "districts_small.csv")
    run = run_import(CcniImporter(), CCNI)
    assert run.geocoded == 3
    unit = Organisation.objects.get(org_id="GB-NIC-100002")
    assert (unit.latitude, unit.longitude, unit.geocode_precision) == (54.6101, -5.9602, "unit")
    assert unit.local_authority_code == "N09000003"
    sector = Organisation.objects.get(org_id="GB-NIC-100005")  # BT28 1AA: sector only
    assert (sector.latitude, sector.geocode_precision) == (54.51, "sector")


@pytest.mark.django_db
def test_supplied_coordinates_are_kept(tmp_path: Path) -> None:
    class Supplied(CcniImporter):
        def parse_row(self, row: dict[str, str]) -> OrgRecord:
            record = super().parse_row(row)
            record.latitude, record.longitude = 54.0, -6.0
            return record

    load_postcodes(DATA / "postcodes_small.csv")
    run_import(Supplied(), CCNI)
    org = Organisation.objects.get(org_id="GB-NIC-100002")
    assert (org.latitude, org.geocode_precision) == (54.0, "supplied")


def test_an_unknown_source_names_the_choices() -> None:
    with pytest.raises(KeyError, match="choose from"):
        get_importer_class("nope")


def test_rejected_is_the_exception_parse_row_raises() -> None:
    with pytest.raises(Rejected):
        CcniImporter().parse_row({"Reg charity number": "abc"})


@pytest.mark.django_db
def test_an_organisation_updated_by_another_source_keeps_its_location(tmp_path: Path) -> None:
    load_postcodes(DATA / "postcodes_small.csv")
    run_import(CcniImporter(), CCNI)

    class OtherSource(CcniImporter):
        name = "other"

    run_import(OtherSource(), CCNI)
    org = Organisation.objects.get(org_id="GB-NIC-100002")
    assert (org.source, org.geocode_precision, org.latitude) == ("other", "unit", 54.6101)
