"""Diagnostic responses as CSV, one row per respondent: the format, its reader and writer.

Diagnostics run on paper are typed into a spreadsheet in this format and imported
(:func:`swim.diagnostic.actions.do_import_responses`); a round's submitted responses export in
the same format, so an export imports into another round unchanged.

Columns: ``org_id, respondent_name, respondent_role, ceo_hours_per_month, hopes``, then for
each active capacity area, in order, ``<slug>_rating`` (1 to 5), ``<slug>_priority`` and
``<slug>_offer`` (yes/no) and ``<slug>_note``, then ``readiness_<slug>`` (1 to 5) for each
active readiness statement. Headings are read case-insensitively with surrounding spaces
trimmed; the file is UTF-8, with or without a byte-order mark, comma-separated.

Reading checks every cell and collects every problem, with the spreadsheet's row number (the
heading is row 1) and the column: nothing here touches the database — whether an org-id
exists is the import action's question.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from swim.csv_safety import SafeWriter
from swim.diagnostic.models import (
    MAX_CEO_HOURS,
    CapacityArea,
    ReadinessStatement,
    RespondentRole,
    Response,
)

if TYPE_CHECKING:
    from django.db.models import QuerySet

#: The columns before the capacity areas', and those of them a file must have.
FIXED = ["org_id", "respondent_name", "respondent_role", "ceo_hours_per_month", "hopes"]
REQUIRED_FIXED = ["org_id", "respondent_role"]
#: Longest texts, as on the answering form.
MAX_NAME, MAX_NOTE, MAX_HOPES = 200, 1000, 2000

YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0", ""}
#: A role is its code (``ceo``) or its label (``CEO or manager``), in any case.
ROLES = {
    **{role.value: role.value for role in RespondentRole},
    **{role.label.casefold(): role.value for role in RespondentRole},
}
ROLE_CODES = "ceo, trustee, staff or other"
#: What the export puts before text a spreadsheet would run as a formula (swim.csv_safety).
_PROTECTED = ("=", "+", "-", "@", "\t", "\r")


def area_columns(area: CapacityArea) -> list[str]:
    slug = area.slug
    return [f"{slug}_rating", f"{slug}_priority", f"{slug}_offer", f"{slug}_note"]


def statement_column(statement: ReadinessStatement) -> str:
    return f"readiness_{statement.slug}"


def columns(areas: Sequence[CapacityArea], statements: Sequence[ReadinessStatement]) -> list[str]:
    """Every column, in the order of the template and the export."""
    names = list(FIXED)
    for area in areas:
        names += area_columns(area)
    return names + [statement_column(statement) for statement in statements]


def required_columns(
    areas: Sequence[CapacityArea], statements: Sequence[ReadinessStatement]
) -> list[str]:
    """The columns a file must have; a missing optional column reads as blank."""
    return [
        *REQUIRED_FIXED,
        *(f"{area.slug}_rating" for area in areas),
        *(statement_column(statement) for statement in statements),
    ]


@dataclass(frozen=True)
class ColumnHelp:
    column: str
    required: bool
    meaning: str


def column_help() -> list[ColumnHelp]:
    """What each column (or family of columns) holds, for the import page."""
    return [
        ColumnHelp("org_id", True, "The organisation's org-id, e.g. GB-CHC-1234567."),
        ColumnHelp(
            "respondent_name",
            False,
            f"The name on the paper form (up to {MAX_NAME} characters). Give two respondents "
            "of the same organisation and role different names (initials will do).",
        ),
        ColumnHelp(
            "respondent_role",
            True,
            f"{ROLE_CODES.capitalize()}: "
            + "; ".join(f"{role.value} = {role.label}" for role in RespondentRole)
            + ".",
        ),
        ColumnHelp(
            "ceo_hours_per_month",
            False,
            f"CEO or manager hours a month for collaborative work, 0 to {MAX_CEO_HOURS}, at "
            "most one decimal place; blank if not answered.",
        ),
        ColumnHelp("hopes", False, f"What the organisation hopes to gain (up to {MAX_HOPES})."),
        ColumnHelp("<area>_rating", True, "The capacity area's rating, 1 to 5 (scale below)."),
        ColumnHelp(
            "<area>_priority",
            False,
            "A priority for us: yes or no (y/n, true/false, 1/0; blank is no).",
        ),
        ColumnHelp("<area>_offer", False, "We could offer this to others: yes or no, as above."),
        ColumnHelp("<area>_note", False, f"An optional note (up to {MAX_NOTE} characters)."),
        ColumnHelp(
            "readiness_<statement>",
            True,
            "Agreement with the readiness statement, 1 to 5 (scale below).",
        ),
    ]


# --- Writing ---------------------------------------------------------------------------------


def write_template(
    out: Any, areas: Sequence[CapacityArea], statements: Sequence[ReadinessStatement]
) -> None:
    """The blank template: the heading row only."""
    SafeWriter(out).writerow(columns(areas, statements))


def _hours(value: Decimal | None) -> str:
    return "" if value is None else f"{value.normalize():f}"


def response_row(
    response: Response, areas: Sequence[CapacityArea], statements: Sequence[ReadinessStatement]
) -> list[Any]:
    """One response's cells (its ratings and readiness answers prefetched)."""
    ratings = {rating.area_id: rating for rating in response.ratings.all()}
    values = {answer.statement_id: answer.value for answer in response.readiness.all()}
    row: list[Any] = [
        response.organisation.org_id,
        response.name_of_respondent(),
        response.respondent_role,
        _hours(response.ceo_hours_per_month),
        response.hopes,
    ]
    for area in areas:
        rating = ratings.get(area.pk)
        if rating is None:
            row += ["", "", "", ""]
            continue
        row += [
            "" if rating.score is None else rating.score,
            "yes" if rating.is_priority else "no",
            "yes" if rating.can_offer else "no",
            rating.note,
        ]
    row += ["" if values.get(s.pk) is None else values[s.pk] for s in statements]
    return row


def for_export(responses: QuerySet[Response]) -> QuerySet[Response]:
    """The submitted ``responses`` in export order, with what their rows need (five queries)."""
    return (
        responses.filter(status=Response.Status.SUBMITTED)
        .select_related("organisation", "invitation", "respondent")
        .prefetch_related("ratings", "readiness")
        .order_by("organisation__name", "organisation_id", "pk")
    )


def write_responses(
    out: Any,
    responses: Iterable[Response],
    areas: Sequence[CapacityArea],
    statements: Sequence[ReadinessStatement],
) -> int:
    """Write the heading and one row per response to ``out``; return how many rows.

    Text a spreadsheet would run as a formula gets a leading ``'`` (``swim.csv_safety``);
    reading takes it off again.
    """
    writer = SafeWriter(out)
    writer.writerow(columns(areas, statements))
    count = 0
    for response in responses:
        writer.writerow(response_row(response, areas, statements))
        count += 1
    return count


# --- Reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """Something wrong in the file: ``row`` 0 for the file as a whole, 1 for the heading."""

    row: int
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class AreaAnswer:
    score: int
    priority: bool
    offer: bool
    note: str


@dataclass
class PaperResponse:
    """One row: a respondent's answers as read from the file."""

    row: int
    org_id: str
    name: str
    role: str
    hours: Decimal | None
    hopes: str
    areas: dict[str, AreaAnswer] = field(default_factory=dict)
    readiness: dict[str, int] = field(default_factory=dict)


@dataclass
class ReadResult:
    """The valid rows, every problem, and each row's org-id (row number → org-id), valid
    row or not, for the import to check against the directory."""

    rows: list[PaperResponse]
    problems: list[Problem]
    org_ids: dict[int, str] = field(default_factory=dict)


def read_responses(
    data: bytes | str, areas: Sequence[CapacityArea], statements: Sequence[ReadinessStatement]
) -> ReadResult:
    """Read and check every row of ``data`` (a CSV file's bytes or text).

    Problems with the file or its headings stop there; otherwise every row is checked and
    every problem is reported, so one upload shows everything to correct.
    """
    text, problem = _text(data)
    if problem:
        return ReadResult([], [problem])
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        return ReadResult([], [Problem(1, f"Row 1: the headings cannot be read as CSV ({exc}).")])
    if header is None or not any(cell.strip() for cell in header):
        return ReadResult([], [Problem(0, "The file is empty: it needs the template's headings.")])
    names = [cell.strip().lower() for cell in header]
    problems = _check_header(names, areas, statements)
    if problems:
        return ReadResult([], problems)
    rows: list[PaperResponse] = []
    org_ids: dict[int, str] = {}
    number = 1
    try:
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            row = _RowReader(number, names, cells)
            found = row.read(areas, statements)
            if found.org_id:
                org_ids[number] = found.org_id
            if row.problems:
                problems += row.problems
            else:
                rows.append(found)
    except csv.Error as exc:
        problems.append(Problem(number + 1, f"Row {number + 1}: it cannot be read as CSV ({exc})."))
    if not rows and not problems:
        problems.append(Problem(0, "The file has headings but no respondents' rows."))
    return ReadResult(rows, problems, org_ids)


def _text(data: bytes | str) -> tuple[str, Problem | None]:
    if isinstance(data, str):
        return data.removeprefix("\ufeff"), None
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return "", Problem(
            0,
            f"The file is not UTF-8 text (line {line} holds a character that cannot be read): "
            "save it from the spreadsheet as “CSV UTF-8”.",
        )


def _check_header(
    names: list[str], areas: Sequence[CapacityArea], statements: Sequence[ReadinessStatement]
) -> list[Problem]:
    if len(names) == 1 and ";" in names[0]:
        return [Problem(1, "The columns are separated by semicolons: save the file with commas.")]
    known = set(columns(areas, statements))
    problems = []
    positions: dict[str, list[int]] = {}
    for position, name in enumerate(names, start=1):
        if name:
            positions.setdefault(name, []).append(position)
    unknown = [name for name in positions if name not in known]
    if unknown:
        problems.append(
            Problem(
                1,
                "Unknown columns: "
                + ", ".join(unknown)
                + ". Use the headings of the template (download it from the import page).",
            )
        )
    missing = [name for name in required_columns(areas, statements) if name not in positions]
    if missing:
        problems.append(Problem(1, "Missing columns: " + ", ".join(missing) + "."))
    for name, where in positions.items():
        if len(where) > 1:
            places = " and ".join(str(p) for p in where)
            problems.append(Problem(1, f"The column {name} appears more than once ({places})."))
    return problems


def _unprotect(value: str) -> str:
    """Take off the ``'`` the export puts before text a spreadsheet would run as a formula."""
    if value.startswith("'") and value[1:].startswith(_PROTECTED):
        return value[1:]
    return value


def _shown(value: str) -> str:
    return f"'{value}'" if len(value) <= 40 else f"'{value[:40]}…'"


class _RowReader:
    """Reads one row's cells, collecting a problem per bad cell."""

    def __init__(self, number: int, names: list[str], cells: list[str]) -> None:
        self.number = number
        self.problems: list[Problem] = []
        self.values: dict[str, str] = {}
        for position, cell in enumerate(cells, start=1):
            value = cell.strip()
            name = names[position - 1] if position <= len(names) else ""
            if name:
                self.values[name] = value
            elif value:
                self.problem(f"{position} (no heading)", f"{_shown(value)} is under no heading")

    def problem(self, column: str, text: str) -> None:
        self.problems.append(Problem(self.number, f"Row {self.number}, column {column}: {text}."))

    def text(self, column: str, longest: int) -> str:
        value = _unprotect(self.values.get(column, ""))
        if len(value) > longest:
            self.problem(column, f"the text is longer than {longest} characters")
        return value

    def choice(self, column: str) -> str:
        value = self.values.get(column, "")
        if not value:
            self.problem(column, f"a role is needed: {ROLE_CODES}")
            return ""
        role = ROLES.get(value.casefold())
        if role is None:
            self.problem(column, f"{_shown(value)} is not a role: use {ROLE_CODES}")
            return ""
        return role

    def hours(self, column: str) -> Decimal | None:
        value = self.values.get(column, "")
        if not value:
            return None
        try:
            hours = Decimal(value)
        except InvalidOperation:
            hours = Decimal("NaN")
        if not hours.is_finite():
            self.problem(column, f"{_shown(value)} is not a number of hours")
        elif not 0 <= hours <= MAX_CEO_HOURS:
            self.problem(
                column, f"{_shown(value)} is not a number of hours from 0 to {MAX_CEO_HOURS}"
            )
        elif hours != hours.quantize(Decimal("0.1")):
            self.problem(column, f"{_shown(value)} has more than one decimal place")
        else:
            return hours
        return None

    def scale(self, column: str, what: str, missing: str) -> int:
        value = self.values.get(column, "")
        if not value:
            self.problem(column, missing)
            return 0
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = Decimal(0)
        if number.is_finite() and number == number.to_integral_value() and 1 <= number <= 5:
            return int(number)
        self.problem(column, f"{_shown(value)} is not {what} from 1 to 5")
        return 0

    def flag(self, column: str) -> bool:
        value = self.values.get(column, "").casefold()
        if value in YES:
            return True
        if value not in NO:
            self.problem(column, f"{_shown(self.values[column])} is not yes or no")
        return False

    def read(
        self, areas: Sequence[CapacityArea], statements: Sequence[ReadinessStatement]
    ) -> PaperResponse:
        """The row as read; it is valid only if ``self.problems`` stays empty."""
        org_id = self.values.get("org_id", "")
        if not org_id:
            self.problem("org_id", "an org-id is needed, e.g. GB-CHC-1234567")
        found = PaperResponse(
            row=self.number,
            org_id=org_id,
            name=" ".join(self.text("respondent_name", MAX_NAME).split()),
            role=self.choice("respondent_role"),
            hours=self.hours("ceo_hours_per_month"),
            hopes=self.text("hopes", MAX_HOPES),
        )
        for area in areas:
            rating, priority, offer, note = area_columns(area)
            found.areas[area.slug] = AreaAnswer(
                score=self.scale(
                    rating, "a rating", "missing: every capacity area needs a rating from 1 to 5"
                ),
                priority=self.flag(priority),
                offer=self.flag(offer),
                note=self.text(note, MAX_NOTE),
            )
        for statement in statements:
            found.readiness[statement.slug] = self.scale(
                statement_column(statement),
                "an answer",
                "missing: every readiness statement needs an answer from 1 to 5",
            )
        return found
