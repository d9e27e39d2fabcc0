import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from swim.directory.geocoding import regeocode
from swim.directory.postcodes import UnknownFormat, load_postcodes


class Command(BaseCommand):
    help = (
        "Load postcode-centroid files (GB/NI unit postcodes, sector and district centroids, "
        "GeoNames postal codes) for offline geocoding, then re-locate organisations that the "
        "new centroids place more precisely."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", help="postcode files (.csv, .csv.gz, .txt)")
        parser.add_argument(
            "--no-geocode",
            action="store_true",
            help="only load the files; leave organisations as they are",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        for name in options["paths"]:
            path = Path(name)
            if not path.is_file():
                raise CommandError(f"No file at {path}.")
            started = time.perf_counter()
            try:
                result = load_postcodes(path)
            except UnknownFormat as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(
                f"{path.name}: {result.loaded:,} {result.kind} centroids loaded, "
                f"{result.skipped:,} rows skipped, in {time.perf_counter() - started:.1f} s"
            )
        if not options["no_geocode"]:
            moved = regeocode()
            self.stdout.write(f"{moved:,} organisations located more precisely.")
