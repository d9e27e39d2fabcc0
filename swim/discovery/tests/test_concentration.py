"""The concentration map: quotients from the directory, who may see it, sort, CSV, errors."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.test import Client

from swim.directory.models import Classification, Organisation
from swim.discovery.concentration import field_table, register, top_table
from swim.testing import Personas, make_org

pytestmark = pytest.mark.django_db
URL = "/discovery/concentration/"


def make_register() -> Classification:
    """Alpha: 40 organisations, 20 of them food banks; Beta: 40, 2 food banks.

    Food banks' quotient in Alpha is (20/40) / (22/80) = 1.82, clearly above 1.
    """
    food = Classification.objects.create(scheme="ukcat", code="FO", label="Food banks")
    for area, postcode, in_field in [("Alpha", "AA1 1AA", 20), ("Beta", "BB2 2BB", 2)]:
        for i in range(40):
            org = make_org(local_authority=area, postcode=postcode, latitude=53.0, longitude=-2.0)
            if i < in_field:
                org.classifications.add(food)
    make_org(local_authority="Alpha", status=Organisation.Status.REMOVED).classifications.add(food)
    return food


@pytest.fixture
def food(db: None) -> Classification:
    return make_register()


@pytest.fixture
def facilitator(client: Client, personas: Personas) -> Client:
    client.force_login(personas.facilitator)
    return client


def rows(html: str) -> list[list[str]]:
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S)
    assert body
    return [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
    ]


def test_the_quotients_come_from_the_active_organisations_of_the_register(
    food: Classification,
) -> None:
    reg = register("local_authority")
    table = list(field_table(reg, food.pk))
    by_area = {row.area: row for row in table}
    assert set(by_area) == {"Alpha", "Beta"}  # the personas' organisations have no authority
    assert by_area["Alpha"].count == 20
    assert by_area["Alpha"].total == 40
    assert by_area["Alpha"].lq == pytest.approx((20 / 40) / (22 / 80))
    assert by_area["Alpha"].note == "Clearly above average"
    assert by_area["Beta"].note == "Too few to judge (under 5 in the field)"
    assert [(r.area, r.field.pk) for r in top_table(reg)] == [("Alpha", food.pk)]


def test_postcode_districts_are_areas_too(food: Classification) -> None:
    reg = register("district")
    assert {row.area for row in field_table(reg, food.pk)} == {"AA1", "BB2"}


def test_a_new_organisation_shows_at_once(food: Classification) -> None:
    before = {r.area: r.count for r in field_table(register("local_authority"), food.pk)}
    make_org(local_authority="Gamma", postcode="CC3 3CC").classifications.add(food)
    after = {r.area: r.count for r in field_table(register("local_authority"), food.pk)}
    assert "Gamma" not in before
    assert after["Gamma"] == 1


def test_a_facilitator_sees_a_fields_areas_with_their_quotients(
    facilitator: Client, food: Classification
) -> None:
    response = facilitator.get(URL, {"field": food.pk})
    assert response.status_code == 200
    html = response.content.decode()
    table = rows(html)
    assert [row[0] for row in table] == ["Alpha", "Beta"]  # highest quotient first
    assert table[0][1:5] == ["20", "40", "50.0%", "1.82"]
    assert 'id="concentration-points"' in html  # the map's data
    assert "Start discovery here" in html


def test_the_top_concentrations_need_no_field(facilitator: Client, food: Classification) -> None:
    html = facilitator.get(URL).content.decode()
    table = rows(html)
    assert len(table) == 1
    assert table[0][:3] == ["Food banks (ukcat)", "Alpha", "20"]


@pytest.mark.parametrize(
    ("sort", "order"),
    [("-lq", ["Alpha", "Beta"]), ("lq", ["Beta", "Alpha"]), ("area", ["Alpha", "Beta"]),
     ("-area", ["Beta", "Alpha"]), ("count", ["Beta", "Alpha"])],
)  # fmt: skip
def test_the_table_sorts_by_any_column(
    facilitator: Client, food: Classification, sort: str, order: list[str]
) -> None:
    html = facilitator.get(URL, {"field": str(food.pk), "sort": sort}).content.decode()
    assert [row[0] for row in rows(html)] == order


def test_the_sorted_column_says_so_and_its_heading_reverses_it(
    facilitator: Client, food: Classification
) -> None:
    html = facilitator.get(URL, {"field": str(food.pk), "sort": "area"}).content.decode()
    heading = re.search(r'<th scope="col" aria-sort="ascending"><a href="([^"]+)">Area', html)
    assert heading, "the Area heading is not marked as sorted"
    assert "sort=-area" in heading.group(1)


def test_the_csv_holds_every_row_with_the_quotients(
    facilitator: Client, food: Classification
) -> None:
    response = facilitator.get(URL + "export/", {"field": str(food.pk), "sort": "area"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    found = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["area"] for r in found] == ["Alpha", "Beta"]
    assert found[0]["field_label"] == "Food banks"
    assert found[0]["in_field"] == "20"
    assert found[0]["all_organisations"] == "40"
    assert float(found[0]["location_quotient"]) == pytest.approx(1.818, abs=1e-3)
    assert float(found[0]["lower_95"]) > 1


@pytest.mark.parametrize(
    ("params", "message"),
    [({"field": "abc"}, "Select a valid choice"), ({"field": "999999"}, "Select a valid choice"),
     ({"level": "county"}, "Select a valid choice"), ({"sort": "salary"}, "Select a valid choice")],
)  # fmt: skip
def test_bad_choices_are_explained_not_a_server_error(
    facilitator: Client, food: Classification, params: dict[str, str], message: str
) -> None:
    response = facilitator.get(URL, params)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert facilitator.get(URL + "export/", params).status_code == 400


def test_a_page_beyond_the_last_shows_the_last(facilitator: Client, food: Classification) -> None:
    response = facilitator.get(URL, {"field": str(food.pk), "page": "99"})
    assert response.status_code == 200
    assert len(rows(response.content.decode())) == 2


def test_start_discovery_here_opens_the_form_prefilled(
    facilitator: Client, food: Classification
) -> None:
    html = facilitator.get(URL, {"field": food.pk}).content.decode()
    link = re.search(
        r'<a href="([^"]+)" aria-label="Start discovery here: Food banks in Alpha"', html
    )
    assert link
    form = facilitator.get(link.group(1).replace("&amp;", "&")).content.decode()
    assert re.search(r'<option value="Alpha" selected>', form)
    assert re.search(rf'<option value="{food.pk}" selected>', form)
    assert re.search(r'value="theme"[^>]*checked', form)


def test_a_theme_run_can_be_around_a_classification_alone(
    facilitator: Client, food: Classification
) -> None:
    response = facilitator.post(
        "/discovery/",
        {"mode": "theme", "local_authority": "Alpha", "classification": food.pk, "min_size": "4",
         "max_size": "12", "max_span_km": "5", "max_income_share": "0.5", "radius_km": "3"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]


@pytest.mark.parametrize("persona", ["member_a", "member_b", "funder"])
def test_members_and_funders_are_refused(
    client: Client, personas: Personas, food: Classification, persona: str
) -> None:
    client.force_login(personas.by_name(persona))
    assert client.get(URL).status_code == 403
    assert client.get(URL, {"field": food.pk}).status_code == 403
    assert client.get(URL + "export/").status_code == 403


def test_visitors_are_sent_to_sign_in(client: Client, food: Classification) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_administrators_may_see_it(
    client: Client, personas: Personas, food: Classification
) -> None:
    client.force_login(personas.admin)
    assert client.get(URL).status_code == 200
