"""The concentration map (location quotients) and the map of a discovery run's candidates."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_cache_control

from swim.accounts.permissions import require, visible_discovery_runs
from swim.csv_safety import SafeWriter
from swim.directory.maps import tile_layer
from swim.discovery.concentration import (
    BAND_LABELS,
    LEVELS,
    ConcentrationForm,
    Field,
    Register,
    Table,
    field_table,
    map_points,
    register,
    top_table,
)
from swim.discovery.maps import run_map
from swim.http import AuthedRequest

PAGE_SIZE = 50
CSV_COLUMNS = [
    "area", "area_level", "field_scheme", "field_code", "field_label", "in_field",
    "all_organisations", "share", "location_quotient", "lower_95", "upper_95", "note",
]  # fmt: skip


def concentration(request: AuthedRequest) -> HttpResponse:
    """Where a field is unusually concentrated: one field's areas, or the top cells."""
    require(request.user, "discovery.view_concentration")
    form = ConcentrationForm(request.GET)
    if not form.is_valid():
        return render(request, "discovery/concentration.html", {"form": form}, status=400)
    reg = register(form.area_level)
    field, table = _table(reg, form)
    context = {
        "form": form,
        "register": reg,
        "field": field,
        "level_label": LEVELS[form.area_level],
        "page": Paginator(table, PAGE_SIZE).get_page(request.GET.get("page")),
        "headers": _headers(request.GET, form.sort_order, with_field=field is None),
        "points": map_points(table) if field else [],
        "bands": BAND_LABELS.items(),
        "query": request.GET.urlencode(),
        "tiles": tile_layer(),
    }
    return render(request, "discovery/concentration.html", context)


def concentration_export(request: AuthedRequest) -> HttpResponse:
    """The page's table, every row, as CSV."""
    require(request.user, "discovery.view_concentration")
    form = ConcentrationForm(request.GET)
    if not form.is_valid():
        problems = "; ".join(f"{k}: {' '.join(str(e) for e in v)}" for k, v in form.errors.items())
        return HttpResponse(f"Nothing exported: {problems}", status=400, content_type="text/plain")
    field, table = _table(register(form.area_level), form)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"concentration-{form.area_level}-{field.pk if field else 'top'}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = SafeWriter(response)
    writer.writerow(CSV_COLUMNS)
    level = LEVELS[form.area_level]
    for r in table:
        f = r.field
        numbers = [f"{r.share:.4f}", f"{r.lq:.3f}", f"{r.lower:.3f}", f"{r.upper:.3f}"]
        writer.writerow(
            [r.area, level, f.scheme, f.code, f.label, r.count, r.total, *numbers, r.note]
        )
    return response


def _table(reg: Register, form: ConcentrationForm) -> tuple[Field | None, Table]:
    pk = form.cleaned_data.get("field")
    if pk is None:
        return None, top_table(reg, form.cleaned_data.get("scheme") or "", form.sort_order)
    index = reg.field_index(pk)
    field = reg.fields[index] if index is not None else Field(pk, "", "", _label(form, pk))
    return field, field_table(reg, pk, form.sort_order)


def _label(form: ConcentrationForm, pk: int) -> str:
    for _, options in form.fields["field"].choices:  # type: ignore[attr-defined]
        for value, label in options if isinstance(options, list) else []:
            if value == pk:
                return str(label)
    return str(pk)


#: The table's sortable columns: (sort key, heading, numeric).
COLUMNS = [
    ("field", "Field", False),
    ("area", "Area", False),
    ("count", "Organisations in the field", True),
    ("total", "All organisations", True),
    ("share", "Share of the area", True),
    ("lq", "Location quotient", True),
]


def _headers(params: QueryDict, sort: str, *, with_field: bool) -> list[dict[str, Any]]:
    """Each column's heading, the link that sorts by it, and its ``aria-sort`` state."""
    headers = []
    for key, label, numeric in COLUMNS:
        if key == "field" and not with_field:
            continue
        current = sort.lstrip("-") == key
        first = f"-{key}" if numeric else key  # numbers: largest first; names: A to Z
        again = key if sort.startswith("-") else f"-{key}"
        query = params.copy()
        query.pop("page", None)
        query["sort"] = again if current else first
        state = ("descending" if sort.startswith("-") else "ascending") if current else ""
        headers.append(
            {"label": label, "url": f"?{query.urlencode()}", "sort": state, "numeric": numeric}
        )
    return headers


def run_map_data(request: AuthedRequest, pk: int) -> JsonResponse:
    """The run's first candidates and their members' positions, for the run page's map."""
    require(request.user, "discovery.view_discovery")
    run = get_object_or_404(visible_discovery_runs(request.user), pk=pk)
    response = JsonResponse(run_map(run))
    patch_cache_control(response, private=True, max_age=60)
    return response
