"""Aggregation of diagnostic answers: plain data in, profiles out (no Django here).

One organisation may have several respondents (CEO, trustee, staff). For each capacity area
its profile gives the median and mean score, the spread between respondents and an
agreement label, the share of respondents calling it a priority, and whether it is offered.
An area's summary then compares organisations: the median of their medians, the most common
gaps, and who could offer what to whom.

The rules (also in docs/diagnostic.md):

- **Agreement** on an area follows the range of respondents' scores on the 1 to 5 scale:
  a range of 0 or 1 is *consensus*, 2 is *some difference*, 3 or more is *conflict*; a lone
  respondent gives *single respondent*.
- An area is a **gap** for an organisation when its median score is at most ``GAP_SCORE``
  (2, "weak" or "serious gap"), a **priority** when at least half of its respondents flag
  it, and an **offer** when at least half of its respondents say they could offer it.
- **CEO hours**: the median of the CEO/manager respondents' answers when any gave one,
  otherwise the median of every respondent's answer; ``None`` when nobody answered.
- The **gap** passed to discovery is ``(5 - median) / 4``: 1 for a serious gap, 0 for strong.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

#: A median score at or below this is a gap ("weak" or "serious gap").
GAP_SCORE = 2.0
#: The largest range of respondents' scores still called consensus, and some difference.
CONSENSUS_RANGE = 1
SOME_DIFFERENCE_RANGE = 2

CONSENSUS = "consensus"
SOME_DIFFERENCE = "some difference"
CONFLICT = "conflict"
SINGLE = "single respondent"


@dataclass(frozen=True)
class Answer:
    """One submitted response: a respondent's answers for an organisation.

    ``scores`` and ``readiness`` map a capacity-area (or statement) slug to 1 to 5.
    """

    organisation: str
    role: str
    scores: Mapping[str, int]
    priorities: frozenset[str] = frozenset()
    offers: frozenset[str] = frozenset()
    ceo_hours: float | None = None
    readiness: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ItemProfile:
    """How an organisation's respondents answered one capacity area or statement."""

    slug: str
    scores: tuple[int, ...]
    roles: tuple[str, ...]
    median: float
    mean: float
    spread: int
    sd: float
    agreement: str
    priority_share: float = 0.0
    offer_share: float = 0.0

    @property
    def is_gap(self) -> bool:
        return self.median <= GAP_SCORE

    @property
    def is_priority(self) -> bool:
        return self.priority_share >= 0.5

    @property
    def is_offered(self) -> bool:
        return self.offer_share >= 0.5

    @property
    def gap(self) -> float:
        """The need in [0, 1] the discovery engine expects (1 = serious gap)."""
        return (5.0 - self.median) / 4.0


@dataclass(frozen=True)
class OrganisationProfile:
    """Every capacity area and readiness statement of one organisation, aggregated."""

    organisation: str
    respondents: int
    areas: dict[str, ItemProfile]
    readiness: dict[str, ItemProfile]
    ceo_hours: float | None

    @property
    def needs(self) -> list[str]:
        """The capacity areas that are gaps, in the order given."""
        return [slug for slug, item in self.areas.items() if item.is_gap]

    @property
    def offers(self) -> list[str]:
        return [slug for slug, item in self.areas.items() if item.is_offered]

    @property
    def priorities(self) -> list[str]:
        return [slug for slug, item in self.areas.items() if item.is_priority]


def agreement(scores: Sequence[int]) -> str:
    """The agreement label of several respondents' scores on one item.

    >>> agreement([3]), agreement([2, 3]), agreement([2, 4]), agreement([1, 4, 4])
    ('single respondent', 'consensus', 'some difference', 'conflict')
    """
    if len(scores) < 2:
        return SINGLE
    spread = max(scores) - min(scores)
    if spread <= CONSENSUS_RANGE:
        return CONSENSUS
    if spread <= SOME_DIFFERENCE_RANGE:
        return SOME_DIFFERENCE
    return CONFLICT


def _pstdev(values: Sequence[int]) -> float:
    """The population standard deviation (floats: ``statistics.pstdev`` is exact but slow)."""
    mean = math.fsum(values) / len(values)
    return math.sqrt(math.fsum((value - mean) ** 2 for value in values) / len(values))


def _item(
    slug: str, answered: list[tuple[int, str]], flagged: tuple[int, int] = (0, 0), n: int = 1
) -> ItemProfile:
    scores = tuple(score for score, _ in answered)
    return ItemProfile(
        slug=slug,
        scores=scores,
        roles=tuple(role for _, role in answered),
        median=float(statistics.median(scores)),
        mean=float(statistics.fmean(scores)),
        spread=max(scores) - min(scores),
        sd=_pstdev(scores),
        agreement=agreement(scores),
        priority_share=flagged[0] / n,
        offer_share=flagged[1] / n,
    )


def ceo_hours(answers: Iterable[Answer], ceo_role: str = "ceo") -> float | None:
    """The organisation's CEO/manager hours a month: the CEO respondents' median if any.

    >>> ceo_hours([Answer("o", "ceo", {}, ceo_hours=4), Answer("o", "staff", {}, ceo_hours=20)])
    4.0
    >>> ceo_hours([Answer("o", "staff", {}, ceo_hours=2), Answer("o", "trustee", {}, ceo_hours=6)])
    4.0
    >>> ceo_hours([Answer("o", "ceo", {})]) is None
    True
    """
    given = [(a.role, float(a.ceo_hours)) for a in answers if a.ceo_hours is not None]
    from_ceo = [hours for role, hours in given if role == ceo_role]
    chosen = from_ceo or [hours for _, hours in given]
    return float(statistics.median(chosen)) if chosen else None


def profile_organisation(answers: Sequence[Answer]) -> OrganisationProfile:
    """Aggregate the submitted answers of one organisation.

    Areas nobody rated are left out; every area rated by someone gets a profile.

    >>> p = profile_organisation([
    ...     Answer("o", "ceo", {"hr": 1, "ict": 4}, priorities=frozenset({"hr"})),
    ...     Answer("o", "trustee", {"hr": 2, "ict": 1}, offers=frozenset({"ict"})),
    ... ])
    >>> p.areas["hr"].median, p.areas["hr"].agreement, p.areas["hr"].is_priority
    (1.5, 'consensus', True)
    >>> p.areas["ict"].agreement, p.needs, p.offers
    ('conflict', ['hr'], ['ict'])
    """
    if not answers:
        raise ValueError("an organisation profile needs at least one answer")
    keys = {a.organisation for a in answers}
    if len(keys) != 1:
        raise ValueError(f"answers from several organisations: {sorted(keys)}")
    n = len(answers)
    area_slugs = list(dict.fromkeys(slug for a in answers for slug in a.scores))
    areas = {
        slug: _item(
            slug,
            [(a.scores[slug], a.role) for a in answers if slug in a.scores],
            (
                sum(slug in a.priorities for a in answers),
                sum(slug in a.offers for a in answers),
            ),
            n,
        )
        for slug in area_slugs
    }
    statement_slugs = list(dict.fromkeys(slug for a in answers for slug in a.readiness))
    readiness = {
        slug: _item(slug, [(a.readiness[slug], a.role) for a in answers if slug in a.readiness])
        for slug in statement_slugs
    }
    return OrganisationProfile(
        organisation=keys.pop(),
        respondents=n,
        areas=areas,
        readiness=readiness,
        ceo_hours=ceo_hours(answers),
    )


def profile_organisations(answers: Iterable[Answer]) -> dict[str, OrganisationProfile]:
    """One profile per organisation, keyed by organisation, in the order first met."""
    grouped: dict[str, list[Answer]] = {}
    for answer in answers:
        grouped.setdefault(answer.organisation, []).append(answer)
    return {key: profile_organisation(group) for key, group in grouped.items()}


@dataclass(frozen=True)
class AreaGap:
    """How common a gap in one capacity area is across the organisations that rated it."""

    slug: str
    organisations: int
    with_gap: int
    median: float | None

    @property
    def share(self) -> float:
        return self.with_gap / self.organisations if self.organisations else 0.0


@dataclass(frozen=True)
class OfferMatch:
    """An organisation that could offer a capacity area to others with a gap there."""

    slug: str
    offered_by: str
    to: tuple[str, ...]


def area_medians(profiles: Iterable[OrganisationProfile]) -> dict[str, float]:
    """Per capacity area, the median of the organisations' median scores."""
    by_area: dict[str, list[float]] = {}
    for profile in profiles:
        for slug, item in profile.areas.items():
            by_area.setdefault(slug, []).append(item.median)
    return {slug: float(statistics.median(values)) for slug, values in by_area.items()}


def common_gaps(profiles: Sequence[OrganisationProfile], areas: Sequence[str]) -> list[AreaGap]:
    """Capacity areas by the share of organisations with a gap there, most common first.

    Ties keep the order of ``areas``.

    >>> a = OrganisationProfile("a", 1, {"hr": _item("hr", [(1, "ceo")])}, {}, None)
    >>> b = OrganisationProfile("b", 1, {"hr": _item("hr", [(2, "ceo")]),
    ...                                  "ict": _item("ict", [(5, "ceo")])}, {}, None)
    >>> [(g.slug, g.with_gap, g.organisations) for g in common_gaps([a, b], ["ict", "hr"])]
    [('hr', 2, 2), ('ict', 0, 1)]
    """
    medians = area_medians(profiles)
    gaps = []
    for slug in areas:
        rated = [p.areas[slug] for p in profiles if slug in p.areas]
        gaps.append(
            AreaGap(slug, len(rated), sum(item.is_gap for item in rated), medians.get(slug))
        )
    return sorted(gaps, key=lambda gap: -gap.share)


def offer_matches(
    profiles: Sequence[OrganisationProfile], areas: Sequence[str]
) -> list[OfferMatch]:
    """Who could offer what to whom: each offer of an area matched with the gaps there.

    Only offers with at least one organisation to help are listed, area by area.
    """
    matches = []
    for slug in areas:
        needing = [p.organisation for p in profiles if slug in p.areas and p.areas[slug].is_gap]
        for profile in profiles:
            item = profile.areas.get(slug)
            if item is None or not item.is_offered:
                continue
            to = tuple(key for key in needing if key != profile.organisation)
            if to:
                matches.append(OfferMatch(slug, profile.organisation, to))
    return matches


# --- Rounds compared: a baseline against a later round ------------------------------------

MINUS = "\N{MINUS SIGN}"


def describe_change(change: float) -> str:
    """A change of median score in words and sign (a higher score is better); a drop
    starts with a true minus sign (U+2212), which screen readers say as "minus".

    >>> describe_change(1.5), describe_change(0.0)
    ('+1.5 better', 'no change')
    >>> describe_change(-1.0) == MINUS + "1 worse"
    True
    """
    if change > 0:
        return f"+{change:g} better"
    if change < 0:
        return f"{MINUS}{-change:g} worse"
    return "no change"


@dataclass(frozen=True)
class AreaChange:
    """One capacity area of an organisation in an earlier round and a later one.

    ``earlier`` and ``later`` are the organisation's median scores, ``None`` where the area
    was not rated in that round (a capacity area added since, say).
    """

    slug: str
    earlier: float | None
    later: float | None

    @property
    def compared(self) -> bool:
        return self.earlier is not None and self.later is not None

    @property
    def change(self) -> float | None:
        """The later median minus the earlier one (positive: better)."""
        if self.earlier is None or self.later is None:
            return None
        return self.later - self.earlier

    @property
    def was_gap(self) -> bool:
        return self.earlier is not None and self.earlier <= GAP_SCORE

    @property
    def is_gap(self) -> bool:
        return self.later is not None and self.later <= GAP_SCORE

    @property
    def gap_closed(self) -> bool:
        """A gap then that is no longer one (both rounds rated it)."""
        return self.compared and self.was_gap and not self.is_gap

    @property
    def new_gap(self) -> bool:
        """A gap now that was not one then (both rounds rated it)."""
        return self.compared and self.is_gap and not self.was_gap

    @property
    def words(self) -> str:
        """The change in words and sign (``describe_change``), or what was not rated."""
        if self.earlier is None:
            return "not rated then"
        if self.later is None:
            return "not rated now"
        return describe_change(self.later - self.earlier)


def compare_profiles(
    earlier: OrganisationProfile, later: OrganisationProfile, areas: Sequence[str] | None = None
) -> list[AreaChange]:
    """Each capacity area of one organisation, then (``earlier``) and now (``later``).

    ``areas`` gives the order and the choice of areas; by default every area rated in
    either round, the later round's first. Areas rated in neither round are left out.

    >>> then = profile_organisation([Answer("o", "ceo", {"hr": 1, "ict": 3, "finance": 4})])
    >>> now = profile_organisation([Answer("o", "ceo", {"hr": 3, "ict": 2, "finance": 4}),
    ...                             Answer("o", "staff", {"hr": 2, "ict": 2, "finance": 4})])
    >>> [(c.slug, c.earlier, c.later, c.change) for c in compare_profiles(then, now)]
    [('hr', 1.0, 2.5, 1.5), ('ict', 3.0, 2.0, -1.0), ('finance', 4.0, 4.0, 0.0)]
    >>> [c.slug for c in compare_profiles(then, now) if c.gap_closed]
    ['hr']
    >>> [c.slug for c in compare_profiles(then, now) if c.new_gap]
    ['ict']
    """
    if earlier.organisation != later.organisation:
        raise ValueError(
            f"profiles of different organisations: {earlier.organisation}, {later.organisation}"
        )
    slugs = areas if areas is not None else list(dict.fromkeys([*later.areas, *earlier.areas]))
    changes = []
    for slug in slugs:
        then, now = earlier.areas.get(slug), later.areas.get(slug)
        if then is None and now is None:
            continue
        changes.append(
            AreaChange(
                slug,
                then.median if then is not None else None,
                now.median if now is not None else None,
            )
        )
    return changes


def answered_both(
    earlier: Mapping[str, OrganisationProfile], later: Mapping[str, OrganisationProfile]
) -> list[str]:
    """The organisations with a profile in both rounds, in the later round's order."""
    return [key for key in later if key in earlier]


def describe_count_change(change: int) -> str:
    """A change in the number of organisations with a gap, in words (fewer is better).

    >>> describe_count_change(-2), describe_count_change(1), describe_count_change(0)
    ('2 fewer', '1 more', 'no change')
    """
    if change < 0:
        return f"{-change} fewer"
    if change > 0:
        return f"{change} more"
    return "no change"


@dataclass(frozen=True)
class GapChange:
    """How many of the organisations that answered both rounds had a gap then and now."""

    slug: str
    organisations: int  # those that rated the area in both rounds
    then: int
    now: int

    @property
    def change(self) -> int:
        return self.now - self.then

    @property
    def words(self) -> str:
        return describe_count_change(self.change)


def compare_gaps(
    earlier: Mapping[str, OrganisationProfile],
    later: Mapping[str, OrganisationProfile],
    areas: Sequence[str],
) -> dict[str, GapChange]:
    """Per capacity area, the gaps then and now among the organisations in both rounds.

    Only organisations with a profile in both rounds count, and for each area only those
    that rated it in both, so that the two counts are of the same organisations.

    >>> then = profile_organisations([Answer("a", "ceo", {"hr": 1}), Answer("b", "ceo", {"hr": 2}),
    ...                               Answer("c", "ceo", {"hr": 1})])
    >>> now = profile_organisations([Answer("a", "ceo", {"hr": 4}), Answer("b", "ceo", {"hr": 2}),
    ...                              Answer("d", "ceo", {"hr": 1})])
    >>> compare_gaps(then, now, ["hr"])["hr"]
    GapChange(slug='hr', organisations=2, then=2, now=1)
    """
    both = answered_both(earlier, later)
    changes = {}
    for slug in areas:
        rated = [key for key in both if slug in earlier[key].areas and slug in later[key].areas]
        changes[slug] = GapChange(
            slug,
            len(rated),
            sum(earlier[key].areas[slug].is_gap for key in rated),
            sum(later[key].areas[slug].is_gap for key in rated),
        )
    return changes
