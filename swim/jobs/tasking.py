"""Turning a plain function into a background task that reports progress on a Job."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, overload

from django_tasks import task
from django_tasks.base import Task

from swim.jobs.models import Job, JobCancelled

logger = logging.getLogger(__name__)

JobFunction = Callable[..., dict[str, Any]]
OnCancel = Callable[..., dict[str, Any] | None]
JobTask = Task[..., dict[str, Any]]


@overload
def job_task(func: JobFunction) -> JobTask: ...
@overload
def job_task(
    *, cancellable: bool = False, on_cancel: OnCancel | None = None
) -> Callable[[JobFunction], JobTask]: ...


def job_task(
    func: JobFunction | None = None,
    *,
    cancellable: bool = False,
    on_cancel: OnCancel | None = None,
) -> JobTask | Callable[[JobFunction], JobTask]:
    """Decorate ``func(job, **kwargs) -> dict`` as a task run with a :class:`Job`.

    The task takes ``job_id`` and the keyword arguments. It marks the job running, lets
    ``func`` report progress through ``job.report()``, and records success with the returned
    dict or failure with a readable error (the exception is re-raised for the worker's log).

    Cancelling is for tasks declared ``cancellable`` (or given ``on_cancel``): their jobs
    are created with ``Job.cancellable`` set, and only those may be cancelled. A task that
    holds one long transaction (an import) must not be: its progress writes lock the job
    row, and a cancel would wait for it. A cancelled job that no worker has taken never runs
    ``func``; a running one stops at its next ``job.report()``, which raises
    :class:`JobCancelled`. Either way ``on_cancel(job, **kwargs)``, when given, tidies up (it
    must be safe to call twice) and may return a result to store on the job, such as
    ``{"next_url": ...}``. Use ``@job_task`` or ``@job_task(cancellable=True, ...)``.
    """
    flag = cancellable or on_cancel is not None
    if func is None:
        return functools.partial(_make_task, cancellable=flag, on_cancel=on_cancel)
    return _make_task(func, cancellable=flag, on_cancel=on_cancel)


def is_cancellable(task: Task[..., Any]) -> bool:
    """Whether jobs of ``task`` may be cancelled (it was declared so with :func:`job_task`)."""
    return bool(getattr(task.func, "cancellable", False))


def _make_task(func: JobFunction, *, cancellable: bool, on_cancel: OnCancel | None) -> JobTask:
    @functools.wraps(func)
    def run(job_id: int, **kwargs: Any) -> dict[str, Any]:
        job = Job.objects.get(pk=job_id)
        if not job.mark_running():
            logger.info("Job %s (%s) was %s before it started", job.pk, job.kind, job.status)
            if job.status != Job.Status.CANCELLED:
                return {"skipped": job.status}
            return _cancelled(job, on_cancel, kwargs)
        try:
            result = func(job, **kwargs)
        except JobCancelled:
            logger.info("Job %s (%s) was cancelled while running", job.pk, job.kind)
            return _cancelled(job, on_cancel, kwargs)
        except Exception as exc:
            logger.exception("Job %s (%s) failed", job.pk, job.kind)
            job.mark_failed(f"{type(exc).__name__}: {exc}")
            raise
        job.mark_succeeded(result)
        return result

    run.cancellable = cancellable  # type: ignore[attr-defined]
    return task()(run)


def _cancelled(job: Job, on_cancel: OnCancel | None, kwargs: dict[str, Any]) -> dict[str, Any]:
    job.mark_cancelled()
    result = (on_cancel(job, **kwargs) if on_cancel else None) or {}
    if result:
        job.record_result(result)
    return {"cancelled": True, **result}
