"""Encryption at rest: an encrypted database, its key slots, and every refusal in words."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from pestdesk.services import accounts, backups, encryption, users
from pestdesk.services.base import ServiceError, create, write
from pestdesk.store import errors, keyfile
from pestdesk.store.db import forget_keys, is_encrypted, open_database
from pestdesk.store.models import Case, User, database
from tests.helpers.crypt import (
    ADMIN,
    PASSWORD,
    encrypted_school,
    fast_slots,
    files_beside,
    occurrences,
)


@pytest.fixture
def school(tmp_path, monkeypatch):
    fast_slots(monkeypatch)
    folder = tmp_path / "share"
    folder.mkdir()
    s = encrypted_school(folder / "school.pestdesk")
    yield s
    if database.obj is not None:
        database.close()


def _reopen(school, username=ADMIN, password=PASSWORD):
    database.close()
    encryption.forget_all()
    return encryption.unlock(school.path, username, password)


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _case(marker: str) -> Case:
    with write():
        return create(accounts.SYSTEM, Case, number="2026-0001",
                      reported_on=dt.date(2026, 1, 5), summary=marker, description=marker)


def test_new_database_is_encrypted_from_the_first_byte(school):
    _case("MARKER-dossier-7731")
    assert is_encrypted(school.path)
    assert not school.path.read_bytes().startswith(b"SQLite format 3")
    assert keyfile.sidecar_path(school.path).exists()
    assert occurrences("MARKER-dossier-7731", files_beside(school.path)) == {}
    _reopen(school)
    assert Case.get().summary == "MARKER-dossier-7731"


def test_the_journal_of_an_open_write_is_encrypted_too(school):
    database.close()
    open_database(school.path, network=True)  # rollback journal, as on a share
    _case("MARKER-journal-1")
    with write():  # an open transaction with the old page images in the -journal file
        Case.update(summary="MARKER-journal-2").execute()
        journal = school.path.with_name(school.path.name + "-journal")
        assert journal.exists()
        assert occurrences("MARKER-journal", [journal, school.path]) == {}


def test_wrong_password_is_refused_before_sqlite_and_changes_nothing(school):
    database.close()
    forget_keys()
    before = _digest(school.path), _digest(keyfile.sidecar_path(school.path))
    for name, password in ((ADMIN, "not the password at all"), ("nobody", PASSWORD)):
        with pytest.raises(ServiceError) as err:
            encryption.unlock(school.path, name, password)
        assert str(err.value) == "Onbekende gebruikersnaam of verkeerd wachtwoord."
    assert database.is_closed()
    assert (_digest(school.path), _digest(keyfile.sidecar_path(school.path))) == before
    with pytest.raises(errors.EncryptedDatabase):
        open_database(school.path)  # no key held: refused, not "damaged"


def test_sign_in_opens_the_file_and_checks_the_account(school):
    database.close()
    encryption.forget_all()
    actor = encryption.sign_in(school.path, ADMIN, PASSWORD)
    assert actor.username == ADMIN and actor.has_role("beheerder")
    assert encryption.session_keys() is not None


def test_recovery_key_opens_when_the_passwords_are_lost(school):
    database.close()
    encryption.forget_all()
    typed = school.recovery_key.lower().replace("-", " ")
    encryption.unlock_with_recovery(school.path, typed)
    assert User.select().count() == 1
    with pytest.raises(ServiceError, match="herstelsleutel"):
        encryption.unlock_with_recovery(school.path, "ABCDE-" * 8 + "ABC")


def test_bad_key_files_each_get_their_own_line_and_change_nothing(school, tmp_path):
    database.close()
    forget_keys()
    sidecar = keyfile.sidecar_path(school.path)
    good = sidecar.read_bytes()
    before = _digest(school.path)

    sidecar.unlink()
    with pytest.raises(errors.KeyFileMissing, match="sleutelbestand"):
        encryption.unlock(school.path, ADMIN, PASSWORD)
    sidecar.write_text('{"format": "pestdesk-keys", "version": 1, "slots": [')
    with pytest.raises(errors.KeyFileDamaged, match="beschadigd"):
        encryption.unlock(school.path, ADMIN, PASSWORD)

    other = encrypted_school(tmp_path / "other.pestdesk")  # another school's key file
    database.close()
    forget_keys()
    sidecar.write_bytes(keyfile.sidecar_path(other.path).read_bytes())
    with pytest.raises(errors.ForeignKeyFile, match="horen niet bij elkaar"):
        encryption.unlock(school.path, ADMIN, PASSWORD)

    sidecar.write_bytes(good)
    assert _digest(school.path) == before
    encryption.unlock(school.path, ADMIN, PASSWORD)


def test_plain_file_with_a_key_file_and_the_reverse(school, tmp_path):
    plain = tmp_path / "plain.pestdesk"
    from pestdesk.store.db import create_database

    database.close()
    create_database(plain).close()
    keyfile.sidecar_path(plain).write_bytes(keyfile.sidecar_path(school.path).read_bytes())
    with pytest.raises(errors.NotEncrypted, match="niet versleuteld"):
        encryption.open_any(plain)
    with pytest.raises(errors.NotEncrypted):
        encryption.sign_in(plain, ADMIN, PASSWORD)
    forget_keys()
    lonely = tmp_path / "lonely.pestdesk"
    lonely.write_bytes(school.path.read_bytes())  # an encrypted file without its key file
    with pytest.raises(errors.KeyFileMissing):
        open_database(lonely)


def test_password_change_rewraps_only_that_slot(school):
    actor = accounts.sign_in(ADMIN, PASSWORD)
    users.change_own_password(actor, PASSWORD, "Nieuw-Wachtwoord-Herfst-77",
                              "Nieuw-Wachtwoord-Herfst-77")
    database.close()
    encryption.forget_all()
    with pytest.raises(ServiceError):
        encryption.unlock(school.path, ADMIN, PASSWORD)
    encryption.unlock(school.path, ADMIN, "Nieuw-Wachtwoord-Herfst-77")
    encryption.unlock_with_recovery(school.path, school.recovery_key)  # the recovery slot stays


def test_beheerder_makes_slots_for_new_and_reset_users_and_disabling_removes_one(school):
    from pestdesk.store.models import Staff

    admin = accounts.sign_in(ADMIN, PASSWORD)
    with write():
        staff = create(admin, Staff, code="MT", first_name="Mo", last_name="Tor", roles="mentor")
    user = users.create_user(admin, staff.id, "mentor1", "Eerste-Wachtwoord-123")
    _reopen(school, "mentor1", "Eerste-Wachtwoord-123")
    admin = accounts.sign_in(ADMIN, PASSWORD)
    users.reset_password(admin, user.id, "Tweede-Wachtwoord-456")
    _reopen(school, "mentor1", "Tweede-Wachtwoord-456")
    with pytest.raises(ServiceError):
        _reopen(school, "mentor1", "Eerste-Wachtwoord-123")
    encryption.unlock(school.path, ADMIN, PASSWORD)
    admin = accounts.sign_in(ADMIN, PASSWORD)
    users.set_active(admin, user.id, False, User.get_by_id(user.id).version)
    assert keyfile.read(school.path).user_names() == [ADMIN]


def test_backups_are_encrypted_and_carry_the_key_file(school, tmp_path):
    _case("MARKER-backup-5521")
    cfg = backups.BackupConfig(school.path.parent / "pestdesk-backups", keep=1)
    first = backups.make_backup(school.path, cfg, dt.datetime(2026, 3, 1, 8, 0))
    assert keyfile.sidecar_path(first.path).exists()
    second = backups.make_backup(school.path, cfg, dt.datetime(2026, 3, 2, 8, 0))
    assert not first.path.exists() and not keyfile.sidecar_path(first.path).exists()
    assert occurrences("MARKER-backup-5521", files_beside(school.path)) == {}
    with write():
        Case.update(summary="later").execute()
    database.close()
    result = backups.restore(school.path, second.path, force=True)
    assert occurrences("MARKER-backup-5521", files_beside(school.path)) == {}
    assert is_encrypted(result.safety_copy)
    assert keyfile.sidecar_path(result.safety_copy).exists()
    _reopen(school)
    assert Case.get().summary == "MARKER-backup-5521"


def test_a_plain_backup_is_not_restored_over_an_encrypted_database(school, tmp_path):
    from pestdesk.store.db import create_database

    plain = tmp_path / "plain-20260101-000000.backup.sqlite"
    database.close()
    create_database(plain).close()
    before = _digest(school.path)
    with pytest.raises(ServiceError, match="niet versleuteld"):
        backups.restore(school.path, plain, force=True)
    assert _digest(school.path) == before


def test_recovery_sheet_states_the_key_and_the_loss_plainly(school, tmp_path):
    from pypdf import PdfReader

    sheet = encryption.write_recovery_sheet(tmp_path / "herstel.pdf", school.recovery_key,
                                            database_name=school.path.name)
    text = " ".join(page.extract_text() for page in PdfReader(sheet).pages)
    for group in school.recovery_key.split("-"):
        assert group in text
    assert "Testschool" in text and school.path.name in text
    assert "voorgoed kwijt" in text


def test_new_recovery_key_replaces_the_old_one(school):
    from pestdesk.services.base import Actor

    directie = Actor(1, ADMIN, roles=frozenset({"directie"}))
    with pytest.raises(ServiceError):
        encryption.new_recovery_key(Actor(1, ADMIN, roles=frozenset({"beheerder"})))
    newer = encryption.new_recovery_key(directie)
    database.close()
    encryption.forget_all()
    with pytest.raises(ServiceError):
        encryption.unlock_with_recovery(school.path, school.recovery_key)
    encryption.unlock_with_recovery(school.path, newer)
