"""``swim discover`` prints a table or writes JSON, and stores the run."""

from __future__ import annotations

import importlib.util
import json
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from swim.discovery.management.commands import discover
from swim.discovery.models import DiscoveryRun
from swim.discovery.tests.conftest import Area
from swim.engine.signals.combine import DEFAULT_WEIGHTS

pytestmark = pytest.mark.django_db
needs_dask = pytest.mark.skipif(
    importlib.util.find_spec("dask") is None, reason="needs the 'distributed' extra"
)


def test_it_prints_the_ranked_candidates(area: Area) -> None:
    out = StringIO()
    call_command("discover", "--local-authority", "Trafford", stdout=out)
    text = out.getvalue()
    assert "16 organisations" in text
    assert "Trafford Women's Forum" in text.splitlines()[2]
    assert DiscoveryRun.objects.get().status == DiscoveryRun.Status.SUCCEEDED


def test_it_writes_json(area: Area, tmp_path: Path) -> None:
    path = tmp_path / "out.json"
    call_command("discover", "--json", str(path), stdout=StringIO())
    data = json.loads(path.read_text())
    top = data["candidates"][0]
    assert {m["org_id"] for m in top["members"]} == {o.org_id for o in area.planted}
    assert data["parameters"]["engine"]["min_size"] == 4


def test_partners_for_an_unknown_organisation_is_a_clear_error(area: Area) -> None:
    with pytest.raises(CommandError, match="--partners-for: No organisation"):
        call_command("discover", "--partners-for", "GB-CHC-404")


def test_partners_for_accepts_the_organisations_name(area: Area, tmp_path: Path) -> None:
    """The command finds the seed as the web form does: by org-id in any case, or by name."""
    seed = area.planted[0]
    out = tmp_path / "partners.json"
    call_command("discover", "--partners-for", seed.name.upper(), "--json", str(out))
    data = json.loads(out.read_text())
    assert DiscoveryRun.objects.get(pk=data["run"]).seed_organisation == seed
    assert any(seed.org_id in {m["org_id"] for m in c["members"]} for c in data["candidates"])


def test_a_filter_matching_nothing_is_a_clear_error(area: Area) -> None:
    with pytest.raises(CommandError, match="No organisation matches these filters"):
        call_command("discover", "--postcode", "ZZ9")
    assert DiscoveryRun.objects.get().status == DiscoveryRun.Status.FAILED


def test_weights_are_recorded_on_the_run(area: Area) -> None:
    call_command("discover", "--weights", "ties=0.5, text=0", stdout=StringIO())
    weights = DiscoveryRun.objects.get().weights
    assert weights["ties"] == 0.5
    assert weights["text"] == 0.0
    assert weights["location"] == DEFAULT_WEIGHTS.location


@pytest.mark.parametrize(
    ("weights", "message"),
    [("ties", "not signal=weight"), ("colour=1", "not signal=weight"), ("ties=lots", "number")],
)
def test_malformed_weights_are_a_clear_error(area: Area, weights: str, message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("discover", "--weights", weights)
    assert not DiscoveryRun.objects.exists()


def test_all_zero_weights_fail_the_run_with_a_reason(area: Area) -> None:
    zero = ",".join(f"{name}=0" for name in DEFAULT_WEIGHTS.as_dict())
    with pytest.raises(CommandError, match="Every signal weight is 0"):
        call_command("discover", "--weights", zero)


def test_the_local_engine_records_nothing_extra(area: Area) -> None:
    call_command("discover", "--engine", "local", stdout=StringIO())
    assert "engine" not in DiscoveryRun.objects.get().engine_parameters


@needs_dask
def test_the_dask_engine_gives_the_local_candidates(area: Area, settings: Any) -> None:
    settings.SWIM_DASK_SCHEDULER = ""
    local, dask = StringIO(), StringIO()
    call_command("discover", stdout=local)
    call_command("discover", "--engine", "dask", stdout=dask)
    second = DiscoveryRun.objects.order_by("pk").last()
    assert second is not None
    assert second.engine_parameters["engine"] == "dask"
    assert second.engine_parameters["scheduler_address"] is None
    assert local.getvalue().splitlines()[2:] == dask.getvalue().splitlines()[2:]


def test_the_scheduler_setting_is_the_default_address(settings: Any) -> None:
    settings.SWIM_DASK_SCHEDULER = "tcp://scheduler.example.org:8786"
    assert discover._engine("dask", "") == {
        "engine": "dask",
        "scheduler_address": "tcp://scheduler.example.org:8786",
    }
    assert discover._engine("dask", "tcp://other:8786")["scheduler_address"] == "tcp://other:8786"


def test_a_scheduler_without_the_dask_engine_is_a_clear_error(area: Area) -> None:
    with pytest.raises(CommandError, match="only applies with --engine dask"):
        call_command("discover", "--scheduler", "tcp://scheduler.example.org:8786")


def test_the_dask_engine_without_dask_is_a_clear_error(
    area: Area, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    with pytest.raises(CommandError, match=r"needs dask\.distributed"):
        call_command("discover", "--engine", "dask")
    assert not DiscoveryRun.objects.exists()
