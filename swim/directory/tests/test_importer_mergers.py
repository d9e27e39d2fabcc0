"""The mergers importer: the Charity Commission's Register of Mergers as merger ties."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db.models import Q

from swim.directory.importers import get_importer_class
from swim.directory.importing import run_import
from swim.directory.models import ImportRun, Organisation, Tie
from swim.testing import make_org

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def _var_dir(settings: Any, tmp_path: Path) -> None:
    settings.VAR_DIR = tmp_path  # rejection reports go here, not into the project's var/


def import_mergers(path: Path = DATA / "mergers.csv") -> ImportRun:
    return run_import(get_importer_class("mergers")(), path)


@pytest.fixture
def charities() -> None:
    for number in (216355, 1096364, 210203, 210202, 298405, 272040, 1146192, 1133002):
        make_org(org_id=f"GB-CHC-{number}")


def merger_ties() -> list[tuple[set[str], float, str, str]]:
    return [
        ({t.a.org_id, t.b.org_id}, t.weight, t.source, t.evidence)
        for t in Tie.objects.filter(kind="merger").order_by("a__org_id")
    ]


@pytest.mark.django_db
@pytest.mark.usefixtures("charities")
def test_it_ties_the_transferor_to_the_transferee_with_the_date() -> None:
    run = import_mergers()

    assert (run.read, run.created, run.updated, run.unchanged, run.rejected) == (7, 3, 0, 1, 3)
    assert merger_ties() == [
        (
            {"GB-CHC-210203", "GB-CHC-210202"},
            1.0,
            "mergers",
            "Comrades Fund transferred to Regimental Fund on 2008-01-01 and 2009-05-01 "
            "(CCEW Register of Mergers)",
        ),
        (
            {"GB-CHC-216355", "GB-CHC-1096364"},
            1.0,
            "mergers",
            "Old Hall Trust transferred to New Hall Trust on 2003-01-01 (CCEW Register of Mergers)",
        ),
        (
            {"GB-CHC-272040", "GB-CHC-1146192"},
            1.0,
            "mergers",
            "The Noise Abatement Society transferred to The Noise Abatement Society "
            "on 2015-07-29 (CCEW Register of Mergers)",
        ),
    ]


@pytest.mark.django_db
@pytest.mark.usefixtures("charities")
def test_it_rejects_unregistered_sides_own_linked_charities_and_unknown_charities() -> None:
    run = import_mergers()

    assert sorted(run.rejections, key=lambda r: r["row"]) == [
        {
            "row": 5,
            "reason": "the transferor (Old Comrades Association (unregistered)) "
            "is not a registered charity",
        },
        {
            "row": 6,
            "reason": "a linked charity of GB-CHC-298405 merged into its own main charity "
            "(nothing to tie)",
        },
        {"row": 8, "reason": "not in the directory: GB-CHC-9999999"},
    ]


@pytest.mark.django_db
@pytest.mark.usefixtures("charities")
def test_a_second_import_of_the_same_file_changes_nothing() -> None:
    import_mergers()
    before = merger_ties()
    again = import_mergers()

    assert (again.read, again.created, again.updated, again.unchanged, again.rejected) == (
        7,
        0,
        0,
        4,
        3,
    )
    assert merger_ties() == before


@pytest.mark.realdata
@pytest.mark.django_db
def test_it_ties_every_registered_merger_pair_of_the_real_register() -> None:
    path = (
        Path(django_settings.SHARED_DATA_DIR) / "charity-lookups" / "ccew-register-of-mergers.csv"
    )
    if not path.is_file():
        pytest.skip(f"{path} not present")
    with path.open(encoding="utf-8") as rows:
        names = {
            row[f"org_id_{side}"]: row[f"org_name_{side}"]
            for row in csv.DictReader(rows)
            for side in "ab"
            if row[f"org_id_{side}"]
        }
    # No England & Wales register is imported here: the directory gets every registered
    # charity the Register of Mergers names, so every rejection is the file's own doing.
    Organisation.objects.bulk_create(
        Organisation(org_id=org_id, name=name or org_id, source="test")
        for org_id, name in names.items()
    )

    run = import_mergers(path)

    assert len(names) == 8_469
    assert (run.read, run.created, run.updated, run.unchanged, run.rejected) == (
        5_902,
        5_096,
        0,
        90,
        716,
    )
    reasons = [r["reason"] for r in run.rejections]
    assert sum("is not a registered charity" in r for r in reasons) == 475
    assert sum("into its own main charity" in r for r in reasons) == 241
    assert Tie.objects.filter(kind="merger").count() == 5_096
    # The Kingdom Hall Trust took in 1,279 congregations of Jehovah's Witnesses (2020-22).
    hub = Organisation.objects.get(org_id="GB-CHC-275946")
    assert Tie.objects.filter(Q(a=hub) | Q(b=hub), kind="merger").count() == 1_279
