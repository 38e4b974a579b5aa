"""The audit trail is anchored (store.anchor): `pestdesk check` notices a tail deleted, all
lines deleted, a chain recomputed, dropped triggers, and lines a backup still holds — each
tampering done the way someone with the file and the sqlite3 shell would."""

from __future__ import annotations

import json

import pytest

from pestdesk.services import settings
from pestdesk.services.backups import restore
from pestdesk.services.base import SYSTEM, _chain_hash
from pestdesk.services.health import check_database
from pestdesk.store import anchor
from pestdesk.store.db import backup_to, connect

# the anchor file beside a SQLite file; the server side: tests/test_postgresql.py
pytestmark = pytest.mark.sqlite_only

TRIGGERS = {
    "audit_log_no_update": "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON \"audit_log\" "
                           "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "audit_log_no_delete": "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON \"audit_log\" "
                           "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
}


@pytest.fixture
def trail(db, db_path):
    for n in range(6):
        settings.set_value(SYSTEM, f"test_{n}", n)
    db.close()
    return db_path


def _problems(path) -> list[str]:
    report = check_database(path)
    problems = report.anchor_problems
    assert report.healthy == (not set(problems) - {"no-anchor"})
    return problems


def _tamper(path, *statements, restore_triggers: bool = True) -> None:
    con = connect(path, readonly=False)
    try:
        for name in TRIGGERS:
            con.execute(f"DROP TRIGGER IF EXISTS {name}")
        for statement in statements:
            con.execute(*statement) if isinstance(statement, tuple) else con.execute(statement)
        if restore_triggers:
            for sql in TRIGGERS.values():
                con.execute(sql)
        con.commit()
    finally:
        con.close()


def _fix_setting(path) -> None:
    """The attacker also makes the recorded head match what is left."""
    con = connect(path, readonly=False)
    try:
        head = anchor.table_head(con)
        con.execute("UPDATE setting SET value = ? WHERE key = 'audit_head'",
                    (json.dumps({"count": head.count, "hash": head.hash}),))
        con.commit()
    finally:
        con.close()


def _recompute_chain(path) -> None:
    con = connect(path, readonly=False)
    try:
        prev = ""
        rows = con.execute('SELECT id, at, "user", action, "table", record_id, detail '
                           'FROM audit_log ORDER BY id').fetchall()
        for row_id, at, user, action, table, record_id, detail in rows:
            at_text = at.replace(" ", "T") if isinstance(at, str) else at
            payload = {"at": at_text, "user": user, "action": action, "table": table,
                       "record_id": record_id, "detail": detail}
            new = _chain_hash(prev, payload)
            con.execute("UPDATE audit_log SET prev_hash = ?, hash = ? WHERE id = ?",
                        (prev, new, row_id))
            prev = new
        con.commit()
    finally:
        con.close()


def test_an_untouched_trail_is_anchored_and_healthy(trail):
    assert anchor.read_anchor(trail)["count"] >= 6
    assert _problems(trail) == []


def test_deleting_the_tail_is_noticed(trail):
    _tamper(trail, "DELETE FROM audit_log WHERE id IN "
                   "(SELECT id FROM audit_log ORDER BY id DESC LIMIT 2)")
    assert check_database(trail).audit_broken_at is None  # the chain alone sees nothing
    assert _problems(trail) == ["setting", "anchor"]
    _fix_setting(trail)
    assert _problems(trail) == ["anchor"]


def test_deleting_every_line_is_noticed(trail):
    _tamper(trail, "DELETE FROM audit_log")
    _fix_setting(trail)
    assert _problems(trail) == ["anchor"]


def test_a_recomputed_chain_is_noticed(trail):
    _tamper(trail, "UPDATE audit_log SET detail = 'iets anders' WHERE id = 2")
    assert check_database(trail).audit_broken_at == 2
    _tamper(trail, restore_triggers=False)
    _recompute_chain(trail)
    _tamper(trail)  # triggers back as they were
    _fix_setting(trail)
    assert check_database(trail).audit_broken_at is None  # a consistent chain again
    assert _problems(trail) == ["anchor"]


def test_dropped_triggers_are_noticed(trail):
    _tamper(trail, restore_triggers=False)
    assert _problems(trail) == ["triggers"]
    _tamper(trail, restore_triggers=False)
    con = connect(trail, readonly=False)
    try:  # a trigger that no longer refuses anything
        con.execute('CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON "audit_log" '
                    "BEGIN SELECT 1; END")
        con.execute(TRIGGERS["audit_log_no_update"])
        con.commit()
    finally:
        con.close()
    assert _problems(trail) == ["triggers"]


def test_a_backup_records_the_head_it_saw(trail, tmp_path):
    copy = backup_to(trail, tmp_path / "kopie.sqlite")
    recorded = anchor.read_anchor(trail)["backup"]
    con = connect(copy)
    try:
        assert recorded == {"count": anchor.table_head(con).count,
                            "hash": anchor.table_head(con).hash}
    finally:
        con.close()
    # the tail is removed and both the setting and the anchor file are made to match
    _tamper(trail, "DELETE FROM audit_log WHERE id IN "
                   "(SELECT id FROM audit_log ORDER BY id DESC LIMIT 3)")
    _fix_setting(trail)
    con = connect(trail)
    try:
        anchor.write_anchor(trail, anchor.table_head(con), restart=False)
        data = anchor.read_anchor(trail)
        data.update(count=anchor.table_head(con).count, hash=anchor.table_head(con).hash)
        anchor.anchor_path(trail).write_text(json.dumps(data))
    finally:
        con.close()
    assert _problems(trail) == ["backup"]


def test_a_missing_anchor_file_is_said_and_a_restore_restarts_it(trail, tmp_path, db_path):
    copy = backup_to(trail, tmp_path / "kopie.sqlite")
    anchor.anchor_path(trail).unlink()
    assert _problems(trail) == ["no-anchor"]
    assert check_database(trail).healthy
    from pestdesk.store.db import open_database

    db = open_database(trail, verify=False)
    settings.set_value(SYSTEM, "later", 1)  # lines after the backup; the file comes back
    db.close()
    assert _problems(trail) == []
    restore(trail, copy)  # back to fewer lines: the restored head is the anchor now
    assert _problems(trail) == []


@pytest.mark.parametrize("neutered", [
    # a condition that never holds
    ('CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON "audit_log" WHEN 0 '
     "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"),
    # another event than the one it must stop
    ('CREATE TRIGGER audit_log_no_update BEFORE INSERT ON "audit_log" WHEN 0 '
     "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"),
    # the refusal only in a comment
    ('CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON "audit_log" '
     "BEGIN SELECT 1; /* RAISE(ABORT, 'audit_log is append-only') */ END"),
], ids=["when-0", "other-event", "in-a-comment"])
def test_a_trigger_that_no_longer_refuses_is_noticed(trail, neutered):
    """A trigger with the right name and a RAISE(ABORT somewhere in its text is not enough:
    it must be the trigger the migration made, or an UPDATE goes through unseen."""
    _tamper(trail, restore_triggers=False)
    con = connect(trail, readonly=False)
    try:
        con.execute(neutered)
        con.execute(TRIGGERS["audit_log_no_delete"])
        con.commit()
    finally:
        con.close()
    assert _problems(trail) == ["triggers"]


def test_an_emptied_trail_without_its_anchor_is_noticed(trail):
    """Every line deleted, the head fixed up and the anchor file removed: a database that
    holds records but no audit line at all was emptied (every record is written with one)."""
    from pestdesk.services.base import create, write
    from pestdesk.store.db import open_database
    from pestdesk.store.models import Staff

    db = open_database(trail, verify=False)
    with write():
        create(SYSTEM, Staff, code="ZC", last_name="Zorg")
    db.close()
    _tamper(trail, "DELETE FROM audit_log")
    _fix_setting(trail)
    anchor.anchor_path(trail).unlink()
    assert "empty" in _problems(trail)
    assert not check_database(trail).healthy
