"""``swim embed_organisations``: prepare text understanding (cached sentence embeddings)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from swim.directory.models import Organisation
from swim.directory.search import filter_organisations
from swim.discovery.actions import EMBED_BATCH, do_embed_organisations
from swim.discovery.text_vectors import embeddings_available, unavailable_reason
from swim.engine.embeddings import EmbeddingsUnavailable

FILTERS = ("local_authority", "postcode", "network", "q")


class Command(BaseCommand):
    help = (
        "Embed the activity texts of the active organisations of an area (the directory's "
        "filters) or of --all, so that discovery runs compare texts with sentence embeddings. "
        "Only missing or changed texts are encoded; run it again after an import."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--local-authority", default="", help="Local authority name.")
        parser.add_argument("--postcode", default="", help="Postcode district or sector (M32).")
        parser.add_argument("--network", default="", help="Network slug.")
        parser.add_argument("--q", default="", help="Words in name or activities.")
        parser.add_argument("--all", action="store_true", help="Every active organisation.")
        parser.add_argument(
            "--batch", type=int, default=EMBED_BATCH, help="Texts encoded and written together."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        filters = {name: options[name] for name in FILTERS if options[name]}
        if not filters and not options["all"]:
            raise CommandError("Choose an area with the filters, or --all for every organisation.")
        if filters and options["all"]:
            raise CommandError("Use either the filters or --all, not both.")
        if options["batch"] < 1:
            raise CommandError("--batch must be at least 1.")
        if not embeddings_available():
            raise CommandError(f"Sentence embeddings cannot be used: {unavailable_reason()}.")
        self.verbosity = int(options["verbosity"])
        self._last = 0.0
        try:
            summary = do_embed_organisations(
                self._area(filters), progress=self._progress, batch_size=options["batch"]
            )
        except EmbeddingsUnavailable as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Prepared text understanding: {summary}.")

    def _area(self, filters: dict[str, str]) -> Any:
        if not filters:
            return Organisation.objects.all()
        form, area = filter_organisations(filters)
        if form.errors:
            raise CommandError(f"The filters are not valid: {form.errors.as_text()}")
        return area

    def _progress(self, done: int, total: int, message: str) -> None:
        now = time.monotonic()
        if self.verbosity >= 1 and (now - self._last >= 5 or done >= total):
            self._last = now
            self.stderr.write(f"[{done:,}/{total:,}] {message}")
