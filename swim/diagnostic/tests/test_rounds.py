"""Rounds over time: a baseline against a later round, and history that is never overwritten."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client

from swim.accounts.models import User
from swim.diagnostic.aggregate import (
    Answer,
    AreaChange,
    GapChange,
    compare_gaps,
    compare_profiles,
    profile_organisation,
    profile_organisations,
)
from swim.diagnostic.models import Rating, Response, Round
from swim.diagnostic.results import submitted_answers
from swim.diagnostic.tests.conftest import form_data, submit_response
from swim.testing import Personas, make_org

MINUS = "\N{MINUS SIGN}"


def text(response: Any) -> str:
    """The page's HTML, entities decoded and white space squeezed."""
    return " ".join(html.unescape(response.content.decode()).split())


def section(page: str, start: str, end: str | None = None) -> str:
    rest = page.split(start, 1)[1]
    return rest.split(end, 1)[0] if end else rest


def rows_of(part: str) -> dict[str, str]:
    """A table's rows by their header cell, whitespace squeezed."""
    found = re.findall(r'<th scope="row"[^>]*>(.*?)</th>(.*?)</tr>', part, re.S)
    return {
        re.sub(r"<[^>]+>", "", name).strip(): " ".join(re.sub(r"<[^>]+>", " ", cells).split())
        for name, cells in found
    }


# --- The framework-free comparison -----------------------------------------------------------


def test_an_organisations_areas_are_compared_in_words_and_sign() -> None:
    then = profile_organisation([Answer("o", "ceo", {"hr": 1, "ict": 3, "finance": 4})])
    now = profile_organisation(
        [
            Answer("o", "ceo", {"hr": 3, "ict": 2, "finance": 4}),
            Answer("o", "staff", {"hr": 2, "ict": 2, "finance": 4}),
        ]
    )
    changes = compare_profiles(then, now, ["finance", "hr", "ict"])
    assert changes == [
        AreaChange("finance", 4.0, 4.0),
        AreaChange("hr", 1.0, 2.5),
        AreaChange("ict", 3.0, 2.0),
    ]
    assert [c.words for c in changes] == ["no change", "+1.5 better", f"{MINUS}1 worse"]
    assert [c.slug for c in changes if c.gap_closed] == ["hr"]
    assert [c.slug for c in changes if c.new_gap] == ["ict"]


def test_a_gap_that_stays_a_gap_is_neither_closed_nor_new() -> None:
    change = AreaChange("hr", 1.0, 2.0)
    assert change.words == "+1 better"
    assert change.was_gap
    assert change.is_gap
    assert not change.gap_closed
    assert not change.new_gap


def test_an_area_rated_in_only_one_round_is_not_compared() -> None:
    then = profile_organisation([Answer("o", "ceo", {"hr": 2})])
    now = profile_organisation([Answer("o", "ceo", {"legal": 1})])
    added, dropped = compare_profiles(then, now)
    assert (added.slug, added.change, added.words, added.new_gap) == (
        "legal",
        None,
        "not rated then",
        False,
    )
    assert (dropped.slug, dropped.words, dropped.gap_closed) == ("hr", "not rated now", False)
    assert compare_profiles(then, now, ["finance"]) == []  # rated in neither round


def test_profiles_of_two_organisations_are_not_compared() -> None:
    with pytest.raises(ValueError, match="different organisations"):
        compare_profiles(
            profile_organisation([Answer("a", "ceo", {"hr": 1})]),
            profile_organisation([Answer("b", "ceo", {"hr": 1})]),
        )


def test_area_gaps_are_counted_only_among_organisations_that_answered_both_rounds() -> None:
    then = profile_organisations(
        [
            Answer("a", "ceo", {"hr": 1, "ict": 4}),
            Answer("b", "ceo", {"hr": 2, "ict": 1}),
            Answer("c", "ceo", {"hr": 1, "ict": 1}),  # left: not in the later round
        ]
    )
    now = profile_organisations(
        [
            Answer("a", "ceo", {"hr": 4, "ict": 2}),
            Answer("b", "ceo", {"hr": 2}),  # ICT not rated this time
            Answer("d", "ceo", {"hr": 1, "ict": 1}),  # new: not in the earlier round
        ]
    )
    changes = compare_gaps(then, now, ["hr", "ict"])
    assert changes["hr"] == GapChange("hr", organisations=2, then=2, now=1)
    assert (changes["hr"].change, changes["hr"].words) == (-1, "1 fewer")
    assert changes["ict"] == GapChange("ict", organisations=1, then=0, now=1)
    assert changes["ict"].words == "1 more"


# --- History is kept -------------------------------------------------------------------------


@pytest.fixture
def baseline(db: None) -> Round:
    return Round.objects.create(
        name="Baseline 2025", opens_on=date.today() - timedelta(days=400), closes_on=None
    )


@pytest.fixture
def follow_up(db: None) -> Round:
    return Round.objects.create(name="Follow-up 2026", opens_on=date.today() - timedelta(days=2))


def snapshot(diagnostic_round: Round, org_pk: int) -> tuple[Any, ...]:
    responses = Response.objects.filter(round=diagnostic_round, organisation_id=org_pk)
    ratings = Rating.objects.filter(response__in=responses).order_by("response_id", "area_id")
    profile = profile_organisations(submitted_answers(responses))[str(org_pk)]
    return (
        list(responses.values_list("pk", "status", "submitted_at", "ceo_hours_per_month")),
        list(ratings.values_list("pk", "area__slug", "score", "is_priority", "can_offer")),
        profile,
    )


def test_submitting_in_a_new_round_leaves_the_earlier_rounds_answers_identical(
    client: Client, personas: Personas, baseline: Round, follow_up: Round
) -> None:
    client.force_login(personas.member_a)
    org = personas.org_a
    first = client.post(
        f"/diagnostic/rounds/{baseline.pk}/answer/{org.org_id}/",
        form_data(3, scores={"hr": 1}, hours="4"),
    )
    assert first.status_code == 302
    before = snapshot(baseline, org.pk)

    second = client.post(
        f"/diagnostic/rounds/{follow_up.pk}/answer/{org.org_id}/",
        form_data(4, scores={"hr": 3}, hours="8"),
    )
    assert second.status_code == 302
    assert snapshot(baseline, org.pk) == before  # same rows, same answers, same profile
    assert before[2].areas["hr"].median == 1.0
    new = Response.objects.get(round=follow_up, organisation=org)
    assert new.pk not in [pk for pk, *_ in before[0]]
    assert new.ratings.get(area__slug="hr").score == 3
    assert Response.objects.filter(organisation=org, respondent=personas.member_a).count() == 2


# --- An organisation's results against an earlier round ------------------------------------


@pytest.fixture
def answered_twice(personas: Personas, baseline: Round, follow_up: Round) -> Round:
    """A: HR 1 → 2.5 (gap closed), ICT 3 → 2 (new gap), the rest 4 → 4; 4 then 6 CEO hours."""
    submit_response(baseline, personas.org_a, "ceo", 4, {"hr": 1, "ict": 3}, hours=4)
    submit_response(follow_up, personas.org_a, "ceo", 4, {"hr": 3, "ict": 2}, hours=6)
    submit_response(follow_up, personas.org_a, "staff", 4, {"hr": 2, "ict": 2}, hours=20)
    submit_response(baseline, personas.org_b, "ceo", 1)
    submit_response(follow_up, personas.org_b, "ceo", 5)
    return follow_up


def test_an_organisation_sees_the_change_since_its_previous_round_in_words(
    client: Client, personas: Personas, answered_twice: Round
) -> None:
    client.force_login(personas.member_a)
    page = text(client.get(f"/diagnostic/org/{personas.org_a.org_id}/"))
    assert "Follow-up 2026." in page  # the latest round is shown
    comparison = section(page, 'id="comparison"', "<h2>Respondents")
    assert "Compared with Baseline 2025" in comparison
    rows = rows_of(comparison)
    assert rows["HR"] == "1 gap 2.5 +1.5 better"
    assert rows["ICT"] == f"3 2 gap {MINUS}1 worse"
    assert rows["Finance"] == "4 4 no change"
    assert "Gaps closed (a gap in Baseline 2025, no longer one): HR" in comparison
    assert "New gaps (not a gap in Baseline 2025): ICT" in comparison
    assert "4 hours a month in Baseline 2025, 6 hours a month in Follow-up 2026" in comparison


def test_the_earliest_round_has_nothing_to_compare_with(
    client: Client, personas: Personas, answered_twice: Round, baseline: Round
) -> None:
    client.force_login(personas.member_a)
    page = text(client.get(f"/diagnostic/org/{personas.org_a.org_id}/?round={baseline.pk}"))
    assert "Baseline 2025." in page
    assert 'id="comparison"' not in page


def test_an_organisation_picks_another_earlier_round_to_compare_with(
    client: Client, personas: Personas, answered_twice: Round, baseline: Round
) -> None:
    middle = Round.objects.create(
        name="Mid-point 2025", opens_on=date.today() - timedelta(days=200)
    )
    submit_response(middle, personas.org_a, "ceo", 2, hours=5)
    skipped = Round.objects.create(name="Skipped 2025", opens_on=date.today() - timedelta(days=100))
    submit_response(skipped, personas.org_b, "ceo", 2)  # A did not answer it
    client.force_login(personas.member_a)
    url = f"/diagnostic/org/{personas.org_a.org_id}/"

    default = section(text(client.get(url)), 'id="comparison"', "<h2>Respondents")
    assert "Compared with Mid-point 2025" in default  # the previous round A answered
    options = re.findall(r"<option value=\"(\d+)\"( selected)?>([^<]+)</option>", default)
    assert [(name, bool(selected)) for _, selected, name in options] == [
        ("Mid-point 2025", True),
        ("Baseline 2025", False),
    ]
    assert rows_of(default)["Finance"] == "2 gap 4 +2 better"

    chosen = text(client.get(f"{url}?round={answered_twice.pk}&compare={baseline.pk}"))
    assert "Compared with Baseline 2025" in chosen
    assert rows_of(section(chosen, 'id="comparison"'))["Finance"] == "4 4 no change"
    for unknown in (skipped.pk, answered_twice.pk, "x"):  # not an earlier round A answered
        page = text(client.get(f"{url}?compare={unknown}"))
        assert "Compared with Mid-point 2025" in page


def test_a_member_sees_only_their_own_organisations_comparison(
    client: Client, personas: Personas, outsider: User, answered_twice: Round
) -> None:
    client.force_login(personas.member_b)
    own = text(client.get(f"/diagnostic/org/{personas.org_b.org_id}/"))
    assert rows_of(section(own, 'id="comparison"'))["HR"] == "1 gap 5 +4 better"
    assert personas.org_a.name not in own
    assert client.get(f"/diagnostic/org/{personas.org_a.org_id}/").status_code == 403
    client.force_login(outsider)
    assert client.get(f"/diagnostic/org/{personas.org_a.org_id}/").status_code == 403
    client.force_login(personas.funder)
    assert client.get(f"/diagnostic/org/{personas.org_a.org_id}/").status_code == 403


def test_the_facilitator_sees_any_organisations_comparison(
    client: Client, personas: Personas, answered_twice: Round
) -> None:
    client.force_login(personas.facilitator)
    page = text(client.get(f"/diagnostic/org/{personas.org_a.org_id}/"))
    assert rows_of(section(page, 'id="comparison"'))["HR"] == "1 gap 2.5 +1.5 better"


def test_drafts_of_an_earlier_round_are_not_compared(
    client: Client, personas: Personas, diagnostic_round: Round
) -> None:
    draft_round = Round.objects.create(name="Pilot", opens_on=date.today() - timedelta(days=90))
    Response.objects.create(round=draft_round, organisation=personas.org_a, respondent_role="ceo")
    submit_response(diagnostic_round, personas.org_a, "ceo", 3)
    client.force_login(personas.member_a)
    page = text(client.get(f"/diagnostic/org/{personas.org_a.org_id}/?round={diagnostic_round.pk}"))
    assert 'id="comparison"' not in page


# --- The area against an earlier round -------------------------------------------------------


@pytest.fixture
def area_twice(personas: Personas, baseline: Round, follow_up: Round) -> dict[str, Any]:
    """Four organisations answered both rounds; one only the baseline, one only the later."""
    gamma, delta = make_org(name="Gamma Advice Centre"), make_org(name="Delta Food Bank")
    both = [personas.org_a, personas.org_b, gamma, delta]
    # HR: gaps in A, B, Gamma then; only in Gamma now. ICT: a gap in A then; in A and B now.
    then = [{"hr": 1, "ict": 2}, {"hr": 2, "ict": 4}, {"hr": 1, "ict": 3}, {"hr": 4, "ict": 4}]
    now = [{"hr": 4, "ict": 1}, {"hr": 3, "ict": 2}, {"hr": 2, "ict": 3}, {"hr": 4, "ict": 4}]
    for org, scores in zip(both, then, strict=True):
        submit_response(baseline, org, "ceo", 3, scores)
    for org, scores in zip(both, now, strict=True):
        submit_response(follow_up, org, "ceo", 3, scores)
    submit_response(baseline, make_org(name="Epsilon Left Early"), "ceo", 1)
    submit_response(follow_up, make_org(name="Zeta Newcomer"), "ceo", 1)
    return {"baseline": baseline, "follow_up": follow_up}


def test_the_facilitator_compares_the_areas_gaps_among_organisations_in_both_rounds(
    client: Client, personas: Personas, area_twice: dict[str, Any]
) -> None:
    client.force_login(personas.facilitator)
    later, earlier = area_twice["follow_up"], area_twice["baseline"]
    page = text(client.get(f"/diagnostic/area/?round={later.pk}&compare={earlier.pk}"))
    assert "<strong>5</strong> organisations answered" in page
    assert "Compared with Baseline 2025: <strong>4</strong> organisations answered both" in page
    gaps = section(page, 'id="gaps"', 'id="heatmap"')
    assert "With the gap in Baseline 2025" in gaps
    rows = rows_of(gaps)
    # now among all five: HR gaps in Gamma and Zeta (2 of 5); among the four in both: 3 → 1
    assert rows["HR"].endswith("40% (2 of 5) 3.0 3 of 4 1 of 4 2 fewer")
    assert rows["ICT"].endswith("1 of 4 2 of 4 1 more")
    assert rows["Finance"].endswith("0 of 4 0 of 4 no change")
    heatmap = section(page, 'id="heatmap"', 'id="offers"')
    assert f'name="compare" value="{earlier.pk}"' in heatmap  # kept by the heatmap's form
    assert "Zeta Newcomer" in heatmap  # the heatmap is still the current round's
    assert "Epsilon Left Early" not in heatmap


def test_without_a_comparison_the_gaps_table_keeps_its_four_columns(
    client: Client, personas: Personas, area_twice: dict[str, Any]
) -> None:
    client.force_login(personas.facilitator)
    page = text(client.get(f"/diagnostic/area/?round={area_twice['follow_up'].pk}"))
    assert "With the gap in" not in page
    assert "organisations answered both rounds" not in page
    assert '<option value="" selected>No comparison</option>' in page


def test_comparing_a_round_with_itself_is_refused_next_to_the_field(
    client: Client, personas: Personas, area_twice: dict[str, Any]
) -> None:
    client.force_login(personas.facilitator)
    later = area_twice["follow_up"]
    response = client.get(f"/diagnostic/area/?round={later.pk}&compare={later.pk}")
    page = text(response)
    assert response.status_code == 200
    assert 'id="id_compare_error">Choose a round other than the one shown.' in page
    assert "<strong>5</strong> organisations answered" in page  # the rest still applies
    assert "With the gap in" not in page
    unknown = text(client.get(f"/diagnostic/area/?round={later.pk}&compare=999999"))
    assert "Choose one of the listed rounds to compare with." in unknown


def test_funders_see_the_comparison_as_counts_only_once_enough_answered_both(
    client: Client, personas: Personas, area_twice: dict[str, Any]
) -> None:
    client.force_login(personas.funder)
    later, earlier = area_twice["follow_up"], area_twice["baseline"]
    page = text(client.get(f"/diagnostic/area/?round={later.pk}&compare={earlier.pk}"))
    assert rows_of(section(page, 'id="gaps"'))["HR"].endswith("3 of 4 1 of 4 2 fewer")
    names = ["Gamma Advice Centre", "Delta Food Bank", "Epsilon Left Early", "Zeta Newcomer"]
    for name in [personas.org_a.name, personas.org_b.name, *names]:
        assert name not in page
    assert 'id="heatmap"' not in page
    assert 'name="gap"' not in page


def test_funders_do_not_see_a_comparison_of_fewer_organisations_than_the_minimum(
    client: Client, personas: Personas, baseline: Round, follow_up: Round
) -> None:
    for n in range(4):  # four answer the later round, only two of them the baseline too
        org = make_org(name=f"Org {n}")
        submit_response(follow_up, org, "ceo", 1)
        if n < 2:
            submit_response(baseline, org, "ceo", 3)
    client.force_login(personas.funder)
    page = text(client.get(f"/diagnostic/area/?round={follow_up.pk}&compare={baseline.pk}"))
    assert "100% (4 of 4)" in page  # the current round's gaps: four organisations
    assert "appears once at least 3 organisations have answered both rounds" in page
    assert "With the gap in" not in page
    assert "of 2" not in page
    client.force_login(personas.facilitator)
    page = text(client.get(f"/diagnostic/area/?round={follow_up.pk}&compare={baseline.pk}"))
    assert rows_of(section(page, 'id="gaps"', 'id="heatmap"'))["HR"].endswith(
        "0 of 2 2 of 2 2 more"
    )


def test_funders_do_not_see_the_counts_of_an_area_too_few_rated_in_both_rounds(
    client: Client, personas: Personas, baseline: Round, follow_up: Round
) -> None:
    for n in range(3):
        org = make_org(name=f"Org {n}")
        submit_response(follow_up, org, "ceo", 3, {"legal": 1})
        earlier = submit_response(baseline, org, "ceo", 3, {"legal": 1})
        if n:  # say legal was not asked of two of them in the baseline
            earlier.ratings.filter(area__slug="legal").delete()
    query = f"round={follow_up.pk}&compare={baseline.pk}"
    client.force_login(personas.funder)
    rows = rows_of(section(text(client.get(f"/diagnostic/area/?{query}")), 'id="gaps"'))
    assert rows["Legal and contracts"].endswith("– – too few rated it in both rounds")
    assert rows["HR"].endswith("0 of 3 0 of 3 no change")
    client.force_login(personas.facilitator)
    page = text(client.get(f"/diagnostic/area/?{query}"))
    rows = rows_of(section(page, 'id="gaps"', 'id="heatmap"'))
    assert rows["Legal and contracts"].endswith("1 of 1 1 of 1 no change")


def test_the_comparison_follows_the_local_authority_filter(
    client: Client, personas: Personas, baseline: Round, follow_up: Round
) -> None:
    salford = [make_org(name=f"Salford {n}", local_authority="Salford") for n in range(2)]
    trafford = make_org(name="Trafford 1", local_authority="Trafford")
    for org in [*salford, trafford]:
        submit_response(baseline, org, "ceo", 1)
        submit_response(follow_up, org, "ceo", 4)
    client.force_login(personas.facilitator)
    query = f"round={follow_up.pk}&compare={baseline.pk}&local_authority=Salford"
    page = text(client.get(f"/diagnostic/area/?{query}"))
    assert "<strong>2</strong> organisations answered both" in page
    assert rows_of(section(page, 'id="gaps"', 'id="heatmap"'))["HR"].endswith(
        "2 of 2 0 of 2 2 fewer"
    )


# --- In a real browser -----------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_facilitator_compares_rounds_and_pages_through_the_heatmap_in_a_browser(
    page: Any, personas: Personas, sign_in: Any, assert_accessible: Any
) -> None:
    baseline = Round.objects.create(name="Baseline 2025", opens_on=date(2025, 1, 6))
    later = Round.objects.create(name="Follow-up 2026", opens_on=date(2026, 1, 5))
    for n in range(55):
        org = personas.org_a if n == 0 else make_org(name=f"Org {n:02d}")
        submit_response(later, org, "ceo", 3, {"hr": 2 if n % 2 else 4})
        if n < 10:
            submit_response(baseline, org, "ceo", 3, {"hr": 1})
    sign_in(personas.facilitator.email)
    page.goto(f"/diagnostic/area/?round={later.pk}")
    page.get_by_label("Compare with").select_option(label="Baseline 2025")
    page.get_by_role("button", name="Show").click()
    assert "10 organisations answered both rounds" in page.locator("main").inner_text()
    assert page.get_by_role("columnheader", name="With the gap in Baseline 2025").is_visible()
    assert_accessible(page)

    page.get_by_label("Only organisations with a gap in", exact=True).select_option(label="HR")
    page.get_by_label("Sort by").select_option(label="Most gaps first")
    page.get_by_role("button", name="Apply").click()
    assert "Organisations 1 to 27 of 27 with a gap in HR" in page.locator("main").inner_text()
    page.get_by_label("Only organisations with a gap in", exact=True).select_option(
        label="Any area (every organisation)"
    )
    page.get_by_role("button", name="Apply").click()
    page.get_by_role("navigation", name="Heatmap pages").get_by_role(
        "link", name="Next page"
    ).click()
    assert "Organisations 51 to 55 of 55" in page.locator("main").inner_text()
    assert f"compare={baseline.pk}" in page.url
    assert "sort=most-gaps" in page.url
    assert_accessible(page)

    page.goto(f"/diagnostic/org/{personas.org_a.org_id}/")
    comparison = page.get_by_role("table", name="Median rating per capacity area, Baseline 2025")
    assert "+3 better" in comparison.inner_text()  # HR: 1 then, 4 now
    assert_accessible(page)
