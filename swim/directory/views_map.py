"""The directory map page and the JSON it draws from (aggregated in :mod:`maps`)."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control

from swim.accounts.permissions import require
from swim.directory import maps
from swim.directory.graphs import ego_graph
from swim.directory.models import Organisation
from swim.directory.search import CACHE_SECONDS, filter_organisations
from swim.http import AuthedRequest

NOT_FILTERS = {"bbox", "zoom", "page", "sort"}


def map_page(request: AuthedRequest) -> HttpResponse:
    require(request.user, "directory.view_directory")
    form, organisations = filter_organisations(request.GET)
    filters = request.GET.copy()
    for name in NOT_FILTERS:
        filters.pop(name, None)
    summary = cache.get_or_set(
        form.cache_key("map-summary"), lambda: maps.summarise(organisations), CACHE_SECONDS
    )
    context = {
        "form": form,
        "summary": summary,
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
    form, organisations = filter_organisations(request.GET)
    payload = cache.get_or_set(
        form.cache_key("map-data", bbox.as_list(), zoom),
        lambda: maps.aggregate(organisations, bbox, zoom),
        CACHE_SECONDS,
    )
    response = JsonResponse(payload)
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
