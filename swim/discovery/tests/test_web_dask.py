"""Web runs work on the dask cluster at ``SWIM_DASK_SCHEDULER`` when one is configured.

The cluster is a ``LocalCluster`` of one worker thread in this process, reached over TCP,
without a dashboard, started once for the module; the settings are changed per test with
pytest-django's ``settings`` fixture, so they are read when a run starts, not at import.
"""

from __future__ import annotations

import importlib.util
import re
import socket
import sys
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from swim.discovery import actions
from swim.discovery.actions import (
    do_cancel_discovery,
    do_create_run,
    do_run_discovery,
    do_start_discovery,
    engine_parameters,
)
from swim.discovery.models import CandidateCluster, CandidateMember, DiscoveryRun
from swim.discovery.tests.conftest import Area, make_planted_area
from swim.engine.distributed import QUIET_CLUSTER, public_address
from swim.testing import Personas, make_org

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        importlib.util.find_spec("dask") is None, reason="needs the 'distributed' extra"
    ),
]
FORM = {"mode": "area", "local_authority": "Trafford", "min_size": "4", "max_size": "12",
        "max_span_km": "5", "max_income_share": "0.5", "radius_km": "3", "seed": "0"}  # fmt: skip
ENGINE = {"min_size": 4, "max_size": 12, "max_span_km": 5.0, "max_income_share": 0.5,
          "radius_km": 3.0, "seed": 0}  # fmt: skip


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """A dask cluster of one worker thread in this process, reached over TCP like a real
    one (``tcp://127.0.0.1:…``), without a dashboard (no warning about port 8787)."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        protocol="tcp://",
        **QUIET_CLUSTER,
    ) as found:
        yield found


@pytest.fixture
def facilitator(client: Client, personas: Personas) -> Client:
    client.force_login(personas.facilitator)
    return client


@pytest.fixture
def quick_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give up on an unreachable scheduler after 1 s instead of 10."""
    monkeypatch.setattr(actions, "SCHEDULER_TIMEOUT", 1.0)


def closed_port() -> int:
    """A local port nothing listens on (it was free a moment ago)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def start(client: Client, **changes: str) -> DiscoveryRun:
    response = client.post("/discovery/", {**FORM, **changes})
    assert response.status_code == 302, response.content.decode()[:2000]
    run = DiscoveryRun.objects.latest("pk")
    assert run.status == DiscoveryRun.Status.SUCCEEDED, run.error
    return run


def found(run: DiscoveryRun) -> list[tuple[int, list[str]]]:
    """Each candidate's rank and members' org-ids."""
    return [
        (c.rank, sorted(c.members.values_list("organisation__org_id", flat=True)))
        for c in run.candidates.order_by("rank")
    ]


def tasks_run_by(cluster: Any) -> set[str]:
    """The kinds of task the cluster's scheduler has run (``region_clusters``…)."""
    return set(cluster.scheduler.task_prefixes)


def test_a_web_run_works_on_the_configured_cluster_and_finds_the_local_candidates(
    facilitator: Client, area: Area, settings: Any, cluster: Any
) -> None:
    """With SWIM_DASK_SCHEDULER set, the run records the dask engine and its address, its
    regions are clustered by the cluster, and its candidates are the local run's."""
    settings.SWIM_DASK_SCHEDULER = ""
    local = start(facilitator)
    assert "engine" not in local.engine_parameters
    settings.SWIM_DASK_SCHEDULER = cluster.scheduler_address
    assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
    remote = start(facilitator)
    assert remote.engine_parameters["engine"] == "dask"
    assert remote.engine_parameters["scheduler_address"] == cluster.scheduler_address
    assert remote.engine_note == ""
    assert "region_clusters" in tasks_run_by(cluster)
    assert found(local), "the planted area has candidates"
    assert found(remote) == found(local)
    page = facilitator.get(remote.get_absolute_url()).content.decode()
    assert f"On the dask cluster at {cluster.scheduler_address}" in page
    assert "On this machine" in facilitator.get(local.get_absolute_url()).content.decode()
    runs = facilitator.get("/discovery/").content.decode()
    assert f"On the dask cluster at {cluster.scheduler_address}" in runs
    assert "On this machine" in runs


def test_an_unreachable_scheduler_runs_on_this_machine_and_says_why(
    facilitator: Client, area: Area, settings: Any, quick_timeout: None
) -> None:
    """The run goes on locally (same candidates), the run page says the scheduler could not
    be reached and how to stop trying; earlier runs and their candidates are untouched."""
    settings.SWIM_DASK_SCHEDULER = ""
    earlier = start(facilitator)
    kept = list(CandidateCluster.objects.values_list("pk", "rank", "status"))
    members = CandidateMember.objects.count()
    address = f"tcp://127.0.0.1:{closed_port()}"
    settings.SWIM_DASK_SCHEDULER = address
    run = start(facilitator)
    assert run.engine_parameters["scheduler_address"] == address  # what was asked
    assert run.engine_note.startswith(f"The dask scheduler at {address} could not be reached:")
    assert "unset SWIM_DASK_SCHEDULER" in run.engine_note
    assert run.ran_on == "on this machine"
    assert found(run) == found(earlier)
    page = facilitator.get(run.get_absolute_url()).content.decode()
    assert "On this machine" in page
    assert f"The dask scheduler at {address} could not be reached" in page
    assert "instead of the dask cluster" in facilitator.get("/discovery/").content.decode()
    earlier.refresh_from_db()
    assert earlier.status == DiscoveryRun.Status.SUCCEEDED
    assert set(kept) <= set(CandidateCluster.objects.values_list("pk", "rank", "status"))
    assert CandidateMember.objects.filter(candidate__run=earlier).count() == members


def test_a_scheduler_without_workers_runs_on_this_machine(
    facilitator: Client, area: Area, settings: Any, quick_timeout: None
) -> None:
    """A scheduler that answers but has no worker would never run the regions: the run
    works on this machine instead and says the scheduler has no workers."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=0, processes=False, protocol="tcp://", **QUIET_CLUSTER) as empty:
        settings.SWIM_DASK_SCHEDULER = empty.scheduler_address
        run = start(facilitator)
    assert run.engine_note.startswith(f"The dask scheduler at {empty.scheduler_address} has no")
    assert run.ran_on == "on this machine"
    assert found(run)


def test_the_command_goes_the_same_way_and_prints_why(
    area: Area, settings: Any, quick_timeout: None
) -> None:
    """``swim discover --engine dask`` shares the check: an unreachable scheduler runs the
    command on this machine, with the reason on stderr."""
    settings.SWIM_DASK_SCHEDULER = ""
    address = f"tcp://127.0.0.1:{closed_port()}"
    out, err = StringIO(), StringIO()
    call_command("discover", "--engine", "dask", "--scheduler", address, stdout=out, stderr=err)
    assert f"The dask scheduler at {address} could not be reached" in err.getvalue()
    assert "candidates in" in out.getvalue()
    run = DiscoveryRun.objects.get()
    assert run.engine_parameters["engine"] == "dask"
    assert run.ran_on == "on this machine"


def test_credentials_in_the_scheduler_address_are_never_shown(
    facilitator: Client, area: Area, settings: Any, quick_timeout: None
) -> None:
    """A user name and password in the address appear nowhere: not in the form, the run
    page, the run list or the note saying why the run went on on this machine."""
    settings.SWIM_DASK_SCHEDULER = f"tcp://swim:hunter2@127.0.0.1:{closed_port()}"
    form = facilitator.get("/discovery/").content.decode()
    assert "Where the run works" in form
    assert "hunter2" not in form
    run = start(facilitator)
    assert "could not be reached" in run.engine_note
    assert "hunter2" not in run.engine_note
    assert run.job is not None
    for url in (run.get_absolute_url(), "/discovery/", run.job.get_absolute_url()):
        assert "hunter2" not in facilitator.get(url).content.decode(), url
    assert public_address("tls://a:b@host:8786?token=x#y") == "tls://host:8786"


def test_without_distributed_installed_the_run_works_on_this_machine(
    facilitator: Client, area: Area, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker without the 'distributed' extra runs the work itself and says so."""
    settings.SWIM_DASK_SCHEDULER = "tcp://scheduler.example.org:8786"
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    run = start(facilitator)
    assert run.engine_parameters["engine"] == "dask"
    assert "dask.distributed is not installed" in run.engine_note
    assert "On this machine" in facilitator.get(run.get_absolute_url()).content.decode()


def test_a_facilitator_may_choose_this_machine_for_one_run(
    facilitator: Client, area: Area, settings: Any
) -> None:
    """The Advanced choice appears only with a scheduler configured; "this machine" records
    the local engine for that run and never contacts the cluster."""
    settings.SWIM_DASK_SCHEDULER = ""
    assert "Where the run works" not in facilitator.get("/discovery/").content.decode()
    settings.SWIM_DASK_SCHEDULER = f"tcp://127.0.0.1:{closed_port()}"
    form = facilitator.get("/discovery/").content.decode()
    assert "Where the run works" in form
    assert re.search(r'<input type="radio"[^>]* value="dask"[^>]* checked', form)
    run = start(facilitator, run_on="local")
    assert "engine" not in run.engine_parameters
    assert run.engine_note == ""
    assert "On this machine" in facilitator.get(run.get_absolute_url()).content.decode()
    response = facilitator.post("/discovery/", {**FORM, "run_on": "spark"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


# --- Several regions: progress region by region -----------------------------------------


def three_towns() -> None:
    """Three towns 40 km apart, eight alike organisations each: three regions of at most 12."""
    for town in range(3):
        for i in range(8):
            make_org(
                name=f"Town {town} Food Bank {i}",
                local_authority="Three Towns",
                latitude=52.0 + 0.002 * (i % 4),
                longitude=-1.5 + 0.6 * town + 0.002 * (i // 4),
                income=20_000 + 1_000 * i,
                activities="Food parcels, a community pantry and advice for families in need.",
            )


def new_run(**engine: Any) -> DiscoveryRun:
    return do_create_run(
        by=None,
        mode="area",
        filters={"local_authority": "Three Towns"},
        engine={**ENGINE, "max_region_size": 12, **engine},
    )


def test_a_dask_run_moves_its_progress_region_by_region(
    db: None, settings: Any, cluster: Any
) -> None:
    """Each region finished on the cluster moves the run's progress on, and the candidates
    are those of the same regions on this machine."""
    three_towns()
    settings.SWIM_DASK_SCHEDULER = cluster.scheduler_address
    steps: list[tuple[int, int, str]] = []
    remote = do_run_discovery(
        new_run(**engine_parameters()), progress=lambda *step: steps.append(step)
    )
    local = do_run_discovery(new_run())
    assert remote.status == local.status == DiscoveryRun.Status.SUCCEEDED
    assert remote.engine_parameters["engine"] == "dask"
    regions = [s for s in steps if "regions on the dask cluster" in s[2]]
    assert [s[2] for s in regions] == [
        f"Clustered {k} of 3 regions on the dask cluster" for k in (1, 2, 3)
    ]
    fractions = [done / total for done, total, _ in steps]
    assert fractions == sorted(fractions), "the bar never goes back"
    assert len({done / total for done, total, _ in regions}) == 3, "the bar moves per region"
    assert all(3 / 5 < done / total <= 4 / 5 for done, total, _ in regions)
    assert steps[-1][0] == steps[-1][1] == 15
    assert found(local), "each town has candidates"
    assert found(remote) == found(local)
    web = do_start_discovery(
        by=None, mode="area", filters={"local_authority": "Three Towns"},
        engine={**ENGINE, "max_region_size": 12, **engine_parameters()},
    )  # fmt: skip
    assert web.job is not None
    web.job.refresh_from_db()
    assert (web.job.done, web.job.total) == (15, 15), "the job's bar counted the regions"
    assert f"on the dask cluster at {cluster.scheduler_address}" in web.job.message


def test_a_dask_run_cancelled_between_regions_stops_and_stores_nothing(
    db: None, settings: Any, cluster: Any
) -> None:
    """Cancelling while the cluster works stops the run at the next region finished (the
    cluster's remaining tasks are cancelled) and stores no candidate."""
    three_towns()
    settings.SWIM_DASK_SCHEDULER = cluster.scheduler_address
    run = new_run(**engine_parameters())
    seen: list[str] = []

    def progress(step: int, total: int, message: str) -> None:
        seen.append(message)
        if message.startswith("Clustered 1 of"):
            do_cancel_discovery(run, by=None)

    do_run_discovery(run, progress=progress)
    assert run.status == DiscoveryRun.Status.CANCELLED
    assert seen[-1].startswith("Clustered 1 of")
    assert not run.candidates.exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_a_browser_a_facilitator_chooses_this_machine_under_advanced(
    page: Any, personas: Personas, sign_in: Any, assert_accessible: Any, settings: Any
) -> None:
    """The choice sits closed under Advanced, labelled, and the run page then says where
    the run worked; both pages pass axe."""
    make_planted_area()
    settings.SWIM_DASK_SCHEDULER = f"tcp://127.0.0.1:{closed_port()}"
    sign_in(personas.facilitator.email)
    page.goto("/discovery/")
    here = page.get_by_label("On this machine")
    assert not here.is_visible()  # the advanced section starts closed
    page.get_by_text("Advanced: where the run works").click()
    assert page.get_by_label("On the dask cluster at tcp://127.0.0.1:").is_checked()
    assert_accessible(page)
    here.check()
    page.get_by_label("Local authority").select_option("Trafford")
    page.get_by_role("button", name="Start discovery").click()
    page.get_by_role("link", name="See the result").click()
    assert "On this machine" in page.locator("dl.details").inner_text()
    assert_accessible(page)
    page.goto("/discovery/")
    assert page.get_by_role("cell", name="On this machine").count() == 1
    assert_accessible(page)
