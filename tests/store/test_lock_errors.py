"""Trouble with another process's lock is "busy", never a storage failure: the app stays
writable, the save is refused with the Dutch busy message and nothing is written."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from pestdesk.services.base import SYSTEM, create, storage, write
from pestdesk.store import errors
from pestdesk.store.models import Case


def _driver_error(name: str, text: str) -> sqlite3.OperationalError:
    exc = sqlite3.OperationalError(text)
    exc.sqlite_errorname = name  # as sqlite3 sets it from SQLite's extended result code
    return exc


@pytest.fixture(autouse=True)
def _writable():
    storage.reset()
    yield
    storage.reset()


@pytest.mark.parametrize("name", sorted(errors.LOCK_TROUBLE))
def test_lock_trouble_is_busy_and_leaves_the_app_writable(db, name):
    with pytest.raises(errors.DatabaseBusy) as refused:
        with write():
            create(SYSTEM, Case, number="2026-0001", reported_on=dt.date(2026, 1, 5))
            raise _driver_error(name, "disk I/O error")  # the share's lock daemon hiccups
    assert "opnieuw" in str(refused.value)
    assert not storage.read_only
    assert Case.select().count() == 0  # nothing half-written
    with write():  # the next save is not refused as read-only
        create(SYSTEM, Case, number="2026-0001", reported_on=dt.date(2026, 1, 5))
    assert Case.select().count() == 1


def test_a_real_disk_error_still_stops_saving(db):
    with pytest.raises(errors.StorageFailure):
        with write():
            raise _driver_error("SQLITE_IOERR_WRITE", "disk I/O error")
    assert storage.read_only


def test_sqlcipher_without_error_names_is_read_by_its_words():
    assert errors.classify(sqlite3.OperationalError("locking protocol")) == "busy"
    assert errors.classify(sqlite3.OperationalError("database is locked")) == "busy"
    assert errors.classify(sqlite3.OperationalError("database or disk is full")) == "storage"
