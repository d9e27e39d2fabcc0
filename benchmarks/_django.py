"""Set up Django on a fresh, throw-away database for a benchmark script.

``fresh_database("sqlite")`` uses a new SQLite file in a temporary folder;
``fresh_database("postgresql")`` creates (and afterwards drops) a database ``swim_bench`` on
the server at ``BENCH_PG_URL`` (default ``postgres://postgres@127.0.0.1:5432``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("SWIM_SHARED_DATA", ROOT.parent / "shared" / "data"))


@contextmanager
def fresh_database(kind: str) -> Iterator[None]:
    """Point Django at a new, migrated database of ``kind`` for the ``with`` block."""
    folder = tempfile.mkdtemp(prefix="swim-bench-")
    os.environ["SWIM_VAR_DIR"] = folder
    pg = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
    if kind == "postgresql":
        _psql(pg, "DROP DATABASE IF EXISTS swim_bench")
        _psql(pg, "CREATE DATABASE swim_bench")
        os.environ["DATABASE_URL"] = f"{pg}/swim_bench"
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "swim.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    try:
        yield
    finally:
        from django.db import connections

        connections.close_all()
        if kind == "postgresql":
            _psql(pg, "DROP DATABASE IF EXISTS swim_bench")


def _psql(url: str, sql: str) -> None:
    subprocess.run(["psql", f"{url}/postgres", "-qc", sql], check=True, capture_output=True)


def run_in_subprocess(script: Path, *args: str) -> None:
    """Each database kind in its own process (Django is set up once per process)."""
    subprocess.run([sys.executable, str(script), *args], check=True)
