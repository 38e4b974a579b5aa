"""The README's path on an encrypted database: ``pestdesk init`` (a real process), then the
app: the recovery key it printed opens the new file, the set-up wizard makes the school and
its first user (beheerder), who signs in with their own password from then on."""

from __future__ import annotations

import os
import subprocess
import sys

from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QWizard

from pestdesk.services import encryption
from pestdesk.store import keyfile
from pestdesk.store.crypto import new_recovery_key
from pestdesk.store.models import database
from tests.helpers.crypt import fast_slots
from tests.helpers.gui import check, when_modal

PASSWORD = "Herfst-Bladeren-Vallen-9"


def init(path) -> str:
    env = dict(os.environ, PESTDESK_LANG="nl", QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-m", "pestdesk", "init", "--db", str(path)],
                          capture_output=True, text=True, env=env, timeout=120,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    key = next(line.strip() for line in done.stdout.splitlines()
               if line.startswith("    ") and line.count("-") == 8)
    assert "herstelsleutel" in done.stdout
    return key


def test_init_then_recovery_key_then_set_up_wizard(tmp_path, qtbot, monkeypatch):
    from pestdesk.gui import app
    from pestdesk.gui.session.dialogs import RecoveryKeyDialog, SetupWizard

    fast_slots(monkeypatch)
    path = tmp_path / "school.sqlite"
    recovery = init(path)
    assert encryption.needs_set_up(path)

    def type_key(dialog):
        assert dialog.username.isHidden()  # set-up: the key only
        qtbot.keyClicks(dialog.key, new_recovery_key())  # a well-formed key of no database
        dialog.accept()
        assert dialog.isVisible() and "herstelsleutel" in dialog.error.text()
        assert encryption.bound_path() != path  # a wrong key opened nothing
        dialog.key.setText(recovery.lower())  # letter case does not matter
        dialog.accept()
        assert not dialog.isVisible()

    def set_up(wizard):
        qtbot.keyClicks(wizard.name, "Het Baken")
        wizard.next()
        wizard.next()
        qtbot.keyClicks(wizard.first, "Anna")
        qtbot.keyClicks(wizard.last, "de Boer")
        qtbot.keyClicks(wizard.code, "boa")
        qtbot.keyClicks(wizard.username, "anna")
        qtbot.keyClicks(wizard.password, PASSWORD)
        qtbot.keyClicks(wizard.password2, PASSWORD)
        wizard.button(QWizard.WizardButton.FinishButton).click()
        assert wizard.actor is not None

    errors = when_modal(type_key, kind=RecoveryKeyDialog)
    errors += when_modal(set_up, tries=1000, kind=SetupWizard)
    window = app.open_window(None, path, demo=False)
    check(errors)
    assert window is not None
    qtbot.addWidget(window)
    assert window.actor.username == "anna" and window.actor.has_role("beheerder")
    assert keyfile.read(path).user_names() == ["anna"]
    assert encryption.seal_key() is None  # the beheerder holds no seal
    # the overview is built now, not while the next test sets up (after the database closed)
    qtbot.waitUntil(lambda: "overview" in window.views, timeout=5000)
    # the start-up check, then the daily backup, run on the pool: let them finish here, so
    # no worker of this test touches the database the next test binds
    qtbot.waitUntil(lambda: len(window.shared.tasks) >= 2, timeout=30_000)
    QThreadPool.globalInstance().waitForDone(30_000)
    window.shared.stop()
    window.session_lock.stop()
    window.close()
    database.close()
    encryption.forget_all()

    # from now on her own password opens the file, in the app and for the admin commands
    actor = encryption.sign_in(path, "anna", PASSWORD)
    assert actor.has_role("beheerder")
    database.close()
    env = dict(os.environ, PESTDESK_LANG="nl", PESTDESK_USER="anna", PESTDESK_PASSWORD=PASSWORD)
    checked = subprocess.run([sys.executable, "-m", "pestdesk", "check", "--db", str(path)],
                             capture_output=True, text=True, env=env, timeout=120,
                             stdin=subprocess.DEVNULL)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert not encryption.needs_set_up(path)
