"""``swim discover`` prints a table or writes JSON, and stores the run."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from swim.discovery.models import DiscoveryRun
from swim.discovery.tests.conftest import Area

pytestmark = pytest.mark.django_db


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
    with pytest.raises(CommandError, match="No organisation with org-id"):
        call_command("discover", "--partners-for", "GB-CHC-404")


def test_a_filter_matching_nothing_is_a_clear_error(area: Area) -> None:
    with pytest.raises(CommandError, match="No organisation matches these filters"):
        call_command("discover", "--postcode", "ZZ9")
    assert DiscoveryRun.objects.get().status == DiscoveryRun.Status.FAILED
