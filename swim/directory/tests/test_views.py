"""Directory pages: search, export, import upload and history, permissions."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils.html import escape

from swim.directory.models import ImportRun, Organisation
from swim.jobs.models import Job
from swim.testing import Personas, make_org

DATA = Path(__file__).parent / "data"


@pytest.mark.django_db
def test_everyone_signed_in_can_search_the_public_directory(
    client: Client, personas: Personas
) -> None:
    make_org(name="Stretford Foodbank")
    client.force_login(personas.funder)
    html = client.get("/directory/", {"q": "foodbank"}).content.decode()
    assert "Stretford Foodbank" in html
    assert "1 organisation found" in html
    assert "Download these as CSV" not in html


@pytest.mark.django_db
def test_htmx_gets_only_the_results(client: Client, personas: Personas) -> None:
    client.force_login(personas.member_a)
    html = client.get("/directory/", headers={"HX-Request": "true"}).content.decode()
    assert html.strip().startswith('<div id="results">')


@pytest.mark.django_db
def test_facilitators_export_the_current_filter_as_csv(client: Client, personas: Personas) -> None:
    make_org(name="Food Cycle", income=2000)
    client.force_login(personas.facilitator)
    response = client.get("/directory/export.csv", {"q": "food"})
    lines = b"".join(response.streaming_content).decode().splitlines()  # type: ignore[attr-defined]
    assert lines[0].startswith("org_id,name,status")
    assert len(lines) == 2
    assert "Food Cycle" in lines[1]
    client.force_login(personas.member_a)
    assert client.get("/directory/export.csv").status_code == 403


@pytest.mark.django_db
def test_an_uploaded_register_is_imported_by_a_background_job(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.facilitator)
    upload = SimpleUploadedFile("ccni.csv", (DATA / "ccni_small.csv").read_bytes())
    response = client.post("/directory/imports/new/", {"source": "ccni", "file": upload})
    job = Job.objects.get(kind="directory.import")
    assert response["Location"] == f"/jobs/{job.pk}/"
    assert job.status == "succeeded"
    run = ImportRun.objects.get()
    assert (run.read, run.created, run.rejected, run.started_by) == (7, 3, 4, personas.facilitator)
    assert job.result["next_url"] == f"/directory/imports/{run.pk}/"
    page = client.get(f"/directory/imports/{run.pk}/").content.decode()
    assert "is not a date" in page
    report = client.get(f"/directory/imports/{run.pk}/rejected.csv")
    assert b"row,kind,reason" in b"".join(report.streaming_content)  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_an_upload_with_the_wrong_kind_of_file_is_refused_next_to_the_field(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.facilitator)
    upload = SimpleUploadedFile("notes.docx", b"PK...")
    response = client.post(
        "/directory/imports/new/", {"source": "ccni", "file": upload, "mapping": "nonsense line"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Upload a .csv, .txt, .tsv, .json, .gz or .zip file." in html
    assert "Line 1 should look like field=Column heading" in html
    assert not Job.objects.exists()
    assert Organisation.objects.count() == 2  # the personas' organisations only


@pytest.mark.django_db
def test_members_and_funders_cannot_import(client: Client, personas: Personas) -> None:
    run = ImportRun.objects.create(source="ccni", file_name="x.csv")
    for persona in (personas.member_a, personas.funder):
        client.force_login(persona)
        assert client.get("/directory/imports/new/").status_code == 403
        assert client.get(f"/directory/imports/{run.pk}/").status_code == 403
        assert client.get(f"/directory/imports/{run.pk}/rejected.csv").status_code == 403


@pytest.mark.django_db
def test_an_organisation_page_shows_its_people_only_to_those_entitled(
    client: Client, personas: Personas
) -> None:
    url = personas.org_a.get_absolute_url()
    client.force_login(personas.member_a)
    assert "Amina Member" in client.get(url).content.decode()
    client.force_login(personas.member_b)
    page = client.get(url).content.decode()
    assert escape(personas.org_a.name) in page
    assert "Amina Member" not in page
