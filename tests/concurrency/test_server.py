"""The concurrency promises on a PostgreSQL server, with real processes (as the SQLite tests
in this folder make them on a file): no lost update and every clash a Conflict; writers
killed mid-transaction lose nothing acknowledged; a held lock is explained (who is there)
and the draft kept; many processes keep one audit chain. Runs with PESTDESK_TEST_PG."""

from __future__ import annotations

import datetime as dt
import random
import threading
import time

import psycopg
import pytest

from pestdesk import clock
from pestdesk.services import presence
from pestdesk.services.base import SYSTEM, Actor, create, save_versioned, verify_audit_chain, write
from pestdesk.store import errors
from pestdesk.store.db import open_database
from pestdesk.store.models import AuditLog, Case
from tests.helpers import pg, workers

pytestmark = pytest.mark.skipif(not pg.active(), reason="needs PESTDESK_TEST_PG")
SAVES = 150


@pytest.fixture
def server_db():
    url = pg.reset_database()
    db = open_database(url)
    with write():
        case = create(SYSTEM, Case, number="2026-0001", reported_on=dt.date(2026, 1, 5),
                      summary="0")
    db.close()
    return url, case.id


def test_no_lost_updates_between_two_processes(mp, server_db):
    url, case_id = server_db
    queue, start = mp.Queue(), mp.Barrier(2)
    procs = [mp.Process(target=workers.counter,
                        args=(url, case_id, SAVES, name, False, queue, start))
             for name in ("A", "B")]
    for p in procs:
        p.start()
    results = [queue.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(10)
        assert p.exitcode == 0
    acked = sum(r[1] for r in results)
    assert acked == 2 * SAVES
    assert sum(r[2] for r in results) > 0, "the processes never clashed: proves nothing"
    db = open_database(url)
    try:
        case = Case.get_by_id(case_id)
        assert int(case.summary) == acked and case.version == 1 + acked
        tokens = sorted(t for t in case.description.split(";") if t)
        assert tokens == sorted(f"{n}{i}" for n in "AB" for i in range(SAVES))
        assert AuditLog.select().where((AuditLog.action == "update")
                                       & (AuditLog.record_id == case_id)).count() == acked
        assert verify_audit_chain() is None
    finally:
        db.close()


def test_sigkill_mid_transaction_loses_nothing_acknowledged(mp, server_db, tmp_path):
    url, _case = server_db
    ack = tmp_path / "acked.txt"
    rng = random.Random(7)
    in_txn = mp.Value("i", 0, lock=False)
    mid = 0
    for _round in range(12):
        writer = mp.Process(target=workers.crash_writer, args=(url, str(ack), False, in_txn))
        writer.start()
        deadline = time.monotonic() + 20
        while not in_txn.value and time.monotonic() < deadline:
            time.sleep(0.002)
        time.sleep(rng.random() * 0.2)
        mid += in_txn.value
        writer.kill()
        writer.join(10)
        in_txn.value = 0
        acked = {int(x) for x in ack.read_text().split()} if ack.exists() else set()
        with psycopg.connect(url) as con:
            stored = {r[0] for r in con.execute('SELECT id FROM "case"')}
            events = con.execute('SELECT count(*) FROM event e LEFT JOIN "case" c '
                                 'ON c.id = e.case_id WHERE c.id IS NULL').fetchone()[0]
        assert not acked - stored
        assert events == 0  # no half-written case: its events came with it or not at all
    assert mid >= 3, "too few kills landed inside a transaction"
    db = open_database(url)
    try:
        assert verify_audit_chain() is None
    finally:
        db.close()


def test_a_held_lock_is_explained_and_the_draft_kept(server_db):
    """Another session holds the audit head (a long save): the save waits ``busy_ms``, then
    a SomeoneSaving naming who is there; once it is released the same save succeeds."""
    url, case_id = server_db
    db = open_database(url, busy_ms=300)
    other = psycopg.connect(url)
    try:
        now = clock.utcnow()
        other.execute("INSERT INTO presence VALUES (%s, %s, %s, %s, %s)",
                      ("other-computer", "bob", "pc2", now, now))
        other.commit()  # bob has the database open on another computer
        anna = Actor(1, "anna")
        presence.join(anna)  # sees bob
        record = Case.get_by_id(case_id)
        other.execute("SELECT 1 FROM setting WHERE key = 'audit_head' FOR UPDATE")
        start = time.monotonic()
        with pytest.raises(errors.DatabaseBusy) as info:
            with write():
                save_versioned(anna, record, record.version, summary="bijgewerkt")
        waited = time.monotonic() - start
        assert "bob" in str(info.value) and 0.3 <= waited < 5
        assert record.summary == "0" and record.version == 1  # the draft is the caller's
        other.rollback()
        with write():
            save_versioned(anna, record, record.version, summary="bijgewerkt")
        assert Case.get_by_id(case_id).summary == "bijgewerkt"
        presence.leave()
    finally:
        other.close()
        db.close()


def test_eight_processes_keep_one_audit_chain(mp, server_db):
    url, _case = server_db
    queue = mp.Queue()
    procs = [mp.Process(target=workers.contention, args=(url, 2.0, f"w{i}", False, queue))
             for i in range(8)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(10)
    assert sum(len(lat) for _n, lat, _b in results) > 8
    db = open_database(url)
    try:
        assert verify_audit_chain() is None
    finally:
        db.close()


def test_threads_of_one_process_each_have_their_connection(server_db):
    url, case_id = server_db
    db = open_database(url)
    seen = []

    def reader():
        seen.append(Case.get_by_id(case_id).number)
        db.close()

    thread = threading.Thread(target=reader)
    thread.start()
    thread.join()
    db.close()
    assert seen == ["2026-0001"]
