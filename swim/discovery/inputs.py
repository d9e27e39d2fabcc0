"""Directory rows to the engine's input: :class:`~swim.engine.data.Organisations`.

A handful of ``values_list`` queries whatever the size of the area (one per table, each
restricted by a subquery of the area's keys), so 5,000 organisations convert in a fraction
of a second.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import numpy as np
from django.db.models import QuerySet
from scipy import sparse

from swim.directory.models import NetworkMembership, Organisation, Tie
from swim.engine.data import CAPACITY_AREAS, FloatArray, Organisations

Link = Organisation.classifications.through


def organisations_for(
    queryset: QuerySet[Organisation],
) -> tuple[Organisations, list[int], dict[str, str]]:
    """The active organisations of ``queryset`` as engine input.

    Returns
    -------
    orgs : Organisations
        One row per organisation, in primary-key order.
    pks : list of int
        The primary key of each row.
    classification_labels : dict
        Readable label of every ``"scheme:code"`` used.
    """
    area = active_keys(queryset)  # a subquery: no list of keys sent to the database
    rows = list(
        Organisation.objects.filter(pk__in=area)
        .order_by("pk")
        .values_list(
            "pk", "org_id", "name", "latitude", "longitude", "income", "activities", "objects_text"
        )
    )
    pks = [row[0] for row in rows]
    index = {pk: i for i, pk in enumerate(pks)}
    n = len(rows)
    codes, labels = _classifications(area, index, n)
    orgs = Organisations(
        ids=[row[1] for row in rows],
        names=[row[2] for row in rows],
        latitude=_floats(row[3] for row in rows),
        longitude=_floats(row[4] for row in rows),
        income=_floats(row[5] for row in rows),
        texts=[organisation_text(row[6], row[7]) for row in rows],
        classifications=codes,
        ties=_ties(area, index, n),
        networks=_networks(area, index, n),
        **_diagnostics(area, index, n),
    )
    return orgs, pks, labels


def organisation_text(activities: str | None, objects_text: str | None) -> str:
    """The text discovery compares for one organisation: its activities, then its objects.

    Examples
    --------
    >>> organisation_text("Food bank.", "To relieve poverty.")
    'Food bank. To relieve poverty.'
    >>> organisation_text("", None)
    ''
    """
    return " ".join(t for t in (activities, objects_text) if t).strip()


def active_keys(queryset: QuerySet[Organisation]) -> QuerySet[Organisation, Any]:
    """The primary keys of the active organisations of ``queryset``, as a subquery."""
    return queryset.filter(status=Organisation.Status.ACTIVE).order_by().values("pk")


def _floats(values: Iterable[Any]) -> FloatArray:
    return np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64)


def _classifications(
    area: QuerySet[Organisation, Any], index: dict[int, int], n: int
) -> tuple[list[list[str]], dict[str, str]]:
    codes: list[list[str]] = [[] for _ in range(n)]
    labels: dict[str, str] = {}
    links = Link.objects.filter(organisation_id__in=area).values_list(
        "organisation_id", "classification__scheme", "classification__code", "classification__label"
    )
    for pk, scheme, code, label in links:
        key = f"{scheme}:{code}"
        codes[index[pk]].append(key)
        labels[key] = label
    return codes, labels


def _ties(area: QuerySet[Organisation, Any], index: dict[int, int], n: int) -> sparse.csr_matrix:
    # One subquery only: with ``b_id__in`` as well, SQLite probes the (a, b) index for every
    # pair of the two lists (9.5 s for 5,000 organisations instead of 10 ms).
    found = Tie.objects.filter(a_id__in=area).values_list("a_id", "b_id", "weight")
    rows, cols, weights = [], [], []
    for a, b, weight in found:
        i, j = index[a], index.get(b)
        if j is None:
            continue  # a tie to an organisation outside the area
        rows += [i, j]
        cols += [j, i]
        weights += [float(weight), float(weight)]
    return sparse.csr_matrix((weights, (rows, cols)), shape=(n, n), dtype=np.float64)


def _networks(area: QuerySet[Organisation, Any], index: dict[int, int], n: int) -> list[list[str]]:
    names: dict[int, list[str]] = defaultdict(list)
    found = NetworkMembership.objects.filter(organisation_id__in=area).values_list(
        "organisation_id", "network__name"
    )
    for pk, name in found:
        names[index[pk]].append(name)
    return [sorted(names[i]) for i in range(n)]


def _diagnostics(
    area: QuerySet[Organisation, Any], index: dict[int, int], n: int
) -> dict[str, Any]:
    """Needs, offers and CEO hours from each organisation's latest diagnostic round.

    Only submitted answers count; an organisation's respondents in its most recent round
    (by opening date) are aggregated as on its results page
    (:func:`swim.diagnostic.aggregate.profile_organisations`). The need of a capacity area is
    ``(5 - median score) / 4``; an area nobody rated, and every area of an organisation
    without a diagnostic, is NaN. Nothing at all (the engine's "no diagnostic") when no
    organisation of the area has answered.
    """
    from swim.diagnostic.aggregate import profile_organisations
    from swim.diagnostic.models import Response
    from swim.diagnostic.results import submitted_answers

    submitted = Response.objects.filter(organisation_id__in=area, status=Response.Status.SUBMITTED)
    rows = list(submitted.values_list("pk", "organisation_id", "round__opens_on", "round_id"))
    if not rows:
        return {}
    latest: dict[int, tuple[Any, int]] = {}
    for _, organisation_id, opens_on, round_id in rows:
        latest[organisation_id] = max(
            latest.get(organisation_id, (opens_on, round_id)), (opens_on, round_id)
        )
    keep = [pk for pk, org, opens_on, round_id in rows if latest[org] == (opens_on, round_id)]
    answers = submitted_answers(Response.objects.filter(pk__in=keep))
    needs = np.full((n, len(CAPACITY_AREAS)), np.nan)
    offers = np.zeros((n, len(CAPACITY_AREAS)), dtype=np.bool_)
    hours = np.full(n, np.nan)
    for key, profile in profile_organisations(answers).items():
        i = index[int(key)]  # every answer's organisation is in the area
        for j, slug in enumerate(CAPACITY_AREAS):
            if item := profile.areas.get(slug):
                needs[i, j] = item.gap
                offers[i, j] = item.is_offered
        if profile.ceo_hours is not None:
            hours[i] = profile.ceo_hours
    return {"needs": needs, "offers": offers, "ceo_hours": hours}
