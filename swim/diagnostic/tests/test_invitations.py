"""The invitation lifecycle: send, open, save a draft, resume, submit, then refuse reuse."""

import html
import re
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from swim.diagnostic.models import Invitation, Rating, Response, Round, hash_token
from swim.diagnostic.tests.conftest import form_data, submit_response
from swim.testing import Personas

pytestmark = pytest.mark.django_db


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def invite(client: Client, personas: Personas, diagnostic_round: Round, **extra: Any) -> str:
    """A facilitator invites Tara (trustee of A); returns the link from the email."""
    client.force_login(personas.facilitator)
    data = {"organisation": personas.org_a.org_id, "name": "Tara Trustee", "role": "trustee"}
    data |= {"email": "Tara@Example.org"} | extra
    response = client.post(f"/diagnostic/rounds/{diagnostic_round.pk}/invite/", data)
    assert response.status_code == 302, text(response)
    client.logout()
    link = re.search(r"http://testserver(/diagnostic/i/[\w-]+/)", str(mail.outbox[-1].body))
    assert link, mail.outbox[-1].body
    return link.group(1)


def test_a_facilitator_emails_a_personal_link_whose_token_is_stored_only_hashed(
    client: Client, personas: Personas, diagnostic_round: Round
) -> None:
    link = invite(client, personas, diagnostic_round)
    message = mail.outbox[0]
    assert message.to == ["tara@example.org"]
    assert personas.org_a.name in message.subject
    token = link.rstrip("/").rsplit("/", 1)[1]
    invitation = Invitation.objects.get()
    assert invitation.token_hash == hash_token(token) != token
    assert not Invitation.objects.filter(token_hash=token).exists()
    days = (invitation.expires_at - timezone.now()).days
    assert days == 13  # 14 days by default, less the seconds since


def test_invitee_answers_saves_a_draft_resumes_and_submits_once(
    client: Client, personas: Personas, diagnostic_round: Round
) -> None:
    link = invite(client, personas, diagnostic_round)
    page = client.get(link)
    assert page.status_code == 200
    assert personas.org_a.name in text(page)
    assert "Trustee" in text(page)

    draft = {"action": "save", "score_hr": "1", "note_hr": "No HR policies at all", "ceo_hours": ""}
    assert client.post(link, draft).status_code == 302
    response = Response.objects.get()
    assert response.status == "draft"
    assert response.respondent_role == "trustee"
    resumed = text(client.get(link))
    assert "No HR policies at all" in resumed
    checked = re.findall(r'<input type="radio" name="(\w+)" value="(\d)"[^>]*checked', resumed)
    assert checked == [("score_hr", "1")]

    done = client.post(link, form_data(2, scores={"hr": 1}, note_hr="No HR policies at all"))
    assert done.status_code == 200
    assert "your answers are submitted" in text(done)
    response.refresh_from_db()
    assert response.status == "submitted"
    assert response.submitted_at
    assert Rating.objects.get(response=response, area__slug="hr").score == 1
    assert Invitation.objects.get().used_at is not None

    again = client.get(link)
    assert again.status_code == 410
    assert "already been used" in text(again)
    assert "No HR policies" not in text(again)
    reposted = client.post(link, form_data(5))
    assert reposted.status_code == 410
    assert Rating.objects.get(response=response, area__slug="hr").score == 1


def test_an_expired_link_says_so_and_saves_nothing(
    client: Client, personas: Personas, diagnostic_round: Round
) -> None:
    link = invite(client, personas, diagnostic_round)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    page = client.get(link)
    assert page.status_code == 410
    assert "This link has expired" in text(page)
    assert client.post(link, form_data(3)).status_code == 410
    assert not Response.objects.exists()


def test_the_expiry_follows_the_setting(
    client: Client, personas: Personas, diagnostic_round: Round, settings: Any
) -> None:
    settings.DIAGNOSTIC_INVITATION_DAYS = 3
    invite(client, personas, diagnostic_round)
    assert (Invitation.objects.get().expires_at - timezone.now()).days == 2
    assert "expires in 3 days" in mail.outbox[0].body


def test_an_unknown_or_tampered_token_is_refused(client: Client, personas: Personas) -> None:
    page = client.get("/diagnostic/i/not-a-real-token/")
    assert page.status_code == 404
    assert "This link is not valid" in text(page)


def test_the_link_shows_neither_other_organisations_nor_other_respondents_answers(
    client: Client, personas: Personas, diagnostic_round: Round
) -> None:
    submit_response(diagnostic_round, personas.org_b, scores={"hr": 1})
    other_ceo = submit_response(diagnostic_round, personas.org_a, scores={"ict": 1})
    other_ceo.hopes = "SECRET HOPES OF THE CEO"
    other_ceo.save()
    link = invite(client, personas, diagnostic_round)
    page = text(client.get(link))
    assert personas.org_b.name not in page
    assert "SECRET HOPES" not in page
    assert "checked" not in page  # a fresh form: nobody else's ratings pre-filled
    # The link gives no session: the organisation's results stay closed to the invitee.
    results = client.get(f"/diagnostic/org/{personas.org_a.org_id}/")
    assert results.status_code == 302
    assert "/accounts/login/" in results["Location"]


def test_only_facilitators_send_invitations(
    client: Client, personas: Personas, diagnostic_round: Round
) -> None:
    client.force_login(personas.member_a)
    url = f"/diagnostic/rounds/{diagnostic_round.pk}/invite/"
    data = {"organisation": personas.org_a.org_id, "name": "X", "email": "x@example.org"}
    assert client.post(url, data | {"role": "staff"}).status_code == 403
    assert not mail.outbox
    assert not Invitation.objects.exists()


def test_an_invitation_for_an_unknown_organisation_is_refused_beside_the_field(
    client: Client, personas: Personas, diagnostic_round: Round
) -> None:
    client.force_login(personas.facilitator)
    url = f"/diagnostic/rounds/{diagnostic_round.pk}/invite/"
    data = {"organisation": "GB-CHC-0000000", "name": "X", "email": "x@example.org"}
    response = client.post(url, data | {"role": "staff"})
    assert response.status_code == 400
    assert "No organisation has the org-id GB-CHC-0000000" in text(response)
    assert not mail.outbox
    assert not Invitation.objects.exists()
