from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from swim.diagnostic.actions import do_import_responses
from swim.diagnostic.models import Round


def get_round(pk: int) -> Round:
    found = Round.objects.filter(pk=pk).first()
    if found is None:
        raise CommandError(f"No diagnostic round has the id {pk}.")
    return found


class Command(BaseCommand):
    help = (
        "Import diagnostic answers given on paper from a CSV file (one row per respondent, "
        "the columns of the import page's template) into a round. Every row is checked first: "
        "on any problem nothing is imported. Importing the same file again replaces the "
        "earlier paper answers instead of adding them twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("round_id", type=int, help="the round's id")
        parser.add_argument("path", help="the CSV file (UTF-8, comma-separated)")

    def handle(self, *args: Any, **options: Any) -> None:
        diagnostic_round = get_round(options["round_id"])
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        with path.open("rb") as file:
            report = do_import_responses(diagnostic_round, file, by=None)
        if not report.ok:
            for error in report.errors:
                self.stderr.write(error)
            problems = len(report.errors)
            raise CommandError(
                f"{path.name} was not imported: {problems} problem{'s' * (problems != 1)}."
            )
        self.stdout.write(f"{report.summary()} Round: {diagnostic_round.name}.")
