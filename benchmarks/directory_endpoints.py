"""How fast the directory's pages answer with 170,000 organisations (the E&W register's size).

Usage: ``python benchmarks/directory_endpoints.py [sqlite|postgresql|both]`` (default both);
``BENCH_TOTAL`` sets another number of organisations, ``BENCH_ONLY=word`` times only the
kinds of request whose label holds that text (``BENCH_ONLY=new`` for the uncached searches).

Builds a throw-away database (a temporary SQLite file, or a database ``swim_bench_endpoints``
on the PostgreSQL server at ``BENCH_PG_URL``, default ``postgres://postgres@127.0.0.1:5432``)
holding 170,000 organisations: one seeded sample area (:mod:`swim.directory.sample`) per local
authority of England and Wales (348), sized in proportion to the authority's postcodes and
moved onto its real postcode districts (positions, postcodes, place names and authority names
from ``../shared/data``), so names, incomes, classifications, networks (2,000: national
federations and each area's forums) and ties keep the sample's mix. Activities are real
register text from the UK-CAT sample (220 characters on average, as in the register, twice
the sample's); charitable objects stay empty, as the CCEW importer leaves them. Without the
shared data, areas are laid out on a grid with made-up names and the sample's activities.

Then, signed in as a facilitator through Django's test client (middleware, permission checks,
templates and all), each kind of request is made once ("first": empty caches for that
request) and then :data:`RUNS` times; the script prints that first time, the median, the 95th
percentile and the slowest in milliseconds, and the SQL queries per request
(``CaptureQueriesContext``). Most kinds repeat the same request, as a person paging back and
forth or switching between list and map does; the last three ask for a new word each time,
which no cache helps. A streamed CSV is timed to its last byte.

Indexes proposed for a migration (:data:`PROPOSED_INDEXES`) that the database lacks are then
created and everything is timed again, with the caches emptied.
"""

from __future__ import annotations

import csv
import math
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("SWIM_SHARED_DATA", ROOT.parent / "shared" / "data"))

TOTAL = int(os.environ.get("BENCH_TOTAL", "170000"))
RUNS = 20
DATABASE = "swim_bench_endpoints"
ENGLAND_AND_WALES = "-6.5,49.8,2.0,55.9"  # a browser showing all of it, at zoom 7


@dataclass
class District:
    """A postcode district of an authority, standing in for one of the sample's neighbourhoods."""

    outcode: str
    latitude: float
    longitude: float
    place: str


@dataclass
class Authority:
    code: str
    name: str
    size: int  # organisations
    districts: list[District]


# --- The local authorities -----------------------------------------------------------------


def authorities(total: int) -> list[Authority]:
    """E&W local authorities with their postcode districts, ``total`` organisations shared out."""
    from swim.directory.sample import _PLANTED_COUNT

    centroids = SHARED / "uk-postcodes" / "gb_outcode_centroids_codepoint_2014.csv"
    if centroids.is_file():
        found = _real_authorities(centroids)
    else:
        print("(shared data not found: areas on a grid with made-up names)")
        found = _grid_authorities(340)
    weights = [sum(d for d in weight_of) for _a, weight_of in found]
    shares = [total * w / sum(weights) for w in weights]
    sizes = [max(_PLANTED_COUNT, math.floor(s)) for s in shares]
    order = sorted(range(len(found)), key=lambda i: shares[i] - math.floor(shares[i]))
    while sum(sizes) < total:  # largest remainders first
        sizes[order.pop()] += 1
    while sum(sizes) > total:
        sizes[sizes.index(max(sizes))] -= 1
    result = []
    for (authority, _), size in zip(found, sizes, strict=True):
        authority.size = size
        result.append(authority)
    return result


def _real_authorities(centroids: Path) -> list[tuple[Authority, list[int]]]:
    names = {}
    lookup = SHARED / "charity-lookups" / "cc-aoo-gss-iso-new.csv"
    if lookup.is_file():
        with lookup.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                if row["geographic_area_type"] == "Local Authority" and row["GSS"]:
                    names[row["GSS"]] = row["geographic_area_description"]
    places: dict[str, list[str]] = defaultdict(list)
    with (SHARED / "uk-postcodes" / "geonames_GB.txt").open(encoding="utf-8") as handle:
        for line in handle:
            parts = line.split("\t")
            places[parts[1]].append(parts[2])
    by_code: dict[str, list[tuple[int, District]]] = defaultdict(list)
    with centroids.open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row["lad"][:2] not in {"E0", "W0"} or not row["lat"]:
                continue
            district = District(row["outcode"], float(row["lat"]), float(row["lon"]), "")
            by_code[row["lad"]].append((int(row["n_postcodes"]), district))
    found = []
    taken: set[str] = set()
    for code, rows in sorted(by_code.items()):
        rows.sort(key=lambda r: -r[0])
        used: set[str] = set()
        for _, district in rows:
            options = places.get(district.outcode) or [district.outcode]
            district.place = next((p for p in options if p not in used), options[0])
            used.add(district.place)
        name = names.get(code) or rows[0][1].place
        name = name if name not in taken else f"{name} ({code})"
        taken.add(name)
        found.append((Authority(code, name, 0, [d for _, d in rows]), [n for n, _ in rows]))
    return found


def _grid_authorities(count: int) -> list[tuple[Authority, list[int]]]:
    rng = random.Random(340)
    found = []
    for k in range(count):
        lat, lon = 50.6 + 4.4 * (k // 20) / 17, -4.5 + 5.5 * (k % 20) / 19
        districts = [
            District(f"ZZ{k * 20 + i}", lat + rng.uniform(-0.05, 0.05),
                     lon + rng.uniform(-0.08, 0.08), f"Place {k}-{i}")
            for i in range(20)
        ]  # fmt: skip
        found.append(
            (Authority(f"X{k:08d}", f"Borough {k}", 0, districts), [rng.randint(200, 4000)])
        )
    return found


# --- Writing the organisations -----------------------------------------------------------


def activities_texts() -> list[str]:
    """Real register activities (the UK-CAT sample of E&W charities), or none without it.

    The register's activities run to 220 characters on average, twice the sample's; what
    the register does not give (charitable objects) stays empty, as the CCEW importer
    leaves it.
    """
    path = SHARED / "ukcat-sample" / "sample.csv"
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return [row["activities"] for row in csv.DictReader(handle) if len(row["activities"]) > 20]


def fill(total: int) -> dict[str, Any]:
    """Write ``total`` organisations; return facts the requests need (largest authority...)."""
    from django.db import connection, transaction
    from django.utils.text import slugify

    from swim.directory.models import (
        GeocodePrecision,
        IncomeBand,
        Network,
        NetworkMembership,
        Organisation,
        Tie,
    )
    from swim.directory.sample import NEIGHBOURHOODS, _classifications, generate_sample_area

    la_list = authorities(total)
    texts = activities_texts()
    classes = _classifications()
    through = Organisation.classifications.through
    hoods = {n.name: n for n in NEIGHBOURHOODS}
    pattern = re.compile(
        r"\b("
        + "|".join(re.escape(n) for n in sorted([*hoods, "Trafford"], key=len)[::-1])
        + r")\b"
    )
    network_members: dict[str, tuple[str, list[tuple[int, str]]]] = {}
    serial = 0
    started = time.perf_counter()
    for index, la in enumerate(la_list):
        area = generate_sample_area(seed=index + 1, size=la.size)
        place_of = {name: la.districts[i % len(la.districts)] for i, name in enumerate(hoods)}
        words = {name: district.place for name, district in place_of.items()}
        words["Trafford"] = la.name

        def local(text: str, words: dict[str, str] = words) -> str:
            return pattern.sub(lambda m: words[m.group(1)], text)

        rows = []
        for o in area.organisations:
            hood, district = hoods[o.neighbourhood], place_of[o.neighbourhood]
            serial += 1
            rows.append(
                Organisation(
                    org_id=f"GB-CHC-{1_000_000 + serial}",
                    name=local(o.name),
                    address=local(o.address),
                    postcode=f"{district.outcode} {o.postcode.split(' ')[1]}",
                    latitude=round(district.latitude + o.latitude - hood.latitude, 6),
                    longitude=round(district.longitude + o.longitude - hood.longitude, 6),
                    geocode_precision=GeocodePrecision.UNIT,
                    local_authority_code=la.code,
                    local_authority=la.name,
                    area_of_operation=la.name,
                    income=o.income,
                    income_band=IncomeBand.for_income(o.income),
                    date_registered=o.date_registered,
                    activities=texts[serial % len(texts)] if texts else local(o.activities),
                    source="benchmark",
                )
            )
        with transaction.atomic():
            Organisation.objects.bulk_create(rows, batch_size=1000)
            if rows[0].pk is None:  # a database that does not return keys from bulk inserts
                pks = dict(
                    Organisation.objects.filter(org_id__in=[r.org_id for r in rows]).values_list(
                        "org_id", "pk"
                    )
                )
                for r in rows:
                    r.pk = pks[r.org_id]
            pk_of = {o.number: r.pk for o, r in zip(area.organisations, rows, strict=True)}
            through.objects.bulk_create(
                [
                    through(organisation_id=pk_of[o.number], classification_id=classes[ref])
                    for o in area.organisations
                    for ref in o.classifications
                ],
                batch_size=5000,
            )
            Tie.objects.bulk_create(
                [
                    Tie(
                        a_id=min(pk_of[t.a], pk_of[t.b]),
                        b_id=max(pk_of[t.a], pk_of[t.b]),
                        kind=t.kind,
                        source="benchmark",
                        evidence=t.evidence,
                    )
                    for t in area.ties
                ],
                batch_size=2000,
            )
        for n in area.networks:
            name = local(n.name)
            network_members.setdefault(name, (n.kind, []))[1].extend(
                (pk_of[number], role) for number, role in n.members
            )
        if (index + 1) % 50 == 0:
            print(f"  {serial:,} organisations in {time.perf_counter() - started:.0f} s")
    slugs: dict[str, str] = {}
    for name in network_members:
        slug = slugify(name)[:110]
        slugs[name] = slug if slug not in slugs.values() else f"{slug}-{len(slugs)}"
    Network.objects.bulk_create(
        [Network(name=n, slug=slugs[n], kind=kind) for n, (kind, _) in network_members.items()]
    )
    network_pk = dict(Network.objects.values_list("slug", "pk"))
    NetworkMembership.objects.bulk_create(
        [
            NetworkMembership(network_id=network_pk[slugs[name]], organisation_id=pk, role=role)
            for name, (_, members) in network_members.items()
            for pk, role in members
        ],
        batch_size=5000,
        ignore_conflicts=True,
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    biggest = max(la_list, key=lambda la: la.size)
    federation = max(network_members.items(), key=lambda item: len(item[1][1]))[0]
    return {
        "authority": biggest,
        "network": slugs[federation],
        "seconds": time.perf_counter() - started,
    }


# --- Timing -------------------------------------------------------------------------------

ONE_WORD = [
    "church", "youth", "school", "trust", "club", "centre", "football", "music", "garden",
    "food", "older", "women", "art", "scouts", "friends", "hall", "village", "support",
    "family", "cricket",
]  # fmt: skip
TWO_WORDS = [
    "youth club", "community centre", "food bank", "parish church", "football club",
    "older people", "sports club", "arts centre", "village hall", "primary school",
    "children centre", "mental health", "toddler group", "carers support", "housing advice",
    "music festival", "dance school", "credit union", "women centre", "family support",
]  # fmt: skip


@dataclass
class Kind:
    """A kind of request: the same one each run, or one from ``queries`` in turn."""

    label: str
    path: str
    queries: list[dict[str, Any]]


def requests(facts: dict[str, Any]) -> list[Kind]:
    """The kinds of request timed."""
    from django.urls import reverse

    from swim.directory.models import Organisation

    la: Authority = facts["authority"]
    centre = la.districts[0]
    town = _box(centre.latitude, centre.longitude, 0.20, 0.09)
    streets = _box(centre.latitude, centre.longitude, 0.007, 0.003)
    directory, export, org_map, data = (
        reverse(name)
        for name in ("directory-search", "directory-export", "directory-map", "directory-map-data")
    )
    tied = Organisation.objects.filter(ties_as_a__isnull=False).order_by("pk").first()
    assert tied is not None
    same = [
        ("directory, first page", directory, {}),
        ("search: one word", directory, {"q": "community"}),
        ("search: two words", directory, {"q": "youth club"}),
        (f"filter: local authority ({la.size:,})", directory, {"local_authority": la.name}),
        (
            "filter: income band + network",
            directory,
            {"income_band": ["small", "medium"], "network": facts["network"]},
        ),
        ("sort: income, largest first", directory, {"sort": "-income"}),
        ("deep page (50)", directory, {"page": 50}),
        ("results fragment (HTMX), one word", directory, {"q": "community", "htmx": True}),
        (f"CSV export: local authority ({la.size:,})", export, {"local_authority": la.name}),
        ("organisation page", tied.get_absolute_url(), {}),
        ("map page", org_map, {}),
        ("map data: England and Wales, z7", data, {"bbox": ENGLAND_AND_WALES, "zoom": 7}),
        ("map data: a town, z12", data, {"bbox": town, "zoom": 12}),
        ("map data: a few streets, z16", data, {"bbox": streets, "zoom": 16}),
    ]
    kinds = [Kind(label, path, [query]) for label, path, query in same]
    kinds += [
        Kind("search: a new word each time", directory, [{"q": w} for w in ONE_WORD]),
        Kind("search: two new words each time", directory, [{"q": w} for w in TWO_WORDS]),
        Kind("map page: a new word each time", org_map, [{"q": w} for w in reversed(ONE_WORD)]),
    ]
    return kinds


def _box(lat: float, lon: float, width: float, height: float) -> str:
    return (
        f"{lon - width / 2:.4f},{lat - height / 2:.4f},{lon + width / 2:.4f},{lat + height / 2:.4f}"
    )


def timed(client: Any, path: str, query: dict[str, Any]) -> tuple[float, int, int]:
    """Milliseconds for one request (reading a streamed body to the end), queries, bytes."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    query = dict(query)
    headers = {"HX-Request": "true"} if query.pop("htmx", False) else {}
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get(path, query, headers=headers)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        ms = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (path, query, response.status_code, body[:300])
    return ms, len(queries), len(body)


def time_all(client: Any, kinds: list[Kind]) -> None:
    """Print, per kind: first request, median, 95th percentile and slowest ms; queries."""
    print(
        f"{'request':<42} {'first':>7} {'p50':>7} {'p95':>7} {'max':>7}  {'queries':<12} "
        f"{'bytes':>9}"
    )
    for kind in kinds:
        first, first_queries, _ = timed(client, kind.path, kind.queries[0])
        runs = [kind.queries[(i + 1) % len(kind.queries)] for i in range(RUNS)]
        results = [timed(client, kind.path, query) for query in runs]
        times = sorted(ms for ms, _, _ in results)
        counts = sorted({n for _, n, _ in results})
        shown = "/".join(str(n) for n in counts)
        if first_queries not in counts:
            shown += f" ({first_queries} 1st)"
        p95 = statistics.quantiles(times, n=20, method="inclusive")[18]
        print(
            f"{kind.label:<42} {first:7.1f} {statistics.median(times):7.1f} {p95:7.1f} "
            f"{times[-1]:7.1f}  {shown:<12} {results[-1][2]:>9,}"
        )


# The indexes proposed for a migration (by these names): created here when missing, after a
# first round of timings, to compare; once a migration has made them, there is one round.
PROPOSED_INDEXES = {
    "directory_org_la_name_idx": "(local_authority, name)",
}
PROPOSED_POSTGRESQL_INDEXES: dict[str, str] = {}


def missing_indexes() -> list[str]:
    """The statements creating the proposed indexes that the database does not have."""
    from django.db import connection

    wanted = dict(PROPOSED_INDEXES)
    if connection.vendor == "postgresql":
        wanted.update(PROPOSED_POSTGRESQL_INDEXES)
    with connection.cursor() as cursor:
        present = connection.introspection.get_constraints(cursor, "directory_organisation")
    statements = [
        f"CREATE INDEX {name} ON directory_organisation {definition}"
        for name, definition in wanted.items()
        if name not in present
    ]
    return statements


def create_indexes(statements: list[str]) -> float:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
        cursor.execute("ANALYZE")
    return time.perf_counter() - started


def measure(kind: str) -> None:
    setup_database(kind)
    try:
        run_timings(kind)
    finally:
        teardown_database(kind)


def run_timings(kind: str) -> None:
    from django.core.cache import cache
    from django.test import Client

    from swim.accounts.models import Role, User
    from swim.directory.models import Organisation

    facts = fill(TOTAL)
    print(
        f"[{kind}] {Organisation.objects.count():,} organisations written in "
        f"{facts['seconds']:.0f} s; each request once ('first'), then {RUNS} runs"
    )
    client = Client()
    client.force_login(User.objects.create_user("bench@example.org", "x", role=Role.FACILITATOR))
    kinds = [k for k in requests(facts) if os.environ.get("BENCH_ONLY", "") in k.label]
    missing = missing_indexes()
    print(f"[{kind}] the schema as migrated" + (" (all proposed indexes present)" * (not missing)))
    time_all(client, kinds)
    if missing:
        seconds = create_indexes(missing)
        cache.clear()
        print(f"\n[{kind}] with the proposed indexes (created in {seconds:.0f} s), caches emptied")
        time_all(client, kinds)


def setup_database(kind: str) -> None:
    folder = tempfile.mkdtemp(prefix="swim-bench-endpoints-")
    os.environ["SWIM_VAR_DIR"] = folder
    if kind == "postgresql":
        _psql(f"DROP DATABASE IF EXISTS {DATABASE}")
        _psql(f"CREATE DATABASE {DATABASE}")
        os.environ["DATABASE_URL"] = f"{_server()}/{DATABASE}"
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "swim.settings"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def teardown_database(kind: str) -> None:
    from django.db import connections

    connections.close_all()
    if kind == "postgresql":
        _psql(f"DROP DATABASE IF EXISTS {DATABASE}")


def _server() -> str:
    return os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")


def _psql(sql: str) -> None:
    subprocess.run(["psql", f"{_server()}/postgres", "-qc", sql], check=True, capture_output=True)


def _kinds(argument: str) -> Iterator[str]:
    yield from ("sqlite", "postgresql") if argument == "both" else (argument,)


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "both"
    if which == "both":
        for kind in _kinds(which):
            subprocess.run([sys.executable, __file__, kind], check=True)
    else:
        measure(which)
