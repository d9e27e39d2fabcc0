from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from swim.diagnostic.actions import active_questions
from swim.diagnostic.csv_io import for_export, write_responses, write_template
from swim.diagnostic.management.commands.import_diagnostic import get_round
from swim.diagnostic.models import Round


class Command(BaseCommand):
    help = (
        "Write a round's submitted diagnostic answers (online and paper) as CSV, one row per "
        "respondent, in the format import_diagnostic reads; --template writes the headings only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("round_id", type=int, help="the round's id")
        parser.add_argument(
            "--output", metavar="PATH", help="write to this file (default: standard output)"
        )
        parser.add_argument(
            "--template", action="store_true", help="only the headings: a blank template"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        diagnostic_round = get_round(options["round_id"])
        if not options["output"]:
            self._write(self.stdout, diagnostic_round, template=options["template"])
            return
        path = Path(options["output"])
        # A byte-order mark, so that a spreadsheet opens the file as UTF-8.
        with path.open("w", encoding="utf-8-sig", newline="") as out:
            count = self._write(out, diagnostic_round, template=options["template"])
        what = "the template" if options["template"] else f"{count} response{'s' * (count != 1)}"
        self.stdout.write(f"Wrote {what} of {diagnostic_round.name} to {path}.")

    def _write(self, out: Any, diagnostic_round: Round, *, template: bool) -> int:
        areas, statements = active_questions()
        if template:
            write_template(out, areas, statements)
            return 0
        responses = for_export(diagnostic_round.responses.all())
        return write_responses(out, responses, areas, statements)
