"""Writes of the diagnostic shared by the views (and, later, the CSV import and the API)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from swim.diagnostic.models import (
    CapacityArea,
    Invitation,
    Rating,
    ReadinessAnswer,
    ReadinessStatement,
    RespondentRole,
    Response,
    Round,
    hash_token,
)

if TYPE_CHECKING:
    from swim.accounts.models import User
    from swim.directory.models import Organisation


class AlreadySubmitted(Exception):
    """The response was submitted already: it is read-only."""


#: A member's position in the organisation → the respondent role of their answers.
ROLE_OF_POSITION = {
    "ceo": RespondentRole.CEO,
    "trustee": RespondentRole.TRUSTEE,
    "staff": RespondentRole.STAFF,
}


def active_questions() -> tuple[list[CapacityArea], list[ReadinessStatement]]:
    """The capacity areas and readiness statements currently asked, in order."""
    return (
        list(CapacityArea.objects.filter(active=True)),
        list(ReadinessStatement.objects.filter(active=True)),
    )


def do_create_round(*, by: User | None, **fields: Any) -> Round:
    return Round.objects.create(created_by=by, **fields)


def do_invite(
    round: Round,
    organisation: Organisation,
    *,
    email: str,
    name: str,
    role: str,
    by: User | None,
    link_for: Callable[[str], str],
) -> Invitation:
    """Create an invitation and email its personal link (built by ``link_for(token)``).

    Only the token's hash is stored; the email is the one place the link exists. If the
    email cannot be sent, no invitation is kept.
    """
    token = Invitation.new_token()
    with transaction.atomic():
        invitation = Invitation.objects.create(
            round=round,
            organisation=organisation,
            email=email.strip().lower(),
            name=name,
            role=role,
            token_hash=hash_token(token),
            expires_at=Invitation.default_expiry(),
            sent_by=by,
        )
        days = settings.DIAGNOSTIC_INVITATION_DAYS
        send_mail(
            subject=f"Your needs diagnostic for {organisation.name}",
            message=(
                f"Hello {name},\n\n"
                f"{by.get_full_name() if by else 'Your facilitator'} invites you to answer the "
                f"needs diagnostic “{round.name}” for {organisation.name}, as "
                f"{RespondentRole(role).label.lower()}.\n\n"
                "It takes about ten minutes and works on a phone. You can save your answers "
                "and come back to them with the same link until you submit.\n\n"
                f"{link_for(token)}\n\n"
                f"The link is personal: please do not share it. It expires in {days} days.\n"
            ),
            from_email=None,
            recipient_list=[invitation.email],
        )
    return invitation


def find_invitation(token: str) -> Invitation | None:
    """The invitation whose link carries ``token``, or ``None``."""
    found = Invitation.objects.select_related("round", "organisation").filter(
        token_hash=hash_token(token)
    )
    return found.first()


def do_open_invitation(invitation: Invitation) -> Response:
    """The invitation's response, started as a draft the first time the link is opened."""
    with transaction.atomic():
        if invitation.opened_at is None:
            invitation.opened_at = timezone.now()
            invitation.save(update_fields=["opened_at"])
        response, _ = Response.objects.get_or_create(
            invitation=invitation,
            defaults={
                "round": invitation.round,
                "organisation": invitation.organisation,
                "respondent_role": invitation.role,
            },
        )
    return response


def do_start_response(round: Round, organisation: Organisation, user: User) -> Response:
    """A signed-in member's response for their organisation (one per person and round)."""
    membership = user.memberships.filter(organisation=organisation).first()
    position = membership.position if membership else ""
    response, _ = Response.objects.get_or_create(
        round=round,
        organisation=organisation,
        respondent=user,
        defaults={"respondent_role": ROLE_OF_POSITION.get(position, RespondentRole.OTHER)},
    )
    return response


def do_save_response(
    response: Response,
    cleaned: dict[str, Any],
    *,
    areas: list[CapacityArea],
    statements: list[ReadinessStatement],
    submit: bool,
) -> Response:
    """Save every answer of a validated form at once, as a draft or submitted.

    Runs in one transaction with the response row locked: nothing is saved half-way, and
    a response submitted meanwhile (another tab, a double click) raises ``AlreadySubmitted``.
    """
    with transaction.atomic():
        locked = Response.objects.select_for_update().get(pk=response.pk)
        if locked.is_submitted:
            raise AlreadySubmitted
        locked.ratings.all().delete()
        locked.readiness.all().delete()
        Rating.objects.bulk_create(
            Rating(
                response=locked,
                area=area,
                score=cleaned.get(f"score_{area.slug}"),
                is_priority=bool(cleaned.get(f"priority_{area.slug}")),
                can_offer=bool(cleaned.get(f"offer_{area.slug}")),
                note=cleaned.get(f"note_{area.slug}") or "",
            )
            for area in areas
        )
        ReadinessAnswer.objects.bulk_create(
            ReadinessAnswer(
                response=locked, statement=statement, value=cleaned.get(f"ready_{statement.slug}")
            )
            for statement in statements
        )
        locked.ceo_hours_per_month = cleaned.get("ceo_hours")
        locked.hopes = cleaned.get("hopes") or ""
        if submit:
            locked.status = Response.Status.SUBMITTED
            locked.submitted_at = timezone.now()
            if locked.invitation_id:
                Invitation.objects.filter(pk=locked.invitation_id).update(
                    used_at=locked.submitted_at
                )
        locked.save()
    return locked
