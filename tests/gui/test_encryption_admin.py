"""Encryption in Beheer: a beheerder encrypts a plain school from the app (off the GUI
thread; the window goes on with the encrypted file), the directie makes a new recovery
key and prints its sheet; who sees which button."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialog, QMessageBox

from pestdesk.gui.admin.encryption import EncryptDialog, RecoveryKeyShownDialog
from pestdesk.services import encryption
from pestdesk.services.base import ServiceError
from pestdesk.store import keyfile
from pestdesk.store.db import is_encrypted
from pestdesk.store.models import AuditLog, Student, database
from tests.helpers.crypt import fast_slots
from tests.helpers.school import PASSWORD, build_school


@pytest.fixture
def school(db, monkeypatch):
    fast_slots(monkeypatch)
    return build_school()


@pytest.fixture
def shown_keys(monkeypatch):
    """The recovery keys the app showed (the dialog is not shown modally)."""
    shown: list[RecoveryKeyShownDialog] = []

    def exec_(self):
        shown.append(self)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(RecoveryKeyShownDialog, "exec", exec_)
    return shown


def type_password(monkeypatch, password):
    def exec_(self):
        self.password.setText(password)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(EncryptDialog, "exec", exec_)


def window_for(qtbot, path, actor):
    from pestdesk.gui.main_window import MainWindow

    window = MainWindow(path, actor)
    qtbot.addWidget(window)
    window.show()
    window.go("admin")
    return window


def test_beheerder_encrypts_from_beheer_and_goes_on_working(school, db_path, qtbot,
                                                            qt_dutch, monkeypatch, shown_keys):
    window = window_for(qtbot, db_path, school.actors["admin"])
    view = window.view("admin")
    assert view.buttons["encrypt"].isVisibleTo(view)
    assert not view.buttons["recovery_key"].isVisibleTo(view)
    assert "Niet versleuteld" in view.encryption_state.text()
    errors = []
    monkeypatch.setattr(QMessageBox, "critical", lambda *a: errors.append(a[2]))
    monkeypatch.setattr(QMessageBox, "warning", lambda *a: errors.append(a[2]))

    type_password(monkeypatch, "niet-mijn-wachtwoord")
    window.encrypt_database()
    assert not is_encrypted(db_path) and not shown_keys
    assert errors and "verkeerd wachtwoord" in errors[-1]
    assert Student.select().count() == 4  # the window works on with the plain file

    type_password(monkeypatch, PASSWORD)
    window.encrypt_database()
    assert is_encrypted(db_path) and len(shown_keys) == 1, errors
    recovery = shown_keys[0].recovery_key
    assert Student.select().count() == 4  # now read from the encrypted file
    assert "Versleuteld" in view.encryption_state.text()
    assert not view.buttons["encrypt"].isVisibleTo(view)
    assert AuditLog.select().where(AuditLog.action == "encrypt").count() == 1
    names = keyfile.read(db_path).user_names()
    assert {"admin", "directie", "mentor_a", "vp"} <= set(names)
    window.session_lock.stop()
    window.shared.stop()
    database.close()
    encryption.forget_all()
    # the recovery key shown opens the file; so does a colleague's own password
    encryption.unlock_with_recovery(db_path, recovery)
    database.close()
    encryption.forget_all()
    assert encryption.sign_in(db_path, "mentor_a", PASSWORD).username == "mentor_a"


def test_directie_makes_a_new_recovery_key_and_its_sheet(school, db_path, qtbot, qt_dutch,
                                                         monkeypatch, shown_keys, tmp_path):
    from pypdf import PdfReader

    database.close()
    old = encryption.encrypt_existing(db_path, "admin", PASSWORD)
    encryption.unlock(db_path, "directie", PASSWORD)
    beheer = window_for(qtbot, db_path, school.actors["admin"]).view("admin")
    assert not beheer.buttons["recovery_key"].isVisibleTo(beheer)  # the directie's job
    with pytest.raises(ServiceError):
        encryption.new_recovery_key(school.actors["admin"])  # the service refuses too
    window = window_for(qtbot, db_path, school.actors["directie"])
    view = window.view("admin")
    assert view.buttons["recovery_key"].isVisibleTo(view)
    assert not view.buttons["encrypt"].isVisibleTo(view)
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Yes)
    window.make_recovery_key()
    assert len(shown_keys) == 1
    new = shown_keys[0].recovery_key
    assert new != old and new in shown_keys[0].key.text()
    sheet = tmp_path / "blad.pdf"
    assert shown_keys[0].save_sheet(sheet)
    text = "".join(page.extract_text() for page in PdfReader(sheet).pages)
    assert all(group in text for group in new.split("-"))
    for w in (window, beheer.window()):
        w.session_lock.stop()
        w.shared.stop()
    database.close()
    encryption.forget_all()
    with pytest.raises(ServiceError):
        encryption.unlock_with_recovery(db_path, old)  # the old sheet no longer works
    encryption.unlock_with_recovery(db_path, new)


def test_a_vertrouwenspersoon_with_the_seal_opens_the_notes_for_a_colleague(
        tmp_path, qtbot, qt_dutch, monkeypatch):
    from pestdesk.services import accounts
    from pestdesk.services.base import write
    from pestdesk.store.models import Staff
    from tests.helpers.crypt import ADMIN, encrypted_school
    from tests.helpers.crypt import PASSWORD as ADMIN_PASSWORD

    fast_slots(monkeypatch)
    school = encrypted_school(tmp_path / "school.sqlite")
    admin = accounts.sign_in(ADMIN, ADMIN_PASSWORD)
    for code, name, roles in (("V1", "vp1", "vertrouwenspersoon"),
                              ("V2", "vp2", "vertrouwenspersoon"), ("DI", "dir", "directie")):
        with write():
            staff = Staff.create(code=code, first_name="Vera", last_name=code, roles=roles)
        accounts.create_user(admin, staff, name, PASSWORD)
    beheer = window_for(qtbot, school.path, admin).view("admin")
    assert not beheer.buttons["grant_seal"].isVisibleTo(beheer)
    assert "geen vertrouwenspersoon" in beheer.seal_state.text()
    database.close()
    encryption.forget_all()
    directeur = encryption.recover(school.path, school.recovery_key, "dir", PASSWORD, PASSWORD)
    window = window_for(qtbot, school.path, directeur)
    assert window.view("admin").buttons["grant_seal"].isVisibleTo(window.view("admin"))
    window.grant_seal("vp1")
    database.close()
    encryption.forget_all()
    vp1 = encryption.sign_in(school.path, "vp1", PASSWORD)
    window = window_for(qtbot, school.path, vp1)
    view = window.view("admin")
    assert view.buttons["grant_seal"].isVisibleTo(view)
    assert encryption.seal_candidates() == ["vp2"]
    window.grant_seal("vp2")
    assert encryption.seal_holders() == ["vp1", "vp2"]
    assert "vp1, vp2" in view.seal_state.text()
