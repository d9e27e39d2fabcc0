from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from swim.accounts.permissions import may, require, visible_diagnostic_responses
from swim.diagnostic.actions import (
    AlreadySubmitted,
    InvitationWithdrawn,
    active_questions,
    do_create_round,
    do_open_invitation,
    do_save_response,
    do_start_response,
    find_invitation,
)
from swim.diagnostic.forms import (
    AreaFilterForm,
    ResponseForm,
    RoundForm,
    initial_from,
)
from swim.diagnostic.models import CapacityArea, Response, Round
from swim.diagnostic.results import (
    HEAT_LEGEND,
    HEATMAP_PAGE_SIZE,
    MIN_ORGANISATIONS,
    area_comparison,
    area_results,
    organisation_comparison,
    write_area_csv,
)
from swim.diagnostic.views_invitations import withdrawn_page
from swim.directory.models import Organisation
from swim.http import AuthedRequest


def home(request: AuthedRequest, round_form: RoundForm | None = None) -> HttpResponse:
    """Rounds, and for members the diagnostics they can answer or carry on."""
    require(request.user, "diagnostic.view_diagnostic")
    rounds = list(Round.objects.all()[:50])
    mine = Organisation.objects.filter(pk__in=request.user.organisation_ids())
    answers = {
        (r.round_id, r.organisation_id): r
        for r in Response.objects.filter(respondent=request.user, organisation__in=mine)
    }
    to_answer = [
        (rnd, org, answers.get((rnd.pk, org.pk)))
        for rnd in rounds
        for org in mine
        if rnd.is_open() or (rnd.pk, org.pk) in answers
    ]
    context = {
        "rounds": rounds,
        "to_answer": to_answer,
        "can_manage": may(request.user, "diagnostic.manage_rounds"),
        "round_form": round_form or RoundForm(),
    }
    return render(request, "diagnostic/home.html", context, status=400 if round_form else 200)


@require_POST
def round_new(request: AuthedRequest) -> HttpResponse:
    require(request.user, "diagnostic.manage_rounds")
    form = RoundForm(request.POST)
    if not form.is_valid():
        return home(request, round_form=form)
    diagnostic_round = do_create_round(by=request.user, **form.cleaned_data)
    messages.success(request, f"The round “{diagnostic_round.name}” was created.")
    return redirect("diagnostic-invite", diagnostic_round.pk)


def _answer(
    request: HttpRequest, response: Response, on_submit: Callable[[Response], HttpResponse]
) -> HttpResponse:
    """The answering form of ``response``: save a draft, or submit it (then read-only)."""
    areas, statements = active_questions()
    submit = request.POST.get("action") == "submit"
    form = ResponseForm(
        request.POST if request.method == "POST" else None,
        initial=initial_from(response),
        areas=areas,
        statements=statements,
        submitting=submit,
    )
    if not form.is_valid():
        context = {"form": form, "response": response}
        status = 400 if form.is_bound else 200
        return render(request, "diagnostic/answer.html", context, status=status)
    try:
        saved = do_save_response(
            response, form.cleaned_data, areas=areas, statements=statements, submit=submit
        )
    except AlreadySubmitted:
        return render(request, "diagnostic/link_problem.html", {"problem": "used"}, status=409)
    except InvitationWithdrawn:
        assert response.invitation is not None
        response.invitation.refresh_from_db()  # withdrawn meanwhile: by whom
        return withdrawn_page(request, response.invitation)
    if submit:
        return on_submit(saved)
    messages.success(request, "Your answers are saved. Come back to this page to carry on.")
    return redirect(request.path)


def answer(request: AuthedRequest, round_pk: int, org_id: str) -> HttpResponse:
    """A signed-in member answers for their own organisation."""
    diagnostic_round = get_object_or_404(Round, pk=round_pk)
    organisation = get_object_or_404(Organisation, org_id=org_id)
    require(request.user, "diagnostic.answer_for", organisation)
    existing = Response.objects.filter(
        round=diagnostic_round, organisation=organisation, respondent=request.user
    ).first()
    if existing and existing.is_submitted:
        return render(request, "diagnostic/submitted.html", {"response": existing})
    if not diagnostic_round.is_open():
        return render(request, "diagnostic/link_problem.html", {"problem": "closed"}, status=410)
    response = existing or do_start_response(diagnostic_round, organisation, request.user)

    def done(saved: Response) -> HttpResponse:
        messages.success(request, "Thank you: your answers are submitted.")
        url = reverse("diagnostic-results", args=[organisation.org_id])
        return redirect(f"{url}?round={diagnostic_round.pk}")

    return _answer(request, response, done)


@login_not_required
@never_cache
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Answer through a personal invitation link, without an account."""
    found = find_invitation(token)
    problem = (
        "invalid"
        if found is None
        else "used"
        if found.used_at
        else "revoked"
        if found.revoked_at
        else "expired"
        if found.is_expired()
        else "closed"
        if not found.round.is_open()
        else ""
    )
    if found is not None and problem == "revoked":
        return withdrawn_page(request, found)
    if found is None or problem:
        status = 404 if problem == "invalid" else 410
        return render(request, "diagnostic/link_problem.html", {"problem": problem}, status=status)
    response = do_open_invitation(found)

    def done(saved: Response) -> HttpResponse:
        return render(request, "diagnostic/thanks.html", {"response": saved})

    return _answer(request, response, done)


def area(request: AuthedRequest) -> HttpResponse:
    """The area's needs: heatmap, most common gaps and offers (funders: the gaps only),
    optionally against an earlier round."""
    require(request.user, "diagnostic.view_area_gaps")
    full = may(request.user, "diagnostic.view_area")
    areas = active_questions()[0]
    form, diagnostic_round, responses = _area_responses(request, full=full, areas=areas)
    chosen = form.chosen()
    results = area_results(responses, areas)
    comparison = None
    if chosen.get("compare") and diagnostic_round:
        earlier = _scoped_responses(request, full=full, round=chosen["compare"], chosen=chosen)
        comparison = area_comparison(earlier, results, chosen["compare"])
    # Funders see the comparison (and each area's counts) only once enough organisations
    # answered both rounds.
    compare_minimum = 1 if full else MIN_ORGANISATIONS
    compared = comparison is not None and comparison.organisations >= compare_minimum
    keys = results.heatmap_keys(gap=chosen.get("gap") or "", sort=chosen.get("sort") or "")
    page = Paginator(keys, HEATMAP_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "chosen": chosen,
        "round": diagnostic_round,
        "results": results,
        "full": full,
        "enough": full or len(results.profiles) >= MIN_ORGANISATIONS,
        "comparison": comparison,
        "compared": compared,
        "compare_minimum": compare_minimum,
        "gap_rows": results.gap_rows_compared(
            comparison.changes if comparison and compared else None
        ),
        "page": page,
        "heatmap": results.heatmap(page.object_list),
        "gap_area": results.by_slug.get(chosen.get("gap") or ""),
        "minimum": MIN_ORGANISATIONS,
        "legend": HEAT_LEGEND,
    }
    return render(request, "diagnostic/area.html", context)


def area_export(request: AuthedRequest) -> HttpResponse:
    """The area page's organisations as CSV, one row each, in the heatmap's filter and order
    (facilitators only: it names them)."""
    require(request.user, "diagnostic.view_area")
    areas = active_questions()[0]
    form, diagnostic_round, responses = _area_responses(request, full=True, areas=areas)
    chosen = form.chosen()
    results = area_results(responses, areas)
    keys = results.heatmap_keys(gap=chosen.get("gap") or "", sort=chosen.get("sort") or "")
    name = slugify(diagnostic_round.name) if diagnostic_round else "no-round"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="diagnostic-{name}.csv"'
    write_area_csv(response, results, keys)
    return response


def _area_responses(
    request: AuthedRequest, *, full: bool, areas: list[CapacityArea] | None = None
) -> tuple[AreaFilterForm, Round | None, QuerySet[Response]]:
    """The filter form, the chosen round and its responses the user may aggregate."""
    authorities = sorted(
        set(Response.objects.values_list("organisation__local_authority", flat=True)) - {""}
    )
    form = AreaFilterForm(request.GET or None, authorities=authorities, areas=areas)
    chosen = form.chosen()
    diagnostic_round = chosen.get("round") or Round.objects.first()
    responses = _scoped_responses(request, full=full, round=diagnostic_round, chosen=chosen)
    return form, diagnostic_round, responses


def _scoped_responses(
    request: AuthedRequest, *, full: bool, round: Round | None, chosen: dict[str, Any]
) -> QuerySet[Response]:
    """The responses of ``round`` the user may aggregate, in the chosen local authority."""
    # Funders get aggregates only: computed over every response, shown without names.
    scope = visible_diagnostic_responses(request.user) if full else Response.objects.all()
    responses = scope.filter(round=round)
    if chosen.get("local_authority"):
        responses = responses.filter(organisation__local_authority=chosen["local_authority"])
    return responses


def results(request: AuthedRequest, org_id: str) -> HttpResponse:
    """An organisation's profile against the area's median, where respondents differ, and
    the change since an earlier round it answered."""
    organisation = get_object_or_404(Organisation, org_id=org_id)
    require(request.user, "diagnostic.view_results", organisation)
    own = visible_diagnostic_responses(request.user).filter(organisation=organisation)
    rounds = Round.objects.filter(responses__in=own).distinct()
    diagnostic_round = rounds.filter(pk=request.GET.get("round") or 0).first() or rounds.first()
    areas = active_questions()[0]
    mine = area_results(own.filter(round=diagnostic_round), areas)
    everyone = area_results(Response.objects.filter(round=diagnostic_round), areas)
    rows = mine.profile_rows(str(organisation.pk), everyone.medians)
    profile = mine.profiles.get(str(organisation.pk))
    context = {
        "organisation": organisation,
        "round": diagnostic_round,
        "rounds": rounds,
        "profile": profile,
        "rows": rows,
        "gaps": [row.area.name for row in rows if row.item and row.item.is_gap],
        "offers": [row.area.name for row in rows if row.item and row.item.is_offered],
        "compared": len(everyone.profiles) >= MIN_ORGANISATIONS,
        "respondents": own.filter(round=diagnostic_round).select_related(
            "invitation", "respondent"
        ),
        "can_invite": may(request.user, "diagnostic.manage_rounds"),
        "comparison": diagnostic_round
        and organisation_comparison(
            own, organisation, profile, diagnostic_round, areas, request.GET.get("compare")
        ),
    }
    return render(request, "diagnostic/results.html", context)
