"""The parents importer: ties between parent bodies and their members."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db.models import Q

from swim.directory.importers import get_importer_class
from swim.directory.importing import run_import
from swim.directory.models import ImportRun, Network, NetworkMembership, Organisation, Tie
from swim.testing import make_org

DATA = Path(__file__).parent / "data"
SCOUTS_EVIDENCE = "Parent body: The Scout Association (source: Federated Charities)"


@pytest.fixture(autouse=True)
def _var_dir(settings: Any, tmp_path: Path) -> None:
    settings.VAR_DIR = tmp_path  # rejection reports go here, not into the project's var/


def import_parents(path: Path = DATA / "parents.csv") -> ImportRun:
    return run_import(get_importer_class("parents")(), path)


@pytest.fixture
def orgs() -> None:
    make_org(org_id="GB-CHC-306101", name="The Scout Association", postcode="E4 7QW")
    make_org(org_id="GB-CHC-1000001", name="1st Stretford Scout Group", postcode="M32 0AA")
    make_org(org_id="GB-NIC-100500", name="Belfast Scouts", postcode="BT1 1AA")
    make_org(org_id="GB-CHC-1137001", name="Balliol College", postcode="OX1 3BJ")
    make_org(org_id="GB-CHC-1137002", name="Merton College", postcode="OX1 4JD")


def ties(kind: str) -> list[tuple[str, str, float, str, str]]:
    return sorted(
        (t.a.org_id, t.b.org_id, t.weight, t.source, t.evidence)
        for t in Tie.objects.filter(kind=kind)
    )


@pytest.mark.django_db
@pytest.mark.usefixtures("orgs")
def test_it_ties_each_member_to_its_parent_naming_parent_and_source() -> None:
    run = import_parents()

    assert (run.read, run.created, run.updated, run.unchanged, run.rejected) == (7, 4, 0, 1, 2)
    assert ties("parent") == [
        (
            "GB-CHC-306101",
            "GB-CHC-1000001",
            1.0,
            "parents",
            "Parent body: The Scout Association (source: Federated Charities; Scouting directory)",
        ),
        ("GB-CHC-306101", "GB-NIC-100500", 1.0, "parents", SCOUTS_EVIDENCE),
    ]


@pytest.mark.django_db
@pytest.mark.usefixtures("orgs")
def test_it_leaves_federation_networks_to_the_federations_importer() -> None:
    import_parents()

    assert not Network.objects.filter(name="The Scout Association").exists()
    assert list(Network.objects.values_list("name", flat=True)) == ["University of Oxford"]


@pytest.mark.django_db
@pytest.mark.usefixtures("orgs")
def test_it_makes_colleges_a_network_of_their_university_and_ties_neighbours() -> None:
    run = import_parents()

    network = Network.objects.get()
    assert (network.name, network.kind, network.source) == (
        "University of Oxford",
        "collegiate university",
        "parents",
    )
    assert sorted(
        NetworkMembership.objects.values_list("organisation__org_id", "role", "source")
    ) == [("GB-CHC-1137001", "member", "parents"), ("GB-CHC-1137002", "member", "parents")]
    assert ties("same_network") == [
        ("GB-CHC-1137001", "GB-CHC-1137002", 1.0, "parents", "Both in University of Oxford")
    ]
    assert run.options["same_network_ties"] == 1


@pytest.mark.django_db
@pytest.mark.usefixtures("orgs")
def test_it_rejects_unknown_members_and_self_parents() -> None:
    run = import_parents()

    assert sorted(run.rejections, key=lambda r: r["row"]) == [
        {"row": 6, "reason": "not in the directory: GB-CHC-1000009"},
        {"row": 7, "reason": "GB-CHC-306101 is listed as its own parent"},
    ]


@pytest.mark.django_db
@pytest.mark.usefixtures("orgs")
def test_a_second_import_of_the_same_file_changes_nothing() -> None:
    import_parents()
    before = ties("parent") + ties("same_network")
    again = import_parents()

    assert (again.read, again.created, again.updated, again.unchanged, again.rejected) == (
        7,
        0,
        0,
        5,
        2,
    )
    assert ties("parent") + ties("same_network") == before
    assert NetworkMembership.objects.count() == 2


@pytest.mark.realdata
@pytest.mark.django_db
def test_it_ties_every_northern_irish_member_to_its_national_parent() -> None:
    shared = Path(django_settings.SHARED_DATA_DIR)
    register = shared / "ccni-register-2020" / "ccni_register_2020-06-30_excluding_west.csv"
    parents = shared / "charity-lookups" / "parent-relationships.csv"
    if not register.is_file() or not parents.is_file():
        pytest.skip(f"{register} or {parents} not present")
    run_import(get_importer_class("ccni")(), register)
    with parents.open(encoding="utf-8") as rows:
        # The 36 national parent bodies (org_name_b names the parent: the file swaps names).
        bodies = {row["org_id_a"]: row["org_name_b"] for row in csv.DictReader(rows)}
    for org_id, name in bodies.items():
        make_org(org_id=org_id, name=name)

    run = import_parents(parents)

    assert len(bodies) == 36
    assert (run.read, run.created, run.updated, run.unchanged, run.rejected) == (
        28_303,
        371,
        0,
        0,
        27_932,
    )
    assert Tie.objects.filter(kind="parent").count() == 371
    scouts = Organisation.objects.get(org_id="GB-CHC-306101")
    assert Tie.objects.filter(Q(a=scouts) | Q(b=scouts), kind="parent").count() == 200
    assert not Network.objects.exists()  # the Oxbridge colleges are not in this directory
    assert all(r["reason"].startswith("not in the directory: GB-") for r in run.rejections)
