"""The table of the shared cache (``SWIM_CACHE_URL``, ``db://swim_cache`` by default).

The concentration map keeps its counts there so that the web processes and the task worker
compute them once between them. Django makes such a table with ``createcachetable``, which
``migrate`` does not run: this migration runs it, so every place that migrates (``make
demo``, a deployment, the tests, the benchmarks) has the table. It makes a table for each
database cache in ``CACHES`` and leaves existing tables alone; with Redis or ``locmem://`` it
does nothing (switching to ``db://`` later: run ``swim createcachetable``). Going back
leaves the table: it holds nothing but cached values.
"""

from typing import Any

from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps: Any, schema_editor: Any) -> None:
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [
        ("discovery", "0002_organisation_embedding_run_cancel_text_method"),
    ]

    operations = [
        migrations.RunPython(create_cache_tables, migrations.RunPython.noop),
    ]
