"""Signing in to an encrypted database: one Argon2id per attempt (the key slot proves the
password), wrong passwords on a key slot count towards the throttle in the database, and a
slot that 'pestdesk encrypt' made from a stored hash becomes a normal one at first use."""

from __future__ import annotations

import pytest

from pestdesk.services import accounts, cases, encryption
from pestdesk.services.base import ServiceError
from pestdesk.store import keyfile
from pestdesk.store.db import create_database
from pestdesk.store.models import AuditLog, database
from tests.helpers.crypt import ADMIN, PASSWORD, encrypted_school, fast_slots
from tests.helpers.school import PASSWORD as SCHOOL_PASSWORD
from tests.helpers.school import build_school


@pytest.fixture
def school(tmp_path, monkeypatch):
    fast_slots(monkeypatch)
    s = encrypted_school(tmp_path / "school.sqlite")
    yield s
    database.close()


def test_one_key_derivation_per_sign_in(school, monkeypatch):
    calls = []
    monkeypatch.setattr(accounts, "_verify", lambda *a: calls.append(a) or False)
    database.close()
    encryption.forget_all()
    assert encryption.sign_in(school.path, ADMIN, PASSWORD).username == ADMIN  # cold
    assert encryption.sign_in(school.path, ADMIN, PASSWORD).username == ADMIN  # warm
    assert calls == []  # the account hash was never derived: the slot proved the password


def test_wrong_passwords_on_the_slot_count_towards_the_throttle(school):
    database.close()
    encryption.forget_all()
    for _ in range(2):  # the file is still closed: remembered, counted when it opens
        with pytest.raises(ServiceError):
            encryption.sign_in(school.path, ADMIN, "verkeerd-wachtwoord-1")
    assert database.is_closed()
    encryption.sign_in(school.path, ADMIN, PASSWORD)
    failed = AuditLog.select().where(AuditLog.action == "login_failed")
    assert [line.detail for line in failed] == ["key slot", "key slot"]
    # the file is open now (as after a sign-out): the throttle is asked first
    for _ in range(accounts.FREE_ATTEMPTS):
        with pytest.raises(ServiceError) as refused:
            encryption.sign_in(school.path, "iemand", "verkeerd-wachtwoord-2")
        assert not isinstance(refused.value, accounts.Throttled)
    with pytest.raises(accounts.Throttled):
        encryption.sign_in(school.path, "iemand", "verkeerd-wachtwoord-2")
    assert accounts.remaining_wait("iemand") > 0


def test_slots_from_stored_hashes_become_normal_slots_at_first_sign_in(tmp_path, monkeypatch):
    fast_slots(monkeypatch)
    path = tmp_path / "plain.sqlite"
    create_database(path)
    s = build_school()
    database.close()
    encryption.encrypt_existing(path, "admin", SCHOOL_PASSWORD)
    kdf = lambda name: keyfile.read(path).slot(keyfile.USER, name).kdf  # noqa: E731
    assert kdf("vp")["name"] == "argon2id-phc" and kdf("mentor_a")["name"] == "argon2id-phc"
    public = keyfile.read(path).slot(keyfile.USER, "vp").public
    database.close()
    encryption.forget_all()
    vp = encryption.sign_in(path, "vp", SCHOOL_PASSWORD)
    assert kdf("vp")["name"] == "argon2id" and kdf("vp")["m"] == encryption.slot_params["m"]
    assert keyfile.read(path).slot(keyfile.USER, "vp").public == public  # grants stay valid
    assert kdf("mentor_a")["name"] == "argon2id-phc"  # the others at their own first use
    database.close()
    encryption.forget_all()
    vp = encryption.sign_in(path, "vp", SCHOOL_PASSWORD)  # the upgraded slot opens
    rows = cases.readable_events(cases.timeline_query(s.cases.a.id, actor=vp).dicts())
    assert any(row["body"] == "GEHEIM-VP-NOTITIE" for row in rows)  # and holds the seal
