"""Signing in and out, password reset and change, and the throttle on failures."""

import re

import pytest
from django.core import mail
from django.test import Client

from swim.testing import PASSWORD, Personas


def sign_in(client: Client, email: str, password: str) -> str:
    response = client.post(
        "/accounts/login/", {"username": email, "password": password}, REMOTE_ADDR="10.0.0.1"
    )
    return response["Location"] if response.status_code == 302 else response.content.decode()


@pytest.mark.django_db
def test_it_signs_in_by_email_and_lands_on_the_dashboard(
    client: Client, personas: Personas
) -> None:
    assert sign_in(client, "Facilitator@Example.org", PASSWORD) == "/dashboard/"


@pytest.mark.django_db
def test_a_wrong_password_and_an_unknown_email_get_the_same_message(
    client: Client, personas: Personas
) -> None:
    wrong_password = sign_in(client, "facilitator@example.org", "not the password")
    unknown_email = sign_in(client, "nobody@example.org", "not the password")
    message = "That email address and password do not match an account."
    assert message in wrong_password
    assert message in unknown_email


@pytest.mark.django_db
def test_repeated_failures_are_throttled_even_with_the_right_password(
    client: Client, personas: Personas
) -> None:
    for _ in range(5):
        sign_in(client, "facilitator@example.org", "wrong wrong")
    page = sign_in(client, "facilitator@example.org", PASSWORD)
    assert "Too many attempts" in page
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_signing_out_needs_a_post_and_ends_the_session(client: Client, personas: Personas) -> None:
    client.force_login(personas.member_a)
    assert client.get("/accounts/logout/").status_code == 405
    client.post("/accounts/logout/")
    assert client.get("/dashboard/").status_code == 302


@pytest.mark.django_db
def test_password_reset_sends_a_one_time_link_that_sets_a_new_password(
    client: Client, personas: Personas
) -> None:
    client.post("/accounts/password_reset/", {"email": "member.a@example.org"})
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/reset/\S+)", str(mail.outbox[0].body))
    assert link
    form_url = client.get(link.group(1), follow=True).redirect_chain[-1][0]
    response = client.post(
        form_url,
        {"new_password1": "a brand new secret 42", "new_password2": "a brand new secret 42"},
    )
    assert response.status_code == 302
    personas.member_a.refresh_from_db()
    assert personas.member_a.check_password("a brand new secret 42")
    assert "does not work" in client.get(link.group(1), follow=True).content.decode()


@pytest.mark.django_db
def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(
    client: Client, personas: Personas
) -> None:
    response = client.post("/accounts/password_reset/", {"email": "nobody@example.org"})
    assert response["Location"] == "/accounts/password_reset/done/"
    assert mail.outbox == []


@pytest.mark.django_db
def test_password_change_rejects_a_mismatch_next_to_the_field_and_keeps_the_old_one(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.funder)
    response = client.post(
        "/accounts/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "fresh secret 991",
            "new_password2": "other secret 992",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_new_password2_error"' in html
    personas.funder.refresh_from_db()
    assert personas.funder.check_password(PASSWORD)
