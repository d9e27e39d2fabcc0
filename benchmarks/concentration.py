"""How fast the concentration map answers with 170,000 organisations (the E&W register's size).

Usage: ``python benchmarks/concentration.py [sqlite|postgresql|both]`` (default both);
``BENCH_TOTAL`` sets another number of organisations.

The organisations are those of ``directory_endpoints.py`` (one seeded sample area per local
authority of England and Wales, on its real postcode districts when ``../shared/data`` is
present), written to a throw-away database (a temporary SQLite file, or a database
``swim_bench_concentration`` on the PostgreSQL server at ``BENCH_PG_URL``). The counts are
kept in the shared cache (``SWIM_CACHE_URL``; the database table by default). Signed in as a
facilitator through Django's test client, the script times the pages twice, each time after
a small import (``import_register``, which changes the data version and queues the warm-up
job):

1. *without the warm-up*: no worker runs the queued job, so the first request of each kind
   counts (the grouped count queries run), as every process did before the shared cache;
2. *with the warm-up*: ``swim db_worker --batch`` runs the queued job in another process, as
   the worker does after an import; then this process forgets what it held (as a web process
   that has not seen the map yet) and the first requests read the counts from the shared
   cache.

Each request is made once ("first") and then 20 times; the script prints the first time, the
median, the 95th percentile and the slowest in milliseconds, the queries per request, how
long the warm-up job took, the size of what it stored, and the load average of the machine.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import directory_endpoints as endpoints

endpoints.DATABASE = "swim_bench_concentration"
CCNI = endpoints.ROOT / "swim" / "directory" / "tests" / "data" / "ccni_small.csv"


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
    from django.template.loader import get_template
    from django.test import Client

    from swim.accounts.models import Role, User
    from swim.directory.models import Organisation

    facts = endpoints.fill(endpoints.TOTAL)
    print(
        f"[{kind}] {Organisation.objects.count():,} organisations written in "
        f"{facts['seconds']:.0f} s; each request once ('first'), then {endpoints.RUNS} runs; "
        f"load average {_load()}"
    )
    client = Client()
    client.force_login(User.objects.create_user("bench@example.org", "x", role=Role.FACILITATOR))
    get_template("discovery/concentration.html")  # compiled now: the first request counts
    kinds = requests()

    seconds = _import()
    print(f"\n[{kind}] after an import ({seconds:.1f} s), without the warm-up job:")
    endpoints.time_all(client, kinds)

    seconds = _import()
    print(f"\n[{kind}] after an import ({seconds:.1f} s), with the warm-up job run by the worker:")
    took = _run_worker()
    _forget_this_process()
    print(f"[{kind}] warm-up job: {took}\n[{kind}] in the shared cache: {_stored_sizes()}")
    endpoints.time_all(client, kinds)
    print(f"[{kind}] load average after: {_load()}")


def _import() -> float:
    """Import the tests' small CCNI file: a new data version, and a warm-up job queued."""
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("import_register", "--source", "ccni", str(CCNI), stdout=io.StringIO())
    return time.perf_counter() - started


def _run_worker() -> str:
    """Run the queued jobs in a worker process; how long the warm-up job took."""
    from swim.discovery.concentration import WARM_UP_KIND
    from swim.jobs.models import Job

    started = time.perf_counter()
    worker = [sys.executable, "-m", "swim", "db_worker", "--batch", "--no-startup-delay"]
    subprocess.run([*worker, "--no-reload", "--verbosity", "0"], check=True, cwd=endpoints.ROOT)
    wall = time.perf_counter() - started
    job = Job.objects.filter(kind=WARM_UP_KIND).latest("pk")
    assert job.status == Job.Status.SUCCEEDED, (job.status, job.error)
    assert job.started_at is not None
    assert job.finished_at is not None
    ran = (job.finished_at - job.started_at).total_seconds()
    return f"{ran:.1f} s (the worker process {wall:.1f} s in all): “{job.message}”"


def _forget_this_process() -> None:
    """Empty this process's own caches: it is now a web process that has not shown the map."""
    from django.core.cache import caches

    from swim.discovery import concentration

    concentration._held.clear()
    caches["default"].clear()


def _stored_sizes() -> str:
    from django.core.cache import caches
    from django.db import connection

    from swim.discovery.concentration import SHARED_CACHE

    table = caches[SHARED_CACHE]._table  # type: ignore[attr-defined]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT cache_key, LENGTH(value) FROM {table} ORDER BY cache_key")  # noqa: S608
        rows = cursor.fetchall()
    return ", ".join(f"{key.rsplit(':', 1)[-1]} {size / 1e6:.1f} MB" for key, size in rows)


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
