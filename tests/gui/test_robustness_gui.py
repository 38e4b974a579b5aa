"""The GUI side of a shared database: the conflict dialog, presence and the read-only flag in
the status bar, the damage message pointing to a good backup, and the retention screen."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDialog, QMainWindow, QMessageBox, QStatusBar

from pestdesk.gui.common.conflict import ConflictDialog, changed_fields, reapply
from pestdesk.services import backups, presence
from pestdesk.services.base import SYSTEM, Actor, Conflict, create, save_versioned, storage, write
from pestdesk.store import models as m


def stale_save_conflict() -> tuple[Conflict, dict, dict]:
    with write():
        case = create(SYSTEM, m.Case, number="2026-0001", reported_on=dt.date(2026, 1, 5),
                      summary="Uitgescholden", location="klas")
    original = dict(case.__data__)
    mine_copy = m.Case.get_by_id(case.id)
    theirs = m.Case.get_by_id(case.id)
    with write():
        save_versioned(Actor(2, "bob"), theirs, theirs.version, location="online")
    mine = {"summary": "Uitgescholden en geduwd", "location": "klas"}
    with pytest.raises(Conflict) as info, write():
        save_versioned(Actor(1, "anna"), mine_copy, mine_copy.version, **mine)
    return info.value, mine, original


def test_conflict_dialog_lists_both_sides_and_reloads(db, qtbot):
    conflict, mine, original = stale_save_conflict()
    assert changed_fields(conflict.current, mine, original) == ["summary", "location"]
    dialog = ConflictDialog(conflict, mine, original, {"summary": "Samenvatting"})
    qtbot.addWidget(dialog)
    rows = [[dialog.table.item(r, c).text() for c in range(3)]
            for r in range(dialog.table.rowCount())]
    assert rows == [["Samenvatting", "Uitgescholden en geduwd", "Uitgescholden"],
                    ["location", "klas", "online"]]
    assert dialog.reload_button.text() in ("&Herladen", "&Reload")
    QTimer.singleShot(0, dialog.reload_button.click)
    dialog.exec()
    choice = dialog.choice()
    assert choice.reload and choice.reapply
    merged = reapply(conflict.current, {"summary": mine["summary"]})
    assert merged["summary"] == "Uitgescholden en geduwd" and merged["location"] == "online"
    assert m.Case.get_by_id(conflict.record_id).summary == "Uitgescholden"  # nothing overwritten


def test_conflict_dialog_cancel(db, qtbot):
    conflict, mine, original = stale_save_conflict()
    dialog = ConflictDialog(conflict, mine, original)
    qtbot.addWidget(dialog)
    QTimer.singleShot(0, dialog.reject)
    dialog.exec()
    assert dialog.result() == QDialog.DialogCode.Rejected and not dialog.choice().reload


@pytest.fixture
def window(db, db_path, qtbot):
    from pestdesk.gui.session.shared_db import SharedDatabaseStatus

    win = QMainWindow()
    win.setStatusBar(QStatusBar())
    win.path = db_path
    win.actor = Actor(1, "anna")
    qtbot.addWidget(win)
    yield win, SharedDatabaseStatus
    storage.reset()
    presence.leave()


def test_status_bar_names_others_and_shows_read_only(window, qtbot):
    win, status_class = window
    with write():
        m.Presence.create(client_id="other", username="bob", heartbeat_at=m.utcnow())
        m.Presence.create(client_id="gone", username="karel",
                          heartbeat_at=m.utcnow() - dt.timedelta(minutes=5))
    status = status_class(win)
    assert "bob" in status.others_label.text() and "karel" not in status.others_label.text()
    assert status.timer.interval() == 30_000
    assert not status.readonly_label.isVisibleTo(win)
    storage.fail()
    qtbot.waitUntil(lambda: status.readonly_label.isVisibleTo(win))
    storage.reset()  # (read-only: leaving is skipped, the row would just go stale)
    status.stop()
    assert m.Presence.select().where(m.Presence.username == "anna").count() == 0


def test_damage_message_points_to_newest_good_backup(window, db_path, tmp_path):
    win, status_class = window
    status = status_class(win)
    good = backups.make_backup(db_path, backups.BackupConfig(tmp_path / "bk"))
    text = status.damage_message(good)
    assert str(good.path) in text and "pestdesk restore --db" in text
    assert str(good.path) not in status.damage_message(None)
    status.stop()


def test_start_up_checks_make_the_daily_backup(window, db_path, qtbot, tmp_path):
    win, status_class = window
    backups.save_config(SYSTEM, tmp_path / "dagelijks", keep=14)
    status = status_class(win)
    status.start_checks()
    qtbot.waitUntil(lambda: len(backups.list_backups(tmp_path / "dagelijks")) == 1,
                    timeout=10_000)
    status.stop()


def test_retention_screen_lists_and_deletes_after_confirmation(db, qtbot, monkeypatch):
    from pestdesk.gui.admin.retention import RetentionView

    with write():
        for i in range(3):
            create(SYSTEM, m.Student, number=str(i), first_name=f"Oud{i}", last_name="X",
                   left_on=dt.date(2020, 7, 1))
        create(SYSTEM, m.Student, number="9", first_name="Nog", last_name="Hier")
    view = RetentionView(SYSTEM, today=dt.date(2026, 9, 1))
    qtbot.addWidget(view)
    assert view.model.total() == 3 and "3" in view.summary.text()
    monkeypatch.setattr(QMessageBox, "warning",
                        lambda *a, **k: QMessageBox.StandardButton.Cancel)
    view.confirm_and_purge()
    assert m.Student.select().count() == 4  # cancelled: nothing deleted
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: QMessageBox.StandardButton.Yes)
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: shown.append(a[2]))
    with qtbot.waitSignal(view.purged, timeout=10_000) as blocker:
        view.confirm_and_purge()
    assert blocker.args[0]["students"] == 3
    assert m.Student.select().count() == 1 and view.model.total() == 0
    assert shown and "3" in shown[0]
    assert not view.delete_button.isEnabled()


def test_retention_screen_says_who_waits_and_what_the_backups_hold(db, db_path, qtbot,
                                                                     tmp_path):
    from pestdesk.gui.admin.retention import RetentionView
    from pestdesk.store.db import backup_to

    with write():
        waits = create(SYSTEM, m.Student, number="700001", first_name="Wachter",
                       last_name="Open", left_on=dt.date(2020, 7, 1))
        case = create(SYSTEM, m.Case, number="2020-0007", reported_on=dt.date(2020, 3, 1))
        create(SYSTEM, m.Involvement, case=case, student=waits, role="gepeste")
    backups.save_config(SYSTEM, tmp_path / "kopieen", keep=14)
    backups.make_backup(db_path, backups.config(db_path), now=dt.datetime(2026, 8, 30, 7))
    backup_to(db_path, db_path.with_name(f"{db_path.stem}.before-restore-20260801-101010"
                                         f"{db_path.suffix}"))
    view = RetentionView(SYSTEM, today=dt.date(2026, 9, 1))
    qtbot.addWidget(view)
    assert view.model.total() == 0 and not view.delete_button.isEnabled()
    text = view.waiting.text()
    assert "Wachter Open (700001)" in text and "2020-0007" in text and "open" in text
    admin = Actor(user_id=5, username="it", roles=frozenset({"beheerder"}))
    admin_view = RetentionView(admin, today=dt.date(2026, 9, 1))
    qtbot.addWidget(admin_view)
    text = admin_view.waiting.text()  # a beheerder keeps the register, reads no dossiers
    assert "Wachter Open (700001): een open melding" in text and "2020-0007" not in text
    held = view.backups.text()
    assert "1 back-up" in held and "15 sep 2026" in held  # 14 kept, one a day
    assert "kopie" in held and "1 aug 2026" in held
