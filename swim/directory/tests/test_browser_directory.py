"""A facilitator sets up her area in a real browser: upload, follow progress, search."""

from pathlib import Path
from typing import Any

import pytest

from swim.testing import Personas, make_org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DATA = Path(__file__).parent / "data"


def test_a_facilitator_uploads_a_register_and_reads_the_import_report(
    page: Any, personas: Personas, sign_in: Any, assert_accessible: Any
) -> None:
    sign_in(personas.facilitator.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Imports").click()
    page.get_by_role("link", name="Import a file").click()
    assert_accessible(page)
    page.get_by_label("What kind of file is it?").select_option("ccni")
    page.get_by_label("File (required)").set_input_files(str(DATA / "ccni_small.csv"))
    page.get_by_role("button", name="Upload and import").click()
    page.get_by_text("Finished").wait_for()
    assert_accessible(page)
    page.get_by_role("link", name="See the result").click()
    assert page.get_by_role("heading", name="Import of ccni_small.csv").is_visible()
    assert page.get_by_text("charity number '1000X7' is not a number").is_visible()
    assert_accessible(page)


def test_searching_and_filtering_the_directory(
    page: Any, personas: Personas, sign_in: Any, assert_accessible: Any
) -> None:
    make_org(name="Stretford Foodbank", income=50_000, local_authority="Trafford")
    make_org(name="Sale Foodbank", income=500_000, local_authority="Trafford")
    make_org(name="Salford Foodbank", income=5_000, local_authority="Salford")
    sign_in(personas.member_a.email)
    page.goto("/directory/")
    assert_accessible(page)
    page.get_by_label("Name, activity or org-id").fill("foodbank")
    page.get_by_label("Local authority").select_option("Trafford")
    page.get_by_label("Small (£10k–£100k)").check()
    page.get_by_role("button", name="Search").click()
    status = page.get_by_role("status")
    assert "1 organisation found" in status.inner_text()
    page.get_by_role("link", name="Stretford Foodbank").click()
    assert page.get_by_role("heading", name="Stretford Foodbank", level=1).is_visible()
    assert_accessible(page)
