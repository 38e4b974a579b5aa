"""The audit anchor of an encrypted database is keyed: the anchor file carries a MAC under a
key derived from the database key, so one written or changed without the key (or copied
from another school) is reported; and `check` compares the trail with the newest backup in
the backup folder, so a file put back to an older copy is caught even when the anchor file
was removed with it. A restore made by pestdesk records itself and is not taken for one."""

from __future__ import annotations

import datetime as dt
import json
import shutil

from pestdesk import clock
from pestdesk.services import backups, encryption, settings
from pestdesk.services.base import SYSTEM
from pestdesk.services.health import check_database
from pestdesk.store import anchor
from pestdesk.store.models import AuditLog, database
from tests.helpers.crypt import ADMIN, PASSWORD, encrypted_school, fast_slots

DAY = dt.datetime(2026, 12, 3, 9, 0)


def _school(tmp_path, monkeypatch, name="school.sqlite"):
    fast_slots(monkeypatch)
    folder = tmp_path / name.split(".")[0]
    folder.mkdir()
    school = encrypted_school(folder / name)
    encryption.sign_in(school.path, ADMIN, PASSWORD)
    return school.path


def _work(n: int) -> None:
    for i in range(n):
        settings.set_value(SYSTEM, f"werk_{i}", i)


def _backup(path, when):
    return backups.make_backup(path, backups.config(path), when).path


def _closed() -> None:
    database.close()  # the key stays held (by salt) for check, as after a sign-in


def test_the_anchor_of_an_encrypted_school_is_signed_and_healthy(tmp_path, monkeypatch):
    path = _school(tmp_path, monkeypatch)
    _work(3)
    _closed()
    data = anchor.read_anchor(path)
    assert data["mac"] and anchor.signed(data, anchor.anchor_key(path))
    report = check_database(path)
    assert report.anchor_problems == [] and report.healthy


def test_an_anchor_written_without_the_key_is_reported(tmp_path, monkeypatch):
    path = _school(tmp_path, monkeypatch)
    _work(3)
    _closed()
    data = anchor.read_anchor(path)
    for forged in ({**data, "count": 2},  # edited: the MAC no longer fits
                   {"count": data["count"], "hash": data["hash"]},  # MAC left off
                   {**data, "mac": "0" * 64}):
        anchor.anchor_path(path).write_text(json.dumps(forged))
        report = check_database(path)
        assert report.anchor_problems == ["forged"] and not report.healthy
    assert any("zonder de sleutel van de database" in line for line in report.lines())
    # the next line written by someone who holds the key replaces it with a signed one
    encryption.sign_in(path, ADMIN, PASSWORD)
    _closed()
    assert check_database(path).healthy


def test_another_schools_anchor_is_reported(tmp_path, monkeypatch):
    first = _school(tmp_path, monkeypatch, "eerste.sqlite")
    _closed()
    second = _school(tmp_path, monkeypatch, "tweede.sqlite")
    _closed()
    shutil.copy(anchor.anchor_path(second), anchor.anchor_path(first))
    assert check_database(first).anchor_problems == ["forged"]


def test_a_file_put_back_to_an_older_copy_is_caught_by_the_newest_backup(
        tmp_path, monkeypatch):
    path = _school(tmp_path, monkeypatch)
    _work(2)
    _closed()
    older = tmp_path / "oud.sqlite"
    shutil.copy(path, older)  # what a thief of the share could put back later
    encryption.sign_in(path, ADMIN, PASSWORD)
    _work(3)  # lines someone wants gone
    newest = _backup(path, DAY)
    _closed()
    report = check_database(path)
    assert report.healthy and report.newest_backup == newest and not report.behind_backup
    # put back, anchor file removed with it: without the key nothing can be made to fit
    shutil.copy(older, path)
    anchor.anchor_path(path).unlink()
    report = check_database(path)
    assert report.audit_broken_at is None and report.anchor_problems == ["no-anchor"]
    assert report.behind_backup and not report.healthy
    lines = report.lines()  # the suite runs in Dutch
    assert any(newest.name in line and "oudere kopie" in line for line in lines), lines
    assert lines[-1] == "NIET in orde."


def test_a_missing_anchor_alone_is_a_warning_that_names_the_backup(tmp_path, monkeypatch):
    path = _school(tmp_path, monkeypatch)
    _work(2)
    newest = _backup(path, DAY)
    _closed()
    anchor.anchor_path(path).unlink()
    report = check_database(path)
    assert report.anchor_problems == ["no-anchor"] and report.healthy
    assert not report.behind_backup and report.newest_backup == newest


def test_a_restore_by_pestdesk_is_not_taken_for_a_file_put_back(tmp_path, monkeypatch):
    path = _school(tmp_path, monkeypatch)
    _work(2)
    first = _backup(path, DAY)
    _work(3)
    _backup(path, DAY + dt.timedelta(days=1))  # newer than what is restored
    _closed()
    backups.restore(path, first, force=True)
    report = check_database(path)
    assert report.healthy and not report.behind_backup, report.lines()
    encryption.sign_in(path, ADMIN, PASSWORD)
    restore_line = AuditLog.select().where(AuditLog.action == anchor.RESTORE_ACTION).get()
    assert restore_line.user is None  # the restore here ran as SYSTEM
    _closed()


def test_a_copy_with_an_earlier_restore_in_it_is_still_caught(tmp_path, monkeypatch):
    """The old copy put back holds a genuine restore line of its own: that restore is also
    in the newest backup, so it does not excuse the lines missing after it."""
    path = _school(tmp_path, monkeypatch)
    _work(2)
    first = _backup(path, DAY)
    _work(1)
    _closed()
    backups.restore(path, first, force=True)  # a genuine restore: a keyed line
    encryption.sign_in(path, ADMIN, PASSWORD)
    _work(1)
    _closed()
    older = tmp_path / "oud.sqlite"
    shutil.copy(path, older)
    encryption.sign_in(path, ADMIN, PASSWORD)
    _work(3)
    _backup(path, DAY + dt.timedelta(days=1))
    _closed()
    assert check_database(path).healthy
    shutil.copy(older, path)
    anchor.anchor_path(path).unlink()
    report = check_database(path)
    assert report.behind_backup and not report.healthy


def test_a_restore_on_a_pc_whose_clock_is_behind_is_not_taken_for_a_file_put_back(
        tmp_path, monkeypatch):
    """Clocks on a school's PCs differ: the restore is recognised by its place in the
    chain (right where the trail and the newer backup part), not by its time."""
    path = _school(tmp_path, monkeypatch)
    clock.set_today(DAY.date(), dt.time(10, 0))
    _work(2)
    first = _backup(path, DAY)
    _work(3)
    _backup(path, DAY + dt.timedelta(hours=1))
    _closed()
    clock.set_today(DAY.date(), dt.time(9, 0))  # the restoring PC is an hour behind
    backups.restore(path, first, force=True)
    report = check_database(path)
    assert report.healthy and not report.behind_backup, report.lines()
