"""How long loading the 1.68M GB unit postcodes (Code-Point Open 2014) takes.

Usage: ``python benchmarks/load_postcodes.py [sqlite|postgresql|both]``. Prints one line per
database: rows loaded, seconds, rows per second. Needs ``../shared/data/uk-postcodes``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._django import SHARED, fresh_database, run_in_subprocess

FILE = SHARED / "uk-postcodes" / "gb_postcodes_codepoint_2014.csv.gz"


def measure(kind: str) -> None:
    with fresh_database(kind):
        from swim.directory.postcodes import load_postcodes

        started = time.perf_counter()
        result = load_postcodes(FILE)
        seconds = time.perf_counter() - started
        print(
            f"load_postcodes {kind:<10} {result.loaded:>9,} GB unit postcodes "
            f"in {seconds:5.1f} s ({result.loaded / seconds:,.0f} rows/s)"
        )


if __name__ == "__main__":
    if not FILE.is_file():
        sys.exit(f"{FILE} is not present: the benchmark needs the shared data sets.")
    which = sys.argv[1] if len(sys.argv) > 1 else "both"
    if which == "both":
        for kind in ("sqlite", "postgresql"):
            run_in_subprocess(Path(__file__), kind)
    else:
        measure(which)
