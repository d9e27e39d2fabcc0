"""Background tasks of the jobs app itself."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from swim.jobs.models import Job
from swim.jobs.tasking import job_task


@job_task(cancellable=True)
def check_worker(job: Job, steps: int = 5) -> dict[str, Any]:
    """Prove the worker runs: read the database in ``steps`` steps, reporting progress."""
    if steps < 1:
        raise ValueError("steps must be at least 1")
    job.report(0, steps, "Worker started")
    counts = {}
    for step in range(1, steps + 1):
        counts["users"] = get_user_model().objects.count()
        counts["jobs"] = Job.objects.count()
        job.report(step, steps, f"Step {step} of {steps}: database reachable")
    return {"steps": steps, **counts}
