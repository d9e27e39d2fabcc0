"""Invitations as facilitators manage them: send (one, or many at once), list, withdraw
(revoke) and send again. The invite form's type-ahead list of organisations is the
directory's (``directory-lookup``).

The page a respondent reaches through the link itself is ``views.invitation``; the one it
shows for a withdrawn link is :func:`withdrawn_page`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.http import require_POST

from swim.accounts.permissions import require, visible_jobs
from swim.diagnostic.actions import (
    AlreadySubmitted,
    check_invite_lines,
    do_invite,
    do_resend_invitation,
    do_revoke_invitation,
    do_start_invite_many,
)
from swim.diagnostic.forms import BulkInvitationForm, InvitationForm
from swim.diagnostic.models import Invitation, Round
from swim.http import AuthedRequest

#: Invitations listed per page of the invite page.
PAGE_SIZE = 50
#: Problems of a bulk invitation listed before "and N more".
ERRORS_SHOWN = 50


def invite(request: AuthedRequest, round_pk: int) -> HttpResponse:
    """A facilitator emails personal answering links for a round and follows them up."""
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
            link_for=_link_for(request),
        )
        messages.success(request, f"An invitation was emailed to {data['email']}.")
        return redirect("diagnostic-invite", diagnostic_round.pk)
    not_sent = _not_sent_by_job(request, diagnostic_round)
    again = "\n".join(item["text"] for item in not_sent)
    bulk = BulkInvitationForm(initial={"lines": again} if again else None)
    return _invite_page(request, diagnostic_round, form, bulk, not_sent=not_sent)


@require_POST
def invite_many(request: AuthedRequest, round_pk: int) -> HttpResponse:
    """Invite the people of pasted lines or a CSV file: all checked here, then all sent by
    a background job, or none.

    Problems: nothing is sent, each is listed by line and the lines stay in the box (400).
    Otherwise the job's page follows the sending; when done it links back here, where the
    people it could not reach are listed and their lines put back in the box.
    """
    require(request.user, "diagnostic.manage_rounds")
    diagnostic_round = get_object_or_404(Round, pk=round_pk)
    bulk = BulkInvitationForm(request.POST, request.FILES)
    if not bulk.is_valid():
        return _invite_page(request, diagnostic_round, InvitationForm(), bulk)
    text = bulk.cleaned_data["text"]
    errors, people = check_invite_lines(diagnostic_round, text)
    if errors:
        bulk.refuse("bulk-problems", text)
        return _invite_page(request, diagnostic_round, InvitationForm(), bulk, errors=errors)
    base_url = request.build_absolute_uri("/").removesuffix("/")
    job = do_start_invite_many(diagnostic_round, people, by=request.user, base_url=base_url)
    messages.success(
        request,
        f"All {len(people)} line{pluralize(len(people))} passed the checks: the invitations "
        "are sent in the background.",
    )
    return redirect(job)


def _invite_page(
    request: AuthedRequest,
    diagnostic_round: Round,
    form: InvitationForm,
    bulk: BulkInvitationForm,
    *,
    errors: list[str] | None = None,
    not_sent: list[dict[str, Any]] | None = None,
) -> HttpResponse:
    """The invite page: both forms, the problems of bulk lines or the people a bulk sending
    did not reach, and the invitations sent."""
    invitations = diagnostic_round.invitations.select_related("organisation", "revoked_by")
    page = Paginator(invitations, PAGE_SIZE).get_page(request.GET.get("page"))
    errors = errors or []
    context = {
        "round": diagnostic_round,
        "form": form,
        "bulk": bulk,
        "page": page,
        "problems": len(errors),
        "errors": errors[:ERRORS_SHOWN],
        "more": max(0, len(errors) - ERRORS_SHOWN),
        "not_sent": not_sent or [],
    }
    status = 400 if form.errors or bulk.errors else 200
    return render(request, "diagnostic/invite.html", context, status=status)


def _not_sent_by_job(request: AuthedRequest, diagnostic_round: Round) -> list[dict[str, Any]]:
    """The people not reached by the bulk sending of ``?job=`` (one the user may see, of
    this round, finished), as its result lists them."""
    pk = request.GET.get("job", "")
    if not pk.isdigit():
        return []
    job = visible_jobs(request.user).filter(pk=pk, kind="diagnostic.invite_many").first()
    if job is None or not job.is_finished or job.result.get("round_id") != diagnostic_round.pk:
        return []
    return list(job.result.get("not_sent", []))


@require_POST
def revoke(request: AuthedRequest, pk: int) -> HttpResponse:
    """Withdraw an invitation's link (not once the answers are submitted)."""
    require(request.user, "diagnostic.manage_rounds")
    invitation = get_object_or_404(Invitation.objects.select_related("round"), pk=pk)
    try:
        do_revoke_invitation(invitation, by=request.user)
    except AlreadySubmitted:
        messages.error(request, _submitted(invitation, "withdrawn"))
    else:
        messages.success(
            request,
            f"The link of {invitation.person} was withdrawn: it no longer opens the "
            "diagnostic. Anything they saved stays a draft and is not counted.",
        )
    return _back_to_list(request, invitation)


@require_POST
def resend(request: AuthedRequest, pk: int) -> HttpResponse:
    """Email an invitation again with a new link; the old link stops working."""
    require(request.user, "diagnostic.manage_rounds")
    invitation = get_object_or_404(Invitation.objects.select_related("round"), pk=pk)
    try:
        do_resend_invitation(invitation, by=request.user, link_for=_link_for(request))
    except AlreadySubmitted:
        messages.error(request, _submitted(invitation, "sent again"))
    else:
        messages.success(
            request,
            f"A new link was emailed to {invitation.person} ({invitation.email}); "
            "the earlier link no longer works.",
        )
    return _back_to_list(request, invitation)


def withdrawn_page(request: HttpRequest, invitation: Invitation) -> HttpResponse:
    """What a withdrawn link shows (HTTP 410): who withdrew it, and to ask them for a new one."""
    context = {"problem": "revoked", "withdrawn_by": withdrawn_by(invitation)}
    return render(request, "diagnostic/link_problem.html", context, status=410)


def withdrawn_by(invitation: Invitation) -> str:
    """Who withdrew the link, as the respondent should read it: the person (organisation)."""
    user = invitation.revoked_by
    if user is None:
        return "your facilitator"
    membership = user.memberships.select_related("organisation").first()
    name = user.get_full_name()
    return f"{name} ({membership.organisation.name})" if membership else name


def _submitted(invitation: Invitation, what: str) -> str:
    return (
        f"{invitation.person} already submitted their answers: the invitation cannot be "
        f"{what}. Submitted answers are kept as they are."
    )


def _link_for(request: HttpRequest) -> Callable[[str], str]:
    """Builds an invitation's full link from its token, on the host the facilitator uses."""
    return lambda token: request.build_absolute_uri(reverse("diagnostic-invitation", args=[token]))


def _back_to_list(request: HttpRequest, invitation: Invitation) -> HttpResponse:
    """Back to the page of the list the facilitator was on."""
    url = reverse("diagnostic-invite", args=[invitation.round_id])
    page = request.POST.get("page", "")
    return redirect(f"{url}?page={page}#invitations" if page.isdigit() else f"{url}#invitations")
