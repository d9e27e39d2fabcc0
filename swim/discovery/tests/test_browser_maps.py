"""The concentration map and a run's candidate map in a real browser, with the axe check."""

from __future__ import annotations

from typing import Any

import pytest

from swim.discovery.tests.test_concentration import make_register
from swim.discovery.tests.test_maps import make_run
from swim.testing import Personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_facilitator_finds_a_concentration_and_starts_discovery_there(
    page: Any, personas: Personas, sign_in: Any, assert_accessible: Any
) -> None:
    make_register()
    sign_in(personas.facilitator.email)
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Concentration map"
    ).click()
    assert page.get_by_role("heading", name="Top concentrations by local authority").is_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Food banks", exact=True).click()
    page.locator(
        "#concentration-map path.lq-high, #concentration-map path.lq-above"
    ).first.wait_for()
    assert page.locator("#concentration-map path.lq-band").count() == 2
    assert "2 areas on the map" in page.locator("#concentration-status").inner_text()
    assert_accessible(page)
    page.get_by_role("link", name="Start discovery here: Food banks in Alpha").click()
    assert page.get_by_label("Local authority").input_value() == "Alpha"
    assert page.get_by_label("Around a need or theme").is_checked()


def test_a_run_page_maps_its_candidates_with_a_key(
    page: Any, personas: Personas, sign_in: Any, assert_accessible: Any
) -> None:
    run = make_run(candidates=3)
    sign_in(personas.facilitator.email)
    page.goto(run.get_absolute_url())
    page.locator("#run-map .cand-marker").first.wait_for()
    assert page.locator("#run-map .cand-marker").count() == 3  # two members per spot
    assert page.locator("#run-map-legend li").count() == 3
    assert page.get_by_role("heading", name="Members without a known position").is_visible()
    assert_accessible(page)
    page.locator("#run-map .cand-marker.cand-c0").click()
    popup = page.locator(".leaflet-popup-content")
    popup.get_by_role("link", name="Candidate 1", exact=False).first.click()
    page.wait_for_url(f"**/discovery/candidates/{run.candidates.get(rank=1).pk}/")
