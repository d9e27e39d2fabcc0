"""Aggregation: known answers in, known profile and agreement out."""

import pytest

from swim.diagnostic.aggregate import (
    CONFLICT,
    CONSENSUS,
    SINGLE,
    SOME_DIFFERENCE,
    Answer,
    common_gaps,
    offer_matches,
    profile_organisation,
    profile_organisations,
)


def test_an_organisation_with_three_respondents_gets_the_known_profile() -> None:
    answers = [
        Answer("a", "ceo", {"hr": 1, "ict": 2, "finance": 5}, frozenset({"hr"}), ceo_hours=4),
        Answer("a", "trustee", {"hr": 2, "ict": 4, "finance": 5}, frozenset({"hr", "ict"})),
        Answer("a", "staff", {"hr": 1, "ict": 5, "finance": 4}, offers=frozenset({"finance"})),
    ]
    profile = profile_organisation(answers)
    hr, ict, finance = (profile.areas[slug] for slug in ("hr", "ict", "finance"))
    assert (hr.median, round(hr.mean, 4), hr.spread, hr.agreement) == (1.0, 1.3333, 1, CONSENSUS)
    assert round(hr.sd, 4) == 0.4714
    assert (ict.median, ict.spread, ict.agreement) == (4.0, 3, CONFLICT)
    assert (finance.median, finance.agreement) == (5.0, CONSENSUS)
    assert hr.priority_share == 2 / 3
    assert hr.is_priority
    assert ict.priority_share == 1 / 3
    assert not ict.is_priority
    assert finance.offer_share == 1 / 3
    assert not finance.is_offered
    assert profile.needs == ["hr"]
    assert profile.ceo_hours == 4.0
    assert profile.respondents == 3
    assert hr.gap == 1.0
    assert finance.gap == 0.0


def test_agreement_follows_the_documented_thresholds() -> None:
    def label(*scores: int) -> str:
        answers = [Answer("a", "staff", {"hr": s}) for s in scores]
        return profile_organisation(answers).areas["hr"].agreement

    assert label(3) == SINGLE
    assert label(3, 3) == CONSENSUS
    assert label(3, 4) == CONSENSUS
    assert label(2, 4) == SOME_DIFFERENCE
    assert label(1, 4) == CONFLICT
    assert label(1, 5, 3) == CONFLICT


def test_an_even_number_of_respondents_takes_the_middle_of_the_two_medians() -> None:
    profile = profile_organisation([Answer("a", "ceo", {"hr": 2}), Answer("a", "staff", {"hr": 3})])
    assert profile.areas["hr"].median == 2.5
    assert not profile.areas["hr"].is_gap


def test_ceo_hours_prefer_the_ceo_and_fall_back_to_everyone() -> None:
    with_ceo = [Answer("a", "ceo", {}, ceo_hours=2), Answer("a", "trustee", {}, ceo_hours=30)]
    without = [Answer("a", "staff", {}, ceo_hours=2), Answer("a", "trustee", {}, ceo_hours=30)]
    assert profile_organisation(with_ceo).ceo_hours == 2.0
    assert profile_organisation(without).ceo_hours == 16.0


def test_it_refuses_answers_from_several_organisations_or_none() -> None:
    with pytest.raises(ValueError, match="several organisations"):
        profile_organisation([Answer("a", "ceo", {}), Answer("b", "ceo", {})])
    with pytest.raises(ValueError, match="at least one"):
        profile_organisation([])


def area_profiles() -> list:
    answers = [
        Answer("a", "ceo", {"hr": 1, "ict": 2, "finance": 4}),
        Answer("b", "ceo", {"hr": 2, "ict": 5, "finance": 3}, offers=frozenset({"ict"})),
        Answer("c", "ceo", {"hr": 2, "ict": 1, "finance": 5}, offers=frozenset({"finance"})),
        Answer("d", "ceo", {"hr": 4, "ict": 4}, offers=frozenset({"hr"})),
    ]
    return list(profile_organisations(answers).values())


def test_the_most_common_gaps_come_first_with_their_shares() -> None:
    gaps = common_gaps(area_profiles(), ["finance", "ict", "hr"])
    assert [(g.slug, g.with_gap, g.organisations) for g in gaps] == [
        ("hr", 3, 4),
        ("ict", 2, 4),
        ("finance", 0, 3),
    ]
    assert gaps[0].share == 0.75
    assert gaps[0].median == 2.0


def test_offers_are_matched_with_the_organisations_that_have_that_gap() -> None:
    matches = offer_matches(area_profiles(), ["hr", "ict", "finance"])
    assert [(m.slug, m.offered_by, m.to) for m in matches] == [
        ("hr", "d", ("a", "b", "c")),
        ("ict", "b", ("a", "c")),
    ]


def test_the_aggregation_is_framework_free() -> None:
    import ast
    from pathlib import Path

    import swim.diagnostic.aggregate as module

    tree = ast.parse(Path(module.__file__).read_text())
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {name for name in imported if name.split(".")[0] in {"django", "swim"}}
