"""``swim evaluate_discovery`` prints one table of the engine against the baselines."""

from __future__ import annotations

import csv
import json
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

THEMES = {  # theme: (UK-CAT tag, words, CCNI "who")
    "food": ("FO101", "food bank parcels meals for families in need", "General public"),
    "youth": ("YO101", "youth club football and mentoring for teenagers", "Children/young people"),
    "older": ("OL101", "lunch club and befriending for older people", "Older people"),
    "arts": ("AR101", "community choir theatre and music workshops", "General public"),
}
PLACES = [("M32 0", "M32", 53.452, -2.309), ("SW1A 1", "SW1A", 51.501, -0.142)]
NI_PLACES = [("BT1", 54.599, -5.928), ("BT20", 54.660, -5.670)]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A handmade miniature of the shared data folder: 48 UK-CAT rows, 48 NI charities."""
    ukcat, ni, federated = [], [], []
    for i in range(48):
        theme = list(THEMES)[i % 4]
        tag, words, who = THEMES[theme]
        sector, _, _, _ = PLACES[(i // 4) % 2]
        ukcat.append([f"GB-CHC-{1000 + i}", f"Charity {i}", f"{sector}AB", words, "", "5000", tag])
        outcode = NI_PLACES[(i // 4) % 2][0]
        ni.append([
            str(100100 + i), "0", f"NI charity {i}", "Up-to-date", "12000",
            f"{i} Main Street, Town, {outcode} 1AA", "The advancement of education", who,
            "Provides services",
        ])  # fmt: skip
        if theme == "youth":
            federated.append(["Scouts", f"NI{100100 + i}", f"NI charity {i}"])
    columns = ["org_id", "name", "postcode", "activities", "objects", "income", "UKCAT"]
    _write(tmp_path / "ukcat-sample" / "sample.csv", columns, ukcat)
    _write(
        tmp_path / "ccni-register-2020" / "ccni_register_2020-06-30_excluding_west.csv",
        ["Reg charity number", "Sub charity number", "Charity name", "Status", "Total income",
         "Public address", "What the charity does", "Who the charity helps",
         "How the charity works"],
        ni,
    )  # fmt: skip
    _write(tmp_path / "charity-lookups" / "federated-charities.csv",
           ["type", "reg_number", "name"], federated)  # fmt: skip
    _write(tmp_path / "uk-postcodes" / "gb_sector_centroids_codepoint_2014.csv",
           ["sector", "lat", "lon"], [[s, str(a), str(o)] for s, _, a, o in PLACES])  # fmt: skip
    _write(tmp_path / "uk-postcodes" / "ni_outcode_centroids_fhrs.csv",
           ["outcode", "lat", "lon"], [[c, str(a), str(o)] for c, a, o in NI_PLACES])  # fmt: skip
    return tmp_path


def _run(*args: str) -> str:
    out = StringIO()
    call_command("evaluate_discovery", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_it_prints_one_table_of_every_method_on_every_data_set(data: Path, tmp_path: Path) -> None:
    path = tmp_path / "rows.json"
    text = _run("--data", str(data), "--quick", "--embeddings", "off", "--json", str(path))
    header = text.splitlines()[0].split()
    assert header[:4] == ["data", "set", "method", "cands"]
    assert {"NMI", "ARI", "coherence", "lift", "recall"} <= set(header)
    for name in ("planted", "planted + diagnostic", "UK-CAT sample", "NI networks",
                 "NI held-out ties"):  # fmt: skip
        methods = [line for line in text.splitlines() if line.startswith(name)]
        assert any("engine (default)" in line for line in methods), name
        assert any("random" in line for line in methods), name
    assert "Texts: TF-IDF + LSA" in text
    assert "UK-CAT sample: 48 charities, 48 located" in text
    rows = json.loads(path.read_text())["rows"]
    ukcat_text = next(
        r for r in rows if r["dataset"] == "UK-CAT sample" and r["method"] == "text-only"
    )
    assert ukcat_text["coherence"] == pytest.approx(1.0)  # four themes with four tags
    ni_classification = next(
        r for r in rows if r["dataset"] == "NI networks" and r["method"] == "classification-only"
    )
    assert ni_classification["lift"] > 1.0


def test_missing_data_sets_are_skipped_with_a_reason(tmp_path: Path) -> None:
    text = _run("--data", str(tmp_path / "nothing"), "--quick", "--embeddings", "off")
    assert "planted" in text
    assert "Skipped UK-CAT coherence:" in text
    assert "Skipped NI network recovery and held-out ties:" in text
    assert "NI networks" not in text.split("Skipped")[0]


def test_extra_weights_add_an_engine_row(tmp_path: Path) -> None:
    text = _run("--data", str(tmp_path), "--quick", "--embeddings", "off",
                "--weights", "location=0.5,ties=0.5")  # fmt: skip
    assert "engine (location=0.5,ties=0.5)" in text


def test_the_planted_diagnostic_runs_alone_with_a_blind_engine_and_the_needs_baseline(
    tmp_path: Path,
) -> None:
    path = tmp_path / "rows.json"
    text = _run("--data", str(tmp_path / "nothing"), "--quick", "--embeddings", "off",
                "--only", "planted + diagnostic", "--json", str(path))  # fmt: skip
    rows = json.loads(path.read_text())["rows"]
    assert {row["dataset"] for row in rows} == {"planted + diagnostic"}
    methods = [row["method"] for row in rows]
    assert methods[:2] == ["engine (default)", "engine (needs weight 0)"]
    assert "needs-only" in methods
    assert all(row["shared_gap"] is not None for row in rows)
    assert "shared gap" in text.splitlines()[0]
    assert "answered a made-up diagnostic" in text
    assert "Skipped" not in text  # the real data sets were not asked for


def test_unknown_data_set_in_only_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Unknown data set 'plantd' in --only"):
        _run("--data", str(tmp_path), "--quick", "--only", "plantd")


def test_unknown_signal_in_weights_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Unknown signal 'colour'"):
        _run("--data", str(tmp_path), "--quick", "--weights", "colour=1")


def test_it_runs_on_the_real_data() -> None:
    folder = Path(settings.SHARED_DATA_DIR)
    if not (folder / "ukcat-sample" / "sample.csv").is_file():
        pytest.skip(f"the shared data is not at {folder} (set SWIM_SHARED_DATA)")
    text = _run("--quick", "--embeddings", "off")
    assert "UK-CAT sample: 200 charities" in text
    assert "NI held-out ties" in text
