"""Directory search: ranked words, filters, sorting, and the form's error messages."""

import pytest

from swim.directory.models import Network, NetworkMembership
from swim.directory.search import filter_organisations
from swim.testing import make_org


def names(params: dict[str, object]) -> list[str]:
    _, organisations = filter_organisations(params)
    return [o.name for o in organisations]


@pytest.mark.django_db
def test_a_name_match_ranks_above_an_activity_match() -> None:
    make_org(name="Stretford Community Garden", activities="Food growing for older people")
    make_org(name="Trafford Foodbank", activities="Emergency food parcels")
    make_org(name="Food Cycle Trafford", activities="Community meals")
    assert names({"q": "food"}) == [
        "Food Cycle Trafford",
        "Trafford Foodbank",
        "Stretford Community Garden",
    ]
    # Both names hold both words; the one whose activities also mention food ranks first.
    assert names({"q": "food trafford"}) == ["Trafford Foodbank", "Food Cycle Trafford"]


@pytest.mark.django_db
def test_it_finds_an_organisation_by_its_org_id() -> None:
    make_org(org_id="GB-CHC-1234567", name="Exact One")
    make_org(name="Other")
    assert names({"q": "GB-CHC-1234567"}) == ["Exact One"]


@pytest.mark.django_db
def test_filters_combine() -> None:
    forum = Network.objects.create(name="Women's Forum", slug="womens-forum")
    a = make_org(name="A", income=5_000, postcode="M32 0AA", local_authority="Trafford")
    make_org(name="B", income=50_000, postcode="M32 9ZZ", local_authority="Trafford")
    make_org(name="C", income=5_000, postcode="M1 1AA", local_authority="Manchester")
    make_org(name="Gone", status="removed", postcode="M32 0AB", local_authority="Trafford")
    NetworkMembership.objects.create(network=forum, organisation=a)
    assert names({"local_authority": "Trafford"}) == ["A", "B"]
    assert names({"postcode": "m32"}) == ["A", "B"]
    assert names({"postcode": "M32 0", "status": "all"}) == ["A", "Gone"]
    assert names({"income_band": ["micro"]}) == ["A", "C"]
    assert names({"network": "womens-forum"}) == ["A"]
    assert names({"status": "removed"}) == ["Gone"]


@pytest.mark.django_db
def test_sorting_by_income_puts_unknown_incomes_last() -> None:
    make_org(name="Small", income=100)
    make_org(name="Unknown", income=None)
    make_org(name="Big", income=10_000)
    assert names({"sort": "-income"}) == ["Big", "Small", "Unknown"]
    assert names({"sort": "income"}) == ["Small", "Big", "Unknown"]


@pytest.mark.django_db
def test_a_bad_postcode_filter_is_explained_and_ignored() -> None:
    make_org(name="A")
    form, organisations = filter_organisations({"postcode": "not a code"})
    assert "Enter a postcode district like M32" in form.errors["postcode"][0]
    assert [o.name for o in organisations] == ["A"]
