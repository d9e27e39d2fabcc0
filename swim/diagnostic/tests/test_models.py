"""The database keeps the diagnostic consistent: ranges, one rating per area, defaults."""

from datetime import date

import pytest
from django.db import IntegrityError, transaction

from swim.diagnostic.models import (
    CapacityArea,
    Rating,
    ReadinessAnswer,
    ReadinessStatement,
    Response,
    Round,
)
from swim.engine.data import CAPACITY_AREAS
from swim.testing import Personas

pytestmark = pytest.mark.django_db


def test_the_default_capacity_areas_are_the_engines_in_its_order() -> None:
    assert tuple(CapacityArea.objects.values_list("slug", flat=True)) == CAPACITY_AREAS
    assert CapacityArea.objects.get(slug="hr").name == "HR"
    assert ReadinessStatement.objects.count() == 6


@pytest.fixture
def response(personas: Personas, diagnostic_round: Round) -> Response:
    return Response.objects.create(
        round=diagnostic_round, organisation=personas.org_a, respondent_role="ceo"
    )


@pytest.mark.parametrize("score", [0, 6])
def test_a_score_outside_one_to_five_is_refused_by_the_database(
    response: Response, score: int
) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(response=response, area=CapacityArea.objects.all()[0], score=score)


def test_a_likert_value_outside_one_to_five_is_refused(response: Response) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        ReadinessAnswer.objects.create(
            response=response, statement=ReadinessStatement.objects.all()[0], value=9
        )


def test_an_area_is_rated_once_per_response(response: Response) -> None:
    area = CapacityArea.objects.all()[0]
    Rating.objects.create(response=response, area=area, score=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(response=response, area=area, score=3)


def test_a_submitted_response_needs_its_submission_time(response: Response) -> None:
    response.status = Response.Status.SUBMITTED
    with pytest.raises(IntegrityError), transaction.atomic():
        response.save()


@pytest.mark.parametrize("hours", [-1, 161])
def test_ceo_hours_must_be_between_zero_and_a_full_time_month(
    response: Response, hours: int
) -> None:
    response.ceo_hours_per_month = hours
    with pytest.raises(IntegrityError), transaction.atomic():
        response.save()


def test_a_member_answers_once_per_round_and_organisation(
    personas: Personas, diagnostic_round: Round
) -> None:
    fields = {"round": diagnostic_round, "organisation": personas.org_a, "respondent_role": "ceo"}
    Response.objects.create(respondent=personas.member_a, **fields)
    Response.objects.create(**fields)  # invited respondents have no account: no limit here
    with pytest.raises(IntegrityError), transaction.atomic():
        Response.objects.create(respondent=personas.member_a, **fields)


def test_a_round_cannot_close_before_it_opens() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Round.objects.create(name="x", opens_on=date(2026, 5, 1), closes_on=date(2026, 4, 1))
    assert Round(name="y", opens_on=date(2026, 5, 1)).is_open(date(2030, 1, 1))
    assert not Round(name="z", opens_on=date(2026, 5, 1)).is_open(date(2026, 4, 30))
