"""Full-text search of organisations' name, activities and charitable objects.

SQLite: an FTS5 table over the organisations (external content: it stores only the index),
with the Porter stemmer and accents folded, filled from the existing rows and kept in step by
triggers on insert, delete and change of the three columns — so the importer's bulk inserts
and updates keep it right. A migration that rebuilds the organisations table (SQLite's way of
altering a column) drops the triggers with the old table: it must make them again
(``test_search_index.py`` checks that they are there).

PostgreSQL: a stored generated ``tsvector`` column (name weighted A, activities B, objects C;
English stemming with accents folded by the ``unaccent`` dictionary) with a GIN index. The
trigram and upper-case indexes of 0002, which the search no longer uses, are dropped (the
reverse makes them again). ``unaccent`` is a trusted extension: the database owner may
create it.
"""

# ruff: noqa: S608 - the statements are built from this module's constants only

from typing import Any

import django.db.models.deletion
from django.db import migrations, models

FTS = "directory_organisation_fts"
COLUMNS = "name, activities, objects_text"
SQLITE_CREATE = [
    f"""CREATE VIRTUAL TABLE {FTS} USING fts5(
        {COLUMNS}, content='directory_organisation', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2'
    )""",
    f"""CREATE TRIGGER {FTS}_insert AFTER INSERT ON directory_organisation BEGIN
        INSERT INTO {FTS} (rowid, {COLUMNS})
        VALUES (new.id, new.name, new.activities, new.objects_text);
    END""",
    f"""CREATE TRIGGER {FTS}_delete AFTER DELETE ON directory_organisation BEGIN
        INSERT INTO {FTS} ({FTS}, rowid, {COLUMNS})
        VALUES ('delete', old.id, old.name, old.activities, old.objects_text);
    END""",
    f"""CREATE TRIGGER {FTS}_update AFTER UPDATE OF {COLUMNS} ON directory_organisation
    WHEN old.name IS NOT new.name OR old.activities IS NOT new.activities
        OR old.objects_text IS NOT new.objects_text
    BEGIN
        INSERT INTO {FTS} ({FTS}, rowid, {COLUMNS})
        VALUES ('delete', old.id, old.name, old.activities, old.objects_text);
        INSERT INTO {FTS} (rowid, {COLUMNS})
        VALUES (new.id, new.name, new.activities, new.objects_text);
    END""",
    f"INSERT INTO {FTS} ({FTS}) VALUES ('rebuild')",
]
SQLITE_DROP = [
    *(f"DROP TRIGGER IF EXISTS {FTS}_{event}" for event in ("insert", "delete", "update")),
    f"DROP TABLE IF EXISTS {FTS}",
]

POSTGRESQL_CREATE = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE TEXT SEARCH CONFIGURATION swim_english (COPY = english)",
    "ALTER TEXT SEARCH CONFIGURATION swim_english "
    "ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem",
    """ALTER TABLE directory_organisation ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS (
        setweight(to_tsvector('swim_english'::regconfig, coalesce(name, '')), 'A')
        || setweight(to_tsvector('swim_english'::regconfig, coalesce(activities, '')), 'B')
        || setweight(to_tsvector('swim_english'::regconfig, coalesce(objects_text, '')), 'C')
    ) STORED""",
    "CREATE INDEX directory_org_search_vector ON directory_organisation USING gin (search_vector)",
]
POSTGRESQL_DROP = [
    "DROP INDEX IF EXISTS directory_org_search_vector",
    "ALTER TABLE directory_organisation DROP COLUMN IF EXISTS search_vector",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS swim_english",
]
#: Made by 0002 for the word search before this one (``icontains`` on each column).
OLD_INDEXES = {
    "directory_org_name_trgm": "USING gin (UPPER(name) gin_trgm_ops)",
    "directory_org_activities_trgm": "USING gin (UPPER(activities) gin_trgm_ops)",
    "directory_org_objects_text_trgm": "USING gin (UPPER(objects_text) gin_trgm_ops)",
    "directory_org_org_id_upper": "(UPPER(org_id))",
    "directory_org_postcode_upper": "(UPPER(postcode))",
}


def create(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        statements = SQLITE_CREATE
    elif vendor == "postgresql":
        statements = [*(f"DROP INDEX IF EXISTS {name}" for name in OLD_INDEXES), *POSTGRESQL_CREATE]
    else:
        statements = []
    for sql in statements:
        schema_editor.execute(sql)


def drop(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        statements = SQLITE_DROP
    elif vendor == "postgresql":
        statements = [
            *POSTGRESQL_DROP,
            *(
                f"CREATE INDEX IF NOT EXISTS {name} ON directory_organisation {definition}"
                for name, definition in OLD_INDEXES.items()
            ),
        ]
    else:
        statements = []
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("directory", "0002_postgres_text_search_indexes")]

    operations = [
        migrations.CreateModel(
            name="OrganisationText",
            fields=[
                (
                    "organisation",
                    models.OneToOneField(
                        db_column="rowid",
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="text_index",
                        serialize=False,
                        to="directory.organisation",
                    ),
                ),
                ("document", models.TextField(db_column="directory_organisation_fts")),
            ],
            options={"db_table": "directory_organisation_fts", "managed": False},
        ),
        migrations.RunPython(create, drop),
    ]
