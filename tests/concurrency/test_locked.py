"""Another process holds the database locked past the busy timeout: the save is refused with
a clear message naming who has the file open, the draft is kept, and a retry succeeds."""

from __future__ import annotations

import time

import pytest

from pestdesk.services import presence
from pestdesk.services.base import Actor, save_versioned, write
from pestdesk.store import errors
from pestdesk.store.db import open_database
from pestdesk.store.models import Case
from tests.helpers import workers


def test_locked_database_is_explained_then_retry_succeeds(mp, shared_db):
    path, case_id, network = shared_db
    db = open_database(path, verify=False, network=network, busy_ms=300)
    joined, go, locked, release = (mp.Event() for _ in range(4))
    holder = mp.Process(target=workers.lock_holder,
                        args=(str(path), joined, go, locked, release))
    holder.start()
    try:
        assert joined.wait(20)
        presence.join(Actor(1, "anna"))  # sees bob
        record = Case.get_by_id(case_id)  # the user opens the case ...
        go.set()
        assert locked.wait(20)  # ... and meanwhile bob's long save holds the file
    except BaseException:
        release.set()
        raise
    draft = {"summary": "bijgewerkt", "description": "nieuwe tekst"}
    start = time.monotonic()
    try:
        with pytest.raises(errors.DatabaseBusy) as info:
            with write():
                save_versioned(Actor(1, "anna"), record, record.version, **draft)
        waited = time.monotonic() - start
    finally:
        release.set()
    message = str(info.value)
    assert "bob" in message and "locked" not in message.lower()
    assert 0.3 <= waited < 5
    assert record.summary == "0" and draft["summary"] == "bijgewerkt"  # draft kept

    holder.join(10)
    assert holder.exitcode == 0
    with write():
        save_versioned(Actor(1, "anna"), record, record.version, **draft)
    presence.leave()
    db.close()
    con = workers.raw(path)
    assert con.execute("select summary from \"case\" where id=?", (case_id,)).fetchone()[0] \
        == "bijgewerkt"
    con.close()
