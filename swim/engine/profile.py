"""What a candidate cluster is, how ready it is, and why its members belong together.

:func:`profile_cluster` describes one candidate (from :class:`~swim.engine.communities.
ClusterFinder` or :func:`~swim.engine.communities.partners_for`) in the terms of the SWiM
programme: its **kind** (resource or impact cluster), its **readiness** on the critical
success factors that can be measured before the programme starts, a **suggested priority**,
a plausible **lead** member, a short reason per member and a plain-language
**explanation** a facilitator can read aloud. Every statement is generated from the data;
where the data is missing the profile says so rather than guessing.

Readiness
---------
Each factor is in [0, 1], or ``None`` when the data cannot measure it:

========================  ======  ===========================================================
factor                    weight  measure
========================  ======  ===========================================================
``existing_ties``         0.25    mean over member pairs of their strongest link: a recorded
                                  tie counts 1, a network in common
                                  ``min(1, SMALL_NETWORK / size)`` (its members among the
                                  organisations given; several in common do not add up);
                                  ``None`` when the area has no relationship data at all
``leadership``            0.20    1 when a member has offered to lead; 0.5 when none has but
                                  one is plausible (link strengths inside summing to at least
                                  ``LEAD_TIES`` (1), or a diagnostic showing capacity: mean
                                  gap below 0.5); 0 otherwise; ``None`` with no leadership,
                                  relationship or diagnostic data
``shared_priority``       0.20    largest share of members with a diagnostic whose biggest
                                  gap (rated 0.5 or more) is the same area; ``None`` with
                                  fewer than two diagnostics
``ceo_time``              0.15    mean CEO hours a month offered, over 8 hours (two a week),
                                  capped at 1; ``None`` when nobody said
``compactness``           0.10    1 - span / ``max_span_km`` (floored at 0); ``None`` with
                                  fewer than two located members
``scale_balance``         0.10    1 - Gini coefficient of known incomes (normalised so that
                                  one member holding everything gives 0); ``None`` with fewer
                                  than two known incomes
========================  ======  ===========================================================

A network in common is weaker evidence the larger it is: the eight members of a local
forum meet each other, the hundred Brownie units of a borough in Girlguiding mostly do not.
Up to ``SMALL_NETWORK`` (25) members — the size up to which the ties signal links every
pair of fellow members (:func:`~swim.engine.signals.ties.network_links`) — a network counts
as fully as a recorded tie; above it, ``SMALL_NETWORK / size`` is roughly the share of its
fellow members a member can know (the ties signal links each to its nearest few), so a
federation of 100 members in the area counts 0.25 a pair. Only the strongest link of a pair
counts: a second federation in common does not make a working relationship.

``readiness = 100 * sum(weight * factor) / sum(weight)`` over the measurable factors (0
when none is), and ``readiness_coverage`` is the share of the total weight that was
measurable. The deck's first two factors — leadership, building on existing relationships —
weigh most (both example clusters grew out of an existing network); a shared priority is
what the resource example's facilitation produced; CEO time is the learning point "need for
commitment"; place and scale are enablers.

Lead and member reasons
-----------------------
The link strengths of ``existing_ties`` also choose the lead and word the member reasons.
Summed over the other members, a member's link strengths are about the number of them it
can be expected to know. The suggested lead is the member (among those who offered, if
any) with the largest sum, then the fewest gaps, the largest income, the first given: one
recorded tie (1) outweighs a federation of 400 shared with seven members (7 x 0.0625).
Without an offer it is a plausible lead on its ties only when its sum reaches
``LEAD_TIES`` (1), i.e. it can be expected to know at least one member: one recorded tie,
one fellow member of a small forum, or four of a federation of 100 (4 x 0.25). Below
that, the member with the fewest gaps leads if its diagnostic shows capacity. A member's
reason counts as "ties inside" only links of at least ``TIE_STRENGTH`` (0.5) — a recorded
tie, or a network of at most 50 members in the area, whose fellow members at least as likely
as not know each other; the explanation names a larger network and gives its size.
"""

from __future__ import annotations

import inspect
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import sparse

from swim.engine.communities import haversine_km, pairwise_km, submatrix
from swim.engine.data import CAPACITY_AREAS, FloatArray, Organisations
from swim.engine.signals.ties import network_links

__all__ = [
    "AREA_LABELS",
    "CEO_HOURS_TARGET",
    "READINESS_WEIGHTS",
    "SMALL_NETWORK",
    "CandidateProfile",
    "network_strength",
    "profile_cluster",
    "profile_clusters",
]

#: Weight of each measurable critical success factor in readiness (see the module doc).
READINESS_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {
        "existing_ties": 0.25,
        "leadership": 0.20,
        "shared_priority": 0.20,
        "ceo_time": 0.15,
        "compactness": 0.10,
        "scale_balance": 0.10,
    }
)
#: Networks of at most this many members in the area count as fully as a direct tie: the
#: ties signal's ``max_clique``, up to which it links every pair of fellow members.
SMALL_NETWORK: int = inspect.signature(network_links).parameters["max_clique"].default
#: A member whose link strengths inside sum to at least this is a plausible lead by its
#: ties: about one member inside it can be expected to know (see the module doc).
LEAD_TIES = 1.0
#: A link at least this strong is one of a member's "ties inside" in its reason: a recorded
#: tie, or a network in common of at most ``2 * SMALL_NETWORK`` members in the area.
TIE_STRENGTH = 0.5
#: CEO hours a month that count as fully able to commit (two hours a week).
CEO_HOURS_TARGET = 8.0
#: A gap rated at least this high (0 = none, 1 = serious) counts as a gap.
GAP_THRESHOLD = 0.5
#: Mean within-cluster text or classification similarity that counts as a shared field.
FIELD_SIMILARITY = 0.3
#: How each capacity area reads in a sentence.
AREA_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "hr": "HR",
        "ict": "ICT",
        "finance": "finance",
        "governance": "governance",
        "fundraising": "fundraising",
        "premises": "premises",
        "communications": "communications",
        "volunteering": "volunteering",
        "data_protection": "data protection",
        "safeguarding": "safeguarding",
        "legal": "legal",
        "impact_measurement": "impact measurement",
    }
)
_SIGNAL_PHRASES = {
    "location": "close by",
    "text": "similar activities",
    "classification": "same field",
    "ties": "existing relationships",
    "needs": "similar needs",
}
_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
          "eleven", "twelve")  # fmt: skip


@dataclass(frozen=True)
class CandidateProfile:
    """A candidate cluster described for a facilitator.

    Attributes
    ----------
    members : tuple of int
        Organisation indices, in the order given.
    kind : {"resource", "impact"}
    reasons : tuple of str
        Why it has this kind, and what data was missing.
    signal_scores : mapping of str to float
        Mean similarity over member pairs, per signal (signals that are all zero — no data
        in the area — are left out).
    cohesion : float
        Mean ``graph`` weight over member pairs.
    readiness : float
        0-100, from the measurable ``readiness_factors`` (see the module doc).
    readiness_factors : mapping of str to float or None
        Each critical success factor in [0, 1], ``None`` when unmeasurable.
    readiness_coverage : float
        Share of the readiness weight that could be measured.
    suggested_priority : str or None
        Readable capacity area most members lack, else the most shared classification.
    priority_area : str or None
        That capacity area's code (one of ``CAPACITY_AREAS``), when it is one.
    lead_index : int or None
        A plausible lead member (an organisation index), ``None`` when nothing suggests one.
    member_reasons : mapping of int to str
        Per member index, a short reason why it belongs.
    explanation : str
        One paragraph to read aloud.
    """

    members: tuple[int, ...]
    kind: Literal["resource", "impact"]
    reasons: tuple[str, ...]
    signal_scores: Mapping[str, float]
    cohesion: float
    readiness: float
    readiness_factors: Mapping[str, float | None]
    readiness_coverage: float
    suggested_priority: str | None
    priority_area: str | None
    lead_index: int | None
    member_reasons: Mapping[int, str]
    explanation: str


# --- Wording ----------------------------------------------------------------------------


def count_words(n: int) -> str:
    """A count as words for small numbers ("no" for zero), digits from 13.

    Examples
    --------
    >>> count_words(0), count_words(6), count_words(13)
    ('no', 'six', '13')
    """
    return _WORDS[n] if 0 <= n < len(_WORDS) else str(n)


def within_distance(km: float) -> str:
    """A distance rounded up to a sensible step, so "within" it is never an understatement.

    Examples
    --------
    >>> within_distance(0.03), within_distance(0.43), within_distance(1.3), within_distance(12.2)
    ('100 m', '500 m', '1.5 km', '13 km')
    """
    tenths = max(1, math.ceil(round(km * 10, 9)))
    if tenths < 10:
        return f"{tenths * 100} m"
    if km <= 10:
        half = math.ceil(round(km * 2, 9)) / 2
        return f"{half:g} km"
    return f"{math.ceil(round(km, 9))} km"


def _km(km: float) -> str:
    return f"{km:.1f} km" if km < 10 else f"{km:.0f} km"


def _hours(h: float) -> str:
    value = f"{h:.0f}" if h >= 2 else f"{h:.1f}".rstrip("0").rstrip(".")
    return f"{value} hour{'' if value == '1' else 's'}"


def _of(count: int, total: int) -> str:
    """ "all six" / "both" / "five" for a count among ``total``."""
    if count == total and total >= 2:
        return "both" if total == 2 else f"all {count_words(total)}"
    return count_words(count)


def _network_phrase(name: str) -> str:
    return name if "network" in name.lower() else f"the {name} network"


def _network_clause(m: int, network: tuple[str, int, int]) -> str:
    """E.g. "all eight are already in the X network"; a large one's size follows it."""
    name, count, size = network
    clause = f"{_of(count, m)} are already in {_network_phrase(name)}"
    return clause if size <= SMALL_NETWORK else f"{clause} ({size:,} members in the area)"


def _sentence(clauses: Sequence[str]) -> str:
    text = "; ".join(c for c in clauses if c)
    return text[:1].upper() + text[1:] + "." if text else ""


# --- Facts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Facts:
    """What the data says about the members, computed once."""

    m: int
    link: FloatArray  # m x m: strongest link (a tie 1, a network in common by its size)
    link_sums: FloatArray  # each member's link strengths inside, summed (rounded to 1e-9)
    tie_counts: npt.NDArray[np.int64]  # links of at least TIE_STRENGTH each has inside
    has_relationship_data: bool
    network: tuple[str, int, int] | None  # strongest shared network, members in it, its size
    label: tuple[str, int] | None  # most shared classification label and its count
    member_labels: tuple[frozenset[str], ...]
    diagnosed: npt.NDArray[np.bool_]
    gaps: FloatArray  # m x areas, NaN where no diagnostic
    area: str | None  # capacity area most members lack (>= 2 members)
    area_count: int  # members with a gap there
    top_count: int  # members for whom it is their biggest gap
    located: npt.NDArray[np.bool_]
    centre_km: FloatArray  # distance of each member from the centre (NaN unlocated)
    span: float | None


def network_strength(size: int) -> float:
    """What a network in common is worth to a pair of members: ``min(1, SMALL_NETWORK / size)``.

    ``size`` is the network's number of members among the organisations given (the area).

    Examples
    --------
    >>> network_strength(8), network_strength(25), network_strength(100)
    (1.0, 1.0, 0.25)
    """
    return min(1.0, SMALL_NETWORK / size) if size > 0 else 0.0


def _network_names(names: Iterable[str]) -> frozenset[str]:
    """An organisation's networks as the ties signal reads them (trimmed, blanks dropped)."""
    return frozenset(name.strip() for name in names if name and name.strip())


def _network_sizes(orgs: Organisations) -> Counter[str]:
    """Each network's number of members among ``orgs``."""
    return Counter(name for names in orgs.networks for name in _network_names(names))


def _has_relationship_data(orgs: Organisations, sizes: Mapping[str, int]) -> bool:
    """Whether the area records any tie or network at all (else tie density is unknown)."""
    return bool(orgs.ties.nnz) or bool(sizes)


def _facts(
    idx: npt.NDArray[np.int64],
    orgs: Organisations,
    labels: Mapping[str, str],
    has_rel: bool,
    network_sizes: Mapping[str, int],
) -> _Facts:
    m = len(idx)
    ties = submatrix(orgs.ties, idx) > 0
    nets = [_network_names(orgs.networks[i]) for i in idx]
    strength = {name: network_strength(network_sizes[name]) for s in nets for name in s}
    shared = np.array(
        [[max((strength[n] for n in a & b), default=0.0) for b in nets] for a in nets]
    )
    link = np.where(ties | ties.T, 1.0, shared)
    np.fill_diagonal(link, 0.0)
    net_counts = Counter(name for s in nets for name in s)
    network = _strongest_network(net_counts, strength, network_sizes)
    member_labels = tuple(
        frozenset(labels.get(code, code) for code in orgs.classifications[i]) for i in idx
    )
    label_counts = Counter(name for held in member_labels for name in held)
    label = _most_common(label_counts)
    if orgs.needs is None:
        gaps = np.full((m, len(CAPACITY_AREAS)), np.nan)
    else:
        gaps = np.asarray(orgs.needs[idx], dtype=np.float64)
    diagnosed = ~np.all(np.isnan(gaps), axis=1)
    area, area_count, top_count = _shared_gap(gaps, diagnosed)
    lat, lon = orgs.latitude[idx], orgs.longitude[idx]
    located = ~(np.isnan(lat) | np.isnan(lon))
    centre_km = np.full(m, np.nan)
    span: float | None = None
    if located.sum() >= 2:
        span = float(pairwise_km(lat[located], lon[located]).max())
        centre = lat[located].mean(), lon[located].mean()
        centre_km[located] = haversine_km(lat[located], lon[located], *centre)
    link_sums = np.round(link.sum(axis=1), 9)  # equal sums compare equal, whatever the order
    tie_counts = (link >= TIE_STRENGTH).sum(axis=1).astype(np.int64)
    return _Facts(
        m, link, link_sums, tie_counts, has_rel, network, label, member_labels, diagnosed, gaps,
        area, area_count, top_count, located, centre_km, span,
    )  # fmt: skip


def _strongest_network(
    counts: Counter[str], strength: Mapping[str, float], sizes: Mapping[str, int]
) -> tuple[str, int, int] | None:
    """The network shared by at least two members that adds most to ``existing_ties``.

    That is the most pairs times :func:`network_strength`; then the most members, then by
    name. Returns its name, its members here and its size in the area.
    """
    shared = [(name, count) for name, count in counts.items() if count >= 2]
    if not shared:
        return None
    name, count = min(
        shared, key=lambda nc: (-nc[1] * (nc[1] - 1) * strength[nc[0]], -nc[1], nc[0])
    )
    return name, count, sizes[name]


def _most_common(counts: Counter[str]) -> tuple[str, int] | None:
    """The most frequent name held by at least two members (alphabetical on ties)."""
    if not counts:
        return None
    name, count = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return (name, count) if count >= 2 else None


def _shared_gap(gaps: FloatArray, diagnosed: npt.NDArray[np.bool_]) -> tuple[str | None, int, int]:
    """The area most diagnosed members have a gap in (>= 2 of them), and two counts."""
    rows = gaps[diagnosed]
    if len(rows) < 2:
        return None, 0, 0
    filled = np.nan_to_num(rows, nan=0.0)
    has_gap = filled >= GAP_THRESHOLD
    counts = has_gap.sum(axis=0)
    order = np.lexsort((np.arange(len(counts)), -filled.mean(axis=0), -counts))
    best = int(order[0])
    if counts[best] < 2:
        return None, 0, 0
    biggest = filled.max(axis=1, keepdims=True)
    is_top = has_gap & (filled >= biggest)
    return CAPACITY_AREAS[best], int(counts[best]), int(is_top[:, best].sum())


# --- Readiness --------------------------------------------------------------------------


def _lead(idx: npt.NDArray[np.int64], orgs: Organisations, facts: _Facts) -> tuple[int | None, str]:
    """Local index of a plausible lead and how it was chosen ("offered", "ties", "capacity").

    Among the members who offered (else all): the largest sum of link strengths inside, then
    the fewest gaps, the largest income, the first given. Without an offer that member is a
    plausible lead when its sum reaches ``LEAD_TIES``; failing that, the member with the
    fewest gaps (then income, then order) when its mean gap is below ``GAP_THRESHOLD``.
    """
    willing = (
        np.zeros(facts.m, dtype=bool)
        if orgs.willing_to_lead is None
        else np.asarray(orgs.willing_to_lead[idx], dtype=bool)
    )
    answered = (~np.isnan(facts.gaps)).sum(axis=1)
    mean_gap = np.nansum(facts.gaps, axis=1) / np.maximum(answered, 1)
    capacity = np.where(answered > 0, 1 - mean_gap, -1.0)
    income = np.nan_to_num(orgs.income[idx], nan=-1.0)
    pool = np.flatnonzero(willing) if willing.any() else np.arange(facts.m)
    key = np.lexsort((pool, -income[pool], -capacity[pool], -facts.link_sums[pool]))
    best = int(pool[key[0]])
    if willing.any():
        return best, "offered"
    if facts.link_sums[best] >= LEAD_TIES:
        return best, "ties"
    best = int(np.lexsort((pool, -income, -capacity))[0])
    if capacity[best] >= 1 - GAP_THRESHOLD:
        return best, "capacity"
    return None, ""


def _gini_balance(values: FloatArray) -> float | None:
    known = values[~np.isnan(values)]
    if len(known) < 2 or known.sum() <= 0:
        return None
    n = len(known)
    gini = np.abs(known[:, None] - known[None]).sum() / (2 * n * n * known.mean())
    return float(max(0.0, 1 - gini * n / (n - 1)))


def _readiness_factors(
    idx: npt.NDArray[np.int64],
    orgs: Organisations,
    facts: _Facts,
    lead: tuple[int | None, str],
    max_span_km: float,
) -> dict[str, float | None]:
    pairs = facts.m * (facts.m - 1) / 2
    ties = float(np.triu(facts.link, 1).sum() / pairs) if facts.has_relationship_data else None
    measurable_lead = (
        orgs.willing_to_lead is not None or facts.has_relationship_data or facts.diagnosed.any()
    )
    leadership: float | None = None
    if measurable_lead:
        leadership = {"offered": 1.0, "ties": 0.5, "capacity": 0.5}.get(lead[1], 0.0)
    ceo: float | None = None
    if orgs.ceo_hours is not None:
        hours = orgs.ceo_hours[idx]
        if not np.all(np.isnan(hours)):
            ceo = min(1.0, float(np.nanmean(hours)) / CEO_HOURS_TARGET)
    priority: float | None = None
    if facts.diagnosed.sum() >= 2:
        rows = np.nan_to_num(facts.gaps[facts.diagnosed], nan=0.0)
        top = (rows >= GAP_THRESHOLD) & (rows >= rows.max(axis=1, keepdims=True))
        priority = float(top.sum(axis=0).max() / len(rows))
    compact = None if facts.span is None else max(0.0, 1 - facts.span / max_span_km)
    return {
        "existing_ties": ties,
        "leadership": leadership,
        "shared_priority": priority,
        "ceo_time": ceo,
        "compactness": compact,
        "scale_balance": _gini_balance(orgs.income[idx]),
    }


# --- Kind -------------------------------------------------------------------------------


def _kind(
    facts: _Facts, scores: Mapping[str, float], has_needs: bool
) -> tuple[Literal["resource", "impact"], list[str]]:
    m = facts.m
    n_diag = int(facts.diagnosed.sum())
    reasons: list[str] = []
    if facts.area is not None and facts.area_count * 2 >= n_diag:
        area = AREA_LABELS[facts.area]
        reasons.append(
            f"{count_words(facts.area_count).capitalize()} of the {count_words(n_diag)} "
            f"members with a diagnostic report a gap in {area}."
        )
        return "resource", reasons
    if not has_needs or n_diag == 0:
        reasons.append(
            "No member has answered the needs diagnostic yet, so back-office gaps are "
            "unknown; the kind is judged from classifications and activities."
        )
    elif n_diag == 1:
        reasons.append("Only one member has answered the needs diagnostic: no shared gap yet.")
    else:
        reasons.append("Their diagnostics show no back-office gap shared by half of them.")
    if facts.label is not None and facts.label[1] * 2 >= m:
        name, count = facts.label
        share = (
            f"all {count_words(m)}" if count == m else f"{count_words(count)} of {count_words(m)}"
        )
        reasons.append(f"{share.capitalize()} are listed under {name}.")
    for key, what in (("classification", "classifications"), ("text", "activity descriptions")):
        if scores.get(key, 0.0) >= FIELD_SIMILARITY:
            reasons.append(f"Their {what} are similar ({scores[key]:.2f} on average).")
    if len(reasons) == 1:
        reasons.append("No shared field found either: typed as impact by default.")
    return "impact", reasons


# --- Text -------------------------------------------------------------------------------


def _explanation(
    idx: npt.NDArray[np.int64],
    orgs: Organisations,
    facts: _Facts,
    lead: tuple[int | None, str],
) -> str:
    m = facts.m
    subject = f"{count_words(m).capitalize()} organisations"
    n_located = int(facts.located.sum())
    geo = ""
    if facts.span is not None:
        where = f"within {within_distance(facts.span)} of each other"
        if n_located == m:
            subject += f" {where}"
        else:
            geo = f"the {count_words(n_located)} with a known location are {where}"
    if facts.label is not None and facts.label[1] * 2 >= m:
        name, count = facts.label
        every = "both" if m == 2 else "all"
        which = every if count == m else f"{count_words(count)} of them"
        subject += f", {which} listed under {name}"
    needs = _needs_clause(facts)
    relations = ""
    if facts.network is not None:
        relations = _network_clause(m, facts.network)
    elif (facts.link_sums > 0).sum() >= 2:  # no network in common: recorded ties only
        relations = (
            f"{_of(int((facts.link_sums > 0).sum()), m)} already have a tie with another member"
        )
    elif facts.has_relationship_data:
        relations = "no existing ties between them are recorded"
    first = _sentence([subject, geo, needs, relations])
    second = _sentence([_lead_clause(idx, orgs, facts, lead), _ceo_clause(idx, orgs)])
    return " ".join(s for s in (first, second) if s)


def _needs_clause(facts: _Facts) -> str:
    n_diag = int(facts.diagnosed.sum())
    if n_diag == 0:
        return "none has answered the needs diagnostic yet"
    prefix = (
        "" if n_diag == facts.m else f"of the {count_words(n_diag)} that answered the diagnostic, "
    )
    if facts.area is not None:
        area = AREA_LABELS[facts.area]
        if facts.top_count >= 2:
            return f"{prefix}{_of(facts.top_count, n_diag)} rate {area} as their biggest gap"
        return f"{prefix}{_of(facts.area_count, n_diag)} report a gap in {area}"
    if n_diag == 1:
        return "only one has answered the needs diagnostic"
    return f"{prefix}no back-office gap is shared by two or more"


def _lead_clause(
    idx: npt.NDArray[np.int64], orgs: Organisations, facts: _Facts, lead: tuple[int | None, str]
) -> str:
    local, how = lead
    name = orgs.names[int(idx[local])] if local is not None else ""
    if how == "offered":
        assert orgs.willing_to_lead is not None
        offered = int(np.asarray(orgs.willing_to_lead[idx], dtype=bool).sum())
        if offered == 1:
            return f"{name} has offered to lead"
        return f"{count_words(offered)} have offered to lead, among them {name}"
    clauses = ["nobody has offered to lead yet"] if orgs.willing_to_lead is not None else []
    if how == "ties":
        alone = int((facts.link_sums == facts.link_sums.max()).sum()) == 1
        clauses.append(
            f"{name} is the best connected and could lead"
            if alone
            else f"{name} is among the best connected and could lead"
        )
    elif how == "capacity":
        clauses.append(f"{name} reports the fewest gaps and could lead")
    return "; ".join(clauses)


def _ceo_clause(idx: npt.NDArray[np.int64], orgs: Organisations) -> str:
    if orgs.ceo_hours is None:
        return ""
    hours = orgs.ceo_hours[idx]
    known = ~np.isnan(hours)
    if not known.any():
        return ""
    mean = _hours(float(hours[known].mean()))
    if known.all():
        return f"on average they can give {mean} a month of senior time"
    said = count_words(int(known.sum()))
    return f"the {said} that said can give {mean} a month of senior time on average"


def _member_reason(
    k: int,
    idx: npt.NDArray[np.int64],
    orgs: Organisations,
    facts: _Facts,
    scores_by_member: Mapping[str, FloatArray],
) -> str:
    """E.g. "2 ties inside; 0.8 km from the centre; shares HR gap".

    A tie inside is a link of at least ``TIE_STRENGTH``: a recorded tie, or a network in
    common small enough that its fellow members at least as likely as not know each other.
    """
    parts: list[str] = []
    ties = int(facts.tie_counts[k])
    if ties:
        parts.append(f"{ties} tie{'s' if ties > 1 else ''} inside")
    if facts.span is not None and facts.located[k]:
        parts.append(f"{_km(float(facts.centre_km[k]))} from the centre")
    gaps = np.nan_to_num(facts.gaps[k], nan=0.0)
    if facts.area is not None and gaps[CAPACITY_AREAS.index(facts.area)] >= GAP_THRESHOLD:
        parts.append(f"shares {AREA_LABELS[facts.area]} gap")
    elif facts.label is not None and facts.label[0] in facts.member_labels[k]:
        parts.append(f"listed under {facts.label[0]}")
    if orgs.willing_to_lead is not None and orgs.willing_to_lead[idx[k]]:
        parts.append("offered to lead")
    if not parts and scores_by_member:
        key = min(scores_by_member, key=lambda s: (-scores_by_member[s][k], s))
        if scores_by_member[key][k] > 0:
            parts.append(_SIGNAL_PHRASES.get(key, f"similar {key}"))
    if facts.span is not None and not facts.located[k]:
        parts.append("location unknown")
    return "; ".join(parts) or "linked in the similarity graph"


# --- Entry point ------------------------------------------------------------------------


def profile_cluster(
    members: npt.ArrayLike,
    orgs: Organisations,
    graph: sparse.spmatrix | sparse.sparray,
    signals: Mapping[str, sparse.spmatrix | sparse.sparray] | None = None,
    *,
    classification_labels: Mapping[str, str] | None = None,
    max_span_km: float = 5.0,
) -> CandidateProfile:
    """Describe the candidate cluster ``members`` (organisation indices, at least two).

    Parameters
    ----------
    members : int array-like
    orgs : Organisations
    graph : sparse matrix, shape (n, n)
        The combined similarity graph.
    signals : mapping of str to sparse matrix, optional
        Per-signal similarities in [0, 1] ("location", "text", "classification", ...).
    classification_labels : mapping of str to str, optional
        Readable label for each ``"scheme:code"``.
    max_span_km : float
        The span at which compactness reaches 0 (use the finder's ``max_span_km``).

    Examples
    --------
    >>> import textwrap
    >>> from swim.engine.data import Organisations
    >>> orgs = Organisations(ids=["a", "b", "c"], names=["Ash", "Birch", "Cedar"],
    ...     latitude=np.array([51.50, 51.505, 51.51]), longitude=np.array([0.0, 0.0, 0.0]),
    ...     income=np.array([20e3, 25e3, np.nan]), texts=["", "", ""],
    ...     classifications=[["who:women"], ["who:women"], []],
    ...     networks=[["Women's Aid"], ["Women's Aid"], []])
    >>> p = profile_cluster([0, 1, 2], orgs, sparse.csr_matrix((3, 3)),
    ...     classification_labels={"who:women": "Women"})
    >>> p.kind
    'impact'
    >>> print(textwrap.fill(p.explanation, 88))
    Three organisations within 1.5 km of each other, two of them listed under Women; none
    has answered the needs diagnostic yet; two are already in the Women's Aid network. Birch
    is among the best connected and could lead.
    >>> p.readiness_factors["ceo_time"] is None
    True
    """
    return profile_clusters(
        [members], orgs, graph, signals,
        classification_labels=classification_labels, max_span_km=max_span_km,
    )[0]  # fmt: skip


def profile_clusters(
    clusters: Iterable[npt.ArrayLike],
    orgs: Organisations,
    graph: sparse.spmatrix | sparse.sparray,
    signals: Mapping[str, sparse.spmatrix | sparse.sparray] | None = None,
    *,
    classification_labels: Mapping[str, str] | None = None,
    max_span_km: float = 5.0,
) -> list[CandidateProfile]:
    """:func:`profile_cluster` for many candidates (e.g. ``ClusterFinder().clusters_``).

    Faster than one call per candidate: what concerns the whole area is looked at once.
    """
    labels = classification_labels or {}
    sizes = _network_sizes(orgs)
    has_rel = _has_relationship_data(orgs, sizes)
    graph = sparse.csr_matrix(graph)
    signals = {name: sparse.csr_matrix(s) for name, s in (signals or {}).items()}
    profiles = []
    for members in clusters:
        idx = np.asarray(members, dtype=np.int64).ravel()
        if len(idx) < 2 or len(set(idx.tolist())) != len(idx):
            raise ValueError("a candidate needs at least two distinct members")
        facts = _facts(idx, orgs, labels, has_rel, sizes)
        profiles.append(_profile(idx, orgs, graph, signals, facts, max_span_km))
    return profiles


def _profile(
    idx: npt.NDArray[np.int64],
    orgs: Organisations,
    graph: sparse.spmatrix | sparse.sparray,
    signals: Mapping[str, sparse.spmatrix | sparse.sparray],
    facts: _Facts,
    max_span_km: float,
) -> CandidateProfile:
    m = len(idx)
    off = ~np.eye(m, dtype=bool)
    within = {name: submatrix(s, idx) for name, s in sorted(signals.items()) if s.nnz}
    scores = {name: float(w[off].mean()) for name, w in within.items()}
    by_member = {name: w.sum(axis=1) / (m - 1) for name, w in within.items()}
    kind, reasons = _kind(facts, scores, orgs.needs is not None)
    lead = _lead(idx, orgs, facts)
    factors = _readiness_factors(idx, orgs, facts, lead, max_span_km)
    known = {k: v for k, v in factors.items() if v is not None}
    total = sum(READINESS_WEIGHTS.values())
    weight = sum(READINESS_WEIGHTS[k] for k in known)
    readiness = (
        100 * sum(READINESS_WEIGHTS[k] * v for k, v in known.items()) / weight if weight else 0.0
    )
    if facts.area is not None:
        priority: str | None = AREA_LABELS[facts.area]
    else:
        priority = facts.label[0] if facts.label is not None else None
    return CandidateProfile(
        members=tuple(int(i) for i in idx),
        kind=kind,
        reasons=tuple(reasons),
        signal_scores=MappingProxyType(scores),
        cohesion=float(submatrix(graph, idx)[off].mean()),
        readiness=float(readiness),
        readiness_factors=MappingProxyType(factors),
        readiness_coverage=weight / total,
        suggested_priority=priority,
        priority_area=facts.area,
        lead_index=None if lead[0] is None else int(idx[lead[0]]),
        member_reasons=MappingProxyType(
            {int(i): _member_reason(k, idx, orgs, facts, by_member) for k, i in enumerate(idx)}
        ),
        explanation=_explanation(idx, orgs, facts, lead),
    )
