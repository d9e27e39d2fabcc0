"""Parent bodies and their local members (charity-lookups ``relationships/_parent.csv``).

Each row says that ``org_id_a`` (the parent, e.g. The Scout Association) is the parent of
``org_id_b`` (a member, e.g. a Scout group) and where that fact comes from (``source``). Each
row becomes a ``parent`` tie between the two, whose evidence names the parent and the source.

Networks: 28,236 of the 28,303 rows come from the "Federated Charities" list, the very list
the ``federations`` importer reads; that importer already makes those members a network (by
federation name) and ties members in the same place, so these rows add only the parent tie.
Rows from other sources (the "Oxbridge colleges") are in no federation; they also make the
member part of a network named after the parent, so colleges of one university are linked
(such a row counts as created once the membership is saved, even if the parent itself is not
in the directory and its tie is dropped).

The file's name columns are swapped: ``org_name_a`` names the member and ``org_name_b`` the
parent. A pair listed more than once (from several sources) is saved once, its evidence
naming every source, so that re-importing the file changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from swim.directory.importers.base import (
    Importer,
    NetworkRecord,
    Record,
    Rejected,
    TieRecord,
    clean,
)

#: Sources whose parents form a network not already given by the ``federations`` importer,
#: with the kind of network.
NETWORK_SOURCES = {"Oxbridge colleges": "collegiate university"}


class ParentsImporter(Importer):
    name = "parents"
    title = "Parent bodies and their members"
    publisher = "David Kane, charity-lookups (data from CCEW, OSCR and CCNI)"
    licence = "Open Database License (ODbL 1.0)"
    org_id_prefix = ""
    produces = "relationships"
    download_url = (
        "https://raw.githubusercontent.com/drkane/charity-lookups/HEAD/relationships/_parent.csv"
    )
    marks_vanished = False

    def rows(self, path: Path) -> Iterator[dict[str, str]]:
        """The file's rows, each with ``sources``: every source that lists the same pair."""
        rows = list(super().rows(path))
        sources: dict[frozenset[str], list[str]] = {}
        for row in rows:
            pair = frozenset((clean(row.get("org_id_a")), clean(row.get("org_id_b"))))
            found = sources.setdefault(pair, [])
            if (source := clean(row.get("source"))) and source not in found:
                found.append(source)
        for row in rows:
            pair = frozenset((clean(row.get("org_id_a")), clean(row.get("org_id_b"))))
            yield {**row, "sources": "; ".join(sources[pair])}

    def parse_row(self, row: dict[str, str]) -> list[Record]:
        parent, member = clean(row.get("org_id_a")), clean(row.get("org_id_b"))
        if not parent or not member:
            raise Rejected("the row lacks the parent's or the member's org-id")
        if parent == member:
            raise Rejected(f"{parent} is listed as its own parent")
        relationship = clean(row.get("relationship")) or "parent"
        if relationship != "parent":
            raise Rejected(f"relationship {relationship!r} is not 'parent'")
        parent_name = clean(row.get("org_name_b")) or parent
        sources = clean(row.get("sources")) or clean(row.get("source")) or "source not given"
        records: list[Record] = [
            TieRecord(
                a=parent,
                b=member,
                kind="parent",
                evidence=f"Parent body: {parent_name} (source: {sources})",
            )
        ]
        network_kind = NETWORK_SOURCES.get(clean(row.get("source")))
        if network_kind:
            records.append(
                NetworkRecord(network=parent_name, org_id=member, kind=network_kind, role="member")
            )
        return records
