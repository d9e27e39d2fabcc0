"""Inviting many at once (journey 2: "she sends the diagnostic to forty small organisations"):
checked in the request, sent by a background job (run at once here: the test settings'
immediate task backend); and finding an organisation by name or org-id with a type-ahead
list."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from swim.accounts.models import User
from swim.diagnostic.actions import (
    check_invite_lines,
    do_invite,
    do_invite_many,
    do_send_invitations,
    do_start_invite_many,
    invitee_data,
    invitees_from,
)
from swim.diagnostic.invitees import MAX_LINES
from swim.diagnostic.models import Invitation, Round
from swim.diagnostic.tests import mail_helpers
from swim.directory.models import Organisation
from swim.jobs.models import Job
from swim.testing import Personas, make_org

pytestmark = pytest.mark.django_db

A, B = "GB-CHC-1000001", "GB-CHC-1000002"  # Alpha Women's Centre, Beta Youth Project


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def link_for(token: str) -> str:
    return f"http://testserver/diagnostic/i/{token}/"


def invite_many(diagnostic_round: Round, lines: str, by: User | None = None) -> Any:
    return do_invite_many(diagnostic_round, lines, by=by, link_for=link_for)


def post_lines(client: Client, personas: Personas, diagnostic_round: Round, lines: str) -> Any:
    client.force_login(personas.facilitator)
    return client.post(f"/diagnostic/rounds/{diagnostic_round.pk}/invite/many/", {"lines": lines})


def box(page: str) -> str:
    """What the page's box of lines holds."""
    found = re.search(r'<textarea name="lines"[^>]*>\n?(.*?)</textarea>', page, re.S)
    assert found, page
    return found.group(1)


def invited() -> set[tuple[str, str, str, str]]:
    return {
        (i.organisation.org_id, i.name, i.email, i.role)
        for i in Invitation.objects.select_related("organisation")
    }


# --- Sending ---------------------------------------------------------------------------------


def test_pasted_lines_are_all_sent_finding_organisations_by_org_id_or_name(
    client: Client, personas: Personas, diagnostic_round: Round
) -> None:
    """An org-id in any case, a name in any case, the type-ahead's "Name (org-id)"; a role as
    code or label, or none for CEO or manager."""
    lines = (
        "gb-chc-1000001, Asha Khan, Asha@Example.org, trustee\n"
        "\n"
        "beta youth project,  Ben   Brown , ben@example.org\n"
        '"Alpha Women\'s Centre (GB-CHC-1000001)", Cai Jones, cai@example.org, CEO or manager\n'
    )
    response = post_lines(client, personas, diagnostic_round, lines)
    assert response.status_code == 302
    job = Job.objects.get()
    assert response["Location"] == f"/jobs/{job.pk}/"
    page = text(client.get(response["Location"]))
    assert "All 3 lines passed the checks: the invitations are sent in the background." in page
    assert "<h1>Send 3 diagnostic invitations</h1>" in page
    assert '<p role="status" aria-live="polite">Sent 3 invitations.</p>' in page
    assert (job.kind, job.status, job.done, job.total) == (
        "diagnostic.invite_many",
        Job.Status.SUCCEEDED,
        3,
        3,
    )
    assert job.result["next_url"] == f"/diagnostic/rounds/{diagnostic_round.pk}/invite/#invitations"
    assert invited() == {
        (A, "Asha Khan", "asha@example.org", "trustee"),
        (B, "Ben Brown", "ben@example.org", "ceo"),
        (A, "Cai Jones", "cai@example.org", "ceo"),
    }
    assert sorted(message.to[0] for message in mail.outbox) == [
        "asha@example.org",
        "ben@example.org",
        "cai@example.org",
    ]
    asha = next(m for m in mail.outbox if m.to == ["asha@example.org"])
    assert "Fatima Facilitator invites you" in asha.body
    assert "as trustee" in asha.body
    assert re.search(r"http://testserver/diagnostic/i/[\w-]+/", str(asha.body))
    assert Invitation.objects.filter(sent_by=personas.facilitator).count() == 3


def test_a_heading_line_and_columns_pasted_from_a_spreadsheet_are_read(
    personas: Personas, diagnostic_round: Round
) -> None:
    lines = "Organisation\tName\tEmail\tRole\nGB-CHC-1000001\tAsha Khan\tasha@example.org\tStaff\n"
    report = invite_many(diagnostic_round, lines)
    assert report.ok, report.errors
    assert invited() == {(A, "Asha Khan", "asha@example.org", "staff")}


def test_any_problem_sends_nothing_and_lists_every_problem_by_line_keeping_the_text(
    client: Client, personas: Personas, diagnostic_round: Round
) -> None:
    lines = (
        "GB-CHC-1000001, Asha Khan, asha@example.org, trustee\n"
        "GB-CHC-1000002, Ben Brown, ben@example\n"
        "GB-CHC-1000002, , cai@example.org, boss\n"
        "GB-CHC-99, Dee Evans, dee@example.org\n"
        "Nowhere Community Trust, Eve Ford, eve@example.org\n"
        "GB-CHC-1000001; Fay Green; fay@example.org\n"
        "Smith, Jones & Co, Gil Hart, gil@example.org, staff\n"
    )
    response = post_lines(client, personas, diagnostic_round, lines)
    assert response.status_code == 400
    page = text(response)
    problems = re.search(r'id="bulk-problems".*?</div>', page, re.S)
    assert problems
    assert "Nothing was sent: 7 problems" in problems.group()
    assert re.findall(r"<li>(.*?)</li>", problems.group()) == [
        "Line 2: 'ben@example' is not an email address.",
        "Line 3: the person's name is missing.",
        "Line 3: 'boss' is not a role: use ceo, trustee, staff or other (blank for CEO or "
        "manager).",
        "Line 4: no organisation has the org-id GB-CHC-99.",
        "Line 5: no organisation has the name or org-id 'Nowhere Community Trust'.",
        "Line 6: 1 value where 3 or 4 are needed: the organisation, the person's name, their "
        "email and (optionally) their role, separated by commas.",
        "Line 7: 5 values where at most 4 are expected (organisation, name, email, role): put "
        'a value holding a comma in double quotes, "Smith, Jones & Co".',
    ]
    assert box(page) == lines  # kept, to correct
    assert 'aria-describedby="bulk-problems id_lines_helptext id_lines_error"' in page
    assert "Nothing was sent: correct the lines listed above." in page
    assert not Invitation.objects.exists()
    assert not Job.objects.exists()
    assert not mail.outbox


def test_a_name_several_organisations_have_is_refused_naming_their_org_ids(
    personas: Personas, diagnostic_round: Round
) -> None:
    make_org(name="Age UK Trafford", org_id="GB-CHC-1111111", postcode="M32 0AA")
    make_org(name="AGE UK TRAFFORD", org_id="GB-CHC-2222222", postcode="M33 1BB")
    report = invite_many(diagnostic_round, "age uk trafford, Asha Khan, asha@example.org")
    assert report.errors == [
        "Line 1: 2 organisations are called 'age uk trafford': use the org-id "
        "(GB-CHC-1111111 in M32 0AA or GB-CHC-2222222 in M33 1BB)."
    ]
    report = invite_many(diagnostic_round, "GB-CHC-2222222, Asha Khan, asha@example.org")
    assert report.ok
    assert not report.not_sent


def test_a_name_shared_with_organisations_removed_from_the_register_finds_the_active_one(
    personas: Personas, diagnostic_round: Round
) -> None:
    """A charity re-registered (as a CIO) under its old name: the old one is removed."""
    make_org(name="Stretford Food Bank", org_id="GB-CHC-3333333", status="removed")
    make_org(name="Stretford Food Bank", org_id="GB-CHC-4444444")
    report = invite_many(diagnostic_round, "Stretford Food Bank, Asha Khan, asha@example.org")
    assert report.ok, report.errors
    assert Invitation.objects.get().organisation.org_id == "GB-CHC-4444444"


def test_the_same_person_twice_in_the_lines_is_refused_but_one_person_may_answer_for_two(
    personas: Personas, diagnostic_round: Round
) -> None:
    report = invite_many(
        diagnostic_round,
        f"{A}, Asha Khan, asha@example.org\n"
        f"{B}, Asha Khan, asha@example.org, trustee\n"
        "Alpha Women's Centre, Asha K., ASHA@example.org, staff\n",
    )
    assert report.errors == [
        "Line 3: the same person as line 1 (asha@example.org for Alpha Women's Centre): "
        "invite each person once."
    ]
    assert not Invitation.objects.exists()
    report = invite_many(
        diagnostic_round, f"{A}, Asha Khan, asha@example.org\n{B}, Asha, asha@example.org"
    )
    assert report.ok
    assert len(report.sent) == 2  # a trustee of both organisations


def test_someone_invited_already_in_the_round_is_reported_with_the_hint_to_resend(
    personas: Personas, diagnostic_round: Round
) -> None:
    earlier = do_invite(
        diagnostic_round,
        personas.org_a,
        email="Asha@example.org",
        name="Asha Khan",
        role="staff",
        by=personas.facilitator,
        link_for=link_for,
    )
    answered = do_invite(
        diagnostic_round,
        personas.org_b,
        email="ben@example.org",
        name="Ben Brown",
        role="ceo",
        by=personas.facilitator,
        link_for=link_for,
    )
    Invitation.objects.filter(pk=answered.pk).update(used_at=timezone.now())
    mail.outbox.clear()
    report = invite_many(
        diagnostic_round,
        f"{A}, Asha Khan, asha@example.org\n{B}, Ben Brown, ben@example.org\n"
        f"{B}, Asha Khan, asha@example.org",
    )
    today = timezone.localdate().strftime("%-d %B %Y")
    assert report.errors == [
        f"Line 1: asha@example.org for Alpha Women's Centre was already invited in this round "
        f"on {today} (now: Sent): remove the line and use Resend in the list of invitations "
        "instead, which sends a new link to the same invitation.",
        f"Line 2: ben@example.org for Beta Youth Project already answered in this round "
        f"(submitted on {today}): remove the line.",
    ]
    assert not mail.outbox
    assert Invitation.objects.count() == 2
    later = Round.objects.create(name="Follow-up 2027")
    assert invite_many(later, f"{A}, Asha Khan, asha@example.org").ok  # another round
    assert earlier.pk != Invitation.objects.get(round=later).pk


def test_a_person_invited_meanwhile_by_a_second_click_is_not_sent_twice(
    personas: Personas, diagnostic_round: Round, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checks of two clicks can both pass; each invitation is checked again, locked."""
    monkeypatch.setattr("swim.diagnostic.actions._repeated_or_invited", lambda *args: [])
    first = invite_many(diagnostic_round, f"{A}, Asha Khan, asha@example.org")
    second = invite_many(diagnostic_round, f"{A}, Asha Khan, asha@example.org")
    assert (len(first.sent), len(second.sent)) == (1, 0)
    assert [item.reason for item in second.not_sent] == [
        "invited meanwhile (a second click, or someone else): not sent twice"
    ]
    assert Invitation.objects.count() == len(mail.outbox) == 1


def test_two_jobs_started_from_the_same_checked_lines_invite_each_person_once(
    personas: Personas, diagnostic_round: Round
) -> None:
    """A second click whose checks passed before the first job sent anything: its job
    finds the person invited meanwhile and says so."""
    lines = f"{A}, Asha Khan, asha@example.org\n{B}, Ben Brown, ben@example.org"
    checked = [check_invite_lines(diagnostic_round, lines) for _ in range(2)]
    assert [errors for errors, _ in checked] == [[], []]
    first, second = (
        do_start_invite_many(
            diagnostic_round, people, by=personas.facilitator, base_url="http://testserver"
        )
        for _, people in checked
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.message == "Sent 2 invitations."
    assert second.message == (
        "Sent 0 invitations; 2 not reached: asha@example.org (invited meanwhile (a second "
        "click, or someone else): not sent twice), ben@example.org (invited meanwhile (a "
        "second click, or someone else): not sent twice)."
    )
    assert Invitation.objects.count() == len(mail.outbox) == 2


def test_the_sending_reports_its_progress_person_by_person(
    personas: Personas, diagnostic_round: Round
) -> None:
    _, people = check_invite_lines(
        diagnostic_round, "".join(f"{A}, Person {n}, p{n}@example.org\n" for n in range(3))
    )
    told: list[tuple[int, int, str]] = []
    do_send_invitations(
        diagnostic_round,
        people,
        by=None,
        link_for=link_for,
        progress=lambda done, total, message: told.append((done, total, message)),
    )
    assert told == [
        (0, 3, "Sending 3 invitations"),
        (1, 3, "1 of 3 invitations done"),
        (2, 3, "2 of 3 invitations done"),
        (3, 3, "Sent 3 invitations."),
    ]


def test_a_person_of_an_organisation_deleted_before_the_job_ran_is_reported_not_sent(
    personas: Personas, diagnostic_round: Round
) -> None:
    gamma = make_org(name="Gamma Trust", org_id="GB-CHC-5555555")
    _, people = check_invite_lines(
        diagnostic_round, f"{A}, Asha Khan, asha@example.org\nGamma Trust, Gil, gil@example.org"
    )
    data = [invitee_data(*person) for person in people]
    gamma_pk, _ = gamma.pk, gamma.delete()
    report = do_send_invitations(diagnostic_round, invitees_from(data), by=None, link_for=link_for)
    assert [m.to for m in mail.outbox] == [["asha@example.org"]]
    assert [str(item) for item in report.not_sent] == [
        f"Line 2: Gil (gil@example.org) for organisation #{gamma_pk}: the organisation was "
        "deleted from the directory meanwhile."
    ]


def test_more_than_five_hundred_lines_are_refused_whole(
    personas: Personas, diagnostic_round: Round
) -> None:
    lines = "".join(f"{A}, Person {n}, p{n}@example.org\n" for n in range(MAX_LINES + 1))
    report = invite_many(diagnostic_round, lines)
    assert report.errors == [
        "There are 501 lines: at most 500 people can be invited at once. Split them and send "
        "each part in turn."
    ]
    assert invite_many(diagnostic_round, lines.split("\n", 1)[1]).ok  # 500 are fine
    assert len(mail.outbox) == MAX_LINES


def test_one_email_that_fails_is_not_kept_and_listed_and_the_others_stay_sent(
    client: Client, personas: Personas, diagnostic_round: Round, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "swim.diagnostic.tests.mail_helpers.RefusingBackend"
    refused = f"{B}, Nobody Known, {mail_helpers.REFUSED}, staff"
    lines = f"{A}, Asha Khan, asha@example.org\n{refused}\n{A}, Cai Jones, cai@example.org\n"
    response = post_lines(client, personas, diagnostic_round, lines)
    assert response.status_code == 302
    job = Job.objects.get()
    assert job.message == (
        f"Sent 2 invitations; 1 not reached: {mail_helpers.REFUSED} (the mail server refused "
        "the address)."
    )
    assert job.result["next_url"] == (
        f"/diagnostic/rounds/{diagnostic_round.pk}/invite/?job={job.pk}#bulk-form"
    )
    assert "See the result" in text(client.get(response["Location"]))
    page = text(client.get(job.result["next_url"]))
    assert "1 invitation could not be sent" in page
    row = re.search(r"<tbody><tr><td>2</td>.*?</tr>", page)
    assert row
    assert re.sub(r"<[^>]+>", "|", row.group()).split("|")[3:10:2] == [
        "2",
        f"Nobody Known ({mail_helpers.REFUSED})",
        "Beta Youth Project",
        "The mail server refused the address",
    ]
    assert box(page) == refused  # only the line not reached, to send again
    assert [m.to for m in mail.outbox] == [["asha@example.org"], ["cai@example.org"]]
    assert {i.email for i in Invitation.objects.all()} == {"asha@example.org", "cai@example.org"}
    url = f"/diagnostic/rounds/{diagnostic_round.pk}/invite/"
    assert "could not be sent" not in text(client.get(url))  # without the job: no list
    client.force_login(personas.admin)  # another's job, visible to an administrator
    assert "1 invitation could not be sent" in text(client.get(job.result["next_url"]))
    other = Round.objects.create(name="Follow-up 2027")
    elsewhere = text(client.get(f"/diagnostic/rounds/{other.pk}/invite/?job={job.pk}"))
    assert "could not be sent" not in elsewhere  # the job of another round is not shown


def test_a_job_summary_names_at_most_what_fits_in_a_message(
    personas: Personas, diagnostic_round: Round, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "swim.diagnostic.tests.mail_helpers.DownBackend"
    lines = "".join(f"{A}, Person {n}, p{n}@example.org\n" for n in range(20))
    report = invite_many(diagnostic_round, lines)
    brief = report.in_brief()
    assert len(brief) == 300
    assert brief.startswith(
        "Sent 0 invitations; 20 not reached: p0@example.org (the mail server could not be "
        "reached), p1@example.org"
    )
    assert brief.endswith("…")


def test_after_five_emails_fail_in_a_row_the_rest_are_not_tried(
    personas: Personas, diagnostic_round: Round, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "swim.diagnostic.tests.mail_helpers.DownBackend"
    mail_helpers.attempts.clear()
    lines = "".join(f"{A}, Person {n}, p{n}@example.org\n" for n in range(7))
    report = invite_many(diagnostic_round, lines)
    assert report.ok
    assert report.summary() == (
        "Sent 0 invitations. 7 could not be sent: no invitation was kept for them."
    )
    assert len(mail_helpers.attempts) == 5
    reasons = [item.reason for item in report.not_sent]
    assert reasons[:5] == ["the mail server could not be reached"] * 5
    assert (
        reasons[5:]
        == ["not tried, after 5 emails in a row could not be sent (is the mail server down?)"] * 2
    )
    assert str(report.not_sent[6]) == (
        "Line 7: Person 6 (p6@example.org) for Alpha Women's Centre: not tried, after 5 "
        "emails in a row could not be sent (is the mail server down?)."
    )
    assert report.unsent_lines() == lines.rstrip("\n")
    assert not Invitation.objects.exists()


def test_a_csv_file_is_read_like_the_box_and_on_a_problem_its_lines_come_into_the_box(
    client: Client, personas: Personas, diagnostic_round: Round
) -> None:
    client.force_login(personas.facilitator)
    url = f"/diagnostic/rounds/{diagnostic_round.pk}/invite/many/"
    content = f"org_id,name,email,role\n{A},Asha Khan,asha@example.org,trustee\n{B},Ben,ben@\n"
    upload = SimpleUploadedFile("people.csv", ("\ufeff" + content).encode(), "text/csv")
    response = client.post(url, {"lines": "", "file": upload})
    assert response.status_code == 400
    page = text(response)
    assert "Line 3: 'ben@' is not an email address." in page
    assert box(page) == content
    assert not Invitation.objects.exists()

    fixed = content.replace("ben@", "ben@example.org")
    upload = SimpleUploadedFile("people.csv", fixed.encode(), "text/csv")
    assert client.post(url, {"lines": "", "file": upload}).status_code == 302
    assert Job.objects.get().label == "Send 2 diagnostic invitations"
    assert len(mail.outbox) == 2


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"lines": " \n"}, "lines", "Paste at least one line, or choose a file."),
        (
            {"lines": f"{A}, Asha, asha@example.org", "file": "people.csv"},
            "file",
            "Paste the lines or choose a file, not both.",
        ),
        ({"file": "people.xlsx"}, "file", "Choose a .csv file"),
        ({"file": "latin1.csv"}, "file", "The file is not UTF-8 text"),
    ],
)
def test_the_box_and_the_file_are_checked_beside_their_fields(
    client: Client,
    personas: Personas,
    diagnostic_round: Round,
    data: dict[str, str],
    field: str,
    message: str,
) -> None:
    posted: dict[str, Any] = dict(data)
    if "file" in data:
        encoding = "latin-1" if "latin1" in data["file"] else "utf-8"
        content = "Café, Zoë, zoe@example.org".encode(encoding)
        posted["file"] = SimpleUploadedFile(data["file"], content)
    client.force_login(personas.facilitator)
    response = client.post(f"/diagnostic/rounds/{diagnostic_round.pk}/invite/many/", posted)
    assert response.status_code == 400
    page = text(response)
    error = re.search(rf'<p class="error" id="id_{field}_error">(.*?)</p>', page, re.S)
    assert error
    assert message in error.group(1)
    assert not mail.outbox


@pytest.mark.parametrize("persona", ["member_a", "member_b", "funder", "outsider"])
def test_only_facilitators_and_admins_send_many(
    client: Client, personas: Personas, outsider: User, diagnostic_round: Round, persona: str
) -> None:
    client.force_login(outsider if persona == "outsider" else personas.by_name(persona))
    url = f"/diagnostic/rounds/{diagnostic_round.pk}/invite/many/"
    assert client.post(url, {"lines": f"{A}, Asha, asha@example.org"}).status_code == 403
    assert not Invitation.objects.exists()
    assert not Job.objects.exists()
    client.force_login(personas.facilitator)
    assert client.get(url).status_code == 405  # a POST only


# --- The command -----------------------------------------------------------------------------


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("invite_respondents", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_sends_a_file_and_prints_the_report(
    personas: Personas, diagnostic_round: Round, tmp_path: Path
) -> None:
    path = tmp_path / "people.csv"
    path.write_text(f"{A},Asha Khan,asha@example.org,trustee\n{B},Ben Brown,ben@example.org\n")
    out, _ = run(
        str(diagnostic_round.pk),
        str(path),
        "--base-url",
        "https://swim.example.org/",
        "--by",
        "facilitator@example.org",
    )
    assert out == "Sent 2 invitations. Round: Baseline 2026.\n"
    body = str(mail.outbox[0].body)
    assert re.search(r"https://swim\.example\.org/diagnostic/i/[\w-]+/\n", body)
    assert "Fatima Facilitator invites you" in mail.outbox[0].body
    assert Invitation.objects.filter(sent_by=personas.facilitator).count() == 2


def test_the_command_takes_the_address_from_the_setting_or_asks_for_it(
    personas: Personas, diagnostic_round: Round, tmp_path: Path, settings: Any
) -> None:
    path = tmp_path / "people.csv"
    path.write_text(f"{A},Asha Khan,asha@example.org\n")
    settings.SWIM_BASE_URL = ""
    with pytest.raises(CommandError, match=r"give --base-url https://swim\.example\.org"):
        run(str(diagnostic_round.pk), str(path))
    with pytest.raises(CommandError, match="is not a web address"):
        run(str(diagnostic_round.pk), str(path), "--base-url", "swim.example.org")
    assert not mail.outbox
    settings.SWIM_BASE_URL = "https://swim.example.org"
    out, _ = run(str(diagnostic_round.pk), str(path))
    assert out.startswith("Sent 1 invitation.")
    assert "Your facilitator invites you" in mail.outbox[0].body
    assert "https://swim.example.org/diagnostic/i/" in mail.outbox[0].body


def test_the_command_lists_every_problem_and_sends_nothing(
    personas: Personas, diagnostic_round: Round, tmp_path: Path
) -> None:
    path = tmp_path / "people.csv"
    path.write_text(f"{A},Asha Khan,asha@example.org\nGB-CHC-99,Ben,ben@example.org,boss\n")
    err = io.StringIO()
    with pytest.raises(CommandError, match=r"Nothing was sent: 2 problems in people\.csv\."):
        call_command(
            "invite_respondents",
            str(diagnostic_round.pk),
            str(path),
            "--base-url=https://swim.example.org",
            stderr=err,
        )
    assert err.getvalue().splitlines() == [
        "Line 2: no organisation has the org-id GB-CHC-99.",
        "Line 2: 'boss' is not a role: use ceo, trustee, staff or other (blank for CEO or "
        "manager).",
    ]
    assert not mail.outbox
    assert not Invitation.objects.exists()


def test_the_command_refuses_a_sender_who_may_not_invite(
    personas: Personas, diagnostic_round: Round, tmp_path: Path
) -> None:
    path = tmp_path / "people.csv"
    path.write_text(f"{A},Asha Khan,asha@example.org\n")
    base = "--base-url=https://swim.example.org"
    with pytest.raises(CommandError, match="may not invite respondents"):
        run(str(diagnostic_round.pk), str(path), base, "--by", "member.a@example.org")
    with pytest.raises(CommandError, match="No account has the email"):
        run(str(diagnostic_round.pk), str(path), base, "--by", "who@example.org")
    assert not mail.outbox


def test_the_command_reports_emails_not_sent_and_fails(
    personas: Personas, diagnostic_round: Round, tmp_path: Path, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "swim.diagnostic.tests.mail_helpers.RefusingBackend"
    path = tmp_path / "people.csv"
    path.write_text(f"{A},Asha Khan,asha@example.org\n{B},Nobody,{mail_helpers.REFUSED}\n")
    err = io.StringIO()
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 invitation could not be sent; the others were"):
        call_command(
            "invite_respondents",
            str(diagnostic_round.pk),
            str(path),
            "--base-url=https://swim.example.org",
            stdout=out,
            stderr=err,
        )
    assert out.getvalue().startswith("Sent 1 invitation. 1 could not be sent")
    assert err.getvalue() == (
        f"Line 2: Nobody ({mail_helpers.REFUSED}) for Beta Youth Project: the mail server "
        "refused the address.\n"
    )
    assert Invitation.objects.get().email == "asha@example.org"


# --- Finding the organisation: by name or org-id, with a type-ahead list ---------------------


def options(client: Client, user: User, **params: str) -> Any:
    """The invite form's type-ahead list: the directory's, sent the box's value by name."""
    client.force_login(user)
    return client.get("/directory/lookup/", params)


def test_the_type_ahead_offers_at_most_twenty_organisations_matching_the_words(
    client: Client, personas: Personas
) -> None:
    for n in range(25):
        make_org(name=f"Trafford Youth Club {n:02d}", postcode="M32 0AA")
    make_org(name="Sale Sharks Community Trust", status="removed")
    response = options(client, personas.facilitator, q="trafford youth")
    assert response.status_code == 200
    found = re.findall(r'<option value="([^"]*)">([^<]*)</option>', text(response))
    assert len(found) == 20
    assert all(
        re.fullmatch(r"Trafford Youth Club \d\d \(GB-CHC-\d+\)", value) for value, _ in found
    )
    assert {label for _, label in found} == {"M32 0AA"}
    alpha = text(
        options(client, personas.facilitator, field="organisation", organisation="alpha wom")
    )
    assert alpha == f'<option value="Alpha Women\'s Centre ({A})">M32 0AA</option>'
    chosen = text(
        options(
            client,
            personas.facilitator,
            field="organisation",
            organisation=f"Alpha Women's Centre ({A})",
        )
    )
    assert f"({A})" in chosen  # a chosen option still finds itself
    assert text(options(client, personas.facilitator, q="a")) == ""  # too short to look
    assert text(options(client, personas.facilitator, q="sale sharks")) == ""  # removed


@pytest.mark.parametrize("persona", ["member_a", "member_b", "funder", "outsider"])
def test_the_type_ahead_follows_the_directory_rules_while_inviting_stays_for_facilitators(
    client: Client, personas: Personas, outsider: User, diagnostic_round: Round, persona: str
) -> None:
    """The list offers public register data, as the directory does to anyone signed in;
    the invite page and its sending stay refused (403) to everyone but facilitators."""
    user = outsider if persona == "outsider" else personas.by_name(persona)
    assert options(client, user, q="alpha").status_code == 200
    url = f"/diagnostic/rounds/{diagnostic_round.pk}/invite/"
    assert client.get(url).status_code == 403
    person = {"name": "Asha Khan", "email": "asha@example.org", "role": "staff"}
    assert client.post(url, person | {"organisation": A}).status_code == 403
    assert not Invitation.objects.exists()
    client.logout()
    response = client.get("/directory/lookup/", {"q": "alpha"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_single_invitation_finds_the_organisation_by_name_or_chosen_option(
    client: Client, personas: Personas, diagnostic_round: Round
) -> None:
    client.force_login(personas.facilitator)
    url = f"/diagnostic/rounds/{diagnostic_round.pk}/invite/"
    page = text(client.get(url))
    assert 'list="id_organisation_options"' in page
    assert 'hx-get="/directory/lookup/?field=organisation"' in page
    assert '<datalist id="id_organisation_options"></datalist>' in page
    person = {"name": "Asha Khan", "email": "asha@example.org", "role": "staff"}
    for typed in ("BETA YOUTH PROJECT", f"Alpha Women's Centre ({A})"):
        assert client.post(url, person | {"organisation": typed}).status_code == 302
    assert {i.organisation.org_id for i in Invitation.objects.all()} == {A, B}


def test_the_single_invitation_refuses_a_shared_or_unknown_name_beside_the_field(
    client: Client, personas: Personas, diagnostic_round: Round
) -> None:
    make_org(name="Age UK Trafford", org_id="GB-CHC-1111111", postcode="")
    make_org(name="Age UK Trafford", org_id="GB-CHC-2222222", postcode="")
    client.force_login(personas.facilitator)
    url = f"/diagnostic/rounds/{diagnostic_round.pk}/invite/"
    person = {"name": "Asha Khan", "email": "asha@example.org", "role": "staff"}
    for typed, message in [
        (
            "Age UK Trafford",
            "2 organisations are called 'Age UK Trafford': use the org-id (GB-CHC-1111111 or "
            "GB-CHC-2222222).",
        ),
        ("Gamma Trust", "No organisation has the name or org-id 'Gamma Trust'."),
    ]:
        response = client.post(url, person | {"organisation": typed})
        assert response.status_code == 400
        error = re.search(r'<p class="error" id="id_organisation_error">(.*?)</p>', text(response))
        assert error
        assert error.group(1).strip() == message
    assert not Invitation.objects.exists()
    assert Organisation.objects.filter(name="Age UK Trafford").count() == 2


# --- In a browser ----------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_facilitator_pastes_three_lines_and_sees_them_sent(
    page: Any, live_server: Any, personas: Personas, sign_in: Any, assert_accessible: Any
) -> None:
    diagnostic_round = Round.objects.create(name="Baseline 2026")
    sign_in(personas.facilitator.email)
    page.goto(f"/diagnostic/rounds/{diagnostic_round.pk}/invite/")
    assert_accessible(page)

    organisation = page.get_by_label("Organisation (name or org-id)")
    organisation.press_sequentially("alpha wo")  # the type-ahead list fills as she types
    page.locator("#id_organisation_options option").first.wait_for(state="attached")
    assert page.locator("#id_organisation_options option").first.get_attribute("value") == (
        f"Alpha Women's Centre ({A})"
    )

    box_ = page.get_by_label("People to invite, one a line")
    box_.fill(
        f"{A}, Asha Khan, asha@example.org, trustee\n"
        "Beta Youth Project, Ben Brown, ben@example\n"
        "Beta Youth Project, Cai Jones, cai@example.org, staff"
    )
    page.get_by_role("button", name="Check and send the invitations").click()
    page.get_by_text("Nothing was sent: 1 problem").wait_for()
    assert page.get_by_text("Line 2: 'ben@example' is not an email address.").is_visible()
    assert_accessible(page)
    assert Invitation.objects.count() == 0

    box_.fill(box_.input_value().replace("ben@example", "ben@example.org"))
    page.get_by_role("button", name="Check and send the invitations").click()
    page.get_by_role("heading", name="Send 3 diagnostic invitations").wait_for()
    page.get_by_role("status").get_by_text("Sent 3 invitations.").wait_for()
    assert page.get_by_text("All 3 lines passed the checks").is_visible()
    assert_accessible(page)
    page.get_by_role("link", name="See the result").click()
    assert page.get_by_role("cell", name="Ben Brown (ben@example.org)").is_visible()
    assert len(mail.outbox) == 3
