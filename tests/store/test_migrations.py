"""Migrations: a database of the first schema upgrades with its data kept and a backup made."""

from __future__ import annotations

import sqlite3

import pytest

from pestdesk.store import models as m
from pestdesk.store.db import APPLICATION_ID, open_database
from pestdesk.store.migrations import LATEST, MIGRATIONS


def make_v1(path):
    """A database exactly as the first released schema left it, with a student in it."""
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    con.commit()
    con.close()
    from peewee import SqliteDatabase

    db = SqliteDatabase(str(path))
    MIGRATIONS[0](db)
    db.execute_sql("PRAGMA user_version = 1")
    db.execute_sql(
        "INSERT INTO student (version, created_at, updated_at, number, first_name, initials, "
        "tussenvoegsel, last_name, gender, sort_name) VALUES (1, '2020-01-01', '2020-01-01', "
        "'004512', 'Zoë', 'Z.', 'van der', 'Meer', '', 'meer, zoë van der')")
    db.close()


def test_v1_database_migrates_with_data_kept_and_backup(tmp_path):
    path = tmp_path / "oud.sqlite"
    make_v1(path)
    db = open_database(path)
    assert db.execute_sql("PRAGMA user_version").fetchone()[0] == LATEST
    student = m.Student.get(m.Student.number == "004512")
    assert student.first_name == "Zoë"
    backups = list(tmp_path.glob("oud.schema1-*.backup.sqlite"))
    assert len(backups) == 1
    con = sqlite3.connect(backups[0])
    assert con.execute("PRAGMA user_version").fetchone()[0] == 1
    assert con.execute("SELECT number FROM student").fetchone()[0] == "004512"
    con.close()
    db.close()


def test_failed_migration_changes_nothing(tmp_path, monkeypatch):
    path = tmp_path / "oud.sqlite"
    make_v1(path)

    def broken(db):
        db.execute_sql("CREATE TABLE half_done (x)")
        raise RuntimeError("boom")

    from pestdesk.store import migrations

    monkeypatch.setattr(migrations, "MIGRATIONS", [MIGRATIONS[0], broken])
    with pytest.raises(RuntimeError):
        open_database(path)
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA user_version").fetchone()[0] == 1
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
    assert "half_done" not in tables
    con.close()


@pytest.mark.sqlite_only  # PRAGMA table_info; both dialects: tests/test_postgresql.py
def test_migrated_schema_matches_the_models(db):
    for model in m.ALL_MODELS:
        table = model._meta.table_name
        columns = {row[1] for row in db.execute_sql(f'PRAGMA table_info("{table}")')}
        wanted = {field.column_name for field in model._meta.sorted_fields}
        assert wanted <= columns, (table, wanted - columns)


def test_audit_table_is_append_only(db):
    from pestdesk.services.base import SYSTEM, audit, write

    with write():
        audit(SYSTEM, "test")
    with pytest.raises(Exception, match="append-only"):
        db.execute_sql("UPDATE audit_log SET action = 'x'")
    with pytest.raises(Exception, match="append-only"):
        db.execute_sql("DELETE FROM audit_log")
