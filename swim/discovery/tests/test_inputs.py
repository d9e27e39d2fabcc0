"""Directory rows become the engine's input, in a few queries whatever the area's size."""

from __future__ import annotations

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from swim.directory.models import Organisation, Tie
from swim.discovery.inputs import organisations_for
from swim.discovery.tests.conftest import Area
from swim.testing import make_org

pytestmark = pytest.mark.django_db


def test_it_converts_the_area_with_texts_codes_ties_and_networks(area: Area) -> None:
    orgs, pks, labels = organisations_for(Organisation.objects.all())
    assert len(orgs) == len(pks) == 16
    i = pks.index(area.planted[0].pk)
    assert orgs.ids[i] == area.planted[0].org_id
    assert "domestic abuse" in orgs.texts[i]
    assert orgs.classifications[i] == ["who:women"]
    assert labels == {"who:women": "Women"}
    assert orgs.networks[i] == ["Trafford Women's Forum"]
    j = pks.index(area.planted[1].pk)
    assert orgs.ties[i, j] == orgs.ties[j, i] == 1.0
    assert orgs.ties.nnz == 12
    assert orgs.latitude[i] == pytest.approx(53.45)


def test_only_active_organisations_are_considered(area: Area) -> None:
    make_org(name="Closed Charity", status=Organisation.Status.REMOVED)
    _, pks, _ = organisations_for(Organisation.objects.all())
    assert Organisation.objects.get(name="Closed Charity").pk not in pks


def test_missing_values_become_nan_and_empty_text(db: None) -> None:
    make_org(activities="", latitude=None, longitude=None, income=None)
    orgs, _, _ = organisations_for(Organisation.objects.all())
    assert np.isnan(orgs.latitude[0])
    assert np.isnan(orgs.income[0])
    assert orgs.texts[0] == ""


def test_the_number_of_queries_does_not_grow_with_the_area(area: Area) -> None:
    with CaptureQueriesContext(connection) as few:
        organisations_for(Organisation.objects.filter(local_authority="Trafford"))
    for i in range(20):
        make_org(name=f"More {i}", local_authority="Trafford")
    with CaptureQueriesContext(connection) as many:
        organisations_for(Organisation.objects.filter(local_authority="Trafford"))
    assert len(many) == len(few) <= 5


def test_ties_to_organisations_outside_the_area_are_left_out(area: Area) -> None:
    outside = make_org(name="Outside", local_authority="Stockport")
    inside = make_org(name="Inside", local_authority="Trafford")  # a tie's a < b: both ways
    Tie.objects.create(a=area.planted[0], b=outside, kind=Tie.Kind.SHARED_TRUSTEE)
    Tie.objects.create(a=outside, b=inside, kind=Tie.Kind.SHARED_TRUSTEE)
    orgs, pks, _ = organisations_for(Organisation.objects.filter(local_authority="Trafford"))
    assert outside.pk not in pks
    assert orgs.ties.nnz == 12
    orgs, pks, _ = organisations_for(Organisation.objects.all())
    assert orgs.ties.nnz == 16


def test_needs_offers_and_ceo_hours_come_from_each_organisations_latest_round(db: None) -> None:
    from datetime import date

    from swim.diagnostic.models import Round
    from swim.diagnostic.tests.conftest import submit_response
    from swim.engine.data import CAPACITY_AREAS

    answered, moved_on, silent = (
        make_org(name=name) for name in ("Answered", "Moved On", "Silent")
    )
    baseline = Round.objects.create(name="Baseline", opens_on=date(2026, 1, 5))
    later = Round.objects.create(name="Later", opens_on=date(2026, 6, 1))
    submit_response(baseline, answered, "ceo", scores={"hr": 1}, hours=4, offers=("ict",))
    submit_response(baseline, answered, "trustee", scores={"hr": 2}, hours=10)
    submit_response(baseline, moved_on, "ceo", scores={"hr": 1}, hours=2)
    submit_response(later, moved_on, "ceo", scores={"hr": 5}, hours=8)

    orgs, pks, _ = organisations_for(Organisation.objects.all())

    assert orgs.needs is not None
    assert orgs.offers is not None
    assert orgs.ceo_hours is not None
    hr, ict = CAPACITY_AREAS.index("hr"), CAPACITY_AREAS.index("ict")
    a, m, s = (pks.index(org.pk) for org in (answered, moved_on, silent))
    assert orgs.needs[a, hr] == pytest.approx((5 - 1.5) / 4)  # median of the CEO's 1 and 2
    assert orgs.needs[a, ict] == pytest.approx((5 - 3) / 4)
    assert orgs.offers[a, ict]
    assert not orgs.offers[a, hr]
    assert orgs.ceo_hours[a] == 4  # the CEO's answer, not the trustee's
    assert orgs.needs[m, hr] == 0.0  # the later round only
    assert orgs.ceo_hours[m] == 8
    assert np.isnan(orgs.needs[s]).all()
    assert np.isnan(orgs.ceo_hours[s])


def test_without_any_diagnostic_the_engine_is_told_there_is_none(area: Area) -> None:
    orgs, _, _ = organisations_for(Organisation.objects.all())
    assert orgs.needs is None
    assert orgs.offers is None
    assert orgs.ceo_hours is None
