from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from swim.accounts.permissions import may, require, visible_jobs
from swim.http import AuthedRequest
from swim.jobs.actions import do_cancel_job, do_start_job
from swim.jobs.tasks import check_worker


def job_list(request: AuthedRequest) -> HttpResponse:
    require(request.user, "accounts.use_admin_site")
    jobs = visible_jobs(request.user).select_related("created_by")[:100]
    return render(request, "jobs/job_list.html", {"jobs": jobs})


def job_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(visible_jobs(request.user), pk=pk)
    template = "jobs/_progress.html" if request.htmx else "jobs/job_detail.html"
    can_cancel = not job.is_finished and may(request.user, "jobs.cancel_job", job)
    return render(request, template, {"job": job, "can_cancel": can_cancel})


@require_POST
def job_cancel(request: AuthedRequest, pk: int) -> HttpResponse:
    """Cancel a waiting or running job: it stops at its next progress step."""
    job = get_object_or_404(visible_jobs(request.user), pk=pk)
    require(request.user, "jobs.cancel_job", job)
    if do_cancel_job(job, by=request.user):
        messages.success(request, f"“{job.label}” was cancelled.")
    else:
        messages.info(request, f"“{job.label}” had already ended ({job.get_status_display()}).")
    return redirect(job)


@require_POST
def job_check_worker(request: AuthedRequest) -> HttpResponse:
    require(request.user, "accounts.use_admin_site")
    job = do_start_job(
        check_worker,
        kind="jobs.check_worker",
        label="Check the background worker",
        by=request.user,
    )
    messages.success(request, "A check of the background worker was queued.")
    return redirect(job)
