"""Journey 2 in a real browser: answer through an invitation link on a phone, then the
facilitator sees the area's heatmap and the organisation's results."""

from __future__ import annotations

from typing import Any

import pytest

from swim.diagnostic.actions import do_invite
from swim.diagnostic.models import Round
from swim.diagnostic.tests.conftest import submit_response
from swim.engine.data import CAPACITY_AREAS
from swim.testing import Personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def test_an_invited_trustee_answers_on_a_phone_and_the_facilitator_sees_the_heatmap(
    browser: Any,
    live_server: Any,
    page: Any,
    personas: Personas,
    sign_in: Any,
    assert_accessible: Any,
) -> None:
    diagnostic_round = Round.objects.create(name="Baseline 2026")
    submit_response(diagnostic_round, personas.org_b, scores={"hr": 2, "ict": 1})
    links: list[str] = []

    def remember(link: str) -> str:
        links.append(link)
        return link

    do_invite(
        diagnostic_round,
        personas.org_a,
        email="tara@example.org",
        name="Tara Trustee",
        role="trustee",
        by=personas.facilitator,
        link_for=lambda token: remember(f"{live_server.url}/diagnostic/i/{token}/"),
    )
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    phone.set_default_timeout(10_000)
    mobile = phone.new_page()
    try:
        mobile.goto(links[0])
        assert mobile.get_by_role("heading", level=1).inner_text().endswith("Alpha Women's Centre")
        assert_accessible(mobile)
        mobile.locator("#id_score_hr_0").check()  # HR: 1, serious gap
        mobile.get_by_label("Note about HR (optional)").fill("No HR adviser since 2024")
        mobile.get_by_role("button", name="Save and finish later").click()
        mobile.get_by_text("Your answers are saved").wait_for()

        mobile.goto(links[0])  # later, the same link: the draft is back
        assert mobile.locator("#id_score_hr_0").is_checked()
        assert mobile.get_by_label("Note about HR (optional)").input_value().startswith("No HR")
        mobile.get_by_role("button", name="Submit answers").click()
        assert mobile.get_by_role("heading", name="Your answers were not saved").is_visible()
        assert_accessible(mobile)

        for slug in CAPACITY_AREAS[1:]:
            mobile.locator(f"#id_score_{slug}_2").check()
        for statement in range(6):
            mobile.locator(f"fieldset[id^='q-ready_'] >> nth={statement}").locator(
                "input[value='4']"
            ).check()
        mobile.get_by_label("CEO or manager hours a month").fill("6")
        mobile.get_by_role("button", name="Submit answers").click()
        mobile.get_by_role("heading", name="Thank you: your answers are submitted").wait_for()
        assert "No HR adviser since 2024" in mobile.locator("table").inner_text()
        assert_accessible(mobile)
        mobile.goto(links[0])
        assert mobile.get_by_role("heading", level=1).inner_text() == (
            "These answers were already submitted"
        )
    finally:
        phone.close()

    sign_in(personas.facilitator.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Diagnostic").click()
    assert_accessible(page)
    page.get_by_role("link", name="Baseline 2026", exact=True).click()
    heatmap = page.locator("table.heatmap")
    assert "Alpha Women's Centre" in heatmap.inner_text()
    assert page.locator("table.gaps tbody tr").first.locator("th").inner_text() == "HR"
    assert_accessible(page)
    heatmap.get_by_role("link", name="Alpha Women's Centre").click()
    assert page.get_by_role("heading", name="Diagnostic results: Alpha Women's Centre").is_visible()
    assert_accessible(page)
