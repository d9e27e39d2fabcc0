"""Charity Commission for England and Wales: the register extract and CSV subsets of it.

Three forms of the same register are read, told apart from the first bytes of the file:

* the official extract table ``publicextract.charity`` as JSON (one array of objects),
* the same table as tab-separated text (``publicextract.charity.txt``),
* a comma-separated subset with the extract's column names, such as the charities operating
  in one area that a council data team publishes (``NA`` marks a missing value).

All three may be plain, gzipped or zipped; the large official files are streamed, never loaded
whole. Only main charities are kept: a linked charity (``linked_charity_number`` not 0) shares
its parent's number and is rejected with a reason.

The extract keeps what-who-how classification codes in a separate table,
``publicextract.charity_classification``. When a file of that name (``.json``, ``.txt`` or
``.zip``) sits beside the imported file, or the ``classifications`` option names one, its codes
become classifications of the schemes ``ccew-what``, ``ccew-who`` and ``ccew-how``.

The official extract is the whole register, so charities it no longer holds are marked removed.
A subset is not: it is imported under its own source (``ccew:<label or file name>``) so that a
Trafford list does not mark every other charity in England and Wales removed.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import IO, Any, cast

from swim.directory.geocoding import normalise_postcode
from swim.directory.importers.base import (
    PROBLEM,
    ClassificationRef,
    Importer,
    OrgRecord,
    Rejected,
    clean,
    clean_email,
    clean_website,
    parse_date,
    parse_money,
)

CLASSIFICATION_TABLE = "publicextract.charity_classification"
MAX_ITEM_CHARS = 16 * 1024 * 1024
SOURCE_KEY_LENGTH = 30  # Organisation.source


# --- Reading the files ------------------------------------------------------------------------


@contextmanager
def open_binary(path: Path, member: str | None = None) -> Iterator[IO[bytes]]:
    """A plain, gzipped or zipped file as a stream of bytes, without reading it whole.

    In a zip archive ``member`` is read when present, else the first CSV, JSON or TXT file.
    """
    with open(path, "rb") as probe:
        magic = probe.read(4)
    if magic[:2] == b"\x1f\x8b":
        with gzip.open(path, "rb") as unzipped:
            yield cast("IO[bytes]", unzipped)
    elif magic == b"PK\x03\x04":
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if not n.endswith("/")]
            chosen = (
                member
                if member in names
                else next((n for n in names if n.lower().endswith((".csv", ".json", ".txt"))), None)
            )
            if chosen is None:
                raise Rejected(f"The archive {Path(path).name} holds no CSV, JSON or TXT file.")
            with archive.open(chosen) as stream:
                yield stream
    else:
        with open(path, "rb") as stream:
            yield stream


@contextmanager
def open_stream(path: Path, member: str | None = None) -> Iterator[IO[str]]:
    """The file as UTF-8 text (a byte-order mark is dropped, bad bytes replaced)."""
    with open_binary(path, member) as raw:
        yield io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")


def sniff(path: Path, member: str | None = None) -> str:
    """``"json"``, ``"txt"`` (tab-separated) or ``"csv"``, from the start of the file."""
    with open_binary(path, member) as raw:
        head = raw.read(4096)
    text = codecs.decode(head, "utf-8-sig", errors="replace").lstrip()
    if text.startswith("["):
        return "json"
    first_line = text.partition("\n")[0]
    return "txt" if first_line.count("\t") > first_line.count(",") else "csv"


WHITESPACE = re.compile(r"[ \t\r\n]*")
ITEM_ENDS = " \t\r\n,]"


def iter_json_array(text: IO[str], chunk_size: int = 1 << 16) -> Iterator[Any]:
    """The items of a file holding one JSON array, decoded one at a time.

    Only about one item is in memory at once, so a register of 170,000 charities streams.

    >>> list(iter_json_array(io.StringIO('[{"a": 1}, {"b": [2, 3]}, 45]'), chunk_size=4))
    [{'a': 1}, {'b': [2, 3]}, 45]
    >>> list(iter_json_array(io.StringIO('  [ ]')))
    []
    >>> list(iter_json_array(io.StringIO('{"a": 1}')))
    Traceback (most recent call last):
    ...
    ValueError: the file does not hold a JSON array (it starts with '{')
    """
    decoder = json.JSONDecoder()
    buffer, pos, size = "", 0, chunk_size
    state = "start"  # then "first", "item" (after a comma) and "after" (after an item)

    def fill() -> bool:
        nonlocal buffer, pos
        chunk = text.read(size)
        buffer, pos = buffer[pos:] + chunk, 0
        return bool(chunk)

    while True:
        pos = WHITESPACE.match(buffer, pos).end()  # type: ignore[union-attr]
        if pos == len(buffer):
            if fill():
                continue
            raise ValueError("the JSON array ends before it is closed")
        char = buffer[pos]
        if state == "start":
            if char != "[":
                raise ValueError(f"the file does not hold a JSON array (it starts with {char!r})")
            pos, state = pos + 1, "first"
        elif state == "first" and char == "]":
            return
        elif state in {"first", "item"}:
            try:
                item, end = decoder.raw_decode(buffer, pos)
            except json.JSONDecodeError:
                if len(buffer) - pos > MAX_ITEM_CHARS or not fill():
                    raise
                size *= 2  # an item longer than a chunk: read more at a time
                continue
            tail = buffer[end : end + 3]
            if len(tail) < 3 and not (tail and tail[0] in ITEM_ENDS) and fill():
                continue  # a number may go on in the next chunk ("12" then ".5"): decode again
            yield item
            pos, state, size = end, "after", chunk_size
        elif char == ",":
            pos, state = pos + 1, "item"
        elif char == "]":
            return
        else:
            raise ValueError(f"unexpected {char!r} between the items of the JSON array")


def as_text(value: Any) -> str:
    """A JSON value as the text a CSV cell would hold.

    >>> as_text(None), as_text(12.0), as_text(True), as_text("x")
    ('', '12.0', 'True', 'x')
    """
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def table_rows(path: Path, member: str | None = None) -> Iterator[dict[str, str]]:
    """The rows of an extract table in any of its forms, as dicts of text."""
    form = sniff(path, member)
    with open_stream(path, member) as text:
        if form == "json":
            for item in iter_json_array(text):
                if isinstance(item, dict):
                    yield {str(k).strip(): as_text(v).strip() for k, v in item.items()}
                else:
                    yield {PROBLEM: f"the JSON array holds {type(item).__name__}, not an object"}
            return
        if form == "txt":
            # The Commission's TXT files are not quoted; a backslash escapes the next character.
            reader = csv.reader(text, delimiter="\t", quoting=csv.QUOTE_NONE, escapechar="\\")
        else:
            reader = csv.reader(text)
        header = [h.strip() for h in next(reader, [])]
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                yield {
                    PROBLEM: f"the row has {len(cells)} fields where the header has {len(header)}"
                }
                continue
            yield {h: c.strip() for h, c in zip(header, cells, strict=True)}


def load_classifications(path: Path) -> dict[str, list[ClassificationRef]]:
    """What-who-how codes of each main charity, by registered number, from the extract table."""
    found: dict[str, set[ClassificationRef]] = {}
    shared: dict[ClassificationRef, ClassificationRef] = {}  # one object per code, not per row
    for row in table_rows(path, f"{CLASSIFICATION_TABLE}.json"):
        if PROBLEM in row or clean(row.get("linked_charity_number")) not in {"", "0"}:
            continue
        number = clean(row.get("registered_charity_number"))
        kind = clean(row.get("classification_type")).lower()
        code = clean(row.get("classification_code"))
        if not (number.isdigit() and kind and code):
            continue
        label = clean(row.get("classification_description")) or code
        ref = ClassificationRef(f"ccew-{kind}", code, label)
        found.setdefault(str(int(number)), set()).add(shared.setdefault(ref, ref))
    return {
        number: sorted(refs, key=lambda r: (r.scheme, r.code)) for number, refs in found.items()
    }


# --- Field helpers ----------------------------------------------------------------------------


def field_date(row: dict[str, str], name: str) -> date | None:
    """The date in column ``name``; a bad one rejects the row and names the column."""
    try:
        return parse_date(row.get(name))
    except Rejected as exc:
        raise Rejected(f"{name}: {exc}") from exc


def field_money(row: dict[str, str], name: str) -> int | None:
    try:
        return parse_money(row.get(name))
    except Rejected as exc:
        raise Rejected(f"{name}: {exc}") from exc


def uk_postcode(value: str | None) -> str:
    """A UK postcode in ``OUT IN`` form, mending a letter O typed for a zero; else as given.

    >>> uk_postcode("wa15 ohf"), uk_postcode("M4 1LE  "), uk_postcode("NA"), uk_postcode("Poole")
    ('WA15 0HF', 'M4 1LE', '', 'POOLE')
    """
    text = clean(value).upper()
    if not text:
        return ""
    if normalised := normalise_postcode(text):
        return normalised
    compact = text.replace(" ", "")
    if len(compact) >= 5 and compact[-3] == "O":
        mended = normalise_postcode(f"{compact[:-3]}0{compact[-2:]}")
        if mended:
            return mended
    return text


def company_org_id(number: str | None) -> str:
    """The Companies House org-id of a company number (digits padded to eight).

    >>> company_org_id("738693"), company_org_id("SC123456"), company_org_id("NA")
    ('GB-COH-00738693', 'GB-COH-SC123456', '')
    >>> company_org_id("0"), company_org_id("1234567.0")
    ('', 'GB-COH-01234567')
    """
    text = re.sub(r"\.0$", "", clean(number).upper().replace(" ", ""))
    if not text or not text.strip("0"):
        return ""
    if text.isdigit():
        return f"GB-COH-{text.zfill(8)}"
    return f"GB-COH-{text}" if re.fullmatch(r"[A-Z]{2}\d{6}", text) else ""


def short_key(prefix: str, label: str, length: int = SOURCE_KEY_LENGTH) -> str:
    """``prefix:label`` cut to ``length`` characters, kept distinct by a short hash.

    >>> short_key("csv", "Trafford groups")
    'csv:Trafford groups'
    >>> short_key("ccew", "charities_operating_in_trafford")
    'ccew:charities_operatin-a044a6'
    """
    key = f"{prefix}:{label.strip()}"
    if len(key) <= length:
        return key
    digest = hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:6]
    return f"{key[: length - 7]}-{digest}"


# --- The importer -----------------------------------------------------------------------------


class CcewImporter(Importer):
    """The register of charities in England and Wales, one main charity per row.

    Options: ``classifications`` (path of a ``publicextract.charity_classification`` file) and
    ``label`` (a name for a subset CSV, used in its source key).
    """

    name = "ccew"
    title = "Charity Commission for England and Wales register"
    publisher = "Charity Commission for England and Wales"
    licence = "Open Government Licence v3.0"
    org_id_prefix = "GB-CHC-"
    download_url = (
        "https://ccewuksprdoneregsadata1.blob.core.windows.net/data/json/publicextract.charity.zip"
    )
    download_member = "publicextract.charity.json"

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.classifications: dict[str, list[ClassificationRef]] = {}

    def source_key(self, path: Path) -> str:
        if sniff(path, self.download_member) != "csv":
            return self.name
        label = self.options.get("label") or Path(path).name.split(".")[0]
        return short_key(self.name, str(label))

    def rows(self, path: Path) -> Iterator[dict[str, str]]:
        table = self.classification_file(path)
        self.classifications = load_classifications(table) if table else {}
        rows = table_rows(path, self.download_member)
        first = next(rows, None)
        if first is None:
            return
        if PROBLEM not in first and "registered_charity_number" not in first:
            raise ValueError(
                f"{Path(path).name} is not a CCEW register file: it has no "
                "registered_charity_number column"
            )
        yield first
        yield from rows

    def classification_file(self, path: Path) -> Path | None:
        if given := self.options.get("classifications"):
            return Path(given)
        beside = sorted(Path(path).parent.glob(f"{CLASSIFICATION_TABLE}.*"))
        return beside[0] if beside else None

    def parse_row(self, row: dict[str, str]) -> OrgRecord:
        if PROBLEM in row:
            raise Rejected(row[PROBLEM])
        number = clean(row.get("registered_charity_number"))
        if not number.isdigit() or not int(number):
            raise Rejected(f"registered charity number {number!r} is not a number")
        number = str(int(number))
        linked = clean(row.get("linked_charity_number")) or "0"
        if linked != "0":
            raise Rejected(f"linked charity {number}-{linked} (only main charities are kept)")
        name = clean(row.get("charity_name"))
        if not name:
            raise Rejected(f"charity {number} has no name")
        removed_on = field_date(row, "date_of_removal")
        status = clean(row.get("charity_registration_status")).lower()
        company = company_org_id(row.get("charity_company_registration_number"))
        return OrgRecord(
            org_id=f"GB-CHC-{number}",
            name=name,
            status="removed" if status == "removed" or removed_on else "active",
            other_ids=[company] if company else [],
            date_registered=field_date(row, "date_of_registration"),
            date_removed=removed_on,
            address=self.address(row),
            postcode=uk_postcode(row.get("charity_contact_postcode")),
            income=field_money(row, "latest_income"),
            spending=field_money(row, "latest_expenditure"),
            financial_year_end=field_date(row, "latest_acc_fin_period_end_date"),
            activities=clean(row.get("charity_activities")),
            website=clean_website(row.get("charity_contact_web")),
            email=clean_email(row.get("charity_contact_email")),
            phone=clean(row.get("charity_contact_phone"))[:40],
            source_date=field_date(row, "date_of_extract"),
            classifications=list(self.classifications.get(number, [])),
        )

    @staticmethod
    def address(row: dict[str, str]) -> str:
        """The extract's five address lines, or the subset's one address column."""
        lines = [clean(row.get(f"charity_contact_address{i}")) for i in range(1, 6)]
        lines.append(clean(row.get("charity_contact_address")))
        return ", ".join(line for line in lines if line)
