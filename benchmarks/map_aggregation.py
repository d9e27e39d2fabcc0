"""How fast the directory map answers with 50,000 organisations, and how much it sends.

Usage: ``python benchmarks/map_aggregation.py [sqlite|postgresql|both]`` (default sqlite).

Builds a throw-away database (a temporary SQLite file, or a database ``swim_bench_map`` on
the PostgreSQL server at ``BENCH_PG_URL``, default ``postgres://postgres@127.0.0.1:5432``)
holding the 3,000-organisation sample area plus 47,000 more organisations around 60 town
centres of a region about 110 km by 90 km, then times the map endpoint ``/directory/map/data/``
(through Django's test client, so with middleware, permission check and JSON) for views a
browser asks for. Prints the median of several runs and the payload size in bytes, next to
what sending every organisation as a marker would weigh.
"""

from __future__ import annotations

import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOTAL = 50_000
RUNS = 7
REGION = (53.00, -3.00, 53.80, -1.50)  # south, west, north, east: a large metropolitan region
# (label, bbox west,south,east,north, zoom): what a browser of about 1,200 x 600 pixels sends.
VIEWS = [
    ("whole region, zoom 9", "-3.05,52.95,-1.45,53.85", 9),
    ("the sample borough, zoom 12", "-2.55,53.33,-2.15,53.51", 12),
    ("one neighbourhood, zoom 14", "-2.36,53.43,-2.26,53.47", 14),
    ("a few streets, zoom 16", "-2.318,53.440,-2.304,53.446", 16),
]


def setup_database(kind: str) -> None:
    folder = tempfile.mkdtemp(prefix="swim-bench-map-")
    os.environ["SWIM_VAR_DIR"] = folder
    if kind == "postgresql":
        server = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
        for sql in ("DROP DATABASE IF EXISTS swim_bench_map", "CREATE DATABASE swim_bench_map"):
            subprocess.run(["psql", f"{server}/postgres", "-qc", sql], check=True)
        os.environ["DATABASE_URL"] = f"{server}/swim_bench_map"
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "swim.settings"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def fill(total: int) -> float:
    """The sample area, then organisations around town centres; seconds for the sample."""
    from swim.directory.models import Organisation
    from swim.directory.sample import ensure_sample_area

    started = time.perf_counter()
    sample = ensure_sample_area()
    sample_seconds = time.perf_counter() - started
    rng = random.Random(50_000)
    south, west, north, east = REGION
    towns = [(rng.uniform(south, north), rng.uniform(west, east), rng.uniform(0.004, 0.02))
             for _ in range(60)]  # fmt: skip
    weights = [rng.paretovariate(1.2) for _ in towns]
    rows = []
    for i in range(total - sample):
        if rng.random() < 0.1:
            lat, lon = rng.uniform(south, north), rng.uniform(west, east)
        else:
            t_lat, t_lon, spread = rng.choices(towns, weights)[0]
            lat = rng.gauss(t_lat, spread)
            lon = rng.gauss(t_lon, spread / math.cos(math.radians(t_lat)))
        rows.append(
            Organisation(
                org_id=f"XI-BENCH-{i}", name=f"Benchmark Organisation {i}", source="benchmark",
                postcode=f"BX{i % 97} {i % 10}AB", latitude=lat, longitude=lon,
            )
        )  # fmt: skip
    Organisation.objects.bulk_create(rows, batch_size=2000)
    return sample_seconds


def timed_get(client: object, url: str, params: dict[str, object]) -> tuple[float, bytes]:
    times, content = [], b""
    for _ in range(RUNS):
        started = time.perf_counter()
        response = client.get(url, params)  # type: ignore[attr-defined]
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.content[:300]
        content = response.content
    return statistics.median(times) * 1000, content


def measure(kind: str) -> None:
    setup_database(kind)
    from django.test import Client
    from django.urls import reverse

    from swim.accounts.models import Role, User
    from swim.directory.models import Organisation

    sample_seconds = fill(TOTAL)
    count = Organisation.objects.count()
    print(f"[{kind}] {count:,} organisations; the 3,000-organisation sample area was "
          f"written in {sample_seconds:.2f} s")  # fmt: skip
    client = Client()
    client.force_login(User.objects.create_user("bench@example.org", "x", role=Role.FACILITATOR))
    everything = list(Organisation.objects.values("org_id", "name", "latitude", "longitude"))
    print(f"[{kind}] every organisation as a marker would be "
          f"{len(json.dumps(everything).encode()):,} bytes of JSON")  # fmt: skip
    url = reverse("directory-map-data")
    for label, bbox, zoom in VIEWS:
        ms, content = timed_get(client, url, {"bbox": bbox, "zoom": zoom})
        payload = json.loads(content)
        shown = f"{len(payload['cells'])} cells" if payload["mode"] == "cells" else (
            f"{len(payload['points'])} points")  # fmt: skip
        print(f"[{kind}] {label:<30} {payload['total']:>6,} in view -> {shown:<11} "
              f"{ms:7.1f} ms (median of {RUNS})  {len(content):>7,} bytes")  # fmt: skip
    ms, content = timed_get(client, url, {"bbox": VIEWS[0][1], "zoom": 9, "q": "community"})
    payload = json.loads(content)
    print(f"[{kind}] {'whole region, filtered q=community':<30} {payload['total']:>6,} in view "
          f"-> {len(payload['cells'])} cells {ms:7.1f} ms  {len(content):>7,} bytes")  # fmt: skip
    ms, content = timed_get(client, reverse("directory-map"), {})
    print(f"[{kind}] the map page (summary, bounds, districts) {ms:7.1f} ms "
          f"{len(content):>7,} bytes of HTML")  # fmt: skip


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    if which == "both":
        for kind in ("sqlite", "postgresql"):
            subprocess.run([sys.executable, __file__, kind], check=True)
    else:
        measure(which)
