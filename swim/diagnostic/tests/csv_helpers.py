"""Helpers for the CSV import and export tests: rows of a paper-responses file, and answers."""

from __future__ import annotations

import csv
import io
from typing import Any

from swim.diagnostic.actions import active_questions
from swim.diagnostic.csv_io import columns
from swim.diagnostic.models import Round


def paper_row(org_id: str, role: str = "ceo", score: Any = 3, **cells: Any) -> dict[str, Any]:
    """A valid row answering every question (each area ``score``), any cell overridden."""
    areas, statements = active_questions()
    row: dict[str, Any] = {
        "org_id": org_id,
        "respondent_name": "",
        "respondent_role": role,
        "ceo_hours_per_month": "6",
        "hopes": "",
    }
    for area in areas:
        row |= {f"{area.slug}_rating": score, f"{area.slug}_priority": "no"}
        row |= {f"{area.slug}_offer": "no", f"{area.slug}_note": ""}
    for statement in statements:
        row[f"readiness_{statement.slug}"] = 4
    row.update(cells)
    return row


def csv_bytes(
    rows: list[dict[str, Any]], header: list[str] | None = None, *, bom: bool = False
) -> bytes:
    """A CSV file (UTF-8) of ``rows`` under ``header`` (default: every column, in order)."""
    header = header or columns(*active_questions())
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(name.strip().lower(), "") for name in header])
    return ("\ufeff" if bom else "").encode() + out.getvalue().encode()


def answers(diagnostic_round: Round) -> list[tuple[Any, ...]]:
    """Every submitted response of the round as comparable plain values, in a fixed order."""
    found = []
    responses = diagnostic_round.responses.filter(status="submitted").select_related(
        "organisation", "invitation", "respondent"
    )
    for response in responses.prefetch_related("ratings__area", "readiness__statement"):
        found.append(
            (
                response.organisation.org_id,
                response.respondent_role,
                response.name_of_respondent(),
                response.ceo_hours_per_month,
                response.hopes,
                tuple(
                    sorted(
                        (r.area.slug, r.score, r.is_priority, r.can_offer, r.note)
                        for r in response.ratings.all()
                    )
                ),
                tuple(sorted((a.statement.slug, a.value) for a in response.readiness.all())),
            )
        )
    return sorted(found, key=repr)
