"""What every importer shares: source metadata, records, row reading and field parsers.

An importer is one module per source. It declares where its data comes from as class
attributes and turns one row of the file into records with :meth:`Importer.parse_row`::

    class CcniImporter(Importer):
        name = "ccni"
        title = "Charity Commission for Northern Ireland register"
        publisher = "Charity Commission for Northern Ireland"
        licence = "Open Government Licence v3.0"
        org_id_prefix = "GB-NIC-"

        def parse_row(self, row):
            return OrgRecord(org_id=..., name=...)

``parse_row`` raises :class:`Rejected` with a reason a person can act on when a row cannot be
used; the import keeps going and lists the row in its report.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from pathlib import Path
from typing import Any, ClassVar

csv.field_size_limit(16 * 1024 * 1024)


class Rejected(Exception):
    """A row that cannot be imported, with the reason shown in the import report.

    ``in_field`` marks a reason about the value just read (raised by the ``parse_*``
    helpers): the engine then names the column in the report.
    """

    def __init__(self, reason: str, *, in_field: bool = False) -> None:
        super().__init__(reason)
        self.in_field = in_field


class UnreadableFile(Exception):
    """The whole file cannot be imported (empty, wrong columns…); the message says why."""


#: Key of a row that could not even be read as a row (cut short, malformed); the engine
#: rejects such rows with the text stored under it.
PROBLEM = "__problem__"


class TrackingRow(dict[str, str]):
    """A row that remembers the last column read, so a rejection can name its field."""

    last_field: str = ""

    def __getitem__(self, key: str) -> str:
        self.last_field = key
        return super().__getitem__(key)

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        self.last_field = key
        return super().get(key, default)


@dataclass(frozen=True)
class ClassificationRef:
    scheme: str
    code: str
    label: str


@dataclass
class OrgRecord:
    """One organisation as a source describes it (fields of :class:`Organisation`)."""

    org_id: str
    name: str
    status: str = "active"
    other_ids: list[str] = field(default_factory=list)
    date_registered: date | None = None
    date_removed: date | None = None
    address: str = ""
    postcode: str = ""
    latitude: float | None = None
    longitude: float | None = None
    local_authority_code: str = ""
    local_authority: str = ""
    area_of_operation: str = ""
    income: int | None = None
    spending: int | None = None
    financial_year_end: date | None = None
    activities: str = ""
    objects_text: str = ""
    website: str = ""
    email: str = ""
    phone: str = ""
    source_date: date | None = None
    classifications: list[ClassificationRef] = field(default_factory=list)
    networks: list[NetworkRecord] = field(default_factory=list)

    def fingerprint(self) -> str:
        """A hash of everything the source said, to tell unchanged rows quickly."""
        values = repr(tuple(getattr(self, f.name) for f in fields(self)))
        return hashlib.sha1(values.encode(), usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class TieRecord:
    """An existing relationship between two organisations, by org-id."""

    a: str
    b: str
    kind: str
    weight: float = 1.0
    evidence: str = ""


@dataclass(frozen=True)
class NetworkRecord:
    """An organisation's membership of a named network (federation, umbrella, forum)."""

    network: str
    org_id: str = ""
    kind: str = ""
    role: str = ""


Record = OrgRecord | TieRecord | NetworkRecord


class Importer:
    """Base class: subclasses set the metadata and implement :meth:`parse_row`."""

    name: ClassVar[str]
    title: ClassVar[str]
    publisher: ClassVar[str]
    licence: ClassVar[str]
    org_id_prefix: ClassVar[str] = ""
    #: "organisations" (register rows) or "relationships" (ties and networks).
    produces: ClassVar[str] = "organisations"
    #: Official address of the latest file, for ``--download`` (None: not downloadable).
    download_url: ClassVar[str | None] = None
    #: Member of a downloaded zip archive to read (None: the first CSV/JSON/TXT in it).
    download_member: ClassVar[str | None] = None
    #: Whether organisations of this source missing from a full file are marked removed.
    marks_vanished: ClassVar[bool] = True
    #: Columns the file must have; without them the import fails before reading any row.
    required_columns: ClassVar[Sequence[str]] = ()
    #: Encodings tried in order when reading text.
    encodings: ClassVar[Sequence[str]] = ("utf-8-sig", "cp1252")
    delimiter: ClassVar[str] = ","

    def __init__(self, **options: Any) -> None:
        self.options = options

    def source_key(self, path: Path) -> str:
        """The ``source`` stored on organisations this import creates."""
        return self.name

    def rows(self, path: Path) -> Iterator[dict[str, str]]:
        """The file's rows as dicts (CSV by default; gzip and zip are opened transparently)."""
        reader = csv.DictReader(self.open_text(path), delimiter=self.delimiter)
        header = [name.strip() for name in reader.fieldnames or []]
        if not header:
            raise UnreadableFile(f"{Path(path).name} is empty: it has no header row.")
        missing = [name for name in self.required_columns if name not in header]
        if missing:
            raise UnreadableFile(
                f"{Path(path).name} is not a {self.title} file: it has no "
                + ", ".join(repr(name) for name in missing)
                + " column"
                + ("s" if len(missing) > 1 else "")
                + f" (its columns are {', '.join(header[:8])}{'…' if len(header) > 8 else ''})."
            )
        for row in reader:
            if None in row.values():
                yield {
                    PROBLEM: f"the row is cut short: it has fewer fields than the header's "
                    f"{len(header)}"
                }
                continue
            if None in row and any((v or "").strip() for v in row[None]):
                yield {PROBLEM: "the row has more fields than the header"}
                continue
            yield {(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None}

    def parse_row(self, row: dict[str, str]) -> Record | list[Record] | None:
        """Turn one row into records; ``None`` or ``[]`` when the row holds nothing to store."""
        raise NotImplementedError

    def open_text(self, path: Path) -> io.TextIOBase:
        """Open ``path`` as text, trying :attr:`encodings` until one decodes the whole file."""
        raw = read_bytes(path, self.download_member)
        for encoding in self.encodings:
            try:
                return io.StringIO(raw.decode(encoding), newline="")
            except UnicodeDecodeError:
                continue
        return io.StringIO(raw.decode(self.encodings[0], errors="replace"), newline="")


def read_bytes(path: Path, member: str | None = None) -> bytes:
    """The bytes of a plain, gzipped or zipped file."""
    data = Path(path).read_bytes()
    if data[:2] == b"\x1f\x8b":
        return gzip.decompress(data)
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = [n for n in archive.namelist() if not n.endswith("/")]
            chosen = (
                member
                if member in names
                else next((n for n in names if n.lower().endswith((".csv", ".json", ".txt"))), None)
            )
            if chosen is None:
                raise Rejected(f"The archive {Path(path).name} holds no CSV, JSON or TXT file.")
            return archive.read(chosen)
    return data


# --- Field parsers shared by importers -------------------------------------------------------

MISSING = {"", "na", "n/a", "null", "none", "-", "0000-00-00"}


def clean(value: str | None) -> str:
    """Trimmed text, with register placeholders (``NA``, ``NULL``…) as empty.

    >>> clean("  NA "), clean(" Trafford  Carers "), clean(None)
    ('', 'Trafford Carers', '')
    """
    text = re.sub(r"\s+", " ", value or "").strip()
    return "" if text.lower() in MISSING else text


DATE_FORMATS = (
    "%Y-%m-%d",
    "%d/%m/%Y",
    "%d %B %Y",
    "%d %b %Y",
    "%Y-%m-%dT%H:%M:%S",
    "%Y%m%d",
    "%d-%m-%Y",
    "%Y/%m/%d",
)


def parse_date(value: str | None) -> date | None:
    """A date in any of the registers' formats, or None when empty.

    >>> parse_date("13/12/2013"), parse_date("31 March 2019"), parse_date("2023-04-04 00:00:00")
    (datetime.date(2013, 12, 13), datetime.date(2019, 3, 31), datetime.date(2023, 4, 4))
    >>> parse_date("")
    >>> parse_date("someday")
    Traceback (most recent call last):
    ...
    swim.directory.importers.base.Rejected: 'someday' is not a date
    """
    text = clean(value)
    if not text:
        return None
    text = text.split(" 00:00")[0].split("T00:00")[0]
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise Rejected(f"{text!r} is not a date", in_field=True)


def parse_money(value: str | None) -> int | None:
    """Whole pounds (or dollars) from ``"£12,345.67"``, ``"12345"``; None when empty.

    >>> parse_money("£12,345.67"), parse_money(""), parse_money("-200")
    (12346, None, -200)
    """
    text = clean(value).replace(",", "").replace("£", "").replace("$", "")
    if not text:
        return None
    try:
        return round(float(text))
    except ValueError as exc:
        raise Rejected(f"{value!r} is not an amount of money", in_field=True) from exc


def parse_float(value: str | None) -> float | None:
    text = clean(value)
    if not text:
        return None
    try:
        return float(text)
    except ValueError as exc:
        raise Rejected(f"{value!r} is not a number", in_field=True) from exc


def clean_website(value: str | None) -> str:
    """A URL with a scheme, or ``""``.

    >>> clean_website("www.cancerlifeline.info")
    'http://www.cancerlifeline.info'
    """
    text = clean(value)
    if not text or " " in text or "." not in text:
        return ""
    return text if re.match(r"^https?://", text, re.I) else f"http://{text}"


EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def clean_email(value: str | None) -> str:
    text = clean(value)
    return text if EMAIL.match(text) else ""


def split_labels(value: str, vocabulary: Sequence[str]) -> list[str]:
    """Split a comma-joined label list whose labels may themselves contain commas.

    Known labels are matched longest first; what is left is split on commas.

    >>> split_labels("Education,Relief of need, age or disability,Sport",
    ...              ["Relief of need, age or disability"])
    ['Relief of need, age or disability', 'Education', 'Sport']
    """
    text = clean(value)
    found = []
    for label in sorted((clean(v) for v in vocabulary), key=len, reverse=True):
        if label and label in text:
            found.append(label)
            text = text.replace(label, "")
    found.extend(part.strip() for part in text.split(",") if part.strip())
    return found
