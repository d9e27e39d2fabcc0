"""The needs diagnostic: rounds, respondents' answers and the invitations that reach them.

An organisation answers a diagnostic *round* through one or more *responses* (a CEO, a
trustee, staff…), each rating every *capacity area* on a 1 to 5 scale and answering the
collaboration-readiness statements. Respondents without an account answer through a
personal, expiring *invitation* link whose token is stored only as a hash.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

#: The rating scale of a capacity area, from "serious gap" to "strong".
SCORE_CHOICES = [
    (1, "1 · Serious gap: we cannot do this and it holds us back"),
    (2, "2 · Weak: we get by, with real problems"),
    (3, "3 · Adequate: it works, but could be better"),
    (4, "4 · Good: it works well, small improvements possible"),
    (5, "5 · Strong: we do this well and could help others"),
]
SCORE_SHORT = {1: "Serious gap", 2: "Weak", 3: "Adequate", 4: "Good", 5: "Strong"}

#: The agreement scale of the readiness statements.
LIKERT_CHOICES = [
    (1, "Strongly disagree"),
    (2, "Disagree"),
    (3, "Neither agree nor disagree"),
    (4, "Agree"),
    (5, "Strongly agree"),
]

#: Most CEO/manager hours a month a respondent can declare (a full-time month).
MAX_CEO_HOURS = 160


class RespondentRole(models.TextChoices):
    CEO = "ceo", "CEO or manager"
    TRUSTEE = "trustee", "Trustee"
    STAFF = "staff", "Staff"
    OTHER = "other", "Other (volunteer, member…)"


class CapacityArea(models.Model):
    """A back-office area an organisation rates itself on (HR, ICT, finance…).

    The slugs of the default set are those of ``swim.engine.data.CAPACITY_AREAS``, the
    columns of the discovery engine's ``needs`` and ``offers`` arrays.
    """

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class ReadinessStatement(models.Model):
    """A collaboration-readiness statement (Wilder-style factor) answered on a Likert scale."""

    slug = models.SlugField(max_length=40, unique=True)
    factor = models.CharField(max_length=60, help_text="The readiness factor, e.g. Trust.")
    text = models.CharField(max_length=300)
    order = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "slug"]

    def __str__(self) -> str:
        return self.text


class Round(models.Model):
    """One diagnostic round for an area or programme (a baseline, a later follow-up…)."""

    name = models.CharField(max_length=200)
    local_authority = models.CharField(
        max_length=120, blank=True, help_text="The area it covers; blank for any."
    )
    opens_on = models.DateField(default=date.today)
    closes_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-opens_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_on__isnull=True) | Q(closes_on__gte=models.F("opens_on")),
                name="diagnostic_round_closes_after_opening",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("diagnostic-area") + f"?round={self.pk}"

    def is_open(self, today: date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.opens_on <= today and (self.closes_on is None or today <= self.closes_on)


def hash_token(token: str) -> str:
    """The stored form of an invitation token (SHA-256, hex)."""
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(models.Model):
    """A personal link inviting someone without an account to answer for an organisation.

    A facilitator can withdraw (revoke) the link until the answers are submitted, or send it
    again: a new token and expiry, the same invitation and so the same draft response.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Sent"
        OPENED = "opened", "Opened (draft saved)"
        USED = "used", "Submitted"
        EXPIRED = "expired", "Expired"
        REVOKED = "revoked", "Withdrawn"

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="invitations")
    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    email = models.EmailField()
    name = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=10, choices=RespondentRole.choices)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField()
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    opened_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    resent_at = models.DateTimeField(
        null=True, blank=True, help_text="When the link was last sent again (a new token)."
    )
    revoked_at = models.DateTimeField(
        null=True, blank=True, help_text="When a facilitator withdrew the link."
    )
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.email} for {self.organisation}"

    @property
    def person(self) -> str:
        """Who the link is for, as a facilitator reads it: the name, else the email."""
        return self.name or self.email

    @staticmethod
    def new_token() -> str:
        """A fresh random token (256 bits) for a link; only its hash is stored."""
        return secrets.token_urlsafe(32)

    @classmethod
    def default_expiry(cls) -> Any:
        return timezone.now() + timedelta(days=settings.DIAGNOSTIC_INVITATION_DAYS)

    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at

    @property
    def state(self) -> str:
        if self.used_at:
            return self.State.USED
        if self.revoked_at:
            return self.State.REVOKED
        if self.is_expired():
            return self.State.EXPIRED
        return self.State.OPENED if self.opened_at else self.State.PENDING

    def get_state_display(self) -> str:
        return self.State(self.state).label

    def state_date(self) -> Any:
        """When the invitation came into its current state (expired: when it expired)."""
        return {
            self.State.USED: self.used_at,
            self.State.REVOKED: self.revoked_at,
            self.State.EXPIRED: self.expires_at,
            self.State.OPENED: self.opened_at,
        }.get(self.State(self.state), self.resent_at or self.created_at)

    @property
    def can_revoke(self) -> bool:
        """Whether the link can still be withdrawn: not submitted, not withdrawn already."""
        return not self.used_at and not self.revoked_at

    @property
    def can_resend(self) -> bool:
        """Whether the link can be sent again: until the answers are submitted."""
        return not self.used_at


class Response(models.Model):
    """One respondent's answers for an organisation in a round (a draft until submitted).

    Answers given on a paper form and imported from CSV have ``source`` paper, no
    respondent account and, usually, the ``respondent_name`` written on the form.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"

    class Source(models.TextChoices):
        ONLINE = "online", "Online"
        PAPER = "paper", "On paper"

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="responses")
    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.CASCADE, related_name="diagnostic_responses"
    )
    respondent_role = models.CharField(max_length=10, choices=RespondentRole.choices)
    respondent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="diagnostic_responses",
    )
    respondent_name = models.CharField(
        max_length=200, blank=True, help_text="The name on a paper form (online answers: blank)."
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.ONLINE)
    invitation = models.OneToOneField(
        Invitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="response"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    ceo_hours_per_month = models.DecimalField(
        "CEO or manager hours a month for collaboration",
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
    )
    hopes = models.TextField("what the organisation hopes to gain", blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["round", "organisation", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "submitted"]), name="diagnostic_response_status"
            ),
            models.CheckConstraint(
                condition=Q(source__in=["online", "paper"]), name="diagnostic_response_source"
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(submitted_at__isnull=False),
                name="diagnostic_response_submitted_at",
            ),
            models.CheckConstraint(
                condition=Q(ceo_hours_per_month__isnull=True)
                | Q(ceo_hours_per_month__gte=0, ceo_hours_per_month__lte=MAX_CEO_HOURS),
                name="diagnostic_response_ceo_hours_range",
            ),
            models.UniqueConstraint(
                fields=["round", "organisation", "respondent"],
                condition=Q(respondent__isnull=False),
                name="diagnostic_response_one_per_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_respondent_role_display()} for {self.organisation} ({self.round})"

    @property
    def is_submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED

    @property
    def is_paper(self) -> bool:
        """Answered on a paper form and imported from CSV."""
        return self.source == self.Source.PAPER

    def name_of_respondent(self) -> str:
        """The respondent's name: from the paper form, the invitation or the account."""
        if self.respondent_name:
            return self.respondent_name
        if self.invitation_id and self.invitation:
            return self.invitation.name
        return self.respondent.get_full_name() if self.respondent else ""


class Rating(models.Model):
    """A respondent's rating of one capacity area."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="ratings")
    area = models.ForeignKey(CapacityArea, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField(
        null=True, blank=True, choices=SCORE_CHOICES, help_text="Empty only in a draft."
    )
    is_priority = models.BooleanField("a priority for us", default=False)
    can_offer = models.BooleanField("we could offer this to others", default=False)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["response", "area__order"]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=1, score__lte=5),
                name="diagnostic_rating_score_range",
            ),
            models.UniqueConstraint(fields=["response", "area"], name="diagnostic_rating_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.area}: {self.score}"


class ReadinessAnswer(models.Model):
    """A respondent's agreement with one readiness statement."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="readiness")
    statement = models.ForeignKey(ReadinessStatement, on_delete=models.PROTECT, related_name="+")
    value = models.PositiveSmallIntegerField(null=True, blank=True, choices=LIKERT_CHOICES)

    class Meta:
        ordering = ["response", "statement__order"]
        constraints = [
            models.CheckConstraint(
                condition=Q(value__isnull=True) | Q(value__gte=1, value__lte=5),
                name="diagnostic_readiness_value_range",
            ),
            models.UniqueConstraint(
                fields=["response", "statement"], name="diagnostic_readiness_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.statement.slug}: {self.value}"
