from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from swim.directory.downloading import DownloadFailed, download
from swim.directory.importers import get_importer_class, importer_names
from swim.directory.importing import ImportFailed, run_import
from swim.directory.tasks import estimate_rows, warm_up_concentration


class Command(BaseCommand):
    help = (
        "Import a register extract, a CSV of local groups or a relationship file into the "
        "directory. Idempotent: re-importing the same file changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--source",
            required=True,
            choices=importer_names(),
            help="which importer reads the file",
        )
        parser.add_argument("path", nargs="?", help="the file (CSV, JSON, TXT; .gz and .zip too)")
        parser.add_argument(
            "--sample",
            type=int,
            metavar="N",
            help="read only the first N rows (marks nothing removed)",
        )
        parser.add_argument(
            "--download",
            action="store_true",
            help="fetch the latest file from the publisher's official address",
        )
        parser.add_argument("--url", help="with --download: fetch from this address instead")
        parser.add_argument(
            "--mapping", help="csv source: a mapping file of field=Column heading lines"
        )
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="FIELD=COLUMN",
            help="csv source: map a field to a column (repeatable)",
        )
        parser.add_argument("--label", help="csv source: a name for this list of groups")

    def handle(self, *args: Any, **options: Any) -> None:
        importer_class = get_importer_class(options["source"])
        importer = importer_class(
            mapping=options["mapping"], map=options["map"], label=options["label"]
        )
        path = self._path(importer_class, options)
        with _bar(path, options["sample"], quiet=options["verbosity"] == 0) as bar:
            try:
                run = run_import(
                    importer,
                    path,
                    sample=options["sample"],
                    progress=lambda done, _message: bar.update(done - bar.n),
                )
            except ImportFailed as exc:
                raise CommandError(str(exc)) from exc
        warm_up_concentration(by=None)  # queued for the worker: the import does not wait
        self.stdout.write(
            f"{run.source}: read {run.read:,} = created {run.created:,} + updated "
            f"{run.updated:,} + unchanged {run.unchanged:,} + rejected {run.rejected:,}; "
            f"marked removed {run.removed:,}; geocoded {run.geocoded:,}."
        )
        if run.report_file:
            self.stdout.write(f"Rejected rows and warnings are listed in {run.report_file}")
        if run.created + run.updated + run.unchanged == 0:
            raise CommandError(
                f"Nothing could be imported from {path.name}: "
                + (f"all {run.read:,} rows were rejected." if run.read else "it holds no rows.")
            )

    def _path(self, importer_class: Any, options: dict[str, Any]) -> Path:
        if options["download"]:
            try:
                return download(importer_class, url=options["url"])
            except DownloadFailed as exc:
                raise CommandError(str(exc)) from exc
        if not options["path"]:
            raise CommandError("Give the file to import, or --download.")
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        return path


def _bar(path: Path, sample: int | None, *, quiet: bool) -> tqdm[Any]:
    """A progress bar of rows read on the terminal's standard error (none when that is not a
    terminal, or with ``--verbosity 0``). Its total is the file's line count (an estimate:
    quoted fields may hold line breaks) or the sample's size; compressed and JSON files have
    none, and the bar shows the rows read and the rate."""
    disable = quiet or not sys.stderr.isatty()
    total = None if disable else estimate_rows(path)
    if sample and not disable:
        total = min(total or sample, sample)
    return tqdm(
        total=total,
        unit=" rows",
        file=sys.stderr,
        disable=disable,
        dynamic_ncols=True,
        mininterval=0.5,
    )
