"""A lock held by another process: every save is refused as busy for as long as it is held,
nothing is half-written, the caller's record stays as it was read, the app never turns
read-only over a mere lock, and the first save after the other process lets go writes the
whole draft.

The lock is a long save elsewhere (the write lock) or a long read elsewhere (a backup or an
export in one read transaction): on a share's rollback journal the reader lets a save
begin and write its pages, then refuses its COMMIT. Such a refused COMMIT used to leave the
caller's record claiming the new values and version: the next save of the same draft saw
nothing to change, wrote nothing and "passed" while the other process still held the file.
"""

from __future__ import annotations

import pytest

from pestdesk.services.base import Actor, save_versioned, storage, write
from pestdesk.store import errors
from pestdesk.store.models import Case
from tests.helpers import workers

ANNA = Actor(1, "anna")
DRAFT = {"summary": "bijgewerkt", "description": "nieuwe tekst na het gesprek"}


@pytest.fixture(autouse=True)
def _not_read_only():
    storage.reset()
    yield
    storage.reset()


def _stored(path, case_id: int) -> tuple:
    con = workers.raw(path)
    try:
        return con.execute('SELECT summary, description, version FROM "case" WHERE id = ?',
                           (case_id,)).fetchone()
    finally:
        con.close()


@pytest.mark.sqlite_only
@pytest.mark.parametrize("kind", ["writer", "reader"])
def test_busy_stays_busy_while_the_lock_is_held_then_the_draft_saves_whole(
        mp, shared_db, kind):
    path, case_id, network = shared_db
    if kind == "reader" and not network:
        pytest.skip("a reader never blocks a writer in WAL mode")
    db = workers.open_db(path, network, busy_ms=300)
    record = Case.get_by_id(case_id)  # the user opens the case and edits
    before = (record.summary, record.description, record.version)
    start, locked, release = mp.Barrier(2), mp.Event(), mp.Event()
    holder = mp.Process(target=workers.lock_at_barrier,
                        args=(str(path), kind, start, locked, release))
    holder.start()
    try:
        start.wait(60)  # both sides ready: the other PC takes its lock now
        assert locked.wait(20)
        for _attempt in range(3):  # the user tries again and again while it is held
            with pytest.raises(errors.DatabaseBusy) as refused:
                with write():
                    save_versioned(ANNA, record, record.version, **DRAFT)
            assert "opnieuw" in str(refused.value)  # Dutch: try again in a moment
            assert (record.summary, record.description, record.version) == before
            assert not storage.read_only  # a lock is no storage failure
    finally:
        release.set()
        holder.join(20)
    assert holder.exitcode == 0
    assert _stored(path, case_id) == before  # nothing half-written
    with write():  # the other PC is done: the same draft, saved whole
        save_versioned(ANNA, record, record.version, **DRAFT)
    db.close()
    assert _stored(path, case_id) == (DRAFT["summary"], DRAFT["description"], before[2] + 1)
    assert record.version == before[2] + 1


@pytest.mark.sqlite_only
def test_another_pc_closing_after_its_lock_leaves_our_open_file_whole(mp, shared_db):
    """The reported sequence: a save refused busy while another PC holds the file, that PC
    quits, and the next saves here met "disk I/O error" and turned the app read-only (or
    passed without the lock). Cause: reading the file's header (after every save, for the
    audit anchor) opened and closed a second descriptor of the database, and closing it
    dropped every lock this process held on the file; the other PC, closing last as far as
    the locks said, removed the WAL under our open connection."""
    path, case_id, network = shared_db
    if network:
        pytest.skip("the rollback journal has no WAL to remove")
    db = workers.open_db(path, network, busy_ms=300)
    record = Case.get_by_id(case_id)
    with write():  # a first save: the audit anchor reads the file's header afterwards
        save_versioned(ANNA, record, record.version, summary="eerste")
    start, locked, release = mp.Barrier(2), mp.Event(), mp.Event()
    other = mp.Process(target=workers.lock_then_close,
                       args=(str(path), start, locked, release))
    other.start()
    try:
        start.wait(60)
        assert locked.wait(20)
        with pytest.raises(errors.DatabaseBusy):
            with write():
                save_versioned(ANNA, record, record.version, **DRAFT)
    finally:
        release.set()
        other.join(20)
    assert other.exitcode == 0
    # we still have the file open: the other PC's close must not have taken the WAL away
    assert path.with_name(path.name + "-wal").exists()
    for n in range(3):  # the next saves here: whole, and the app stays writable
        with write():
            save_versioned(ANNA, record, record.version, description=f"{DRAFT['description']} {n}")
        assert Case.get_by_id(case_id).version == record.version
    assert not storage.read_only
    db.close()
    assert _stored(path, case_id)[1:] == (f"{DRAFT['description']} 2", record.version)
