"""Trigram indexes for the directory's word search on PostgreSQL (nothing on SQLite).

Django's ``icontains`` compiles to ``UPPER(col::text) LIKE UPPER(%s)`` on PostgreSQL; GIN
trigram indexes on the same expressions let it find rare words without reading every row.
The two btree indexes serve the org-id and postcode parts of a search. Creating the
``pg_trgm`` extension needs a role allowed to create extensions (the database owner on
PostgreSQL 13+, as it is a trusted extension).
"""

from typing import Any

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXES = {
    "directory_org_name_trgm": "USING gin (UPPER(name) gin_trgm_ops)",
    "directory_org_activities_trgm": "USING gin (UPPER(activities) gin_trgm_ops)",
    "directory_org_objects_text_trgm": "USING gin (UPPER(objects_text) gin_trgm_ops)",
    "directory_org_org_id_upper": "(UPPER(org_id))",
    "directory_org_postcode_upper": "(UPPER(postcode))",
}


def create(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for name, definition in INDEXES.items():
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON directory_organisation {definition}"
            )


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]

    operations = [TrigramExtension(), migrations.RunPython(create, drop)]
