"""Each persona sees only its own navigation; anonymous visitors are sent to sign in."""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from swim.testing import Personas

EXPECTED_NAV = {
    "admin": [
        "Dashboard",
        "Directory",
        "Diagnostic",
        "Imports",
        "Discovery",
        "Concentration map",
        "Background jobs",
        "Administration",
    ],
    "facilitator": [
        "Dashboard",
        "Directory",
        "Diagnostic",
        "Imports",
        "Discovery",
        "Concentration map",
    ],
    "member_a": ["Dashboard", "My organisations", "Directory", "Diagnostic"],
    "member_b": ["Dashboard", "My organisations", "Directory", "Diagnostic"],
    "funder": ["Dashboard", "Directory", "Diagnostic"],
}


def nav_labels(html: str) -> list[str]:
    nav = re.search(r'<nav aria-label="Main".*?</nav>', html, re.S)
    assert nav, "no main navigation on the page"
    return re.findall(r"<a [^>]*>([^<]+)</a>", nav.group(0))


@pytest.mark.django_db
@pytest.mark.parametrize("persona", list(EXPECTED_NAV))
def test_each_persona_sees_only_its_navigation(
    client: Client, personas: Personas, persona: str
) -> None:
    client.force_login(personas.by_name(persona))
    response = client.get("/dashboard/")
    assert response.status_code == 200
    assert nav_labels(response.content.decode()) == EXPECTED_NAV[persona]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", list(EXPECTED_NAV))
def test_every_navigation_link_opens_for_its_persona(
    client: Client, personas: Personas, persona: str
) -> None:
    client.force_login(personas.by_name(persona))
    html = client.get("/dashboard/").content.decode()
    nav = re.search(r'<nav aria-label="Main".*?</nav>', html, re.S)
    assert nav
    for url in re.findall(r'href="([^"]+)"', nav.group(0)):
        assert client.get(url).status_code == 200, url


PUBLIC_NAMES = {
    "login",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "home",
    "healthz",
    "diagnostic-invitation",  # a personal answering link: the token is the credential
}


def all_url_patterns(resolver: URLResolver, prefix: str = "") -> list[tuple[str, str | None]]:
    found: list[tuple[str, str | None]] = []
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found.extend(all_url_patterns(entry, route))
        elif isinstance(entry, URLPattern):
            found.append((route, entry.name))
    return found


def concrete(route: str) -> str:
    route = re.sub(r"<int:[^>]+>", "1", route)
    route = re.sub(r"<[^>]+>", "x", route)
    route = re.sub(r"\^|\$|\\Z|\(\?P<[^>]+>[^)]*\)", "x", route)
    return "/" + route.replace("\\", "")


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in_from_every_non_public_url(
    client: Client,
) -> None:
    checked = 0
    for route, name in all_url_patterns(get_resolver()):
        if name in PUBLIC_NAMES or route.startswith("admin/") or route.startswith("static/"):
            continue
        url = concrete(route)
        response = client.get(url)
        assert response.status_code == 302, (url, response.status_code)
        assert response["Location"].startswith("/accounts/login/"), url
        checked += 1
    assert checked >= 8


@pytest.mark.django_db
def test_the_admin_site_sends_anonymous_visitors_to_sign_in(client: Client) -> None:
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.django_db
def test_people_without_the_role_are_refused_programme_pages(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.member_a)
    assert client.get("/directory/imports/").status_code == 403
    assert client.get("/jobs/").status_code == 403
    client.force_login(personas.funder)
    assert client.get("/directory/mine/").status_code == 403
