"""How fast the concentration map answers with 170,000 organisations (the E&W register's size).

Usage: ``python benchmarks/concentration.py [sqlite|postgresql|both]`` (default both);
``BENCH_TOTAL`` sets another number of organisations.

The organisations are those of ``directory_endpoints.py`` (one seeded sample area per local
authority of England and Wales, on its real postcode districts when ``../shared/data`` is
present), written to a throw-away database (a temporary SQLite file, or a database
``swim_bench_concentration`` on the PostgreSQL server at ``BENCH_PG_URL``). Signed in as a
facilitator through Django's test client, each request is made once with empty caches
("first": the grouped count queries run) and then 20 times (the counts come from the
cache, keyed by the directory's data version); the script prints the first time, the
median, the 95th percentile and the slowest in milliseconds, the queries per request, and
the load average of the machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import directory_endpoints as endpoints

endpoints.DATABASE = "swim_bench_concentration"


def requests() -> list[endpoints.Kind]:
    """The kinds of request timed: the top concentrations and one field, at both levels."""
    from django.db.models import Count

    from swim.directory.models import Classification

    common = Classification.objects.annotate(n=Count("organisations")).order_by("-n").first()
    assert common is not None, "no classification: the data builder wrote none"
    page, export = "/discovery/concentration/", "/discovery/concentration/export/"
    field = {"field": common.pk}
    same = [
        ("top concentrations, local authorities", page, {}),
        ("top concentrations, postcode districts", page, {"level": "district"}),
        (f"one field ({common.label[:20]}), local authorities", page, field),
        ("one field, districts, by area", page, {**field, "level": "district", "sort": "area"}),
        ("CSV: one field, postcode districts", export, {**field, "level": "district"}),
    ]  # fmt: skip
    return [endpoints.Kind(label, path, [query]) for label, path, query in same]


def run_timings(kind: str) -> None:
    from django.test import Client

    from swim.accounts.models import Role, User
    from swim.directory.models import Organisation

    facts = endpoints.fill(endpoints.TOTAL)
    print(
        f"[{kind}] {Organisation.objects.count():,} organisations written in "
        f"{facts['seconds']:.0f} s; each request once ('first', empty caches), then "
        f"{endpoints.RUNS} runs; load average {_load()}"
    )
    client = Client()
    client.force_login(User.objects.create_user("bench@example.org", "x", role=Role.FACILITATOR))
    endpoints.time_all(client, requests())
    print(f"[{kind}] load average after: {_load()}")


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def measure(kind: str) -> None:
    endpoints.setup_database(kind)
    try:
        run_timings(kind)
    finally:
        endpoints.teardown_database(kind)


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "both"
    if which == "both":
        for kind in ("sqlite", "postgresql"):
            subprocess.run([sys.executable, __file__, kind], check=True)
    else:
        measure(which)
