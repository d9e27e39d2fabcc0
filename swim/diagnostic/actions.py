"""Writes of the diagnostic shared by the views and commands (and, later, the API)."""

from __future__ import annotations

import contextlib
import logging
import smtplib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import get_connection, send_mail
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Lower
from django.template.defaultfilters import pluralize
from django.utils import dateformat, timezone

from swim.diagnostic.csv_io import PaperResponse, Problem, read_responses
from swim.diagnostic.invitees import InviteLine, find_organisations, read_lines
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
from swim.directory.models import Organisation
from swim.jobs.actions import do_start_job

if TYPE_CHECKING:
    from django.core.mail.backends.base import BaseEmailBackend

    from swim.accounts.models import User
    from swim.jobs.models import Job

logger = logging.getLogger(__name__)


class AlreadySubmitted(Exception):
    """The response was submitted already: it is read-only."""


class InvitationWithdrawn(Exception):
    """A facilitator withdrew the invitation whose link is being used: it takes no answers."""


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
    connection: BaseEmailBackend | None = None,
) -> Invitation:
    """Create an invitation and email its personal link (built by ``link_for(token)``).

    Only the token's hash is stored; the email is the one place the link exists. If the
    email cannot be sent, no invitation is kept (the error is raised). ``connection``: an
    open mail connection to send through, when sending many.
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
        _email_link(invitation, link_for(token), by=by, connection=connection)
    return invitation


def do_revoke_invitation(invitation: Invitation, *, by: User | None) -> Invitation:
    """Withdraw an invitation's link: it answers "withdrawn" (410) from now on.

    A draft the link started stays a draft (never counted); a submitted response cannot
    be withdrawn (``AlreadySubmitted``). Withdrawing twice changes nothing.
    """
    with transaction.atomic():
        locked = _lock(invitation)
        if locked.used_at:
            raise AlreadySubmitted
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.revoked_by = by
            locked.save(update_fields=["revoked_at", "revoked_by"])
    return locked


def do_resend_invitation(
    invitation: Invitation, *, by: User | None, link_for: Callable[[str], str]
) -> Invitation:
    """Email the invitation again with a new link and a new expiry; the old link stops working.

    The invitation (and so its draft response) is the same one: the person carries on
    where they left off. A withdrawn invitation is reinstated; a submitted one cannot be
    sent again (``AlreadySubmitted``). If the email cannot be sent, nothing changes.
    """
    token = Invitation.new_token()
    with transaction.atomic():
        locked = _lock(invitation)
        if locked.used_at:
            raise AlreadySubmitted
        replaced = locked.resent_at or locked.created_at
        locked.token_hash = hash_token(token)
        locked.expires_at = Invitation.default_expiry()
        locked.resent_at = timezone.now()
        locked.revoked_at = None
        locked.revoked_by = None
        fields = ["token_hash", "expires_at", "resent_at", "revoked_at", "revoked_by"]
        locked.save(update_fields=fields)
        _email_link(locked, link_for(token), by=by, replaces=replaced)
    return locked


def _lock(invitation: Invitation) -> Invitation:
    """The invitation, locked with its response (in ``do_save_response``'s order)."""
    list(Response.objects.select_for_update().filter(invitation=invitation))
    related = Invitation.objects.select_related("round", "organisation")
    return related.select_for_update(of=("self",)).get(pk=invitation.pk)


def _email_link(
    invitation: Invitation,
    link: str,
    *,
    by: User | None,
    replaces: datetime | None = None,
    connection: BaseEmailBackend | None = None,
) -> None:
    """Send ``invitation``'s person their link (``replaces``: when the old one was sent)."""
    organisation, days = invitation.organisation, settings.DIAGNOSTIC_INVITATION_DAYS
    again = ""
    if replaces is not None:
        sent = dateformat.format(timezone.localtime(replaces), "j F Y")
        again = f"This link replaces the one sent on {sent}, which no longer works. "
        if invitation.opened_at:
            again += "Anything you saved is kept: carry on where you left off. "
        again += "\n\n"
    send_mail(
        subject=f"Your needs diagnostic for {organisation.name}"
        + (" (a new link)" if replaces else ""),
        message=(
            f"Hello {invitation.name},\n\n"
            f"{by.get_full_name() if by else 'Your facilitator'} invites you to answer the "
            f"needs diagnostic “{invitation.round.name}” for {organisation.name}, as "
            f"{RespondentRole(invitation.role).label.lower()}.\n\n"
            f"{again}"
            "It takes about ten minutes and works on a phone. You can save your answers "
            "and come back to them with the same link until you submit.\n\n"
            f"{link}\n\n"
            f"The link is personal: please do not share it. It expires in {days} days.\n"
        ),
        from_email=None,
        recipient_list=[invitation.email],
        connection=connection,
    )


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
    a response submitted meanwhile (another tab, a double click) raises ``AlreadySubmitted``;
    one whose invitation link a facilitator withdrew raises ``InvitationWithdrawn``.
    """
    with transaction.atomic():
        locked = Response.objects.select_for_update().get(pk=response.pk)
        if locked.is_submitted:
            raise AlreadySubmitted
        link = locked.invitation_id
        withdrawn = Invitation.objects.filter(pk=link or 0, revoked_at__isnull=False)
        if link is not None and withdrawn.exists():
            raise InvitationWithdrawn
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


# --- Paper diagnostics imported from CSV -----------------------------------------------------


@dataclass
class ImportReport:
    """What an import of paper responses did, or every problem that stopped it."""

    errors: list[str] = field(default_factory=list)
    created: int = 0
    replaced: int = 0
    organisations: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        text = (
            f"Imported {self.created} response{pluralize(self.created)} for "
            f"{self.organisations} organisation{pluralize(self.organisations)}"
        )
        if self.replaced:
            text += f", replacing {self.replaced} earlier paper response{pluralize(self.replaced)}"
        return text + "."


def respondent_key(organisation_id: int, role: str, name: str) -> tuple[int, str, str]:
    """Who a response is from, to spot the same respondent twice: organisation, role and
    name (spaces and case ignored)."""
    return organisation_id, role, " ".join(name.split()).casefold()


def do_import_responses(
    round: Round, file: IO[bytes] | IO[str] | bytes | str, *, by: User | None
) -> ImportReport:
    """Import paper responses from a CSV file (see ``swim.diagnostic.csv_io``) into ``round``.

    Every row is checked first; if anything is wrong nothing is saved and the report lists
    every problem. Otherwise each row becomes a submitted response marked as answered on
    paper, all in one transaction. A row from the same organisation, role and respondent
    name as a paper response already in the round replaces it, so importing a file again
    changes nothing; a row matching an answer submitted online is refused.
    """
    areas, statements = active_questions()
    data = file.read() if hasattr(file, "read") else file
    read = read_responses(data, areas, statements)
    problems = list(read.problems)
    found = _organisations(set(read.org_ids.values()))
    for number, org_id in read.org_ids.items():
        if org_id.casefold() not in found:
            text = f"Row {number}, column org_id: no organisation has the org-id {org_id}."
            problems.append(Problem(number, text))
    online = _online_respondents(round) if read.rows else set()
    seen: dict[tuple[int, str, str], PaperResponse] = {}
    for row in read.rows:
        organisation = found.get(row.org_id.casefold())
        if organisation is None:
            continue
        key = respondent_key(organisation.pk, row.role, row.name)
        who = f"{organisation.org_id}, {row.role}, {row.name or 'no name'}"
        if key in seen:
            problems.append(
                _problem(
                    row,
                    f"the same respondent as row {seen[key].row} ({who}): give each "
                    "respondent of an organisation and role a different name",
                )
            )
        elif key in online:
            problems.append(
                _problem(
                    row,
                    f"this respondent ({who}) already answered online in this round: remove "
                    "the row (an import replaces only earlier paper answers)",
                )
            )
        seen.setdefault(key, row)
    if problems:
        problems.sort(key=lambda problem: problem.row)
        return ImportReport(errors=[str(problem) for problem in problems])
    with transaction.atomic():
        Round.objects.select_for_update().filter(pk=round.pk).first()  # one import at a time
        replaced = _delete_paper_responses(round, set(seen))
        created = _create_paper_responses(round, seen, areas, statements)
    report = ImportReport(
        created=created, replaced=replaced, organisations=len({key[0] for key in seen})
    )
    logger.info("Round %s: %s (by %s)", round.pk, report.summary(), by or "a command")
    return report


def _problem(row: PaperResponse, text: str) -> Problem:
    return Problem(row.row, f"Row {row.row}, {text}.")


def _organisations(org_ids: set[str]) -> dict[str, Organisation]:
    """The organisations of ``org_ids`` by casefolded org-id (matched in any case)."""
    fields = ("pk", "org_id", "name")
    exact = Organisation.objects.filter(org_id__in=org_ids).only(*fields)
    found = {organisation.org_id.casefold(): organisation for organisation in exact}
    missing = {org_id.casefold() for org_id in org_ids} - found.keys()
    if missing:
        lowered = Organisation.objects.annotate(lower_id=Lower("org_id"))
        for organisation in lowered.filter(lower_id__in=missing).only(*fields):
            found.setdefault(organisation.org_id.casefold(), organisation)
    return found


def _online_respondents(round: Round) -> set[tuple[int, str, str]]:
    """Who answered ``round`` online (submitted), as ``respondent_key``s."""
    submitted = round.responses.filter(
        source=Response.Source.ONLINE, status=Response.Status.SUBMITTED
    ).select_related("invitation", "respondent")
    return {
        respondent_key(r.organisation_id, r.respondent_role, r.name_of_respondent())
        for r in submitted
    }


def _delete_paper_responses(round: Round, keys: set[tuple[int, str, str]]) -> int:
    """Delete ``round``'s paper responses from the respondents of ``keys``; return how many."""
    earlier = round.responses.filter(
        source=Response.Source.PAPER, organisation_id__in={key[0] for key in keys}
    ).only("pk", "organisation_id", "respondent_role", "respondent_name")
    stale = [
        r.pk
        for r in earlier
        if respondent_key(r.organisation_id, r.respondent_role, r.respondent_name) in keys
    ]
    Response.objects.filter(pk__in=stale).delete()
    return len(stale)


def _create_paper_responses(
    round: Round,
    rows: dict[tuple[int, str, str], PaperResponse],
    areas: list[CapacityArea],
    statements: list[ReadinessStatement],
) -> int:
    """Create the submitted paper responses of ``rows`` with their answers (bulk inserts)."""
    now = timezone.now()
    responses = Response.objects.bulk_create(
        Response(
            round=round,
            organisation_id=organisation_id,
            respondent_role=row.role,
            respondent_name=row.name,
            source=Response.Source.PAPER,
            status=Response.Status.SUBMITTED,
            ceo_hours_per_month=row.hours,
            hopes=row.hopes,
            created_at=now,
            submitted_at=now,
        )
        for (organisation_id, _, _), row in rows.items()
    )
    pairs = list(zip(responses, rows.values(), strict=True))
    Rating.objects.bulk_create(
        Rating(
            response=response,
            area=area,
            score=row.areas[area.slug].score,
            is_priority=row.areas[area.slug].priority,
            can_offer=row.areas[area.slug].offer,
            note=row.areas[area.slug].note,
        )
        for response, row in pairs
        for area in areas
    )
    ReadinessAnswer.objects.bulk_create(
        ReadinessAnswer(response=response, statement=statement, value=row.readiness[statement.slug])
        for response, row in pairs
        for statement in statements
    )
    return len(responses)


# --- Many invitations at once ----------------------------------------------------------------

#: After this many emails in a row fail, the rest are not tried: the mail server is down.
MAX_FAILURES_IN_A_ROW = 5

#: Told how far a sending has got: ``progress(done, total, message)`` (``Job.report``).
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class NotSent:
    """A person whose invitation could not be emailed, and so was not kept, and why."""

    line: InviteLine
    organisation: Organisation
    reason: str

    def __str__(self) -> str:
        line = self.line
        return (
            f"Line {line.number}: {line.name} ({line.email}) for {self.organisation.name}: "
            f"{self.reason}."
        )


@dataclass
class BulkInviteReport:
    """What ``do_invite_many`` did: every problem that stopped it (then nothing was sent),
    or the invitations sent and the people who could not be reached."""

    errors: list[str] = field(default_factory=list)
    sent: list[Invitation] = field(default_factory=list)
    not_sent: list[NotSent] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        text = f"Sent {len(self.sent)} invitation{pluralize(len(self.sent))}."
        missed = len(self.not_sent)
        if missed:
            them = "them" if missed > 1 else "it"
            text += f" {missed} could not be sent: no invitation was kept for {them}."
        return text

    def unsent_lines(self) -> str:
        """The lines of the people not reached, as they were given: to send again."""
        return "\n".join(item.line.text for item in self.not_sent)

    def in_brief(self, limit: int = 300) -> str:
        """One line for a job's message: "Sent 38 invitations; 2 not reached: a@b (why), …"."""
        text = f"Sent {len(self.sent)} invitation{pluralize(len(self.sent))}"
        if not self.not_sent:
            return text + "."
        missed = ", ".join(f"{item.line.email} ({item.reason})" for item in self.not_sent)
        text += f"; {len(self.not_sent)} not reached: {missed}."
        return text if len(text) <= limit else text[: limit - 1] + "…"

    def not_sent_data(self) -> list[dict[str, Any]]:
        """The people not reached as plain data (a job's result), to list and send again."""
        return [
            {
                "line": item.line.number,
                "text": item.line.text,
                "name": item.line.name,
                "email": item.line.email,
                "organisation": item.organisation.name,
                "reason": item.reason,
            }
            for item in self.not_sent
        ]


#: A person to invite: their line and the organisation it names.
Invitee = tuple[InviteLine, Organisation]


def do_invite_many(
    round: Round, lines: str, *, by: User | None, link_for: Callable[[str], str]
) -> BulkInviteReport:
    """Invite everyone of ``lines`` to answer ``round``: every line checked before any is sent.

    The checks are :func:`check_invite_lines`'; on any problem nothing is sent and the
    report lists every problem by line. Otherwise the invitations are sent in turn by
    :func:`do_send_invitations`, here and now (the command's way; the web page sends them
    in a background job, :func:`do_start_invite_many`).
    """
    errors, people = check_invite_lines(round, lines)
    if errors:
        return BulkInviteReport(errors=errors)
    return do_send_invitations(round, people, by=by, link_for=link_for)


def check_invite_lines(round: Round, lines: str) -> tuple[list[str], list[Invitee]]:
    """Every problem of ``lines`` by line, and (when there is none) the people to invite.

    ``lines`` is pasted text or a CSV file's text, one person a line (organisation, name,
    email, role: see ``swim.diagnostic.invitees``). The checks: each line's values, its
    organisation (an org-id, or a name exactly one organisation has), nobody twice, and
    nobody invited to the round already for the same organisation (an unsubmitted
    invitation is to be resent instead; a submitted one has answered).
    """
    read = read_lines(lines)
    # (line, column, text): a line's problems in the order of its columns, the organisation's
    # (column 0) first, then the others in the order they were found.
    problems = [(problem.line, 1, problem.text) for problem in read.problems]
    found = find_organisations(line.organisation for line in read.lines if line.organisation)
    people: list[Invitee] = []
    for line in read.lines:
        match = found.get(line.organisation)
        if match is not None and match.organisation is None:
            problems.append((line.number, 0, f"Line {line.number}: {match.problem}."))
        elif match is not None and match.organisation and line.number not in read.faulty:
            people.append((line, match.organisation))
    problems += [(number, 1, text) for number, text in _repeated_or_invited(round, people)]
    if problems:
        problems.sort(key=lambda problem: problem[:2])
        return [text for _, _, text in problems], []
    return [], people


def do_start_invite_many(round: Round, people: list[Invitee], *, by: User, base_url: str) -> Job:
    """Queue the sending of checked ``people``'s invitations as a background job.

    The job gets plain data (each person's line, organisation pk, name, email and role);
    the links start with ``base_url`` (``https://swim.example.org``).
    """
    from swim.diagnostic.tasks import invite_many

    count = len(people)
    return do_start_job(
        invite_many,
        kind="diagnostic.invite_many",
        label=f"Send {count} diagnostic invitation{pluralize(count)}",
        by=by,
        round_id=round.pk,
        people=[invitee_data(line, organisation) for line, organisation in people],
        base_url=base_url,
    )


def invitee_data(line: InviteLine, organisation: Organisation) -> dict[str, Any]:
    """A person to invite as plain data, for a job's arguments (see :func:`invitees_from`)."""
    return {
        "line": line.number,
        "text": line.text,
        "organisation": organisation.pk,
        "name": line.name,
        "email": line.email,
        "role": line.role,
    }


def invitees_from(data: list[dict[str, Any]]) -> list[Invitee]:
    """The people of :func:`invitee_data`, their organisations read again (one query).

    An organisation deleted since the checks stands in unsaved, named by its pk: its
    person is then reported as not sent (:func:`do_send_invitations`).
    """
    fields = ("pk", "org_id", "name")
    found = Organisation.objects.only(*fields).in_bulk({item["organisation"] for item in data})
    return [
        (
            InviteLine(item["line"], item["text"], "", item["name"], item["email"], item["role"]),
            found.get(item["organisation"])
            or Organisation(pk=item["organisation"], name=f"organisation #{item['organisation']}"),
        )
        for item in data
    ]


def _repeated_or_invited(round: Round, people: list[Invitee]) -> list[tuple[int, str]]:
    """The problems of people listed twice, or invited to ``round`` already."""
    problems: list[tuple[int, str]] = []
    invited = _invitations_by_person(round, {organisation.pk for _, organisation in people})
    seen: dict[tuple[int, str], int] = {}
    for line, organisation in people:
        key, number = (organisation.pk, line.email), line.number
        if key in seen:
            problems.append(
                (
                    number,
                    f"Line {number}: the same person as line {seen[key]} ({line.email} for "
                    f"{organisation.name}): invite each person once.",
                )
            )
            continue
        seen[key] = number
        if key in invited:
            problems.append((number, _invited_already(line, organisation, invited[key])))
    return problems


def _invitations_by_person(
    round: Round, organisation_pks: set[int]
) -> dict[tuple[int, str], Invitation]:
    """``round``'s invitations for these organisations by (organisation, email): for each
    person the newest not submitted, else the newest."""
    found: dict[tuple[int, str], Invitation] = {}
    invitations = round.invitations.filter(organisation_id__in=organisation_pks).order_by(
        F("used_at").asc(nulls_first=True), "-created_at", "-pk"
    )
    for invitation in invitations:
        found.setdefault((invitation.organisation_id, invitation.email.lower()), invitation)
    return found


def _invited_already(line: InviteLine, organisation: Organisation, earlier: Invitation) -> str:
    number, who = line.number, f"{line.email} for {organisation.name}"
    if earlier.used_at:
        answered = dateformat.format(timezone.localtime(earlier.used_at), "j F Y")
        return (
            f"Line {number}: {who} already answered in this round (submitted on {answered}): "
            "remove the line."
        )
    sent = dateformat.format(timezone.localtime(earlier.created_at), "j F Y")
    return (
        f"Line {number}: {who} was already invited in this round on {sent} (now: "
        f"{earlier.get_state_display()}): remove the line and use Resend in the list of "
        "invitations instead, which sends a new link to the same invitation."
    )


def do_send_invitations(
    round: Round,
    people: list[Invitee],
    *,
    by: User | None,
    link_for: Callable[[str], str],
    progress: Progress | None = None,
) -> BulkInviteReport:
    """Create and email checked ``people``'s invitations in turn, as ``do_invite`` does.

    One mail connection serves them all. An invitation whose email fails is not kept and
    is reported, the others stay sent; after ``MAX_FAILURES_IN_A_ROW`` failures in a row
    the rest are not tried. Each person is checked again under the round's lock, so two
    sendings of the same lines invite nobody twice. ``progress(done, total, message)`` is
    told after each person.
    """
    report = BulkInviteReport()
    total = len(people)
    tell = progress or (lambda done, total, message: None)
    tell(0, total, f"Sending {total} invitation{pluralize(total)}")
    connection = _mail_connection()
    failures = 0
    try:
        for index, (line, organisation) in enumerate(people):
            if index:
                tell(index, total, f"{index} of {total} invitations done")
            if failures >= MAX_FAILURES_IN_A_ROW:
                reason = (
                    f"not tried, after {failures} emails in a row could not be sent (is the "
                    "mail server down?)"
                )
                report.not_sent += [NotSent(*person, reason) for person in people[index:]]
                break
            if organisation._state.adding:
                reason = "the organisation was deleted from the directory meanwhile"
                report.not_sent.append(NotSent(line, organisation, reason))
                continue
            try:
                invitation = _invite_unless_invited(
                    round, organisation, line, by=by, link_for=link_for, connection=connection
                )
            except OSError as exc:  # smtplib's errors included
                logger.warning(
                    "Round %s, line %s (%s): the invitation email failed",
                    round.pk,
                    line.number,
                    organisation.org_id,
                    exc_info=True,
                )
                report.not_sent.append(NotSent(line, organisation, _why_not_sent(exc)))
                failures += 1
                _reconnect(connection)
                continue
            failures = 0
            if invitation is None:
                reason = "invited meanwhile (a second click, or someone else): not sent twice"
                report.not_sent.append(NotSent(line, organisation, reason))
            else:
                report.sent.append(invitation)
    finally:
        with contextlib.suppress(OSError):
            connection.close()
    tell(total, total, report.in_brief())
    logger.info("Round %s: %s (by %s)", round.pk, report.summary(), by or "a command")
    return report


def _invite_unless_invited(
    round: Round,
    organisation: Organisation,
    line: InviteLine,
    *,
    by: User | None,
    link_for: Callable[[str], str],
    connection: BaseEmailBackend,
) -> Invitation | None:
    """``do_invite`` for ``line``, unless the person was invited since the checks (the
    round's row locked meanwhile: two sends of the same lines make one invitation each)."""
    with transaction.atomic():
        Round.objects.select_for_update().filter(pk=round.pk).first()
        if (organisation.pk, line.email) in _invitations_by_person(round, {organisation.pk}):
            return None
        return do_invite(
            round,
            organisation,
            email=line.email,
            name=line.name,
            role=line.role,
            by=by,
            link_for=link_for,
            connection=connection,
        )


def _mail_connection() -> BaseEmailBackend:
    """One mail connection for many emails; if it cannot open now, each email tries again."""
    connection = get_connection()
    try:
        connection.open()
    except OSError:
        logger.warning("The mail server cannot be reached; each email will try", exc_info=True)
        with contextlib.suppress(OSError):
            connection.close()
    return connection


def _reconnect(connection: BaseEmailBackend) -> None:
    """Start the connection afresh after a failure (a refused address leaves it usable,
    a dropped connection does not)."""
    with contextlib.suppress(OSError):
        connection.close()
    with contextlib.suppress(OSError):
        connection.open()


def _why_not_sent(exc: OSError) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "the mail server refused the address"
    if isinstance(exc, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError):
        return "the mail server could not be reached"
    if isinstance(exc, smtplib.SMTPException):
        return "the mail server refused the email"
    return "the mail server could not be reached"
