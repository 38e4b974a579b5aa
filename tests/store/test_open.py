"""Opening files: pestdesk databases open; everything else is refused untouched."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from pestdesk.store import errors
from pestdesk.store.db import APPLICATION_ID, create_database, open_database
from pestdesk.store.migrations import LATEST


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_new_database_has_latest_schema_and_wal(db_path):
    db = create_database(db_path)
    assert db.execute_sql("PRAGMA user_version").fetchone()[0] == LATEST
    assert db.execute_sql("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    db.close()


def test_create_refuses_existing_file(tmp_path):
    target = tmp_path / "x.pestdesk"
    target.write_text("keep me")
    with pytest.raises(errors.DatabaseExists):
        create_database(target)
    assert target.read_text() == "keep me"


@pytest.mark.parametrize(
    "content",
    [b"", b"hello, this is a text file\n" * 20, bytes(range(256)) * 80],
    ids=["empty", "text", "binary"],
)
def test_non_database_refused_unchanged(tmp_path, content):
    target = tmp_path / "other.pestdesk"
    target.write_bytes(content)
    before = digest(target)
    with pytest.raises(errors.NotAPestdeskDatabase) as info:
        open_database(target)
    assert "geen pestdesk-database" in str(info.value)
    assert digest(target) == before


def test_foreign_sqlite_file_refused(tmp_path):
    target = tmp_path / "other.sqlite"
    con = sqlite3.connect(target)
    con.execute("create table t(x)")
    con.commit()
    con.close()
    before = digest(target)
    with pytest.raises(errors.NotAPestdeskDatabase):
        open_database(target)
    assert digest(target) == before


def test_newer_schema_refused(db_path):
    db = create_database(db_path)
    db.execute_sql(f"PRAGMA user_version = {LATEST + 5}")
    db.close()
    before = digest(db_path)
    with pytest.raises(errors.NewerSchema):
        open_database(db_path)
    assert digest(db_path) == before


def test_damaged_database_refused(db_path):
    db = create_database(db_path)
    db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    data = bytearray(db_path.read_bytes())
    data[4096:8192] = b"\xff" * 4096  # wreck the second page
    db_path.write_bytes(bytes(data))
    with pytest.raises((errors.DamagedDatabase, errors.NotAPestdeskDatabase)):
        open_database(db_path)


def test_readonly_file_refused_for_writing(db_path):
    create_database(db_path).close()
    db_path.chmod(0o444)
    try:
        if db_path.stat().st_mode & 0o200 or __import__("os").access(db_path, __import__("os").W_OK):
            pytest.skip("running as a user that can write read-only files (root)")
        with pytest.raises(errors.ReadOnlyDatabase):
            open_database(db_path)
    finally:
        db_path.chmod(0o644)
