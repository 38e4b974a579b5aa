"""Code that runs in the child processes of the concurrency tests (and the contention bench).

Each function opens the database file itself, exactly as a second pestdesk on another PC
would, and reports through multiprocessing primitives. They are started from a forkserver,
so every child is a fresh single-threaded process that never inherited an open connection.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import time

from pestdesk.services.base import Actor, Conflict, create, save_versioned, write
from pestdesk.store import errors
from pestdesk.store.db import open_database
from pestdesk.store.models import Case, Event

BODY = "Gesprek gevoerd; afspraken gemaakt en vastgelegd. " * 20  # ~1 KB


def leave_key(path, key) -> None:
    """The test's stand-in for a sign-in: the key of an encrypted test database, beside it
    for the child processes (a test file in a temp folder; pestdesk itself never does this)."""
    from pathlib import Path

    Path(f"{path}.testkey").write_text(key.key.hex() + ":" + key.salt.hex())


def hold_key(path) -> None:
    """Hold the key ``leave_key`` left beside ``path`` (nothing for a plain database)."""
    from pathlib import Path

    from pestdesk.store.crypto import DatabaseKey
    from pestdesk.store.db import unlock_key

    left = Path(f"{path}.testkey")
    if left.exists():
        key, salt = left.read_text().split(":")
        unlock_key(DatabaseKey(bytes.fromhex(key), bytes.fromhex(salt)))


def raw(path, timeout: float = 10):
    """A raw writable connection, plain or keyed (what the tests used ``sqlite3`` for)."""
    from pestdesk.store.db import connect

    hold_key(path)
    return connect(path, readonly=False, timeout=timeout)


def open_db(path: str, network: bool, busy_ms: int | None = None):
    hold_key(path)
    return open_database(path, verify=False, network=network, busy_ms=busy_ms)


def counter(path: str, case_id: int, saves: int, name: str, network: bool, queue,
            start=None) -> None:
    """Increment the case's counter ``saves`` times; on Conflict re-read and try again.

    ``start``: a barrier every counter waits at once its database is open, so the counters
    save at the same time (on a quiet machine one would otherwise be done before the other
    has started)."""
    db = open_db(path, network)
    if start is not None:
        start.wait(60)
    actor = Actor(None, name)
    acked = conflicts = 0
    rng = random.Random(name)
    while acked < saves:
        record = Case.get_by_id(case_id)
        draft = {"summary": str(int(record.summary or 0) + 1),
                 "description": record.description + f"{name}{acked};"}
        time.sleep(rng.random() * 0.002)  # the user edits: the other may save meanwhile
        try:
            with write():
                save_versioned(actor, record, record.version, **draft)
        except Conflict as exc:
            assert exc.current["version"] > record.version  # surfaced with their data
            conflicts += 1
            continue
        acked += 1
    db.close()
    queue.put((name, acked, conflicts))


def lock_holder(path: str, joined, go, locked, release, hold_seconds: float = 20.0) -> None:
    """Join as "bob", then hold an EXCLUSIVE lock until told (like a long save elsewhere)."""
    from pestdesk.services import presence

    db = open_db(path, network=False)
    presence.join(Actor(2, "bob"))
    db.close()
    joined.set()
    go.wait(hold_seconds)
    con = raw(path, timeout=5)
    con.isolation_level = None
    con.execute("BEGIN EXCLUSIVE")
    locked.set()
    release.wait(hold_seconds)
    con.execute("ROLLBACK")
    con.close()


def crash_writer(path: str, ack_path: str, network: bool, in_txn) -> None:
    """Save cases with a timeline as fast as possible; log each id after its commit."""
    db = open_db(path, network)
    actor = Actor(None, "writer")
    fd = os.open(ack_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    n = 0
    while True:
        n += 1
        with write():
            in_txn.value = 1
            case = create(actor, Case, number=f"{os.getpid()}-{n}",
                          reported_on=dt.date(2026, 1, 5), description=BODY)
            for i in range(12):
                Event.create(case=case, kind="gesprek", occurred_on=dt.date(2026, 1, 5),
                             title=f"gesprek {i}", body=BODY)
        in_txn.value = 0
        os.write(fd, f"{case.id}\n".encode())  # acknowledged only after the commit
    db.close()  # pragma: no cover - killed before


def fsize_writer(path: str, limit: int, network: bool, conn) -> None:
    """Write until the file-size limit; report acknowledged ids and the error we got."""
    import resource
    import signal

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    from pestdesk.services.base import ReadOnlyMode, storage

    db = open_db(path, network)
    actor = Actor(None, "writer")
    n = 0
    try:
        while n < 10_000:
            n += 1
            with write():
                case = create(actor, Case, number=f"fs-{n}", reported_on=dt.date(2026, 1, 5),
                              description=BODY * 8)
            conn.send(("ack", case.id))
    except errors.StorageFailure as exc:
        try:
            with write():
                create(actor, Case, number="after", reported_on=dt.date(2026, 1, 5))
            after = "saved"
        except ReadOnlyMode as second:
            after = str(second)
        conn.send(("failure", str(exc), storage.read_only, after))
    except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on it
        conn.send(("other", f"{type(exc).__name__}: {exc}"))
    finally:
        db.close()
        conn.close()


def contention(path: str, seconds: float, name: str, network: bool, queue) -> None:
    """Bench: save continuously for ``seconds``; report every save's latency."""
    db = open_db(path, network)
    actor = Actor(None, name)
    with write():
        case = create(actor, Case, number=f"bench-{name}", reported_on=dt.date(2026, 1, 5))
    latencies, busy = [], 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        start = time.perf_counter()
        try:
            with write():
                record = Case.get_by_id(case.id)
                save_versioned(actor, record, record.version,
                               summary=str(int(record.summary or 0) + 1))
                Event.create(case=case, kind="note", occurred_on=dt.date(2026, 1, 5),
                             body=BODY[:300])
        except errors.DatabaseBusy:
            busy += 1
            continue
        latencies.append(time.perf_counter() - start)
    db.close()
    queue.put((name, latencies, busy))


def sign_in_attempt(path: str, username: str, password: str, ready, go, queue) -> None:
    """One sign-in attempt in its own process, started together with the others."""
    from pestdesk.services import accounts
    from pestdesk.services.base import ServiceError

    db = open_db(path, network=False, busy_ms=30_000)
    ready.release()
    go.wait(30)
    try:
        accounts.sign_in(username, password)
        outcome = "signed in"
    except accounts.Throttled:
        outcome = "throttled"
    except ServiceError:
        outcome = "checked"  # the password was verified and found wrong
    db.close()
    queue.put(outcome)


def lock_at_barrier(path: str, kind: str, start, locked, release,
                    hold_seconds: float = 30.0) -> None:
    """Another PC's pestdesk: after the barrier, hold the file as ``kind`` until told.

    "writer": a long save (BEGIN IMMEDIATE, the write lock). "reader": a long read, such as
    a backup or an export, inside one read transaction (on the rollback journal of a share
    its SHARED lock lets others begin a write but not commit it)."""
    con = raw(path, timeout=5)
    con.isolation_level = None
    start.wait(60)
    if kind == "writer":
        con.execute("BEGIN IMMEDIATE")
    else:
        con.execute("BEGIN")
        con.execute('SELECT count(*) FROM "case"').fetchall()
    locked.set()
    release.wait(hold_seconds)
    con.execute("ROLLBACK")
    con.close()


def lock_then_close(path: str, start, locked, release, hold_seconds: float = 30.0) -> None:
    """Another PC's pestdesk: after the barrier, a long save (the write lock) that is rolled
    back, then its connection closed, as when that pestdesk quits. The last connection to
    close a WAL database checkpoints it and removes the WAL: only when nobody else holds
    the file (SQLite asks the file's locks)."""
    con = raw(path, timeout=5)
    con.isolation_level = None
    con.execute('SELECT count(*) FROM "case"').fetchall()  # the WAL opened here too
    start.wait(60)
    con.execute("BEGIN IMMEDIATE")
    locked.set()
    release.wait(hold_seconds)
    con.execute("ROLLBACK")
    con.close()
