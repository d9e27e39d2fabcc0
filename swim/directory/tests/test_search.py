"""Directory search: full-text words, org-ids, postcodes, ranking, filters, sorting, errors."""

import pytest

from swim.directory.models import Network, NetworkMembership, Organisation
from swim.directory.search import filter_organisations
from swim.testing import make_org

HOSTILE = [
    '"',
    '""',
    "'",
    "*",
    "-",
    "AND",
    "OR NOT",
    "NEAR(",
    "NEAR(youth club, 2)",
    "NEAR(youth club",
    "youth AND",
    "-youth",
    "youth*",
    "^youth",
    "name:youth",
    "{name}: youth",
    "(youth",
    "youth)",
    "youth & club | !scouts",
    "youth:*A",
    "<->",
    "\\",
    "%_",
    "'; DROP TABLE directory_organisation; --",
    "ｙｏｕｔｈ",
    "Gŵyl",
    "½ ① ²",
    "\u0301\u200d",
    "😀 youth",
    "東京",
    "ß",
    "null\x00byte",
]

#: Hostile input whose words all appear in the organisation's text (stop words aside).
STILL_WORDS = {"youth AND", "-youth", "youth*", "^youth", "(youth", "youth)", "😀 youth"}
STILL_WORDS |= {"youth & club | !scouts", "youth:*A", "NEAR(youth club"}


def names(params: dict[str, object]) -> list[str]:
    _, organisations = filter_organisations(params)
    return [o.name for o in organisations]


@pytest.mark.django_db
def test_a_name_match_ranks_above_an_activity_match() -> None:
    make_org(name="Stretford Community Garden", activities="Food growing for older people")
    make_org(name="Trafford Food Bank", activities="Emergency food parcels")
    make_org(name="Trafford Youth Club", activities="Games; food on Fridays")
    make_org(name="Food Cycle Trafford", activities="Community meals")
    found = names({"q": "food"})
    assert set(found[:2]) == {"Trafford Food Bank", "Food Cycle Trafford"}
    assert set(found[2:]) == {"Stretford Community Garden", "Trafford Youth Club"}
    # Both names hold both words; the one whose activities also mention food ranks first.
    assert names({"q": "food trafford"})[:2] == ["Trafford Food Bank", "Food Cycle Trafford"]


@pytest.mark.django_db
def test_every_word_must_be_found_in_the_name_activities_or_objects() -> None:
    make_org(name="Sale Scouts", activities="Camping", objects_text="Education of young people")
    make_org(name="Sale Guides", activities="Camping and crafts")
    make_org(name="Altrincham Scouts", activities="Hiking")
    assert names({"q": "sale camping"}) == ["Sale Guides", "Sale Scouts"]
    assert names({"q": "camping education"}) == ["Sale Scouts"]
    assert names({"q": "scouts hiking"}) == ["Altrincham Scouts"]
    assert names({"q": "scouts knitting"}) == []


@pytest.mark.django_db
def test_words_are_stemmed_so_plural_and_singular_find_each_other() -> None:
    make_org(name="1st Urmston Scout Group", activities="Weekly meetings")
    make_org(name="Partington Carers", activities="Supporting families caring for relatives")
    make_org(name="Unrelated", activities="Bowls")
    assert names({"q": "scouts"}) == ["1st Urmston Scout Group"]
    assert names({"q": "meeting"}) == ["1st Urmston Scout Group"]
    assert names({"q": "family support"}) == ["Partington Carers"]


@pytest.mark.django_db
def test_the_last_word_finds_longer_words_as_it_is_typed() -> None:
    make_org(name="Sale Youth Football Club", activities="Football for all ages")
    make_org(name="Sale Youth Theatre", activities="Drama")
    make_org(name="Football Supporters Trust", activities="Fans")
    assert names({"q": "youth foot"}) == ["Sale Youth Football Club"]
    assert sorted(names({"q": "foo"})) == ["Football Supporters Trust", "Sale Youth Football Club"]
    # Only the last word: a word followed by another is a whole word.
    assert names({"q": "foot youth"}) == []


@pytest.mark.django_db
def test_accents_and_case_do_not_matter() -> None:
    make_org(name="Gŵyl Gerdd Café", activities="A music festival")
    assert names({"q": "gwyl cafe"}) == ["Gŵyl Gerdd Café"]
    assert names({"q": "GŴYL Café"}) == ["Gŵyl Gerdd Café"]


@pytest.mark.django_db
def test_it_finds_an_organisation_by_its_org_id_in_any_case() -> None:
    make_org(org_id="GB-CHC-1234567", name="Exact One")
    make_org(org_id="XI-SWIM-friends-of-the-park-m32-8da", name="Park Friends")
    make_org(name="Other", activities="Mentions GB-CHC-1234567 in passing")
    assert names({"q": "GB-CHC-1234567"}) == ["Exact One"]
    assert names({"q": "gb-chc-1234567"}) == ["Exact One"]
    assert names({"q": "xi-swim-friends-of-the-park-m32-8da"}) == ["Park Friends"]
    assert names({"q": "GB-CHC-1234567 GB-CHC-7654321"}) == ["Exact One"]


@pytest.mark.django_db
def test_it_finds_organisations_at_a_postcode_with_or_without_other_words() -> None:
    make_org(name="Stretford Library", postcode="M32 0AA", activities="Books")
    make_org(name="Stretford Food Bank", postcode="M32 0AA", activities="Food parcels")
    make_org(name="Sale Library", postcode="M33 7ZZ", activities="Books")
    assert names({"q": "M32 0AA"}) == ["Stretford Food Bank", "Stretford Library"]
    assert names({"q": "m320aa"}) == ["Stretford Food Bank", "Stretford Library"]
    assert names({"q": "library m32 0aa"}) == ["Stretford Library"]


@pytest.mark.django_db
@pytest.mark.parametrize("query", HOSTILE)
def test_no_input_breaks_the_search(query: str) -> None:
    """Quotes, operators, punctuation and any script are words or nothing, never syntax."""
    make_org(name="Trafford Youth Club", activities="Youth club and scouts: NEAR the park")
    _, organisations = filter_organisations({"q": query})
    found = [o.name for o in organisations]
    assert found in ([], ["Trafford Youth Club"])
    if query in STILL_WORDS:
        assert found == ["Trafford Youth Club"]


@pytest.mark.django_db
def test_a_search_with_nothing_to_look_for_finds_nothing() -> None:
    make_org(name="A")
    assert names({"q": '" * -'}) == []
    assert names({"q": "   "}) == ["A"]  # an empty box is no search at all


@pytest.mark.django_db
def test_search_combines_with_filters_and_the_status() -> None:
    make_org(name="Sale Scouts", local_authority="Trafford")
    make_org(name="Salford Scouts", local_authority="Salford")
    make_org(name="Old Sale Scouts", local_authority="Trafford", status="removed")
    assert names({"q": "scouts", "local_authority": "Trafford"}) == ["Sale Scouts"]
    assert names({"q": "scouts", "status": "removed"}) == ["Old Sale Scouts"]
    assert names({"q": "scouts", "sort": "-name"}) == ["Salford Scouts", "Sale Scouts"]


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


@pytest.mark.django_db
def test_a_search_still_selects_the_same_organisations_inside_another_query() -> None:
    """Discovery reads a filter's organisations as a subquery (tables renamed U0, U1…)."""
    make_org(name="Sale Scouts", activities="Camping")
    make_org(name="Sale Guides", activities="Crafts")
    _, organisations = filter_organisations({"q": "camping"})
    nested = Organisation.objects.filter(pk__in=organisations.order_by().values("pk"))
    assert [o.name for o in nested] == ["Sale Scouts"]
    assert organisations.count() == 1
