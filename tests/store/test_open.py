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


def make_read_only(path):
    """chmod 444; as root (who ignores modes) also mark the file immutable with chattr."""
    import os
    import subprocess

    path.chmod(0o444)
    if os.access(path, os.W_OK):
        done = subprocess.run(["chattr", "+i", str(path)], capture_output=True)
        if done.returncode != 0 or os.access(path, os.W_OK):
            pytest.skip("cannot make a file read-only for this user here")
        return lambda: (subprocess.run(["chattr", "-i", str(path)]), path.chmod(0o644))
    return lambda: path.chmod(0o644)


def test_readonly_file_refused_for_writing(db_path):
    create_database(db_path).close()
    before = digest(db_path)
    undo = make_read_only(db_path)
    try:
        with pytest.raises(errors.ReadOnlyDatabase) as info:
            open_database(db_path)
        assert "alleen-lezen" in str(info.value)
        readonly = open_database(db_path, readonly=True)  # reading is still fine
        assert readonly.execute_sql("select count(*) from student").fetchone()[0] == 0
        readonly.close()
    finally:
        undo()
    assert digest(db_path) == before
