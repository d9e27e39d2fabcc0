from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse

from swim.accounts.models import User
from swim.accounts.permissions import may
from swim.diagnostic.actions import do_invite_many
from swim.diagnostic.invitees import MAX_LINES
from swim.diagnostic.management.commands.import_diagnostic import get_round


class Command(BaseCommand):
    help = (
        "Email personal answering links of a diagnostic round to the people listed in a CSV "
        "file, one a line: the organisation's org-id or name, the person's name, their email "
        f"and, optionally, their role (ceo, trustee, staff or other; blank is ceo). At most "
        f"{MAX_LINES} lines. Every line is checked first: on any problem nothing is sent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("round_id", type=int, help="the round's id")
        parser.add_argument("path", help="the CSV file (UTF-8, comma-separated)")
        parser.add_argument(
            "--base-url",
            default="",
            help="the address people reach SWiM at, for the links, e.g. "
            "https://swim.example.org (default: the SWIM_BASE_URL setting)",
        )
        parser.add_argument(
            "--by",
            default="",
            metavar="EMAIL",
            help="the facilitator the emails name as inviting (default: 'Your facilitator')",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        diagnostic_round = get_round(options["round_id"])
        base_url = _base_url(options["base_url"] or settings.SWIM_BASE_URL)
        by = _facilitator(options["by"]) if options["by"] else None
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise CommandError(
                f"{path.name} is not UTF-8 text: save it from the spreadsheet as “CSV UTF-8”."
            ) from None
        report = do_invite_many(
            diagnostic_round,
            text,
            by=by,
            link_for=lambda token: base_url + reverse("diagnostic-invitation", args=[token]),
        )
        if not report.ok:
            for error in report.errors:
                self.stderr.write(error)
            problems = len(report.errors)
            raise CommandError(
                f"Nothing was sent: {problems} problem{'s' * (problems != 1)} in {path.name}."
            )
        self.stdout.write(f"{report.summary()} Round: {diagnostic_round.name}.")
        if report.not_sent:
            for item in report.not_sent:
                self.stderr.write(str(item))
            missed = len(report.not_sent)
            raise CommandError(
                f"{missed} invitation{'s' * (missed != 1)} could not be sent; the others were."
            )


def _base_url(value: str) -> str:
    url = value.strip().rstrip("/")
    if not url:
        raise CommandError(
            "The links need the address people reach SWiM at: give --base-url "
            "https://swim.example.org, or set SWIM_BASE_URL."
        )
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc or " " in url:
        raise CommandError(
            f"{value!r} is not a web address: give one like https://swim.example.org."
        )
    return url


def _facilitator(email: str) -> User:
    user = User.objects.filter(email__iexact=email.strip()).first()
    if user is None:
        raise CommandError(f"No account has the email {email}.")
    if not may(user, "diagnostic.manage_rounds"):
        raise CommandError(f"{email} may not invite respondents: not a facilitator or admin.")
    return user
