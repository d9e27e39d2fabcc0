"""Cancelling a job: a waiting one never runs, a running one stops at its next step."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from swim.jobs import tasks
from swim.jobs.actions import do_cancel_job, do_start_job
from swim.jobs.models import Job
from swim.jobs.tasks import check_worker
from swim.testing import Personas


@pytest.mark.django_db
def test_a_running_job_stops_at_its_next_progress_step(
    personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    count_users = tasks.get_user_model

    def cancel_on_first_step() -> Any:
        calls.append(1)
        Job.objects.filter(kind="jobs.check_worker").update(status=Job.Status.CANCELLED)
        return count_users()

    monkeypatch.setattr(tasks, "get_user_model", cancel_on_first_step)
    job = do_start_job(check_worker, kind="jobs.check_worker", label="c", by=None, steps=5)
    job.refresh_from_db()
    assert job.status == Job.Status.CANCELLED
    assert len(calls) == 1  # step 2 never ran
    assert job.done == 0
    assert job.result == {}


@pytest.mark.django_db(transaction=True)
def test_a_waiting_job_cancelled_before_a_worker_takes_it_never_runs(
    settings: Any, personas: Personas
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    job = do_start_job(check_worker, kind="jobs.check_worker", label="q", by=personas.admin)
    assert do_cancel_job(job, by=personas.admin)
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    job.refresh_from_db()
    assert (job.status, job.started_at, job.done, job.result) == (
        Job.Status.CANCELLED, None, 0, {}
    )  # fmt: skip
    assert job.message == "Cancelled by Ada Admin."


@pytest.mark.django_db
def test_a_finished_job_stays_finished(personas: Personas) -> None:
    job = do_start_job(check_worker, kind="jobs.check_worker", label="f", by=None, steps=1)
    job.refresh_from_db()
    assert do_cancel_job(job, by=None) is False
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED


@pytest.mark.django_db
def test_the_owner_cancels_from_the_job_page(client: Client, personas: Personas) -> None:
    job = Job.objects.create(
        kind="k", label="Long work", created_by=personas.facilitator, cancellable=True
    )
    client.force_login(personas.facilitator)
    assert "Cancel this job" in client.get(job.get_absolute_url()).content.decode()
    response = client.post(f"/jobs/{job.pk}/cancel/")
    assert response["Location"] == job.get_absolute_url()
    job.refresh_from_db()
    assert job.status == Job.Status.CANCELLED
    page = client.get(job.get_absolute_url()).content.decode()
    assert "Cancel this job" not in page
    assert "hx-trigger" not in page  # a cancelled job has ended: no more polling


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["member_a", "funder"])
def test_others_cannot_cancel_a_job(client: Client, personas: Personas, persona: str) -> None:
    job = Job.objects.create(kind="k", label="x", created_by=personas.facilitator, cancellable=True)
    client.force_login(personas.by_name(persona))
    assert client.post(f"/jobs/{job.pk}/cancel/").status_code == 404
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED


@pytest.mark.django_db
def test_jobs_not_declared_cancellable_offer_no_cancel(client: Client, personas: Personas) -> None:
    """An import holds one transaction: its task is not declared cancellable."""
    from swim.directory.tasks import import_upload
    from swim.jobs.tasking import is_cancellable

    assert not is_cancellable(import_upload)
    assert is_cancellable(check_worker)
    job = Job.objects.create(kind="directory.import", label="Import", created_by=personas.admin)
    client.force_login(personas.admin)
    assert "Cancel this job" not in client.get(job.get_absolute_url()).content.decode()
    assert client.post(f"/jobs/{job.pk}/cancel/").status_code == 403
    assert do_cancel_job(job, by=personas.admin) is False
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED
