"""The Charity Commission's Register of Mergers (charity-lookups ``ccew-register-of-mergers.csv``).

Each row records that a charity (the transferor, ``org_id_a``) transferred its property to
another (the transferee, ``org_id_b``), with the date of the transfer. It becomes a
``merger`` tie between the two, whose evidence says who transferred to whom and when.

Rows are kept one for one, so rejected rows keep their line numbers. A pair registered on
several rows (several linked charities of one charity merging into the same charity, or one
merger registered twice) is saved once: every row of the pair carries the same evidence,
listing all its dates, so its later rows count as unchanged and a re-import changes nothing.

Rejected: transferors or transferees that are not registered charities (the register lists
many unregistered funds, with no number) and a linked charity merging into its own main
charity (both sides have the same number, so there is nothing to tie).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from swim.directory.importers.base import Importer, Rejected, TieRecord, clean, parse_date

MAX_EVIDENCE = 300


def _org_id(row: dict[str, str], side: str) -> str:
    """``GB-CHC-…`` of the transferor (``a``) or transferee (``b``), or ``""``."""
    org_id = clean(row.get(f"org_id_{side}"))
    if org_id:
        return org_id
    number = clean(row.get("transferor_regno" if side == "a" else "transferee_regno"))
    return f"GB-CHC-{int(number)}" if number.isdigit() and int(number) else ""


def _date(row: dict[str, str]) -> str:
    """When the property was transferred (else vested, else when the merger was registered)."""
    for column in ("date_property_transferred", "date_vesting_declaration", "valid_from"):
        try:
            found = parse_date(row.get(column))
        except Rejected:
            continue
        if found:
            return found.isoformat()
    return ""


def _describe(entries: list[tuple[str, str, str]]) -> str:
    """One sentence per direction: who transferred to whom, on which dates.

    >>> _describe([("Old Trust", "New Trust", "2008-01-01"), ("Old Trust", "New Trust", "")])
    'Old Trust transferred to New Trust on 2008-01-01 (CCEW Register of Mergers)'
    >>> _describe([("A", "B", "2009-05-01"), ("A", "B", "2004-12-31")])
    'A transferred to B on 2004-12-31 and 2009-05-01 (CCEW Register of Mergers)'
    """
    directions: dict[tuple[str, str], list[str]] = {}
    for transferor, transferee, day in entries:
        dates = directions.setdefault((transferor, transferee), [])
        if day and day not in dates:
            dates.append(day)
    parts = []
    for (transferor, transferee), dates in directions.items():
        when = f" on {' and '.join(sorted(dates))}" if dates else ""
        parts.append(f"{transferor} transferred to {transferee}{when}")
    text = "; ".join(parts) + " (CCEW Register of Mergers)"
    return text if len(text) <= MAX_EVIDENCE else text[: MAX_EVIDENCE - 1] + "…"


class MergersImporter(Importer):
    name = "mergers"
    title = "Register of Mergers (England and Wales)"
    publisher = "Charity Commission for England and Wales, via David Kane's charity-lookups"
    licence = "Open Government Licence v3.0 (compilation: Open Database License 1.0)"
    org_id_prefix = ""
    produces = "relationships"
    download_url = (
        "https://raw.githubusercontent.com/drkane/charity-lookups/HEAD/"
        "relationships/ccew-register-of-mergers.csv"
    )
    marks_vanished = False

    def rows(self, path: Path) -> Iterator[dict[str, str]]:
        """The file's rows, each with ``evidence`` describing every row of the same pair."""
        rows = list(super().rows(path))
        entries: dict[frozenset[str], list[tuple[str, str, str]]] = {}
        for row in rows:
            a, b = _org_id(row, "a"), _org_id(row, "b")
            entry = (clean(row.get("org_name_a")) or a, clean(row.get("org_name_b")) or b)
            entries.setdefault(frozenset((a, b)), []).append((*entry, _date(row)))
        for row in rows:
            pair = frozenset((_org_id(row, "a"), _org_id(row, "b")))
            yield {**row, "evidence": _describe(entries[pair])}

    def parse_row(self, row: dict[str, str]) -> TieRecord:
        transferor, transferee = _org_id(row, "a"), _org_id(row, "b")
        for org_id, role, column in (
            (transferor, "transferor", "org_name_a"),
            (transferee, "transferee", "org_name_b"),
        ):
            if not org_id:
                name = clean(row.get(column)) or "not named"
                raise Rejected(f"the {role} ({name}) is not a registered charity")
        if transferor == transferee:
            raise Rejected(
                f"a linked charity of {transferor} merged into its own main charity "
                "(nothing to tie)"
            )
        return TieRecord(a=transferor, b=transferee, kind="merger", evidence=row["evidence"])
