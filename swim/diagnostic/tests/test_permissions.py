"""Who sees individual answers (the organisation, facilitators) and who sees aggregates only."""

import pytest
from django.contrib.auth.models import AnonymousUser

from swim.accounts.models import User
from swim.accounts.permissions import may, visible_diagnostic_responses
from swim.diagnostic.models import Round
from swim.diagnostic.tests.conftest import submit_response
from swim.testing import Personas

pytestmark = pytest.mark.django_db

# persona: (answer for A, see A's results, see area heatmap, see area gaps, manage rounds)
MATRIX = {
    "admin": (False, True, True, True, True),
    "facilitator": (False, True, True, True, True),
    "member_a": (True, True, False, False, False),
    "member_b": (False, False, False, False, False),
    "funder": (False, False, False, True, False),
    "outsider": (False, False, False, False, False),
    "anonymous": (False, False, False, False, False),
}


@pytest.mark.parametrize("persona", list(MATRIX))
def test_the_permission_matrix(personas: Personas, outsider: User, persona: str) -> None:
    user: User | AnonymousUser
    if persona == "outsider":
        user = outsider
    elif persona == "anonymous":
        user = AnonymousUser()
    else:
        user = personas.by_name(persona)
    got = (
        may(user, "diagnostic.answer_for", personas.org_a),
        may(user, "diagnostic.view_results", personas.org_a),
        may(user, "diagnostic.view_area"),
        may(user, "diagnostic.view_area_gaps"),
        may(user, "diagnostic.manage_rounds"),
    )
    assert got == MATRIX[persona]


def test_individual_responses_are_visible_only_to_their_organisation_and_facilitators(
    personas: Personas, outsider: User, diagnostic_round: Round
) -> None:
    a = submit_response(diagnostic_round, personas.org_a)
    b = submit_response(diagnostic_round, personas.org_b)
    assert set(visible_diagnostic_responses(personas.facilitator)) == {a, b}
    assert set(visible_diagnostic_responses(personas.admin)) == {a, b}
    assert list(visible_diagnostic_responses(personas.member_a)) == [a]
    assert list(visible_diagnostic_responses(personas.member_b)) == [b]
    assert not visible_diagnostic_responses(personas.funder).exists()
    assert not visible_diagnostic_responses(outsider).exists()
    assert not visible_diagnostic_responses(AnonymousUser()).exists()
