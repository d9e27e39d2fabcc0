from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
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
    active_questions,
    do_create_round,
    do_invite,
    do_open_invitation,
    do_save_response,
    do_start_response,
    find_invitation,
)
from swim.diagnostic.forms import (
    AreaFilterForm,
    InvitationForm,
    ResponseForm,
    RoundForm,
    initial_from,
)
from swim.diagnostic.models import Response, Round
from swim.diagnostic.results import HEAT_LEGEND, MIN_ORGANISATIONS, area_results, write_area_csv
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
        else "expired"
        if found.is_expired()
        else "closed"
        if not found.round.is_open()
        else ""
    )
    if found is None or problem:
        status = 404 if problem == "invalid" else 410
        return render(request, "diagnostic/link_problem.html", {"problem": problem}, status=status)
    response = do_open_invitation(found)

    def done(saved: Response) -> HttpResponse:
        return render(request, "diagnostic/thanks.html", {"response": saved})

    return _answer(request, response, done)


def invite(request: AuthedRequest, round_pk: int) -> HttpResponse:
    """A facilitator emails personal answering links for a round."""
    require(request.user, "diagnostic.manage_rounds")
    diagnostic_round = get_object_or_404(Round, pk=round_pk)
    form = InvitationForm(request.POST or None, initial={"organisation": request.GET.get("org")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        do_invite(
            diagnostic_round,
            data["organisation"],
            email=data["email"],
            name=data["name"],
            role=data["role"],
            by=request.user,
            link_for=lambda t: request.build_absolute_uri(
                reverse("diagnostic-invitation", args=[t])
            ),
        )
        messages.success(request, f"An invitation was emailed to {data['email']}.")
        return redirect("diagnostic-invite", diagnostic_round.pk)
    invitations = diagnostic_round.invitations.select_related("organisation")[:200]
    context = {"round": diagnostic_round, "form": form, "invitations": invitations}
    return render(request, "diagnostic/invite.html", context, status=400 if form.errors else 200)


def area(request: AuthedRequest) -> HttpResponse:
    """The area's needs: heatmap, most common gaps and offers (funders: the gaps only)."""
    require(request.user, "diagnostic.view_area_gaps")
    full = may(request.user, "diagnostic.view_area")
    form, diagnostic_round, responses = _area_responses(request, full=full)
    results = area_results(responses, active_questions()[0])
    enough = full or len(results.profiles) >= MIN_ORGANISATIONS
    context: dict[str, Any] = {"form": form, "round": diagnostic_round, "results": results}
    context["full"] = full
    context |= {"enough": enough, "minimum": MIN_ORGANISATIONS, "legend": HEAT_LEGEND}
    return render(request, "diagnostic/area.html", context)


def area_export(request: AuthedRequest) -> HttpResponse:
    """The area page's organisations as CSV, one row each (facilitators: it names them)."""
    require(request.user, "diagnostic.view_area")
    _, diagnostic_round, responses = _area_responses(request, full=True)
    results = area_results(responses, active_questions()[0])
    name = slugify(diagnostic_round.name) if diagnostic_round else "no-round"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="diagnostic-{name}.csv"'
    write_area_csv(response, results)
    return response


def _area_responses(
    request: AuthedRequest, *, full: bool
) -> tuple[AreaFilterForm, Round | None, QuerySet[Response]]:
    """The filter form, the chosen round and its responses the user may aggregate."""
    authorities = sorted(
        set(Response.objects.values_list("organisation__local_authority", flat=True)) - {""}
    )
    form = AreaFilterForm(request.GET or None, authorities=authorities)
    chosen = form.cleaned_data if form.is_valid() else {}
    diagnostic_round = chosen.get("round") or Round.objects.first()
    # Funders get aggregates only: computed over every response, shown without names.
    scope = visible_diagnostic_responses(request.user) if full else Response.objects.all()
    responses = scope.filter(round=diagnostic_round)
    if chosen.get("local_authority"):
        responses = responses.filter(organisation__local_authority=chosen["local_authority"])
    return form, diagnostic_round, responses


def results(request: AuthedRequest, org_id: str) -> HttpResponse:
    """An organisation's profile against the area's median, and where respondents differ."""
    organisation = get_object_or_404(Organisation, org_id=org_id)
    require(request.user, "diagnostic.view_results", organisation)
    own = visible_diagnostic_responses(request.user).filter(organisation=organisation)
    rounds = Round.objects.filter(responses__in=own).distinct()
    diagnostic_round = rounds.filter(pk=request.GET.get("round") or 0).first() or rounds.first()
    areas = active_questions()[0]
    mine = area_results(own.filter(round=diagnostic_round), areas)
    everyone = area_results(Response.objects.filter(round=diagnostic_round), areas)
    rows = mine.profile_rows(str(organisation.pk), everyone.medians)
    context = {
        "organisation": organisation,
        "round": diagnostic_round,
        "rounds": rounds,
        "profile": mine.profiles.get(str(organisation.pk)),
        "rows": rows,
        "gaps": [row.area.name for row in rows if row.item and row.item.is_gap],
        "offers": [row.area.name for row in rows if row.item and row.item.is_offered],
        "compared": len(everyone.profiles) >= MIN_ORGANISATIONS,
        "respondents": own.filter(round=diagnostic_round).select_related("invitation"),
        "can_invite": may(request.user, "diagnostic.manage_rounds"),
    }
    return render(request, "diagnostic/results.html", context)
