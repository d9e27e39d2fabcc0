"""Cancelling a run: it stops at its next step, stores nothing, and leaves earlier runs."""

from __future__ import annotations

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
)
from swim.discovery.models import CandidateCluster, CandidateMember, DiscoveryRun
from swim.discovery.tests.conftest import Area
from swim.jobs.models import Job
from swim.testing import Personas

pytestmark = pytest.mark.django_db
ENGINE = {"min_size": 4, "max_size": 12, "max_span_km": 5.0, "max_income_share": 0.5,
          "radius_km": 3.0, "seed": 0}  # fmt: skip


def new_run() -> DiscoveryRun:
    return do_create_run(by=None, mode="area", filters={}, engine=ENGINE)


@pytest.mark.parametrize("at_step", [1, 2, 3, 4])
def test_a_run_cancelled_at_a_progress_step_stops_and_stores_nothing(
    area: Area, at_step: int
) -> None:
    earlier = do_run_discovery(new_run())
    kept = list(CandidateCluster.objects.values_list("pk", "rank"))
    members = CandidateMember.objects.count()
    run = new_run()
    steps: list[int] = []

    def progress(step: int, total: int, message: str) -> None:
        steps.append(step)
        if step == at_step:
            do_cancel_discovery(run, by=None)

    do_run_discovery(run, progress=progress)
    assert run.status == DiscoveryRun.Status.CANCELLED
    assert steps[-1] == at_step  # no further step was taken
    assert run.finished_at is not None
    assert not run.candidates.exists()
    earlier.refresh_from_db()
    assert earlier.status == DiscoveryRun.Status.SUCCEEDED
    assert list(CandidateCluster.objects.values_list("pk", "rank")) == kept
    assert CandidateMember.objects.count() == members


def test_a_run_cancelled_after_its_last_step_still_stores_nothing(
    area: Area, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = actions._store

    def cancelled_meanwhile(run: DiscoveryRun, *args: Any) -> None:
        raise AssertionError("candidates must not be stored for a cancelled run")

    run = new_run()

    def progress(step: int, total: int, message: str) -> None:
        if step == total:  # the engine's last report: cancel just before storing
            DiscoveryRun.objects.filter(pk=run.pk).update(status=DiscoveryRun.Status.CANCELLED)
            monkeypatch.setattr(actions, "_store", cancelled_meanwhile)

    do_run_discovery(run, progress=progress)
    assert actions._store is not store
    assert run.status == DiscoveryRun.Status.CANCELLED
    assert not CandidateCluster.objects.exists()


def test_cancelling_the_job_while_it_runs_cancels_the_run(
    area: Area, personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    read = actions.organisations_for

    def read_then_cancel(queryset: Any) -> Any:
        found = read(queryset)
        job = Job.objects.get(kind="discovery.run")
        job.mark_cancelled("Cancelled by Fatima Facilitator.")  # pressed on the job page
        return found

    monkeypatch.setattr(actions, "organisations_for", read_then_cancel)
    run = do_start_discovery(by=personas.facilitator, mode="area", filters={}, engine=ENGINE)
    run.refresh_from_db()
    assert run.status == DiscoveryRun.Status.CANCELLED
    assert not run.candidates.exists()
    assert run.job_id is not None
    job = Job.objects.get(pk=run.job_id)
    assert job.status == Job.Status.CANCELLED
    assert job.result["next_url"] == run.get_absolute_url()


def test_a_finished_run_cannot_be_cancelled(area: Area) -> None:
    run = do_run_discovery(new_run())
    assert do_cancel_discovery(run, by=None) is False
    run.refresh_from_db()
    assert run.status == DiscoveryRun.Status.SUCCEEDED


@pytest.mark.django_db(transaction=True)
def test_a_queued_run_cancelled_before_a_worker_takes_it_never_runs(
    settings: Any, personas: Personas, area: Area
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    run = do_start_discovery(by=personas.facilitator, mode="area", filters={}, engine=ENGINE)
    assert run.status == DiscoveryRun.Status.QUEUED
    assert do_cancel_discovery(run, by=personas.facilitator)
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    run.refresh_from_db()
    assert run.status == DiscoveryRun.Status.CANCELLED
    assert run.error == "Cancelled by Fatima Facilitator."
    assert (run.timings, run.organisations_considered, run.text_method) == ({}, 0, "")
    assert run.job_id is not None
    job = Job.objects.get(pk=run.job_id)
    assert (job.status, job.started_at) == (Job.Status.CANCELLED, None)


@pytest.mark.django_db(transaction=True)
def test_a_queued_run_whose_job_is_cancelled_is_cancelled_by_the_worker(
    settings: Any, personas: Personas, area: Area
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    run = do_start_discovery(by=personas.facilitator, mode="area", filters={}, engine=ENGINE)
    assert run.job is not None
    run.job.mark_cancelled("Cancelled by Fatima Facilitator.")
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    run.refresh_from_db()
    assert run.status == DiscoveryRun.Status.CANCELLED
    assert not run.timings


def test_the_run_page_offers_cancel_while_waiting_and_cancels(
    client: Client, personas: Personas, area: Area
) -> None:
    run = new_run()
    client.force_login(personas.facilitator)
    page = client.get(run.get_absolute_url()).content.decode()
    assert "Cancel this run" in page
    response = client.post(f"/discovery/runs/{run.pk}/cancel/")
    assert response["Location"] == run.get_absolute_url()
    page = client.get(run.get_absolute_url()).content.decode()
    assert "This run was cancelled and stored no candidates" in page
    assert "Cancel this run" not in page
    run.refresh_from_db()
    assert run.status == DiscoveryRun.Status.CANCELLED
    again = client.post(f"/discovery/runs/{run.pk}/cancel/", follow=True).content.decode()
    assert "had already ended" in again


@pytest.mark.parametrize("persona", ["member_a", "funder"])
def test_members_and_funders_cannot_cancel(
    client: Client, personas: Personas, area: Area, persona: str
) -> None:
    run = new_run()
    client.force_login(personas.by_name(persona))
    assert client.post(f"/discovery/runs/{run.pk}/cancel/").status_code == 403
    run.refresh_from_db()
    assert run.status == DiscoveryRun.Status.QUEUED


def test_cancel_needs_a_post(client: Client, personas: Personas, area: Area) -> None:
    run = new_run()
    client.force_login(personas.facilitator)
    assert client.get(f"/discovery/runs/{run.pk}/cancel/").status_code == 405
