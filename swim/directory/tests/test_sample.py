"""The sample area: seeded, idempotent, realistic, labelled as sample, with planted clusters."""

from __future__ import annotations

import math
import re
from collections import Counter
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Q
from django.test import Client
from django.urls import reverse

from swim.accounts.models import Membership
from swim.directory.models import (
    Classification,
    IncomeBand,
    Network,
    NetworkMembership,
    Organisation,
    Tie,
)
from swim.directory.sample import (
    BOROUGH_BOUNDS,
    CCEW_CLASSIFICATIONS,
    INCOME_BANDS,
    PLANTED_WOMEN,
    WOMENS_FORUM,
    ensure_sample_area,
    generate_sample_area,
)
from swim.testing import Personas, make_org

WOMEN = [name for name, *_ in PLANTED_WOMEN]


def km(a: Organisation, b: Organisation) -> float:
    """Distance between two organisations (equirectangular, fine over a borough)."""
    assert a.latitude is not None
    assert b.latitude is not None
    assert a.longitude is not None
    assert b.longitude is not None
    dy = (a.latitude - b.latitude) * 111.2
    dx = (a.longitude - b.longitude) * 111.2 * math.cos(math.radians(a.latitude))
    return math.hypot(dx, dy)


def test_the_same_seed_gives_the_same_area_and_another_seed_another() -> None:
    assert generate_sample_area(seed=3, size=300) == generate_sample_area(seed=3, size=300)
    other = generate_sample_area(seed=4, size=300)
    assert other.organisations[40:] != generate_sample_area(seed=3, size=300).organisations[40:]


def test_incomes_follow_the_ncvo_band_proportions() -> None:
    area = generate_sample_area(seed=11)
    known = [o.income for o in area.organisations if o.income is not None]
    bands = Counter(IncomeBand.for_income(income) for income in known)
    for band, share, _low, _high in INCOME_BANDS:
        tolerance = 4 * math.sqrt(share * (1 - share) / len(known))  # four standard errors
        assert abs(bands[band] / len(known) - share) < tolerance, band
    assert 0.01 < 1 - len(known) / len(area.organisations) < 0.08  # a few with no accounts yet


def test_organisations_have_unique_register_like_names_and_sit_in_the_borough() -> None:
    area = generate_sample_area(seed=5)
    names = [o.name for o in area.organisations]
    assert len(area.organisations) == 3000
    assert len(set(names)) == len(names)
    assert any(name.endswith("Foodbank") for name in names)
    assert any(name.endswith("Scout Group") and name[0].isdigit() for name in names)
    south, west, north, east = BOROUGH_BOUNDS
    for org in area.organisations:
        assert south - 0.03 < org.latitude < north + 0.03, org
        assert west - 0.05 < org.longitude < east + 0.05, org
        assert re.fullmatch(r"(M|WA)[0-9]{2} [0-9][ABD-HJLNP-UW-Z]{2}", org.postcode), org


def test_organisations_crowd_into_neighbourhoods() -> None:
    area = generate_sample_area(seed=5)
    cells = Counter((round(o.latitude, 2), round(o.longitude, 2)) for o in area.organisations)
    counts = sorted(cells.values())
    assert counts[-1] >= 5 * counts[len(counts) // 2], "no denser neighbourhood centres"


@pytest.mark.django_db
def test_it_writes_a_labelled_sample_once_and_does_nothing_when_run_again() -> None:
    real = make_org(name="A Real Charity", latitude=53.4, longitude=-2.3)
    assert ensure_sample_area(seed=9) == 3000
    sample = Organisation.objects.filter(is_sample=True)
    assert sample.count() == 3000
    assert not sample.filter(
        Q(latitude__isnull=True) | Q(longitude__isnull=True) | ~Q(source="sample")
    ).exists()
    assert not sample.exclude(org_id__startswith="XI-SWIM-SAMPLE-").exists()
    assert sample.exclude(income_band=IncomeBand.UNKNOWN).filter(income__isnull=True).count() == 0
    counts = (Tie.objects.count(), NetworkMembership.objects.count(), Network.objects.count())
    assert ensure_sample_area(seed=9) == 3000
    assert Organisation.objects.filter(is_sample=True).count() == 3000
    assert (Tie.objects.count(), NetworkMembership.objects.count(), Network.objects.count()) == (
        counts
    )
    real.refresh_from_db()
    assert real.is_sample is False


@pytest.mark.django_db
def test_each_organisation_has_a_ccew_what_who_and_how_code() -> None:
    ensure_sample_area(seed=2, size=200)
    assert Classification.objects.filter(scheme__startswith="ccew-").count() == sum(
        len(codes) for codes in CCEW_CLASSIFICATIONS.values()
    )
    assert Classification.objects.get(scheme="ccew-what", code="110").label == "Amateur Sport"
    for org in Organisation.objects.filter(is_sample=True).prefetch_related("classifications"):
        assert {c.scheme for c in org.classifications.all()} == set(CCEW_CLASSIFICATIONS), org


@pytest.mark.django_db
def test_the_planted_womens_group_is_close_together_in_one_forum_and_tied() -> None:
    ensure_sample_area(seed=1, size=300)
    women = list(Organisation.objects.filter(name__in=WOMEN, is_sample=True))
    assert len(women) == 6
    forum = Network.objects.get(name=WOMENS_FORUM)
    assert set(forum.members.filter(name__in=WOMEN)) == set(women)
    assert max(km(a, b) for a in women for b in women) < 2.0
    assert all(o.income is not None and o.income < 100_000 for o in women)  # small ones
    pks = {o.pk for o in women}
    ties = Tie.objects.filter(a__in=pks, b__in=pks)
    assert ties.filter(kind=Tie.Kind.SHARED_TRUSTEE).count() >= 5
    reached, frontier = {women[0].pk}, [women[0].pk]
    while frontier:
        pk = frontier.pop()
        for a, b in ties.filter(Q(a=pk) | Q(b=pk)).values_list("a", "b"):
            for other in (a, b):
                if other not in reached:
                    reached.add(other)
                    frontier.append(other)
    assert reached == pks, "the women's group is not connected by its ties"


@pytest.mark.django_db
def test_load_demo_creates_the_sample_first_and_the_member_belongs_to_it() -> None:
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "3,000 sample organisations" in out.getvalue()
    membership = Membership.objects.select_related("organisation").get(
        user__email="member@swim.example"
    )
    assert membership.organisation.is_sample
    assert membership.organisation.name == "Old Trafford Women's Centre"


@pytest.mark.django_db
def test_the_directory_list_and_organisation_page_label_sample_data(
    client: Client, personas: Personas
) -> None:
    ensure_sample_area(seed=1, size=60)
    client.force_login(personas.facilitator)
    response = client.get(reverse("directory-search"), {"q": "Old Trafford Women's Centre"})
    content: Any = response.content.decode()
    assert '<span class="tag">Sample</span>' in content
    org = Organisation.objects.get(name="Old Trafford Women's Centre")
    page = client.get(org.get_absolute_url()).content.decode()
    assert "sample data, not a real organisation" in page
