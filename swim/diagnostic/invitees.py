"""Who to invite: organisations named by org-id or by name, and pasted lines of people.

A facilitator names an organisation by its **org-id** or by its **name**, as every form
naming one organisation does: the rule is the directory's, :mod:`swim.directory.lookup`
(:func:`find_organisations`, used here for all the lines at once).

Bulk invitations are lines of ``organisation, person's name, email, role`` (the role
optional: blank is CEO or manager), comma-separated with double quotes around a value
holding a comma, or tab-separated as pasted from a spreadsheet. :func:`read_lines` checks
each line on its own; whether its organisation exists, it is a duplicate or it was invited
already is :func:`swim.diagnostic.actions.do_invite_many`'s question.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from swim.diagnostic.csv_io import ROLE_CODES, ROLES
from swim.diagnostic.models import RespondentRole
from swim.directory.lookup import find_organisations as find_organisations
from swim.directory.lookup import tidy

#: Most people one paste (or file) may invite.
MAX_LINES = 500
#: Longest person's name, as the single invitation form.
MAX_NAME = 200
#: Headings a file's first line may carry in its email column: that line is skipped.
EMAIL_HEADINGS = {"email", "e-mail", "email address", "e-mail address"}


@dataclass(frozen=True)
class Problem:
    """Something wrong with the paste: ``line`` 0 for the paste as a whole."""

    line: int
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class InviteLine:
    """One line as read: ``text`` as given, the values tidied (the email lower-cased)."""

    number: int
    text: str
    organisation: str
    name: str
    email: str
    role: str


@dataclass
class ReadLines:
    """Every line read (its organisation, to look up even on a line with other problems),
    every problem, and the numbers of the lines that have one."""

    lines: list[InviteLine] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def faulty(self) -> set[int]:
        return {problem.line for problem in self.problems}


def read_lines(text: str) -> ReadLines:
    """Read and check every line of ``text``: blank lines and a heading line are skipped.

    Line numbers are the text's own (the first line is 1, blank lines count), so that they
    match the box or the file. More than :data:`MAX_LINES` people is refused whole.
    """
    numbered = [
        (number, raw)
        for number, raw in enumerate(text.removeprefix("\ufeff").splitlines(), start=1)
        if raw.strip(" \t,;\"'")
    ]
    delimiter = "\t" if any("\t" in raw for _, raw in numbered) else ","
    rows = [(number, raw, _cells(raw, delimiter)) for number, raw in numbered]
    if rows and len(rows[0][2]) >= 3 and rows[0][2][2].casefold() in EMAIL_HEADINGS:
        rows = rows[1:]
    read = ReadLines()
    if not rows:
        read.problems.append(
            Problem(0, "Give at least one line: organisation, person's name, email, role.")
        )
    elif len(rows) > MAX_LINES:
        read.problems.append(
            Problem(
                0,
                f"There are {len(rows)} lines: at most {MAX_LINES} people can be invited at "
                "once. Split them and send each part in turn.",
            )
        )
    else:
        for number, raw, cells in rows:
            _read_line(read, number, raw, cells)
    return read


def _cells(raw: str, delimiter: str) -> list[str]:
    cells = [cell.strip() for cell in next(csv.reader([raw], delimiter=delimiter))]
    while cells and not cells[-1]:
        cells.pop()
    return cells


def _read_line(read: ReadLines, number: int, raw: str, cells: list[str]) -> None:
    def problem(text: str) -> None:
        read.problems.append(Problem(number, f"Line {number}: {text}."))

    if len(cells) < 3:
        problem(
            f"{len(cells)} value{'s' * (len(cells) != 1)} where 3 or 4 are needed: the "
            "organisation, the person's name, their email and (optionally) their role, "
            "separated by commas"
        )
        return
    if len(cells) > 4:
        problem(
            f"{len(cells)} values where at most 4 are expected (organisation, name, email, "
            'role): put a value holding a comma in double quotes, "Smith, Jones & Co"'
        )
        return
    organisation, name, email, role = [*cells, ""][:4]
    organisation, name, email = tidy(organisation), tidy(name), email.lower()
    if not organisation:
        problem("the organisation is missing: give its org-id or its name")
    if not name:
        problem("the person's name is missing")
    elif len(name) > MAX_NAME:
        problem(f"the person's name is longer than {MAX_NAME} characters")
    if not email:
        problem("the email address is missing")
    elif not _is_email(email):
        problem(f"'{_shown(email)}' is not an email address")
    code = ROLES.get(role.casefold()) if role else RespondentRole.CEO.value
    if code is None:
        problem(f"'{_shown(role)}' is not a role: use {ROLE_CODES} (blank for CEO or manager)")
    read.lines.append(InviteLine(number, raw, organisation, name, email, code or ""))


def _is_email(value: str) -> bool:
    try:
        validate_email(value)
    except ValidationError:
        return False
    return len(value) <= 254


def _shown(value: str) -> str:
    return value if len(value) <= 60 else value[:60] + "…"
