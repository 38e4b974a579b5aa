"""The window on a PostgreSQL board database (``pestdesk --db postgresql://...``): sign-in,
the school switch, every screen, and what only a file has (encryption, the daily backup,
the recovery advice) said to be the server's IT's. Real widgets offscreen against a real
server: run with ``scripts/test --pg`` (skipped without PESTDESK_TEST_PG)."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialog

from pestdesk.gui import app
from pestdesk.gui.main_window import MainWindow
from pestdesk.services import accounts, backups
from pestdesk.store import models as m
from pestdesk.store.models import database
from tests.helpers import pg
from tests.helpers.board import Board

pytestmark = pytest.mark.skipif(not pg.active(), reason="needs PESTDESK_TEST_PG (a server)")

PASSWORD = "Lange-Zomer-Wandeling-77"


@pytest.fixture
def board(db, qt_dutch):
    board = Board()
    m.User.update(password_hash=accounts.hash_password(PASSWORD)).execute()
    yield board
    from pestdesk.services.threads import close_thread_connection

    close_thread_connection()


def _signed_in(qtbot, monkeypatch, url: str, username: str) -> MainWindow:
    """``app.open_window`` as ``pestdesk --db URL`` runs it, the sign-in dialog filled in."""
    from pestdesk.gui.session.dialogs import LoginDialog

    def fill(dialog):
        dialog.username.setText(username)
        dialog.password.setText(PASSWORD)
        dialog.accept()
        assert dialog.result() == QDialog.DialogCode.Accepted, dialog.error.text()
        return dialog.result()

    monkeypatch.setattr(LoginDialog, "exec", fill)
    monkeypatch.setattr(MainWindow, "start_integrity_check", lambda self: None)
    window = app.open_window(None, url, demo=False)
    assert window is not None
    qtbot.addWidget(window)
    return window


def test_the_window_opens_a_server_database_and_every_screen(board, db, qtbot, monkeypatch):
    window = _signed_in(qtbot, monkeypatch, db.url, board.both.username)
    assert window.location.server and window.path == db.url
    assert "PostgreSQL-server" in window.db_label.text()
    assert "?" not in window.db_label.toolTip()  # the URL's query (host, options) not shown
    for key in window.SECTIONS:
        window.go(key)
        assert window.stack.indexOf(window.view(key)) == window.SECTIONS.index(key)
        qtbot.wait(50)  # let each screen's first load run (a failure there fails the test)
    # two schools: the switch works on the server as on a file
    window.school_actions[board.b_id].trigger()
    window.go("cases")
    cases_view = window.view("cases")
    qtbot.waitUntil(lambda: cases_view.model.rowCount() > 0, timeout=5000)
    shown = {cases_view.model.index(r, 0).data() for r in range(cases_view.model.rowCount())}
    assert shown and all(str(n) for n in shown)
    window.session_lock.stop()
    window.shared.stop()


def test_file_only_features_are_the_servers_it(board, db, qtbot, monkeypatch):
    window = _signed_in(qtbot, monkeypatch, db.url, board.a.admin.username)
    window.go("admin")
    admin = window.view("admin")
    assert admin.file_label.full == window.location.full
    assert "PostgreSQL" in admin.place.text()
    assert admin.encryption_state.text() == "Niet van toepassing: een database op een " \
        "PostgreSQL-server"
    encrypt = admin.buttons["encrypt"]
    assert not encrypt.isEnabled() and "IT" in encrypt.toolTip()
    assert not admin.buttons["recovery_key"].isEnabled()
    # A's beheerder may not copy a database that holds school B too
    assert not admin.buttons["backup"].isVisibleTo(admin)
    backup_action = next(a for a in window.menuBar().actions()[0].menu().actions()
                         if a.text().replace("&", "") == "Back-up maken…")
    assert not backup_action.isEnabled() and "IT" in backup_action.toolTip()
    # no daily backup onto this PC: the server's IT backs it up
    assert backups.auto_backup(window.path) is None
    window.session_lock.stop()
    window.shared.stop()


def test_start_up_check_asks_the_server(board, db, qtbot, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from pestdesk.gui.session.shared_db import integrity_and_backup

    window = _signed_in(qtbot, monkeypatch, db.url, board.a.zorg.username)
    shown, started = [], []
    monkeypatch.setattr(QMessageBox, "critical", lambda *a: shown.append(a[2]))
    monkeypatch.setattr(window.shared, "start_auto_backup", lambda: started.append(1))
    result = integrity_and_backup(window.path, backups.config(window.path).folder)
    assert result == ("ok", None)
    window.shared._integrity_result(result)
    assert shown == [] and started == []  # healthy, and no daily backup of a server
    database.execute_sql('ALTER TABLE "audit_log" DISABLE TRIGGER USER')
    verdict, good = integrity_and_backup(window.path, backups.config(window.path).folder)
    assert "disabled" in verdict and good is None
    window.shared._integrity_result((verdict, good))
    assert len(shown) == 1
    assert "IT van de server" in shown[0] and "pestdesk restore" not in shown[0]
    window.session_lock.stop()
    window.shared.stop()


def test_the_board_it_makes_a_pg_dump_backup_from_the_window(board, db, qtbot, monkeypatch,
                                                            tmp_path):
    from pestdesk.services import schools
    from pestdesk.services.base import SYSTEM

    it = board.a.admin
    schools.link_staff(SYSTEM, it.staff_id, board.b_id)  # the board's IT: every school
    window = _signed_in(qtbot, monkeypatch, db.url, it.username)
    backups.save_config(window.actor, tmp_path / "dumps")
    made = backups.manual_backup(window.actor, window.path)
    assert made.path.suffix == ".pgdump" and made.path.parent == tmp_path / "dumps"
    window.go("admin")
    admin = window.view("admin")
    admin.refresh()
    assert admin.buttons["backup"].isVisibleTo(admin)
    assert admin.last_backup.text() != "Nog geen"
    assert m.AuditLog.select().where((m.AuditLog.action == "backup")
                                     & (m.AuditLog.user == it.user_id)).exists()
    window.session_lock.stop()
    window.shared.stop()


def test_pestdesk_db_url_starts_the_window(db, monkeypatch):
    from pestdesk import cli

    started = []
    monkeypatch.setattr(app, "run", lambda **kw: started.append(kw) or 0)
    assert cli.main(["--db", db.url]) == 0
    assert started[0]["db"] == db.url  # the URL as text (a Path would fold its slashes)
    assert cli.main(["--db", db.url, "--demo"]) == cli.EXIT_ERROR
