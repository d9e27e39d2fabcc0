"""Real registers: import time of the whole CCNI register, and geocoded shares by precision.

Loads the GB and NI postcode centroids (unit, sector, district), then imports the CCNI
register 2020 and the UK-CAT hand-tagged sample, printing for each the import time and the
share of organisations located at each precision. Usage:
``python benchmarks/real_registers.py [sqlite|postgresql]`` (default sqlite).
"""

from __future__ import annotations

import resource
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._django import SHARED, fresh_database

POSTCODES = SHARED / "uk-postcodes"
POSTCODE_FILES = [
    "gb_postcodes_codepoint_2014.csv.gz",
    "ni_postcodes_fhrs_dedup.csv",
    "gb_sector_centroids_codepoint_2014.csv",
    "ni_sector_centroids_fhrs.csv",
    "gb_outcode_centroids_codepoint_2014.csv",
    "ni_outcode_centroids_fhrs.csv",
]
REGISTERS = [
    ("ccni", SHARED / "ccni-register-2020" / "ccni_register_2020-06-30_excluding_west.csv"),
    ("ukcat", SHARED / "ukcat-sample" / "sample.csv"),
]
ORDER = ["unit", "sector", "district", "supplied", "none"]


def main(kind: str) -> None:
    with fresh_database(kind):
        from swim.directory.importers import get_importer_class
        from swim.directory.importing import run_import
        from swim.directory.models import Organisation
        from swim.directory.postcodes import load_postcodes

        started = time.perf_counter()
        for name in POSTCODE_FILES:
            load_postcodes(POSTCODES / name)
        print(f"postcode centroids loaded in {time.perf_counter() - started:.1f} s")
        for source, path in REGISTERS:
            started = time.perf_counter()
            run = run_import(get_importer_class(source)(), path)
            seconds = time.perf_counter() - started
            shares = Counter(
                Organisation.objects.filter(last_import=run).values_list(
                    "geocode_precision", flat=True
                )
            )
            total = sum(shares.values())
            by = ", ".join(f"{p} {100 * shares[p] / total:.1f}%" for p in ORDER if shares[p])
            district_or_better = 100 * (total - shares["none"]) / total
            print(
                f"{source:<6} {kind:<10} read {run.read:>6,} created {run.created:>6,} "
                f"rejected {run.rejected:>3} in {seconds:5.1f} s; located: {by}; "
                f"district or better {district_or_better:.1f}%"
            )
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory {peak_mb:,.0f} MB")


if __name__ == "__main__":
    if not POSTCODES.is_dir():
        sys.exit(f"{POSTCODES} is not present: the benchmark needs the shared data sets.")
    main(sys.argv[1] if len(sys.argv) > 1 else "sqlite")
