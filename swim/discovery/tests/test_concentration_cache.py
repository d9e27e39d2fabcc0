"""The concentration map's counts: one shared cache for every process, warmed after imports."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from swim import settings as swim_settings
from swim.directory.models import Classification
from swim.directory.search import data_version
from swim.discovery import concentration
from swim.discovery.concentration import (
    CACHE_SECONDS,
    LEVELS,
    SHARED_CACHE,
    WARM_UP_KIND,
    Stored,
    cache_key,
    field_table,
    register,
)
from swim.jobs.models import Job
from swim.testing import Personas, make_org

URL = "/discovery/concentration/"
CCNI = Path(__file__).parents[2] / "directory" / "tests" / "data" / "ccni_small.csv"
QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture(autouse=True)
def _empty_caches(db: None) -> Iterator[None]:
    """Each test starts as a new process would, with nothing in the shared cache."""
    concentration._held.clear()
    caches[SHARED_CACHE].clear()
    yield
    concentration._held.clear()
    caches[SHARED_CACHE].clear()


@pytest.fixture
def food(db: None) -> Classification:
    """Alpha: 10 organisations, 6 of them food banks; Beta: 10, 1 food bank."""
    food = Classification.objects.create(scheme="ukcat", code="FO", label="Food banks")
    for area, postcode, in_field in [("Alpha", "AA1 1AA", 6), ("Beta", "BB2 2BB", 1)]:
        for i in range(10):
            org = make_org(local_authority=area, postcode=postcode)
            if i < in_field:
                org.classifications.add(food)
    return food


def import_ccni(path: Path = CCNI) -> None:
    call_command("import_register", "--source", "ccni", str(path), verbosity=0)


def stored(level: str) -> Stored:
    """What the shared cache holds for ``level`` (the test fails if it holds nothing)."""
    found = caches[SHARED_CACHE].get(cache_key(level))
    assert isinstance(found, Stored), f"nothing stored for {level}"
    return found


def counting_queries(client: Client, params: dict[str, Any]) -> list[str]:
    """The SQL of a concentration page request that (re)computes the grouped counts."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL, params).status_code == 200
    return [q["sql"] for q in queries.captured_queries if "GROUP BY" in q["sql"]]


def test_an_import_queues_a_warm_up_job_that_fills_the_shared_cache(
    client: Client, personas: Personas, food: Classification
) -> None:
    import_ccni()
    job = Job.objects.get(kind=WARM_UP_KIND)
    assert job.status == Job.Status.SUCCEEDED
    assert job.label == "Prepare the concentration map"
    assert job.result["next_url"] == URL
    districts = len(register("district").areas)
    assert job.message.startswith(
        f"The concentration map is ready: areas 2 by local authority and {districts} by postcode"
    )
    version = data_version()
    for level in LEVELS:
        assert stored(level).version == version, level
    concentration._held.clear()  # another web process: only the shared cache has the counts
    client.force_login(personas.facilitator)
    assert counting_queries(client, {"field": food.pk}) == []
    assert counting_queries(client, {"level": "district"}) == []
    admin = Client()
    admin.force_login(personas.admin)
    assert "Prepare the concentration map" in admin.get("/jobs/").content.decode()


def test_without_a_warm_up_the_first_page_counts_and_shares_the_counts(
    client: Client, personas: Personas, food: Classification
) -> None:
    client.force_login(personas.facilitator)
    assert counting_queries(client, {"field": food.pk})  # nothing cached: the page counts
    assert stored("local_authority").version == data_version()
    concentration._held.clear()  # another process: it reads what the first one stored
    assert counting_queries(client, {"field": food.pk}) == []


@pytest.mark.django_db(transaction=True)
def test_the_import_does_not_wait_for_the_warm_up_which_the_worker_runs(
    settings: Any, food: Classification
) -> None:
    settings.TASKS = QUEUE
    import_ccni()
    job = Job.objects.get(kind=WARM_UP_KIND)
    assert job.status == Job.Status.QUEUED  # the import has finished; the counts are to come
    assert caches[SHARED_CACHE].get(cache_key("local_authority")) is None
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert (job.done, job.total) == (2, 2)
    entry = stored("local_authority")
    assert entry.version == data_version()
    assert {row.area for row in field_table(entry.register, food.pk)} == {"Alpha", "Beta"}


def test_an_import_uploaded_in_the_browser_warms_the_map_too(
    client: Client, personas: Personas, food: Classification
) -> None:
    client.force_login(personas.facilitator)
    upload = SimpleUploadedFile("ccni.csv", CCNI.read_bytes())
    client.post("/directory/imports/new/", {"source": "ccni", "file": upload})
    assert Job.objects.get(kind="directory.import").status == Job.Status.SUCCEEDED
    job = Job.objects.get(kind=WARM_UP_KIND)
    assert (job.status, job.created_by) == (Job.Status.SUCCEEDED, personas.facilitator)
    assert stored("district").version == data_version()


def test_a_new_import_changes_the_version_so_the_page_counts_again(
    settings: Any, client: Client, personas: Personas, food: Classification, tmp_path: Path
) -> None:
    import_ccni()
    first = stored("local_authority")
    settings.TASKS = QUEUE  # this time the warm-up waits for a worker that is not running
    lines = CCNI.read_text().splitlines()
    smaller = tmp_path / "ccni.csv"
    smaller.write_text("\n".join(lines[:-1]) + "\n")
    import_ccni(smaller)
    assert data_version() != first.version
    assert not first.serves(data_version())
    make_org(local_authority="Gamma", postcode="CC3 3CC").classifications.add(food)
    client.force_login(personas.facilitator)
    assert counting_queries(client, {"field": food.pk})  # the stored counts are outdated
    html = client.get(URL, {"field": food.pk}).content.decode()
    assert "Gamma" in html
    assert stored("local_authority").version == data_version() != first.version


def test_a_waiting_warm_up_is_not_queued_twice(settings: Any, food: Classification) -> None:
    settings.TASKS = QUEUE
    import_ccni()
    import_ccni()
    assert Job.objects.filter(kind=WARM_UP_KIND).count() == 1


def test_a_warm_up_of_counts_already_stored_computes_nothing(food: Classification) -> None:
    for level in LEVELS:
        register(level)
    summary = concentration.warm_up()
    assert summary["computed"] == []
    assert summary["areas"] == {"local_authority": 2, "district": 2}


def test_counts_older_than_the_cache_time_are_computed_again(food: Classification) -> None:
    """An edit of an older organisation keeps the data version: it shows within the hour."""
    version = data_version()
    old = Stored(version, time.time() - CACHE_SECONDS - 1, register("local_authority"))
    assert not old.serves(version)
    caches[SHARED_CACHE].set(cache_key("local_authority"), old, timeout=None)
    concentration._held["local_authority"] = old
    reg = register("local_authority")
    assert reg is not old.register
    assert stored("local_authority").serves(version)


def test_the_database_cache_keeps_the_counts_on_this_database(food: Classification) -> None:
    """Runs on SQLite and, with DATABASE_URL=postgres://…, on PostgreSQL."""
    if swim_settings.env("SWIM_CACHE_URL"):
        pytest.skip("SWIM_CACHE_URL chooses another shared cache for this run")
    cache = caches[SHARED_CACHE]
    assert isinstance(cache, DatabaseCache)
    reg = register("district")
    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM swim_cache")
        keys = [row[0] for row in cursor.fetchall()]
    assert any(key.endswith(cache_key("district")) for key in keys)
    entry = stored("district")
    assert entry.register.areas == reg.areas == ["AA1", "BB2"]
    assert (entry.register.result.lq == reg.result.lq).all()


@pytest.mark.parametrize(
    ("url", "backend", "location"),
    [("db://swim_cache", "db.DatabaseCache", "swim_cache"),
     ("db://", "db.DatabaseCache", "swim_cache"),
     ("locmem://", "locmem.LocMemCache", "shared")],
)  # fmt: skip
def test_swim_cache_url_chooses_the_shared_cache(url: str, backend: str, location: str) -> None:
    config = swim_settings._shared_cache(url)
    assert config == {"BACKEND": f"django.core.cache.backends.{backend}", "LOCATION": location}


def test_a_redis_address_needs_the_redis_package(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "redis://127.0.0.1:6379/0"
    monkeypatch.setattr(swim_settings.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ImproperlyConfigured, match=r"pip install '\.\[redis\]'"):
        swim_settings._shared_cache(url)
    monkeypatch.setattr(swim_settings.importlib.util, "find_spec", lambda name: object())
    config = swim_settings._shared_cache(url)
    assert config == {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}


def test_an_unknown_cache_address_is_refused_with_the_choices() -> None:
    with pytest.raises(ImproperlyConfigured, match="must be db://TABLE, redis://"):
        swim_settings._shared_cache("memcached://127.0.0.1:11211")


def test_a_redis_shared_cache_keeps_the_counts(settings: Any, food: Classification) -> None:
    """SWIM_CACHE_URL=redis://…: the counts go to Redis (the machine's server, database 15)."""
    redis = pytest.importorskip("redis", reason="the redis extra is not installed")
    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis server answers at {url}")
    prefix = f"swim-test-{time.monotonic_ns()}"
    settings.CACHES = {
        **settings.CACHES,
        SHARED_CACHE: {**swim_settings._shared_cache(url), "KEY_PREFIX": prefix},
    }
    concentration._held.clear()
    try:
        reg = register("district")
        client = redis.Redis.from_url(url)
        assert any(key.decode().startswith(prefix) for key in client.scan_iter(f"{prefix}*"))
        concentration._held.clear()  # a new process: only Redis holds the counts
        assert stored("district").register.areas == reg.areas == ["AA1", "BB2"]
    finally:
        caches[SHARED_CACHE].clear()
