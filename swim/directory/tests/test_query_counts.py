"""The directory's pages run a fixed number of queries, however many organisations they show.

Each page is asked for twice per data set: with empty caches (the most queries: choices,
counts and aggregates computed) and again (read from the cache). Both numbers must be the
same with 3 organisations as with 60 that have classifications, networks, ties and people.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from swim.accounts.models import Membership
from swim.directory.models import (
    Classification,
    Network,
    NetworkMembership,
    Organisation,
    Tie,
)
from swim.testing import Personas, make_org, make_user

pytestmark = pytest.mark.django_db

MAP_VIEW = {"bbox": "-2.6,53.2,-2.0,53.7", "zoom": "12"}


def populate(count: int, personas: Personas) -> Organisation:
    """``count`` more located organisations in two local authorities, each with two
    classifications and two networks, tied to organisation A (returned) and with a person
    linked to it or to A."""
    classifications = [
        Classification.objects.get_or_create(scheme="ccew-what", code=str(100 + i), label=label)[0]
        for i, label in enumerate(["Education", "Health", "Recreation"])
    ]
    networks = [
        Network.objects.get_or_create(slug=slug, defaults={"name": slug.title()})[0]
        for slug in ("forum", "federation", "partnership")
    ]
    start = Organisation.objects.count()
    orgs = []
    for i in range(count):
        org = make_org(
            name=f"Community Group {start + i}",
            local_authority="Trafford" if i % 2 else "Manchester",
            latitude=53.40 + 0.001 * i,
            longitude=-2.30 - 0.001 * i,
            income=1_000 * (i + 1),
        )
        org.classifications.add(classifications[i % 3], classifications[(i + 1) % 3])
        for network in (networks[i % 3], networks[(i + 1) % 3]):
            NetworkMembership.objects.create(network=network, organisation=org)
        orgs.append(org)
    hub = personas.org_a
    for org in orgs:
        Tie.objects.create(a=hub, b=org, kind=Tie.Kind.PARTNERSHIP)
        person = make_user(f"person-{org.pk}@example.org", full_name=f"Person {org.pk}")
        Membership.objects.create(user=person, organisation=hub if org.pk % 2 else org)
    return hub


def queries(fetch: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = fetch()
        assert response.status_code == 200
        if response.streaming:
            b"".join(response.streaming_content)
    return len(captured)


def counts(client: Client, path: str, params: dict[str, Any], **headers: str) -> list[int]:
    """Queries of the request with empty caches, then again."""
    cache.clear()
    return [queries(lambda: client.get(path, params, headers=headers)) for _ in range(2)]


PAGES = [
    pytest.param("/directory/", {}, {}, [9, 7], id="search page"),
    pytest.param(
        "/directory/", {"q": "community group", "network": "forum"}, {}, [10, 8], id="word search"
    ),
    pytest.param("/directory/", {"page": "2"}, {"HX-Request": "true"}, [7, 5], id="htmx results"),
    pytest.param("/directory/map/", {}, {}, [8, 6], id="map page"),
    pytest.param("/directory/map/data/", MAP_VIEW, {}, [6, 3], id="map data"),
]


@pytest.mark.parametrize(("path", "params", "headers", "expected"), PAGES)
def test_a_directory_page_runs_as_many_queries_for_60_organisations_as_for_3(
    client: Client,
    personas: Personas,
    path: str,
    params: dict[str, Any],
    headers: dict[str, str],
    expected: list[int],
) -> None:
    client.force_login(personas.facilitator)
    populate(3, personas)
    few = counts(client, path, params, **headers)
    populate(57, personas)
    assert Organisation.objects.count() == 62
    assert (few, counts(client, path, params, **headers)) == (expected, expected)


def test_the_organisation_page_runs_as_many_queries_for_60_ties_as_for_3(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.facilitator)
    hub = populate(3, personas)
    few = counts(client, hub.get_absolute_url(), {})
    populate(57, personas)
    assert Tie.objects.filter(a=hub).count() == 60
    assert (few, counts(client, hub.get_absolute_url(), {})) == ([11, 11], [11, 11])


def test_a_page_of_search_results_is_read_again_from_the_cache_until_the_data_changes(
    client: Client, personas: Personas
) -> None:
    """The second request reads the page by key; an import or a new organisation shows."""
    client.force_login(personas.facilitator)
    populate(3, personas)
    cache.clear()
    first = client.get("/directory/", {"q": "group"}).content.decode()
    assert "3 organisations found" in first
    assert "3 organisations found" in client.get("/directory/", {"q": "group"}).content.decode()
    make_org(name="Newcomers Group")
    again = client.get("/directory/", {"q": "group"}).content.decode()
    assert "4 organisations found" in again
    assert "Newcomers Group" in again
