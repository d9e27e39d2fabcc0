"""Charities that share a trustee (CCEW register scrape of October 2018, pseudonymised).

The file has one row per trustee of a charity: ``charity_number``, ``trustee_id`` (a
pseudonym: a hash of the name) and ``other_charity_regids``, the ``<number>-<sub number>`` of
the other charities the register lists for that trustee (``.`` when there are none). Two
charities share a trustee when

- one lists the other among its trustee's other charities (main charities only, sub number
  0; a charity listed as its own other charity is skipped), or
- the same ``trustee_id`` sits on both boards in the file.

The weight of a ``shared_trustee`` tie is the number of distinct trustees the two charities
share, so the file is read whole first: :meth:`TrusteesImporter.rows` yields **one row per
pair of charities** (``charity_a``, ``charity_b``, ``shared_trustees``), not one per line of
the file, and the import's ``read`` counts pairs. Lines that cannot be used (a charity
number or link that is not a number) are yielded as rows of their own, to be rejected with
their line number. Trustee pseudonyms stay inside this pre-pass: no tie, evidence or report
names a trustee.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path

from swim.directory.importers.base import Importer, Rejected, TieRecord, clean

LINK = re.compile(r"^(\d+)-(\d+)$")
NO_LINK = {"", "."}


def _number(text: str) -> int | None:
    """A charity number as an int (None when it is not one)."""
    return int(text) if text.isdigit() and int(text) else None


class TrusteesImporter(Importer):
    name = "trustees"
    title = "Shared trustees of England and Wales charities (2018, pseudonymised)"
    publisher = "D. McDonnell and A. Rutherford (ew_charity_data), from the CCEW register"
    licence = "Open Government Licence v3.0"
    org_id_prefix = ""
    produces = "relationships"
    marks_vanished = False

    def rows(self, path: Path) -> Iterator[dict[str, str]]:
        """One row per pair of charities sharing trustees, after rows for unusable lines."""
        shared: dict[tuple[int, int], set[str]] = {}
        boards: dict[str, set[int]] = {}

        def share(a: int, b: int, trustee: str) -> None:
            shared.setdefault((min(a, b), max(a, b)), set()).add(trustee)

        for line, row in enumerate(super().rows(path), start=2):
            raw_number, trustee = clean(row.get("charity_number")), clean(row.get("trustee_id"))
            charity = _number(raw_number)
            if charity is None or not trustee:
                problem = (
                    f"charity number {raw_number!r} is not a number"
                    if charity is None
                    else "no trustee_id"
                )
                yield {"problem": f"line {line}: {problem}"}
                continue
            boards.setdefault(trustee, set()).add(charity)
            for link in clean(row.get("other_charity_regids")).split("|"):
                link = link.strip()
                if link in NO_LINK:
                    continue
                match = LINK.match(link)
                if not match:
                    yield {"problem": f"line {line}: other charity {link!r} is not <number>-<sub>"}
                    continue
                other, sub_number = _number(match.group(1)), int(match.group(2))
                if other is not None and sub_number == 0 and other != charity:
                    share(charity, other, trustee)
        for trustee, charities in boards.items():
            for a, b in itertools.combinations(sorted(charities), 2):
                share(a, b, trustee)
        for (a, b), trustees in shared.items():
            yield {"charity_a": str(a), "charity_b": str(b), "shared_trustees": str(len(trustees))}

    def parse_row(self, row: dict[str, str]) -> TieRecord:
        if problem := row.get("problem"):
            raise Rejected(problem)
        count = int(row["shared_trustees"])
        return TieRecord(
            a=f"GB-CHC-{row['charity_a']}",
            b=f"GB-CHC-{row['charity_b']}",
            kind="shared_trustee",
            weight=float(count),
            evidence=f"{count} shared trustee{'s' if count != 1 else ''} (CCEW register, 2018)",
        )
