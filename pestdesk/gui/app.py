"""Starting the GUI: the application object, translations, which database, first-run
set-up, sign-in and the main window."""

from __future__ import annotations

import shutil
import sys
import tempfile
from functools import partial
from pathlib import Path

from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from pestdesk.i18n import _
from pestdesk.services import accounts, encryption, settings
from pestdesk.services.location import as_target, is_on_server
from pestdesk.store.errors import StoreError

DEMO_USER, DEMO_PASSWORD = "zorg", accounts.DEMO_PASSWORD


def make_demo_copy() -> tuple[Path, Path]:
    """A fresh demo school in a new temporary folder (removed when the app quits)."""
    from pestdesk.services.demo import generate_demo
    from pestdesk.store.db import create_database

    folder = Path(tempfile.mkdtemp(prefix="pestdesk-demo-"))
    path = folder / "demo.sqlite"
    db = create_database(path)
    generate_demo()
    db.close()
    return folder, path


def fill_demo(path: Path) -> None:
    from pestdesk.services.demo import generate_demo
    from pestdesk.store.db import create_database

    db = create_database(path)
    generate_demo()
    db.close()


def is_demo_database() -> bool:
    return bool(settings.get_value("demo", False))


def sign_in(path: Path, automatic_demo: bool = True):
    """Set-up wizard on a new database, else the sign-in dialog. A demo school signs in as
    the care coordinator at start; after signing out, its other demo users (mentor,
    afdeling, vertrouwen, directie, beheer; password ``DEMO_PASSWORD``) can sign in to try
    each role.

    An encrypted file that is not open yet is opened by the sign-in itself (the user's key
    slot), so nothing is read from it before a password was right."""
    from pestdesk.gui.session.dialogs import LoginDialog, RecoveryKeyDialog, SetupWizard

    encryption.forget()  # the previous user's keys, if any
    if encryption.is_encrypted(path) and not _is_open(path):
        if encryption.needs_set_up(path):
            # made by 'pestdesk init': the recovery key it printed opens it for the set-up
            setup = RecoveryKeyDialog(path, setup=True)
            if setup.exec() != QDialog.DialogCode.Accepted:
                return None
        else:
            dialog = LoginDialog(path.name, path=path)
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return None
            return require_own_password(dialog.actor)
    from pestdesk.gui.common import ops

    first = ops.Op(None, _first_look, label=_("Opening the database…"))
    if not first.titled("pestdesk").run():
        return None
    demo, set_up, school = first.result
    if automatic_demo and demo:
        signed_in = ops.Op(None, partial(accounts.demo_actor, DEMO_USER),
                           label=_("Signing in…")).titled("pestdesk")
        return signed_in.result if signed_in.run() else None
    if not set_up:
        wizard = SetupWizard()
        if wizard.exec() != QDialog.DialogCode.Accepted or wizard.actor is None:
            return None
        return wizard.actor
    hint = _("Demo school: sign in as zorg, mentor, afdeling, vertrouwen, directie or beheer, "
             "password {password}.").format(password=DEMO_PASSWORD) if demo else ""
    dialog = LoginDialog(school, hint=hint,
                         path=path if encryption.is_encrypted(path) else None)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return require_own_password(dialog.actor)


def _first_look() -> tuple[bool, bool, str]:
    """(a demo school?, set up?, the school's name): what the start asks of the file."""
    profile = settings.school_profile()
    return is_demo_database(), accounts.has_users() and profile.is_set_up, profile.name


def require_own_password(actor):
    """A beheerder set this password: the user chooses their own before going on (None:
    they did not, and are signed out again)."""
    if actor is None or not actor.must_change_password:
        return actor
    from pestdesk.gui.admin.users import ChangePasswordDialog
    from pestdesk.gui.common import ops

    dialog = ChangePasswordDialog(actor, forced=True)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        ops.Op(None, partial(accounts.record_sign_out, actor), label=_("Signing out…")) \
            .failure(lambda exc: ops.error_kind(exc) in ("busy", "read_only")).run()
        return None
    again = ops.Op(None, partial(accounts.refreshed, actor)).titled("pestdesk")
    return again.result if again.run() else None


def _is_open(path: Path | str) -> bool:
    if is_on_server(path):
        return True  # a server database is opened before the sign-in (nothing to unlock)
    bound = encryption.bound_path()
    return bound is not None and path.exists() and bound.resolve() == path.resolve()


def _open_or_create(path: Path):
    """The plain file opened, an encrypted one left for the sign-in, a new one encrypted
    from the start (its recovery key is shown once the set-up wizard made the first user)."""
    from pestdesk.store.db import open_database

    if is_on_server(path):  # made by 'pestdesk init --db URL'; its server is the IT's
        return open_database(path), ""
    if not path.exists():
        new = encryption.create_encrypted(path)
        return new.db, new.recovery_key
    encryption.settle(path)  # an interrupted 'pestdesk encrypt': finished or undone
    encryption.check_plain(path)
    if encryption.is_encrypted(path):
        encryption.read_keyfile(path)  # missing, damaged or foreign: say so before sign-in
        return None, ""
    return open_database(path, verify=False), ""


def show_recovery_key(recovery_key: str, path: Path, made_by: str = "") -> None:
    """The recovery key, once, right after set-up (with its printable sheet)."""
    from pestdesk.gui.admin.encryption import RecoveryKeyShownDialog

    RecoveryKeyShownDialog(recovery_key, path.name, made_by).exec()


def open_window(app: QApplication, path: Path, demo: bool):
    from pestdesk.gui.main_window import MainWindow

    try:
        _db, recovery_key = _open_or_create(path)
    except StoreError as exc:
        QMessageBox.critical(None, "pestdesk", str(exc))
        return None
    actor = sign_in(path)
    if actor is None:
        from pestdesk.services.threads import close_thread_connection

        close_thread_connection()
        encryption.forget()
        return None
    if recovery_key:
        show_recovery_key(recovery_key, path, actor.username)
    window = MainWindow(path, actor, demo=demo or is_demo_database())
    window.open_database_requested.connect(lambda p: _switch(app, window, p))
    window.sign_out_requested.connect(lambda: _sign_out(app, window))
    window.show()
    window.start_integrity_check()
    return window


def discard_session(old) -> None:
    """Close and delete every window of the signed-out user (the main window, case windows,
    dialogs, their views and models) before anyone else signs in: nothing of theirs stays
    in memory-backed widgets behind the sign-in dialog. One session per process, so every
    top-level widget there is theirs."""
    from PySide6.QtCore import QEvent

    for widget in QApplication.topLevelWidgets():
        if widget is not old:
            widget.hide()
            widget.deleteLater()
    old.hide()
    old.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def _sign_out(app: QApplication, old) -> None:
    """The user signed out: nothing of theirs exists any more while the next one signs in."""
    from pestdesk.gui.main_window import MainWindow

    path, demo = old.path, old.demo
    old.discard()
    discard_session(old)
    actor = sign_in(path, automatic_demo=False)
    if actor is None:
        app.quit()
        return
    window = MainWindow(path, actor, demo=demo)
    window.open_database_requested.connect(lambda p: _switch(app, window, p))
    window.sign_out_requested.connect(lambda: _sign_out(app, window))
    window.show()
    app.setProperty("pestdesk_window", window)


def _switch(app: QApplication, old, path: Path) -> None:
    from pestdesk.services.threads import close_thread_connection

    close_thread_connection()  # the GUI thread's connection to the file being left
    new = open_window(app, path, demo=False)
    if new is not None:
        app.setProperty("pestdesk_window", new)
        old.close()
    else:  # reopen the database the old window shows (its key is still held)
        from pestdesk.store.db import open_database

        open_database(old.path)


def run(db: Path | None, demo: bool, demo_if_new: bool, default_db: Path,
        lang: str | None = None) -> int:
    from PySide6.QtCore import QSettings

    from pestdesk.gui.common import translation

    app = QApplication.instance() or QApplication(sys.argv[:1])
    from pestdesk.gui.common import crash

    crash.install()  # uncaught errors: type and code location only, never their message
    app.setApplicationName("pestdesk")
    app.setOrganizationName("pestdesk")
    app.setApplicationDisplayName("pestdesk")
    translation.install(app, lang or QSettings().value("language") or None)
    cleanup: Path | None = None
    try:
        if demo:
            cleanup, path = make_demo_copy()
        else:
            path = as_target(db or default_db)
            if not is_on_server(path) and not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                if demo_if_new:
                    fill_demo(path)
        window = open_window(app, path, demo)
        if window is None:
            return 1
        app.setProperty("pestdesk_window", window)
        return app.exec()
    except StoreError as exc:
        QMessageBox.critical(None, "pestdesk", str(exc))
        return 2
    finally:
        if cleanup is not None:
            from pestdesk.services.threads import close_thread_connection

            close_thread_connection()
            shutil.rmtree(cleanup, ignore_errors=True)


__all__ = ["run", "_"]
