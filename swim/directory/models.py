"""Organisations, the networks they belong to and the ties between them."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.urls import reverse


class IncomeBand(models.TextChoices):
    """NCVO income bands."""

    MICRO = "micro", "Micro (under £10k)"
    SMALL = "small", "Small (£10k–£100k)"
    MEDIUM = "medium", "Medium (£100k–£1m)"
    LARGE = "large", "Large (£1m–£10m)"
    MAJOR = "major", "Major (over £10m)"
    UNKNOWN = "unknown", "Income not known"

    @classmethod
    def for_income(cls, income: int | None) -> IncomeBand:
        """The NCVO band of an annual income in pounds.

        >>> IncomeBand.for_income(9_999).value, IncomeBand.for_income(10_000).value
        ('micro', 'small')
        >>> IncomeBand.for_income(25_000_000).label
        'Major (over £10m)'
        >>> IncomeBand.for_income(None).value
        'unknown'
        """
        if income is None:
            return cls.UNKNOWN
        for limit, band in (
            (10_000, cls.MICRO),
            (100_000, cls.SMALL),
            (1_000_000, cls.MEDIUM),
            (10_000_000, cls.LARGE),
        ):
            if income < limit:
                return band
        return cls.MAJOR


class GeocodePrecision(models.TextChoices):
    SUPPLIED = "supplied", "Coordinates given by the source"
    UNIT = "unit", "Full postcode"
    SECTOR = "sector", "Postcode sector"
    DISTRICT = "district", "Postcode district"
    NONE = "none", "Not located"


class Organisation(models.Model):
    """A charity, community group or other organisation, identified by an org-id."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        REMOVED = "removed", "Removed"

    org_id = models.CharField("org-id", max_length=60, unique=True)
    other_ids = models.JSONField(default=list, blank=True)
    name = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    date_registered = models.DateField(null=True, blank=True)
    date_removed = models.DateField(null=True, blank=True)
    address = models.TextField(blank=True)
    postcode = models.CharField(max_length=12, blank=True, db_index=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    geocode_precision = models.CharField(
        max_length=10, choices=GeocodePrecision.choices, default=GeocodePrecision.NONE
    )
    local_authority_code = models.CharField(
        "local authority (GSS code)", max_length=12, blank=True, db_index=True
    )
    local_authority = models.CharField(max_length=120, blank=True)
    area_of_operation = models.TextField(blank=True)
    income = models.BigIntegerField(null=True, blank=True)
    spending = models.BigIntegerField(null=True, blank=True)
    financial_year_end = models.DateField(null=True, blank=True)
    income_band = models.CharField(
        max_length=10, choices=IncomeBand.choices, default=IncomeBand.UNKNOWN, db_index=True
    )
    activities = models.TextField(blank=True)
    objects_text = models.TextField("charitable objects", blank=True)
    website = models.URLField(max_length=500, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    source = models.CharField(max_length=30, db_index=True)
    source_date = models.DateField(null=True, blank=True)
    last_import = models.ForeignKey(
        "ImportRun",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        help_text="The latest import whose file held this organisation.",
    )
    import_hash = models.CharField(
        max_length=40,
        blank=True,
        editable=False,
        help_text="Fingerprint of the imported record, to tell unchanged rows quickly.",
    )
    is_sample = models.BooleanField(
        default=False, help_text="Generated sample data, not a real organisation."
    )
    classifications: models.ManyToManyField[Classification, Any] = models.ManyToManyField(
        "Classification", blank=True, related_name="organisations"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        indexes = [
            models.Index(fields=["status", "name"]),
            models.Index(fields=["latitude", "longitude"]),
            models.Index(fields=["local_authority", "name"], name="directory_org_la_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.income_band = IncomeBand.for_income(self.income)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("directory-organisation", args=[self.org_id])

    @property
    def scheme(self) -> str:
        """The org-id scheme: ``GB-CHC-1234567`` → ``GB-CHC``."""
        parts = self.org_id.split("-")
        return "-".join(parts[:2]) if len(parts) > 2 else parts[0]

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class Classification(models.Model):
    """A code from a classification scheme (register what/who/how, UK-CAT, ICNPO, NTEE)."""

    scheme = models.CharField(max_length=30)
    code = models.CharField(max_length=60)
    label = models.CharField(max_length=300)

    class Meta:
        ordering = ["scheme", "label"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "code"], name="directory_class_unique")
        ]

    def __str__(self) -> str:
        return self.label


class Network(models.Model):
    """A federation, umbrella body or local forum that organisations belong to."""

    name = models.CharField(max_length=300)
    slug = models.SlugField(max_length=120, unique=True)
    kind = models.CharField(max_length=60, blank=True)
    source = models.CharField(max_length=30, blank=True)
    members = models.ManyToManyField(
        Organisation, through="NetworkMembership", related_name="networks"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class NetworkMembership(models.Model):
    network = models.ForeignKey(Network, on_delete=models.CASCADE)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    role = models.CharField(max_length=60, blank=True)
    source = models.CharField(max_length=30, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["network", "organisation"], name="directory_netmember_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} in {self.network}"


class Tie(models.Model):
    """An existing relationship between two organisations (stored once, ``a`` < ``b``)."""

    class Kind(models.TextChoices):
        SHARED_TRUSTEE = "shared_trustee", "Shared trustee"
        PARENT = "parent", "Parent or linked charity"
        MERGER = "merger", "Merger"
        SAME_NETWORK = "same_network", "Same network"
        COMMON_FUNDER = "common_funder", "Common funder"
        PARTNERSHIP = "partnership", "Declared partnership"

    a = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="ties_as_a")
    b = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="ties_as_b")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    weight = models.FloatField(default=1.0)
    source = models.CharField(max_length=30, blank=True)
    evidence = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["a", "b", "kind"], name="directory_tie_unique"),
            models.CheckConstraint(condition=models.Q(a__lt=models.F("b")), name="tie_a_lt_b"),
        ]

    def __str__(self) -> str:
        return f"{self.a} / {self.b} ({self.get_kind_display()})"


class Postcode(models.Model):
    """A postcode (unit, sector or district) centroid for offline geocoding."""

    class Kind(models.TextChoices):
        UNIT = "unit", "Unit"
        SECTOR = "sector", "Sector"
        DISTRICT = "district", "District"
        ZIP = "zip", "US ZIP code"

    code = models.CharField(max_length=12, primary_key=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    latitude = models.FloatField()
    longitude = models.FloatField()
    local_authority_code = models.CharField(max_length=12, blank=True)

    def __str__(self) -> str:
        return self.code


class Area(models.Model):
    """A named area by its GSS code (local authority, region, country)."""

    code = models.CharField(max_length=12, primary_key=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ImportRun(models.Model):
    """One import of a register or relationship file, with every row accounted for."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Finished"
        FAILED = "failed", "Failed"

    source = models.CharField(max_length=30)
    file_name = models.CharField(max_length=500)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    read = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    report_file = models.CharField(max_length=500, blank=True)
    geocoded = models.PositiveIntegerField(default=0)
    rejections = models.JSONField(default=list, blank=True)
    warned = models.PositiveIntegerField(
        default=0, help_text="Rows imported with an invalid value dropped."
    )
    warnings = models.JSONField(default=list, blank=True)
    options = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    started_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL
    )
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.source} import of {self.file_name}"

    def get_absolute_url(self) -> str:
        return reverse("directory-import", args=[self.pk])


class OrganisationText(models.Model):
    """SQLite's full-text index of organisations' name, activities and objects (FTS5).

    Migration 0003 makes this virtual table on SQLite only, with triggers that keep it in
    step with every insert, update and delete of an organisation (bulk ones included), and
    :mod:`swim.directory.search` joins it to find and rank words. On PostgreSQL there is no
    such table — the search reads the ``search_vector`` column of the organisations instead
    — so only the search touches this model, and only on SQLite.
    """

    organisation = models.OneToOneField(
        Organisation,
        primary_key=True,
        db_column="rowid",
        on_delete=models.DO_NOTHING,
        related_name="text_index",
    )
    #: FTS5's hidden column named after the table: the left side of ``MATCH`` and the first
    #: argument of ``bm25()``.
    document = models.TextField(db_column="directory_organisation_fts")

    class Meta:
        managed = False
        db_table = "directory_organisation_fts"

    def __str__(self) -> str:
        return f"Full-text index entry of organisation {self.pk}"


@OrganisationText._meta.get_field("document").register_lookup
class FullTextMatch(models.Lookup):
    """``document__match="…"``: an FTS5 query (built by the search, never raw input)."""

    lookup_name = "match"

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} MATCH {rhs}", (*lhs_params, *rhs_params)
