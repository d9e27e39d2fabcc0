"""Turning a plain function into a background task that reports progress on a Job."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django_tasks import task
from django_tasks.base import Task

from swim.jobs.models import Job

logger = logging.getLogger(__name__)

JobFunction = Callable[..., dict[str, Any]]


def job_task(func: JobFunction) -> Task[..., dict[str, Any]]:
    """Decorate ``func(job, **kwargs) -> dict`` as a task run with a :class:`Job`.

    The task takes ``job_id`` and the keyword arguments. It marks the job running, lets
    ``func`` report progress through ``job.report()``, and records success with the returned
    dict or failure with a readable error (the exception is re-raised for the worker's log).
    """

    @functools.wraps(func)
    def run(job_id: int, **kwargs: Any) -> dict[str, Any]:
        job = Job.objects.get(pk=job_id)
        job.mark_running()
        try:
            result = func(job, **kwargs)
        except Exception as exc:
            logger.exception("Job %s (%s) failed", job.pk, job.kind)
            job.mark_failed(f"{type(exc).__name__}: {exc}")
            raise
        job.mark_succeeded(result)
        return result

    return task()(run)
