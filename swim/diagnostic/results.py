"""From saved responses to the aggregation's plain data, and on to the results pages."""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from swim.diagnostic.aggregate import (
    CONFLICT,
    Answer,
    AreaGap,
    ItemProfile,
    OrganisationProfile,
    area_medians,
    common_gaps,
    offer_matches,
    profile_organisations,
)
from swim.diagnostic.models import (
    SCORE_SHORT,
    CapacityArea,
    Rating,
    ReadinessAnswer,
    RespondentRole,
    Response,
)
from swim.directory.models import Organisation

ROLE_LABELS = dict(RespondentRole.choices)
#: The colour key of the heatmap.
HEAT_LEGEND = sorted(SCORE_SHORT.items())

#: Area-wide figures are shown to funders, and the area median to an organisation, only once
#: this many organisations have answered (fewer could reveal another organisation's scores).
MIN_ORGANISATIONS = 3


def submitted_answers(responses: QuerySet[Response]) -> list[Answer]:
    """The submitted ``responses`` as the aggregation's plain ``Answer``s, keyed by
    organisation pk, in order of organisation name (three queries, no model instances)."""
    chosen = responses.filter(status=Response.Status.SUBMITTED)
    rows = list(
        chosen.order_by("organisation__name", "organisation_id", "pk").values_list(
            "pk", "organisation_id", "respondent_role", "ceo_hours_per_month"
        )
    )
    pks = chosen.values("pk")
    ratings: dict[int, list[tuple[str, int | None, bool, bool]]] = defaultdict(list)
    for response_id, *rating in Rating.objects.filter(response_id__in=pks).values_list(
        "response_id", "area__slug", "score", "is_priority", "can_offer"
    ):
        ratings[response_id].append(tuple(rating))  # type: ignore[arg-type]
    readiness: dict[int, dict[str, int]] = defaultdict(dict)
    for response_id, slug, value in ReadinessAnswer.objects.filter(
        response_id__in=pks, value__isnull=False
    ).values_list("response_id", "statement__slug", "value"):
        readiness[response_id][slug] = int(value or 0)
    return [
        Answer(
            organisation=str(organisation_id),
            role=role,
            scores={slug: score for slug, score, _, _ in ratings[pk] if score is not None},
            priorities=frozenset(slug for slug, _, priority, _ in ratings[pk] if priority),
            offers=frozenset(slug for slug, _, _, offer in ratings[pk] if offer),
            ceo_hours=float(hours) if hours is not None else None,
            readiness=readiness[pk],
        )
        for pk, organisation_id, role, hours in rows
    ]


@dataclass(frozen=True)
class Cell:
    """One heatmap cell, worked out before rendering (a big area has thousands)."""

    level: int  # the colour band: the median rounded down (1 to 5), 0 when not rated
    label: str  # the median as shown: "2", "1.5", or "" when not rated
    conflict: bool

    @classmethod
    def of(cls, item: ItemProfile | None) -> Cell:
        if item is None:
            return cls(0, "", False)
        label = f"{item.median:g}"
        return cls(math.floor(item.median), label, item.agreement == CONFLICT)


@dataclass
class ProfileRow:
    """One capacity area on an organisation's results page."""

    area: CapacityArea
    item: ItemProfile | None
    area_median: float | None

    def respondents(self) -> list[tuple[str, int]]:
        """Each respondent's role label and score, lowest score first."""
        if self.item is None:
            return []
        pairs = zip(self.item.roles, self.item.scores, strict=True)
        return sorted(
            ((ROLE_LABELS.get(role, role), score) for role, score in pairs),
            key=lambda pair: pair[1],
        )


@dataclass
class OfferRow:
    """A capacity area some organisations could offer, and those with a gap there."""

    area: CapacityArea
    offered_by: list[Organisation]
    to: list[Organisation]

    #: How many organisations with a gap a row names before "and N more".
    SHOWN = 10

    def to_shown(self) -> list[Organisation]:
        return self.to[: self.SHOWN]

    def to_more(self) -> int:
        return max(0, len(self.to) - self.SHOWN)


@dataclass
class AreaResults:
    """An area's diagnostic results: every organisation's profile and the area figures."""

    areas: list[CapacityArea]
    organisations: dict[str, Organisation]
    profiles: dict[str, OrganisationProfile]
    medians: dict[str, float]
    gaps: list[AreaGap]

    def heatmap(self) -> list[tuple[Organisation, OrganisationProfile, list[Cell]]]:
        return [
            (
                self.organisations[key],
                profile,
                [Cell.of(profile.areas.get(area.slug)) for area in self.areas],
            )
            for key, profile in self.profiles.items()
        ]

    def profile_rows(self, key: str, medians: dict[str, float]) -> list[ProfileRow]:
        """The rows of organisation ``key``'s profile against the area ``medians``."""
        profile = self.profiles.get(key)
        return [
            ProfileRow(
                area, profile.areas.get(area.slug) if profile else None, medians.get(area.slug)
            )
            for area in self.areas
        ]

    def gap_rows(self) -> list[tuple[CapacityArea, AreaGap]]:
        by_slug = {area.slug: area for area in self.areas}
        return [(by_slug[gap.slug], gap) for gap in self.gaps if gap.organisations]

    def offers(self) -> list[OfferRow]:
        """Per capacity area, who could offer it and the organisations with a gap there."""
        rows: dict[str, OfferRow] = {}
        named: dict[str, set[str]] = {}
        for match in offer_matches(list(self.profiles.values()), [a.slug for a in self.areas]):
            row = rows.setdefault(match.slug, OfferRow(self.by_slug[match.slug], [], []))
            row.offered_by.append(self.organisations[match.offered_by])
            seen = named.setdefault(match.slug, set())
            row.to.extend(self.organisations[key] for key in match.to if key not in seen)
            seen.update(match.to)
        return list(rows.values())

    @property
    def by_slug(self) -> dict[str, CapacityArea]:
        return {area.slug: area for area in self.areas}


def area_results(responses: QuerySet[Response], areas: list[CapacityArea]) -> AreaResults:
    """Aggregate the submitted ``responses`` (already scoped and filtered by the caller)."""
    answers = submitted_answers(responses)
    profiles = profile_organisations(answers)
    found = Organisation.objects.only("pk", "org_id", "name").in_bulk([int(k) for k in profiles])
    return AreaResults(
        areas=areas,
        organisations={key: found[int(key)] for key in profiles},
        profiles=profiles,
        medians=area_medians(profiles.values()),
        gaps=common_gaps(list(profiles.values()), [area.slug for area in areas]),
    )


def write_area_csv(out: Any, results: AreaResults) -> None:
    """Write one row per organisation of ``results`` to ``out`` (a file-like object).

    Columns: org-id, name, respondents, CEO hours a month, then per capacity area its median
    score, the respondents' agreement, and whether it is a priority and an offer (yes/no).
    """
    writer = csv.writer(out)
    header = ["org_id", "organisation", "respondents", "ceo_hours_per_month"]
    for area in results.areas:
        header += [f"{area.slug}_median", f"{area.slug}_agreement"]
        header += [f"{area.slug}_priority", f"{area.slug}_offer"]
    writer.writerow(header)
    for key, profile in results.profiles.items():
        organisation = results.organisations[key]
        hours = "" if profile.ceo_hours is None else f"{profile.ceo_hours:g}"
        row: list[Any] = [organisation.org_id, organisation.name, profile.respondents, hours]
        for area in results.areas:
            item = profile.areas.get(area.slug)
            if item is None:
                row += ["", "", "", ""]
                continue
            row += [f"{item.median:g}", item.agreement]
            row += ["yes" if item.is_priority else "no", "yes" if item.is_offered else "no"]
        writer.writerow(row)
