"""`swim import_diagnostic` and `swim export_diagnostic`: the same rules as the import page."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from swim.diagnostic.actions import active_questions
from swim.diagnostic.csv_io import columns
from swim.diagnostic.models import Response, Round
from swim.diagnostic.tests.conftest import submit_response
from swim.diagnostic.tests.csv_helpers import answers, csv_bytes, paper_row
from swim.testing import Personas

pytestmark = pytest.mark.django_db

A, B = "GB-CHC-1000001", "GB-CHC-1000002"


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_imports_a_file_and_prints_what_it_did(
    personas: Personas, diagnostic_round: Round, tmp_path: Path
) -> None:
    path = tmp_path / "paper.csv"
    path.write_bytes(csv_bytes([paper_row(A), paper_row(A, "trustee"), paper_row(B)], bom=True))
    out, _ = run("import_diagnostic", str(diagnostic_round.pk), str(path))
    assert out == "Imported 3 responses for 2 organisations. Round: Baseline 2026.\n"
    out, _ = run("import_diagnostic", str(diagnostic_round.pk), str(path))
    assert "replacing 3 earlier paper responses" in out
    assert diagnostic_round.responses.count() == 3


def test_it_lists_every_problem_fails_and_imports_nothing(
    personas: Personas, diagnostic_round: Round, tmp_path: Path
) -> None:
    path = tmp_path / "paper.csv"
    path.write_bytes(csv_bytes([paper_row(A, hr_rating=6), paper_row("GB-X-1")]))
    err = io.StringIO()
    with pytest.raises(CommandError, match=r"paper.csv was not imported: 2 problems\."):
        call_command("import_diagnostic", str(diagnostic_round.pk), str(path), stderr=err)
    assert err.getvalue().splitlines() == [
        "Row 2, column hr_rating: '6' is not a rating from 1 to 5.",
        "Row 3, column org_id: no organisation has the org-id GB-X-1.",
    ]
    assert not Response.objects.exists()


def test_an_unknown_round_or_file_is_an_error(diagnostic_round: Round, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"No diagnostic round has the id 999999\."):
        run("import_diagnostic", "999999", str(tmp_path / "x.csv"))
    with pytest.raises(CommandError, match="No file at"):
        run("import_diagnostic", str(diagnostic_round.pk), str(tmp_path / "missing.csv"))
    with pytest.raises(CommandError, match=r"No diagnostic round has the id 999999\."):
        run("export_diagnostic", "999999")


def test_an_export_imports_into_another_round_unchanged(
    personas: Personas, diagnostic_round: Round, tmp_path: Path
) -> None:
    submit_response(diagnostic_round, personas.org_a, "ceo", 2, {"hr": 1}, priorities=("hr",))
    submit_response(diagnostic_round, personas.org_b, "staff", 4, hours=0)
    path = tmp_path / "round.csv"
    out, _ = run("export_diagnostic", str(diagnostic_round.pk), "--output", str(path))
    assert out == f"Wrote 2 responses of Baseline 2026 to {path}.\n"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # a BOM, for spreadsheets
    later = Round.objects.create(name="Follow-up", opens_on=date(2027, 1, 1))
    run("import_diagnostic", str(later.pk), str(path))
    assert answers(later) == answers(diagnostic_round)


def test_it_writes_to_standard_output_and_writes_the_template(
    personas: Personas, diagnostic_round: Round
) -> None:
    submit_response(diagnostic_round, personas.org_a)
    out, _ = run("export_diagnostic", str(diagnostic_round.pk))
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == columns(*active_questions())
    assert [row[0] for row in rows[1:]] == [A]
    out, _ = run("export_diagnostic", str(diagnostic_round.pk), "--template")
    assert list(csv.reader(io.StringIO(out))) == [columns(*active_questions())]
