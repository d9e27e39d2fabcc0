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
from swim.directory.models import Organisation
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


# --- The heatmap for 40 to 300 organisations: filter, sort, pages ---------------------------


def heatmap_names(page: str) -> list[str]:
    heatmap = page.split('id="heatmap"')[1].split('id="offers"')[0]
    return re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a>', heatmap)


@pytest.fixture
def sixty(diagnostic_round: Round) -> Round:
    """60 organisations: every third has an HR gap; "Org 07" and "Org 59" have three gaps."""
    for n in range(60):
        scores = {"hr": 2 if n % 3 == 0 else 4}
        if n in (7, 59):
            scores |= {"ict": 1, "finance": 1, "governance": 2}
        org = make_org(name=f"Org {n:02d}", local_authority="Salford" if n < 50 else "Bury")
        submit_response(diagnostic_round, org, "ceo", 3, scores, offers=("ict",) if n == 1 else ())
    return diagnostic_round


def test_the_heatmap_shows_fifty_organisations_a_page_with_links_that_keep_the_filters(
    client: Client, personas: Personas, sixty: Round
) -> None:
    client.force_login(personas.facilitator)
    first = text(client.get(f"/diagnostic/area/?round={sixty.pk}"))
    assert heatmap_names(first) == [f"Org {n:02d}" for n in range(50)]
    assert "Organisations 1 to 50 of 60" in first
    assert "page 1 of 2</caption>" in first
    assert "<strong>60</strong> organisations answered" in first  # the figures count all 60
    assert f'href="?round={sixty.pk}&page=2#heatmap">Next page</a>' in first

    query = f"round={sixty.pk}&local_authority=Salford&sort=most-gaps"
    sorted_first = text(client.get(f"/diagnostic/area/?{query}"))
    assert heatmap_names(sorted_first)[0] == "Org 07"  # 3 gaps, then 1 gap, then none
    assert "Org 59" not in sorted_first  # Bury
    nav = sorted_first.split('aria-label="Heatmap pages"', 1)
    assert len(nav) == 1  # 50 organisations in Salford: one page, no page links

    second = text(client.get(f"/diagnostic/area/?round={sixty.pk}&sort=most-gaps&page=2"))
    without_gaps = [f"Org {n:02d}" for n in range(60) if n % 3 and n not in (7, 59)]
    assert heatmap_names(second) == without_gaps[-10:]  # after 2 with three gaps, 20 with one
    assert "Organisations 51 to 60 of 60" in second
    assert f'href="?round={sixty.pk}&sort=most-gaps&page=1#heatmap">Previous page' in second
    assert 'aria-current="page"' in second
    assert 'name="sort" value="most-gaps"' in second  # kept by the round form
    assert "Page 2" in text(client.get(f"/diagnostic/area/?round={sixty.pk}&page=99"))


def test_the_heatmap_shows_only_organisations_with_a_gap_in_the_chosen_area(
    client: Client, personas: Personas, sixty: Round
) -> None:
    client.force_login(personas.facilitator)
    page = text(client.get(f"/diagnostic/area/?round={sixty.pk}&gap=hr&sort=fewest-gaps"))
    names = heatmap_names(page)
    assert names == [f"Org {n:02d}" for n in range(0, 60, 3)]  # 20, each with one gap
    assert "Organisations 1 to 20 of 20 with a gap in HR (of 60 that answered)" in page
    assert "only organisations with a gap in HR</caption>" in page
    assert '<option value="hr" selected>HR</option>' in page
    gaps = page.split('id="gaps"')[1].split('id="heatmap"')[0]
    assert "33% (20 of 60)" in gaps  # the area's figures are not filtered
    none = text(client.get(f"/diagnostic/area/?round={sixty.pk}&gap=safeguarding"))
    assert "No organisation has a gap in Safeguarding." in none


def test_a_wrong_heatmap_choice_is_named_and_the_rest_still_applies(
    client: Client, personas: Personas, sixty: Round
) -> None:
    client.force_login(personas.facilitator)
    response = client.get(f"/diagnostic/area/?round={sixty.pk}&gap=nonsense&sort=most-gaps")
    page = text(response)
    assert response.status_code == 200
    assert 'id="id_gap_error">Select a valid choice. nonsense is not one of' in page
    assert heatmap_names(page)[0] == "Org 07"


def test_the_heatmap_rows_are_sorted_by_number_of_gaps(
    client: Client, personas: Personas, sixty: Round
) -> None:
    client.force_login(personas.facilitator)
    most = heatmap_names(text(client.get(f"/diagnostic/area/?round={sixty.pk}&sort=most-gaps")))
    assert most[:3] == ["Org 07", "Org 59", "Org 00"]  # 3 gaps each, then 1, by name
    fewest = text(client.get(f"/diagnostic/area/?round={sixty.pk}&sort=fewest-gaps&page=2"))
    assert heatmap_names(fewest)[-2:] == ["Org 07", "Org 59"]


def test_the_area_page_needs_the_same_few_queries_for_sixty_organisations(
    client: Client, personas: Personas, sixty: Round, django_assert_max_num_queries: Any
) -> None:
    earlier = Round.objects.create(name="Pilot", opens_on=sixty.opens_on.replace(year=2020))
    for org in Organisation.objects.filter(name__startswith="Org ")[:30]:
        submit_response(earlier, org, "ceo", 1)
    client.force_login(personas.facilitator)
    client.get("/diagnostic/")  # the session and user are loaded once signed in
    query = f"round={sixty.pk}&compare={earlier.pk}&gap=hr&sort=most-gaps&page=1"
    with django_assert_max_num_queries(20):
        response = client.get(f"/diagnostic/area/?{query}")
    assert response.status_code == 200
    assert "<strong>30</strong> organisations answered both" in text(response)


def test_the_csv_follows_the_heatmap_filter_and_order_on_every_page(
    client: Client, personas: Personas, sixty: Round
) -> None:
    client.force_login(personas.facilitator)
    page = text(client.get(f"/diagnostic/area/?round={sixty.pk}&gap=hr&sort=most-gaps&page=2"))
    link = re.search(r'<a href="(/diagnostic/area/export\.csv[^"]*)" download>', page)
    assert link is not None
    assert "page=" not in link.group(1)
    response = client.get(html.unescape(link.group(1)))
    names = [row["organisation"] for row in csv.DictReader(io.StringIO(response.content.decode()))]
    assert names[0] == "Org 00"
    assert len(names) == 20  # every page


def test_the_csv_neutralises_text_a_spreadsheet_would_run_as_a_formula(
    client: Client, personas: Personas, diagnostic_round: Round
) -> None:
    sneaky = make_org(name='=HYPERLINK("http://evil.example","Click")', org_id="GB-CHC-2000001")
    submit_response(diagnostic_round, sneaky, "ceo", 3)
    client.force_login(personas.facilitator)
    response = client.get(f"/diagnostic/area/export.csv?round={diagnostic_round.pk}")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows[0]["organisation"] == '\'=HYPERLINK("http://evil.example","Click")'
    assert rows[0]["hr_median"] == "3"
