"""The discovery form: the directory's area filters plus the engine's parameters."""

from __future__ import annotations

from typing import Any

from django import forms

from swim.directory.models import Classification, Network, Organisation
from swim.directory.search import DirectoryFilterForm
from swim.discovery.models import DiscoveryRun

#: The directory filters a discovery area is chosen with.
AREA_FILTERS = ("q", "local_authority", "postcode", "network", "classification")
#: The engine parameters a run records.
ENGINE_PARAMETERS = ("min_size", "max_size", "max_span_km", "max_income_share", "radius_km", "seed")


class DiscoveryForm(DirectoryFilterForm):
    """Choose an area as in the directory, a way to ask, and the engine's settings."""

    mode = forms.ChoiceField(
        label="What to look for",
        choices=DiscoveryRun.Mode.choices,
        initial=DiscoveryRun.Mode.AREA,
        widget=forms.RadioSelect,
    )
    partners_for = forms.CharField(
        label="Organisation to find partners for (org-id)",
        required=False,
        max_length=60,
        help_text="Only for “Partners for one organisation”, e.g. GB-CHC-1234567.",
    )
    min_size = forms.IntegerField(label="Smallest cluster", initial=4, min_value=2, max_value=50)
    max_size = forms.IntegerField(label="Largest cluster", initial=12, min_value=2, max_value=50)
    max_span_km = forms.FloatField(label="Largest span (km)", initial=5.0, max_value=500)
    max_income_share = forms.FloatField(
        label="Largest income share of one member",
        initial=0.5,
        help_text="Between 0 and 1: 0.5 means no member holds more than half the income.",
    )
    radius_km = forms.FloatField(label="Link radius (km)", initial=3.0, max_value=100)
    seed = forms.IntegerField(label="Seed", initial=0, min_value=0, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("income_band", "located", "status", "sort"):
            del self.fields[name]
        self.fields["q"].label = "Theme or words (name, activity)"
        self.fields["q"].help_text = "Required for “Around a need or theme”."
        self.seed_organisation: Organisation | None = None

    def clean_radius_km(self) -> float:
        return _positive(self.cleaned_data["radius_km"], "link radius")

    def clean_max_span_km(self) -> float:
        return _positive(self.cleaned_data["max_span_km"], "largest span")

    def clean_max_income_share(self) -> float:
        share: float = self.cleaned_data["max_income_share"]
        if not 0 < share <= 1:
            raise forms.ValidationError("Enter a share above 0 and at most 1, such as 0.5.")
        return share

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("min_size"), data.get("max_size")
        if low is not None and high is not None and low > high:
            self.add_error("max_size", "The largest cluster must be at least the smallest.")
        mode = data.get("mode")
        if mode == DiscoveryRun.Mode.THEME and not (data.get("q") or "").strip():
            self.add_error("q", "Enter the need or theme to look for, such as “domestic abuse”.")
        if mode == DiscoveryRun.Mode.PARTNERS:
            self.seed_organisation = _organisation(data.get("partners_for") or "")
            if self.seed_organisation is None:
                self.add_error("partners_for", "Enter the org-id of an organisation in SWiM.")
        return data

    def filters(self) -> dict[str, Any]:
        """The area filters as plain values (what :func:`filter_organisations` reads)."""
        plain: dict[str, Any] = {}
        for name in AREA_FILTERS:
            value = self.cleaned_data.get(name)
            if isinstance(value, Network):
                value = value.slug
            elif isinstance(value, Classification):
                value = value.pk
            if value not in (None, ""):
                plain[name] = value
        return plain

    def engine(self) -> dict[str, Any]:
        values = {name: self.cleaned_data.get(name) for name in ENGINE_PARAMETERS}
        values["seed"] = values["seed"] or 0
        return values


def _positive(value: float, what: str) -> float:
    if value < 0:
        raise forms.ValidationError(f"The {what} cannot be negative.")
    if value == 0:
        raise forms.ValidationError(f"The {what} must be more than 0 km.")
    return value


def _organisation(org_id: str) -> Organisation | None:
    return Organisation.objects.filter(org_id=org_id.strip()).first() if org_id.strip() else None


class DismissForm(forms.Form):
    reason = forms.CharField(
        label="Why dismiss this candidate?",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": "Say why you dismiss it, so others can learn from it."},
    )
