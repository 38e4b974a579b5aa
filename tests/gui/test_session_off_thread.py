"""Signing in, setting up, the recovery key, locking and signing out run on the one
operation path (``gui.common.ops``): the password hash, a key slot and the audit lines are
worked off the GUI thread, so the window keeps painting while another process holds the
database locked, and the refusal reaches the dialog's common error line."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtWidgets import QApplication, QDialog

from pestdesk.gui.common.colors import RED
from pestdesk.services import accounts
from pestdesk.store.db import open_database
from pestdesk.store.models import AuditLog, Staff, User
from tests.helpers.locks import held_lock
from tests.helpers.paint import PaintCounter
from tests.helpers.school import PASSWORD, build_school


@pytest.fixture
def school(db, db_path, qapp):
    """A small school on a file reopened with a short busy timeout (300 ms): a lock held
    by another process runs a save out of its wait and its retries in about a second."""
    from pestdesk.gui.common import translation

    translation.install(qapp, "nl")
    built = build_school()
    db.close()
    database = open_database(db_path, verify=False, busy_ms=300)
    yield built
    database.close()


def _shown(qtbot, widget):
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def _common_error_line(dialog) -> None:
    assert dialog.error.objectName() == "errorLabel" and RED in dialog.error.styleSheet()


def _fill(wizard, qtbot) -> None:
    """The school and the first user typed in, the wizard on its last page."""
    wizard.name.setText("Het Baken")
    wizard.next()
    wizard.next()
    assert wizard.currentPage() is wizard.user_page
    for field, text in ((wizard.first, "Anna"), (wizard.last, "de Boer"), (wizard.code, "boa"),
                        (wizard.username, "anna"), (wizard.password, "geheim-wachtwoord"),
                        (wizard.password2, "geheim-wachtwoord")):
        field.setText(text)


def _logins(user_id: int) -> list[str]:
    return [a.action for a in AuditLog.select().where(
        (AuditLog.table == "user") & (AuditLog.record_id == user_id)).order_by(AuditLog.id)]


def test_sign_in_against_a_held_lock_keeps_painting_then_signs_in(school, db_path, qtbot):
    from pestdesk.gui.session.dialogs import LoginDialog

    dialog = _shown(qtbot, LoginDialog("Het Baken"))
    _common_error_line(dialog)
    dialog.username.setText("zoco")
    dialog.password.setText(PASSWORD)
    counter = PaintCounter(dialog)
    try:
        with held_lock(db_path):  # a colleague's long save on another PC
            dialog.accept()  # the password is right; its audit line must wait
    finally:
        counter.stop()
    assert counter.during_op >= 3, counter.during_op  # painted again and again meanwhile
    assert counter.saw_wait_cursor
    assert dialog.result() != QDialog.DialogCode.Accepted and dialog.isVisible()
    assert "opnieuw" in dialog.error.text() and dialog.error.isVisible()
    assert QApplication.overrideCursor() is None
    user = User.get(User.username == "zoco")
    assert "login" not in _logins(user.id)  # nothing half-done
    dialog.password.setText(PASSWORD)
    dialog.accept()  # the colleague is done
    assert dialog.result() == QDialog.DialogCode.Accepted, dialog.error.text()
    assert dialog.actor.username == "zoco" and _logins(user.id)[-1] == "login"


def test_the_password_hash_is_checked_off_the_gui_thread(school, qtbot, monkeypatch):
    from pestdesk.gui.session.dialogs import LoginDialog

    seen: list[int] = []
    real = accounts._verify

    def verify(*args, **kwargs):
        seen.append(threading.get_ident())
        return real(*args, **kwargs)

    monkeypatch.setattr(accounts, "_verify", verify)
    dialog = _shown(qtbot, LoginDialog("Het Baken"))
    dialog.username.setText("zoco")
    dialog.password.setText("verkeerd wachtwoord")
    dialog.accept()
    assert dialog.error.text() == "Onbekende gebruikersnaam of verkeerd wachtwoord."
    assert dialog.password.text() == ""  # cleared for the next try
    assert seen and threading.get_ident() not in seen


def test_set_up_against_a_held_lock_keeps_painting_and_makes_nothing(db, db_path, qtbot):
    from pestdesk.gui.session.dialogs import SetupWizard

    db.close()
    database = open_database(db_path, verify=False, busy_ms=300)
    try:
        wizard = _shown(qtbot, SetupWizard())
        _common_error_line(wizard)
        _fill(wizard, qtbot)
        counter = PaintCounter(wizard)
        try:
            with held_lock(db_path):
                assert not wizard.validateCurrentPage()
        finally:
            counter.stop()
        assert counter.during_op >= 3, counter.during_op
        assert "opnieuw" in wizard.error.text() and wizard.error.isVisible()
        assert User.select().count() == 0 and Staff.select().count() == 0
        assert wizard.validateCurrentPage(), wizard.error.text()
        assert wizard.actor is not None and wizard.actor.has_role("beheerder")
    finally:
        database.close()


def test_locking_against_a_held_lock_hides_at_once_and_says_why_on_the_lock(
        school, db_path, qtbot, monkeypatch):
    from pestdesk.gui.main_window import MainWindow
    from pestdesk.gui.session.lock import LockedPanel

    monkeypatch.setattr("PySide6.QtWidgets.QMessageBox.warning", _no_box)
    actor = school.actors["zoco"]
    window = _shown(qtbot, MainWindow(db_path, actor))
    try:
        counters: list[PaintCounter] = []  # on the locked panel, once it hides the content
        window.session_lock.locked_changed.connect(
            lambda locked: counters.append(PaintCounter(window.centralWidget())))
        try:
            with held_lock(db_path):
                window.session_lock.lock()
        finally:
            for counter in counters:
                counter.stop()
        assert counters and counters[0].during_op >= 3, counters[0].during_op
        assert window.session_lock.is_locked and isinstance(window.centralWidget(), LockedPanel)
        dialog = window.session_lock.dialog
        _common_error_line(dialog)
        assert "opnieuw" in dialog.error.text() and dialog.error.isVisible()
        dialog.password.setText(PASSWORD)
        dialog.try_unlock()  # the colleague is done
        assert not window.session_lock.is_locked, dialog.error.text()
    finally:
        window.session_lock.stop()


def test_signing_out_against_a_held_lock_keeps_painting_and_still_signs_out(
        school, db_path, qtbot, monkeypatch):
    from pestdesk.gui.main_window import MainWindow

    monkeypatch.setattr("PySide6.QtWidgets.QMessageBox.warning", _no_box)
    window = _shown(qtbot, MainWindow(db_path, school.actors["zoco"]))
    try:
        counter = PaintCounter(window)
        try:
            with held_lock(db_path), qtbot.waitSignal(window.sign_out_requested,
                                                      timeout=10_000):
                window.sign_out()
        finally:
            counter.stop()
        assert counter.during_op >= 3, counter.during_op
        assert not window.isVisible()
    finally:
        window.session_lock.stop()


def _no_box(*args, **kwargs):
    raise AssertionError(f"unexpected message box: {args[1:]}")


def test_encrypted_sign_in_and_the_recovery_key_open_their_slot_off_the_gui_thread(
        tmp_path, qtbot, qapp, monkeypatch):
    from pestdesk.gui.session.dialogs import LoginDialog, RecoveryKeyDialog
    from pestdesk.services import encryption
    from pestdesk.store import keyfile
    from pestdesk.store.models import database
    from tests.helpers.crypt import ADMIN, encrypted_school, fast_slots
    from tests.helpers.crypt import PASSWORD as ADMIN_PASSWORD

    fast_slots(monkeypatch)
    school = encrypted_school(tmp_path / "school.pestdesk")
    database.close()
    encryption.forget_all()
    seen: list[int] = []
    for name in ("unlock_password", "unlock_recovery"):
        real = getattr(keyfile.KeyFile, name)

        def spy(self, *args, _real=real, **kwargs):
            seen.append(threading.get_ident())
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(keyfile.KeyFile, name, spy)
    try:
        login = _shown(qtbot, LoginDialog(school.path.name, path=school.path))
        _common_error_line(login)
        login.username.setText(ADMIN)
        login.password.setText(ADMIN_PASSWORD)
        login.accept()
        assert login.result() == QDialog.DialogCode.Accepted, login.error.text()
        database.close()
        encryption.forget_all()
        recovery = _shown(qtbot, RecoveryKeyDialog(school.path))
        _common_error_line(recovery)
        recovery.key.setText(school.recovery_key)
        recovery.username.setText(ADMIN)
        recovery.password.setText("Nieuw-Voorjaar-Wachtwoord-3")
        recovery.password2.setText("Nieuw-Voorjaar-Wachtwoord-4")
        recovery.accept()  # the passwords differ: said on the dialog's error line
        assert recovery.isVisible() and recovery.error.isVisible() and recovery.error.text()
        assert recovery.password.text() == ""  # cleared after a refusal
        recovery.password.setText("Nieuw-Voorjaar-Wachtwoord-3")
        recovery.password2.setText("Nieuw-Voorjaar-Wachtwoord-3")
        recovery.accept()
        assert recovery.result() == QDialog.DialogCode.Accepted, recovery.error.text()
        assert recovery.actor.username == ADMIN
        assert len(seen) >= 2 and threading.get_ident() not in seen
    finally:
        if database.obj is not None:
            database.close()


def test_the_heartbeat_waits_for_a_held_lock_off_the_gui_thread(school, db_path, qtbot):
    from pestdesk.gui.common import ops
    from pestdesk.gui.main_window import MainWindow
    from pestdesk.services import presence

    window = _shown(qtbot, MainWindow(db_path, school.actors["zoco"]))
    try:
        with held_lock(db_path):
            window.shared.beat()  # the 30-second timer's slot
            assert ops.background() == 1  # returned at once: the beat waits on a worker
            qtbot.waitUntil(lambda: ops.background() == 0, timeout=10_000)  # skipped
        assert presence.client_id() is not None and window.isVisible()
        window.shared.beat()
        qtbot.waitUntil(lambda: ops.background() == 0, timeout=10_000)
    finally:
        window.session_lock.stop()
        window.shared.stop()


def test_a_wrong_password_after_a_sign_out_counts_at_once_though_checked_on_a_worker(
        tmp_path, qtbot, qapp, monkeypatch):
    """After a sign-out the encrypted file stays open (its key held): the next sign-in is
    the warm one, whose wrong password is written to the database's throttle and audit
    trail at once. Asked on the op's worker, whose own connection is always closed, it
    used to be taken for a cold sign-in (counted in memory only)."""
    from pestdesk.gui.session.dialogs import LoginDialog
    from pestdesk.services import encryption
    from pestdesk.store.models import database
    from tests.helpers.crypt import ADMIN, encrypted_school, fast_slots
    from tests.helpers.crypt import PASSWORD as ADMIN_PASSWORD

    fast_slots(monkeypatch)
    school = encrypted_school(tmp_path / "school.pestdesk")
    try:
        encryption.sign_in(school.path, ADMIN, ADMIN_PASSWORD)
        encryption.forget()  # signed out: the file stays open for the next user
        failed = AuditLog.select().where(AuditLog.action == "login_failed").count()
        login = _shown(qtbot, LoginDialog(school.path.name, path=school.path))
        login.username.setText(ADMIN)
        login.password.setText("helemaal-niet-goed")
        login.accept()
        assert login.error.text() == "Onbekende gebruikersnaam of verkeerd wachtwoord."
        assert AuditLog.select().where(AuditLog.action == "login_failed").count() == failed + 1
    finally:
        if database.obj is not None:
            database.close()
