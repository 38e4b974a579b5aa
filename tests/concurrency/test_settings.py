"""The storage settings a shared (network) database gets, and that they stick to the file."""

from __future__ import annotations

import sqlite3

from pestdesk.store.db import NETWORK_BUSY_MS, SHARED_KEY, create_database, open_database


def pragma(db, name):
    return db.execute_sql(f"PRAGMA {name}").fetchone()[0]


def test_network_settings(tmp_path):
    path = tmp_path / "share.pestdesk"
    create_database(path).close()
    db = open_database(path, network=True)
    try:
        assert pragma(db, "journal_mode") == "delete"
        assert pragma(db, "synchronous") == 2  # FULL
        assert pragma(db, "locking_mode") == "normal"
        assert pragma(db, "busy_timeout") == NETWORK_BUSY_MS >= 10_000
        assert pragma(db, "foreign_keys") == 1 and pragma(db, "secure_delete") == 1
    finally:
        db.close()


def test_a_file_marked_shared_keeps_the_safe_settings_for_local_clients(tmp_path):
    path = tmp_path / "server.pestdesk"
    create_database(path).close()
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=delete")
    con.execute("INSERT INTO setting (key, value, version) VALUES (?, 'true', 1)", (SHARED_KEY,))
    con.commit()
    con.close()
    db = open_database(path)  # a local path: would be WAL, but the file is shared
    try:
        assert pragma(db, "journal_mode") == "delete"
        assert pragma(db, "synchronous") == 2
    finally:
        db.close()


def test_busy_timeout_can_be_shortened_for_tests(tmp_path):
    path = tmp_path / "x.pestdesk"
    create_database(path).close()
    db = open_database(path, busy_ms=250)
    try:
        assert pragma(db, "busy_timeout") == 250
    finally:
        db.close()


def test_write_errors_are_service_errors_for_the_dialogs():
    from pestdesk.services.base import ReadOnlyMode, SaveFailed, ServiceError, SomeoneSaving
    from pestdesk.store import errors

    busy = SomeoneSaving("", "bob")
    assert isinstance(busy, errors.DatabaseBusy) and isinstance(busy, ServiceError)
    assert "bob" in str(busy)
    assert issubclass(SaveFailed, errors.StorageFailure) and issubclass(SaveFailed, ServiceError)
    assert issubclass(ReadOnlyMode, ServiceError)
