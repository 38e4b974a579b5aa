"""The Beheer page, the helplines dialog and the backup folder setting, driven with pytest-qt
on a small real school (the need-to-know fixture of tests/services/test_access.py)."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QAction

from pestdesk.gui.admin.backup import BackupSettingsDialog
from pestdesk.gui.admin.helplines import HelplineEditDialog, HelplinesDialog
from pestdesk.gui.admin.view import AdminView
from pestdesk.gui.common.conflict import ConflictChoice
from pestdesk.i18n import _
from pestdesk.services import backups, helplines, users
from pestdesk.services.base import ServiceError
from pestdesk.store.models import AuditLog, Helpline
from tests.helpers.school import build_school

GROUPS = {"school", "people", "letters", "helplines", "database", "encryption", "privacy"}


@pytest.fixture
def school(db):
    return build_school()


@pytest.fixture
def admin_view(qtbot, db_path, qt_dutch):
    def make(actor):
        view = AdminView(db_path, actor)
        qtbot.addWidget(view)
        view.show()
        qtbot.waitExposed(view)
        qtbot.waitUntil(lambda: view.verdict is not None, timeout=5000)
        return view

    return make


def shown_groups(view: AdminView) -> set[str]:
    return {key for key, box in view.groups.items() if box.isVisibleTo(view)}


def shown_buttons(view: AdminView) -> set[str]:
    return {key for key, button in view.buttons.items() if button.isVisibleTo(view)}


# -- what each role sees -------------------------------------------------------------------


def test_beheerder_finds_every_function(school, admin_view):
    view = admin_view(school.actors["admin"])
    assert shown_groups(view) == GROUPS
    # every button, the lock's Save too; a plain file has no recovery key to renew
    assert shown_buttons(view) == set(view.buttons) - {"recovery_key", "grant_seal"}
    assert {"profile", "calendar", "import_students", "import_staff", "people", "users",
            "templates", "window", "helplines", "backup", "backup_folder", "check",
            "retention", "audit", "lock"} <= set(view.buttons)
    assert view.lock_minutes.isVisibleTo(view)
    assert view.verdict == "ok"
    assert view.integrity.text().startswith(_("In order (checked {when})").split("{")[0])


def test_mentor_only_reads(school, admin_view):
    view = admin_view(school.actors["mentor_a"])
    assert shown_groups(view) == {"school", "helplines", "database", "encryption", "privacy"}
    assert shown_buttons(view) == {"helplines"}  # to read the list
    assert not view.lock_minutes.isVisibleTo(view)
    assert "10" in view.lock_state.text()
    assert view.school_name.text() and view.file_label.full == str(view.path)


def test_directie_reads_the_audit_but_manages_no_accounts(school, admin_view):
    view = admin_view(school.actors["directie"])
    buttons = shown_buttons(view)
    assert {"audit", "profile", "calendar", "templates", "window"} <= buttons
    assert not buttons & {"users", "import_students", "backup", "backup_folder", "retention",
                          "lock"}
    assert not view.groups["people"].isVisibleTo(view)


def test_buttons_emit_what_the_main_window_wires(school, admin_view, qtbot):
    view = admin_view(school.actors["admin"])
    for key, signal in (("users", view.manage_users), ("audit", view.show_audit),
                        ("retention", view.manage_retention), ("backup", view.backup),
                        ("import_staff", view.import_staff), ("calendar", view.school_calendar)):
        with qtbot.waitSignal(signal, timeout=1000):
            view.buttons[key].click()


def test_main_window_opens_the_audit_section_and_applies_lock_minutes(school, db_path,
                                                                      qtbot, qt_dutch):
    from pestdesk.gui.main_window import MainWindow

    window = MainWindow(db_path, school.actors["admin"])
    qtbot.addWidget(window)
    window.show()
    window.go("admin")
    view = window.view("admin")
    view.buttons["audit"].click()
    assert window.current_key() == "audit"
    view.lock_minutes.setValue(25)
    view.buttons["lock"].click()
    assert users.lock_minutes() == 25
    assert window.session_lock.watcher.timer.interval() == 25 * 60_000
    window.session_lock.stop()


def test_lock_minutes_refused_for_a_mentor_by_the_service(school, admin_view):
    view = admin_view(school.actors["mentor_a"])
    view.lock_minutes.setValue(90)
    view.save_lock_minutes()  # the button is hidden; the service refuses as well
    assert users.lock_minutes() == users.DEFAULT_LOCK_MINUTES
    assert view.lock_state.text()  # the refusal is shown


def test_page_shows_the_newest_backup(school, admin_view, db_path, tmp_path):
    view = admin_view(school.actors["admin"])
    assert not view.last_backup.toolTip()
    made = backups.make_backup(db_path, backups.config(db_path))
    view.refresh()
    assert view.last_backup.toolTip() == str(made.path)


# -- helplines -----------------------------------------------------------------------------


def _fill(dialog: HelplineEditDialog, **values: str) -> None:
    for name, text in values.items():
        widget = dialog.fields[name]
        if hasattr(widget, "setPlainText"):
            widget.setPlainText(text)
        else:
            widget.setText(text)


def test_helplines_dialog_adds_a_line(school, qtbot, qt_dutch):
    dialog = HelplinesDialog(school.actors["zoco"])
    qtbot.addWidget(dialog)
    before = dialog.table.rowCount()
    assert before > 0  # seeded from the protocol preset
    editor = dialog.add()
    _fill(editor, name="Jeugdpunt Alkmaar", phone="072 123 4567", url="jeugdpunt.example.nl")
    editor.accept()
    assert editor.result() == editor.DialogCode.Accepted
    assert dialog.table.rowCount() == before + 1
    line = Helpline.get(Helpline.name == "Jeugdpunt Alkmaar")
    assert line.url == "https://jeugdpunt.example.nl"
    assert dialog.selected().id == line.id
    assert AuditLog.select().where((AuditLog.table == "helpline")
                                   & (AuditLog.action == "create")).count() == 1


def test_helpline_with_a_bad_number_is_refused_and_nothing_saved(school, qtbot, qt_dutch):
    dialog = HelplinesDialog(school.actors["admin"])
    qtbot.addWidget(dialog)
    count = Helpline.select().count()
    editor = dialog.add()
    _fill(editor, name="Nummerloos", phone="bel ons")
    editor.accept()
    assert editor.result() != editor.DialogCode.Accepted
    assert "bel ons" in editor.error.text() and editor.error.isVisibleTo(editor)
    assert Helpline.select().count() == count


def test_helpline_edit_saves_and_a_stale_version_is_refused(school, qtbot, qt_dutch,
                                                           conflicts):
    zoco, admin = school.actors["zoco"], school.actors["admin"]
    dialog = HelplinesDialog(zoco)
    qtbot.addWidget(dialog)
    dialog.table.selectRow(0)
    line = dialog.selected()
    editor = dialog.edit()
    _fill(editor, phone="0800 1111")
    editor.accept()
    assert Helpline.get_by_id(line.id).phone == "0800 1111"
    assert dialog.table.item(0, 2).text() == "0800 1111"

    editor = dialog.edit()  # reads the current version
    stored = Helpline.get_by_id(line.id)
    helplines.edit_helpline(admin, line.id, stored.version, topic="door een collega")
    _fill(editor, phone="0800 2222")
    conflicts.answer = ConflictChoice(reload=False, reapply=False)
    editor.accept()
    assert editor.result() != editor.DialogCode.Accepted  # stays open
    assert conflicts.shown and "phone" in conflicts.shown[0]
    fresh = Helpline.get_by_id(line.id)
    assert (fresh.phone, fresh.topic) == ("0800 1111", "door een collega")  # nothing lost
    assert editor.error.isVisibleTo(editor)

    conflicts.answer = ConflictChoice(reload=True, reapply=True)
    editor.accept()  # refused again, then reloaded with my phone number on top
    assert editor.fields["topic"].text() == "door een collega"
    assert editor.fields["phone"].text() == "0800 2222"
    editor.accept()
    fresh = Helpline.get_by_id(line.id)
    assert (fresh.phone, fresh.topic) == ("0800 2222", "door een collega")


def test_removing_a_changed_helpline_is_refused(school, qtbot, qt_dutch):
    dialog = HelplinesDialog(school.actors["admin"])
    qtbot.addWidget(dialog)
    dialog.table.selectRow(0)
    line = dialog.selected()
    helplines.edit_helpline(school.actors["zoco"], line.id, line.version, topic="gewijzigd")
    assert not dialog.remove_line(line)
    assert Helpline.get_or_none(Helpline.id == line.id) is not None
    assert dialog.message.text()
    dialog.table.selectRow(0)
    assert dialog.remove_line(dialog.selected())
    assert Helpline.get_or_none(Helpline.id == line.id) is None


def test_helplines_are_read_only_for_a_mentor(school, qtbot, qt_dutch):
    dialog = HelplinesDialog(school.actors["mentor_a"])
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() > 0
    for button in (dialog.add_button, dialog.edit_button, dialog.remove_button):
        assert not button.isVisibleTo(dialog)
    with pytest.raises(ServiceError):
        helplines.add_helpline(school.actors["mentor_a"], "X", phone="0800 0000")


# -- the backup folder ---------------------------------------------------------------------


def test_backup_folder_setting_saves(school, qtbot, db_path, tmp_path, qt_dutch):
    dialog = BackupSettingsDialog(school.actors["admin"], db_path)
    qtbot.addWidget(dialog)
    assert dialog.folder.text() == ""  # the default, next to the database
    target = tmp_path / "elders" / "pestdesk"
    dialog.folder.setText(str(target))
    dialog.keep.setValue(30)
    dialog.accept()
    assert dialog.result() == dialog.DialogCode.Accepted
    assert backups.config(db_path) == backups.BackupConfig(target, 30)
    assert target.is_dir()
    again = BackupSettingsDialog(school.actors["admin"], db_path)
    qtbot.addWidget(again)
    assert again.folder.text() == str(target) and again.keep.value() == 30


def test_backup_folder_that_cannot_be_written_is_refused(school, qtbot, db_path, tmp_path,
                                                         qt_dutch):
    blocker = tmp_path / "een-bestand"
    blocker.write_text("geen map")
    dialog = BackupSettingsDialog(school.actors["admin"], db_path)
    qtbot.addWidget(dialog)
    dialog.folder.setText(str(blocker / "backups"))
    dialog.accept()
    assert dialog.result() != dialog.DialogCode.Accepted
    assert dialog.error.text()
    assert backups.config(db_path).folder == db_path.parent / backups.DEFAULT_FOLDER


def test_only_a_beheerder_changes_the_backup_folder(school, db_path, tmp_path):
    with pytest.raises(ServiceError):
        backups.save_config(school.actors["zoco"], tmp_path / "x")
    assert backups.config(db_path).folder == db_path.parent / backups.DEFAULT_FOLDER
    backups.save_config(school.actors["admin"], tmp_path / "x")
    assert backups.config(db_path).folder == tmp_path / "x"


def test_a_backup_from_the_menu_goes_through_the_service_and_shows(school, db_path, qtbot,
                                                                   qt_dutch, monkeypatch,
                                                                   tmp_path):
    from PySide6.QtWidgets import QMessageBox

    from pestdesk.gui.main_window import MainWindow

    backups.save_config(school.actors["admin"], tmp_path / "bk", keep=5)
    told: list[str] = []
    monkeypatch.setattr(QMessageBox, "information",
                        lambda _parent, _title, text: told.append(text))
    window = MainWindow(db_path, school.actors["admin"])
    qtbot.addWidget(window)
    window.show()
    window.go("admin")
    view = window.view("admin")
    assert view.last_backup.text() == _("None yet")
    window.make_backup()
    newest = backups.list_backups(tmp_path / "bk", db_path.stem)[0]
    assert told and str(newest.path) in told[0]
    assert view.last_backup.toolTip() == str(newest.path)  # refreshed: no "None yet"
    assert AuditLog.select().where(AuditLog.action == "backup").count() == 1


def test_the_backup_action_is_greyed_out_with_the_reason_for_a_mentor(school, db_path, qtbot,
                                                                      qt_dutch):
    from pestdesk.gui.main_window import MainWindow

    window = MainWindow(db_path, school.actors["mentor_a"])
    qtbot.addWidget(window)
    action = next(a for a in window.findChildren(QAction) if "back-up" in a.text().lower())
    assert not action.isEnabled() and "beheerder" in action.toolTip()
