"""Helpers for the diagnostic's tests: a round, form data and submitted responses."""

from __future__ import annotations

import importlib
from datetime import date, timedelta
from typing import Any

import pytest
from django.apps import apps as django_apps

from swim.accounts.models import Role, User
from swim.diagnostic.actions import active_questions, do_save_response
from swim.diagnostic.models import Response, Round
from swim.directory.models import Organisation
from swim.engine.data import CAPACITY_AREAS
from swim.testing import make_user

STATEMENTS = ("need", "clarity", "commitment", "trust", "arrangements", "learning")


@pytest.fixture(autouse=True)
def _default_questions(request: pytest.FixtureRequest) -> None:
    """Put back the default capacity areas and statements a flushed database lost.

    They come from a data migration; a transactional test (a browser test) empties every
    table when it ends, so a later one would find no questions to ask.
    """
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    request.getfixturevalue("transactional_db")
    defaults = importlib.import_module(
        "swim.diagnostic.migrations.0002_default_areas_and_statements"
    )
    defaults.add_defaults(django_apps, None)


@pytest.fixture
def diagnostic_round(db: None) -> Round:
    return Round.objects.create(name="Baseline 2026", opens_on=date.today() - timedelta(days=1))


@pytest.fixture
def outsider(db: None) -> User:
    """A signed-in person who belongs to no organisation."""
    return make_user("outsider@example.org", Role.MEMBER, full_name="Olu Outsider")


def form_data(
    score: int | str = 3,
    *,
    scores: dict[str, Any] | None = None,
    readiness: int | str = 4,
    hours: str = "6",
    action: str = "submit",
    **extra: Any,
) -> dict[str, Any]:
    """POST data answering every question (each area ``score`` unless in ``scores``)."""
    data: dict[str, Any] = {"action": action, "ceo_hours": hours, "hopes": "A shared HR adviser."}
    for slug in CAPACITY_AREAS:
        data[f"score_{slug}"] = str((scores or {}).get(slug, score))
    for slug in STATEMENTS:
        data[f"ready_{slug}"] = str(readiness)
    data.update(extra)
    return {key: value for key, value in data.items() if value is not None}


def submit_response(
    diagnostic_round: Round,
    organisation: Organisation,
    role: str = "ceo",
    score: int = 3,
    scores: dict[str, int] | None = None,
    hours: float = 6,
    offers: tuple[str, ...] = (),
    priorities: tuple[str, ...] = (),
) -> Response:
    """A submitted response saved through the same action the views use."""
    areas, statements = active_questions()
    cleaned: dict[str, Any] = {"ceo_hours": hours, "hopes": ""}
    for area in areas:
        cleaned[f"score_{area.slug}"] = (scores or {}).get(area.slug, score)
        cleaned[f"offer_{area.slug}"] = area.slug in offers
        cleaned[f"priority_{area.slug}"] = area.slug in priorities
    for statement in statements:
        cleaned[f"ready_{statement.slug}"] = 4
    response = Response.objects.create(
        round=diagnostic_round, organisation=organisation, respondent_role=role
    )
    return do_save_response(response, cleaned, areas=areas, statements=statements, submit=True)
