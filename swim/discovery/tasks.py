"""Background tasks of discovery."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from swim.directory.models import Organisation
from swim.discovery.actions import do_embed_organisations, do_run_discovery
from swim.discovery.models import DiscoveryRun
from swim.jobs.models import Job
from swim.jobs.tasking import job_task


def _run_cancelled(job: Job, run_id: int) -> dict[str, Any]:
    """The run's job was cancelled (perhaps before it started): so is the run."""
    run = DiscoveryRun.objects.get(pk=run_id)
    run.mark_cancelled(job.message or "Cancelled.")
    return {"next_url": run.get_absolute_url(), "run_id": run.pk, "status": run.status}


@job_task(on_cancel=_run_cancelled)
def run_discovery(job: Job, run_id: int) -> dict[str, Any]:
    """Do discovery run ``run_id``, reporting each stage on ``job``; link to the run."""
    run = DiscoveryRun.objects.get(pk=run_id)
    run = do_run_discovery(
        run, progress=lambda done, total, message: job.report(done, total, message)
    )
    if run.status == DiscoveryRun.Status.FAILED:
        job.message = f"Discovery could not run: {run.error}"[:300]
    elif run.status == DiscoveryRun.Status.SUCCEEDED:
        job.message = f"Found {run.candidates.count()} candidate clusters."
    return {"next_url": run.get_absolute_url(), "run_id": run.pk, "status": run.status}


@job_task(cancellable=True)
def embed_organisations(job: Job) -> dict[str, Any]:
    """Prepare text understanding: embed every active organisation's changed text."""
    summary = do_embed_organisations(Organisation.objects.all(), progress=job.report)
    job.message = f"Text understanding is ready: {summary}."[:300]
    return {
        "next_url": reverse("discovery-home"),
        "considered": summary.considered,
        "encoded": summary.encoded,
        "unchanged": summary.unchanged,
        "without_text": summary.without_text,
        "seconds": round(summary.seconds, 1),
    }
