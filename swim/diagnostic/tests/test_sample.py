"""The demo's made-up diagnostic: the planted women's organisations share an HR gap."""

import pytest

from swim.diagnostic.actions import active_questions
from swim.diagnostic.models import Response
from swim.diagnostic.results import area_results
from swim.diagnostic.sample import SAMPLE_ROUND, ensure_sample_diagnostic
from swim.directory.models import Organisation
from swim.directory.sample import PLANTED_WOMEN, ensure_sample_area

pytestmark = pytest.mark.django_db


def test_the_sample_round_shows_the_womens_hr_gap_and_hr_ict_as_the_top_gaps() -> None:
    ensure_sample_area(size=400)
    count = ensure_sample_diagnostic(others=40)
    assert count == ensure_sample_diagnostic()  # idempotent
    assert Response.objects.filter(round__name=SAMPLE_ROUND, status="submitted").count() == count
    results = area_results(Response.objects.filter(round__name=SAMPLE_ROUND), active_questions()[0])
    women = {name for name, *_ in PLANTED_WOMEN}
    profiles = {results.organisations[k].name: p for k, p in results.profiles.items()}
    assert women <= set(profiles)
    assert all(profiles[name].areas["hr"].is_gap for name in women)
    assert {gap.slug for gap in results.gaps[:2]} == {"hr", "ict"}
    member_org = Organisation.objects.filter(is_sample=True).order_by("pk").first()
    assert member_org is not None
    assert not Response.objects.filter(organisation=member_org, respondent_role="ceo").exists()


def test_without_the_sample_area_nothing_is_written() -> None:
    assert ensure_sample_diagnostic() == 0
    assert not Response.objects.exists()
