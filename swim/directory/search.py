"""Directory search: one filter form and one function shared by the list, map and export.

The register data in the directory is public, so every signed-in person searches the same
organisations; what is private (diagnostics, cluster work) lives in other apps and is scoped
there.
"""

from __future__ import annotations

import re
from functools import reduce
from operator import add
from typing import Any, cast

from django import forms
from django.db.models import Case, F, Q, QuerySet, Value, When

from swim.directory.models import (
    Classification,
    GeocodePrecision,
    IncomeBand,
    Network,
    Organisation,
)

SORTS = {
    "relevance": "Best match",
    "name": "Name (A–Z)",
    "-name": "Name (Z–A)",
    "-income": "Income (largest first)",
    "income": "Income (smallest first)",
    "postcode": "Postcode",
    "-date_registered": "Newest registered",
}
STATUS_CHOICES = [("active", "Active"), ("removed", "Removed"), ("all", "Active and removed")]
LOCATED_CHOICES = [("", "Any"), ("yes", "Located on the map"), ("no", "Not located")]


class DirectoryFilterForm(forms.Form):
    q = forms.CharField(
        label="Name, activity or org-id",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    local_authority = forms.ChoiceField(label="Local authority", required=False)
    postcode = forms.CharField(
        label="Postcode area",
        required=False,
        max_length=20,
        help_text="A district (M32) or sector (M32 0).",
    )
    income_band = forms.MultipleChoiceField(
        label="Size (income band)",
        required=False,
        choices=IncomeBand.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    classification = forms.ModelChoiceField(
        label="Classification",
        required=False,
        queryset=Classification.objects.none(),
        empty_label="Any",
        to_field_name="pk",
    )
    network = forms.ModelChoiceField(
        label="Network",
        required=False,
        queryset=Network.objects.none(),
        empty_label="Any",
        to_field_name="slug",
    )
    located = forms.ChoiceField(label="Location", required=False, choices=LOCATED_CHOICES)
    status = forms.ChoiceField(label="Status", required=False, choices=STATUS_CHOICES)
    sort = forms.ChoiceField(label="Sort by", required=False, choices=list(SORTS.items()))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        areas = (
            Organisation.objects.exclude(local_authority="")
            .values_list("local_authority", flat=True)
            .distinct()
            .order_by("local_authority")
        )
        la_field = cast(forms.ChoiceField, self.fields["local_authority"])
        la_field.choices = [("", "Any")] + [(a, a) for a in areas]
        classification = cast(forms.ModelChoiceField, self.fields["classification"])
        classification.queryset = (
            Classification.objects.filter(organisations__isnull=False)
            .distinct()
            .order_by("scheme", "label")
        )
        self.fields["network"].queryset = Network.objects.order_by("name")  # type: ignore[attr-defined]

    def clean_postcode(self) -> str:
        value = re.sub(r"\s+", " ", self.cleaned_data["postcode"].strip().upper())
        if value and not re.fullmatch(r"[A-Z]{1,2}[0-9][A-Z0-9]?( [0-9])?", value):
            raise forms.ValidationError(
                "Enter a postcode district like M32 or a sector like M32 0."
            )
        return value


def filter_organisations(params: Any) -> tuple[DirectoryFilterForm, QuerySet[Organisation]]:
    """The bound filter form and the organisations it selects, sorted.

    An invalid form selects with its valid fields only and carries its errors for display.
    """
    form = DirectoryFilterForm(params or None)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    organisations = Organisation.objects.all()
    status = data.get("status") or "active"
    if status != "all":
        organisations = organisations.filter(status=status)
    query = (data.get("q") or "").strip()
    if query:
        organisations = _matching(organisations, query)
    if area := data.get("local_authority"):
        organisations = organisations.filter(local_authority=area)
    if postcode := data.get("postcode"):
        prefix = postcode if " " in postcode else postcode + " "
        organisations = organisations.filter(postcode__startswith=prefix)
    if bands := data.get("income_band"):
        organisations = organisations.filter(income_band__in=bands)
    if classification := data.get("classification"):
        organisations = organisations.filter(classifications=classification)
    if network := data.get("network"):
        organisations = organisations.filter(networks=network)
    if data.get("located") == "yes":
        organisations = organisations.exclude(geocode_precision=GeocodePrecision.NONE)
    elif data.get("located") == "no":
        organisations = organisations.filter(geocode_precision=GeocodePrecision.NONE)
    return form, _sorted(organisations, data.get("sort") or ("relevance" if query else "name"))


def _matching(organisations: QuerySet[Organisation], query: str) -> QuerySet[Organisation]:
    """Every word must appear in the name, activities, objects or org-id; rank name hits."""
    words = [w for w in re.split(r"\s+", query) if w][:8]
    for word in words:
        organisations = organisations.filter(
            Q(name__icontains=word)
            | Q(activities__icontains=word)
            | Q(objects_text__icontains=word)
            | Q(org_id__iexact=word)
            | Q(postcode__iexact=word)
        )
    score = [
        Case(When(name__iexact=query, then=Value(20)), default=Value(0)),
        Case(When(name__istartswith=query, then=Value(8)), default=Value(0)),
        Case(When(org_id__iexact=query, then=Value(50)), default=Value(0)),
        *(Case(When(name__icontains=w, then=Value(3)), default=Value(0)) for w in words),
        *(Case(When(activities__icontains=w, then=Value(1)), default=Value(0)) for w in words),
    ]
    return organisations.annotate(
        relevance=reduce(add, score[1:], score[0]),
    )


def _sorted(organisations: QuerySet[Organisation], sort: str) -> QuerySet[Organisation]:
    if sort == "relevance" and "relevance" in organisations.query.annotations:
        return organisations.order_by(F("relevance").desc(), "name", "pk")
    if sort in {"income", "-income"}:
        field = F("income")
        order = field.desc(nulls_last=True) if sort.startswith("-") else field.asc(nulls_last=True)
        return organisations.order_by(order, "name", "pk")
    if sort in SORTS and sort != "relevance":
        return organisations.order_by(sort, "pk")
    return organisations.order_by("name", "pk")
