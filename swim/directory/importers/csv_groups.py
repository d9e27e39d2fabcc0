"""Any CSV of local community groups, most of them on no register.

Which column holds which field comes from a mapping, given as a file of ``field=Column name``
lines (``#`` starts a comment line) with the ``mapping`` option, and/or as
``"field=Column name"`` strings with the ``map`` option (``--map`` on the command line; these
win over the file). With a mapping only the mapped columns are read. Without one, common
headers are recognised whatever their case: *name, organisation, group name*, *postcode, post
code*, *activities, description*, *website, web*, *email*, *phone, telephone*, *lat, latitude*,
*lon, lng, longitude* and the others in :data:`GUESSES`. The fields are those of
:data:`FIELDS`; only ``name`` is required. A mapping that names a column the file lacks fails
the whole import, naming the column.

**Identifiers.** A group's org-id is taken from the ``org_id`` column when the file has one.
Otherwise it is made from the group's name and postcode, ``XI-SWIM-<slug>`` (see
:func:`local_org_id`): the same group in next year's list gets the same id however its name is
capitalised or punctuated, so re-importing updates it instead of adding it twice. A group that
changes its name or postcode gets a new id (and the old one is marked removed).

**Sources.** Each list is its own source, ``csv:<label>`` (the ``label`` option, else the file
name without extension), so importing one list never marks another list's groups removed. A
group missing from a newer copy of the same list is marked removed.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from django.utils.text import slugify

from swim.directory.importers.base import (
    Importer,
    OrgRecord,
    Rejected,
    clean,
    clean_email,
    clean_website,
    parse_float,
    parse_money,
)
from swim.directory.importers.ccew import short_key

FIELDS = (
    "name",
    "org_id",
    "postcode",
    "address",
    "activities",
    "website",
    "email",
    "phone",
    "income",
    "latitude",
    "longitude",
    "local_authority",
)
#: Headers recognised for each field when no mapping is given (compared by :func:`header_key`).
GUESSES: dict[str, tuple[str, ...]] = {
    "name": (
        "name",
        "organisation",
        "organisation name",
        "organization",
        "organization name",
        "group",
        "group name",
        "org name",
    ),
    "org_id": ("org id", "orgid", "org identifier"),
    "postcode": ("postcode", "post code", "postal code"),
    "address": ("address", "full address", "street address"),
    "activities": ("activities", "description", "what we do", "about"),
    "website": ("website", "web", "web site", "url", "website address"),
    "email": ("email", "e mail", "email address"),
    "phone": ("phone", "telephone", "tel", "phone number", "telephone number"),
    "income": ("income", "annual income"),
    "latitude": ("lat", "latitude"),
    "longitude": ("lon", "lng", "long", "longitude"),
    "local_authority": ("local authority", "council", "borough"),
}
GSS_CODE = re.compile(r"^[ENSW]\d{8}$")
LOCAL_ID_PREFIX = "XI-SWIM-"
MAX_ORG_ID = 60


class MappingError(ValueError):
    """The column mapping does not fit the file; the import stops."""


def header_key(text: str) -> str:
    """A header compared without case, underscores, hyphens or extra spaces.

    >>> header_key("  Group_Name "), header_key("E-mail")
    ('group name', 'e mail')
    """
    return re.sub(r"[\s_\-]+", " ", text).strip().lower()


def read_mapping(lines: Iterable[str], where: str) -> dict[str, str]:
    """Field → column from ``field=Column name`` lines; blank lines and ``#`` lines skipped.

    >>> read_mapping(["# our list", "name = Group", "postcode=Post Code", ""], "test")
    {'name': 'Group', 'postcode': 'Post Code'}
    >>> read_mapping(["colour=Blue"], "mapping.txt")
    Traceback (most recent call last):
    ...
    swim.directory.importers.csv_groups.MappingError: mapping.txt line 1: unknown field 'colour'...
    """
    mapping: dict[str, str] = {}
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        field, sep, column = (part.strip() for part in text.partition("="))
        if not sep or not field or not column:
            raise MappingError(f"{where} line {number}: expected field=Column name, not {text!r}")
        if field.lower() not in FIELDS:
            raise MappingError(
                f"{where} line {number}: unknown field {field!r}; the fields are "
                + ", ".join(FIELDS)
            )
        mapping[field.lower()] = column
    return mapping


def local_org_id(name: str, postcode: str) -> str:
    """The org-id of a group on no register, made from its name and postcode.

    The slug of name and postcode is stable against case and punctuation; a long one is cut
    and ends with a hash of the whole, and a name with no Latin letters is hashed.

    >>> local_org_id("Friends of Longford Park", "M32 8DA")
    'XI-SWIM-friends-of-longford-park-m32-8da'
    >>> local_org_id("FRIENDS OF LONGFORD PARK!", "m32 8da")
    'XI-SWIM-friends-of-longford-park-m32-8da'
    >>> local_org_id("Stretford and Urmston Refugee and Asylum Seeker Befriending Network", "")
    'XI-SWIM-stretford-and-urmston-refugee-and-asylum-se-221bbd6c'
    >>> local_org_id("Русский клуб", "M16 0AA")
    'XI-SWIM-2404fbf9ddd5-m16-0aa'
    """
    name_slug = (
        slugify(name)
        or hashlib.sha1(clean(name).lower().encode(), usedforsecurity=False).hexdigest()[:12]
    )
    slug = "-".join(part for part in (name_slug, slugify(postcode)) if part)
    room = MAX_ORG_ID - len(LOCAL_ID_PREFIX)
    if len(slug) > room:
        digest = hashlib.sha1(slug.encode(), usedforsecurity=False).hexdigest()[:8]
        slug = f"{slug[: room - 9].rstrip('-')}-{digest}"
    return f"{LOCAL_ID_PREFIX}{slug}"


def field_value(row: dict[str, str], field: str, parse: Any) -> Any:
    try:
        return parse(row.get(field))
    except Rejected as exc:
        raise Rejected(f"{field}: {exc}") from exc


class CsvGroupsImporter(Importer):
    """Options: ``mapping`` (path of a mapping file), ``map`` (list of ``field=Column``),
    ``label`` (the list's name in its source key)."""

    name = "csv"
    title = "CSV of local community groups"
    publisher = "Whoever made the list (a council, a CVS, a forum)"
    licence = "As agreed with the list's publisher"
    org_id_prefix = ""
    download_url = None

    def source_key(self, path: Path) -> str:
        label = clean(self.options.get("label")) or Path(path).name.split(".")[0]
        return short_key(self.name, label)

    def mapping(self) -> dict[str, str]:
        """The mapping from the ``mapping`` file and the ``map`` strings (these win)."""
        mapping: dict[str, str] = {}
        if file := self.options.get("mapping"):
            path = Path(file)
            mapping |= read_mapping(path.read_text(encoding="utf-8-sig").splitlines(), path.name)
        pairs = self.options.get("map") or []
        mapping |= read_mapping([pairs] if isinstance(pairs, str) else pairs, "--map")
        return mapping

    def columns(self, header: list[str], file_name: str) -> dict[str, int]:
        """Field → column index, from the mapping or, without one, from the headers."""
        keys: dict[str, int] = {}
        for position, column in enumerate(header):
            keys.setdefault(header_key(column), position)
        listed = ", ".join(repr(column) for column in header)
        columns: dict[str, int] = {}
        if mapping := self.mapping():
            for field, column in mapping.items():
                index = keys.get(header_key(column))
                if index is None:
                    raise MappingError(
                        f"the mapping names the column {column!r} (for {field}), which is not "
                        f"in {file_name}; its columns are {listed}"
                    )
                columns[field] = index
        else:
            for field, aliases in GUESSES.items():
                found = next((keys[a] for a in aliases if a in keys), None)
                if found is not None:
                    columns[field] = found
        if "name" not in columns:
            raise MappingError(
                f"no column of {file_name} holds the groups' names: map one with "
                f"name=COLUMN; its columns are {listed}"
            )
        return columns

    def rows(self, path: Path) -> Iterator[dict[str, str]]:
        """The file's rows as dicts of field → value (blank rows skipped)."""
        text = self.open_text(path)
        first_line = text.readline()
        text.seek(0)
        delimiter = max(",;\t", key=first_line.count)
        reader = csv.reader(text, delimiter=delimiter)
        header = [h.strip() for h in next(reader, [])]
        columns = self.columns(header, Path(path).name)
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            yield {
                field: cells[index].strip() if index < len(cells) else ""
                for field, index in columns.items()
            }

    def parse_row(self, row: dict[str, str]) -> OrgRecord:
        name = clean(row.get("name"))
        if not name:
            raise Rejected("the row has no name")
        postcode = clean(row.get("postcode")).upper()
        org_id = clean(row.get("org_id")) or local_org_id(name, postcode)
        if len(org_id) > MAX_ORG_ID:
            raise Rejected(f"org_id {org_id[:20]!r}… is longer than {MAX_ORG_ID} characters")
        latitude = field_value(row, "latitude", parse_float)
        longitude = field_value(row, "longitude", parse_float)
        if latitude is None or longitude is None:
            latitude = longitude = None
        area = clean(row.get("local_authority"))
        is_code = bool(GSS_CODE.match(area.upper()))
        return OrgRecord(
            org_id=org_id,
            name=name,
            address=clean(row.get("address")),
            postcode=postcode,
            latitude=latitude,
            longitude=longitude,
            local_authority_code=area.upper() if is_code else "",
            local_authority="" if is_code else area,
            income=field_value(row, "income", parse_money),
            activities=clean(row.get("activities")),
            website=clean_website(row.get("website")),
            email=clean_email(row.get("email")),
            phone=clean(row.get("phone"))[:40],
        )
