"""The keyed audit chain: on an encrypted database every link is an HMAC under a key derived
from the database key, so a trail edited and recomputed without that key fails the check;
encrypting a plain school re-signs its intact trail and refuses a broken one."""

from __future__ import annotations

import hashlib
import json

import pytest

from pestdesk.services import accounts, encryption, health
from pestdesk.services.base import (
    AuditChainBroken,
    audit_row_payload,
    chain_key,
    verify_audit_chain,
)
from pestdesk.store.db import connect, create_database, is_encrypted
from pestdesk.store.models import AuditLog, database
from tests.helpers.crypt import (
    ADMIN,
    PASSWORD,
    encrypted_school,
    fast_slots,
    forge_audit_trail,
)
from tests.helpers.school import PASSWORD as SCHOOL_PASSWORD
from tests.helpers.school import build_school


def test_encrypted_trail_is_keyed_and_a_recomputed_one_fails_the_check(tmp_path, monkeypatch):
    fast_slots(monkeypatch)
    school = encrypted_school(tmp_path / "school.sqlite")
    accounts.sign_in(ADMIN, PASSWORD)
    assert chain_key() is not None and verify_audit_chain() is None
    first = AuditLog.select().order_by(AuditLog.id).first()
    payload = json.dumps(audit_row_payload(first), sort_keys=True, default=str)
    assert first.hash != hashlib.sha256(payload.encode("utf-8")).hexdigest()  # an HMAC
    forge_audit_trail(school.path, first.id, "niets gebeurd")
    assert verify_audit_chain() == first.id
    database.close()
    report = health.check_database(school.path)  # the key is held by salt: check opens it
    assert report.audit_broken_at == first.id and not report.healthy


def test_encrypt_re_signs_an_intact_plain_trail(tmp_path, monkeypatch):
    fast_slots(monkeypatch)
    path = tmp_path / "plain.sqlite"
    create_database(path)
    build_school()
    for _ in range(3):
        accounts.sign_in("mentor_a", SCHOOL_PASSWORD)  # audit lines
    assert chain_key() is None and verify_audit_chain() is None
    lines = AuditLog.select().count()
    database.close()
    encryption.encrypt_existing(path, "admin", SCHOOL_PASSWORD)
    assert is_encrypted(path)
    report = health.check_database(path)
    assert report.healthy and report.counts  # every link re-signed under the new key
    encryption.sign_in(path, "admin", SCHOOL_PASSWORD)
    assert AuditLog.select().count() >= lines + 2  # the encrypt line, the sign-in
    assert AuditLog.select().where(AuditLog.action == "encrypt").count() == 1
    forge_audit_trail(path, AuditLog.select().order_by(AuditLog.id).first().id, "weg")
    assert verify_audit_chain() is not None


def test_encrypt_refuses_a_broken_plain_trail(tmp_path, monkeypatch):
    fast_slots(monkeypatch)
    path = tmp_path / "plain.sqlite"
    create_database(path)
    build_school()
    for _ in range(3):
        accounts.sign_in("admin", SCHOOL_PASSWORD)  # audit lines
    second = AuditLog.select().order_by(AuditLog.id).offset(1).first()
    con = connect(path, readonly=False)
    con.execute("DROP TRIGGER audit_log_no_update")
    con.execute("UPDATE audit_log SET detail = 'vervalst' WHERE id = ?", (second.id,))
    con.commit()
    con.close()
    database.close()
    before = path.read_bytes()
    with pytest.raises(AuditChainBroken):
        encryption.encrypt_existing(path, "admin", SCHOOL_PASSWORD)
    assert not is_encrypted(path)
    left = sorted(p.name for p in tmp_path.iterdir())  # no copy, no key file, no pending
    assert left == [path.name, path.name + ".audit-anchor"]
    assert len(path.read_bytes()) == len(before)


def test_check_names_the_plain_copies_left_from_before_encryption(tmp_path, monkeypatch):
    """Backups and migration/restore copies made before `encrypt` stay readable: check says
    which ones, by name, so they can be deleted; the encrypted ones are not named."""
    import datetime as dt

    from pestdesk.services import backups

    fast_slots(monkeypatch)
    path = tmp_path / "plain.sqlite"
    create_database(path)
    build_school()
    old = backups.make_backup(path, backups.config(path), dt.datetime(2026, 12, 1, 8, 0))
    database.close()
    encryption.encrypt_existing(path, "admin", SCHOOL_PASSWORD)
    encryption.sign_in(path, "admin", SCHOOL_PASSWORD)
    new = backups.make_backup(path, backups.config(path), dt.datetime(2026, 12, 2, 8, 0))
    database.close()
    report = health.check_database(path)
    assert report.plain_copies == [old.path] and report.healthy
    assert report.newest_backup == new.path and not report.behind_backup
    line = next(line for line in report.lines() if line.startswith("Privacy"))
    assert "1 onversleutelde kopie" in line and old.path.name in line and "Verwijder" in line
    old.path.unlink()
    assert health.check_database(path).plain_copies == []
