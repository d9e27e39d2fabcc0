"""The discovery form: the directory's area filters plus the engine's parameters.

The organisation to find partners for is named as everywhere (``swim.directory.lookup``):
by name or org-id, with a type-ahead list when JavaScript is on.
"""

from __future__ import annotations

from typing import Any

from django import forms

from swim.directory.lookup import OrganisationInput, find_organisation
from swim.directory.models import Classification, Network, Organisation
from swim.directory.search import DirectoryFilterForm
from swim.discovery.actions import configured_scheduler, engine_parameters
from swim.discovery.models import SIGNAL_LABELS, WEIGHT_ORDER, DiscoveryRun
from swim.engine.distributed import public_address
from swim.engine.signals.combine import DEFAULT_WEIGHTS, SIGNALS

#: The directory filters a discovery area is chosen with.
AREA_FILTERS = ("q", "local_authority", "postcode", "network", "classification")
#: The engine parameters a run records.
ENGINE_PARAMETERS = ("min_size", "max_size", "max_span_km", "max_income_share", "radius_km", "seed")
WEIGHT_HELP = {
    "ties": "Shared trustees, partnerships, networks they already belong to.",
    "location": "Being close to each other.",
    "text": "What their activities and objects say they do.",
    "classification": "The register's classification of what, who and how.",
    "needs": "Back-office gaps they share, from the needs diagnostic.",
}


class DiscoveryForm(DirectoryFilterForm):
    """Choose an area as in the directory, a way to ask, and the engine's settings."""

    mode = forms.ChoiceField(
        label="What to look for",
        choices=DiscoveryRun.Mode.choices,
        initial=DiscoveryRun.Mode.AREA,
        widget=forms.RadioSelect,
    )
    partners_for = forms.CharField(
        label="Organisation to find partners for",
        required=False,
        max_length=400,
        help_text="Its name or org-id, e.g. GB-CHC-1234567. Only for “Partners for one "
        "organisation”.",
        widget=OrganisationInput(),
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
        defaults = DEFAULT_WEIGHTS.as_dict()
        for name in WEIGHT_ORDER:
            self.fields[f"weight_{name}"] = forms.FloatField(
                label=f"{SIGNAL_LABELS[name]} weight",
                initial=defaults[name],
                required=False,
                help_text=f"{WEIGHT_HELP[name]} Default {defaults[name]:g}.",
                error_messages={
                    "invalid": "Enter a number between 0 and 1, such as 0.25.",
                },
                widget=forms.NumberInput(attrs={"step": "any", "min": "0", "max": "1"}),
            )
        scheduler = configured_scheduler()
        if scheduler:
            self.fields["run_on"] = forms.ChoiceField(
                label="Where the run works",
                choices=[
                    ("dask", f"On the dask cluster at {public_address(scheduler)}"),
                    ("local", "On this machine"),
                ],
                initial="dask",
                required=False,
                widget=forms.RadioSelect,
                help_text="Both find the same candidates; the cluster is quicker for a large "
                "area. If it cannot be reached, the run works on this machine.",
            )
        self.fields["q"].label = "Theme or words (name, activity)"
        self.fields["q"].help_text = "Needed for a theme run, unless a classification is chosen."
        self.seed_organisation: Organisation | None = None
        self.cleaned_weights: dict[str, float] = {}

    def clean_radius_km(self) -> float:
        return _positive(self.cleaned_data["radius_km"], "link radius")

    def clean_max_span_km(self) -> float:
        return _positive(self.cleaned_data["max_span_km"], "largest span")

    def clean_max_income_share(self) -> float:
        share: float = self.cleaned_data["max_income_share"]
        if not 0 < share <= 1:
            raise forms.ValidationError("Enter a share above 0 and at most 1, such as 0.5.")
        return share

    def run_on_field(self) -> forms.BoundField | None:
        """The choice of engine, offered when a dask scheduler is configured."""
        return self["run_on"] if "run_on" in self.fields else None

    def weight_fields(self) -> list[forms.BoundField]:
        return [self[f"weight_{name}"] for name in WEIGHT_ORDER]

    def _clean_weights(self, data: dict[str, Any]) -> None:
        defaults = DEFAULT_WEIGHTS.as_dict()
        weights = {}
        for name in WEIGHT_ORDER:
            field = f"weight_{name}"
            if field in self.errors:
                continue
            value = data.get(field)
            value = defaults[name] if value is None else float(value)
            if not 0 <= value <= 1:
                self.add_error(field, "Enter a weight between 0 and 1, such as 0.25.")
                continue
            weights[name] = value
        if len(weights) == len(WEIGHT_ORDER) and not any(weights.values()):
            self.add_error(
                f"weight_{WEIGHT_ORDER[0]}",
                "Every weight is 0: give at least one signal a weight above 0.",
            )
        self.cleaned_weights = {name: weights[name] for name in SIGNALS if name in weights}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self._clean_weights(data)
        low, high = data.get("min_size"), data.get("max_size")
        if low is not None and high is not None and low > high:
            self.add_error("max_size", "The largest cluster must be at least the smallest.")
        mode = data.get("mode")
        theme = (data.get("q") or "").strip() or data.get("classification")
        if mode == DiscoveryRun.Mode.THEME and not theme:
            self.add_error(
                "q",
                "Enter the need or theme to look for, such as “domestic abuse”, "
                "or choose a classification.",
            )
        if mode == DiscoveryRun.Mode.PARTNERS:
            self._clean_seed(data.get("partners_for") or "")
        return data

    def _clean_seed(self, typed: str) -> None:
        """The organisation to find partners for, by name or org-id (the directory's rule)."""
        if not typed.strip():
            self.add_error(
                "partners_for", "Enter the name or org-id of the organisation to find partners for."
            )
            return
        try:
            self.seed_organisation = find_organisation(typed)
        except forms.ValidationError as error:
            self.add_error("partners_for", error)

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

    def weights(self) -> dict[str, float]:
        """The weight of each signal (an empty field means its default)."""
        return dict(self.cleaned_weights)

    def engine(self) -> dict[str, Any]:
        """The engine's parameters, and where it works (the configured engine by default)."""
        values = {name: self.cleaned_data.get(name) for name in ENGINE_PARAMETERS}
        values["seed"] = values["seed"] or 0
        values.update(engine_parameters(self.cleaned_data.get("run_on") or None))
        return values


def _positive(value: float, what: str) -> float:
    if value < 0:
        raise forms.ValidationError(f"The {what} cannot be negative.")
    if value == 0:
        raise forms.ValidationError(f"The {what} must be more than 0 km.")
    return value


#: What a link may prefill in the discovery form (``?mode=partners&partners_for=GB-CHC-1``).
PREFILL = ("mode", *AREA_FILTERS, "partners_for")


def initial_from(params: Any) -> dict[str, str]:
    """The form's initial values from a link's query (concentration map, organisation page)."""
    return {name: params[name] for name in PREFILL if params.get(name)}


class DismissForm(forms.Form):
    reason = forms.CharField(
        label="Why dismiss this candidate?",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": "Say why you dismiss it, so others can learn from it."},
    )
