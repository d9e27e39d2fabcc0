"""The results pages: an organisation's profile, the area's heatmap, gaps and offers."""

import csv
import html
import io
import re
from typing import Any

import pytest
from django.test import Client

from swim.accounts.models import User
from swim.diagnostic.models import Round
from swim.diagnostic.tests.conftest import submit_response
from swim.testing import Personas, make_org

pytestmark = pytest.mark.django_db


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def answered(personas: Personas, diagnostic_round: Round) -> Round:
    """A answers twice (CEO and trustee disagree on ICT); B and C once; C offers HR."""
    submit_response(diagnostic_round, personas.org_a, "ceo", 3, {"hr": 1, "ict": 1}, hours=5)
    submit_response(diagnostic_round, personas.org_a, "trustee", 3, {"hr": 2, "ict": 5}, hours=9)
    submit_response(diagnostic_round, personas.org_b, "ceo", 4, {"hr": 2, "ict": 2})
    org_c = make_org(name="Gamma Advice Centre", local_authority="Salford")
    submit_response(diagnostic_round, org_c, "ceo", 4, {"hr": 5}, offers=("hr",))
    return diagnostic_round


def test_the_facilitator_sees_the_heatmap_gaps_and_offers(
    client: Client, personas: Personas, answered: Round
) -> None:
    client.force_login(personas.facilitator)
    page = text(client.get(f"/diagnostic/area/?round={answered.pk}"))
    assert "<strong>3</strong> organisations answered" in page
    gaps = re.findall(r'<th scope="row" id="gap-(\w+)">', page)
    assert gaps[:2] == ["hr", "ict"]
    assert "67% (2 of 3)" in page  # HR: A (median 1.5) and B (2) of three organisations
    heatmap = page.split('id="heatmap"')[1].split('id="offers"')[0]
    assert personas.org_a.name in heatmap
    assert "Gamma Advice Centre" in heatmap
    assert 'class="num heat heat-1">1.5' in heatmap
    assert "conflict between respondents" in heatmap  # A's ICT: 1 against 5
    offers = page.split('id="offers"')[1]
    expected = (
        r'<th scope="row">HR</th><td>Gamma Advice Centre</td>\s*<td>Alpha Women\'s Centre, Beta'
    )
    assert re.search(expected, offers)


def test_the_heatmap_filters_by_local_authority(
    client: Client, personas: Personas, answered: Round
) -> None:
    client.force_login(personas.facilitator)
    page = text(client.get(f"/diagnostic/area/?round={answered.pk}&local_authority=Salford"))
    assert "<strong>1</strong> organisation answered" in page
    assert "Gamma Advice Centre" in page
    assert personas.org_a.name not in page


def test_funders_see_the_gaps_but_no_organisation(
    client: Client, personas: Personas, answered: Round
) -> None:
    client.force_login(personas.funder)
    response = client.get(f"/diagnostic/area/?round={answered.pk}")
    page = text(response)
    assert response.status_code == 200
    assert "67% (2 of 3)" in page
    for name in (personas.org_a.name, personas.org_b.name, "Gamma Advice Centre"):
        assert name not in page
    assert 'id="heatmap"' not in page
    assert 'id="offers"' not in page
    assert client.get(f"/diagnostic/org/{personas.org_a.org_id}/").status_code == 403


def test_funders_see_nothing_until_enough_organisations_answered(
    client: Client, personas: Personas, diagnostic_round: Round
) -> None:
    submit_response(diagnostic_round, personas.org_a, "ceo", 1)
    submit_response(diagnostic_round, personas.org_b, "ceo", 1)
    client.force_login(personas.funder)
    page = text(client.get(f"/diagnostic/area/?round={diagnostic_round.pk}"))
    assert "at least 3 organisations" in page
    assert "(2 of 2)" not in page


@pytest.mark.parametrize("persona", ["member_a", "outsider"])
def test_members_and_outsiders_do_not_see_the_area_page(
    client: Client, personas: Personas, outsider: User, answered: Round, persona: str
) -> None:
    client.force_login(outsider if persona == "outsider" else personas.member_a)
    assert client.get(f"/diagnostic/area/?round={answered.pk}").status_code == 403


def test_an_organisation_sees_its_profile_against_the_area_and_where_respondents_differ(
    client: Client, personas: Personas, answered: Round
) -> None:
    client.force_login(personas.member_a)
    page = text(client.get(f"/diagnostic/org/{personas.org_a.org_id}/"))
    assert "2 respondents submitted answers" in page
    assert "5 hours a month" in page  # the CEO's answer, not the trustee's 9
    rows = dict(re.findall(r'<th scope="row">([^<]+)</th>(.*?)</tr>', page, re.S))
    assert "Conflict" in rows["ICT"]
    assert "CEO or manager: 1; Trustee: 5" in rows["ICT"]
    assert "Consensus" in rows["HR"]
    assert ">1.5 <span" in rows["HR"]
    assert "Gaps (median rating 2 or less): HR" in page


@pytest.mark.parametrize("persona", ["member_b", "outsider"])
def test_other_organisations_cannot_open_an_organisations_results(
    client: Client, personas: Personas, outsider: User, answered: Round, persona: str
) -> None:
    client.force_login(outsider if persona == "outsider" else personas.member_b)
    assert client.get(f"/diagnostic/org/{personas.org_a.org_id}/").status_code == 403


def test_the_facilitator_downloads_the_area_as_csv_one_row_per_organisation(
    client: Client, personas: Personas, answered: Round
) -> None:
    client.force_login(personas.facilitator)
    response = client.get(f"/diagnostic/area/export.csv?round={answered.pk}")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "diagnostic-baseline-2026.csv" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    by_name = {row["organisation"]: row for row in rows}
    assert set(by_name) == {personas.org_a.name, personas.org_b.name, "Gamma Advice Centre"}
    alpha = by_name[personas.org_a.name]
    assert alpha["respondents"] == "2"
    assert alpha["ceo_hours_per_month"] == "5"  # the CEO's answer
    assert alpha["hr_median"] == "1.5"
    assert alpha["ict_agreement"] == "conflict"
    assert by_name["Gamma Advice Centre"]["hr_offer"] == "yes"
    salford = client.get(f"/diagnostic/area/export.csv?round={answered.pk}&local_authority=Salford")
    assert [r["organisation"] for r in csv.DictReader(io.StringIO(salford.content.decode()))] == [
        "Gamma Advice Centre"
    ]


@pytest.mark.parametrize("who", ["funder", "member_a", "outsider"])
def test_only_facilitators_download_the_area_csv(
    client: Client, personas: Personas, answered: Round, who: str, outsider: User
) -> None:
    user = outsider if who == "outsider" else getattr(personas, who)
    client.force_login(user)
    assert client.get(f"/diagnostic/area/export.csv?round={answered.pk}").status_code == 403
