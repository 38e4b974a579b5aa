"""The main window: navigation on the left, the chosen section on the right, the database
and the signed-in user in the status bar."""

from __future__ import annotations

import importlib
from functools import partial
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QWidget,
)

from pestdesk import __version__, i18n
from pestdesk.gui.common import ops
from pestdesk.gui.session.dialogs import SchoolProfileDialog
from pestdesk.gui.session.lock import SessionLock
from pestdesk.i18n import _, format_number, ngettext
from pestdesk.services import access, grants, settings
from pestdesk.services import overview as overview_service
from pestdesk.services.base import Actor, ServiceError
from pestdesk.services.location import as_target, location

# The sections, imported when first shown: letters and figures pull in reportlab and
# QtCharts, which would otherwise cost a few hundred milliseconds at every start.
SECTION_VIEWS = {
    "overview": ("overview.view", "OverviewView"),
    "students": ("people.students", "StudentsView"),
    "cases": ("case.lists", "CasesView"),
    "meetings": ("meetings.view", "MeetingsSection"),
    "letters": ("letters.view", "LettersView"),
    "figures": ("figures.view", "FiguresView"),
    "admin": ("admin.view", "AdminView"),
    "audit": ("admin.audit", "AuditView"),
}


def section_class(key: str) -> type:
    module, name = SECTION_VIEWS[key]
    return getattr(importlib.import_module(f"{__package__}.{module}"), name)

STYLE = """
#nav { background: #f3f5f8; border: none; font-size: 11pt; padding-top: 8px; }
#nav::item { padding: 9px 14px; border-radius: 6px; margin: 1px 6px; }
#nav::item:selected { background: #dbe6f5; color: #12355b; font-weight: 600; }
#sectionTitle { font-size: 15pt; font-weight: 600; color: #12355b; padding: 4px 0 6px 0; }
#countLabel { color: #555; }
QGroupBox { font-weight: 600; }
#demoBanner { background: #fff4ce; color: #6b4e00; padding: 4px 10px; font-weight: 600; }
"""


OVERVIEW_DELAY_MS = 250


def backup_reason(actor: Actor, where) -> str:
    """Why ``actor`` makes no backup of the database at ``where`` (a ``Location``): the
    tooltip of the greyed-out menu item and Beheer's buttons."""
    if where.server:
        return _("The server's IT backs up this database. A copy with pg_dump holds every "
                 "school in it, so only the board's IT (a beheerder of every school) makes "
                 "one here.")
    if actor.has_role(access.ADMIN_ROLE):
        return access.whole_database_refusal()
    return _("Only the administrator (beheerder) makes backups; pestdesk also makes one "
             "every day by itself.")


class MainWindow(QMainWindow):
    open_database_requested = Signal(object)  # a file's Path
    sign_out_requested = Signal()

    SECTIONS = ("overview", "students", "cases", "meetings", "letters", "figures", "admin")

    def __init__(self, path: Path, actor: Actor, demo: bool = False,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.path = as_target(path)  # a file's Path, or a server database's URL
        self.location = location(self.path)
        self.actor = actor
        self.demo = demo
        # the audit trail is a section only for those who may read it (beheerder, directie)
        self.SECTIONS = self.SECTIONS + (("audit",) if access.can_read_audit(actor) else ())
        if access.is_board(actor):  # the bestuur: its schools' masked figures, nothing else
            self.SECTIONS = ("figures",)
        self.setWindowTitle(self._title())
        self.setStyleSheet(STYLE)
        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        self.nav.setFixedWidth(210)
        self.stack = QStackedWidget()
        # sections are built when first shown: start-up only pays for the overview
        self._factories = {
            key: (lambda k=key: section_class(k)(actor)) for key in SECTION_VIEWS
        }
        self._factories["admin"] = lambda: section_class("admin")(self.path, actor)
        self.views: dict[str, QWidget] = {}
        self.case_windows: dict[int, QWidget] = {}  # open case windows by case id
        for key in self.SECTIONS:
            self.stack.addWidget(QWidget())
            item = QListWidgetItem(self._nav_label(key))
            item.setData(Qt.ItemDataRole.UserRole, key)
            self.nav.addItem(item)
        # the overview is selected from the start without being built: it is built once the
        # window has painted (see paintEvent), so the first paint is not held back
        self.nav.setCurrentRow(0)
        self.nav.currentRowChanged.connect(self._show_section)
        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.nav)
        row.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self._build_menus()
        self._build_status_bar()
        self._overview_scheduled = False
        self._restore_geometry()
        self.session_lock = SessionLock(self)
        ops.bus.changed.connect(self._on_changes)
        self.session_lock.sign_out_requested.connect(self.sign_out)

    # -- building ------------------------------------------------------------------------
    def _title(self) -> str:
        school = settings.school_profile().name
        title = f"pestdesk — {school}" if school else "pestdesk"
        return f"{title} — DEMO" if self.demo else title

    def _nav_label(self, key: str) -> str:
        return {
            "overview": _("Overview"), "students": _("Students"), "cases": _("Reports"),
            "meetings": _("Meetings"), "letters": _("Letters"), "figures": _("Figures"),
            "admin": _("Administration"),
            "audit": _("Audit"),
        }[key]

    def view(self, key: str) -> QWidget:
        """The section widget for ``key``, built on first use."""
        if key not in self.views:
            widget = self._factories[key]()
            index = self.SECTIONS.index(key)
            placeholder = self.stack.widget(index)
            self.stack.insertWidget(index, widget)
            self.stack.removeWidget(placeholder)
            placeholder.deleteLater()
            self.views[key] = widget
            self._wire(key, widget)
        return self.views[key]

    def _show_section(self, row: int) -> None:
        self.view(self.SECTIONS[row])
        self.stack.setCurrentIndex(row)

    def _wire(self, key: str, widget: QWidget) -> None:
        if key == "overview":
            widget.open_case.connect(self.show_case)
            widget.open_meeting.connect(self.show_meeting)
        elif key == "letters":
            widget.open_case.connect(self.show_case)
        elif key == "admin":
            widget.edit_profile.connect(self.edit_school_profile)
            widget.backup.connect(self.make_backup)
            widget.import_students.connect(lambda: self.import_people("students"))
            widget.import_staff.connect(lambda: self.import_people("staff"))
            widget.manage_people.connect(self.manage_people)
            widget.school_calendar.connect(self.edit_school_calendar)
            widget.manage_users.connect(self.manage_users)
            widget.manage_retention.connect(self.manage_retention)
            widget.show_audit.connect(lambda: self.go("audit") if "audit" in self.SECTIONS
                                      else None)
            widget.lock_minutes_changed.connect(self.session_lock.set_minutes)
            widget.encrypt_database.connect(self.encrypt_database)
            widget.make_recovery_key.connect(self.make_recovery_key)
            widget.grant_seal.connect(self.grant_seal)
        elif key == "students":
            widget.open_case.connect(self.show_case)
            widget.new_report.connect(lambda sid, label: self.new_report(student=(sid, label)))
        elif key == "cases":
            widget.opened.connect(self.show_case)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu(_("&File"))
        self._action(file_menu, _("&Open database…"), self.choose_database,
                     QKeySequence.StandardKey.Open)
        backup = self._action(file_menu, _("Make a &backup…"), self.make_backup)
        self._allowed(backup, self._may_backup(), self._backup_reason())
        file_menu.addSeparator()
        self._action(file_menu, _("Change &password…"), self.change_password)
        self._action(file_menu, _("&Lock"), self.lock, QKeySequence("Ctrl+L"))
        self._action(file_menu, _("Sign &out"), self.sign_out)
        file_menu.addSeparator()
        self._action(file_menu, _("&Quit"), self.close, QKeySequence.StandardKey.Quit)
        self._build_school_menu()
        if access.is_board(self.actor):
            return
        case_menu = self.menuBar().addMenu(_("&Report"))
        self._action(case_menu, _("&New report…"), lambda: self.new_report(),
                     QKeySequence.StandardKey.New)
        self._action(case_menu, _("New &signal…"), lambda: self.new_report(signal=True))
        go_menu = self.menuBar().addMenu(_("&Go"))
        for i, key in enumerate(self.SECTIONS, start=1):
            self._action(go_menu, self._nav_label(key), lambda _c=False, k=key: self.go(k),
                         QKeySequence(f"Ctrl+{i}"))
        go_menu.addSeparator()
        self._action(go_menu, _("&Search"), self.focus_search, QKeySequence.StandardKey.Find)
        self._action(go_menu, _("&Refresh"), self.refresh, QKeySequence.StandardKey.Refresh)
        admin_menu = self.menuBar().addMenu(_("&Administration"))
        from pestdesk.gui.admin.view import rights

        may = rights(self.actor)  # the Beheer page's rights: one rule for page and menu
        not_yours = _("Not part of your role; the administrator (beheerder) or the care "
                      "coordinator does this.")
        for text, slot, allowed in (
                (_("&School details…"), self.edit_school_profile, may.school),
                (None, None, True),
                (_("Import &students…"), lambda: self.import_people("students"),
                 may.import_people),
                (_("Import s&taff…"), lambda: self.import_people("staff"), may.import_people),
                (_("Staff and &classes…"), self.manage_people, may.staff),
                (_("&Retention period…"), self.manage_retention, may.retention),
                (_("School &calendar…"), self.edit_school_calendar, may.school)):
            if text is None:
                # the accounts and the role requests: not even shown to whom they are not for
                if may.users:
                    self._action(admin_menu, _("&Users…"), self.manage_users)
                if grants.may_see_grants(self.actor):
                    self._action(admin_menu, _("R&ole requests…"), self.manage_grants)
                admin_menu.addSeparator()
                continue
            self._allowed(self._action(admin_menu, text, slot), allowed, not_yours)
        language_menu = self.menuBar().addMenu(_("&Language"))
        for code, name in (("nl", "Nederlands"), ("en", "English")):
            action = self._action(language_menu, name,
                                  lambda _c=False, c=code: self.set_language(c))
            action.setCheckable(True)
            action.setChecked(code == i18n.language())
        help_menu = self.menuBar().addMenu(_("&Help"))
        self._action(help_menu, _("&About pestdesk"), self.about)

    def _build_school_menu(self) -> None:
        """Someone who works for several schools (two locations, the bestuur) chooses which
        one to see, or all of them; for one school there is nothing to choose."""
        self.school_actions: dict[int | None, QAction] = {}
        schools = access.my_schools(self.actor)
        if len(schools) < 2:
            return
        menu = self.menuBar().addMenu(_("S&chool"))
        group = QActionGroup(self)
        for school_id, name in [(None, _("All my schools")), *schools]:
            action = self._action(menu, name,
                                  lambda _c=False, s=school_id: self.switch_school(s))
            action.setCheckable(True)
            group.addAction(action)
            self.school_actions[school_id] = action
        self.school_actions[None].setChecked(True)

    def switch_school(self, school_id: int | None) -> None:
        """See one school (or all of the user's schools): open case windows close, every
        section reloads through the new scope."""
        try:
            access.enter(self.actor, school_id)
        except ServiceError as exc:
            QMessageBox.warning(self, "pestdesk", str(exc))
            return
        for window in list(self.case_windows.values()):
            window.close()
        self.case_windows.clear()
        if school_id in self.school_actions:
            self.school_actions[school_id].setChecked(True)
        self.refresh()

    def _may_backup(self) -> bool:
        from pestdesk.services import backups

        return backups.can_make_backups(self.actor)

    def _backup_reason(self) -> str:
        """Why this user makes no backup here (the tooltip of the greyed-out action)."""
        return backup_reason(self.actor, self.location)

    @staticmethod
    def _allowed(action: QAction, allowed: bool, reason: str) -> None:
        """An action this user may not take: greyed out, the reason as its tooltip."""
        action.setEnabled(allowed)
        if not allowed:
            action.setToolTip(reason)
            action.setStatusTip(reason)
            for widget in action.associatedObjects():
                if hasattr(widget, "setToolTipsVisible"):
                    widget.setToolTipsVisible(True)

    def _action(self, menu, text, slot, shortcut=None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_status_bar(self) -> None:
        self.db_label = QLabel(_("Database: {name} ({where})").format(
            name=self.location.name, where=self.location.where()))
        self.db_label.setToolTip(self.location.full)
        self.user_label = QLabel(_("Signed in as {user}").format(user=self.actor.username))
        self.statusBar().addWidget(self.db_label)
        self.grants_label = QLabel()  # role requests waiting for this user's decision
        self.grants_label.setObjectName("grantsWaiting")
        self.statusBar().addPermanentWidget(self.grants_label)
        self.statusBar().addPermanentWidget(self.user_label)
        self.update_grants_label()
        from pestdesk.gui.session.shared_db import SharedDatabaseStatus

        self.shared = SharedDatabaseStatus(self, demo=self.demo)  # presence, read-only flag

    def _restore_geometry(self) -> None:
        geometry = QSettings().value("main/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            screen = self.screen().availableGeometry()
            self.resize(min(1280, int(screen.width() * 0.92)),
                        min(800, int(screen.height() * 0.9)))

    # -- actions -------------------------------------------------------------------------
    def go(self, key: str) -> None:
        self.nav.setCurrentRow(self.SECTIONS.index(key))

    def current_key(self) -> str:
        return self.SECTIONS[self.stack.currentIndex()]

    def focus_search(self) -> None:
        view = self.stack.currentWidget()
        if hasattr(view, "focus_search"):
            view.focus_search()

    def show_meeting(self, meeting_id: int) -> None:
        self.go("meetings")
        self.view("meetings").open_meeting(meeting_id)

    def show_case(self, case_id: int) -> None:
        """Open the case in its own window, side by side with others (raised if open)."""
        from pestdesk.gui.case.view import CaseWindow

        windows = self.case_windows
        window = windows.get(case_id)
        if window is None:
            try:
                window = CaseWindow(self.actor, case_id)
            except ServiceError as exc:
                QMessageBox.warning(self, "pestdesk", str(exc))
                return
            window.closed.connect(lambda cid: windows.pop(cid, None))
            window.view.open_case.connect(self.show_case)
            window.view.changed.connect(lambda _id: self.refresh_for({ops.CASES}))
            windows[case_id] = window
        window.show()
        window.raise_()
        window.activateWindow()

    def new_report(self, signal: bool = False, student: tuple[int, str] | None = None) -> None:
        """Melding → Nieuwe melding (Ctrl+N) or Nieuw signaal; a saved case opens. The
        student whose card is open (or ``student``) is already in the list as gepeste."""
        from pestdesk.gui.case.report import ReportDialog

        if student is None and self.current_key() == "students" and "students" in self.views:
            student = self.views["students"].selected_student()
        dialog = ReportDialog(self.actor, self, signal=signal)
        if student is not None:
            dialog.students.preset(*student)
        self.report_dialog = dialog
        if dialog.exec() and dialog.case_id is not None:  # the lists refreshed on ops.bus
            self.show_case(dialog.case_id)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt name
        super().paintEvent(event)
        if not self._overview_scheduled:
            # the window (frame, navigation, menus) is painted first; the overview's queries
            # and widgets follow right after, instead of holding the first paint back
            self._overview_scheduled = True
            QTimer.singleShot(0, self, self._open_overview)  # dies with the window

    def showEvent(self, event) -> None:  # noqa: N802 - Qt name
        super().showEvent(event)
        if not self._overview_scheduled:  # platforms that never paint (tests, offscreen
            # without a backing store) still get their overview
            QTimer.singleShot(OVERVIEW_DELAY_MS, self, self._open_overview)

    def _open_overview(self) -> None:
        self._overview_scheduled = True
        if self.SECTIONS[self.nav.currentRow()] in self.views or not self.isVisible():
            return  # built already, or the window closed before its delayed build
        self._show_section(self.nav.currentRow())
        self.update_nav_counts()

    def update_nav_counts(self) -> None:
        if "cases" not in self.SECTIONS:  # the bestuur: figures only, no work to count
            return
        open_cases = overview_service.open_case_count(self.actor)
        item = self.nav.item(self.SECTIONS.index("cases"))
        item.setText(f"{self._nav_label('cases')}  ({format_number(open_cases)})")
        view = self.view("overview")
        overdue = view.urgent_count()  # overdue work, open notifications to the inspectorate
        item = self.nav.item(0)
        item.setText(f"{self._nav_label('overview')}  ({format_number(overdue)})"
                     if overdue else self._nav_label("overview"))
        item.setToolTip(view.urgent_help())  # what the number counts

    def refresh(self) -> None:
        for view in self.views.values():
            if hasattr(view, "refresh"):
                view.refresh()
        self.update_nav_counts()
        self.setWindowTitle(self._title())

    #: which sections show what a save changed (gui.common.ops parts); the others stay as they are
    SECTION_PARTS = {
        "overview": {ops.CASES, *ops.CASE_PARTS, ops.MEETINGS},
        "cases": {ops.CASES, ops.CASE, ops.LADDER, ops.STUDENTS},
        "students": {ops.CASES, ops.STUDENTS, ops.PEOPLE},
        "meetings": {ops.MEETINGS},
        "letters": {ops.LETTERS},
        "admin": {ops.SETTINGS, ops.BACKUPS, ops.USERS},
    }

    def refresh_for(self, parts) -> None:
        """Refresh only the sections that show ``parts`` (after a save: ``ops.bus``)."""
        for key, view in self.views.items():
            if set(parts) & self.SECTION_PARTS.get(key, set()) and hasattr(view, "refresh"):
                view.refresh()
        self.update_nav_counts()

    def _on_changes(self, changes) -> None:
        if self.isVisible():
            self.refresh_for(changes.parts)

    def edit_school_profile(self) -> None:
        if SchoolProfileDialog(self.actor, self).exec():
            self.refresh()

    def import_people(self, kind: str) -> None:
        """Beheer → import students or staff (``gui.admin.imports``)."""
        from pestdesk.gui.admin.imports import ImportDialog

        dialog = ImportDialog(self.actor, kind, self)
        dialog.imported.connect(lambda _result: self.refresh())
        dialog.exec()

    def manage_people(self) -> None:
        from pestdesk.gui.people.dialogs import PeopleDialog

        PeopleDialog(self.actor, self).exec()
        self.refresh()

    def choose_database(self) -> None:
        name, _filter = QFileDialog.getOpenFileName(
            self, _("Open database"),
            str(Path.home() if self.location.server else self.path.parent),
            _("pestdesk databases (*.sqlite *.pestdesk *.db);;All files (*)"))
        if name:
            self.open_database_requested.emit(Path(name))

    def make_backup(self) -> None:
        """A checked backup into the backup folder (Beheer shows and sets it) through the
        backups service: audit line, rotation, check; off the GUI thread."""
        from functools import partial

        from pestdesk.gui.common import ops
        from pestdesk.services import backups

        if not backups.can_make_backups(self.actor):
            QMessageBox.information(self, _("Backup"), self._backup_reason())
            return
        op = ops.Op(self, partial(backups.manual_backup, self.actor, self.path),
                    changes=ops.Changes.of(ops.BACKUPS), label=_("Making a backup…"))
        if op.titled(_("Backup")).failure(self._backup_refused).run():
            QMessageBox.information(self, _("Backup"), _(
                "Backup written and verified: {path}").format(path=op.result.path))

    def _backup_refused(self, exc: BaseException) -> bool:
        if isinstance(exc, OSError):  # the backup folder cannot be made or written
            QMessageBox.warning(self, _("Backup"), _(
                "The backup could not be written in {folder}. Choose another backup folder "
                "in Beheer.").format(folder=getattr(exc, "filename", "") or "—"))
            return True
        return False

    def make_recovery_key(self) -> None:
        """Beheer → New recovery key (the directie): the old sheet stops working."""
        from pestdesk.gui.admin.encryption import RecoveryKeyShownDialog
        from pestdesk.gui.common import ops
        from pestdesk.services import encryption

        answer = QMessageBox.question(self, _("New recovery key"), _(
            "Make a new recovery key? The key on the current sheet stops working at once; "
            "destroy that sheet once the new one is in the safe."))
        if answer != QMessageBox.StandardButton.Yes:
            return
        op = ops.Op(self, lambda: encryption.new_recovery_key(self.actor),
                    label=_("Making a new recovery key…")).titled(_("New recovery key"))
        if op.run():
            RecoveryKeyShownDialog(op.result, self.location.name, self.actor.username,
                                   self).exec()
            if "admin" in self.views:
                self.views["admin"].refresh()

    def grant_seal(self, name: str | None = None) -> None:
        """Beheer → Open sealed notes for… (a vertrouwenspersoon holding the seal, or the
        directeur after the recovery key): give a colleague the seal, e.g. after a reset."""
        from PySide6.QtWidgets import QInputDialog

        from pestdesk.services import encryption

        if name is None:
            names = encryption.seal_candidates()
            if not names:
                QMessageBox.information(self, _("Sealed notes"), _(
                    "Every vertrouwenspersoon with an account already holds the seal."))
                return
            name, ok = QInputDialog.getItem(self, _("Sealed notes"), _(
                "Give this vertrouwenspersoon the seal, so they can read the sealed notes:"),
                names, 0, False)
            if not ok:
                return
        if ops.Op(self, partial(encryption.grant_seal, self.actor, name)) \
                .titled(_("Sealed notes")).run() and "admin" in self.views:
            self.views["admin"].refresh()

    def encrypt_database(self) -> None:
        """Beheer → Encrypt the database (a beheerder): ``encryption.encrypt_existing`` off
        the GUI thread, with this window's own connection closed meanwhile; afterwards the
        window goes on with the encrypted file, opened with the beheerder's password."""
        from pestdesk.gui.admin.encryption import EncryptDialog, RecoveryKeyShownDialog
        from pestdesk.gui.common import ops
        from pestdesk.services import accounts, encryption
        from pestdesk.services.threads import close_thread_connection
        from pestdesk.store.db import open_database

        dialog = EncryptDialog(self.actor, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        password = dialog.password.text()
        # the password, checked here with the sign-in's throttle and audit line
        check = ops.Op(self, partial(accounts.unlock, self.actor, password, "password_check"))
        if not check.titled(_("Encrypt the database")).run():
            return
        actor = check.result
        self._open_overview()  # its deferred first build must not query during the op
        for window in list(self.case_windows.values()):
            window.close()
        self.session_lock.watcher.pause()
        self.shared.stop()
        close_thread_connection()  # the plain file is swapped: nothing of ours may hold it
        path, username = self.path, self.actor.username
        op = ops.Op(self, lambda: encryption.encrypt_file(path, actor, password),
                    label=_("Encrypting the database…")).titled(_("Encrypt the database"))
        try:
            done = op.run()
        finally:
            def reopen() -> None:  # the key slot's Argon2id: off the GUI thread too
                if encryption.is_encrypted(path):
                    encryption.unlock(path, username, password)
                else:
                    open_database(path, verify=False)

            ops.Op(self, reopen, label=_("Opening the database…")) \
                .titled(_("Encrypt the database")).run()
            self.shared.resume()
            self.session_lock.watcher.resume()
        if done:
            RecoveryKeyShownDialog(op.result, path.name, username, self).exec()
        self.refresh()

    def start_integrity_check(self) -> None:
        """quick_check off the GUI thread (damage: point to the newest good backup), then
        the daily backup when due (``gui.session.shared_db``)."""
        self._integrity_task = self.shared.start_checks()

    def edit_school_calendar(self) -> None:
        """Beheer → Schoolkalender (``gui.admin.calendar``)."""
        from pestdesk.gui.admin.calendar import CalendarDialog

        CalendarDialog(self.actor, self).exec()

    def manage_retention(self) -> None:
        from pestdesk.gui.admin.retention import RetentionDialog

        dialog = RetentionDialog(self.actor, self)
        dialog.view.purged.connect(lambda _counts: self.refresh())
        dialog.exec()

    def set_language(self, code: str) -> None:
        """Remember the interface language for this PC; it applies from the next start."""
        QSettings().setValue("language", code)
        QMessageBox.information(self, "pestdesk", _(
            "The new language takes effect the next time you start pestdesk."))

    def about(self) -> None:
        QMessageBox.about(self, _("About pestdesk"), _(
            "pestdesk {version}\n\nThe school's anti-bullying protocol as daily work for the "
            "care team: reports, the escalation ladder, meetings and letters.").format(
                version=__version__))

    def lock(self) -> None:
        self.session_lock.lock()

    def change_password(self) -> None:
        from pestdesk.gui.admin.users import ChangePasswordDialog

        if ChangePasswordDialog(self.actor, self).exec():
            QMessageBox.information(self, _("Change password"),
                                    _("Your password has been changed."))

    def update_grants_label(self) -> None:
        waiting = grants.pending_count(self.actor) if grants.may_confirm(self.actor) else 0
        self.grants_label.setText(ngettext(
            "{n} role request waits for you (Administration → Role requests)",
            "{n} role requests wait for you (Administration → Role requests)",
            waiting).format(n=format_number(waiting)) if waiting else "")
        self.grants_label.setVisible(bool(waiting))

    def manage_grants(self) -> None:
        from pestdesk.gui.admin.grants import GrantsDialog

        GrantsDialog(self.actor, self).exec()
        self.update_grants_label()

    def manage_users(self) -> None:
        from pestdesk.gui.admin.users import UsersDialog

        UsersDialog(self.actor, self, on_lock_minutes=self.session_lock.set_minutes).exec()

    def sign_out(self) -> None:
        """Record it and hand back to the app, which deletes this window and every other
        one of this user (``app.discard_session``) and asks who signs in next. The hand-over
        runs from the event loop, not from inside this window's own call stack."""
        from pestdesk.gui.common import ops
        from pestdesk.services import accounts

        # the audit line off the GUI thread; signing out is the safe way and never waits
        # for it: a colleague's lock past the retries or a read-only file only costs the
        # line (other refusals are said by the one handler)
        ops.Op(self, partial(accounts.record_sign_out, self.actor),
               label=_("Signing out…")).failure(
                   lambda exc: ops.error_kind(exc) in ("busy", "read_only")).run()
        self.shared.stop()  # gone from 'Also open by' before the next user signs in
        self.hide()
        QTimer.singleShot(0, self.sign_out_requested.emit)

    def discard(self) -> None:
        """Stop timers and watchers before the window is deleted (sign-out, switch)."""
        for window in list(self.case_windows.values()):
            window.close()
        self.case_windows.clear()
        self.session_lock.stop()
        self.shared.stop()
        QSettings().setValue("main/geometry", self.saveGeometry())

    def closeEvent(self, event) -> None:  # noqa: N802
        for window in list(self.case_windows.values()):
            window.close()
        self.session_lock.stop()
        self.shared.stop()
        QSettings().setValue("main/geometry", self.saveGeometry())
        super().closeEvent(event)
