"""The federations importer: members of national networks, and ties between neighbours."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

from swim.directory.importers import get_importer_class
from swim.directory.importing import run_import
from swim.directory.models import ImportRun, Network, NetworkMembership, Tie
from swim.testing import make_org

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def _var_dir(settings: Any, tmp_path: Path) -> None:
    settings.VAR_DIR = tmp_path  # rejection reports go here, not into the project's var/


def import_federations(path: Path = DATA / "federations.csv") -> ImportRun:
    return run_import(get_importer_class("federations")(), path)


@pytest.fixture
def members() -> None:
    make_org(org_id="GB-CHC-1000001", name="1st Stretford Scout Group", postcode="M32 0AA")
    make_org(org_id="GB-CHC-1000002", name="2nd Stretford Scout Group", postcode="M32 9ZZ")
    make_org(org_id="GB-SC-SC007584", name="1st Leith Scout Group", postcode="EH6 4AA")
    make_org(org_id="GB-NIC-106288", name="Belfast Girlguiding", postcode="BT1 1AA")


def members_of(slug: str) -> list[str]:
    return sorted(
        NetworkMembership.objects.filter(network__slug=slug).values_list(
            "organisation__org_id", flat=True
        )
    )


@pytest.mark.django_db
@pytest.mark.usefixtures("members")
def test_it_makes_each_listed_charity_a_member_of_its_federation() -> None:
    run = import_federations()

    assert (run.read, run.created, run.updated, run.unchanged, run.rejected) == (8, 5, 0, 0, 3)
    assert members_of("scouts") == ["GB-CHC-1000001", "GB-CHC-1000002", "GB-SC-SC007584"]
    assert members_of("girlguiding") == ["GB-CHC-1000001", "GB-NIC-106288"]
    network = Network.objects.get(slug="scouts")
    assert (network.name, network.kind, network.source) == ("Scouts", "federation", "federations")
    assert set(NetworkMembership.objects.values_list("role", "source")) == {
        ("member", "federations")
    }


@pytest.mark.django_db
@pytest.mark.usefixtures("members")
def test_it_ties_members_of_a_federation_in_the_same_postcode_district() -> None:
    run = import_federations()

    ties = Tie.objects.all()
    assert [(t.a.org_id, t.b.org_id, t.kind, t.evidence) for t in ties] == [
        ("GB-CHC-1000001", "GB-CHC-1000002", "same_network", "Both in Scouts")
    ]
    assert run.options["same_network_ties"] == 1


@pytest.mark.django_db
@pytest.mark.usefixtures("members")
def test_it_rejects_rows_naming_a_charity_not_in_the_directory_or_no_usable_number() -> None:
    run = import_federations()

    assert sorted(run.rejections, key=lambda r: r["row"]) == [
        {"row": 7, "reason": "not in the directory: GB-CHC-9999999"},
        {"row": 8, "reason": "'XN12345' is not a charity number of a UK register"},
        {"row": 9, "reason": "the row names no federation (empty type)"},
    ]


@pytest.mark.django_db
@pytest.mark.usefixtures("members")
def test_a_second_import_of_the_same_file_changes_nothing() -> None:
    import_federations()
    again = import_federations()

    assert (again.read, again.created, again.updated, again.unchanged, again.rejected) == (
        8,
        0,
        0,
        5,
        3,
    )
    assert NetworkMembership.objects.count() == 5
    assert Network.objects.count() == 2
    assert Tie.objects.count() == 1


@pytest.mark.realdata
@pytest.mark.django_db
def test_it_finds_every_northern_irish_federation_member_in_the_real_register() -> None:
    """All 371 NI rows match a charity of the 2020 CCNI register (PROVENANCE.md)."""
    shared = Path(django_settings.SHARED_DATA_DIR)
    register = shared / "ccni-register-2020" / "ccni_register_2020-06-30_excluding_west.csv"
    federated = shared / "charity-lookups" / "federated-charities.csv"
    if not register.is_file() or not federated.is_file():
        pytest.skip(f"{register} or {federated} not present")
    run_import(get_importer_class("ccni")(), register)

    run = import_federations(federated)

    assert (run.read, run.created, run.updated, run.unchanged, run.rejected) == (
        28_258,
        371,
        0,
        0,
        27_887,
    )
    assert all(r["reason"].startswith("not in the directory: GB-") for r in run.rejections)
    assert NetworkMembership.objects.count() == 371
    assert Network.objects.count() == 21
    assert len(members_of("scouts")) == 200
    assert len(members_of("girlguiding")) == 58
    assert Tie.objects.filter(kind="same_network").count() == 1_675
    assert run.options["same_network_ties"] == 1_675
