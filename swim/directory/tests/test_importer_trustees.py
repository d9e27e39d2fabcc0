"""The trustees importer: charities that share trustees, weighted by how many."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

from swim.directory.importers import get_importer_class
from swim.directory.importing import run_import
from swim.directory.models import ImportRun, Organisation, Tie
from swim.testing import make_org

DATA = Path(__file__).parent / "data"
TRUSTEE_IDS = [f"aaaa00000000000{n}" for n in range(1, 6)]


@pytest.fixture(autouse=True)
def _var_dir(settings: Any, tmp_path: Path) -> None:
    settings.VAR_DIR = tmp_path  # rejection reports go here, not into the project's var/


def import_trustees(path: Path = DATA / "trustees.csv") -> ImportRun:
    return run_import(get_importer_class("trustees")(), path)


@pytest.fixture
def charities() -> None:
    make_org(org_id="GB-CHC-200001", name="Alpha Trust")
    make_org(org_id="GB-CHC-200002", name="Beta Trust")
    make_org(org_id="GB-CHC-200003", name="Gamma Trust")


def trustee_ties() -> list[tuple[str, str, float, str, str]]:
    return [
        (t.a.org_id, t.b.org_id, t.weight, t.source, t.evidence)
        for t in Tie.objects.filter(kind="shared_trustee").order_by("a__org_id", "b__org_id")
    ]


@pytest.mark.django_db
@pytest.mark.usefixtures("charities")
def test_it_ties_two_charities_that_share_a_trustee() -> None:
    run = import_trustees()

    assert (run.read, run.created, run.updated, run.unchanged, run.rejected) == (4, 2, 0, 0, 2)
    assert trustee_ties() == [
        (
            "GB-CHC-200001",
            "GB-CHC-200002",
            2.0,
            "trustees",
            "2 shared trustees (CCEW register, 2018)",
        ),
        (
            "GB-CHC-200001",
            "GB-CHC-200003",
            1.0,
            "trustees",
            "1 shared trustee (CCEW register, 2018)",
        ),
    ]


@pytest.mark.django_db
@pytest.mark.usefixtures("charities")
def test_it_weighs_a_tie_by_distinct_trustees_counting_each_once() -> None:
    """Alpha and Beta list each other for one trustee and Beta lists Alpha twice for another."""
    import_trustees()

    tie = Tie.objects.get(a__org_id="GB-CHC-200001", b__org_id="GB-CHC-200002")
    assert tie.weight == 2.0


@pytest.mark.django_db
@pytest.mark.usefixtures("charities")
def test_it_skips_self_links_and_linked_charities() -> None:
    """Gamma lists itself and a linked charity (sub number 1) of Beta: neither is a tie."""
    import_trustees()

    assert not Tie.objects.filter(a__org_id="GB-CHC-200002", b__org_id="GB-CHC-200003").exists()
    assert Tie.objects.filter(b__org_id="GB-CHC-200003").count() == 1  # only Alpha (by name)


@pytest.mark.django_db
@pytest.mark.usefixtures("charities")
def test_it_rejects_unknown_charities_and_unusable_lines_by_line() -> None:
    run = import_trustees()

    assert sorted(run.rejections, key=lambda r: r["row"]) == [
        {"row": 2, "reason": "line 8: charity number '20000X' is not a number"},
        {"row": 4, "reason": "not in the directory: GB-CHC-300001"},
    ]


@pytest.mark.django_db
@pytest.mark.usefixtures("charities")
def test_it_never_stores_or_reports_a_trustee() -> None:
    run = import_trustees()

    stored = [t.evidence for t in Tie.objects.all()] + [r["reason"] for r in run.rejections]
    report = Path(run.report_file).read_text()
    for trustee_id in TRUSTEE_IDS:
        assert all(trustee_id not in text for text in stored)
        assert trustee_id not in report


@pytest.mark.django_db
@pytest.mark.usefixtures("charities")
def test_a_second_import_of_the_same_file_changes_nothing() -> None:
    import_trustees()
    before = trustee_ties()
    again = import_trustees()

    assert (again.read, again.created, again.updated, again.unchanged, again.rejected) == (
        4,
        0,
        0,
        2,
        2,
    )
    assert trustee_ties() == before


@pytest.mark.django_db
@pytest.mark.usefixtures("charities")
def test_it_updates_the_weight_when_a_trustee_leaves(tmp_path: Path) -> None:
    import_trustees()
    lines = (DATA / "trustees.csv").read_text().splitlines(keepends=True)
    smaller = tmp_path / "trustees-later.csv"
    smaller.write_text("".join(line for line in lines if "aaaa000000000002" not in line))

    run = import_trustees(smaller)

    assert (run.read, run.created, run.updated, run.unchanged, run.rejected) == (4, 0, 1, 1, 2)
    tie = Tie.objects.get(a__org_id="GB-CHC-200001", b__org_id="GB-CHC-200002")
    assert (tie.weight, tie.evidence) == (1.0, "1 shared trustee (CCEW register, 2018)")


@pytest.mark.realdata
@pytest.mark.django_db
def test_it_ties_the_real_charities_that_share_trustees() -> None:
    path = (
        Path(django_settings.SHARED_DATA_DIR)
        / "ccew-trustees-2018"
        / "trustees_2018_pseudonymised.csv"
    )
    if not path.is_file():
        pytest.skip(f"{path} not present")
    with path.open(encoding="utf-8") as rows:
        names = {row["charity_number"]: row["charity_name"] for row in csv.DictReader(rows)}
    # The directory holds the 999 charities whose boards were scraped, not the 1,755 other
    # charities their trustees also serve: ties to those are rejected as not in the directory.
    Organisation.objects.bulk_create(
        Organisation(org_id=f"GB-CHC-{number}", name=name, source="test")
        for number, name in names.items()
    )

    run = import_trustees(path)

    assert len(names) == 999
    assert (run.read, run.created, run.updated, run.unchanged, run.rejected) == (
        2_232,
        143,
        0,
        0,
        2_089,
    )
    weights = list(Tie.objects.filter(kind="shared_trustee").values_list("weight", flat=True))
    assert len(weights) == 143
    assert sum(w >= 2 for w in weights) == 82
    assert max(weights) == 14.0
