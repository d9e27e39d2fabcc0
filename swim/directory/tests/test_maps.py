"""The directory map: grid aggregation in SQL, points when few, bbox checks, pages, ego graph."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from swim.directory import maps
from swim.directory.graphs import ego_graph
from swim.directory.models import Organisation, Tie
from swim.testing import Personas, make_org

pytestmark = pytest.mark.django_db

ZOOM = 10
ROOT = Path(__file__).resolve().parents[3]


def cell_centre(row_offset: int, col_offset: int) -> tuple[float, float]:
    """The centre of a grid cell at ZOOM, counted from the cell holding (53.45, -2.30)."""
    height, width = maps.cell_size(ZOOM, 53.45)
    row = math.floor((53.45 + 90) / height) + row_offset
    col = math.floor((-2.30 + 180) / width) + col_offset
    return (row + 0.5) * height - 90, (col + 0.5) * width - 180


def orgs_in_cell(n: int, row_offset: int, col_offset: int, **fields: Any) -> list[Organisation]:
    lat, lon = cell_centre(row_offset, col_offset)
    height, width = maps.cell_size(ZOOM, 53.45)
    return [
        make_org(
            latitude=lat + height * 0.3 * (i % 3 - 1), longitude=lon + width * 0.1 * i, **fields
        )
        for i in range(n)
    ]


def bulk_orgs(n: int, lat: float = 53.45, lon: float = -2.30, spread: float = 0.02) -> None:
    Organisation.objects.bulk_create(
        Organisation(
            org_id=f"XI-TEST-{i}",
            name=f"Bulk Group {i}",
            source="test",
            latitude=lat + spread * math.sin(i * 1.7),
            longitude=lon + spread * math.cos(i * 2.3),
        )
        for i in range(n)
    )


def data(client: Client, **params: Any) -> Any:
    return client.get(reverse("directory-map-data"), params)


@pytest.fixture
def facilitator(client: Client, personas: Personas) -> Client:
    client.force_login(personas.facilitator)
    return client


WHOLE_AREA = "-2.6,53.2,-2.0,53.7"


def test_cells_count_the_organisations_of_each_grid_cell_at_their_mean_position() -> None:
    first = orgs_in_cell(3, 0, 0)
    orgs_in_cell(2, 1, 0)
    orgs_in_cell(1, 0, -2)
    payload = maps.aggregate(
        Organisation.objects.all(), maps.parse_bbox(WHOLE_AREA), ZOOM, point_limit=0
    )
    assert payload["mode"] == "cells"
    assert payload["total"] == 6
    assert [cell["count"] for cell in payload["cells"]] == [3, 2, 1]
    top = payload["cells"][0]
    assert top["lat"] == pytest.approx(sum(o.latitude or 0 for o in first) / 3, abs=1e-5)
    assert top["lon"] == pytest.approx(sum(o.longitude or 0 for o in first) / 3, abs=1e-5)
    west, south, east, north = top["bounds"]
    assert all(
        west <= (o.longitude or 0) < east and south <= (o.latitude or 0) < north for o in first
    )


def test_cells_do_not_move_when_the_map_pans() -> None:
    orgs_in_cell(3, 0, 0)
    orgs_in_cell(2, 0, 1)
    left = maps.aggregate(
        Organisation.objects.all(), maps.parse_bbox("-2.9,53.2,-2.1,53.7"), ZOOM, point_limit=0
    )
    right = maps.aggregate(
        Organisation.objects.all(), maps.parse_bbox("-2.5,53.3,-1.9,53.8"), ZOOM, point_limit=0
    )
    assert left["cells"] == right["cells"]


def test_few_organisations_in_view_come_back_one_by_one(facilitator: Client) -> None:
    orgs_in_cell(2, 0, 0)
    sample = make_org(name="Aardvark Sample Group", is_sample=True, latitude=53.45, longitude=-2.3)
    response = data(facilitator, bbox=WHOLE_AREA, zoom=ZOOM)
    assert response.status_code == 200
    payload = response.json()
    assert payload["mode"] == "points"
    assert payload["cells"] == []
    assert payload["total"] == 3  # the personas' organisations have no location
    first = payload["points"][0]
    assert first == {
        "lat": 53.45,
        "lon": -2.3,
        "name": "Aardvark Sample Group",
        "org_id": sample.org_id,
        "url": sample.get_absolute_url(),
        "sample": True,
    }


def test_a_crowded_view_is_aggregated_and_the_payload_stays_small(facilitator: Client) -> None:
    bulk_orgs(400)
    response = data(facilitator, bbox=WHOLE_AREA, zoom=12)
    payload = response.json()
    assert payload["mode"] == "cells"
    assert payload["total"] == 400
    assert sum(cell["count"] for cell in payload["cells"]) == 400
    assert 1 < len(payload["cells"]) < 100
    assert len(response.content) < 20_000
    assert response["Cache-Control"] == "private, max-age=60"


def test_zoomed_right_in_it_sends_points_even_where_crowded(facilitator: Client) -> None:
    bulk_orgs(400, spread=0.0001)
    payload = data(facilitator, bbox="-2.302,53.448,-2.298,53.452", zoom=18).json()
    assert payload["mode"] == "points"
    assert len(payload["points"]) == maps.POINT_LIMIT
    assert payload["truncated"] is True


def test_the_bounding_box_leaves_out_organisations_outside_it(facilitator: Client) -> None:
    inside = make_org(name="Inside", latitude=53.45, longitude=-2.30)
    make_org(name="North of it", latitude=53.60, longitude=-2.30)
    make_org(name="West of it", latitude=53.45, longitude=-2.50)
    payload = data(facilitator, bbox="-2.35,53.40,-2.25,53.50", zoom=13).json()
    assert [p["org_id"] for p in payload["points"]] == [inside.org_id]


def test_unlocated_and_removed_organisations_are_not_on_the_map(facilitator: Client) -> None:
    make_org(name="Here", latitude=53.45, longitude=-2.30)
    make_org(name="Nowhere")
    make_org(name="Gone", latitude=53.45, longitude=-2.30, status="removed")
    payload = data(facilitator, bbox=WHOLE_AREA, zoom=ZOOM).json()
    assert [p["name"] for p in payload["points"]] == ["Here"]


def test_the_map_uses_the_directory_filters(facilitator: Client) -> None:
    make_org(name="Stretford Foodbank", latitude=53.45, longitude=-2.30, postcode="M32 0AB")
    make_org(name="Sale Foodbank", latitude=53.42, longitude=-2.32, postcode="M33 1CD")
    make_org(name="Stretford Choir", latitude=53.45, longitude=-2.30, postcode="M32 0AB")
    names = [
        p["name"]
        for p in data(facilitator, bbox=WHOLE_AREA, zoom=ZOOM, q="foodbank").json()["points"]
    ]
    assert names == ["Sale Foodbank", "Stretford Foodbank"]
    page = facilitator.get(reverse("directory-map"), {"q": "foodbank"}).content.decode()
    assert "2 organisations match these filters; 2 are on the map." in " ".join(page.split())
    by_district = data(facilitator, bbox=WHOLE_AREA, zoom=ZOOM, q="foodbank", postcode="M32")
    assert [p["name"] for p in by_district.json()["points"]] == ["Stretford Foodbank"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"zoom": "10"}, "bbox must be four numbers"),
        ({"bbox": "1,2,3", "zoom": "10"}, "bbox must be four numbers"),
        ({"bbox": "a,b,c,d", "zoom": "10"}, "bbox must be four numbers"),
        ({"bbox": "nan,53,-2,54", "zoom": "10"}, "finite"),
        ({"bbox": "-2.0,53.2,-2.5,53.7", "zoom": "10"}, "west < east"),
        ({"bbox": WHOLE_AREA}, "zoom must be a whole number"),
        ({"bbox": WHOLE_AREA, "zoom": "99"}, "zoom must be a whole number"),
        ({"bbox": WHOLE_AREA, "zoom": "-1"}, "zoom must be a whole number"),
    ],
)
def test_an_unusable_bbox_or_zoom_is_a_400_with_a_clear_json_error(
    facilitator: Client, params: dict[str, str], message: str
) -> None:
    response = data(facilitator, **params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert message in response.json()["error"]


@pytest.mark.parametrize("name", ["directory-map", "directory-map-data"])
def test_anonymous_visitors_are_sent_to_sign_in(client: Client, name: str) -> None:
    response = client.get(reverse(name), {"bbox": WHOLE_AREA, "zoom": "10"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_map_page_says_in_words_what_is_where(facilitator: Client) -> None:
    make_org(name="One", latitude=53.45, longitude=-2.30, postcode="M32 0AB")
    make_org(name="Two", latitude=53.46, longitude=-2.31, postcode="M32 9ZZ")
    make_org(name="Three", latitude=53.42, longitude=-2.32, postcode="M33 1CD")
    response = facilitator.get(reverse("directory-map"), {"q": "", "page": "2"})
    content = response.content.decode()
    # The personas' two organisations have no coordinates: they are only in the list.
    assert "5 organisations match these filters;" in content
    assert "3 are on the map." in content
    assert "2 without a known location are only in the list." in content
    # Postcode districts, the personas' two organisations (M32 0AA) included.
    assert re.search(
        r">M32</a></td><td class=\"num\">4<.*>M33</a></td><td class=\"num\">1<", content, re.S
    )
    assert 'data-bounds="-2.32,53.42,-2.3,53.46"' in content
    assert 'role="region" aria-label="Map of the organisations' in content
    assert 'data-filters="q="' in content  # the page number is not a filter
    assert 'href="/directory/?q="' in content  # the same filters as a list


def test_map_pages_have_no_inline_scripts_or_styles(facilitator: Client) -> None:
    org = make_org(name="Centre", latitude=53.45, longitude=-2.30)
    other = make_org(name="Partner", latitude=53.46, longitude=-2.31)
    Tie.objects.create(a=org, b=other, kind=Tie.Kind.PARTNERSHIP)
    for url in (reverse("directory-map"), org.get_absolute_url()):
        content = facilitator.get(url).content.decode()
        assert " style=" not in content, url
        assert "<style" not in content, url
        assert not re.search(r"<script(?![^>]*\bsrc=)", content), url
        assert "leaflet/leaflet.js" in content
        assert "directory/map.js" in content


def test_tiles_are_drawn_only_when_a_tile_server_is_configured(
    facilitator: Client, settings: Any
) -> None:
    assert 'data-tile-url=""' in facilitator.get(reverse("directory-map")).content.decode()
    settings.SWIM_MAP_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    settings.SWIM_MAP_ATTRIBUTION = "© Example contributors"
    content = facilitator.get(reverse("directory-map")).content.decode()
    assert 'data-tile-url="https://tiles.example.org/{z}/{x}/{y}.png"' in content
    assert 'data-attribution="© Example contributors"' in content


def test_a_tile_server_is_allowed_by_the_content_security_policy() -> None:
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src'])"
    )
    env = {**os.environ, "SWIM_MAP_TILE_URL": "https://{s}.tiles.example.org/{z}/{x}/{y}.png"}
    env["DJANGO_SETTINGS_MODULE"] = "swim.settings"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert "https://*.tiles.example.org" in result.stdout


def test_the_organisation_page_draws_its_ego_graph_and_its_map(facilitator: Client) -> None:
    org = make_org(name="Old Trafford Women's Centre", latitude=53.45, longitude=-2.29)
    a = make_org(name="Riverside Women's Aid")
    b = make_org(name="Gorse Hill Mums' Network")
    Tie.objects.create(a=org, b=a, kind=Tie.Kind.SHARED_TRUSTEE)
    Tie.objects.create(a=org, b=b, kind=Tie.Kind.PARTNERSHIP)
    Tie.objects.create(a=a, b=b, kind=Tie.Kind.SHARED_TRUSTEE)
    content = facilitator.get(org.get_absolute_url()).content.decode()
    svg = content[content.index('<svg class="ego-graph"') : content.index("</svg>")]
    assert 'role="img" aria-labelledby="ego-caption"' in svg
    assert svg.count("<line ") == 3  # two ties of the centre and one between its partners
    assert svg.count("ego-between") == 1
    assert "<title>Riverside Women&#x27;s Aid</title>" in svg
    assert "the 2 organisations it has ties with" in content
    assert 'id="org-map"' in content
    assert 'data-lat="53.450000"' in content
    assert 'aria-label="Map: where Old Trafford Women&#x27;s Centre is"' in content


def test_an_organisation_without_location_or_ties_has_neither_map_nor_graph(
    facilitator: Client,
) -> None:
    org = make_org(name="Quiet Group")
    content = facilitator.get(org.get_absolute_url()).content.decode()
    assert "ego-graph" not in content
    assert 'id="org-map"' not in content
    assert "leaflet.js" not in content
    assert "No ties recorded." in content


def test_the_ego_graph_keeps_the_strongest_partners_and_counts_the_rest() -> None:
    org = make_org(name="Hub")
    partners = [make_org(name=f"Partner {i:02d}") for i in range(15)]
    for partner in partners:
        Tie.objects.create(a=org, b=partner, kind=Tie.Kind.PARTNERSHIP)
    Tie.objects.create(a=org, b=partners[14], kind=Tie.Kind.SHARED_TRUSTEE)
    graph = ego_graph(org, limit=12)
    assert graph is not None
    assert graph.partners == 12
    assert graph.hidden == 3
    assert graph.nodes[1].name == "Partner 14"  # two kinds of tie: first
    assert graph.edges[0].kind == Tie.Kind.SHARED_TRUSTEE
    assert graph.edges[0].title == "Shared trustee, Declared partnership"
    assert {k for k, _ in graph.kinds} == {"shared_trustee", "partnership"}
    for node in graph.nodes:
        assert 0 <= node.x <= graph.width
        assert 0 <= node.y <= graph.height
    assert ego_graph(make_org(name="Alone")) is None


def test_the_map_data_json_is_plain_json() -> None:
    payload = maps.aggregate(Organisation.objects.all(), maps.parse_bbox(WHOLE_AREA), ZOOM)
    assert json.loads(json.dumps(payload)) == payload
