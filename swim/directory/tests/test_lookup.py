"""Finding an organisation by name or org-id (``swim.directory.lookup``) and the type-ahead
list every such field offers (``/directory/lookup/``)."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client, RequestFactory

from swim.accounts.models import Role
from swim.directory.lookup import (
    OPTIONS_SHOWN,
    OrganisationInput,
    find_organisation,
    find_organisations,
)
from swim.directory.models import Organisation
from swim.directory.views import lookup
from swim.testing import PERSONA_NAMES, Personas, make_org, make_user

pytestmark = pytest.mark.django_db

A = "GB-CHC-1000001"  # Alpha Women's Centre, one of the personas' organisations


def refusal(typed: str, queryset: Any = None) -> ValidationError:
    with pytest.raises(ValidationError) as refused:
        find_organisation(typed, queryset)
    return refused.value


# --- The rule ------------------------------------------------------------------------------


def test_an_org_id_finds_its_organisation_in_any_case(personas: Personas) -> None:
    for typed in (A, A.lower(), "  gB-cHc-1000001 "):
        assert find_organisation(typed) == personas.org_a


def test_a_name_finds_its_organisation_as_the_directory_has_it_case_and_spaces_aside(
    personas: Personas,
) -> None:
    assert find_organisation("Alpha Women's Centre") == personas.org_a
    assert find_organisation("  ALPHA   women's centre ") == personas.org_a
    assert refusal("Alpha Women").messages == [
        "No organisation has the name or org-id 'Alpha Women'."
    ]


def test_a_chosen_option_is_read_by_its_org_id(personas: Personas) -> None:
    assert find_organisation(f"Alpha Women's Centre ({A})") == personas.org_a
    assert find_organisation(f"An old name ({A.lower()})") == personas.org_a
    refused = refusal("Alpha Women's Centre (GB-CHC-404)")
    assert (refused.code, refused.messages) == (
        "unknown",
        ["No organisation has the org-id GB-CHC-404."],
    )


def test_a_name_several_organisations_have_is_refused_listing_their_org_ids() -> None:
    make_org(name="Age UK Trafford", org_id="GB-CHC-2222222", postcode="M33 1BB")
    make_org(name="Age UK Trafford", org_id="GB-CHC-1111111", postcode="")
    refused = refusal("age uk  trafford")
    assert refused.code == "ambiguous"
    assert refused.messages == [
        "2 organisations are called 'age uk trafford': use the org-id (GB-CHC-1111111 or "
        "GB-CHC-2222222 in M33 1BB)."
    ]
    assert find_organisation("gb-chc-2222222").postcode == "M33 1BB"


def test_a_name_many_organisations_have_lists_five_org_ids_and_counts_the_rest() -> None:
    for n in range(7):
        make_org(name="St Mary's Church", org_id=f"GB-CHC-50000{n}", postcode="")
    assert refusal("St Mary's Church").messages == [
        "7 organisations are called 'St Mary's Church': use the org-id (GB-CHC-500000, "
        "GB-CHC-500001, GB-CHC-500002, GB-CHC-500003, GB-CHC-500004 and 2 more)."
    ]


def test_a_name_shared_with_organisations_removed_from_the_register_finds_the_active_one() -> None:
    make_org(name="Sale Sharks Trust", org_id="GB-CHC-3000001", status="removed")
    active = make_org(name="Sale Sharks Trust", org_id="GB-CHC-3000002")
    make_org(name="Sale Sharks Trust", org_id="GB-CHC-3000003", status="removed")
    assert find_organisation("Sale Sharks Trust") == active
    gone = make_org(name="Old Mill Club", org_id="GB-CHC-3000004", status="removed")
    assert find_organisation("Old Mill Club") == gone  # the only one: found, removed or not
    make_org(name="Old Mill Club", org_id="GB-CHC-3000005", status="removed")
    assert refusal("Old Mill Club").code == "ambiguous"  # no active one to prefer
    assert find_organisation("GB-CHC-3000001").status == "removed"  # an org-id always finds


def test_nothing_typed_and_unknown_org_ids_are_refused_with_what_to_give(
    personas: Personas,
) -> None:
    refused = refusal("   ")
    assert (refused.code, refused.messages) == (
        "required",
        ["Give the organisation's name or org-id."],
    )
    assert refusal("GB-CHC-99").messages == ["No organisation has the org-id GB-CHC-99."]


def test_only_the_organisations_of_the_queryset_are_found(personas: Personas) -> None:
    others = Organisation.objects.exclude(pk=personas.org_a.pk)
    assert refusal(A, others).code == "unknown"
    assert refusal("Alpha Women's Centre", others).code == "unknown"
    assert find_organisation("Beta Youth Project", others) == personas.org_b


def test_many_values_are_looked_up_in_one_query(
    personas: Personas, django_assert_num_queries: Any
) -> None:
    typed = [A.lower(), "BETA YOUTH PROJECT", "Nowhere", f"x ({A})"]
    with django_assert_num_queries(1):
        found = find_organisations(typed)
    assert [found[value].organisation for value in typed] == [
        personas.org_a,
        personas.org_b,
        None,
        personas.org_a,
    ]
    assert found["Nowhere"].problem == "no organisation has the name or org-id 'Nowhere'"


# --- The type-ahead list -------------------------------------------------------------------


def options(client: Client, **params: str) -> list[tuple[str, str]]:
    response = client.get("/directory/lookup/", params)
    assert response.status_code == 200
    return re.findall(
        r'<option value="([^"]*)">([^<]*)</option>', unescape(response.content.decode())
    )


@pytest.fixture
def facilitator(client: Client, personas: Personas) -> Client:
    client.force_login(personas.facilitator)
    return client


def test_the_list_offers_at_most_twenty_active_organisations_matching_the_words(
    facilitator: Client,
) -> None:
    for n in range(OPTIONS_SHOWN + 5):
        make_org(name=f"Trafford Youth Club {n:02d}", postcode="M32 0AA")
    make_org(name="Trafford Youth Club Gone", postcode="M32 0AA", status="removed")
    make_org(name="Trafford Youth Club Far", org_id="GB-CHC-8000001", postcode="")
    found = options(facilitator, q="trafford youth")
    assert len(found) == OPTIONS_SHOWN == 20
    assert all(re.fullmatch(r"Trafford Youth Club .+ \(GB-CHC-\d+\)", v) for v, _ in found)
    assert not any("Gone" in value for value, _ in found)
    far = options(facilitator, q="youth club far")  # no postcode: labelled by its org-id
    assert far == [("Trafford Youth Club Far (GB-CHC-8000001)", "GB-CHC-8000001")]


def test_the_list_reads_the_box_named_by_field_and_a_chosen_option_finds_itself(
    facilitator: Client,
) -> None:
    alpha = [(f"Alpha Women's Centre ({A})", "M32 0AA")]
    assert options(facilitator, field="partners_for", partners_for="alpha wom") == alpha
    assert options(facilitator, field="organisation", organisation=f"Alpha Women's Centre ({A})")
    assert options(facilitator, q=A.lower()) == alpha


def test_nothing_is_offered_for_an_empty_short_or_overlong_query(
    facilitator: Client, django_assert_max_num_queries: Any
) -> None:
    make_org(name="Al Noor Centre")
    for params in ({}, {"q": ""}, {"q": "  "}, {"q": "a"}, {"q": "al"}, {"field": "x"}):
        with django_assert_max_num_queries(2):  # the session and the user: no search
            assert options(facilitator, **params) == []
    assert options(facilitator, q="alpha " * 50) == []  # longer than the search box takes
    assert options(facilitator, q="alp") != []


def test_names_are_escaped_in_the_options(facilitator: Client) -> None:
    make_org(name='Quote "<b>" & Co', org_id="GB-CHC-8000002", postcode="")
    response = facilitator.get("/directory/lookup/", {"q": "quote"})
    body = response.content.decode()
    assert "<b>" not in body
    assert unescape(body) == (
        '<option value="Quote "<b>" & Co (GB-CHC-8000002)">GB-CHC-8000002</option>'
    )


@pytest.mark.parametrize("persona", [*PERSONA_NAMES, "outsider"])
def test_everyone_signed_in_may_look_as_they_may_search_the_directory(
    client: Client, personas: Personas, persona: str
) -> None:
    """Register data is public to every signed-in person (``directory.view_directory``)."""
    user = (
        make_user("outsider@example.org", Role.MEMBER)
        if persona == "outsider"
        else personas.by_name(persona)
    )
    client.force_login(user)
    assert options(client, q="alpha") == [(f"Alpha Women's Centre ({A})", "M32 0AA")]


def test_anonymous_visitors_are_sent_to_sign_in(client: Client, personas: Personas) -> None:
    response = client.get("/directory/lookup/", {"q": "alpha"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_someone_refused_the_directory_is_refused_the_list(personas: Personas) -> None:
    """The view asks the permission module: a switched-off account (whom sign-in already turns
    away) is refused by the directory's own permission too."""
    personas.member_a.is_active = False
    personas.member_a.save()
    request = RequestFactory().get("/directory/lookup/", {"q": "alpha"})
    request.user = personas.member_a
    with pytest.raises(PermissionDenied):
        lookup(request)  # type: ignore[arg-type]


def test_the_box_renders_with_its_own_list_and_asks_for_its_own_value() -> None:
    html = OrganisationInput().render("form-seed", "GB-CHC-1", {"id": "id_form-seed"})
    assert 'name="form-seed"' in html
    assert 'value="GB-CHC-1"' in html
    assert 'list="id_form-seed_options"' in html
    assert 'hx-target="#id_form-seed_options"' in html
    assert 'hx-get="/directory/lookup/?field=form-seed"' in html
    assert 'autocomplete="off"' in html
    assert html.endswith('<datalist id="id_form-seed_options"></datalist>')
