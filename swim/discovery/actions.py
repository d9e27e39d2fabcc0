"""Writes of discovery shared by the views, the task and the ``discover`` command."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q, QuerySet

from swim.directory.models import Organisation
from swim.directory.search import filter_organisations
from swim.discovery.inputs import organisations_for
from swim.discovery.models import CandidateCluster, CandidateMember, DiscoveryRun
from swim.engine.discover import Discovery
from swim.jobs.actions import do_start_job

if TYPE_CHECKING:
    from swim.accounts.models import User
    from swim.engine.data import IntArray
    from swim.engine.profile import CandidateProfile

logger = logging.getLogger(__name__)
Progress = Callable[[int, int, str], None]


class DiscoveryInputError(ValueError):
    """The run cannot go ahead: the message says why, in words for the facilitator."""


def do_create_run(
    *,
    by: User | None,
    mode: str,
    filters: dict[str, Any],
    engine: dict[str, Any],
    seed_organisation: Organisation | None = None,
) -> DiscoveryRun:
    """Record a discovery run, queued, with its parameters."""
    return DiscoveryRun.objects.create(
        created_by=by,
        mode=mode,
        parameters={"filters": filters, "engine": engine},
        seed_organisation=seed_organisation,
    )


def do_start_discovery(
    *,
    by: User | None,
    mode: str,
    filters: dict[str, Any],
    engine: dict[str, Any],
    seed_organisation: Organisation | None = None,
) -> DiscoveryRun:
    """Record a run and queue the background task that does it."""
    from swim.discovery.tasks import run_discovery

    run = do_create_run(
        by=by, mode=mode, filters=filters, engine=engine, seed_organisation=seed_organisation
    )
    job = do_start_job(
        run_discovery, kind="discovery.run", label=f"Discovery run {run.pk}", by=by, run_id=run.pk
    )
    DiscoveryRun.objects.filter(pk=run.pk).update(job=job)
    run.refresh_from_db()
    return run


def area_of(run: DiscoveryRun) -> QuerySet[Organisation]:
    """The organisations a run looks at: its directory filters (plus its seed organisation)."""
    form, area = filter_organisations(run.filters)
    if form.errors:
        problems = "; ".join(f"{k}: {' '.join(str(e) for e in v)}" for k, v in form.errors.items())
        raise DiscoveryInputError(f"The area filters are not valid ({problems}).")
    if run.seed_organisation_id:
        area = Organisation.objects.filter(
            Q(pk__in=area.order_by().values("pk")) | Q(pk=run.seed_organisation_id)
        )
    return area


def do_run_discovery(run: DiscoveryRun, *, progress: Progress | None = None) -> DiscoveryRun:
    """Do ``run`` now: read its area, run the engine, store the ranked candidates.

    Bad input (an empty area, too few organisations, impossible parameters) marks the run
    failed with a readable reason; any other error marks it failed and is raised again.
    Earlier runs are never touched, and a failed run stores no candidates.
    """
    report = progress or (lambda step, total, message: None)
    run.mark_running()
    considered = 0
    try:
        report(0, 4, "Reading the organisations of the area")
        orgs, pks, labels = organisations_for(area_of(run))
        considered = len(pks)
        _check_area(run, considered)
        engine = Discovery(**run.engine_parameters)
        try:
            engine.check_params()
        except ValueError as exc:
            raise DiscoveryInputError(str(exc)) from exc
        seed_index = pks.index(run.seed_organisation_id) if run.seed_organisation_id else None
        engine.fit(
            orgs,
            progress=lambda step, total, message: report(step + 1, total + 1, message),
            seed_index=seed_index,
            classification_labels=labels,
        )
        _store(run, engine.candidates_, pks)
    except DiscoveryInputError as exc:
        run.mark_failed(str(exc), considered)
        return run
    except Exception as exc:
        logger.exception("Discovery run %s failed", run.pk)
        run.mark_failed(f"The run stopped because of an unexpected error ({exc}).", considered)
        raise
    run.mark_finished(considered, engine.timings_)
    return run


def _check_area(run: DiscoveryRun, considered: int) -> None:
    if considered == 0:
        raise DiscoveryInputError(
            "No organisation matches these filters. Widen the area or change the words."
        )
    smallest = int(run.engine_parameters.get("min_size", 4))
    if considered < smallest:
        raise DiscoveryInputError(
            f"Only {considered} active organisation(s) match these filters; a cluster needs "
            f"at least {smallest}. Widen the area or lower the smallest cluster size."
        )


@transaction.atomic
def _store(
    run: DiscoveryRun, candidates: list[tuple[IntArray, CandidateProfile]], pks: list[int]
) -> None:
    rows = [
        CandidateCluster(
            run=run,
            rank=rank,
            kind=profile.kind,
            readiness=round(profile.readiness, 1),
            readiness_factors=dict(profile.readiness_factors),
            signal_scores={k: round(float(v), 4) for k, v in profile.signal_scores.items()},
            cohesion=float(profile.cohesion),
            suggested_priority=profile.suggested_priority or "",
            explanation=profile.explanation,
            lead_id=pks[profile.lead_index] if profile.lead_index is not None else None,
            member_count=len(members),
        )
        for rank, (members, profile) in enumerate(candidates, start=1)
    ]
    CandidateCluster.objects.bulk_create(rows)
    CandidateMember.objects.bulk_create(
        CandidateMember(
            candidate=row,
            organisation_id=pks[i],
            reason=profile.member_reasons.get(i, ""),
            is_lead=i == profile.lead_index,
        )
        for row, (members, profile) in zip(rows, candidates, strict=True)
        for i in members.tolist()
    )


def do_shortlist_candidate(candidate: CandidateCluster, *, by: User) -> CandidateCluster:
    """Put ``candidate`` on the shortlist (undoing any dismissal)."""
    candidate.status = CandidateCluster.Status.SHORTLISTED
    candidate.dismiss_reason = ""
    candidate.save(update_fields=["status", "dismiss_reason"])
    logger.info("%s shortlisted candidate %s", by, candidate.pk)
    return candidate


def do_dismiss_candidate(candidate: CandidateCluster, *, by: User, reason: str) -> CandidateCluster:
    """Dismiss ``candidate``, recording why."""
    if not reason.strip():
        raise ValueError("A dismissal needs a reason.")
    candidate.status = CandidateCluster.Status.DISMISSED
    candidate.dismiss_reason = reason.strip()
    candidate.save(update_fields=["status", "dismiss_reason"])
    logger.info("%s dismissed candidate %s", by, candidate.pk)
    return candidate
