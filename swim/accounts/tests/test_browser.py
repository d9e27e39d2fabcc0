"""Real-browser journeys: each persona signs in, sees its navigation, signs out.

Every page visited is checked with axe-core for serious or critical WCAG violations.
"""

from typing import Any

import pytest

from swim.accounts.tests.test_navigation import EXPECTED_NAV
from swim.testing import Personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("persona", ["admin", "facilitator", "member_a", "funder"])
def test_each_persona_signs_in_sees_its_navigation_and_signs_out(
    page: Any, personas: Personas, sign_in: Any, assert_accessible: Any, persona: str
) -> None:
    user = personas.by_name(persona)
    sign_in(user.email)
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link").all_inner_texts() == EXPECTED_NAV[persona]
    assert_accessible(page)
    for label in EXPECTED_NAV[persona][1:]:
        if label == "Administration":
            continue  # Django's own admin pages are outside our templates.
        nav.get_by_role("link", name=label).click()
        page.wait_for_load_state()
        assert page.get_by_role("link", name=label).get_attribute("aria-current") == "page"
        assert_accessible(page)
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/accounts/login/")
    page.goto("/dashboard/")
    assert "/accounts/login/" in page.url


def test_a_wrong_password_shows_a_generic_error_on_an_accessible_page(
    page: Any, personas: Personas, assert_accessible: Any
) -> None:
    page.goto("/accounts/login/")
    assert_accessible(page)
    page.get_by_label("Email address").fill("facilitator@example.org")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    alert = page.get_by_role("alert")
    assert "do not match an account" in alert.inner_text()
    assert_accessible(page)


def test_the_skip_link_moves_focus_to_the_main_content(
    page: Any, personas: Personas, sign_in: Any
) -> None:
    sign_in(personas.facilitator.email)
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    assert skip.evaluate("el => el === document.activeElement")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_a_job_page_follows_progress_without_reloading(
    page: Any, personas: Personas, sign_in: Any, assert_accessible: Any
) -> None:
    from swim.jobs.models import Job

    job = Job.objects.create(
        kind="k", label="Import of the register", created_by=personas.admin, total=10, done=2
    )
    sign_in(personas.admin.email)
    page.goto(f"/jobs/{job.pk}/")
    assert page.get_by_text("20% (2 of 10)").is_visible()
    assert_accessible(page)
    job.report(10, 10, "All rows read")
    job.mark_succeeded({})
    page.get_by_text("All rows read").wait_for(timeout=8_000)
    assert page.get_by_text("Finished").is_visible()
