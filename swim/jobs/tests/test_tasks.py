"""Background jobs: progress is recorded, failures are readable, the real worker runs them."""

from typing import Any

import pytest
from django.core.management import call_command

from swim.jobs.actions import do_start_job
from swim.jobs.models import Job
from swim.jobs.tasks import check_worker
from swim.testing import Personas


@pytest.mark.django_db
def test_a_job_reports_progress_and_its_result(personas: Personas) -> None:
    job = do_start_job(
        check_worker, kind="jobs.check_worker", label="check", by=personas.admin, steps=3
    )
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert (job.done, job.total, job.percent) == (3, 3, 100)
    assert job.result["steps"] == 3
    assert job.result["users"] == 5
    assert job.message == "Step 3 of 3: database reachable"


@pytest.mark.django_db
def test_a_failing_job_is_marked_failed_with_the_reason(personas: Personas) -> None:
    job = do_start_job(
        check_worker, kind="jobs.check_worker", label="bad", by=personas.admin, steps=-1
    )
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "steps must be at least 1" in job.error


@pytest.mark.django_db(transaction=True)
def test_the_database_worker_runs_a_queued_job(settings: Any, personas: Personas) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    job = do_start_job(
        check_worker, kind="jobs.check_worker", label="queued", by=personas.admin, steps=2
    )
    job.refresh_from_db()
    assert job.status == Job.Status.QUEUED
    assert job.task_result_id
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert job.done == 2
