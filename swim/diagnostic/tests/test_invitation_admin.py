"""Following invitations up: the list in words, withdrawing (revoking) and resending links."""

from __future__ import annotations

import html
import re
import smtplib
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import dateformat, timezone

from swim.accounts.models import Membership, User
from swim.diagnostic.actions import (
    AlreadySubmitted,
    InvitationWithdrawn,
    active_questions,
    do_import_responses,
    do_invite,
    do_open_invitation,
    do_resend_invitation,
    do_revoke_invitation,
    do_save_response,
)
from swim.diagnostic.models import Invitation, Response, Round, hash_token
from swim.diagnostic.results import submitted_answers
from swim.diagnostic.tests.conftest import form_data
from swim.diagnostic.tests.csv_helpers import csv_bytes, paper_row
from swim.diagnostic.views_invitations import PAGE_SIZE
from swim.testing import Personas, make_org

pytestmark = pytest.mark.django_db


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def last_link() -> str:
    """The answering link in the latest email."""
    found = re.search(r"http://testserver(/diagnostic/i/[\w-]+/)", str(mail.outbox[-1].body))
    assert found, mail.outbox[-1].body
    return found.group(1)


def invite(client: Client, personas: Personas, diagnostic_round: Round, name: str) -> str:
    """The facilitator invites ``name`` to answer for A; returns the emailed link."""
    client.force_login(personas.facilitator)
    email = name.lower().replace(" ", ".") + "@example.org"
    data = {"organisation": personas.org_a.org_id, "name": name, "email": email, "role": "staff"}
    assert client.post(f"/diagnostic/rounds/{diagnostic_round.pk}/invite/", data).status_code == 302
    client.logout()
    return last_link()


def save_draft(client: Client, link: str, note: str = "No HR policies at all") -> Response:
    assert (
        client.post(link, {"action": "save", "score_hr": "1", "note_hr": note}).status_code == 302
    )
    return Response.objects.get(invitation__token_hash=hash_token(token_of(link)))


def token_of(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[1]


def act(client: Client, user: User, invitation: Invitation, action: str) -> Any:
    client.force_login(user)
    return client.post(f"/diagnostic/invitations/{invitation.pk}/{action}/", follow=True)


def test_a_withdrawn_link_answers_410_naming_who_withdrew_it_and_its_draft_is_not_counted(
    client: Client, personas: Personas, diagnostic_round: Round
) -> None:
    body = make_org(name="Trafford Voluntary Action")
    Membership.objects.create(user=personas.facilitator, organisation=body)
    link = invite(client, personas, diagnostic_round, "Asha Khan")
    draft = save_draft(client, link)
    invitation = Invitation.objects.get()

    page = act(client, personas.facilitator, invitation, "revoke")
    assert "The link of Asha Khan was withdrawn" in text(page)
    client.logout()

    refused = client.get(link)
    assert refused.status_code == 410
    assert "This link was withdrawn by Fatima Facilitator (Trafford Voluntary Action)" in text(
        refused
    )
    assert "ask them for a new one" in text(refused)
    assert "No HR policies" not in text(refused)  # the draft is not shown
    assert client.post(link, form_data(4)).status_code == 410
    draft.refresh_from_db()
    assert draft.status == Response.Status.DRAFT  # kept, never submitted
    assert draft.ratings.get(area__slug="hr").score == 1
    assert submitted_answers(Response.objects.all()) == []  # and so never aggregated
    invitation.refresh_from_db()
    assert (invitation.state, invitation.revoked_by) == ("revoked", personas.facilitator)


def test_resending_emails_a_new_link_with_a_new_expiry_and_the_old_link_stops_working(
    client: Client, personas: Personas, diagnostic_round: Round
) -> None:
    old_link = invite(client, personas, diagnostic_round, "Asha Khan")
    draft = save_draft(client, old_link, note="Half-way through")
    Invitation.objects.update(expires_at=timezone.now() - timedelta(hours=1))
    assert client.get(old_link).status_code == 410  # expired: the reason to resend

    page = act(client, personas.facilitator, Invitation.objects.get(), "resend")
    assert "A new link was emailed to Asha Khan" in text(page)
    client.logout()
    assert len(mail.outbox) == 2
    assert mail.outbox[1].to == ["asha.khan@example.org"]
    assert "(a new link)" in mail.outbox[1].subject
    assert "replaces the one sent on" in mail.outbox[1].body
    assert "Anything you saved is kept" in mail.outbox[1].body
    new_link = last_link()
    assert new_link != old_link

    assert client.get(old_link).status_code == 404
    invitation = Invitation.objects.get()
    assert (invitation.expires_at - timezone.now()).days == 13
    assert invitation.resent_at is not None
    resumed = client.get(new_link)
    assert resumed.status_code == 200
    assert "Half-way through" in text(resumed)  # the same draft, resumed
    assert client.post(new_link, form_data(2)).status_code == 200
    draft.refresh_from_db()
    assert draft.status == Response.Status.SUBMITTED
    assert Response.objects.count() == 1


def test_a_withdrawn_invitation_sent_again_works_again_with_its_draft(
    client: Client, personas: Personas, diagnostic_round: Round
) -> None:
    link = invite(client, personas, diagnostic_round, "Asha Khan")
    save_draft(client, link, note="Kept through it all")
    invitation = do_revoke_invitation(Invitation.objects.get(), by=personas.facilitator)
    assert client.get(link).status_code == 410
    do_resend_invitation(invitation, by=personas.facilitator, link_for=answering_link)
    invitation.refresh_from_db()
    assert (invitation.revoked_at, invitation.revoked_by, invitation.state) == (
        None,
        None,
        "opened",
    )
    assert client.get(link).status_code == 404
    assert "Kept through it all" in text(client.get(last_link()))


def test_a_submitted_invitation_can_be_neither_withdrawn_nor_resent(
    client: Client, personas: Personas, diagnostic_round: Round
) -> None:
    link = invite(client, personas, diagnostic_round, "Asha Khan")
    assert client.post(link, form_data(3)).status_code == 200
    invitation = Invitation.objects.get()
    before = (invitation.token_hash, invitation.expires_at)
    for action, word in [("revoke", "withdrawn"), ("resend", "sent again")]:
        page = act(client, personas.facilitator, invitation, action)
        assert page.status_code == 200
        assert f"Asha Khan already submitted their answers: the invitation cannot be {word}" in (
            text(page)
        )
    invitation.refresh_from_db()
    assert (invitation.token_hash, invitation.expires_at) == before
    assert (invitation.revoked_at, invitation.resent_at) == (None, None)
    assert len(mail.outbox) == 1  # only the first invitation
    with pytest.raises(AlreadySubmitted):
        do_revoke_invitation(invitation, by=personas.facilitator)


@pytest.mark.parametrize("persona", ["member_a", "member_b", "funder", "outsider"])
@pytest.mark.parametrize("action", ["revoke", "resend"])
def test_only_facilitators_and_admins_withdraw_or_resend(
    client: Client,
    personas: Personas,
    outsider: User,
    diagnostic_round: Round,
    persona: str,
    action: str,
) -> None:
    invite(client, personas, diagnostic_round, "Asha Khan")
    invitation = Invitation.objects.get()
    user = outsider if persona == "outsider" else personas.by_name(persona)
    client.force_login(user)
    assert client.post(f"/diagnostic/invitations/{invitation.pk}/{action}/").status_code == 403
    assert client.get(f"/diagnostic/rounds/{diagnostic_round.pk}/invite/").status_code == 403
    fresh = Invitation.objects.get()
    assert (fresh.token_hash, fresh.revoked_at, fresh.resent_at) == (
        invitation.token_hash,
        None,
        None,
    )
    assert len(mail.outbox) == 1


def test_an_administrator_may_resend_too(
    client: Client, personas: Personas, diagnostic_round: Round
) -> None:
    invite(client, personas, diagnostic_round, "Asha Khan")
    act(client, personas.admin, Invitation.objects.get(), "resend")
    assert len(mail.outbox) == 2
    assert "Ada Admin invites you" in mail.outbox[1].body


def test_withdrawing_and_resending_take_a_post_with_its_csrf_token(
    personas: Personas, diagnostic_round: Round
) -> None:
    client = Client(enforce_csrf_checks=True)
    invitation = do_invite_directly(personas, diagnostic_round)
    client.force_login(personas.facilitator)
    for action in ("revoke", "resend"):
        url = f"/diagnostic/invitations/{invitation.pk}/{action}/"
        assert client.get(url).status_code == 405
        assert client.post(url).status_code == 403  # no CSRF token
    invitation.refresh_from_db()
    assert (invitation.revoked_at, invitation.resent_at) == (None, None)


def test_an_unknown_invitation_is_404(client: Client, personas: Personas) -> None:
    client.force_login(personas.facilitator)
    assert client.post("/diagnostic/invitations/999/revoke/").status_code == 404


def test_a_resend_whose_email_fails_keeps_the_old_link(
    client: Client, personas: Personas, diagnostic_round: Round, monkeypatch: pytest.MonkeyPatch
) -> None:
    link = invite(client, personas, diagnostic_round, "Asha Khan")
    invitation = Invitation.objects.get()

    def fail(*args: Any, **kwargs: Any) -> None:
        raise smtplib.SMTPException("The mail server is down")

    monkeypatch.setattr("swim.diagnostic.actions.send_mail", fail)
    with pytest.raises(smtplib.SMTPException):
        do_resend_invitation(invitation, by=personas.facilitator, link_for=answering_link)
    fresh = Invitation.objects.get()
    assert (fresh.token_hash, fresh.expires_at, fresh.resent_at) == (
        invitation.token_hash,
        invitation.expires_at,
        None,
    )
    assert client.get(link).status_code == 200


def test_answers_sent_after_the_link_was_withdrawn_are_refused_whole(
    personas: Personas, diagnostic_round: Round
) -> None:
    """The view checks the link first; the save checks again, under the response's lock."""
    invitation = do_invite_directly(personas, diagnostic_round)
    response = do_open_invitation(invitation)
    do_revoke_invitation(invitation, by=personas.facilitator)
    areas, statements = active_questions()
    cleaned: dict[str, Any] = {f"score_{area.slug}": 3 for area in areas}
    cleaned |= {f"ready_{s.slug}": 4 for s in statements} | {"ceo_hours": 5}
    with pytest.raises(InvitationWithdrawn):
        do_save_response(response, cleaned, areas=areas, statements=statements, submit=True)
    response.refresh_from_db()
    assert response.status == Response.Status.DRAFT
    assert not response.ratings.exists()
    assert Invitation.objects.get().used_at is None


def test_the_invite_page_lists_each_status_in_words_with_dates_and_named_buttons(
    client: Client, personas: Personas, diagnostic_round: Round
) -> None:
    people = ["Asha Khan", "Ben Opened", "Cai Submitted", "Dee Expired", "Eve Withdrawn"]
    for name in people:
        invite(client, personas, diagnostic_round, name)
    by_name = {i.name: i for i in Invitation.objects.all()}
    do_open_invitation(by_name["Ben Opened"])
    do_open_invitation(by_name["Cai Submitted"])
    Invitation.objects.filter(pk=by_name["Cai Submitted"].pk).update(used_at=timezone.now())
    Invitation.objects.filter(pk=by_name["Dee Expired"].pk).update(
        expires_at=timezone.now() - timedelta(days=1)
    )
    do_revoke_invitation(by_name["Eve Withdrawn"], by=personas.facilitator)

    client.force_login(personas.facilitator)
    page = text(client.get(f"/diagnostic/rounds/{diagnostic_round.pk}/invite/"))
    # person -> (status, sent, link expires, actions), each cell's text
    rows = {
        cells[1].split(" (")[0]: tuple(cells[3:])
        for row in re.findall(r"<tr><td>.*?</tr>", page, re.S)
        for cells in [[cell_text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]]
    }
    today = dateformat.format(timezone.localdate(), "j M Y")
    expires = dateformat.format(timezone.localdate() + timedelta(days=14), "j M Y")
    yesterday = dateformat.format(timezone.localdate() - timedelta(days=1), "j M Y")
    both = "Resend to {} Withdraw the link of {}"
    assert rows == {
        "Asha Khan": ("Sent", today, expires, both.format("Asha Khan", "Asha Khan")),
        "Ben Opened": (
            f"Opened (draft saved) {today}",
            today,
            expires,
            both.format(*["Ben Opened"] * 2),
        ),
        "Cai Submitted": (f"Submitted {today}", today, "—", "None: answers submitted"),
        "Dee Expired": (
            f"Expired {yesterday}",
            today,
            yesterday,
            both.format(*["Dee Expired"] * 2),
        ),
        "Eve Withdrawn": (
            f"Withdrawn {today} by Fatima Facilitator",
            today,
            "—",
            "Resend to Eve Withdrawn",
        ),
    }
    assert 'Resend<span class="sr-only"> to Asha Khan</span>' in page
    assert 'Withdraw<span class="sr-only"> the link of Asha Khan</span>' in page
    assert 'Resend<span class="sr-only"> to Eve Withdrawn</span>' in page  # reinstate


def test_the_invite_page_shows_fifty_invitations_a_page(
    client: Client, personas: Personas, diagnostic_round: Round
) -> None:
    expires = timezone.now() + timedelta(days=14)
    Invitation.objects.bulk_create(
        Invitation(
            round=diagnostic_round,
            organisation=personas.org_a,
            email=f"person{n}@example.org",
            name=f"Person {n:02d}",
            role="staff",
            token_hash=hash_token(f"token-{n}"),
            expires_at=expires,
            created_at=timezone.now() - timedelta(minutes=n),
        )
        for n in range(PAGE_SIZE + 1)
    )
    client.force_login(personas.facilitator)
    url = f"/diagnostic/rounds/{diagnostic_round.pk}/invite/"
    first = text(client.get(url))
    assert first.count("<tr><td>") == PAGE_SIZE
    assert "51 invitations" in first
    assert "Person 00" in first
    assert "Person 50" not in first
    assert "Page 1 of 2" in first
    second = text(client.get(url, {"page": 2}))
    assert second.count("<tr><td>") == 1
    assert "Person 50" in second

    page = client.post(
        f"/diagnostic/invitations/{Invitation.objects.get(name='Person 50').pk}/revoke/",
        {"page": "2"},
    )
    assert page["Location"] == f"{url}?page=2#invitations"  # back where the facilitator was


def cell_text(cell: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell)).strip()


def answering_link(token: str) -> str:
    return f"http://testserver/diagnostic/i/{token}/"


def do_invite_directly(personas: Personas, diagnostic_round: Round) -> Invitation:
    return do_invite(
        diagnostic_round,
        personas.org_a,
        email="asha.khan@example.org",
        name="Asha Khan",
        role="staff",
        by=personas.facilitator,
        link_for=answering_link,
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_facilitator_resends_and_withdraws_from_an_accessible_list(
    page: Any, live_server: Any, personas: Personas, sign_in: Any, assert_accessible: Any
) -> None:
    diagnostic_round = Round.objects.create(name="Baseline 2026")
    links: list[str] = []

    def remember(token: str) -> str:
        links.append(f"{live_server.url}/diagnostic/i/{token}/")
        return links[-1]

    for name in ("Asha Khan", "Ben Brown"):
        do_invite(
            diagnostic_round,
            personas.org_a,
            email=f"{name.split()[0].lower()}@example.org",
            name=name,
            role="staff",
            by=personas.facilitator,
            link_for=remember,
        )
    sign_in(personas.facilitator.email)
    page.goto(f"/diagnostic/rounds/{diagnostic_round.pk}/invite/")
    assert_accessible(page)
    page.get_by_role("button", name="Resend to Asha Khan").click()
    page.get_by_text("A new link was emailed to Asha Khan").wait_for()
    page.get_by_role("button", name="Withdraw the link of Ben Brown").click()
    page.get_by_text("The link of Ben Brown was withdrawn").wait_for()
    assert page.get_by_role("button", name="Withdraw the link of Ben Brown").count() == 0
    assert page.get_by_role("button", name="Resend to Ben Brown").is_visible()
    assert_accessible(page)

    page.goto(links[1])  # Ben's link
    assert page.get_by_role("heading", level=1).inner_text() == "This link was withdrawn"
    assert_accessible(page)


def test_the_results_page_names_respondents_says_how_they_answered_and_marks_withdrawn_drafts(
    client: Client, personas: Personas, diagnostic_round: Round
) -> None:
    """Paper answers say so; a draft whose link was withdrawn says it is not counted."""
    link = invite(client, personas, diagnostic_round, "Asha Khan")
    save_draft(client, link)
    act(client, personas.facilitator, Invitation.objects.get(), "revoke")
    org_id = personas.org_a.org_id
    rows = [paper_row(org_id, respondent_name="Ben Trustee", respondent_role="trustee")]
    report = do_import_responses(diagnostic_round, csv_bytes(rows), by=personas.facilitator)
    assert report.ok, report.errors
    client.force_login(personas.member_a)
    page = text(client.get(f"/diagnostic/org/{org_id}/?round={diagnostic_round.pk}"))
    assert "<td>Ben Trustee</td><td>Trustee</td><td>On paper (imported)</td>" in page
    assert "<td>Asha Khan</td><td>Staff</td><td>Online</td>" in page
    assert "Draft (link withdrawn, not counted)" in page
