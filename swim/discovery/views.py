from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from swim.accounts.permissions import (
    may,
    require,
    visible_candidates,
    visible_discovery_runs,
)
from swim.discovery.actions import (
    do_cancel_discovery,
    do_dismiss_candidate,
    do_shortlist_candidate,
    do_start_discovery,
    do_start_embedding,
)
from swim.discovery.forms import DiscoveryForm, DismissForm, initial_from
from swim.discovery.models import CandidateCluster
from swim.discovery.text_vectors import text_status
from swim.http import AuthedRequest


def discovery_home(request: AuthedRequest) -> HttpResponse:
    """The runs so far and the form that starts a new one."""
    require(request.user, "discovery.view_discovery")
    form = DiscoveryForm(
        request.POST if request.method == "POST" else None, initial=initial_from(request.GET)
    )
    if request.method == "POST":
        require(request.user, "discovery.run_discovery")
        if form.is_valid():
            run = do_start_discovery(
                by=request.user,
                mode=form.cleaned_data["mode"],
                filters=form.filters(),
                engine=form.engine(),
                seed_organisation=form.seed_organisation,
                weights=form.weights(),
            )
            messages.success(request, f"Discovery run {run.pk} was started.")
            return redirect(run.job or run)
    runs = visible_discovery_runs(request.user).select_related("created_by")[:50]
    context = {"form": form, "runs": runs, "text": text_status(request.user)}
    return render(request, "discovery/home.html", context, status=400 if form.errors else 200)


@require_POST
def prepare_text(request: AuthedRequest) -> HttpResponse:
    """Start (or rejoin) the job that embeds the organisations' texts."""
    require(request.user, "discovery.prepare_embeddings")
    job = do_start_embedding(by=request.user)
    messages.success(request, "Preparing text understanding: it runs in the background.")
    return redirect(job)


def run_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    require(request.user, "discovery.view_discovery")
    run = get_object_or_404(
        visible_discovery_runs(request.user).select_related("seed_organisation", "job"), pk=pk
    )
    context = {
        "run": run,
        "candidates": run.candidates.all(),
        "can_cancel": run.is_active and may(request.user, "discovery.cancel_run", run),
    }
    return render(request, "discovery/run.html", context)


@require_POST
def run_cancel(request: AuthedRequest, pk: int) -> HttpResponse:
    """Cancel a waiting or running run: it stops at its next step and stores nothing."""
    require(request.user, "discovery.view_discovery")
    run = get_object_or_404(visible_discovery_runs(request.user).select_related("job"), pk=pk)
    require(request.user, "discovery.cancel_run", run)
    if do_cancel_discovery(run, by=request.user):
        messages.success(request, f"Discovery run {run.pk} was cancelled.")
    else:
        messages.info(request, f"Discovery run {run.pk} had already ended.")
    return redirect(run)


def _candidate(request: AuthedRequest, pk: int) -> CandidateCluster:
    require(request.user, "discovery.view_discovery")
    found = visible_candidates(request.user).select_related("run", "lead")
    return get_object_or_404(found, pk=pk)


def candidate_detail(
    request: AuthedRequest, pk: int, dismiss_form: DismissForm | None = None
) -> HttpResponse:
    candidate = _candidate(request, pk)
    context = {
        "candidate": candidate,
        "members": candidate.members.select_related("organisation"),
        "dismiss_form": dismiss_form or DismissForm(),
        "can_change": may(request.user, "discovery.change_candidate", candidate),
        "others": candidate.run.candidates.exclude(pk=candidate.pk)[:20],
    }
    return render(request, "discovery/candidate.html", context, status=400 if dismiss_form else 200)


@require_POST
def candidate_shortlist(request: AuthedRequest, pk: int) -> HttpResponse:
    candidate = _candidate(request, pk)
    require(request.user, "discovery.change_candidate", candidate)
    do_shortlist_candidate(candidate, by=request.user)
    messages.success(request, f"Candidate {candidate.rank} is on the shortlist.")
    return redirect(candidate)


@require_POST
def candidate_dismiss(request: AuthedRequest, pk: int) -> HttpResponse:
    candidate = _candidate(request, pk)
    require(request.user, "discovery.change_candidate", candidate)
    form = DismissForm(request.POST)
    if not form.is_valid():
        return candidate_detail(request, pk, dismiss_form=form)
    do_dismiss_candidate(candidate, by=request.user, reason=form.cleaned_data["reason"])
    messages.success(request, f"Candidate {candidate.rank} was dismissed.")
    return redirect(candidate)


def compare(request: AuthedRequest) -> HttpResponse:
    """Two candidates side by side: ``?a=<id>&b=<id>``."""
    require(request.user, "discovery.view_discovery")
    keys = [request.GET.get(name, "") for name in ("a", "b")]
    if not all(key.isdigit() for key in keys):
        raise Http404("Choose two candidates to compare.")
    found = visible_candidates(request.user).select_related("lead").in_bulk([int(k) for k in keys])
    if len(found) != len(set(keys)):
        raise Http404("No such candidate.")
    pair = [found[int(key)] for key in keys]
    return render(request, "discovery/compare.html", {"pair": pair})
