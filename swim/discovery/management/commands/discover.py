"""``swim discover``: a discovery run from the command line, stored like the web's."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from swim.directory.lookup import find_organisation
from swim.directory.models import Organisation
from swim.discovery.actions import do_create_run, do_run_discovery, engine_parameters
from swim.discovery.models import CandidateCluster, CandidateMember, DiscoveryRun
from swim.engine.discover import ENGINES
from swim.engine.signals.combine import DEFAULT_WEIGHTS, SIGNALS


class Command(BaseCommand):
    help = (
        "Discover candidate clusters in an area chosen with the directory's filters; print "
        "them as a table or write them as JSON. The run is stored and shown in the web pages."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--local-authority", default="", help="Local authority name.")
        parser.add_argument("--postcode", default="", help="Postcode district or sector (M32).")
        parser.add_argument("--network", default="", help="Network slug.")
        parser.add_argument("--q", default="", help="Theme: words in name or activities.")
        parser.add_argument("--min-size", type=int, default=4)
        parser.add_argument("--max-size", type=int, default=12)
        parser.add_argument("--max-span-km", type=float, default=5.0)
        parser.add_argument("--max-income-share", type=float, default=0.5)
        parser.add_argument("--radius-km", type=float, default=3.0)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--partners-for", default="", help="org-id or name (or key) of one organisation."
        )
        parser.add_argument("--json", dest="json_path", default="", help="Write JSON to PATH.")
        parser.add_argument(
            "--weights",
            default="",
            help="Signal weights, e.g. ties=0.3,location=0.25 (unnamed signals keep their "
            f"default); signals: {', '.join(SIGNALS)}.",
        )
        parser.add_argument(
            "--engine",
            choices=ENGINES,
            default="local",
            help="Who clusters the regions of a large area: this process (local) or a "
            "dask.distributed cluster (dask; needs the 'distributed' extra).",
        )
        parser.add_argument(
            "--scheduler",
            default="",
            help="With --engine dask: the scheduler address (tcp://host:8786); default "
            "SWIM_DASK_SCHEDULER, else a local cluster of 2 worker processes.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        filters = {
            name: options[name]
            for name in ("local_authority", "postcode", "network", "q")
            if options[name]
        }
        engine = {
            name: options[name]
            for name in ("min_size", "max_size", "max_span_km", "max_income_share", "radius_km")
        }
        engine["seed"] = options["seed"]
        engine.update(_engine(options["engine"], options["scheduler"]))
        weights = _weights(options["weights"])
        self.verbosity = int(options["verbosity"])
        seed = _organisation(options["partners_for"]) if options["partners_for"] else None
        mode = "partners" if seed else "theme" if filters.get("q") else "area"
        run = do_create_run(
            by=None, mode=mode, filters=filters, engine=engine, seed_organisation=seed,
            weights=weights,
        )  # fmt: skip
        run = do_run_discovery(run, progress=self._progress)
        if run.status == DiscoveryRun.Status.FAILED:
            raise CommandError(f"Discovery run {run.pk} failed: {run.error}")
        if run.parameters.get("engine_note"):
            self.stderr.write(run.parameters["engine_note"])
        candidates = list(run.candidates.all())
        if options["json_path"]:
            self._write_json(run, candidates, Path(options["json_path"]))
        else:
            self._print_table(run, candidates)

    def _progress(self, done: int, total: int, message: str) -> None:
        if self.verbosity > 1:
            self.stderr.write(f"[{done}/{total}] {message}")

    def _print_table(self, run: DiscoveryRun, candidates: list[CandidateCluster]) -> None:
        self.stdout.write(
            f"Discovery run {run.pk}: {run.organisations_considered} organisations, "
            f"{len(candidates)} candidates in {run.seconds} s"
        )
        self.stdout.write(
            f"{'rank':>4}  {'kind':8}  {'size':>4}  {'ready':>5}  {'priority':20}  explanation"
        )
        for c in candidates:
            self.stdout.write(
                f"{c.rank:>4}  {c.kind:8}  {c.member_count:>4}  {c.readiness:>5.0f}  "
                f"{(c.suggested_priority or '-')[:20]:20}  {c.explanation}"
            )

    def _write_json(
        self, run: DiscoveryRun, candidates: list[CandidateCluster], path: Path
    ) -> None:
        members: dict[int, list[dict[str, Any]]] = defaultdict(list)
        found = CandidateMember.objects.filter(candidate__run=run).values_list(
            "candidate_id", "organisation__org_id", "organisation__name", "reason", "is_lead"
        )
        for candidate, org_id, name, reason, lead in found:
            members[candidate].append(
                {"org_id": org_id, "name": name, "reason": reason, "is_lead": lead}
            )
        data = {
            "run": run.pk,
            "parameters": run.parameters,
            "organisations_considered": run.organisations_considered,
            "timings": run.timings,
            "candidates": [
                {
                    "rank": c.rank,
                    "kind": c.kind,
                    "readiness": c.readiness,
                    "readiness_factors": c.readiness_factors,
                    "signal_scores": c.signal_scores,
                    "suggested_priority": c.suggested_priority,
                    "explanation": c.explanation,
                    "members": members[c.pk],
                }
                for c in candidates
            ],
        }  # fmt: skip
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
        self.stdout.write(f"Wrote {len(candidates)} candidates of run {run.pk} to {path}")


def _engine(name: str, scheduler: str) -> dict[str, Any]:
    """The engine parameters for ``--engine``/``--scheduler`` (none for the local engine)."""
    if name != "dask":
        if scheduler:
            raise CommandError("--scheduler only applies with --engine dask.")
        return {}
    from swim.engine.distributed import DaskUnavailableError, require_dask

    try:
        require_dask()
    except DaskUnavailableError as exc:
        raise CommandError(str(exc)) from exc
    return engine_parameters("dask", scheduler)


def _weights(text: str) -> dict[str, float] | None:
    """``--weights ties=0.3,location=0.25``: the defaults with the named signals changed."""
    if not text.strip():
        return None
    weights = DEFAULT_WEIGHTS.as_dict()
    for item in text.split(","):
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or name not in SIGNALS:
            raise CommandError(
                f"--weights: {item.strip()!r} is not signal=weight with a signal among "
                f"{', '.join(SIGNALS)}."
            )
        try:
            weights[name] = float(value)
        except ValueError:
            raise CommandError(f"--weights: the weight of {name} is not a number.") from None
    return weights


def _organisation(key: str) -> Organisation:
    """The organisation ``key`` names: its org-id or name (as the web form), or its key."""
    if key.isdigit() and (found := Organisation.objects.filter(pk=int(key)).first()):
        return found
    try:
        return find_organisation(key)
    except ValidationError as error:
        raise CommandError(f"--partners-for: {' '.join(error.messages)}") from None
