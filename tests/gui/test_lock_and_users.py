"""The idle lock, the user management dialogs and the audit section, driven with pytest-qt on
a small real school (the need-to-know fixture of tests/services/test_access.py)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QWidget

from pestdesk.gui.session.lock import LockDialog, LockedPanel, locked_title
from pestdesk.i18n import _
from pestdesk.services import accounts, users
from pestdesk.store.models import AuditLog, Staff, User
from tests.helpers.school import PASSWORD, build_school


@pytest.fixture
def school(db):
    return build_school()


@pytest.fixture
def make_window(qtbot, db_path):
    from pestdesk.gui.common import translation
    from pestdesk.gui.main_window import MainWindow

    translation.install(QApplication.instance(), "nl")
    made = []

    def make(actor):
        window = MainWindow(db_path, actor)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        made.append(window)
        return window

    yield make
    for window in made:
        window.session_lock.stop()


def _texts(widget: QWidget) -> str:
    parts = [widget.windowTitle()]
    parts += [label.text() for label in widget.findChildren(QLabel)]
    return " ".join(parts)


def _actions(user_id: int) -> list[str]:
    return [a.action for a in AuditLog.select().where(
        (AuditLog.table == "user") & (AuditLog.record_id == user_id)).order_by(AuditLog.id)]


def test_idle_lock_hides_everything_and_asks_the_password(school, make_window, qtbot):
    actor = school.actors["mentor_a"]
    window = make_window(actor)
    content = window.centralWidget()
    title = window.windowTitle()
    window.session_lock.watcher.on_timeout()  # the timer's slot: as if 10 minutes passed
    assert window.session_lock.is_locked
    assert window.windowTitle() == locked_title()  # nl: "pestdesk — vergrendeld"
    assert isinstance(window.centralWidget(), LockedPanel) and not content.isVisible()
    assert not window.menuBar().isVisible() and not window.statusBar().isVisible()
    dialog = window.session_lock.dialog
    assert isinstance(dialog, LockDialog) and dialog.isVisible()
    assert dialog.windowTitle() == locked_title()
    assert dialog.windowModality() == Qt.WindowModality.ApplicationModal
    staff = Staff.get_by_id(actor.staff_id)
    shown = _texts(dialog) + _texts(window.centralWidget())
    for personal in (actor.username, staff.last_name, staff.code):
        assert personal not in shown
    dialog.reject()  # Escape / close button: stays locked
    assert dialog.isVisible() and window.session_lock.is_locked
    qtbot.keyClicks(dialog.password, "verkeerd wachtwoord")
    dialog.try_unlock()
    assert dialog.error.text() and window.session_lock.is_locked
    assert accounts.remaining_wait(actor.username) == 0  # one wrong try: no wait yet
    qtbot.keyClicks(dialog.password, PASSWORD)
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert not window.session_lock.is_locked
    assert window.centralWidget() is content and content.isVisible()
    assert window.windowTitle() == title and window.menuBar().isVisible()
    assert _actions(actor.user_id)[-3:] == ["lock", "unlock_failed", "unlock"]


def test_other_open_windows_are_covered_while_locked(school, make_window, qtbot):
    window = make_window(school.actors["zoco"])
    other = QDialog(window)
    other.setWindowTitle("Leerling Kind Akkerman")
    other.resize(300, 200)
    other.show()
    qtbot.waitExposed(other)
    window.lock()  # Bestand → Vergrendelen
    assert other.windowTitle() == locked_title()
    covers = [c for c in other.findChildren(QWidget) if type(c).__name__ == "_Cover"]
    assert covers and covers[0].geometry() == other.rect()
    window.session_lock.dialog.password.setText(PASSWORD)
    window.session_lock.dialog.try_unlock()
    assert other.windowTitle() == "Leerling Kind Akkerman"


def test_input_restarts_the_idle_timer(school, make_window, qtbot):
    window = make_window(school.actors["zoco"])
    watcher = window.session_lock.watcher
    assert watcher.timer.interval() == users.lock_minutes() * 60_000 == 600_000
    watcher.timer.setInterval(1500)  # shrink the ten minutes for the test (with room for a
    watcher.timer.start()            # busy machine: a keystroke every 100 ms keeps it open)
    for _typed in range(20):  # keep typing for 2 s, longer than the interval: no lock
        qtbot.wait(100)
        QApplication.sendEvent(window, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_A,
                                                 Qt.KeyboardModifier.NoModifier, "a"))
    assert not window.session_lock.is_locked
    qtbot.waitUntil(lambda: window.session_lock.is_locked, timeout=6000)  # then stop typing
    window.session_lock.dialog.password.setText(PASSWORD)
    window.session_lock.dialog.try_unlock()
    assert not window.session_lock.is_locked


def test_ctrl_l_locks_and_sign_out_is_offered(school, make_window, qtbot):
    window = make_window(school.actors["zoco"])
    lock_action = next(a for a in window.findChildren(type(window.menuBar().actions()[0]))
                       if a.shortcut().toString() == "Ctrl+L")
    lock_action.trigger()
    assert window.session_lock.is_locked
    with qtbot.waitSignal(window.sign_out_requested, timeout=1000):
        window.session_lock.dialog.sign_out_button.click()
    assert "logout" in _actions(school.actors["zoco"].user_id)


def test_sections_pass_the_signed_in_actor(school, make_window):
    window = make_window(school.actors["mentor_b"])
    window.go("cases")
    assert window.view("cases").model.total() == 1  # only the case of their class 1B
    assert "audit" not in window.SECTIONS
    labels = [window.nav.item(i).text() for i in range(window.nav.count())]
    assert not any(label.startswith("Audit") for label in labels)
    menu_texts = [a.text() for m in window.menuBar().actions() if m.menu()
                  for a in m.menu().actions()]
    assert _("&Users…") not in menu_texts


def test_audit_section_for_beheerder_and_directie(school, make_window):
    from pestdesk.services import access

    accounts.sign_in("mentor_a", PASSWORD)
    access.open_case(school.actors["mentor_a"], school.cases.a.id)
    for who in ("admin", "directie"):
        window = make_window(school.actors[who])
        assert window.SECTIONS[-1] == "audit"
        window.go("audit")
        view = window.view("audit")
        assert view.model.total() == AuditLog.select().count() > 0
        view.action.setCurrentIndex(view.action.findData("view"))
        assert 0 < view.model.total() < AuditLog.select().count()


def test_users_dialog_creates_and_manages_accounts(school, make_window, qtbot, monkeypatch):
    from pestdesk.gui.admin.users import NewUserDialog, RolesDialog, UsersDialog

    admin = school.actors["admin"]
    window = make_window(admin)
    dialog = UsersDialog(admin, window, on_lock_minutes=window.session_lock.set_minutes)
    qtbot.addWidget(dialog)
    before = dialog.model.total()
    with __import__("pestdesk.store.models", fromlist=["x"]).database.atomic():
        new_staff = Staff.create(code="NIEUW", last_name="Nieuwkomer", roles="")
    new = NewUserDialog(admin, dialog)
    qtbot.addWidget(new)
    new.staff.setCurrentIndex(new.staff.findData(new_staff.id))
    new.username.setText("nieuw")
    new.password.setText("kort")
    new.password2.setText("kort")
    new.accept()
    assert new.error.text() and not User.select().where(User.username == "nieuw").exists()
    new.password.setText(PASSWORD)
    new.password2.setText(PASSWORD)
    new.accept()
    assert new.result() == QDialog.DialogCode.Accepted
    dialog.model.reload()
    assert dialog.model.total() == before + 1
    user = User.get(User.username == "nieuw")
    roles = RolesDialog(admin, users.user_detail(admin, user.id), dialog)
    qtbot.addWidget(roles)
    roles.roles["afdelingscoordinator"].setChecked(True)
    for i in range(roles.departments.count()):
        if roles.departments.item(i).text() == "onderbouw":
            roles.departments.item(i).setCheckState(Qt.CheckState.Checked)
    roles.accept()
    assert roles.result() == QDialog.DialogCode.Accepted
    # a role that opens dossiers waits for the directie (services.grants)
    assert not accounts.sign_in("nieuw", PASSWORD).has_role("afdelingscoordinator")
    from pestdesk.gui.admin.grants import GrantsDialog

    own = GrantsDialog(admin, dialog)  # the beheerder sees the request, may not decide it
    qtbot.addWidget(own)
    assert own.table.rowCount() == 1 and not own.confirm_button.isEnabled()
    director = make_window(school.actors["directie"])
    assert "1" in director.grants_label.text() and director.grants_label.isVisibleTo(director)
    confirm = GrantsDialog(school.actors["directie"], director)
    qtbot.addWidget(confirm)
    assert confirm.confirm_button.isEnabled()
    assert "Nieuwkomer" in confirm.table.item(0, 0).text()
    confirm.table.selectRow(0)
    confirm.confirm_button.click()
    assert "bevestigd" in confirm.table.item(0, 5).text()
    signed = accounts.sign_in("nieuw", PASSWORD)
    assert signed.has_role("afdelingscoordinator")
    row = next(r for r in range(dialog.model.rowCount()) if dialog.model.record_id(r) == user.id)
    dialog.table.selectRow(row)
    dialog.toggle_active()
    assert not User.get_by_id(user.id).active
    dialog.lock_minutes.setValue(3)
    dialog.save_lock_minutes()
    assert users.lock_minutes() == 3
    assert window.session_lock.watcher.timer.interval() == 180_000


def test_change_password_dialog(school, make_window, qtbot):
    from pestdesk.gui.admin.users import ChangePasswordDialog

    actor = school.actors["mentor_a"]
    dialog = ChangePasswordDialog(actor)
    qtbot.addWidget(dialog)
    dialog.old.setText(PASSWORD)
    dialog.new.setText("een nieuw wachtwoord")
    dialog.new2.setText("een ander wachtwoord")
    dialog.accept()
    assert "verschillen" in dialog.error.text()
    dialog.new2.setText("een nieuw wachtwoord")
    dialog.accept()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert accounts.sign_in("mentor_a", "een nieuw wachtwoord").user_id == actor.user_id


def _no_modal(*args, **kwargs):
    raise AssertionError(f"unexpected message box: {args[1:]}")


def test_sign_out_deletes_every_window_and_model_of_the_user(school, qtbot, db_path,
                                                             monkeypatch):
    """Afmelden: before the sign-in dialog shows, the previous user's main window, case
    windows, dialogs, section views and their models no longer exist (not just hidden)."""
    from PySide6.QtCore import QAbstractItemModel
    from shiboken6 import isValid

    from pestdesk.gui import app as gui_app
    from pestdesk.gui.common import translation
    from pestdesk.gui.main_window import MainWindow
    from tests.helpers.gui import new_case

    translation.install(QApplication.instance(), "nl")
    monkeypatch.setattr("PySide6.QtWidgets.QMessageBox.warning", _no_modal)
    case_id = new_case(school.actors["zoco"], school.students["1001"], school.students["1002"])
    old = MainWindow(db_path, school.actors["zoco"])
    old.show()
    qtbot.waitExposed(old)
    old.go("cases")
    old.show_case(case_id)
    case_window = old.case_windows[case_id]
    note = QDialog(old)
    note.setWindowTitle("Leerling Kind Akkerman")
    note.show()
    tracked = [old, case_window, note, *old.views.values(),
               *old.findChildren(QAbstractItemModel),
               *case_window.findChildren(QAbstractItemModel)]
    assert len(tracked) > 5
    seen: dict = {}

    def next_user_signs_in(path, automatic_demo=True):  # the sign-in dialog's moment
        seen["alive"] = [w for w in tracked if isValid(w)]
        seen["texts"] = " ".join(_texts(w) for w in QApplication.topLevelWidgets()
                                 if isValid(w) and not w.testAttribute(
                                     Qt.WidgetAttribute.WA_DontShowOnScreen))
        return school.actors["mentor_b"]

    monkeypatch.setattr(gui_app, "sign_in", next_user_signs_in)
    app = QApplication.instance()
    old.sign_out_requested.connect(lambda: gui_app._sign_out(app, old))
    old.sign_out()
    qtbot.waitUntil(lambda: "alive" in seen, timeout=5000)
    assert seen["alive"] == []
    for personal in ("Akkerman", "Aalders", "Uitschelden"):
        assert personal not in seen["texts"]
    new = app.property("pestdesk_window")
    try:
        assert new.actor == school.actors["mentor_b"] and new.isVisible()
    finally:
        new.discard()
        new.deleteLater()
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert [a for a in _actions(school.users["zoco"].id)][-1] == "logout"


def test_the_user_list_is_sorted_a_to_z(school, make_window, qtbot):
    from pestdesk.gui.admin.users import UsersDialog

    admin = school.actors["admin"]
    window = make_window(admin)
    qtbot.waitUntil(lambda: "overview" in window.views, timeout=5000)
    dialog = UsersDialog(admin, window)
    names = [dialog.model.data(dialog.model.index(r, 0))
             for r in range(dialog.model.rowCount())]
    assert len(names) > 2 and names == sorted(names)


def test_a_mentor_sees_admin_actions_greyed_out_with_the_reason(school, make_window, qtbot):
    window = make_window(school.actors["mentor_b"])
    actions = {a.text(): a for m in window.menuBar().actions() if m.menu()
               for a in m.menu().actions()}
    for text in (_("Import &students…"), _("&Retention period…"), _("School &calendar…")):
        assert not actions[text].isEnabled() and actions[text].toolTip()
    admin = make_window(school.actors["admin"])
    enabled = {a.text(): a.isEnabled() for m in admin.menuBar().actions() if m.menu()
               for a in m.menu().actions()}
    assert enabled[_("&Users…")] and enabled[_("Import &students…")]
    for shown in (window, admin):  # built now, not while the next test sets up
        qtbot.waitUntil(lambda w=shown: "overview" in w.views, timeout=5000)
