"""``swim import_register`` draws a progress bar of rows read on a terminal, and only there."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from swim.directory.models import Organisation

CCNI = Path(__file__).parent / "data" / "ccni_small.csv"


class Terminal(io.StringIO):
    """Standard error as a terminal would be."""

    def isatty(self) -> bool:
        return True


def run(monkeypatch: pytest.MonkeyPatch, stderr: io.StringIO, *args: str) -> str:
    monkeypatch.setattr(sys, "stderr", stderr)
    out = io.StringIO()
    call_command("import_register", "--source", "ccni", str(CCNI), *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_on_a_terminal_it_shows_a_bar_of_rows_read_out_of_the_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    terminal = Terminal()
    summary = run(monkeypatch, terminal)
    bar = terminal.getvalue()
    assert "7/7" in bar  # the file's 7 rows below its header, all read
    assert "100%" in bar
    assert "rows" in bar
    assert "read 7 = created 3" in summary
    assert "100%" not in summary  # the bar stays off the report
    assert Organisation.objects.count() == 3


@pytest.mark.django_db
def test_a_sample_counts_towards_its_own_size(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = Terminal()
    run(monkeypatch, terminal, "--sample", "2")
    assert "2/2" in terminal.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("stderr", "args"),
    [
        pytest.param(io.StringIO(), [], id="not a terminal"),
        pytest.param(Terminal(), ["--verbosity", "0"], id="verbosity 0"),
    ],
)
def test_it_stays_quiet_off_a_terminal_or_when_asked(
    monkeypatch: pytest.MonkeyPatch, stderr: io.StringIO, args: list[str]
) -> None:
    summary = run(monkeypatch, stderr, *args)
    assert stderr.getvalue() == ""
    assert "read 7 = created 3" in summary
