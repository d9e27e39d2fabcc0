"""The map of a discovery run: each candidate's members, coloured and numbered by candidate."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from swim.directory.maps import tile_layer
from swim.discovery.models import CandidateCluster, CandidateMember, DiscoveryRun

#: Candidates drawn on a run's map, most ready first (a national run proposes thousands).
MAP_CANDIDATES = 20
#: Distinct colours the map cycles through (``cand-c0`` … in ``discovery/maps.css``).
COLOURS = 10


def run_map(run: DiscoveryRun, *, limit: int = MAP_CANDIDATES) -> dict[str, Any]:
    """The first ``limit`` candidates of ``run`` and their members, ready for JSON.

    Members at the same position in the same candidate share one marker; members without a
    known position are listed under ``unlocated``.
    """
    candidates = list(run.candidates.order_by("rank")[:limit])
    rank_of = {c.pk: c.rank for c in candidates}
    members = (
        CandidateMember.objects.filter(candidate__in=candidates)
        .order_by("candidate__rank", "organisation__name", "pk")
        .values_list(
            "candidate_id",
            "organisation__name",
            "organisation__org_id",
            "organisation__latitude",
            "organisation__longitude",
        )
    )
    url = reverse("directory-organisation", args=["ORG-ID"])
    points: dict[tuple[int, float, float], dict[str, Any]] = {}
    unlocated = []
    for candidate_pk, name, org_id, lat, lon in members:
        rank = rank_of[candidate_pk]
        member = {"name": name, "url": url.replace("ORG-ID", org_id)}
        if lat is None or lon is None:
            unlocated.append({"candidate": rank, **member})
            continue
        at = (rank, round(lat, 5), round(lon, 5))
        points.setdefault(at, {"candidate": rank, "lat": at[1], "lon": at[2], "members": []})
        points[at]["members"].append(member)
    return {
        "candidates": [_candidate(c) for c in candidates],
        "total_candidates": run.candidates.count(),
        "points": list(points.values()),
        "unlocated": unlocated,
        "tiles": tile_layer(),
    }


def _candidate(candidate: CandidateCluster) -> dict[str, Any]:
    return {
        "rank": candidate.rank,
        "url": candidate.get_absolute_url(),
        "kind": candidate.get_kind_display(),
        "readiness": round(candidate.readiness),
        "members": candidate.member_count,
        "colour": (candidate.rank - 1) % COLOURS,
    }
