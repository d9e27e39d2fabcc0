"""In a real browser: weigh the signals in the advanced section; cancel a waiting run."""

from __future__ import annotations

from typing import Any

import pytest

from swim.discovery.models import DiscoveryRun
from swim.discovery.tests.conftest import make_planted_area
from swim.testing import Personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_facilitator_weighs_the_signals_and_sees_them_on_the_run(
    page: Any, personas: Personas, sign_in: Any, assert_accessible: Any
) -> None:
    make_planted_area()
    sign_in(personas.facilitator.email)
    page.goto("/discovery/")
    weight = page.get_by_label("Location weight")
    assert not weight.is_visible()  # the advanced section starts closed
    page.get_by_text("Advanced: how much each signal counts").click()
    assert weight.is_visible()
    assert_accessible(page)
    page.get_by_label("Local authority").select_option("Trafford")
    weight.fill("0.6")
    page.get_by_label("Classification weight").fill("0")
    page.get_by_role("button", name="Start discovery").click()
    page.get_by_text("See the result").wait_for()
    page.get_by_role("link", name="See the result").click()
    details = page.locator("dl.details").inner_text()
    assert "Location 0.6" in details
    assert "Classification 0," in details
    assert "Word overlap (TF-IDF)" in details
    assert_accessible(page)


def test_a_facilitator_cancels_a_waiting_run(
    page: Any, personas: Personas, sign_in: Any, assert_accessible: Any, settings: Any
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}  # no worker
    make_planted_area()
    sign_in(personas.facilitator.email)
    page.goto("/discovery/")
    page.get_by_role("button", name="Start discovery").click()
    assert page.get_by_role("button", name="Cancel this job").is_visible()
    assert_accessible(page)
    page.goto(DiscoveryRun.objects.get().get_absolute_url())
    page.get_by_role("button", name="Cancel this run").click()
    assert "This run was cancelled and stored no candidates" in page.content()
    assert page.locator(".status-cancelled").inner_text() == "Cancelled"
    assert_accessible(page)
