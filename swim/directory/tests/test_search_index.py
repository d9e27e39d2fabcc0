"""The full-text index follows every way organisations are written: saves, bulk writes, the
importer's inserts and updates, deletes — on SQLite (FTS5 table and triggers) and PostgreSQL
(generated ``search_vector`` column)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection

from swim.directory.importers.ccni import CcniImporter
from swim.directory.importing import run_import
from swim.directory.models import Organisation
from swim.directory.search import FTS_TABLE, filter_organisations
from swim.testing import make_org

pytestmark = pytest.mark.django_db

CCNI = Path(__file__).parent / "data" / "ccni_small.csv"


def names(query: str, **params: str) -> list[str]:
    _, organisations = filter_organisations({"q": query, **params})
    return sorted(o.name for o in organisations)


def check_index() -> None:
    """The index holds exactly what indexing the organisations afresh gives.

    SQLite: every (word, organisation, column, position) of the FTS5 table, compared with a
    new FTS5 table filled from the organisations now (FTS5's own integrity check does not
    compare an external-content index with its content before SQLite 3.44). PostgreSQL: the
    generated column, compared with the same expression computed now.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for sql in FRESH_SQLITE_INDEX:
                cursor.execute(sql)
            cursor.execute("SELECT * FROM temp.live_words EXCEPT SELECT * FROM temp.fresh_words")
            stale = cursor.fetchall()
            cursor.execute("SELECT * FROM temp.fresh_words EXCEPT SELECT * FROM temp.live_words")
            missing = cursor.fetchall()
            for table in ("live_words", "fresh_words", "fresh"):
                cursor.execute(f"DROP TABLE temp.{table}")
        else:
            cursor.execute(
                "SELECT id FROM directory_organisation WHERE search_vector IS DISTINCT FROM "  # noqa: S608
                f"({FRESH_POSTGRESQL_VECTOR})"
            )
            stale, missing = cursor.fetchall(), []
    assert (stale, missing) == ([], [])


FRESH_SQLITE_INDEX = [
    "CREATE VIRTUAL TABLE temp.fresh USING fts5(name, activities, objects_text, "
    "tokenize='porter unicode61 remove_diacritics 2')",
    "INSERT INTO temp.fresh (rowid, name, activities, objects_text) "
    "SELECT id, name, activities, objects_text FROM directory_organisation",
    f"CREATE VIRTUAL TABLE temp.live_words USING fts5vocab(main, {FTS_TABLE}, instance)",
    "CREATE VIRTUAL TABLE temp.fresh_words USING fts5vocab(temp, fresh, instance)",
]
FRESH_POSTGRESQL_VECTOR = " || ".join(
    f"setweight(to_tsvector('swim_english'::regconfig, coalesce({column}, '')), '{weight}')"
    for column, weight in (("name", "A"), ("activities", "B"), ("objects_text", "C"))
)


def test_the_migrations_leave_the_index_and_what_keeps_it_current() -> None:
    """A later migration that rebuilds the organisations table on SQLite drops its triggers:
    this test then fails until that migration makes them again."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT type, name FROM sqlite_master WHERE name LIKE %s", [f"{FTS_TABLE}%"]
            )
            found = set(cursor.fetchall())
            assert {
                ("table", FTS_TABLE),
                ("trigger", f"{FTS_TABLE}_insert"),
                ("trigger", f"{FTS_TABLE}_delete"),
                ("trigger", f"{FTS_TABLE}_update"),
            } <= found
        else:
            constraints = connection.introspection.get_constraints(cursor, "directory_organisation")
            assert constraints["directory_org_search_vector"]["type"] == "gin"
            assert not [name for name in constraints if name.endswith("_trgm")]


def test_saves_updates_and_deletes_of_one_organisation_show_at_once() -> None:
    org = make_org(name="Urmston Bowls Club", activities="Crown green bowling")
    assert names("bowling") == ["Urmston Bowls Club"]
    org.name, org.activities = "Urmston Chess Club", "Chess for all ages"
    org.save()
    assert names("bowling") == []
    assert names("chess") == ["Urmston Chess Club"]
    org.delete()
    assert names("chess") == []
    check_index()


def test_bulk_writes_keep_the_index_right() -> None:
    created = Organisation.objects.bulk_create(
        [
            Organisation(org_id=f"GB-CHC-{n}", name=f"Knitting Circle {n}", source="test")
            for n in range(1, 4)
        ]
    )
    assert names("knitting") == ["Knitting Circle 1", "Knitting Circle 2", "Knitting Circle 3"]
    if created[0].pk is None:  # no keys back from bulk inserts
        created = list(Organisation.objects.order_by("org_id"))
    for org in created[:2]:
        org.activities = "Crochet too"
    Organisation.objects.bulk_update(created[:2], ["activities"])
    assert names("crochet") == ["Knitting Circle 1", "Knitting Circle 2"]
    Organisation.objects.filter(pk=created[2].pk).update(objects_text="Relief of loneliness")
    Organisation.objects.filter(pk=created[1].pk).update(income=5_000)  # no text changed
    assert names("loneliness") == ["Knitting Circle 3"]
    assert names("knitting crochet") == ["Knitting Circle 1", "Knitting Circle 2"]
    Organisation.objects.filter(pk__in=[created[0].pk, created[2].pk]).delete()
    assert names("knitting") == ["Knitting Circle 2"]
    check_index()


def test_the_importer_inserts_updates_and_removals_are_searchable(tmp_path: Path) -> None:
    run_import(CcniImporter(), CCNI)
    assert names("lifeline") == ["Cancer Lifeline"]
    lines = CCNI.read_text().splitlines()
    renamed = lines[1].replace("Cancer Lifeline", "Cancer Hopeline")
    newer = tmp_path / "newer.csv"
    newer.write_text("\n".join([lines[0], renamed, lines[3]]) + "\n")  # 100004 vanished
    run = run_import(CcniImporter(), newer)
    assert (run.updated, run.removed) == (1, 1)
    assert names("lifeline") == []
    assert names("hopeline") == ["Cancer Hopeline"]
    assert names("disability action") == []  # removed: not among the active ones
    assert names("disability action", status="all") == ["Disability Action (Ni)"]
    again = run_import(CcniImporter(), newer)
    assert again.unchanged == 2
    assert names("hopeline") == ["Cancer Hopeline"]
    check_index()


def test_the_check_notices_an_index_left_behind() -> None:
    """Without the update trigger (or, on PostgreSQL, with the column set by hand) a renamed
    organisation is still found by its old name, and the check says so."""
    org = make_org(name="Sale Bridge Club")
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"DROP TRIGGER {FTS_TABLE}_update")
            Organisation.objects.filter(pk=org.pk).update(name="Sale Chess Club")
        else:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending checks before ALTER
            cursor.execute(
                "ALTER TABLE directory_organisation ALTER COLUMN search_vector DROP EXPRESSION"
            )
            Organisation.objects.filter(pk=org.pk).update(name="Sale Chess Club")
    assert names("bridge") == ["Sale Chess Club"]
    with pytest.raises(AssertionError):
        check_index()
