"""The maps in a real browser: circles drawn from the aggregated data, keyboard use, axe-core.

No tile server is configured, as on a machine without internet: the maps draw a plain
background, and must still be usable and accessible.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from playwright.sync_api import expect

from swim.directory.models import Organisation, Tie
from swim.testing import Personas, make_org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def a_few_hundred_organisations() -> None:
    """300 organisations in three neighbourhoods a few kilometres apart."""
    centres = [(53.4465, -2.3110), (53.4250, -2.3220), (53.3870, -2.3490)]
    Organisation.objects.bulk_create(
        Organisation(
            org_id=f"XI-BROWSER-{i}",
            name=f"Neighbourhood Group {i:03d}",
            source="test",
            latitude=centres[i % 3][0] + 0.006 * math.sin(i * 1.3),
            longitude=centres[i % 3][1] + 0.009 * math.cos(i * 2.1),
        )
        for i in range(300)
    )


def csp_violations(page: Any) -> list[str]:
    """Console errors about the Content-Security-Policy, collected as the page runs."""
    found: list[str] = []
    page.on(
        "console",
        lambda message: (
            found.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return found


def test_the_directory_map_draws_aggregated_circles_and_zooms_in_from_the_keyboard(
    page: Any, personas: Personas, sign_in: Any, assert_accessible: Any
) -> None:
    violations = csp_violations(page)
    a_few_hundred_organisations()
    sign_in(personas.facilitator.email)
    page.goto("/directory/")
    page.get_by_role("link", name="Show these on the map").click()
    page.wait_for_url("**/directory/map/**")
    cells = page.locator("#directory-map .map-cell")
    cells.first.wait_for()
    assert 1 < cells.count() < 60
    counts = [int(text.replace(",", "")) for text in cells.all_inner_texts()]
    assert sum(counts) == 300
    status = page.get_by_role("status").filter(has_text="in view")
    assert "300 organisations in view" in status.inner_text()
    assert page.get_by_role("region", name="Map of the organisations matching these filters")
    assert page.locator(".leaflet-control-scale").is_visible()
    assert_accessible(page)

    before = status.inner_text()
    cells.first.focus()
    page.keyboard.press("Enter")  # zooms into that circle's cell
    expect(page.locator("#map-status")).not_to_have_text(before)
    page.locator("#directory-map").focus()
    for _ in range(4):
        page.keyboard.press("Equal")  # Leaflet's keyboard zoom (+)
    page.locator("#directory-map .map-point").first.wait_for()
    # Every listed organisation is on the map: alone, or in a marker shared with neighbours
    # too close to tell apart (each marker keeps a 24 px target).
    shown = page.locator("#directory-map .map-point").evaluate_all(
        "els => els.reduce((n, el) => n + (parseInt(el.textContent, 10) || 1), 0)"
    )
    assert shown == page.locator("#map-points-list li").count()
    assert_accessible(page)
    assert violations == []


def test_an_organisation_page_shows_its_ego_graph_and_its_place_on_a_map(
    page: Any, personas: Personas, sign_in: Any, assert_accessible: Any
) -> None:
    org = make_org(name="Old Trafford Women's Centre", latitude=53.4525, longitude=-2.2905)
    partners = [
        make_org(name=name, latitude=53.45, longitude=-2.29)
        for name in ("Riverside Women's Aid", "Gorse Hill Mums' Network", "Firswood Wellbeing")
    ]
    for partner in partners:
        Tie.objects.create(a=org, b=partner, kind=Tie.Kind.SHARED_TRUSTEE)
    Tie.objects.create(a=partners[0], b=partners[1], kind=Tie.Kind.PARTNERSHIP)
    violations = csp_violations(page)
    sign_in(personas.facilitator.email)
    page.goto(org.get_absolute_url())
    graph = page.get_by_role("img", name="Old Trafford Women's Centre and the 3 organisations")
    assert graph.is_visible()
    assert page.locator("svg.ego-graph line").count() == 4
    assert (
        page.locator("svg.ego-graph text").all_text_contents()[0] == "Old Trafford Women's Centre"
    )
    org_map = page.get_by_role("region", name="Map: where Old Trafford Women's Centre is")
    assert org_map.locator(".map-point-self").is_visible()
    assert org_map.locator(".leaflet-control-scale").is_visible()
    assert_accessible(page)
    assert violations == []
