"""Made-up diagnostic answers for the sample area, for ``make demo`` (never real data).

A round for the sample borough with submitted answers from the six planted women's
organisations — all with an HR gap and most with an ICT gap, as the deck found — and from a
seeded draw of other sample organisations, where HR and ICT are the most common gaps and a
few stronger organisations offer help. The demo member's organisation has a trustee's
answers only, so the demo member can add the CEO's and see where they agree.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from swim.diagnostic.actions import active_questions, do_save_response
from swim.diagnostic.models import CapacityArea, ReadinessStatement, Response, Round
from swim.directory.models import Organisation
from swim.directory.sample import LOCAL_AUTHORITY, PLANTED_WOMEN

SAMPLE_ROUND = "Sample baseline diagnostic (made-up answers)"
#: Typical score of each capacity area in the sample: HR and ICT weakest.
TYPICAL = {"hr": 1.9, "ict": 2.0, "fundraising": 2.8, "impact_measurement": 2.9}


def ensure_sample_diagnostic(*, seed: int = 2026, others: int = 40) -> int:
    """Create the sample round and its answers unless it exists; return its responses.

    Needs the sample area (``ensure_sample_area``); without it nothing is written.
    """
    existing = Round.objects.filter(name=SAMPLE_ROUND).first()
    if existing:
        return existing.responses.count()
    samples = Organisation.objects.filter(is_sample=True).order_by("pk")
    member_org = samples.first()
    if member_org is None:
        return 0
    women_names = [name for name, *_ in PLANTED_WOMEN]
    women = list(samples.filter(name__in=women_names))
    rng = random.Random(seed)
    pool = list(samples.exclude(pk__in=[o.pk for o in women]).values_list("pk", flat=True)[:600])
    rest = list(samples.filter(pk__in=rng.sample(pool, min(others, len(pool)))))
    areas, statements = active_questions()
    with transaction.atomic():
        diagnostic_round = Round.objects.create(
            name=SAMPLE_ROUND,
            local_authority=LOCAL_AUTHORITY[1],
            opens_on=timezone.localdate() - timedelta(days=30),
        )
        for org in women:
            trustee_only = org.pk == member_org.pk
            roles = ["trustee"] if trustee_only else ["ceo", "trustee"][: rng.choice([1, 2])]
            for role in roles:
                scores = _scores(
                    rng, areas, {"hr": rng.choice([1, 2]), "ict": rng.choice([1, 2, 3])}
                )
                _submit(diagnostic_round, org, role, scores, rng, areas, statements)
        for org in rest:
            _submit(diagnostic_round, org, "ceo", _scores(rng, areas, {}), rng, areas, statements)
    return diagnostic_round.responses.count()


def _scores(rng: random.Random, areas: list[CapacityArea], fixed: dict[str, int]) -> dict[str, int]:
    return {
        area.slug: fixed.get(area.slug)
        or min(5, max(1, round(rng.gauss(TYPICAL.get(area.slug, 3.3), 1.0))))
        for area in areas
    }


def _submit(
    diagnostic_round: Round,
    organisation: Organisation,
    role: str,
    scores: dict[str, int],
    rng: random.Random,
    areas: list[CapacityArea],
    statements: list[ReadinessStatement],
) -> None:
    cleaned: dict[str, Any] = {
        "ceo_hours": rng.choice([0, 2, 4, 4, 6, 8, 10, 16]),
        "hopes": "Sample answer: share an HR adviser and IT support with nearby groups.",
    }
    for area in areas:
        score = scores[area.slug]
        cleaned[f"score_{area.slug}"] = score
        cleaned[f"priority_{area.slug}"] = score <= 2 and rng.random() < 0.6
        cleaned[f"offer_{area.slug}"] = score == 5 and rng.random() < 0.5
    for statement in statements:
        cleaned[f"ready_{statement.slug}"] = rng.choice([2, 3, 4, 4, 5])
    response = Response.objects.create(
        round=diagnostic_round, organisation=organisation, respondent_role=role
    )
    do_save_response(response, cleaned, areas=areas, statements=statements, submit=True)
