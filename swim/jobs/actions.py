"""Writes about jobs shared by views, commands and the API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction

from swim.jobs.models import Job
from swim.jobs.tasking import is_cancellable

if TYPE_CHECKING:
    from django_tasks.base import Task

    from swim.accounts.models import User


def do_start_job(
    task: Task[..., Any], *, kind: str, label: str, by: User | None, **kwargs: Any
) -> Job:
    """Create a :class:`Job` and queue ``task`` to run it with ``kwargs``."""
    with transaction.atomic():
        job = Job.objects.create(
            kind=kind, label=label, created_by=by, cancellable=is_cancellable(task)
        )
        result = task.enqueue(job_id=job.pk, **kwargs)
        job.refresh_from_db()
        if not job.task_result_id:
            job.task_result_id = str(result.id)
            job.save(update_fields=["task_result_id"])
    return job


def do_cancel_job(job: Job, *, by: User | None) -> bool:
    """Cancel ``job`` if it is cancellable and waiting or running; whether it was.

    A waiting job never runs; a running one stops at its next progress step.
    """
    if not job.cancellable:
        return False
    who = f" by {by}" if by is not None else ""
    return job.mark_cancelled(f"Cancelled{who}.")
