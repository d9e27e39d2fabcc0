from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from swim.accounts.permissions import require, visible_jobs
from swim.http import AuthedRequest
from swim.jobs.actions import do_start_job
from swim.jobs.tasks import check_worker


def job_list(request: AuthedRequest) -> HttpResponse:
    require(request.user, "accounts.use_admin_site")
    jobs = visible_jobs(request.user).select_related("created_by")[:100]
    return render(request, "jobs/job_list.html", {"jobs": jobs})


def job_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(visible_jobs(request.user), pk=pk)
    template = "jobs/_progress.html" if request.htmx else "jobs/job_detail.html"
    return render(request, template, {"job": job})


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
