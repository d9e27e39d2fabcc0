"""Background tasks of discovery."""

from __future__ import annotations

from typing import Any

from swim.discovery.actions import do_run_discovery
from swim.discovery.models import DiscoveryRun
from swim.jobs.models import Job
from swim.jobs.tasking import job_task


@job_task
def run_discovery(job: Job, run_id: int) -> dict[str, Any]:
    """Do discovery run ``run_id``, reporting each stage on ``job``; link to the run."""
    run = DiscoveryRun.objects.get(pk=run_id)
    run = do_run_discovery(
        run, progress=lambda done, total, message: job.report(done, total, message)
    )
    if run.status == DiscoveryRun.Status.FAILED:
        job.message = f"Discovery could not run: {run.error}"[:300]
    else:
        job.message = f"Found {run.candidates.count()} candidate clusters."
    return {"next_url": run.get_absolute_url(), "run_id": run.pk, "status": run.status}
