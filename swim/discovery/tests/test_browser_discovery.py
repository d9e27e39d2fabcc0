"""Journey 3 in a real browser: run discovery, read the top candidate, shortlist it."""

from __future__ import annotations

from typing import Any

import pytest

from swim.discovery.tests.conftest import make_planted_area
from swim.testing import Personas

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
