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
        job.message = f"Found {run.candidates.count()} candidate clusters {run.ran_on}."
        if run.engine_note:
            job.message += " The dask cluster could not be used: see the run's page."
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


@job_task
def warm_concentration(job: Job) -> dict[str, Any]:
    """Compute the concentration map's counts for the data just imported, at every level,
    into the shared cache: the first person to open the map after an import need not wait."""
    from swim.discovery.concentration import LEVELS, warm_up

    summary = warm_up(progress=job.report)
    areas = " and ".join(f"{n:,} by {LEVELS[lvl].lower()}" for lvl, n in summary["areas"].items())
    job.message = (
        f"The concentration map is ready: areas {areas}, counted in {summary['seconds']:.1f} s."
        if summary["computed"]
        else "The concentration map was already up to date."
    )[:300]
    return {"next_url": reverse("discovery-concentration"), **summary}
