"""Members answer for their own organisation; bad input saves nothing; submitted is final."""

import html
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from swim.accounts.models import User
from swim.diagnostic.models import Rating, ReadinessAnswer, Response, Round
from swim.diagnostic.tests.conftest import form_data
from swim.testing import Personas

pytestmark = pytest.mark.django_db


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def url(diagnostic_round: Round, org_id: str) -> str:
    return f"/diagnostic/rounds/{diagnostic_round.pk}/answer/{org_id}/"


def test_a_member_saves_a_draft_then_submits_and_sees_the_results(
    client: Client, personas: Personas, diagnostic_round: Round
) -> None:
    client.force_login(personas.member_a)
    answer_url = url(diagnostic_round, personas.org_a.org_id)
    assert client.get(answer_url).status_code == 200
    saved = client.post(answer_url, {"action": "save", "score_ict": "2", "offer_finance": "on"})
    assert saved.status_code == 302
    assert saved["Location"] == answer_url
    response = Response.objects.get()
    assert (response.respondent, response.respondent_role) == (personas.member_a, "ceo")
    assert Rating.objects.get(response=response, area__slug="finance").can_offer

    done = client.post(answer_url, form_data(3, scores={"ict": 2}), follow=True)
    assert done.redirect_chain[-1][0].startswith(f"/diagnostic/org/{personas.org_a.org_id}/")
    assert "Thank you: your answers are submitted." in text(done)
    response.refresh_from_db()
    assert response.is_submitted

    again = client.get(answer_url)
    assert again.status_code == 200
    assert "submitted answers cannot be changed" in text(again)
    assert client.post(answer_url, form_data(5)).status_code == 200
    assert Rating.objects.get(response=response, area__slug="ict").score == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"score_hr": "7"}, "Choose a rating from 1 to 5."),
        ({"score_hr": "0"}, "Choose a rating from 1 to 5."),
        ({"score_hr": None}, "Rate HR before submitting."),
        ({"ready_trust": "6"}, "Choose an answer from 1 to 5."),
        ({"ready_trust": None}, "Answer this statement before submitting."),
        ({"ceo_hours": "-2"}, "greater than or equal to 0"),
        ({"ceo_hours": "500"}, "less than or equal to 160"),
        ({"ceo_hours": ""}, "Give the hours (0 if none) before submitting."),
        ({"ceo_hours": "lots"}, "Enter a number."),
    ],
)
def test_bad_or_missing_answers_are_refused_beside_the_field_and_nothing_is_saved(
    client: Client, personas: Personas, diagnostic_round: Round, change: dict, message: str
) -> None:
    client.force_login(personas.member_a)
    answer_url = url(diagnostic_round, personas.org_a.org_id)
    client.post(answer_url, {"action": "save", "score_hr": "4"})  # an earlier draft
    response = client.post(answer_url, form_data(2, **change))
    assert response.status_code == 400
    assert message in text(response)
    assert "Your answers were not saved" in text(response)
    saved = Response.objects.get()
    assert saved.status == "draft"
    assert Rating.objects.get(response=saved, area__slug="hr").score == 4
    assert Rating.objects.filter(response=saved, score=2).count() == 0
    assert not ReadinessAnswer.objects.filter(response=saved, value__isnull=False).exists()


def test_out_of_range_values_are_refused_in_a_draft_too(
    client: Client, personas: Personas, diagnostic_round: Round
) -> None:
    client.force_login(personas.member_a)
    response = client.post(
        url(diagnostic_round, personas.org_a.org_id), {"action": "save", "score_hr": "9"}
    )
    assert response.status_code == 400
    assert not Rating.objects.exists()


@pytest.mark.parametrize("persona", ["member_b", "facilitator", "funder", "outsider"])
def test_only_the_organisations_members_answer_for_it(
    client: Client, personas: Personas, diagnostic_round: Round, outsider: User, persona: str
) -> None:
    user = outsider if persona == "outsider" else personas.by_name(persona)
    client.force_login(user)
    answer_url = url(diagnostic_round, personas.org_a.org_id)
    assert client.get(answer_url).status_code == 403
    assert client.post(answer_url, form_data(3)).status_code == 403
    assert not Response.objects.exists()


def test_a_closed_round_takes_no_new_answers(client: Client, personas: Personas) -> None:
    closed = Round.objects.create(
        name="Old",
        opens_on=date.today() - timedelta(days=30),
        closes_on=date.today() - timedelta(days=1),
    )
    client.force_login(personas.member_a)
    response = client.post(url(closed, personas.org_a.org_id), form_data(3))
    assert response.status_code == 410
    assert "round is closed" in text(response)
    assert not Response.objects.exists()


def test_the_home_page_lists_what_a_member_can_answer(
    client: Client, personas: Personas, diagnostic_round: Round
) -> None:
    client.force_login(personas.member_a)
    page = text(client.get("/diagnostic/"))
    assert f"Answer for {personas.org_a.name}" in page
    assert personas.org_b.name not in page


def test_a_facilitator_creates_a_round_and_bad_dates_are_refused(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.facilitator)
    bad = {"name": "Spring", "opens_on": "2026-05-01", "closes_on": "2026-04-01"}
    response = client.post("/diagnostic/rounds/new/", bad)
    assert response.status_code == 400
    assert "cannot close before it opens" in text(response)
    assert not Round.objects.exists()
    good = client.post("/diagnostic/rounds/new/", bad | {"closes_on": "2026-06-30"})
    assert good.status_code == 302
    assert Round.objects.get().created_by == personas.facilitator
    client.force_login(personas.member_a)
    assert client.post("/diagnostic/rounds/new/", bad | {"name": "Mine"}).status_code == 403


def test_the_new_round_form_prefills_today_in_the_date_pickers_format(
    client: Client, personas: Personas
) -> None:
    """A date input shows its value only in ISO form (YYYY-MM-DD), whatever the locale."""
    client.force_login(personas.facilitator)
    page = text(client.get("/diagnostic/"))
    today = timezone.localdate().isoformat()
    assert f'type="date" name="opens_on" value="{today}"' in page
