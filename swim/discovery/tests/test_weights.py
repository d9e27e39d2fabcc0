"""Signal weights set in the form's advanced section reach the engine and the run page."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from swim.discovery.actions import do_create_run, do_run_discovery
from swim.discovery.models import DiscoveryRun
from swim.discovery.tests.conftest import Area
from swim.engine.discover import Discovery
from swim.engine.signals.combine import DEFAULT_WEIGHTS, SignalWeights
from swim.testing import Personas

pytestmark = pytest.mark.django_db
FORM = {"mode": "area", "local_authority": "Trafford", "min_size": "4", "max_size": "12",
        "max_span_km": "5", "max_income_share": "0.5", "radius_km": "3", "seed": "0"}  # fmt: skip
WEIGHTS = {"weight_ties": "0.5", "weight_location": "0.1", "weight_text": "0.4",
           "weight_classification": "0", "weight_needs": "0.2"}  # fmt: skip


@pytest.fixture
def facilitator(client: Client, personas: Personas) -> Client:
    client.force_login(personas.facilitator)
    return client


@pytest.fixture
def weights_seen(monkeypatch: pytest.MonkeyPatch) -> list[SignalWeights]:
    seen: list[SignalWeights] = []
    init = Discovery.__init__

    def spy(self: Discovery, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        seen.append(self.weights)

    monkeypatch.setattr(Discovery, "__init__", spy)
    return seen


def test_the_form_offers_each_signal_with_the_engines_default_weight(facilitator: Client) -> None:
    html = facilitator.get("/discovery/").content.decode()
    assert "<details" in html
    assert "<summary>Advanced: how much each signal counts</summary>" in html
    for name, weight in DEFAULT_WEIGHTS.as_dict().items():
        assert f'name="weight_{name}" value="{weight}"' in html


def test_weights_from_the_form_are_stored_used_and_shown(
    facilitator: Client, area: Area, weights_seen: list[SignalWeights]
) -> None:
    response = facilitator.post("/discovery/", {**FORM, **WEIGHTS})
    assert response.status_code == 302
    run = DiscoveryRun.objects.get()
    expected = {"ties": 0.5, "location": 0.1, "text": 0.4, "classification": 0.0, "needs": 0.2}
    assert run.weights == expected
    assert weights_seen == [SignalWeights(**expected)]
    assert run.status == DiscoveryRun.Status.SUCCEEDED
    page = facilitator.get(run.get_absolute_url()).content.decode()
    assert "Signal weights" in page
    assert "Existing relationships 0.5" in page
    assert "Classification 0," in page


def test_empty_weight_fields_keep_their_defaults(
    facilitator: Client, area: Area, weights_seen: list[SignalWeights]
) -> None:
    facilitator.post("/discovery/", {**FORM, "weight_text": "0.9"})
    run = DiscoveryRun.objects.get()
    assert run.weights == {**DEFAULT_WEIGHTS.as_dict(), "text": 0.9}
    assert weights_seen[0].text == 0.9


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"weight_location": "1.5"}, "weight_location", "between 0 and 1"),
        ({"weight_needs": "-0.1"}, "weight_needs", "between 0 and 1"),
        ({"weight_text": "lots"}, "weight_text", "Enter a number between 0 and 1"),
        (dict.fromkeys(WEIGHTS, "0"), "weight_ties", "Every weight is 0"),
    ],
)
def test_impossible_weights_are_explained_next_to_the_field_with_the_section_open(
    facilitator: Client, area: Area, changes: dict[str, str], field: str, message: str
) -> None:
    response = facilitator.post("/discovery/", {**FORM, **changes})
    assert response.status_code == 400
    html = response.content.decode()
    error = html.split(f'id="id_{field}_error"', 1)[1].split("</p>", 1)[0]
    assert message in error
    assert '<details class="advanced" open>' in html
    assert not DiscoveryRun.objects.exists()


def test_runs_without_weights_record_the_defaults_of_the_day(area: Area) -> None:
    run = do_create_run(by=None, mode="area", filters={}, engine={})
    assert run.weights == DEFAULT_WEIGHTS.as_dict()


def test_weights_all_zero_from_elsewhere_fail_with_a_reason(area: Area) -> None:
    zero = dict.fromkeys(DEFAULT_WEIGHTS.as_dict(), 0.0)
    run = do_run_discovery(do_create_run(by=None, mode="area", filters={}, engine={}, weights=zero))
    assert run.status == DiscoveryRun.Status.FAILED
    assert "Every signal weight is 0" in run.error
