"""The run map's data (scoped to the runs one may see) and "find partners" from an organisation."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from swim.directory.models import Organisation
from swim.discovery.maps import COLOURS
from swim.discovery.models import CandidateCluster, CandidateMember, DiscoveryRun
from swim.testing import Personas, make_org

pytestmark = pytest.mark.django_db


def make_run(candidates: int = 2) -> DiscoveryRun:
    """A finished run: each candidate has two members at one spot and one without a position."""
    run = DiscoveryRun.objects.create(mode="area", status=DiscoveryRun.Status.SUCCEEDED)
    for rank in range(1, candidates + 1):
        candidate = CandidateCluster.objects.create(
            run=run, rank=rank, kind="impact", readiness=80 - rank, explanation="x.", member_count=3
        )
        members = [
            make_org(name=f"Located {rank}-{i}", latitude=53.4 + rank / 100, longitude=-2.3)
            for i in range(2)
        ] + [make_org(name=f"Nowhere {rank}")]
        for org in members:
            CandidateMember.objects.create(candidate=candidate, organisation=org)
    return run


def test_the_run_map_numbers_colours_and_groups_members_by_candidate(
    client: Client, personas: Personas
) -> None:
    run = make_run(candidates=12)
    client.force_login(personas.facilitator)
    data = client.get(f"/discovery/runs/{run.pk}/map/").json()
    assert [c["rank"] for c in data["candidates"]] == list(range(1, 13))
    assert (
        data["candidates"][0]["url"]
        == CandidateCluster.objects.get(run=run, rank=1).get_absolute_url()
    )
    assert [c["colour"] for c in data["candidates"]][COLOURS - 1 : COLOURS + 1] == [COLOURS - 1, 0]
    first = [p for p in data["points"] if p["candidate"] == 1]
    assert len(first) == 1  # two members at the same spot share one marker
    assert [m["name"] for m in first[0]["members"]] == ["Located 1-0", "Located 1-1"]
    assert first[0]["members"][0]["url"].startswith("/directory/")
    assert {(m["candidate"], m["name"]) for m in data["unlocated"]} >= {(1, "Nowhere 1")}
    assert data["total_candidates"] == 12


def test_the_run_map_shows_only_the_most_ready_candidates_of_a_large_run(
    client: Client, personas: Personas
) -> None:
    run = make_run(candidates=22)
    client.force_login(personas.facilitator)
    data = client.get(f"/discovery/runs/{run.pk}/map/").json()
    assert len(data["candidates"]) == 20
    assert data["total_candidates"] == 22
    assert {p["candidate"] for p in data["points"]} == set(range(1, 21))


@pytest.mark.parametrize("persona", ["member_a", "funder"])
def test_the_run_map_is_refused_to_those_who_may_not_see_the_run(
    client: Client, personas: Personas, persona: str
) -> None:
    run = make_run()
    client.force_login(personas.by_name(persona))
    assert client.get(f"/discovery/runs/{run.pk}/map/").status_code == 403
    client.logout()
    assert client.get(f"/discovery/runs/{run.pk}/map/").status_code == 302  # sign in first


def test_a_run_that_does_not_exist_has_no_map(client: Client, personas: Personas) -> None:
    client.force_login(personas.admin)
    assert client.get("/discovery/runs/987654/map/").status_code == 404


def test_the_run_page_carries_the_map_and_its_script(client: Client, personas: Personas) -> None:
    run = make_run()
    client.force_login(personas.facilitator)
    html = client.get(run.get_absolute_url()).content.decode()
    assert f'data-url="/discovery/runs/{run.pk}/map/"' in html
    assert "discovery/maps.js" in html


def test_a_facilitator_finds_partners_from_an_organisation_page(
    client: Client, personas: Personas
) -> None:
    org = make_org(name="Seed Community Trust", org_id="GB-CHC-5550001")
    client.force_login(personas.facilitator)
    page = client.get(org.get_absolute_url()).content.decode()
    link = re.search(r'<a class="button" href="([^"]+)">Find partners for this organisation', page)
    assert link
    form = client.get(link.group(1).replace("&amp;", "&")).content.decode()
    assert re.search(r'value="partners"[^>]*checked', form)
    assert re.search(r'name="partners_for" value="GB-CHC-5550001"', form)


@pytest.mark.parametrize("persona", ["member_a", "funder"])
def test_others_are_not_offered_find_partners(
    client: Client, personas: Personas, persona: str
) -> None:
    client.force_login(personas.by_name(persona))
    page = client.get(personas.org_a.get_absolute_url()).content.decode()
    assert page.count("Find partners") == 0


def test_removed_organisations_are_not_offered_find_partners(
    client: Client, personas: Personas
) -> None:
    org = make_org(status=Organisation.Status.REMOVED)
    client.force_login(personas.facilitator)
    assert "Find partners" not in client.get(org.get_absolute_url()).content.decode()
