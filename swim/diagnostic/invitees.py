"""Who to invite: organisations named by org-id or by name, and pasted lines of people.

A facilitator names an organisation by its **org-id** (in any case) or by its **name**, typed
exactly as the directory has it (case and repeated spaces aside). A name finds the
organisation only when exactly one organisation has it — one active organisation, if some
are active and others removed from the register; two with the same name must be told apart
by org-id. ``Name (GB-CHC-1234567)``, as the type-ahead list offers it, is read by its
org-id.

Bulk invitations are lines of ``organisation, person's name, email, role`` (the role
optional: blank is CEO or manager), comma-separated with double quotes around a value
holding a comma, or tab-separated as pasted from a spreadsheet. :func:`read_lines` checks
each line on its own; whether its organisation exists, it is a duplicate or it was invited
already is :func:`swim.diagnostic.actions.do_invite_many`'s question.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q
from django.db.models.functions import Lower

from swim.diagnostic.csv_io import ROLE_CODES, ROLES
from swim.diagnostic.models import RespondentRole
from swim.directory.models import Organisation
from swim.directory.search import PREFIX_FROM

#: Most people one paste (or file) may invite.
MAX_LINES = 500
#: Longest person's name, as the single invitation form.
MAX_NAME = 200
#: Headings a file's first line may carry in its email column: that line is skipped.
EMAIL_HEADINGS = {"email", "e-mail", "email address", "e-mail address"}
#: Most org-ids listed when a name belongs to several organisations.
AMBIGUOUS_SHOWN = 5

_ORG_ID = re.compile(r"[A-Za-z]{2}-[A-Za-z]{2,10}-\S+")
_BRACKETED = re.compile(r"(?P<name>.*?)\s*\((?P<org_id>[A-Za-z]{2}-[A-Za-z]{2,10}-[^()\s]+)\)")


def tidy(value: str) -> str:
    """``value`` with surrounding spaces trimmed and runs of spaces made one."""
    return " ".join(value.split())


@dataclass(frozen=True)
class Found:
    """What a typed organisation names: the organisation, or why none (a sentence's end)."""

    organisation: Organisation | None
    problem: str = ""


def search_words(typed: str) -> str:
    """What the type-ahead looks for while a name is typed: a chosen option's org-id, else
    the words, less a last word still too short to be searched for as a word's start.

    >>> search_words("Alpha Women's Centre (GB-CHC-1000001)")
    'GB-CHC-1000001'
    >>> search_words("  alpha   wo")
    'alpha'
    >>> search_words("wo")
    ''
    """
    text = tidy(typed)
    bracketed = _BRACKETED.fullmatch(text)
    if bracketed:
        return bracketed["org_id"]
    words = text.split()
    if words and len(words[-1]) < PREFIX_FROM:
        words.pop()
    return " ".join(words)


def option_value(organisation: Organisation) -> str:
    """How the type-ahead list offers an organisation: its name and, in brackets, its org-id."""
    return f"{organisation.name} ({organisation.org_id})"


def find_organisations(typed: Iterable[str]) -> dict[str, Found]:
    """The organisation each of ``typed`` names (by org-id, else by name), in one query.

    Keys are the values as given. A value no organisation has, or a name several have,
    maps to a ``Found`` whose ``problem`` says so, for example
    "2 organisations are called 'Age UK Trafford': use the org-id (GB-CHC-1 or GB-CHC-2)".
    """
    values = {value: tidy(value) for value in set(typed)}
    org_ids, names = set(), set()
    for text in values.values():
        bracketed = _BRACKETED.fullmatch(text)
        if bracketed:
            org_ids.add(bracketed["org_id"].lower())
        elif text:
            org_ids.add(text.lower())
            names.add(text.lower())
    by_id: dict[str, Organisation] = {}
    by_name: dict[str, list[Organisation]] = {}
    if org_ids or names:
        candidates = Organisation.objects.annotate(
            lower_id=Lower("org_id"), lower_name=Lower("name")
        ).filter(Q(lower_id__in=org_ids) | Q(lower_name__in=names))
        for organisation in candidates.only("pk", "org_id", "name", "status", "postcode"):
            by_id[organisation.org_id.casefold()] = organisation
            by_name.setdefault(tidy(organisation.name).casefold(), []).append(organisation)
    return {value: _found(text, by_id, by_name) for value, text in values.items()}


def _found(
    text: str, by_id: dict[str, Organisation], by_name: dict[str, list[Organisation]]
) -> Found:
    bracketed = _BRACKETED.fullmatch(text)
    if bracketed:
        org_id = bracketed["org_id"]
        organisation = by_id.get(org_id.casefold())
        return Found(
            organisation, "" if organisation else f"no organisation has the org-id {org_id}"
        )
    if text.casefold() in by_id:
        return Found(by_id[text.casefold()])
    named = by_name.get(text.casefold(), [])
    active = [o for o in named if o.status == Organisation.Status.ACTIVE]
    pool = sorted(active or named, key=lambda o: o.org_id)
    if len(pool) == 1:
        return Found(pool[0])
    if pool:
        shown = [o.org_id + (f" in {o.postcode}" if o.postcode else "") for o in pool]
        if len(shown) <= AMBIGUOUS_SHOWN:
            listed = ", ".join(shown[:-1]) + " or " + shown[-1]
        else:
            extra = len(shown) - AMBIGUOUS_SHOWN
            listed = ", ".join(shown[:AMBIGUOUS_SHOWN]) + f" and {extra} more"
        return Found(
            None, f"{len(pool)} organisations are called '{text}': use the org-id ({listed})"
        )
    if _ORG_ID.fullmatch(text):
        return Found(None, f"no organisation has the org-id {text}")
    return Found(None, f"no organisation has the name or org-id '{text}'")


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
