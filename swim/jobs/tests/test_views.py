import pytest
from django.test import Client

from swim.jobs.models import Job
from swim.testing import Personas


@pytest.mark.django_db
def test_a_job_page_is_visible_to_its_owner_and_hidden_from_others(
    client: Client, personas: Personas
) -> None:
    job = Job.objects.create(
        kind="k", label="Import of the register", created_by=personas.facilitator, total=10, done=4
    )
    client.force_login(personas.facilitator)
    response = client.get(f"/jobs/{job.pk}/")
    assert response.status_code == 200
    assert "40%" in response.content.decode()
    client.force_login(personas.member_a)
    assert client.get(f"/jobs/{job.pk}/").status_code == 404


@pytest.mark.django_db
def test_htmx_polls_get_only_the_progress_fragment_until_the_job_ends(
    client: Client, personas: Personas
) -> None:
    job = Job.objects.create(kind="k", label="x", created_by=personas.admin, total=4, done=1)
    client.force_login(personas.admin)
    fragment = client.get(f"/jobs/{job.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert fragment.strip().startswith('<div id="job-progress"')
    assert 'hx-trigger="every 2s"' in fragment
    job.mark_succeeded({})
    fragment = client.get(f"/jobs/{job.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in fragment


@pytest.mark.django_db
def test_an_admin_can_queue_a_worker_check(client: Client, personas: Personas) -> None:
    client.force_login(personas.admin)
    response = client.post("/jobs/check-worker/")
    job = Job.objects.get(kind="jobs.check_worker")
    assert response["Location"] == f"/jobs/{job.pk}/"
    client.force_login(personas.facilitator)
    assert client.post("/jobs/check-worker/").status_code == 403
