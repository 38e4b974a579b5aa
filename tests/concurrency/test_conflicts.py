"""Two processes saving the same case hundreds of times: no update is ever lost, every
clash is surfaced as a Conflict, and the audit chain stays intact."""

from __future__ import annotations

from pestdesk.services.base import verify_audit_chain
from pestdesk.store.db import integrity_check, open_database
from pestdesk.store.models import AuditLog, Case
from tests.helpers import workers

SAVES = 250


def test_no_lost_updates_between_two_processes(mp, shared_db):
    path, case_id, network = shared_db
    queue, start = mp.Queue(), mp.Barrier(2)
    procs = [mp.Process(target=workers.counter,
                        args=(str(path), case_id, SAVES, name, network, queue, start))
             for name in ("A", "B")]
    for p in procs:
        p.start()
    results = [queue.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(10)
        assert p.exitcode == 0
    acked = sum(r[1] for r in results)
    conflicts = sum(r[2] for r in results)
    assert acked == 2 * SAVES
    assert conflicts > 0, "the processes never clashed: the test proves nothing"

    assert integrity_check(path) == "ok"
    db = open_database(path, verify=False, network=network)
    try:
        case = Case.get_by_id(case_id)
        assert int(case.summary) == acked  # every acknowledged increment is there
        assert case.version == 1 + acked  # and nothing else wrote
        tokens = [t for t in case.description.split(";") if t]
        assert sorted(tokens) == sorted(f"{n}{i}" for n in "AB" for i in range(SAVES))
        updates = AuditLog.select().where((AuditLog.action == "update")
                                          & (AuditLog.record_id == case_id)).count()
        assert updates == acked
        assert verify_audit_chain() is None
    finally:
        db.close()
    con = workers.raw(path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == ("delete" if network else "wal")
    con.close()
