"""From saved responses to the aggregation's plain data, and on to the results pages."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from swim.csv_safety import SafeWriter
from swim.diagnostic.aggregate import (
    CONFLICT,
    Answer,
    AreaChange,
    AreaGap,
    GapChange,
    ItemProfile,
    OrganisationProfile,
    answered_both,
    area_medians,
    common_gaps,
    compare_gaps,
    compare_profiles,
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
    Round,
)
from swim.directory.models import Organisation

ROLE_LABELS = dict(RespondentRole.choices)
#: The colour key of the heatmap.
HEAT_LEGEND = sorted(SCORE_SHORT.items())

#: Area-wide figures are shown to funders, and the area median to an organisation, only once
#: this many organisations have answered (fewer could reveal another organisation's scores).
MIN_ORGANISATIONS = 3

#: How the heatmap can be sorted: the value in the page's address, and its label.
HEATMAP_SORTS = [
    ("name", "Name (A to Z)"),
    ("most-gaps", "Most gaps first"),
    ("fewest-gaps", "Fewest gaps first"),
]
#: Heatmap rows per page.
HEATMAP_PAGE_SIZE = 50


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
class GapRow:
    """A row of the most common gaps, with the change since an earlier round when compared."""

    area: CapacityArea
    gap: AreaGap
    change: GapChange | None = None


@dataclass
class AreaResults:
    """An area's diagnostic results: every organisation's profile and the area figures."""

    areas: list[CapacityArea]
    organisations: dict[str, Organisation]
    profiles: dict[str, OrganisationProfile]
    medians: dict[str, float]
    gaps: list[AreaGap]

    def heatmap(
        self, keys: Iterable[str] | None = None
    ) -> list[tuple[Organisation, OrganisationProfile, list[Cell]]]:
        """The heatmap's rows: of ``keys`` (organisations, in that order) or of everyone."""
        return [
            (
                self.organisations[key],
                self.profiles[key],
                [Cell.of(self.profiles[key].areas.get(area.slug)) for area in self.areas],
            )
            for key in (self.profiles if keys is None else keys)
        ]

    def heatmap_keys(self, *, gap: str = "", sort: str = "name") -> list[str]:
        """The organisations of the heatmap: only those with a gap in capacity area ``gap``
        when given, sorted by name or by their number of gaps (then by name)."""
        keys = [
            key
            for key, profile in self.profiles.items()
            if not gap or (gap in profile.areas and profile.areas[gap].is_gap)
        ]
        sign = {"most-gaps": -1, "fewest-gaps": 1}.get(sort, 0)
        keys.sort(
            key=lambda key: (
                sign * len(self.profiles[key].needs),
                self.organisations[key].name.casefold(),
                self.organisations[key].pk,
            )
        )
        return keys

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

    def gap_rows_compared(self, changes: dict[str, GapChange] | None) -> list[GapRow]:
        """The most common gaps, each with its change since an earlier round if given."""
        return [
            GapRow(area, gap, changes.get(gap.slug) if changes else None)
            for area, gap in self.gap_rows()
        ]

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


def write_area_csv(out: Any, results: AreaResults, keys: Iterable[str] | None = None) -> None:
    """Write one row per organisation of ``results`` (or of ``keys``, in that order) to
    ``out`` (a file-like object); text that a spreadsheet would run as a formula is escaped.

    Columns: org-id, name, respondents, CEO hours a month, then per capacity area its median
    score, the respondents' agreement, and whether it is a priority and an offer (yes/no).
    """
    writer = SafeWriter(out)
    header = ["org_id", "organisation", "respondents", "ceo_hours_per_month"]
    for area in results.areas:
        header += [f"{area.slug}_median", f"{area.slug}_agreement"]
        header += [f"{area.slug}_priority", f"{area.slug}_offer"]
    writer.writerow(header)
    for key in results.profiles if keys is None else keys:
        profile, organisation = results.profiles[key], results.organisations[key]
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


# --- Rounds compared ------------------------------------------------------------------------


@dataclass
class ChangeRow:
    """A capacity area on an organisation's comparison with an earlier round."""

    area: CapacityArea
    change: AreaChange


@dataclass
class OrganisationComparison:
    """An organisation's results in an earlier round against the round shown."""

    earlier_round: Round
    choices: list[Round]  # every earlier round the organisation submitted answers in
    earlier: OrganisationProfile
    later: OrganisationProfile
    rows: list[ChangeRow]

    def gaps_closed(self) -> list[CapacityArea]:
        return [row.area for row in self.rows if row.change.gap_closed]

    def new_gaps(self) -> list[CapacityArea]:
        return [row.area for row in self.rows if row.change.new_gap]


def earlier_rounds(responses: QuerySet[Response], than: Round) -> list[Round]:
    """The rounds before ``than`` (by opening date) in which ``responses`` include submitted
    answers, the latest first."""
    submitted = responses.filter(status=Response.Status.SUBMITTED).values("round_id")
    before = Q(opens_on__lt=than.opens_on) | Q(opens_on=than.opens_on, pk__lt=than.pk)
    return list(Round.objects.filter(before, pk__in=submitted))


def organisation_comparison(
    own: QuerySet[Response],
    organisation: Organisation,
    later: OrganisationProfile | None,
    shown: Round,
    areas: list[CapacityArea],
    compare: str | None = None,
) -> OrganisationComparison | None:
    """``organisation``'s profile ``later`` in round ``shown`` against an earlier round.

    ``own`` are the organisation's responses the user may see. The earlier round is
    ``compare`` (a round's pk) if the organisation submitted answers in it before ``shown``,
    otherwise the previous round it answered. ``None`` when there is nothing to compare.
    """
    if later is None:
        return None
    choices = earlier_rounds(own, shown)
    if not choices:
        return None
    chosen = next((r for r in choices if str(r.pk) == compare), choices[0])
    profiles = profile_organisations(submitted_answers(own.filter(round=chosen)))
    earlier = profiles[str(organisation.pk)]
    changes = compare_profiles(earlier, later, [area.slug for area in areas])
    by_slug = {area.slug: area for area in areas}
    rows = [ChangeRow(by_slug[change.slug], change) for change in changes]
    return OrganisationComparison(chosen, choices, earlier, later, rows)


@dataclass
class AreaComparison:
    """The area's most common gaps in an earlier round against the round shown, counted
    among the organisations that answered both."""

    earlier_round: Round
    organisations: int  # how many answered both rounds
    changes: dict[str, GapChange]


def area_comparison(
    earlier: QuerySet[Response], later: AreaResults, earlier_round: Round
) -> AreaComparison:
    """``later``'s gaps against the ``earlier`` responses (scoped and filtered like it)."""
    profiles = profile_organisations(submitted_answers(earlier))
    return AreaComparison(
        earlier_round,
        len(answered_both(profiles, later.profiles)),
        compare_gaps(profiles, later.profiles, [area.slug for area in later.areas]),
    )
