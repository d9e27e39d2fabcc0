"""Journey 3 in a real browser: run discovery, read the top candidate, shortlist it; find
partners for an organisation named by typing (with and without JavaScript)."""

from __future__ import annotations

from typing import Any

import pytest

from swim.discovery.models import DiscoveryRun
from swim.discovery.tests.conftest import make_planted_area
from swim.testing import PASSWORD, Personas, make_org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_facilitator_finds_reads_and_shortlists_a_candidate(
    page: Any, personas: Personas, sign_in: Any, assert_accessible: Any
) -> None:
    make_planted_area()
    sign_in(personas.facilitator.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Discovery").click()
    assert_accessible(page)
    page.get_by_label("Local authority").select_option("Trafford")
    page.get_by_role("button", name="Start discovery").click()
    page.get_by_text("See the result").wait_for()
    assert_accessible(page)
    page.get_by_role("link", name="See the result").click()
    assert page.get_by_role("heading", name="Discovery run", level=1).is_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Candidate 1", exact=True).click()
    explanation = page.locator(".explanation p").inner_text()
    assert "Trafford Women's Forum" in explanation
    assert_accessible(page)
    page.get_by_role("button", name="Shortlist").click()
    assert page.locator(".candidate-status").inner_text() == "Shortlisted"
    assert_accessible(page)


def test_a_facilitator_finds_partners_for_an_organisation_chosen_by_typing_its_name(
    page: Any, personas: Personas, sign_in: Any, assert_accessible: Any
) -> None:
    area = make_planted_area()
    seed = area.planted[2]
    sign_in(personas.facilitator.email)
    page.goto("/discovery/")
    page.get_by_label("Partners for one organisation").check()
    field = page.get_by_label("Organisation to find partners for")
    field.press_sequentially("women's refuge")  # the list fills as she types
    chosen = f"{seed.name} ({seed.org_id})"
    page.locator(f'#id_partners_for_options option[value="{chosen}"]').wait_for(state="attached")
    assert page.locator("#id_partners_for_options option").count() == len(area.planted)
    assert_accessible(page)
    field.fill(chosen)  # what choosing the option types into the box
    page.get_by_role("button", name="Start discovery").click()
    page.get_by_text("See the result").wait_for()
    assert DiscoveryRun.objects.get().seed_organisation == seed


def test_without_javascript_a_name_is_typed_and_a_shared_one_is_explained(
    browser: Any, live_server: Any, personas: Personas
) -> None:
    """With JavaScript off the field is a plain text box, read on submit; a name two
    organisations share is explained beside it. (axe-core needs JavaScript: the same page
    is checked for accessibility in the test above.)"""
    area = make_planted_area()
    make_org(name=area.planted[0].name, org_id="GB-CHC-7000001", postcode="M33 1BB")
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto("/accounts/login/")
        page.get_by_label("Email address").fill(personas.facilitator.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto("/discovery/")
        page.get_by_label("Partners for one organisation").check()
        field = page.get_by_label("Organisation to find partners for")
        field.fill(area.planted[0].name.upper())
        page.get_by_role("button", name="Start discovery").click()
        error = page.locator("#id_partners_for_error")
        assert "2 organisations are called" in error.inner_text()
        assert "GB-CHC-7000001 in M33 1BB" in error.inner_text()
        assert not DiscoveryRun.objects.exists()
        page.get_by_label("Organisation to find partners for").fill(area.planted[1].name)
        page.get_by_role("button", name="Start discovery").click()
        page.get_by_role("link", name="See the result").wait_for()
        assert DiscoveryRun.objects.get().seed_organisation == area.planted[1]
    finally:
        context.close()
