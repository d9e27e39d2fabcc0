"""The import page, the template and the responses download: facilitators only."""

from __future__ import annotations

import csv
import html
import io
from datetime import date
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from swim.accounts.models import User
from swim.diagnostic.actions import active_questions
from swim.diagnostic.csv_io import columns
from swim.diagnostic.models import Response, Round
from swim.diagnostic.tests.conftest import submit_response
from swim.diagnostic.tests.csv_helpers import answers, csv_bytes, paper_row
from swim.diagnostic.views_csv import MAX_IMPORT_BYTES
from swim.testing import Personas, make_org

pytestmark = pytest.mark.django_db

A, B = "GB-CHC-1000001", "GB-CHC-1000002"


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def upload(data: bytes, name: str = "paper.csv") -> dict[str, Any]:
    return {"file": SimpleUploadedFile(name, data, content_type="text/csv")}


def urls(diagnostic_round: Round) -> list[str]:
    base = f"/diagnostic/rounds/{diagnostic_round.pk}"
    return [f"{base}/import/", f"{base}/template.csv", f"{base}/responses.csv"]


@pytest.mark.parametrize("persona", ["member_a", "member_b", "funder", "outsider"])
def test_only_facilitators_and_admins_may_import_or_download(
    client: Client, personas: Personas, outsider: User, diagnostic_round: Round, persona: str
) -> None:
    client.force_login(outsider if persona == "outsider" else personas.by_name(persona))
    for url in urls(diagnostic_round):
        assert client.get(url).status_code == 403, url
    data = csv_bytes([paper_row(A)])
    assert client.post(urls(diagnostic_round)[0], upload(data)).status_code == 403
    assert not Response.objects.exists()


@pytest.mark.parametrize("persona", ["facilitator", "admin"])
def test_facilitators_and_admins_get_every_page(
    client: Client, personas: Personas, diagnostic_round: Round, persona: str
) -> None:
    client.force_login(personas.by_name(persona))
    for url in urls(diagnostic_round):
        assert client.get(url).status_code == 200, url
    assert client.get("/diagnostic/rounds/999999/import/").status_code == 404


def test_the_page_explains_the_columns_and_the_scales(
    client: Client, personas: Personas, diagnostic_round: Round
) -> None:
    client.force_login(personas.facilitator)
    page = text(client.get(urls(diagnostic_round)[0]))
    assert 'enctype="multipart/form-data"' in page
    for column in ("org_id", "respondent_role", "ceo_hours_per_month", "<area>_priority"):
        assert f"<code>{column}</code>" in page
    assert "1 · Serious gap: we cannot do this and it holds us back" in page
    assert "1 strongly disagree" in page
    assert "<code>data_protection</code></th><td>Data protection" in page
    assert f'href="/diagnostic/rounds/{diagnostic_round.pk}/template.csv"' in page


def test_a_valid_file_is_imported_and_leads_to_the_area_page(
    client: Client, personas: Personas, diagnostic_round: Round
) -> None:
    client.force_login(personas.facilitator)
    org_c = make_org()
    rows = [paper_row(A), paper_row(A, "trustee"), paper_row(B), paper_row(org_c.org_id)]
    response = client.post(urls(diagnostic_round)[0], upload(csv_bytes(rows)), follow=True)
    assert response.redirect_chain == [(f"/diagnostic/area/?round={diagnostic_round.pk}", 302)]
    assert "Imported 4 responses for 3 organisations." in text(response)
    assert diagnostic_round.responses.filter(source="paper", status="submitted").count() == 4


def test_a_bad_file_lists_its_problems_and_imports_nothing(
    client: Client, personas: Personas, diagnostic_round: Round
) -> None:
    client.force_login(personas.facilitator)
    rows = [paper_row(A), paper_row(B, hr_rating=6)]
    response = client.post(urls(diagnostic_round)[0], upload(csv_bytes(rows)))
    page = text(response)
    assert response.status_code == 400
    assert "The file was not imported: 1 problem" in page
    assert "<li>Row 3, column hr_rating: '6' is not a rating from 1 to 5.</li>" in page
    assert 'aria-describedby="import-problems id_file_error"' in page
    assert not Response.objects.exists()


def test_the_page_lists_fifty_problems_and_counts_the_rest(
    client: Client, personas: Personas, diagnostic_round: Round
) -> None:
    client.force_login(personas.facilitator)
    rows = [paper_row(A, respondent_name=f"P{n}", hr_rating=0) for n in range(60)]
    page = text(client.post(urls(diagnostic_round)[0], upload(csv_bytes(rows))))
    assert "The file was not imported: 60 problems" in page
    assert page.count("is not a rating from 1 to 5") == 50
    assert "… and 10 more." in page


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"x" * (MAX_IMPORT_BYTES + 1), "big.csv", "The file is larger than 5 MB: split it"),
        (b"PK\x03\x04", "answers.xlsx", "Upload a .csv file: save the spreadsheet as"),
        (b"", "empty.csv", "The submitted file is empty."),
    ],
)
def test_files_too_large_or_not_csv_are_refused(
    client: Client,
    personas: Personas,
    diagnostic_round: Round,
    data: bytes,
    name: str,
    message: str,
) -> None:
    client.force_login(personas.facilitator)
    response = client.post(urls(diagnostic_round)[0], upload(data, name))
    assert response.status_code == 400
    assert message in text(response)


def test_the_downloads_open_as_utf8_in_a_spreadsheet(
    client: Client, personas: Personas, diagnostic_round: Round
) -> None:
    client.force_login(personas.facilitator)
    template = client.get(urls(diagnostic_round)[1])
    assert template["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="diagnostic-baseline-2026-template.csv"' in template["Content-Disposition"]
    body = template.content.decode("utf-8")
    assert body.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(body[1:]))) == [columns(*active_questions())]


def test_a_downloaded_round_uploads_into_another_round_unchanged(
    client: Client, personas: Personas, diagnostic_round: Round
) -> None:
    client.force_login(personas.facilitator)
    submit_response(diagnostic_round, personas.org_a, "ceo", 2, {"hr": 1}, offers=("ict",))
    rows = [paper_row(B, "staff", 4, respondent_name="Émile", hopes="=1+1", hr_priority="y")]
    client.post(urls(diagnostic_round)[0], upload(csv_bytes(rows)))
    download = client.get(urls(diagnostic_round)[2])
    assert 'filename="diagnostic-baseline-2026-responses.csv"' in download["Content-Disposition"]
    assert "'=1+1" in download.content.decode()
    later = Round.objects.create(name="Follow-up", opens_on=date(2027, 1, 1))
    response = client.post(urls(later)[0], upload(download.content))
    assert response.status_code == 302
    assert answers(later) == answers(diagnostic_round)


def test_the_diagnostic_home_links_each_round_to_its_import_and_download(
    client: Client, personas: Personas, diagnostic_round: Round
) -> None:
    client.force_login(personas.facilitator)
    page = text(client.get("/diagnostic/"))
    assert f'href="/diagnostic/rounds/{diagnostic_round.pk}/import/"' in page
    assert f'href="/diagnostic/rounds/{diagnostic_round.pk}/responses.csv"' in page
    client.force_login(personas.member_a)
    assert "/import/" not in text(client.get("/diagnostic/"))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_facilitator_imports_a_corrected_file_in_a_real_browser(
    page: Any, personas: Personas, sign_in: Any, assert_accessible: Any
) -> None:
    diagnostic_round = Round.objects.create(name="Paper round", opens_on=date(2026, 1, 5))
    sign_in(personas.facilitator.email)
    page.goto("/diagnostic/")
    page.get_by_role("link", name="Import paper answers into Paper round").click()
    page.get_by_role("heading", name="Import paper answers: Paper round").wait_for()
    assert_accessible(page)

    bad = csv_bytes([paper_row(A), paper_row(B, hr_rating=6)])
    field = page.get_by_label("CSV file of paper responses")
    field.set_input_files({"name": "paper.csv", "mimeType": "text/csv", "buffer": bad})
    page.get_by_role("button", name="Check and import").click()
    page.get_by_role("alert").get_by_text("Row 3, column hr_rating").wait_for()
    assert_accessible(page)
    assert not Response.objects.exists()

    good = csv_bytes([paper_row(A), paper_row(B, hr_rating=2)])
    field.set_input_files({"name": "paper.csv", "mimeType": "text/csv", "buffer": good})
    page.get_by_role("button", name="Check and import").click()
    page.get_by_text("Imported 2 responses for 2 organisations.").wait_for()
    assert page.url.endswith(f"/diagnostic/area/?round={diagnostic_round.pk}")
