"""Import speed at the scale of the England and Wales register (170,000 organisations).

Builds a CCNI-format register file of N rows (default 170,000) by repeating the real NI
register with new charity numbers (so names, addresses, label lists and incomes are real
text), loads the NI postcode centroids, then times:

1. the first import (every row created and geocoded),
2. a re-import of the same file (every row unchanged),
3. a newer file with 1% of rows changed and 1% vanished.

Usage: ``python benchmarks/import_register.py [sqlite|postgresql|both] [N]``.
"""

from __future__ import annotations

import csv
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._django import SHARED, fresh_database, run_in_subprocess

REGISTER = SHARED / "ccni-register-2020" / "ccni_register_2020-06-30_excluding_west.csv"
POSTCODES = [
    SHARED / "uk-postcodes" / name
    for name in (
        "ni_postcodes_fhrs_dedup.csv",
        "ni_sector_centroids_fhrs.csv",
        "ni_outcode_centroids_fhrs.csv",
    )
]


def build_file(rows: int, folder: Path, change: float = 0.0, drop: float = 0.0) -> Path:
    with REGISTER.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        source = list(reader)
    path = folder / f"register-{rows}-{change}-{drop}.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        for n in range(rows):
            if drop and n % round(1 / drop) == 1:
                continue
            row = list(source[n % len(source)])
            row[0] = str(200_000 + n)
            if n >= len(source):
                row[2] = f"{row[2]} ({n // len(source) + 1})"
            if change and n % round(1 / change) == 0:
                row[6] = str(int(row[6] or 0) + 1000)
            writer.writerow(row)
    return path


def measure(kind: str, rows: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="swim-bench-files-"))
    first = build_file(rows, folder)
    newer = build_file(rows, folder, change=0.01, drop=0.01)
    with fresh_database(kind):
        from swim.directory.importers.ccni import CcniImporter
        from swim.directory.importing import run_import
        from swim.directory.postcodes import load_postcodes

        for path in POSTCODES:
            load_postcodes(path)
        for label, path in (
            ("first import", first),
            ("same file again", first),
            ("newer file", newer),
        ):
            started = time.perf_counter()
            run = run_import(CcniImporter(), path)
            seconds = time.perf_counter() - started
            print(
                f"import_register {kind:<10} {label:<16} read {run.read:>7,} "
                f"created {run.created:>7,} updated {run.updated:>5,} "
                f"unchanged {run.unchanged:>7,} removed {run.removed:>5,} "
                f"geocoded {run.geocoded:>7,} in {seconds:6.1f} s "
                f"({run.read / seconds:,.0f} rows/s)"
            )
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"import_register {kind:<10} peak memory of the process {peak_mb:,.0f} MB")


if __name__ == "__main__":
    if not REGISTER.is_file():
        sys.exit(f"{REGISTER} is not present: the benchmark needs the shared data sets.")
    which = sys.argv[1] if len(sys.argv) > 1 else "both"
    size = sys.argv[2] if len(sys.argv) > 2 else "170000"
    if which == "both":
        for kind in ("sqlite", "postgresql"):
            run_in_subprocess(Path(__file__), kind, size)
    else:
        measure(which, int(size))
