"""Invitations as facilitators manage them: send (one, or many at once), list, withdraw
(revoke) and send again. The invite form's type-ahead list of organisations is the
directory's (``directory-lookup``).

The page a respondent reaches through the link itself is ``views.invitation``; the one it
shows for a withdrawn link is :func:`withdrawn_page`.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from swim.accounts.permissions import require
from swim.diagnostic.actions import (
    AlreadySubmitted,
    BulkInviteReport,
    do_invite,
    do_invite_many,
    do_resend_invitation,
    do_revoke_invitation,
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
    return _invite_page(request, diagnostic_round, form, BulkInvitationForm())


@require_POST
def invite_many(request: AuthedRequest, round_pk: int) -> HttpResponse:
    """Invite the people of pasted lines or a CSV file: all checked, then all sent, or none.

    Problems: nothing is sent, each is listed by line and the lines stay in the box (400).
    Emails that could not be sent: the others are, and the lines of those not reached are
    put back in the box to send again.
    """
    require(request.user, "diagnostic.manage_rounds")
    diagnostic_round = get_object_or_404(Round, pk=round_pk)
    bulk = BulkInvitationForm(request.POST, request.FILES)
    if not bulk.is_valid():
        return _invite_page(request, diagnostic_round, InvitationForm(), bulk)
    text = bulk.cleaned_data["text"]
    report = do_invite_many(diagnostic_round, text, by=request.user, link_for=_link_for(request))
    if not report.ok:
        bulk.refuse("bulk-problems", text)
        return _invite_page(request, diagnostic_round, InvitationForm(), bulk, report)
    messages.success(request, report.summary())
    if not report.not_sent:
        return redirect("diagnostic-invite", diagnostic_round.pk)
    again = BulkInvitationForm(initial={"lines": report.unsent_lines()})
    return _invite_page(request, diagnostic_round, InvitationForm(), again, report)


def _invite_page(
    request: AuthedRequest,
    diagnostic_round: Round,
    form: InvitationForm,
    bulk: BulkInvitationForm,
    report: BulkInviteReport | None = None,
) -> HttpResponse:
    """The invite page: both forms, what a bulk sending did, and the invitations sent."""
    invitations = diagnostic_round.invitations.select_related("organisation", "revoked_by")
    page = Paginator(invitations, PAGE_SIZE).get_page(request.GET.get("page"))
    errors = report.errors if report else []
    context = {
        "round": diagnostic_round,
        "form": form,
        "bulk": bulk,
        "page": page,
        "problems": len(errors),
        "errors": errors[:ERRORS_SHOWN],
        "more": max(0, len(errors) - ERRORS_SHOWN),
        "not_sent": report.not_sent if report else [],
    }
    status = 400 if form.errors or bulk.errors else 200
    return render(request, "diagnostic/invite.html", context, status=status)


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
