"""A discovery run finds the planted cluster, stores it ranked, and fails with a reason."""

from __future__ import annotations

import pytest

from swim.discovery.actions import do_create_run, do_run_discovery, do_start_discovery
from swim.discovery.models import CandidateCluster, DiscoveryRun
from swim.discovery.tests.conftest import Area
from swim.jobs.models import Job
from swim.testing import Personas

pytestmark = pytest.mark.django_db
ENGINE = {"min_size": 4, "max_size": 12, "max_span_km": 5.0, "max_income_share": 0.5,
          "radius_km": 3.0, "seed": 0}  # fmt: skip


def test_the_task_finds_the_planted_cluster_first(area: Area, personas: Personas) -> None:
    run = do_start_discovery(
        by=personas.facilitator, mode="area", filters={"local_authority": "Trafford"}, engine=ENGINE
    )
    run.refresh_from_db()
    assert run.status == DiscoveryRun.Status.SUCCEEDED
    assert run.organisations_considered == 16
    assert set(run.timings) == {"read", "text", "graph", "communities", "profiles"}
    assert run.text_method == DiscoveryRun.TextMethod.TFIDF
    top = run.candidates.get(rank=1)
    members = {m.organisation_id for m in top.members.all()}
    assert members == {o.pk for o in area.planted}
    assert "Trafford Women's Forum" in top.explanation
    assert top.members.filter(is_lead=True).count() == (1 if top.lead_id else 0)
    assert run.job is not None
    job = run.job
    assert job.status == Job.Status.SUCCEEDED
    assert job.result["next_url"] == run.get_absolute_url()


def test_a_theme_run_looks_only_at_matching_organisations(area: Area) -> None:
    run = do_create_run(by=None, mode="theme", filters={"q": "domestic abuse"}, engine=ENGINE)
    do_run_discovery(run)
    assert run.organisations_considered == 6
    assert run.candidates.count() == 1


def test_partners_for_an_organisation_gives_one_candidate_holding_it(area: Area) -> None:
    seed = area.planted[2]
    run = do_create_run(by=None, mode="partners", filters={}, engine=ENGINE, seed_organisation=seed)
    do_run_discovery(run)
    (candidate,) = run.candidates.all()
    assert candidate.members.filter(organisation=seed).exists()


def test_a_filter_matching_nothing_fails_with_a_reason_and_keeps_earlier_runs(
    area: Area,
) -> None:
    earlier = do_create_run(by=None, mode="area", filters={}, engine=ENGINE)
    do_run_discovery(earlier)
    count = CandidateCluster.objects.count()
    run = do_create_run(by=None, mode="area", filters={"postcode": "ZZ9"}, engine=ENGINE)
    do_run_discovery(run)
    assert run.status == DiscoveryRun.Status.FAILED
    assert "No organisation matches these filters" in run.error
    assert CandidateCluster.objects.count() == count > 0


def test_too_few_organisations_fail_with_a_reason(area: Area) -> None:
    run = do_create_run(by=None, mode="theme", filters={"q": "choir"}, engine=ENGINE)
    do_run_discovery(run)
    assert run.status == DiscoveryRun.Status.FAILED
    assert "a cluster needs at least 4" in run.error


def test_impossible_parameters_fail_with_a_reason_not_a_crash(area: Area) -> None:
    run = do_create_run(
        by=None, mode="area", filters={}, engine={**ENGINE, "min_size": 9, "max_size": 5}
    )
    do_run_discovery(run)
    assert run.status == DiscoveryRun.Status.FAILED
    assert "smallest cluster size is above the largest" in run.error
