"""Writers killed with SIGKILL in the middle of saving, 50 times: the file passes SQLite's
integrity check every time and every acknowledged save is there. A writer that hits the
file-size limit gets a clean StorageFailure, turns read-only, and loses nothing."""

from __future__ import annotations

import random
import time

from pestdesk.store.db import integrity_check
from tests.helpers import workers

KILLS = 50


def acked_ids(ack_path) -> set[int]:
    if not ack_path.exists():
        return set()
    return {int(x) for x in ack_path.read_text().split()}


def stored_ids(path) -> set[int]:
    con = workers.raw(path, timeout=10)  # a hot journal is rolled back here
    try:
        return {r[0] for r in con.execute('SELECT id FROM "case"')}
    finally:
        con.close()


def test_sigkill_mid_transaction_loses_nothing_acknowledged(mp, shared_db, tmp_path):
    path, _case, network = shared_db
    ack = tmp_path / "acked.txt"
    rng = random.Random(7)
    in_txn = mp.Value("i", 0, lock=False)
    mid_transaction = 0
    for round_ in range(KILLS):
        writer = mp.Process(target=workers.crash_writer, args=(str(path), str(ack), network,
                                                                in_txn))
        writer.start()
        deadline = time.monotonic() + 10
        while not in_txn.value and time.monotonic() < deadline:  # wait for its first save
            time.sleep(0.002)
        if round_ % 2:  # every other round: let one save finish first, however slow the
            before = len(acked_ids(ack))  # machine (fsync on a busy CI), so saves are really
            while len(acked_ids(ack)) == before and time.monotonic() < deadline:  # made
                time.sleep(0.005)
        time.sleep(rng.random() * 0.06)
        mid_transaction += in_txn.value
        writer.kill()
        writer.join(10)
        assert writer.exitcode == -9
        in_txn.value = 0
        verdict = integrity_check(path) if round_ % 2 else "ok"
        missing = acked_ids(ack) - stored_ids(path)  # rolls a hot journal back first
        assert not missing, f"round {round_}: acknowledged saves lost: {sorted(missing)[:5]}"
        assert verdict == "ok" and integrity_check(path) == "ok", f"round {round_}"
    assert len(acked_ids(ack)) > KILLS // 2  # the writers really saved between the kills
    assert mid_transaction >= KILLS // 3, "too few kills landed inside a transaction"


def test_file_size_limit_gives_clean_storage_failure(mp, shared_db):
    path, _case, network = shared_db
    limit = path.stat().st_size + 400_000
    parent, child = mp.Pipe(duplex=False)
    writer = mp.Process(target=workers.fsize_writer, args=(str(path), limit, network, child))
    writer.start()
    child.close()
    acked, outcome = set(), None
    while True:
        try:
            message = parent.recv()
        except EOFError:
            break
        if message[0] == "ack":
            acked.add(message[1])
        else:
            outcome = message
    writer.join(20)
    assert writer.exitcode == 0
    assert outcome is not None and outcome[0] == "failure", outcome
    _kind, text, read_only, after = outcome
    assert "database or disk is full" not in text  # our message, not SQLite's
    assert "disk" in text.lower() or "schijf" in text.lower()
    assert read_only is True
    assert after != "saved" and ("read-only" in after or "alleen-lezen" in after)
    assert len(acked) > 3
    assert integrity_check(path) == "ok"
    assert acked <= stored_ids(path)
