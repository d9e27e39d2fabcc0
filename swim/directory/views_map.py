"""The directory map page and the JSON it draws from (aggregated in :mod:`maps`)."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control

from swim.accounts.permissions import require
from swim.directory import maps
from swim.directory.graphs import ego_graph
from swim.directory.models import Organisation
from swim.directory.search import filter_organisations
from swim.http import AuthedRequest

NOT_FILTERS = {"bbox", "zoom", "page", "sort"}


def map_page(request: AuthedRequest) -> HttpResponse:
    require(request.user, "directory.view_directory")
    form, organisations = filter_organisations(request.GET)
    filters = request.GET.copy()
    for name in NOT_FILTERS:
        filters.pop(name, None)
    context = {
        "form": form,
        "summary": maps.summarise(organisations),
        "filters": filters.urlencode(),
        "tiles": maps.tile_layer(),
    }
    return render(request, "directory/map.html", context)


def map_data(request: AuthedRequest) -> JsonResponse:
    """Grid cells or organisations in ``bbox`` (west,south,east,north) at ``zoom``."""
    require(request.user, "directory.view_directory")
    try:
        bbox, zoom = maps.parse_view(request.GET)
    except maps.MapQueryError as error:
        return JsonResponse({"error": str(error)}, status=400)
    _, organisations = filter_organisations(request.GET)
    response = JsonResponse(maps.aggregate(organisations, bbox, zoom))
    patch_cache_control(response, private=True, max_age=60)
    return response


def organisation_map_context(org: Organisation) -> dict[str, Any]:
    """What the organisation page needs for its small map and its ego graph."""
    district = org.postcode.partition(" ")[0] if " " in org.postcode else ""
    return {
        "ego": ego_graph(org),
        "tiles": maps.tile_layer(),
        "location_note": maps.location_note(org) if org.has_location else "",
        "district": district,
    }
