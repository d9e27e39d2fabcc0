import csv
import io
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from swim.directory.importers.base import read_bytes
from swim.directory.models import Area, Organisation


class Command(BaseCommand):
    help = (
        "Load area names by GSS code (e.g. charity-lookups' cc-aoo-gss-iso-new.csv: "
        "geographic_area_type, geographic_area_description, GSS) and name the local "
        "authority of every organisation that has its code."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        reader = csv.DictReader(io.StringIO(read_bytes(path).decode("utf-8-sig")))
        needed = {"geographic_area_type", "geographic_area_description", "GSS"}
        if not needed <= set(reader.fieldnames or []):
            raise CommandError(f"{path.name} needs the columns {', '.join(sorted(needed))}.")
        areas = {
            row["GSS"].strip(): Area(
                code=row["GSS"].strip(),
                kind=row["geographic_area_type"],
                name=row["geographic_area_description"].strip(),
            )
            for row in reader
            if row["GSS"].strip()
        }
        with transaction.atomic():
            Area.objects.bulk_create(
                areas.values(),
                update_conflicts=True,
                unique_fields=["code"],
                update_fields=["name", "kind"],
            )
            named = 0
            for code, area in areas.items():
                named += (
                    Organisation.objects.filter(local_authority_code=code)
                    .exclude(local_authority=area.name)
                    .update(local_authority=area.name)
                )
        self.stdout.write(f"{len(areas):,} areas loaded; {named:,} organisations named.")
