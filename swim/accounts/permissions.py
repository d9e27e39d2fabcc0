"""Who may see or change what: the one permission module every view, export and API asks.

Rules are declared with django-rules predicates, so ``user.has_perm("directory.view_private",
org)`` works in Python and ``{% has_perm %}`` in templates. Views call :func:`require`, which
raises ``PermissionDenied`` (HTTP 403), or scope their querysets with the ``visible_*`` helpers
*before* filtering.

Roles (see :class:`swim.accounts.models.Role`):

- **admin** runs the instance and may do everything.
- **facilitator** runs the programme for an area: sees the whole directory and every
  organisation's private data, imports registers, runs discovery.
- **member** belongs to one or more organisations and sees only their private data.
- **funder** sees programme-level aggregates, never an organisation's private answers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from rules.permissions import add_perm, has_perm
from rules.predicates import predicate

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django.db.models import QuerySet

    from swim.accounts.models import User
    from swim.diagnostic.models import Response
    from swim.discovery.models import CandidateCluster, DiscoveryRun
    from swim.jobs.models import Job

    AnyUser = User | AnonymousUser


@predicate
def is_admin(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.is_admin)


@predicate
def is_facilitator(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.is_facilitator)


@predicate
def is_funder(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.is_funder)


@predicate
def is_signed_in(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.is_active)


@predicate
def belongs_to_organisation(user: AnyUser, organisation: Any) -> bool:
    if organisation is None or not user.is_authenticated:
        return False
    return organisation.pk in user.organisation_ids()


@predicate
def has_organisations(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.organisation_ids())


@predicate
def owns_job(user: AnyUser, job: Job | None) -> bool:
    return bool(job is not None and user.is_authenticated and job.created_by_id == user.pk)


@predicate
def is_cancellable_job(user: AnyUser, job: Job | None) -> bool:
    return bool(job is not None and job.cancellable)


runs_programme = is_admin | is_facilitator

# Site-wide.
add_perm("accounts.use_admin_site", is_admin)
add_perm("accounts.view_dashboard", is_signed_in)

# Directory: register data is public; an organisation's own records are private.
add_perm("directory.view_directory", is_signed_in)
add_perm("directory.view_organisation", is_signed_in)
add_perm("directory.view_private", runs_programme | belongs_to_organisation)
add_perm("directory.change_organisation", runs_programme | belongs_to_organisation)
add_perm("directory.import_data", runs_programme)
add_perm("directory.export_directory", runs_programme)
add_perm("directory.view_my_organisations", has_organisations)

# Background jobs.
add_perm("jobs.view_job", is_admin | owns_job)
add_perm("jobs.cancel_job", (is_admin | owns_job) & is_cancellable_job)

# Discovery: facilitators and admins run it and see every run and candidate.
add_perm("discovery.view_discovery", runs_programme)
add_perm("discovery.run_discovery", runs_programme)
add_perm("discovery.change_candidate", runs_programme)
add_perm("discovery.cancel_run", runs_programme)
add_perm("discovery.prepare_embeddings", runs_programme)
add_perm("discovery.view_concentration", runs_programme)

# Needs diagnostic: members answer for their own organisation; individual answers are seen
# by the organisation's members and by facilitators and admins; funders see only the
# area's aggregate figures (the most common gaps), never an organisation's answers.
add_perm("diagnostic.view_diagnostic", is_signed_in)
add_perm("diagnostic.answer_for", belongs_to_organisation)
add_perm("diagnostic.view_results", runs_programme | belongs_to_organisation)
add_perm("diagnostic.manage_rounds", runs_programme)
add_perm("diagnostic.view_area", runs_programme)
add_perm("diagnostic.view_area_gaps", runs_programme | is_funder)

# Programme reporting (filled by the evaluation capability).
add_perm("evaluation.view_programme", runs_programme | is_funder)


def may(user: AnyUser, perm: str, obj: Any = None) -> bool:
    """Whether ``user`` holds ``perm`` (optionally on ``obj``).

    Asks the rules above directly, so a superuser gets an admin's rights, not every
    permission Django would grant a superuser (such as "my organisations" without any).
    """
    return bool(has_perm(perm, user, obj))


def require(user: AnyUser, perm: str, obj: Any = None) -> None:
    """Raise ``PermissionDenied`` unless ``user`` holds ``perm`` on ``obj``."""
    if not may(user, perm, obj):
        raise PermissionDenied(f"You do not have permission for this ({perm}).")


def visible_jobs(user: AnyUser) -> QuerySet[Job]:
    """The background jobs ``user`` may see, before any other filter."""
    from swim.jobs.models import Job

    if is_admin(user):
        return Job.objects.all()
    if not user.is_authenticated:
        return Job.objects.none()
    return Job.objects.filter(created_by=user)


def visible_discovery_runs(user: AnyUser) -> QuerySet[DiscoveryRun]:
    """The discovery runs ``user`` may see, before any other filter."""
    from swim.discovery.models import DiscoveryRun

    if not runs_programme(user):
        return DiscoveryRun.objects.none()
    return DiscoveryRun.objects.all()


def visible_candidates(user: AnyUser) -> QuerySet[CandidateCluster]:
    """The candidate clusters ``user`` may see, before any other filter."""
    from swim.discovery.models import CandidateCluster

    return CandidateCluster.objects.filter(run__in=visible_discovery_runs(user))


def visible_diagnostic_responses(user: AnyUser) -> QuerySet[Response]:
    """The diagnostic responses whose individual answers ``user`` may see."""
    from swim.diagnostic.models import Response

    if runs_programme(user):
        return Response.objects.all()
    if not user.is_authenticated:
        return Response.objects.none()
    return Response.objects.filter(organisation_id__in=user.organisation_ids())
