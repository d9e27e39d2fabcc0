"""Bad files and bad values: a clear message naming file, row and field; no partial import."""

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from swim.directory.importers.base import OrgRecord
from swim.directory.importers.ccni import CcniImporter
from swim.directory.importing import ImportFailed, run_import
from swim.directory.models import ImportRun, Organisation

HEADER = (
    "Reg charity number,Sub charity number,Charity name,Date registered,Status,"
    "Date for financial year ending,Total income,Total spending,Charitable spending,"
    "Income generation and governance,Retained for future use,Public address,Website,Email,"
    "Telephone,Company number,What the charity does,Who the charity helps,"
    "How the charity works,"
)


def ccni_file(tmp_path: Path, *rows: str, name: str = "register.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def row(
    number: str = "100002",
    name: str = "Cancer Lifeline",
    registered: str = "13/12/2013",
    income: str = "1000",
    address: str = "Belfast, BT14 7PJ",
) -> str:
    return (
        f"{number},0,{name},{registered},Up-to-date,31 March 2019,{income},0,0,0,0,"
        f'"{address}",,,,0,,,,'
    )


@pytest.mark.django_db
def test_a_file_without_the_registers_columns_fails_naming_them(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text("Group,Town\nA,B\n")
    with pytest.raises(ImportFailed) as failure:
        run_import(CcniImporter(), path)
    message = str(failure.value)
    assert "contacts.csv is not a Charity Commission for Northern Ireland register file" in message
    assert "'Reg charity number'" in message
    assert "its columns are Group, Town" in message
    assert not Organisation.objects.exists()
    assert ImportRun.objects.get().status == "failed"


@pytest.mark.django_db
def test_an_empty_file_fails_and_the_command_exits_non_zero(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(CommandError, match=r"empty\.csv is empty"):
        call_command("import_register", "--source", "ccni", str(path))


@pytest.mark.django_db
def test_a_file_whose_rows_are_all_rejected_exits_non_zero(tmp_path: Path) -> None:
    path = ccni_file(tmp_path, row(number="abc"), row(number="x1"))
    with pytest.raises(CommandError, match=r"Nothing could be imported from register\.csv: all 2"):
        call_command("import_register", "--source", "ccni", str(path), verbosity=0)


@pytest.mark.django_db
def test_a_truncated_file_rejects_its_cut_row(tmp_path: Path) -> None:
    path = ccni_file(tmp_path, row(), "100003,0,Half a row,01/01/2000")
    run = run_import(CcniImporter(), path)
    assert (run.created, run.rejected) == (1, 1)
    assert run.rejections[0]["row"] == 3
    assert run.rejections[0]["reason"].startswith("the row is cut short")


@pytest.mark.django_db
def test_a_cp1252_file_from_an_old_register_is_read(tmp_path: Path) -> None:
    path = tmp_path / "old.csv"
    path.write_bytes(
        ("\n".join([HEADER, row(name="Caf\xe9 Society \u2013 Belfast")]) + "\n").encode("cp1252")
    )
    run_import(CcniImporter(), path)
    assert Organisation.objects.get().name == "Café Society – Belfast"


@pytest.mark.django_db
def test_unreadable_values_reject_the_row_naming_the_column(tmp_path: Path) -> None:
    path = ccni_file(
        tmp_path,
        row(number="100003", income="lots"),
        row(number="100004", registered="31/02/2015"),
    )
    run = run_import(CcniImporter(), path)
    assert [r["reason"] for r in run.rejections] == [
        "Total income: 'lots' is not an amount of money",
        "Date registered: '31/02/2015' is not a date",
    ]
    assert not Organisation.objects.exists()


@pytest.mark.django_db
def test_impossible_values_are_dropped_with_a_warning_naming_the_field(tmp_path: Path) -> None:
    path = ccni_file(
        tmp_path,
        row(number="100001", income="-200"),
        row(number="100002", registered="01/01/2099"),
    )
    run = run_import(CcniImporter(), path)
    assert (run.created, run.rejected, run.warned) == (2, 0, 2)
    assert [w["reason"] for w in run.warnings] == [
        "income: £-200 is negative; imported without it",
        "date registered: 01 Jan 2099 is in the future; imported without it",
    ]
    assert Organisation.objects.get(org_id="GB-NIC-100001").income is None
    assert Organisation.objects.get(org_id="GB-NIC-100002").date_registered is None


@pytest.mark.django_db
def test_an_invalid_postcode_is_dropped_with_a_warning_and_the_row_kept(tmp_path: Path) -> None:
    path = ccni_file(tmp_path, row(address="1 High Street, BT99 XYZ"))
    run = run_import(CcniImporter(), path)
    assert (run.created, run.warned) == (1, 0)  # no postcode found at the end of the address
    bad = ccni_file(tmp_path, row(number="100005"), name="bad.csv")

    class Garbled(CcniImporter):
        def parse_row(self, raw: dict[str, str]) -> OrgRecord:
            record = super().parse_row(raw)
            record.postcode = "POOLE"
            return record

    run = run_import(Garbled(), bad)
    assert (run.created, run.warned) == (1, 1)
    assert run.warnings == [
        {"row": 2, "reason": "postcode: 'POOLE' is not a valid postcode; imported without it"}
    ]
    assert Organisation.objects.get(org_id="GB-NIC-100005").postcode == ""
    assert "row,kind,reason" in Path(run.report_file).read_text()
