"""The discovery pages: who may use them, the form's messages, shortlist and dismiss."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.test import Client

from swim.discovery.models import CandidateCluster, DiscoveryRun
from swim.discovery.tests.conftest import Area
from swim.testing import Personas, make_org

pytestmark = pytest.mark.django_db
FORM = {"mode": "area", "local_authority": "Trafford", "min_size": "4", "max_size": "12",
        "max_span_km": "5", "max_income_share": "0.5", "radius_km": "3", "seed": "0"}  # fmt: skip


@pytest.fixture
def facilitator(client: Client, personas: Personas) -> Client:
    client.force_login(personas.facilitator)
    return client


def start(client: Client, **changes: str) -> DiscoveryRun:
    response = client.post("/discovery/", {**FORM, **changes})
    assert response.status_code == 302, response.content.decode()[:2000]
    return DiscoveryRun.objects.latest("pk")


def test_a_facilitator_starts_a_run_and_is_sent_to_its_progress(
    facilitator: Client, area: Area
) -> None:
    response = facilitator.post("/discovery/", FORM)
    run = DiscoveryRun.objects.get()
    assert run.job is not None
    assert response["Location"] == run.job.get_absolute_url()
    job_page = facilitator.get(response["Location"]).content.decode()
    assert run.get_absolute_url() in job_page
    page = facilitator.get(run.get_absolute_url()).content.decode()
    assert "Local authority" in page
    assert "Trafford" in page
    assert "Candidate 1" in page


@pytest.mark.parametrize("persona", ["member_a", "funder"])
def test_members_and_funders_are_refused(
    client: Client, personas: Personas, area: Area, persona: str
) -> None:
    run = DiscoveryRun.objects.create(mode="area")
    candidate = CandidateCluster.objects.create(
        run=run, rank=1, kind="impact", readiness=50, explanation="x."
    )
    client.force_login(personas.by_name(persona))
    assert client.get("/discovery/").status_code == 403
    assert client.post("/discovery/", FORM).status_code == 403
    assert client.get(run.get_absolute_url()).status_code == 403
    assert client.get(candidate.get_absolute_url()).status_code == 403
    assert client.post(f"/discovery/candidates/{candidate.pk}/shortlist/").status_code == 403
    assert not DiscoveryRun.objects.exclude(pk=run.pk).exists()


def test_anonymous_visitors_are_sent_to_sign_in(client: Client) -> None:
    response = client.get("/discovery/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"min_size": "8", "max_size": "4"}, "max_size", "at least the smallest"),
        ({"radius_km": "-1"}, "radius_km", "cannot be negative"),
        ({"mode": "theme"}, "q", "Enter the need or theme"),
        ({"mode": "partners"}, "partners_for", "Enter the name or org-id"),
        ({"max_income_share": "2"}, "max_income_share", "at most 1"),
    ],
)
def test_impossible_parameters_are_explained_next_to_the_field(
    facilitator: Client, area: Area, changes: dict[str, str], field: str, message: str
) -> None:
    response = facilitator.post("/discovery/", {**FORM, **changes})
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html
    assert message in html
    assert not DiscoveryRun.objects.exists()


def test_partners_are_found_for_an_organisation_named_by_name_org_id_or_chosen_option(
    facilitator: Client, area: Area
) -> None:
    seed = area.planted[2]
    for typed in (
        "  women's   REFUGE project 3 ",
        seed.org_id.lower(),
        f"{seed.name} ({seed.org_id})",
    ):
        run = start(facilitator, mode="partners", local_authority="", partners_for=typed)
        assert run.seed_organisation == seed


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (
            "Twin Trust",
            "2 organisations are called 'Twin Trust': use the org-id (GB-CHC-7000001 "
            "in M32 0AA or GB-CHC-7000002 in M32 0AA).",
        ),
        ("Nowhere Trust", "No organisation has the name or org-id 'Nowhere Trust'."),
        ("GB-CHC-404", "No organisation has the org-id GB-CHC-404."),
    ],
)
def test_a_partners_organisation_that_is_unknown_or_shared_is_explained_beside_the_field(
    facilitator: Client, area: Area, typed: str, message: str
) -> None:
    make_org(name="Twin Trust", org_id="GB-CHC-7000001")
    make_org(name="Twin Trust", org_id="GB-CHC-7000002")
    response = facilitator.post("/discovery/", {**FORM, "mode": "partners", "partners_for": typed})
    assert response.status_code == 400
    page = unescape(response.content.decode())
    error = re.search(r'<p class="error" id="id_partners_for_error">(.*?)</p>', page)
    assert error
    assert error.group(1).strip() == message
    assert not DiscoveryRun.objects.exists()


def test_the_partners_field_is_a_plain_text_box_with_a_type_ahead_list(
    facilitator: Client, area: Area
) -> None:
    """Without JavaScript a name or org-id is typed and read on submit; with it, HTMX fills
    the field's datalist from the directory's lookup."""
    page = facilitator.get("/discovery/?mode=partners&partners_for=GB-CHC-1").content.decode()
    assert '<label for="id_partners_for">Organisation to find partners for</label>' in page
    assert "Its name or org-id, e.g. GB-CHC-1234567" in page
    field = re.search(r"<input[^>]*name=\"partners_for\"[^>]*>", page)
    assert field
    for attribute in (
        'type="text"',
        'value="GB-CHC-1"',
        'list="id_partners_for_options"',
        'hx-get="/directory/lookup/?field=partners_for"',
        'hx-target="#id_partners_for_options"',
        'aria-describedby="id_partners_for_helptext"',
    ):
        assert attribute in field.group(), attribute
    assert '<datalist id="id_partners_for_options"></datalist>' in page
    seed = area.planted[0]
    offered = facilitator.get(
        "/directory/lookup/", {"field": "partners_for", "partners_for": "women's refuge"}
    ).content.decode()
    assert f'<option value="{seed.name} ({seed.org_id})">M32 0AA</option>' in unescape(offered)


def test_a_filter_matching_nothing_says_so_on_the_run_page(facilitator: Client, area: Area) -> None:
    run = start(facilitator, local_authority="", postcode="ZZ9")
    html = facilitator.get(run.get_absolute_url()).content.decode()
    assert "No organisation matches these filters" in html


def test_shortlisting_and_dismissing_with_a_reason(facilitator: Client, area: Area) -> None:
    run = start(facilitator)
    top = run.candidates.get(rank=1)
    page = facilitator.get(top.get_absolute_url()).content.decode()
    assert top.explanation in page.replace("&#x27;", "'")
    facilitator.post(f"/discovery/candidates/{top.pk}/shortlist/")
    top.refresh_from_db()
    assert top.status == CandidateCluster.Status.SHORTLISTED
    response = facilitator.post(f"/discovery/candidates/{top.pk}/dismiss/", {"reason": ""})
    assert response.status_code == 400
    assert "Say why you dismiss it" in response.content.decode()
    facilitator.post(f"/discovery/candidates/{top.pk}/dismiss/", {"reason": "Already a cluster."})
    top.refresh_from_db()
    assert (top.status, top.dismiss_reason) == ("dismissed", "Already a cluster.")


def test_two_candidates_compare_side_by_side(facilitator: Client, area: Area) -> None:
    run = DiscoveryRun.objects.create(mode="area")
    a, b = (
        CandidateCluster.objects.create(run=run, rank=r, kind=k, readiness=r * 10, explanation=k)
        for r, k in ((1, "resource"), (2, "impact"))
    )
    html = facilitator.get(f"/discovery/compare/?a={a.pk}&b={b.pk}").content.decode()
    assert "Resource cluster" in html
    assert "Impact cluster" in html
    assert facilitator.get("/discovery/compare/?a=1").status_code == 404
