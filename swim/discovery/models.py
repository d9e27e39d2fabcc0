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
#: Engine parameters that say where a run works: shown by :meth:`DiscoveryRun.ran_on`.
WHERE_PARAMETERS = ("engine", "scheduler_address", "dask_workers")


class DiscoveryRun(models.Model):
    """One request to discover candidate clusters, its parameters and how it ended."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Finished"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    class TextMethod(models.TextChoices):
        EMBEDDINGS = "embeddings", "Sentence embeddings (all-MiniLM-L6-v2)"
        TFIDF = "tfidf", "Word overlap (TF-IDF)"
        NONE = "none", "No activity text in the area"

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
    text_method = models.CharField(max_length=12, choices=TextMethod.choices, blank=True)
    text_note = models.CharField(max_length=300, blank=True)

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

    @property
    def weights(self) -> dict[str, float]:
        """The weight of each signal the run asked for (empty for runs before weights)."""
        found: dict[str, float] = self.parameters.get("weights", {})
        return found

    def described_weights(self) -> list[tuple[str, float]]:
        """Each signal's weight as (readable name, weight), in the form's order."""
        found = self.weights
        names = [n for n in WEIGHT_ORDER if n in found] + sorted(set(found) - set(WEIGHT_ORDER))
        return [(SIGNAL_LABELS.get(name, name), float(found[name])) for name in names]

    @property
    def is_active(self) -> bool:
        """Waiting or running: it may still be cancelled."""
        return self.status in {self.Status.QUEUED, self.Status.RUNNING}

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
        pairs += [
            (labels.get(k, k), str(v))
            for k, v in self.engine_parameters.items()
            if k not in WHERE_PARAMETERS
        ]
        return pairs

    @property
    def ran_on(self) -> str:
        """Where the run works, in words, the scheduler's address without credentials."""
        from swim.engine.distributed import public_address

        found = self.engine_parameters
        if found.get("engine") != "dask" or self.engine_note:
            return "on this machine"
        address = found.get("scheduler_address")
        if not address:
            return "on a dask cluster started on this machine for the run"
        return f"on the dask cluster at {public_address(str(address))}"

    @property
    def engine_note(self) -> str:
        """Why a dask run went on on this machine instead (empty when it did not)."""
        return str(self.parameters.get("engine_note", ""))

    @property
    def seconds(self) -> float:
        return round(sum(float(t) for t in self.timings.values()), 2)

    def _move(self, from_: set[str], **fields: Any) -> bool:
        """Set ``fields`` if the stored status is still one of ``from_``; whether it was.

        One conditional ``UPDATE``, so a run cancelled meanwhile is never overwritten.
        """
        moved = type(self).objects.filter(pk=self.pk, status__in=from_).update(**fields)
        self.refresh_from_db()
        return bool(moved)

    def mark_running(self) -> bool:
        """Start the run unless it was cancelled (or has ended); whether it started."""
        return self._move({self.Status.QUEUED, self.Status.RUNNING}, status=self.Status.RUNNING)

    def mark_finished(self, considered: int, timings: dict[str, float]) -> bool:
        """Record success unless the run was cancelled meanwhile; whether it was recorded."""
        return self._move(
            {self.Status.RUNNING},
            status=self.Status.SUCCEEDED,
            organisations_considered=considered,
            timings={name: round(t, 3) for name, t in timings.items()},
            finished_at=timezone.now(),
        )

    def mark_failed(self, error: str, considered: int = 0) -> None:
        self._move(
            {self.Status.QUEUED, self.Status.RUNNING},
            status=self.Status.FAILED,
            error=error,
            organisations_considered=considered,
            finished_at=timezone.now(),
        )

    def mark_cancelled(self, reason: str = "") -> bool:
        """Cancel the run if it is waiting or running; whether it was."""
        return self._move(
            {self.Status.QUEUED, self.Status.RUNNING},
            status=self.Status.CANCELLED,
            error=reason or "The run was cancelled.",
            finished_at=timezone.now(),
        )

    def record_text_method(self, method: str, note: str) -> None:
        self.text_method = method
        self.text_note = note[:300]
        self.save(update_fields=["text_method", "text_note"])

    def text_summary(self) -> str:
        """How the organisations' activity texts were compared, in words."""
        if not self.text_method:
            return ""
        return str(self.TextMethod(self.text_method).label)


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
#: The signals in the order the form and the run page show their weights.
WEIGHT_ORDER = ("ties", "location", "text", "classification", "needs")
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


class OrganisationEmbedding(models.Model):
    """The sentence embedding of one organisation's activity text, cached.

    ``text_key`` is :func:`swim.engine.embeddings.cache_key` of the text that was embedded
    (activities and objects, as :func:`swim.discovery.inputs.organisation_text` builds it),
    so a vector is stale as soon as the text changes. The vector is stored as little-endian
    float32 bytes.
    """

    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    model_name = models.CharField(max_length=200)
    text_key = models.CharField(max_length=40)
    dimension = models.PositiveSmallIntegerField()
    vector = models.BinaryField()
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "model_name"], name="discovery_embedding_unique"
            )
        ]

    def __str__(self) -> str:
        return f"Embedding of organisation {self.organisation_id} ({self.model_name})"
