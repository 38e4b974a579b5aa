"""Signing in to an encrypted database: the password opens the file, a wrong one never does."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialog

from pestdesk.services import encryption
from pestdesk.store.db import key_for
from pestdesk.store.models import User, database
from tests.helpers.crypt import ADMIN, PASSWORD, encrypted_school, fast_slots


@pytest.fixture
def locked_school(tmp_path, monkeypatch):
    fast_slots(monkeypatch)
    school = encrypted_school(tmp_path / "school.pestdesk")
    database.close()
    encryption.forget_all()
    yield school
    if database.obj is not None:
        database.close()


def test_sign_in_dialog_opens_the_encrypted_file(locked_school, qtbot):
    from pestdesk.gui.session.dialogs import LoginDialog

    dialog = LoginDialog(locked_school.path.name, path=locked_school.path)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.username, ADMIN)
    qtbot.keyClicks(dialog.password, "helemaal-niet-goed")
    dialog.accept()
    assert dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.error.text() == "Onbekende gebruikersnaam of verkeerd wachtwoord."
    assert key_for(locked_school.path) is None  # a wrong password never opened the file
    qtbot.keyClicks(dialog.password, PASSWORD)
    dialog.accept()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.actor.username == ADMIN
    # opened (on the op's worker): bound, its key held, readable from the GUI thread
    assert encryption.bound_path() == locked_school.path
    assert key_for(locked_school.path) is not None and User.select().count() >= 1


def test_missing_key_file_is_said_before_the_sign_in(locked_school, qtbot, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from pestdesk.gui import app
    from pestdesk.store import keyfile

    keyfile.sidecar_path(locked_school.path).unlink()
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda *a: shown.append(a[2]))
    assert app.open_window(None, locked_school.path, demo=False) is None
    assert len(shown) == 1 and "sleutelbestand" in shown[0] and "back-up" in shown[0]


def test_recovery_key_at_sign_in_sets_a_new_password(locked_school, qtbot):
    from pestdesk.gui.session.dialogs import LoginDialog, RecoveryKeyDialog
    from tests.helpers.gui import check, when_modal

    new_password = "Nieuw-Voorjaar-Wachtwoord-3"
    dialog = LoginDialog(locked_school.path.name, path=locked_school.path)
    qtbot.addWidget(dialog)
    assert dialog.recovery_button.text() == "Herstelsleutel gebruiken…"

    def recover(rec):
        qtbot.keyClicks(rec.key, locked_school.recovery_key)
        qtbot.keyClicks(rec.username, "iemand-anders")
        qtbot.keyClicks(rec.password, new_password)
        qtbot.keyClicks(rec.password2, new_password)
        rec.accept()
        assert rec.isVisible() and "directie of een beheerder" in rec.error.text()
        rec.username.setText(ADMIN)
        rec.password.setText(new_password)
        rec.password2.setText(new_password)
        rec.accept()
        assert not rec.isVisible(), rec.error.text()

    errors = when_modal(recover, kind=RecoveryKeyDialog)
    dialog.recovery_button.click()
    check(errors)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.actor.username == ADMIN
    database.close()
    encryption.forget_all()
    with pytest.raises(encryption.ServiceError):
        encryption.unlock(locked_school.path, ADMIN, PASSWORD)  # the old one is gone
    actor = encryption.sign_in(locked_school.path, ADMIN, new_password)
    from pestdesk.store.models import AuditLog as Log

    assert Log.select().where(Log.action == "password_recovery",
                              Log.user == actor.user_id).count() == 1


def test_a_password_set_by_the_beheerder_is_changed_first_on_an_encrypted_file(
        locked_school, qtbot, monkeypatch):
    """The sign-in that opens an encrypted file asks a new account (or a reset one) for its
    own password before anything else, like the sign-in to an open file does."""
    from pestdesk.gui import app
    from pestdesk.gui.admin import users as user_views
    from pestdesk.gui.session import dialogs
    from pestdesk.services import users
    from pestdesk.store.models import Staff

    admin = encryption.sign_in(locked_school.path, ADMIN, PASSWORD)
    from pestdesk.services.base import write

    with write():
        staff = Staff.create(code="NIE", last_name="Nieuw", roles="mentor")
    users.create_user(admin, staff.id, "nieuw", "Door-De-Beheerder-Gekozen")
    database.close()
    database.initialize(None)  # as at the start of the app: no file open yet
    encryption.forget_all()

    class Login:  # the real dialog's outcome: the new user signed in with that password
        def __init__(self, *args, **kwargs):
            self.actor = None

        def exec(self):
            self.actor = encryption.sign_in(locked_school.path, "nieuw",
                                            "Door-De-Beheerder-Gekozen")
            return QDialog.DialogCode.Accepted

    asked = []

    class Change:
        def __init__(self, actor, forced=False):
            asked.append((actor.username, forced))

        def exec(self):
            return QDialog.DialogCode.Rejected  # the user does not choose one

    monkeypatch.setattr(dialogs, "LoginDialog", Login)
    monkeypatch.setattr(user_views, "ChangePasswordDialog", Change)
    assert app.sign_in(locked_school.path) is None
    assert asked == [("nieuw", True)]
