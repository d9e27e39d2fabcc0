"""Writes of discovery shared by the views, the task and the ``discover`` command."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from swim.directory.models import Organisation
from swim.directory.search import filter_organisations
from swim.discovery.inputs import active_keys, organisation_text, organisations_for
from swim.discovery.models import (
    CandidateCluster,
    CandidateMember,
    DiscoveryRun,
    OrganisationEmbedding,
)
from swim.discovery.text_vectors import (
    ENCODE_IN_RUN_LIMIT,
    PREPARE_KIND,
    CachedVectors,
    active_preparation,
    cached_vectors,
    embeddings_available,
    text_encoder,
    text_key,
    to_bytes,
    unavailable_reason,
)
from swim.engine.discover import ENGINES, STAGES, Discovery
from swim.engine.embeddings import EmbeddingsUnavailable, normalise_text
from swim.engine.signals.combine import DEFAULT_WEIGHTS, SIGNALS, SignalWeights
from swim.jobs.actions import do_cancel_job, do_start_job
from swim.jobs.models import Job, JobCancelled

if TYPE_CHECKING:
    from swim.accounts.models import User
    from swim.engine.data import IntArray, Organisations
    from swim.engine.embeddings import Float32Array, TextEncoder
    from swim.engine.profile import CandidateProfile

logger = logging.getLogger(__name__)
Progress = Callable[[int, int, str], None]
#: The steps of a run as its progress counts them: reading, texts, then the engine's three.
STEPS = 5
#: Texts encoded and written together (a progress step, so the granularity of cancelling).
EMBED_BATCH = 256
#: Organisations whose stored vectors are checked per query.
SCAN_CHUNK = 2_000
#: Seconds a run waits for its dask scheduler to answer (and then for a worker) before it
#: goes on on this machine instead.
SCHEDULER_TIMEOUT = 10.0
FELL_BACK = "{reason}, so this run went on on this machine (the same candidates, more slowly). "
START_IT = "Start the scheduler and its workers, or unset SWIM_DASK_SCHEDULER to run here."
INSTALL_IT = "Install the 'distributed' extra there, or unset SWIM_DASK_SCHEDULER to run here."
NOT_PREPARED = (
    "{count:,} organisations' texts are not prepared yet, so text was compared by word "
    "overlap (TF-IDF); prepare text understanding to use sentence embeddings."
)


def _batched(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    """``items`` in consecutive slices of ``size`` (``itertools.batched`` is Python 3.12)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


class DiscoveryInputError(ValueError):
    """The run cannot go ahead: the message says why, in words for the facilitator."""


class RunCancelled(Exception):
    """Someone cancelled the run while it was working."""


def do_create_run(
    *,
    by: User | None,
    mode: str,
    filters: dict[str, Any],
    engine: dict[str, Any],
    seed_organisation: Organisation | None = None,
    weights: dict[str, float] | None = None,
) -> DiscoveryRun:
    """Record a discovery run, queued, with its parameters.

    ``weights`` (signal name to weight) default to the engine's
    :data:`~swim.engine.signals.combine.DEFAULT_WEIGHTS` of the day, recorded on the run.
    """
    return DiscoveryRun.objects.create(
        created_by=by,
        mode=mode,
        parameters={
            "filters": filters,
            "engine": engine,
            "weights": dict(weights) if weights else DEFAULT_WEIGHTS.as_dict(),
        },
        seed_organisation=seed_organisation,
    )


def configured_scheduler() -> str:
    """``SWIM_DASK_SCHEDULER``, read when asked (empty: runs work on this machine)."""
    return str(getattr(settings, "SWIM_DASK_SCHEDULER", "") or "").strip()


def engine_parameters(engine: str | None = None, scheduler: str = "") -> dict[str, Any]:
    """Where a new run works, as the engine parameters it records.

    ``engine`` is ``"local"`` (this machine: nothing to record) or ``"dask"``; ``None`` means
    the configured one: the dask cluster at ``SWIM_DASK_SCHEDULER`` when it is set (web
    runs), else this machine. The dask engine's address is ``scheduler``, else the setting,
    else ``None``: a LocalCluster started for the run (only the command asks for that).
    Whether the cluster can be reached is checked when the run starts
    (:func:`do_run_discovery`), where the work is done.
    """
    configured = configured_scheduler()
    name = engine or ("dask" if configured else "local")
    if name not in ENGINES:
        raise DiscoveryInputError(f"The engine must be one of {', '.join(ENGINES)}, not {name!r}.")
    if name == "local":
        return {}
    return {"engine": "dask", "scheduler_address": scheduler or configured or None}


def do_start_discovery(
    *,
    by: User | None,
    mode: str,
    filters: dict[str, Any],
    engine: dict[str, Any],
    seed_organisation: Organisation | None = None,
    weights: dict[str, float] | None = None,
) -> DiscoveryRun:
    """Record a run and queue the background task that does it."""
    from swim.discovery.tasks import run_discovery

    run = do_create_run(
        by=by,
        mode=mode,
        filters=filters,
        engine=engine,
        seed_organisation=seed_organisation,
        weights=weights,
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
    """Do ``run`` now: read its area, compare texts, run the engine, store the candidates.

    Bad input (an empty area, too few organisations, impossible parameters or weights)
    marks the run failed with a readable reason; any other error marks it failed and is
    raised again. The run checks at each progress step whether it was cancelled (on its
    page, or its job) and then stops; a run cancelled before it started does nothing. The
    candidates are written at the end in one transaction with the run's success, so a
    failed or cancelled run stores none, and earlier runs are never touched.
    """
    report = _checking(run, progress)
    if not run.mark_running():
        return run
    considered = 0
    timings: dict[str, float] = {}
    try:
        start = time.perf_counter()
        report(0, STEPS, "Reading the organisations of the area")
        area = area_of(run)
        orgs, pks, labels = organisations_for(area)
        timings["read"] = time.perf_counter() - start
        considered = len(pks)
        _check_area(run, considered)
        engine = Discovery(weights=_weights(run), **run.engine_parameters)
        try:
            engine.check_params()
        except ValueError as exc:
            raise DiscoveryInputError(str(exc)) from exc
        _reach_cluster(run, engine, report)
        start = time.perf_counter()
        report(1, STEPS, "Comparing the organisations' activity texts")
        method, vectors, note = choose_text(area, orgs, pks, report)
        run.record_text_method(method, note)
        timings["text"] = time.perf_counter() - start
        seed_index = pks.index(run.seed_organisation_id) if run.seed_organisation_id else None
        engine.fit(
            orgs,
            text_vectors=vectors,
            progress=_after_texts(report),
            seed_index=seed_index,
            classification_labels=labels,
        )
        _finish(run, engine.candidates_, pks, considered, {**timings, **engine.timings_})
    except (RunCancelled, JobCancelled):
        run.mark_cancelled()
        logger.info("Discovery run %s was cancelled", run.pk)
    except DiscoveryInputError as exc:
        run.mark_failed(str(exc), considered)
    except Exception as exc:
        logger.exception("Discovery run %s failed", run.pk)
        run.mark_failed(f"The run stopped because of an unexpected error ({exc}).", considered)
        raise
    return run


def _reach_cluster(run: DiscoveryRun, engine: Discovery, report: Progress) -> None:
    """Check that a dask run's cluster can be used; if not, go on on this machine.

    Why (the scheduler does not answer, has no workers, or dask.distributed is missing
    here) is recorded on the run (``parameters["engine_note"]``, the address without
    credentials) and logged. Both engines give the same candidates, so the run loses only
    time; failing it instead would leave the facilitator with nothing until an operator
    came.
    """
    if engine.engine != "dask":
        return
    from swim.engine.distributed import (
        DaskUnavailableError,
        SchedulerUnreachable,
        check_scheduler,
        public_address,
        require_dask,
    )

    address = engine.scheduler_address
    try:
        if address:
            report(0, STEPS, f"Connecting to the dask cluster at {public_address(address)}")
            check_scheduler(address, timeout=SCHEDULER_TIMEOUT)
        else:
            require_dask()
    except DaskUnavailableError:
        reason, advice = "dask.distributed is not installed where discovery runs", INSTALL_IT
    except SchedulerUnreachable as exc:
        reason, advice = str(exc), START_IT
    else:
        return
    note = FELL_BACK.format(reason=reason) + advice
    logger.warning("Discovery run %s: %s", run.pk, note)
    run.parameters["engine_note"] = note
    run.save(update_fields=["parameters"])
    engine.engine, engine.scheduler_address = "local", None


def _after_texts(report: Progress) -> Progress:
    """The engine's progress as the run's steps after reading and texts (in proportion: a
    dask run counts each engine stage as many steps as it has regions)."""
    before = STEPS - len(STAGES)

    def engine_step(step: int, total: int, message: str) -> None:
        per = max(1, total // len(STAGES))
        report(step + before * per, total + before * per, message)

    return engine_step


def _checking(run: DiscoveryRun, progress: Progress | None) -> Progress:
    """``progress``, after checking that the run has not been cancelled."""

    def report(step: int, total: int, message: str) -> None:
        if DiscoveryRun.objects.filter(pk=run.pk, status=DiscoveryRun.Status.CANCELLED).exists():
            raise RunCancelled(f"Discovery run {run.pk} was cancelled")
        if progress is not None:
            progress(step, total, message)

    return report


def _weights(run: DiscoveryRun) -> SignalWeights:
    asked = {name: float(v) for name, v in run.weights.items() if name in SIGNALS}
    try:
        weights = SignalWeights(**asked) if asked else DEFAULT_WEIGHTS
    except ValueError as exc:
        raise DiscoveryInputError(f"The signal weights are not valid: {exc}.") from exc
    if not any(weights.as_dict().values()):
        raise DiscoveryInputError("Every signal weight is 0: give at least one a weight.")
    return weights


def choose_text(
    area: QuerySet[Organisation], orgs: Organisations, pks: list[int], report: Progress
) -> tuple[str, Float32Array | None, str]:
    """How a run compares texts: ``(method, vectors or None, note for the run page)``.

    Sentence embeddings when they are available and every organisation with a text has a
    fresh cached vector, after encoding the missing ones here if they are few (at most
    :data:`ENCODE_IN_RUN_LIMIT`); otherwise TF-IDF (``vectors`` is ``None``).
    """
    if not any(normalise_text(text) for text in orgs.texts):
        return DiscoveryRun.TextMethod.NONE, None, "No organisation here has an activity text."
    if not embeddings_available():
        return (
            DiscoveryRun.TextMethod.TFIDF,
            None,
            f"Sentence embeddings are not used: {unavailable_reason()}.",
        )
    encoder = text_encoder()
    cached = cached_vectors(active_keys(area), pks, orgs.texts, encoder.model_name)
    missing = len(cached.missing)
    if missing > ENCODE_IN_RUN_LIMIT:
        return DiscoveryRun.TextMethod.TFIDF, None, NOT_PREPARED.format(count=missing)
    if missing:
        try:
            _encode_missing(cached, pks, orgs.texts, encoder, report)
        except (EmbeddingsUnavailable, OSError) as exc:
            logger.warning("Sentence embeddings unavailable, using TF-IDF: %s", exc)
            note = f"Sentence embeddings could not be loaded ({exc}); texts compared by words."
            return DiscoveryRun.TextMethod.TFIDF, None, note
    note = (
        f"The texts of {missing:,} organisations were encoded during this run." if missing else ""
    )
    return DiscoveryRun.TextMethod.EMBEDDINGS, cached.matrix(), note


def _encode_missing(
    cached: CachedVectors,
    pks: list[int],
    texts: Sequence[str],
    encoder: TextEncoder,
    report: Progress,
) -> None:
    """Encode (and cache) the texts ``cached`` lacks, reporting progress as step 1."""
    rows = cached.missing

    def step(done: int, total: int) -> None:
        report(1, STEPS, f"Understanding the texts of {total:,} organisations: {done:,} done")

    vectors, _ = _encode_and_store([pks[i] for i in rows], [texts[i] for i in rows], encoder, step)
    cached.add(rows, vectors)


def _encode_and_store(
    pks: Sequence[int],
    texts: Sequence[str],
    encoder: TextEncoder,
    step: Callable[[int, int], None] | None = None,
) -> tuple[Float32Array, int]:
    """Embed ``texts`` and upsert the vectors of ``pks``, ``EMBED_BATCH`` texts at a time.

    Each distinct text is encoded once (organisations often share a text). Returns the
    vectors in the order of ``pks`` and how many texts were sent to the encoder.
    """
    name = encoder.model_name
    keys = [text_key(text, name) for text in texts]
    rows_of: dict[str, list[int]] = {}
    for row, key in enumerate(keys):
        rows_of.setdefault(key, []).append(row)
    out: Float32Array | None = None
    done = 0
    for batch in _batched(list(rows_of), EMBED_BATCH):
        vectors = encoder.encode([texts[rows_of[key][0]] for key in batch])
        if out is None:
            out = np.zeros((len(pks), vectors.shape[1]), dtype=np.float32)
        now = timezone.now()
        written = []
        for key, vector in zip(batch, vectors, strict=True):
            out[rows_of[key]] = vector
            written += [
                OrganisationEmbedding(
                    organisation_id=pks[row],
                    model_name=name,
                    text_key=key,
                    dimension=len(vector),
                    vector=to_bytes(vector),
                    updated_at=now,
                )
                for row in rows_of[key]
            ]
        OrganisationEmbedding.objects.bulk_create(
            written,
            update_conflicts=True,
            unique_fields=["organisation", "model_name"],
            update_fields=["text_key", "dimension", "vector", "updated_at"],
        )
        done += len(written)
        if step is not None:
            step(done, len(pks))
    return (np.zeros((0, 0), dtype=np.float32) if out is None else out), len(rows_of)


def _finish(
    run: DiscoveryRun,
    candidates: list[tuple[IntArray, CandidateProfile]],
    pks: list[int],
    considered: int,
    timings: dict[str, float],
) -> None:
    """Store the candidates and mark the run finished together, unless it was cancelled."""
    with transaction.atomic():
        if not run.mark_finished(considered, timings):
            raise RunCancelled(f"Discovery run {run.pk} was cancelled before it was stored")
        _store(run, candidates, pks)


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


def do_cancel_discovery(run: DiscoveryRun, *, by: User | None) -> bool:
    """Cancel ``run`` if it is waiting or running (and its job); whether it was.

    A waiting run never starts; a running one stops at its next progress step and stores
    nothing. Earlier runs are untouched.
    """
    who = f" by {by}" if by is not None else ""
    cancelled = run.mark_cancelled(f"Cancelled{who}.")
    if cancelled and run.job is not None:
        do_cancel_job(run.job, by=by)
    if cancelled:
        logger.info("Discovery run %s was cancelled%s", run.pk, who)
    return cancelled


@dataclass
class EmbedSummary:
    """What :func:`do_embed_organisations` did."""

    considered: int = 0
    encoded: int = 0
    unchanged: int = 0
    without_text: int = 0
    texts: int = 0
    seconds: float = 0.0

    def __str__(self) -> str:
        return (
            f"{self.considered:,} organisations: {self.encoded:,} encoded "
            f"({self.texts:,} texts sent to the model), {self.unchanged:,} unchanged, "
            f"{self.without_text:,} without text ({self.seconds:.1f} s)"
        )


def do_embed_organisations(
    queryset: QuerySet[Organisation],
    *,
    progress: Progress | None = None,
    encoder: TextEncoder | None = None,
    batch_size: int = EMBED_BATCH,
) -> EmbedSummary:
    """Embed the texts of the active organisations of ``queryset`` that are missing or stale.

    First a scan, ``SCAN_CHUNK`` organisations per query, compares each text's key with its
    stored vector's (and drops the vectors of organisations whose text is now empty); then
    the changed organisations are encoded ``batch_size`` at a time, those sharing a text
    together (each distinct text encoded about once), each batch written at once, so memory
    stays bounded and a cancelled or interrupted job keeps what it finished.

    Raises
    ------
    EmbeddingsUnavailable
        If the sentence-embedding packages are not installed.
    """
    started = time.perf_counter()
    encoder = encoder or text_encoder()
    report = progress or (lambda done, total, message: None)
    summary = EmbedSummary()
    stale = _stale_organisations(queryset, encoder.model_name, summary)
    report(0, len(stale), f"{len(stale):,} organisations' texts to encode")
    done = 0
    for batch in _batched(stale, max(1, batch_size)):
        found = Organisation.objects.filter(pk__in=batch).values_list(
            "pk", "activities", "objects_text"
        )
        texts = {pk: organisation_text(a, o) for pk, a, o in found}
        keep = [pk for pk in batch if pk in texts]
        _, distinct = _encode_and_store(keep, [texts[pk] for pk in keep], encoder)
        done += len(batch)
        summary.encoded += len(keep)
        summary.texts += distinct
        report(done, len(stale), f"Encoded {done:,} of {len(stale):,} organisations' texts")
    summary.seconds = time.perf_counter() - started
    return summary


def _stale_organisations(
    queryset: QuerySet[Organisation], model_name: str, summary: EmbedSummary
) -> list[int]:
    """The organisations whose vector is missing or stale, those sharing a text together.

    Sorted by text key, so that a batch holds the organisations of the same text and each
    distinct text is encoded about once.
    """
    base = Organisation.objects.filter(pk__in=active_keys(queryset)).order_by("pk")
    stale: list[tuple[str, int]] = []
    last = 0
    while True:
        rows = list(
            base.filter(pk__gt=last).values_list("pk", "activities", "objects_text", "updated_at")[
                :SCAN_CHUNK
            ]
        )
        if not rows:
            return [pk for _, pk in sorted(stale)]
        last = rows[-1][0]
        stored = {
            org: (pk, key, updated)
            for pk, org, key, updated in OrganisationEmbedding.objects.filter(
                model_name=model_name, organisation_id__in=[row[0] for row in rows]
            ).values_list("pk", "organisation_id", "text_key", "updated_at")
        }
        drop, touch = [], []
        for pk, activities, objects_text, updated in rows:
            summary.considered += 1
            key = text_key(organisation_text(activities, objects_text), model_name)
            found = stored.get(pk)
            if not key:
                summary.without_text += 1
                if found:
                    drop.append(found[0])
            elif found is None or found[1] != key:
                stale.append((key, pk))
            else:
                summary.unchanged += 1
                if updated > found[2]:
                    touch.append(found[0])  # changed elsewhere: no longer counted as stale
        OrganisationEmbedding.objects.filter(pk__in=drop).delete()
        OrganisationEmbedding.objects.filter(pk__in=touch).update(updated_at=timezone.now())


def do_start_embedding(*, by: User | None) -> Job:
    """Queue the job that prepares text understanding for every active organisation.

    When one is already waiting or running, that job is returned instead.
    """
    from swim.discovery.tasks import embed_organisations

    return active_preparation() or do_start_job(
        embed_organisations,
        kind=PREPARE_KIND,
        label="Prepare text understanding (sentence embeddings)",
        by=by,
    )
