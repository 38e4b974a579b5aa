"""Backups: verified, rotated, claimed once per day; restore refuses bad files, keeps a safety
copy and uses the backup API."""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3

import pytest

from pestdesk.services import backups
from pestdesk.services.base import SYSTEM, ServiceError, create, write
from pestdesk.store import errors
from pestdesk.store.db import create_database, integrity_check, open_database
from pestdesk.store.models import AuditLog, Student, database

# SQLite backup API and files; PostgreSQL backups (pg_dump): tests/test_postgresql.py
pytestmark = pytest.mark.sqlite_only


def add_student(number: str, name: str = "Sem") -> None:
    with write():
        create(SYSTEM, Student, number=number, first_name=name, last_name="Bakker")


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_backup_is_verified_named_and_rotated(db, db_path, tmp_path):
    add_student("1")
    cfg = backups.BackupConfig(tmp_path / "bk", keep=3)
    start = dt.datetime(2026, 3, 1, 8, 0, 0)
    made = [backups.make_backup(db_path, cfg, start + dt.timedelta(days=i)) for i in range(5)]
    (cfg.folder / "notes.txt").write_text("not ours")
    kept = backups.list_backups(cfg.folder, db_path.stem)
    assert [b.path for b in kept] == [m.path for m in reversed(made)][:3]
    assert (cfg.folder / "notes.txt").exists()
    assert all(integrity_check(b.path) == "ok" for b in kept)
    con = sqlite3.connect(kept[0].path)
    assert con.execute("select count(*) from student").fetchone()[0] == 1
    con.close()


def test_auto_backup_only_when_due_and_claimed_once(db, db_path, tmp_path):
    backups.save_config(SYSTEM, tmp_path / "auto", keep=14)
    now = dt.datetime(2026, 3, 2, 9, 0)
    first = backups.auto_backup(db_path, now)
    assert first is not None and first.path.exists()
    assert backups.auto_backup(db_path, now + dt.timedelta(hours=3)) is None
    # another client that sees no file yet (e.g. it was removed) still respects the claim
    first.path.unlink()
    assert backups.auto_backup(db_path, now + dt.timedelta(hours=4)) is None
    assert backups.auto_backup(db_path, now + dt.timedelta(days=1, minutes=1)) is not None
    assert AuditLog.select().where(AuditLog.action == "backup").count() == 2


def test_latest_good_backup_skips_damaged_files(db, db_path, tmp_path):
    cfg = backups.BackupConfig(tmp_path / "bk")
    good = backups.make_backup(db_path, cfg, dt.datetime(2026, 1, 1, 10))
    bad = backups.make_backup(db_path, cfg, dt.datetime(2026, 1, 2, 10))
    data = bytearray(bad.path.read_bytes())
    data[4096:8192] = b"\xff" * 4096  # smash a page
    bad.path.write_bytes(bytes(data))
    assert backups.latest_good_backup(cfg.folder, db_path.stem).path == good.path


def test_restore_brings_back_data_and_keeps_safety_copy(db, db_path, tmp_path):
    add_student("1", "Eerste")
    cfg = backups.BackupConfig(tmp_path / "bk")
    saved = backups.make_backup(db_path, cfg)
    add_student("2", "Later")
    db.close()
    result = backups.restore(db_path, saved.path)
    assert result.safety_copy is not None and result.safety_copy.exists()
    con = sqlite3.connect(db_path)
    assert [r[0] for r in con.execute("select number from student")] == ["1"]
    con.close()
    con = sqlite3.connect(result.safety_copy)
    assert sorted(r[0] for r in con.execute("select number from student")) == ["1", "2"]
    con.close()
    reopened = open_database(db_path)
    assert Student.select().count() == 1
    reopened.close()


@pytest.mark.parametrize("kind", ["text", "foreign", "damaged"])
def test_restore_refuses_bad_backup_and_leaves_database(db, db_path, tmp_path, kind):
    add_student("1")
    db.close()
    bad = tmp_path / "bad.sqlite"
    if kind == "text":
        bad.write_text("not a database\n" * 100)
    elif kind == "foreign":
        con = sqlite3.connect(bad)
        con.execute("create table t(x)")
        con.commit()
        con.close()
    else:
        backups.make_backup(db_path, backups.BackupConfig(tmp_path / "bk"))
        bad = backups.list_backups(tmp_path / "bk")[0].path
        data = bytearray(bad.read_bytes())
        data[4096 * 2:4096 * 3] = b"\x00\x13" * 2048
        bad.write_bytes(bytes(data))
    before = digest(db_path)
    with pytest.raises(errors.StoreError):
        backups.restore(db_path, bad)
    assert digest(db_path) == before
    assert not list(tmp_path.glob("*before-restore*"))


def test_restore_refused_while_others_are_present(db, db_path, tmp_path):
    from pestdesk.services import presence
    from pestdesk.services.base import Actor

    saved = backups.make_backup(db_path, backups.BackupConfig(tmp_path / "bk"))
    presence.join(Actor(5, "anna"))
    try:
        with pytest.raises(ServiceError) as info:
            backups.restore(db_path, saved.path)
        assert "anna" in str(info.value)
        backups.restore(db_path, saved.path, force=True)
    finally:
        presence.leave()


def test_restore_into_open_database_uses_backup_api(tmp_path):
    """A client with the file open sees the restored content on its next read."""
    path = tmp_path / "live.pestdesk"
    db = create_database(path)
    add_student("1")
    saved = backups.make_backup(path, backups.BackupConfig(tmp_path / "bk"))
    add_student("2")
    assert Student.select().count() == 2
    backups.restore(path, saved.path, force=True)
    assert Student.select().count() == 1
    add_student("3")  # and it can keep working
    assert integrity_check(path) == "ok"
    assert database.obj is db
    db.close()


def test_restore_refuses_a_foreign_file_with_our_id_as_backup(db, db_path, tmp_path):
    from tests.helpers import db_states

    db.close()
    foreign = tmp_path / "vreemd.sqlite"
    foreign.write_bytes(db_path.read_bytes())
    db_states.foreign_with_our_id(foreign)
    before = digest(db_path)
    with pytest.raises(errors.ForeignDatabase):
        backups.restore(db_path, foreign)
    assert digest(db_path) == before
    assert not list(tmp_path.glob("*before-restore*"))


def test_restore_onto_a_read_only_file_leaves_no_safety_copy(db, db_path, tmp_path):
    from tests.helpers import db_states

    saved = backups.make_backup(db_path, backups.BackupConfig(tmp_path / "bk"))
    db.close()
    before = digest(db_path)
    with db_states.immutable(db_path):
        with pytest.raises(errors.ReadOnlyDatabase):
            backups.restore(db_path, saved.path)
    assert digest(db_path) == before
    assert not list(tmp_path.glob("*before-restore*"))


def test_safety_copies_are_rotated(db, db_path, tmp_path):
    saved = backups.make_backup(db_path, backups.BackupConfig(tmp_path / "bk"))
    db.close()
    made = []
    for minute in range(5):
        result = backups.restore(db_path, saved.path, now=dt.datetime(2026, 11, 24, 9, minute))
        made.append(result.safety_copy)
    kept = sorted(tmp_path.glob("*before-restore*"))
    assert kept == sorted(made[-backups.SAFETY_KEEP:])


def test_manual_backup_is_checked_rotated_and_audited(db, db_path, tmp_path):
    from pestdesk.services.base import Actor

    backups.save_config(SYSTEM, tmp_path / "bk", keep=2)
    beheerder = Actor(1, "beheer", roles=frozenset({"beheerder"}))
    made = [backups.manual_backup(beheerder, db_path) for _ in range(3)]
    assert all(m.path.parent == tmp_path / "bk" for m in made)
    kept = backups.list_backups(tmp_path / "bk", db_path.stem)
    assert len(kept) <= 2 and kept[0].path == made[-1].path  # rotated like the daily ones
    lines = AuditLog.select().where(AuditLog.action == "backup", AuditLog.detail == "manual")
    assert [line.user for line in lines] == [1, 1, 1]
    exact = backups.manual_backup(beheerder, db_path, tmp_path / "kopie.sqlite")
    assert exact.path == tmp_path / "kopie.sqlite" and integrity_check(exact.path) == "ok"

    mentor = Actor(2, "mentor", roles=frozenset({"mentor"}))
    with pytest.raises(ServiceError):
        backups.manual_backup(mentor, db_path)
    assert AuditLog.select().where(AuditLog.action == "backup").count() == 4
