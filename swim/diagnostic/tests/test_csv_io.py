"""Paper diagnostics as CSV: the format, every problem it reports, and the import's rules."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from swim.diagnostic.actions import active_questions, do_import_responses
from swim.diagnostic.csv_io import columns, for_export, write_responses, write_template
from swim.diagnostic.models import Invitation, Response, Round
from swim.diagnostic.results import area_results, submitted_answers
from swim.diagnostic.tests.conftest import submit_response
from swim.diagnostic.tests.csv_helpers import answers, csv_bytes, paper_row
from swim.testing import Personas, make_org

pytestmark = pytest.mark.django_db

A, B = "GB-CHC-1000001", "GB-CHC-1000002"


@pytest.fixture
def later_round(db: None) -> Round:
    return Round.objects.create(name="Follow-up 2027", opens_on=date(2027, 1, 1))


def export(diagnostic_round: Round) -> str:
    out = io.StringIO()
    write_responses(out, for_export(diagnostic_round.responses.all()), *active_questions())
    return out.getvalue()


def errors_of(data: bytes, diagnostic_round: Round) -> list[str]:
    report = do_import_responses(diagnostic_round, data, by=None)
    assert not report.ok, "the import should have been refused"
    return report.errors


# --- Round trip and export ---------------------------------------------------------------


def test_an_export_imports_into_another_round_with_the_same_answers(
    personas: Personas, diagnostic_round: Round, later_round: Round
) -> None:
    """Online answers (with the invited person's name) and paper answers, with notes, flags,
    decimals, accents and line breaks, come back identical in another round."""
    online = submit_response(
        diagnostic_round, personas.org_a, "trustee", 2, {"ict": 5}, hours=7.5, offers=("ict",)
    )
    online.invitation = Invitation.objects.create(
        round=diagnostic_round,
        organisation=personas.org_a,
        email="zoe@example.org",
        name="Zoë Trustee",
        role="trustee",
        token_hash="x" * 64,
        expires_at=Invitation.default_expiry(),
    )
    online.save()
    paper = paper_row(
        B,
        "staff",
        4,
        respondent_name="Jo  Bloggs",
        hopes="Shared payroll, a bookkeeper;\nand a “buddy” charity",
        hr_rating=1,
        hr_priority="yes",
        hr_note="We lost our HR volunteer, in March",
        ceo_hours_per_month="",
    )
    assert do_import_responses(diagnostic_round, csv_bytes([paper]), by=None).ok

    report = do_import_responses(later_round, export(diagnostic_round).encode(), by=None)

    assert report.ok, report.errors
    assert report.created == 2
    assert answers(later_round) == answers(diagnostic_round)
    names = {r.name_of_respondent() for r in later_round.responses.all()}
    assert names == {"Zoë Trustee", "Jo Bloggs"}
    assert all(r.is_paper for r in later_round.responses.all())


def test_the_export_holds_only_submitted_responses_in_the_import_columns(
    personas: Personas, diagnostic_round: Round
) -> None:
    submit_response(diagnostic_round, personas.org_a, "ceo", 3, hours=6)
    Response.objects.create(round=diagnostic_round, organisation=personas.org_b)  # a draft
    rows = list(csv.reader(io.StringIO(export(diagnostic_round))))
    assert rows[0] == columns(*active_questions())
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["org_id"] == A
    assert row["ceo_hours_per_month"] == "6"
    assert (row["hr_rating"], row["hr_priority"], row["hr_offer"]) == ("3", "no", "no")
    assert row["readiness_trust"] == "4"


def test_the_template_is_the_headings_only() -> None:
    out = io.StringIO()
    write_template(out, *active_questions())
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [columns(*active_questions())]
    assert out.getvalue().startswith(
        "org_id,respondent_name,respondent_role,ceo_hours_per_month,hopes,hr_rating,hr_priority"
    )
    assert "readiness_learning" in out.getvalue()


def test_the_export_neutralises_formulas_and_the_import_takes_the_mark_off(
    personas: Personas, diagnostic_round: Round, later_round: Round
) -> None:
    row = paper_row(
        A,
        respondent_name="@Robin",
        hopes='=HYPERLINK("http://evil.example","click")',
        hr_note="-1 volunteer since May",
        ict_note="+ a server",
        finance_note="\tTabbed",
    )
    assert do_import_responses(diagnostic_round, csv_bytes([row]), by=None).ok
    exported = export(diagnostic_round)
    cells = dict(zip(*csv.reader(io.StringIO(exported)), strict=True))
    assert cells["respondent_name"] == "'@Robin"
    assert cells["hopes"] == '\'=HYPERLINK("http://evil.example","click")'
    assert cells["hr_note"] == "'-1 volunteer since May"
    assert cells["ict_note"] == "'+ a server"
    assert cells["ceo_hours_per_month"] == "6"  # numbers stay numbers
    assert do_import_responses(later_round, exported.encode(), by=None).ok
    imported = later_round.responses.get()
    assert imported.respondent_name == "@Robin"
    assert imported.hopes == '=HYPERLINK("http://evil.example","click")'
    assert imported.ratings.get(area__slug="hr").note == "-1 volunteer since May"


# --- Reading the file --------------------------------------------------------------------


def test_headings_in_any_case_with_spaces_and_a_byte_order_mark_are_read(
    personas: Personas, diagnostic_round: Round
) -> None:
    header = [f"  {name.upper()} " for name in columns(*active_questions())]
    data = csv_bytes([paper_row(A, hr_rating=2)], header, bom=True)
    report = do_import_responses(diagnostic_round, data, by=None)
    assert report.ok, report.errors
    assert diagnostic_round.responses.get().ratings.get(area__slug="hr").score == 2


def test_optional_columns_may_be_left_out(personas: Personas, diagnostic_round: Round) -> None:
    areas, statements = active_questions()
    header = ["org_id", "respondent_role"]
    header += [f"{a.slug}_rating" for a in areas] + [f"readiness_{s.slug}" for s in statements]
    report = do_import_responses(diagnostic_round, csv_bytes([paper_row(A)], header), by=None)
    assert report.ok, report.errors
    response = diagnostic_round.responses.get()
    assert response.ceo_hours_per_month is None
    assert response.respondent_name == ""
    assert not response.ratings.filter(is_priority=True).exists()


def test_yes_and_no_are_read_in_their_usual_spellings(
    personas: Personas, diagnostic_round: Round
) -> None:
    spellings = {"hr": "Yes", "ict": "y", "finance": "TRUE", "governance": "1"}
    spellings |= {"fundraising": "No", "premises": "n", "communications": "false"}
    spellings |= {"volunteering": "0", "data_protection": ""}
    cells = {f"{slug}_priority": value for slug, value in spellings.items()}
    assert do_import_responses(diagnostic_round, csv_bytes([paper_row(A, **cells)]), by=None).ok
    flagged = diagnostic_round.responses.get().ratings.filter(is_priority=True)
    assert set(flagged.values_list("area__slug", flat=True)) == {
        "hr",
        "ict",
        "finance",
        "governance",
    }


def test_roles_are_read_by_code_or_label_and_org_ids_in_any_case(
    personas: Personas, diagnostic_round: Round
) -> None:
    rows = [paper_row(A.lower(), "Trustee"), paper_row(B, "CEO or manager")]
    assert do_import_responses(diagnostic_round, csv_bytes(rows), by=None).ok
    got = set(diagnostic_round.responses.values_list("organisation__org_id", "respondent_role"))
    assert got == {(A, "trustee"), (B, "ceo")}


def test_blank_rows_are_skipped(personas: Personas, diagnostic_round: Round) -> None:
    data = csv_bytes([paper_row(A), {}, paper_row(B)])
    report = do_import_responses(diagnostic_round, data + b",,,\r\n\r\n", by=None)
    assert (report.created, report.organisations) == (2, 2)


# --- Every problem, with its message -------------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ({"hr_rating": 6}, "Row 2, column hr_rating: '6' is not a rating from 1 to 5."),
        ({"hr_rating": "good"}, "Row 2, column hr_rating: 'good' is not a rating from 1 to 5."),
        (
            {"hr_rating": ""},
            "Row 2, column hr_rating: missing: every capacity area needs a rating from 1 to 5.",
        ),
        ({"ict_priority": "maybe"}, "Row 2, column ict_priority: 'maybe' is not yes or no."),
        ({"ict_offer": "perhaps"}, "Row 2, column ict_offer: 'perhaps' is not yes or no."),
        (
            {"readiness_trust": ""},
            "Row 2, column readiness_trust: missing: every readiness statement needs an answer "
            "from 1 to 5.",
        ),
        (
            {"readiness_trust": 0},
            "Row 2, column readiness_trust: '0' is not an answer from 1 to 5.",
        ),
        (
            {"ceo_hours_per_month": 200},
            "Row 2, column ceo_hours_per_month: '200' is not a number of hours from 0 to 160.",
        ),
        (
            {"ceo_hours_per_month": -1},
            "Row 2, column ceo_hours_per_month: '-1' is not a number of hours from 0 to 160.",
        ),
        (
            {"ceo_hours_per_month": "lots"},
            "Row 2, column ceo_hours_per_month: 'lots' is not a number of hours.",
        ),
        (
            {"ceo_hours_per_month": "7.25"},
            "Row 2, column ceo_hours_per_month: '7.25' has more than one decimal place.",
        ),
        (
            {"respondent_role": "chair"},
            "Row 2, column respondent_role: 'chair' is not a role: use ceo, trustee, staff or "
            "other.",
        ),
        (
            {"respondent_role": ""},
            "Row 2, column respondent_role: a role is needed: ceo, trustee, staff or other.",
        ),
        ({"org_id": ""}, "Row 2, column org_id: an org-id is needed, e.g. GB-CHC-1234567."),
        (
            {"org_id": "GB-CHC-9999999"},
            "Row 2, column org_id: no organisation has the org-id GB-CHC-9999999.",
        ),
        (
            {"respondent_name": "x" * 201},
            "Row 2, column respondent_name: the text is longer than 200 characters.",
        ),
        (
            {"hr_note": "x" * 1001},
            "Row 2, column hr_note: the text is longer than 1000 characters.",
        ),
        ({"hopes": "x" * 2001}, "Row 2, column hopes: the text is longer than 2000 characters."),
    ],
)
def test_each_bad_cell_is_reported_with_its_row_and_column(
    personas: Personas, diagnostic_round: Round, cells: dict[str, Any], message: str
) -> None:
    assert errors_of(csv_bytes([paper_row(A) | cells]), diagnostic_round) == [message]
    assert not Response.objects.exists()


def test_a_value_under_no_heading_is_reported(personas: Personas, diagnostic_round: Round) -> None:
    data = csv_bytes([paper_row(A)]).rstrip(b"\r\n") + b",stray\r\n"
    width = len(columns(*active_questions()))
    assert errors_of(data, diagnostic_round) == [
        f"Row 2, column {width + 1} (no heading): 'stray' is under no heading."
    ]


def test_every_problem_of_every_row_is_listed_in_row_order(
    personas: Personas, diagnostic_round: Round
) -> None:
    rows = [
        paper_row(A),
        paper_row("GB-NOPE-1", hr_rating=9),
        paper_row(B, respondent_role="boss", readiness_need=""),
    ]
    assert errors_of(csv_bytes(rows), diagnostic_round) == [
        "Row 3, column hr_rating: '9' is not a rating from 1 to 5.",
        "Row 3, column org_id: no organisation has the org-id GB-NOPE-1.",
        "Row 4, column respondent_role: 'boss' is not a role: use ceo, trustee, staff or other.",
        "Row 4, column readiness_need: missing: every readiness statement needs an answer from "
        "1 to 5.",
    ]


def test_unknown_and_missing_columns_are_named(personas: Personas, diagnostic_round: Round) -> None:
    header = [name for name in columns(*active_questions()) if name != "hr_rating"]
    header += ["Favourite colour", "readiness_trust"]
    errors = errors_of(csv_bytes([paper_row(A)], header), diagnostic_round)
    first = header.index("readiness_trust") + 1
    assert errors == [
        "Unknown columns: favourite colour. Use the headings of the template (download it from "
        "the import page).",
        "Missing columns: hr_rating.",
        f"The column readiness_trust appears more than once ({first} and {len(header)}).",
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty: it needs the template's headings."),
        (
            "org_id,respondent_name\r\nGB-CHC-1,Zoë\r\n".encode("latin-1"),
            "The file is not UTF-8 text (line 2 holds a character that cannot be read): save it "
            "from the spreadsheet as “CSV UTF-8”.",
        ),
        (
            b"org_id;respondent_role;hr_rating\r\nGB-CHC-1;ceo;3\r\n",
            "The columns are separated by semicolons: save the file with commas.",
        ),
    ],
)
def test_a_file_that_cannot_be_read_says_why(
    diagnostic_round: Round, data: bytes, message: str
) -> None:
    assert errors_of(data, diagnostic_round) == [message]


def test_headings_without_rows_are_refused(diagnostic_round: Round) -> None:
    assert errors_of(csv_bytes([]), diagnostic_round) == [
        "The file has headings but no respondents' rows."
    ]


def test_the_same_respondent_twice_in_a_file_is_refused(
    personas: Personas, diagnostic_round: Round
) -> None:
    rows = [
        paper_row(A, "staff", respondent_name="Jo Bloggs"),
        paper_row(A, "staff", respondent_name="Jo Smith"),
        paper_row(A.lower(), "staff", respondent_name=" jo  BLOGGS "),
        paper_row(B, "trustee"),
        paper_row(B, "trustee"),
    ]
    assert errors_of(csv_bytes(rows), diagnostic_round) == [
        "Row 4, the same respondent as row 2 (GB-CHC-1000001, staff, jo BLOGGS): give each "
        "respondent of an organisation and role a different name.",
        "Row 6, the same respondent as row 5 (GB-CHC-1000002, trustee, no name): give each "
        "respondent of an organisation and role a different name.",
    ]


def test_a_respondent_who_answered_online_is_not_imported_again(
    personas: Personas, diagnostic_round: Round
) -> None:
    """Exporting a round and importing the file into the same round adds nothing."""
    submit_response(diagnostic_round, personas.org_a, "ceo")
    assert errors_of(export(diagnostic_round).encode(), diagnostic_round) == [
        "Row 2, this respondent (GB-CHC-1000001, ceo, no name) already answered online in this "
        "round: remove the row (an import replaces only earlier paper answers)."
    ]
    assert diagnostic_round.responses.count() == 1


# --- Saving: all or nothing, replacing, counted --------------------------------------------


def test_one_bad_row_saves_nothing_and_keeps_earlier_paper_answers(
    personas: Personas, diagnostic_round: Round
) -> None:
    first = [paper_row(A, respondent_name="Jo", hr_rating=1)]
    assert do_import_responses(diagnostic_round, csv_bytes(first), by=None).ok
    rows = [paper_row(A, respondent_name="Jo", hr_rating=5), paper_row(B, hr_rating=7)]
    assert errors_of(csv_bytes(rows), diagnostic_round)
    kept = diagnostic_round.responses.get()
    assert kept.ratings.get(area__slug="hr").score == 1
    assert Response.objects.count() == 1


def test_importing_again_replaces_the_earlier_paper_answers(
    personas: Personas, diagnostic_round: Round
) -> None:
    rows = [paper_row(A, respondent_name="Jo Bloggs"), paper_row(A, "trustee"), paper_row(B)]
    assert do_import_responses(diagnostic_round, csv_bytes(rows), by=None).ok
    online = submit_response(diagnostic_round, personas.org_a, "staff")
    rows[0]["respondent_name"] = "JO BLOGGS"
    rows[0]["hr_rating"] = 5
    report = do_import_responses(diagnostic_round, csv_bytes(rows[:2]), by=None)
    assert (report.created, report.replaced, report.organisations) == (2, 2, 1)
    assert report.summary() == (
        "Imported 2 responses for 1 organisation, replacing 2 earlier paper responses."
    )
    assert diagnostic_round.responses.count() == 4  # A: Jo, trustee, staff online; B
    jo = diagnostic_round.responses.get(respondent_role="ceo", organisation=personas.org_a)
    assert jo.respondent_name == "JO BLOGGS"
    assert jo.ratings.get(area__slug="hr").score == 5
    assert Response.objects.filter(pk=online.pk).exists()


def test_imported_responses_are_submitted_paper_answers(
    personas: Personas, diagnostic_round: Round
) -> None:
    rows = [paper_row(A, ceo_hours_per_month="12.5", hopes="A shared HR adviser")]
    report = do_import_responses(diagnostic_round, io.BytesIO(csv_bytes(rows)), by=None)
    assert report.summary() == "Imported 1 response for 1 organisation."
    response = diagnostic_round.responses.get()
    assert response.status == Response.Status.SUBMITTED
    assert response.submitted_at is not None
    assert response.source == Response.Source.PAPER
    assert response.respondent is None
    assert response.invitation is None
    assert response.ceo_hours_per_month == Decimal("12.5")
    assert response.ratings.count() == len(active_questions()[0])
    assert response.readiness.count() == len(active_questions()[1])


def test_imported_responses_count_in_the_area_results(
    personas: Personas, diagnostic_round: Round
) -> None:
    org_c = make_org(name="Gamma Advice Centre")
    submit_response(diagnostic_round, personas.org_a, "ceo", 3, {"hr": 1})
    rows = [
        paper_row(A, "trustee", hr_rating=2),
        paper_row(B, hr_rating=2, hr_priority="yes"),
        paper_row(org_c.org_id, hr_rating=5, hr_offer="yes", ceo_hours_per_month=3),
    ]
    assert do_import_responses(diagnostic_round, csv_bytes(rows), by=None).ok
    results = area_results(diagnostic_round.responses.all(), active_questions()[0])
    assert len(results.profiles) == 3
    alpha = results.profiles[str(personas.org_a.pk)]
    assert alpha.respondents == 2
    assert alpha.areas["hr"].median == 1.5
    gap = next(g for g in results.gaps if g.slug == "hr")
    assert (gap.with_gap, gap.organisations) == (2, 3)
    offer = results.offers()[0]
    assert [o.name for o in offer.offered_by] == ["Gamma Advice Centre"]
    assert len(submitted_answers(diagnostic_round.responses.all())) == 4
