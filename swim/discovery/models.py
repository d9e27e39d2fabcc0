"""Discovery runs and the candidate clusters they propose."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

#: How the filters and engine parameters read on the run page.
PARAMETER_LABELS = {
    "q": "Theme or words",
    "local_authority": "Local authority",
    "postcode": "Postcode area",
    "network": "Network",
    "classification": "Classification",
    "min_size": "Smallest cluster",
    "max_size": "Largest cluster",
    "max_span_km": "Largest span (km)",
    "max_income_share": "Largest income share of one member",
    "radius_km": "Link radius (km)",
    "seed": "Seed",
}


class DiscoveryRun(models.Model):
    """One request to discover candidate clusters, its parameters and how it ended."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Finished"
        FAILED = "failed", "Failed"

    class Mode(models.TextChoices):
        AREA = "area", "Whole area"
        PARTNERS = "partners", "Partners for one organisation"
        THEME = "theme", "Around a need or theme"

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.AREA)
    parameters = models.JSONField(default=dict, blank=True)
    seed_organisation = models.ForeignKey(
        "directory.Organisation", null=True, blank=True, on_delete=models.SET_NULL
    )
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL)
    organisations_considered = models.PositiveIntegerField(default=0)
    timings = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Discovery run {self.pk} ({self.get_mode_display().lower()})"

    def get_absolute_url(self) -> str:
        return reverse("discovery-run", args=[self.pk])

    @property
    def filters(self) -> dict[str, Any]:
        """The directory filters that chose the area (only those set)."""
        found: dict[str, Any] = self.parameters.get("filters", {})
        return {name: value for name, value in found.items() if value not in ("", None, [])}

    @property
    def engine_parameters(self) -> dict[str, Any]:
        found: dict[str, Any] = self.parameters.get("engine", {})
        return found

    def described_parameters(self) -> list[tuple[str, str]]:
        """Every parameter as (label, value) in words, for the run page."""
        from swim.directory.models import Classification, Network

        labels = PARAMETER_LABELS
        filters = dict(self.filters)
        if "network" in filters:
            found = Network.objects.filter(slug=filters["network"]).first()
            filters["network"] = found.name if found else filters["network"]
        if "classification" in filters:
            label = Classification.objects.filter(pk=filters["classification"]).first()
            filters["classification"] = label.label if label else filters["classification"]
        pairs = [(labels.get(k, k), str(v)) for k, v in filters.items()]
        if not filters:
            pairs.append(("Area", "Every active organisation"))
        if self.seed_organisation_id:
            pairs.append(("Partners for", str(self.seed_organisation)))
        pairs += [(labels.get(k, k), str(v)) for k, v in self.engine_parameters.items()]
        return pairs

    @property
    def seconds(self) -> float:
        return round(sum(float(t) for t in self.timings.values()), 2)

    def mark_running(self) -> None:
        self.status = self.Status.RUNNING
        self.save(update_fields=["status"])

    def mark_finished(self, considered: int, timings: dict[str, float]) -> None:
        self.status = self.Status.SUCCEEDED
        self.organisations_considered = considered
        self.timings = {name: round(t, 3) for name, t in timings.items()}
        self.finished_at = timezone.now()
        self.save(update_fields=["status", "organisations_considered", "timings", "finished_at"])

    def mark_failed(self, error: str, considered: int = 0) -> None:
        self.status = self.Status.FAILED
        self.error = error
        self.organisations_considered = considered
        self.finished_at = timezone.now()
        self.save(update_fields=["status", "error", "organisations_considered", "finished_at"])


class CandidateCluster(models.Model):
    """A group of organisations a run proposes as a cluster, with why and how ready."""

    class Kind(models.TextChoices):
        RESOURCE = "resource", "Resource cluster"
        IMPACT = "impact", "Impact cluster"

    class Status(models.TextChoices):
        NEW = "new", "New"
        SHORTLISTED = "shortlisted", "Shortlisted"
        DISMISSED = "dismissed", "Dismissed"

    run = models.ForeignKey(DiscoveryRun, on_delete=models.CASCADE, related_name="candidates")
    rank = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    readiness = models.FloatField()
    readiness_factors = models.JSONField(default=dict, blank=True)
    signal_scores = models.JSONField(default=dict, blank=True)
    cohesion = models.FloatField(default=0.0)
    suggested_priority = models.CharField(max_length=300, blank=True)
    explanation = models.TextField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NEW)
    dismiss_reason = models.TextField(blank=True)
    lead = models.ForeignKey(
        "directory.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    member_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["run", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["run", "rank"], name="discovery_candidate_rank")
        ]

    def __str__(self) -> str:
        return f"Candidate {self.rank} of run {self.run_id}"

    def get_absolute_url(self) -> str:
        return reverse("discovery-candidate", args=[self.pk])

    @property
    def summary(self) -> str:
        """The explanation's first sentence."""
        first, _, _ = self.explanation.partition(". ")
        return first if first.endswith(".") else first + "."

    def readiness_rows(self) -> list[tuple[str, float | None]]:
        """Each readiness factor as (readable name, value in [0, 1] or None)."""
        return [
            (FACTOR_LABELS.get(name, name.replace("_", " ").capitalize()), v)
            for name, v in self.readiness_factors.items()
        ]

    def signal_rows(self) -> list[tuple[str, float]]:
        return [(SIGNAL_LABELS.get(name, name), v) for name, v in self.signal_scores.items()]


FACTOR_LABELS = {
    "existing_ties": "Existing relationships",
    "leadership": "A member to lead",
    "shared_priority": "A shared priority",
    "ceo_time": "CEO time available",
    "compactness": "Close together",
    "scale_balance": "Balance of size",
}
SIGNAL_LABELS = {
    "location": "Location",
    "text": "Activities (text)",
    "classification": "Classification",
    "ties": "Existing relationships",
    "needs": "Shared needs",
}


class CandidateMember(models.Model):
    """One organisation of a candidate cluster and why it belongs."""

    candidate = models.ForeignKey(
        CandidateCluster, on_delete=models.CASCADE, related_name="members"
    )
    organisation = models.ForeignKey("directory.Organisation", on_delete=models.CASCADE)
    reason = models.TextField(blank=True)
    is_lead = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_lead", "organisation__name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["candidate", "organisation"], name="discovery_member_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} in {self.candidate}"
