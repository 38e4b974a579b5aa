"""Beheer: everything a beheerder or care coordinator sets up for the whole school, in groups
with a line of explanation each: School, People, Letters, Helplines, Database and Privacy.

Only what the signed-in actor may do is shown (``rights``); the services check every right
again. Buttons for work the main window already does (school details, imports, users,
retention, backups, the school calendar) emit a signal that ``MainWindow`` wires to its own
handlers; the letter dialogs, the helplines and the backup folder open from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QThreadPool, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from pestdesk import clock
from pestdesk.gui.common import ops
from pestdesk.gui.common.colors import HINT, RED
from pestdesk.gui.common.tasks import Task
from pestdesk.i18n import _, format_datetime, format_number, ngettext
from pestdesk.services import (
    access,
    backups,
    encryption,
    health,
    helplines,
    letters,
    presence,
    retention,
    settings,
)
from pestdesk.services import calendar as school_calendar
from pestdesk.services import users as users_service
from pestdesk.services.base import Actor, ServiceError
from pestdesk.services.location import as_target, location
from pestdesk.services.people import IMPORT_ROLES
from pestdesk.services.staff import STAFF_ROLES
from pestdesk.store.db import quick_check
from pestdesk.store.errors import StoreError

#: who may set the retention period and delete past it (``services.retention.purge``)
RETENTION_ROLES = ("beheerder", "ondersteuningscoordinator")
NOBODY = Actor(user_id=None, username="", roles=frozenset())
HINT_STYLE = f"color: {HINT};"


@dataclass(frozen=True)
class AdminRights:
    """What the Beheer page offers an actor; the services decide again on every change."""

    school: bool
    import_people: bool
    staff: bool
    users: bool
    letters: bool
    helplines: bool
    backups: bool
    retention: bool
    audit: bool
    lock: bool
    encrypt: bool  # a plain school: encrypt it
    recovery_key: bool  # an encrypted one: a new recovery key (the directie)


def rights(actor: Actor) -> AdminRights:
    admin = access.can_manage_users(actor)
    return AdminRights(
        school=actor.has_role(*settings.PROFILE_ROLES),
        import_people=actor.has_role(*IMPORT_ROLES),
        staff=actor.has_role(*STAFF_ROLES),
        users=admin,
        letters=letters.can_edit_templates(actor),
        helplines=actor.has_role(*helplines.EDIT_ROLES),
        backups=backups.can_make_backups(actor),
        retention=actor.has_role(*RETENTION_ROLES),
        audit=access.can_read_audit(actor),
        lock=admin,
        encrypt=access.may_handle_whole_database(actor),
        recovery_key=encryption.may_make_recovery_key(actor),
    )


def _hint(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet(HINT_STYLE)
    return label


def _value() -> QLabel:
    label = QLabel()
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class PathLabel(QLabel):
    """A file path elided in the middle to the width it gets; the full path on hover.
    A long network path must not make the page wider than the screen."""

    def __init__(self, path: object = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.set_path(path)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(self.fontMetrics().horizontalAdvance(self.full) + 4,
                     super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(80, super().minimumSizeHint().height())

    def set_path(self, path: object) -> None:
        self.full = str(path)
        self.setToolTip(self.full)
        self.updateGeometry()
        self._elide()

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        self.setText(self.fontMetrics().elidedText(self.full, Qt.TextElideMode.ElideMiddle,
                                                   max(40, self.width())))


class AdminView(QWidget):
    edit_profile = Signal()
    backup = Signal()
    import_students = Signal()
    import_staff = Signal()
    manage_people = Signal()
    school_calendar = Signal()
    manage_users = Signal()
    manage_retention = Signal()
    show_audit = Signal()
    lock_minutes_changed = Signal(int)
    integrity_checked = Signal(str)
    encrypt_database = Signal()
    make_recovery_key = Signal()
    grant_seal = Signal()

    def __init__(self, path: Path | str, actor: Actor | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.path = as_target(path)  # a file, or a server database's URL
        self.location = location(self.path)
        self.actor = actor or NOBODY
        self.rights = rights(self.actor)
        self.groups: dict[str, QGroupBox] = {}
        self.buttons: dict[str, QPushButton] = {}
        self._check_task: Task | None = None
        self.verdict: str | None = None
        ops.bus.changed.connect(self._on_changes)
        outer = QVBoxLayout(self)
        title = QLabel(_("Administration"))
        title.setObjectName("sectionTitle")
        outer.addWidget(title)
        outer.addWidget(_hint(_(
            "Settings for the whole school. You see what your role may change; ask the "
            "administrator (beheerder) for the rest.")))
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget()
        columns = QHBoxLayout(body)
        columns.setContentsMargins(0, 4, 8, 8)
        columns.setSpacing(16)
        left, right = QVBoxLayout(), QVBoxLayout()
        for column in (left, right):
            column.setSpacing(12)
            columns.addLayout(column, 1)
        self._school(left)
        self._people(left)
        self._letters(left)
        self._helplines(left)
        self._database(right)
        self._encryption(right)
        self._privacy(right)
        left.addStretch(1)
        right.addStretch(1)
        scroll.setWidget(body)
        outer.addWidget(scroll, 1)
        self.refresh()
        self.check_integrity()

    # -- building ------------------------------------------------------------------------
    def _group(self, key: str, title: str, explanation: str, column: QVBoxLayout
               ) -> QFormLayout:
        box = QGroupBox(title)
        layout = QVBoxLayout(box)
        layout.addWidget(_hint(explanation))
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        layout.addLayout(form)
        column.addWidget(box)
        self.groups[key] = box
        return form

    def _button_row(self, form: QFormLayout, items) -> QHBoxLayout:
        """Normal-sized buttons, left-aligned; only those the actor may use."""
        row = QHBoxLayout()
        for key, text, slot, allowed in items:
            button = QPushButton(text)
            button.clicked.connect(slot)
            button.setVisible(allowed)
            row.addWidget(button)
            self.buttons[key] = button
        row.addStretch(1)
        form.addRow(row)
        return row

    def _school(self, column: QVBoxLayout) -> None:
        form = self._group("school", _("School"), _(
            "The school's name and address go on every letter; the protocol preset decides "
            "the escalation ladder. Suspensions are counted in school days, so enter the "
            "holidays in the school calendar."), column)
        self.school_name, self.school_address = _value(), _value()
        self.protocol, self.calendar_state = _value(), _value()
        form.addRow(_("Name"), self.school_name)
        form.addRow(_("Address"), self.school_address)
        form.addRow(_("Protocol"), self.protocol)
        form.addRow(_("School calendar"), self.calendar_state)
        allowed = self.rights.school
        self._button_row(form, (
            ("profile", _("Edit school details…"), self.edit_profile, allowed),
            ("calendar", _("School calendar…"), self.school_calendar, allowed)))
        self.calendar_button = self.buttons["calendar"]

    def _people(self, column: QVBoxLayout) -> None:
        r = self.rights
        form = self._group("people", _("People"), _(
            "Import students and staff from the student information system (Magister, "
            "SOMtoday) at the start of the year and after changes; user accounts decide who "
            "signs in and with which role."), column)
        self._button_row(form, (
            ("import_students", _("Import students…"), self.import_students, r.import_people),
            ("import_staff", _("Import staff…"), self.import_staff, r.import_people),
            ("people", _("Staff and classes…"), self.manage_people, r.staff),
            ("users", _("Users…"), self.manage_users, r.users)))
        self.groups["people"].setVisible(r.import_people or r.staff or r.users)

    def _letters(self, column: QVBoxLayout) -> None:
        form = self._group("letters", _("Letters"), _(
            "The school's version of each letter, and where the address must stand for a "
            "window envelope."), column)
        self.window_state = _value()
        form.addRow(_("Envelope window"), self.window_state)
        self._button_row(form, (
            ("templates", _("Templates…"), self.open_templates, True),
            ("window", _("Envelope window…"), self.open_window_settings, True)))
        self.groups["letters"].setVisible(self.rights.letters)

    def _helplines(self, column: QVBoxLayout) -> None:
        form = self._group("helplines", _("Helplines"), _(
            "The helplines the case screens point students and parents to, such as the "
            "Kindertelefoon."), column)
        self.helpline_count = _value()
        form.addRow(_("Listed"), self.helpline_count)
        text = _("Edit helplines…") if self.rights.helplines else _("Show helplines…")
        self._button_row(form, (("helplines", text, self.open_helplines, True),))

    def _database(self, column: QVBoxLayout) -> None:
        server = self.location.server
        form = self._group("database", _("Database"), _(
            "A PostgreSQL server holds everything. The server's IT backs it up and restores "
            "it; pestdesk checks its rules at every start. A copy with pg_dump is for the "
            "board's IT.") if server else _(
            "One file holds everything. pestdesk checks it at every start and makes a "
            "checked backup once a day."), column)
        self.file_label = PathLabel(self.location.full)
        self.place = _value()
        self.place.setText(_("PostgreSQL server (its IT backs it up)") if server
                           else _("network share (safe shared mode)") if self.location.network
                           else _("local disk"))
        self.schema = _value()
        self.others, self.last_backup = _value(), _value()
        self.backup_folder, self.integrity = PathLabel(), _value()
        for label, widget in ((_("Server") if server else _("File"), self.file_label),
                              (_("Location"), self.place),
                              (_("Schema version"), self.schema),
                              (_("Also open by"), self.others),
                              (_("Last backup"), self.last_backup),
                              (_("Backup folder"), self.backup_folder),
                              (_("Integrity"), self.integrity)):
            form.addRow(label, widget)
        allowed = self.rights.backups
        self._button_row(form, (
            ("backup", _("Make a backup…"), self.backup, allowed),
            ("backup_folder", _("Backup folder…"), self.open_backup_settings, allowed),
            ("check", _("Check again"), self.check_integrity, allowed)))

    def _encryption(self, column: QVBoxLayout) -> None:
        form = self._group("encryption", _("Encryption"), _(
            "An encrypted file reads as noise without a user's password or the recovery key "
            "(backups too). Exports and printed letters are not encrypted: keep them safe "
            "yourself."), column)
        self.encryption_state, self.recovery_state = _value(), _value()
        self.encryption_state.setWordWrap(True)
        self.recovery_state.setWordWrap(True)
        form.addRow(_("State"), self.encryption_state)
        form.addRow(_("Recovery key"), self.recovery_state)
        self.seal_state = _value()
        self.seal_state.setWordWrap(True)
        form.addRow(_("Sealed notes"), self.seal_state)
        self._button_row(form, (
            ("encrypt", _("Encrypt the database…"), self.encrypt_database, False),
            ("recovery_key", _("New recovery key…"), self.make_recovery_key, False),
            ("grant_seal", _("Open sealed notes for…"), self.grant_seal, False)))

    def _refresh_encryption(self) -> None:
        if self.location.server:
            self._refresh_server_encryption()
            return
        try:
            state = encryption.status(self.path)
        except (ServiceError, StoreError) as exc:
            self.encryption_state.setText(str(exc))
            return
        if state.encrypted:
            self.encryption_state.setText(_(
                "Encrypted (SQLCipher 4); {n} users have a key slot; key file: {name}").format(
                    n=format_number(state.slots), name=state.key_file.name))
            self.recovery_state.setText(
                _("Opens the database and the vertrouwenspersoon's sealed notes")
                if state.recovery_opens_sealed_notes else
                _("Opens the database, not the sealed notes (a vertrouwenspersoon can "
                  "grant them to it)"))
            holders = encryption.seal_holders(self.path)
            self.seal_state.setText(
                _("Readable for: {names}").format(names=", ".join(holders)) if holders
                else _("No vertrouwenspersoon holds the seal yet"))
        else:
            self.encryption_state.setText(_("Not encrypted: whoever copies the file reads it."))
            self.recovery_state.setText(_("None (the file is not encrypted)"))
            self.seal_state.setText(_("Not sealed (the file is not encrypted)"))
        self.buttons["grant_seal"].setVisible(state.encrypted
                                              and encryption.may_grant_seal(self.actor))
        self.buttons["encrypt"].setVisible(self.rights.encrypt and not state.encrypted)
        self.buttons["recovery_key"].setVisible(self.rights.recovery_key and state.encrypted)

    def _refresh_server_encryption(self) -> None:
        """A server database: SQLCipher's file encryption and its recovery key do not apply
        (the server's IT protects its disks and backups); the buttons say so."""
        it = _("On a PostgreSQL server the server's IT protects the disks and the backups; "
               "encrypting a file and its recovery key do not apply.")
        self.encryption_state.setText(_("Not applicable: a PostgreSQL server database"))
        self.encryption_state.setToolTip(it)
        self.recovery_state.setText(_("None (no file to open)"))
        self.recovery_state.setToolTip(it)
        self.seal_state.setText(_("Not sealed on the server yet"))
        self.buttons["grant_seal"].setVisible(False)
        for key in ("encrypt", "recovery_key"):
            self.buttons[key].setVisible(self.rights.encrypt if key == "encrypt"
                                         else self.rights.recovery_key)
            self.buttons[key].setEnabled(False)
            self.buttons[key].setToolTip(it)

    def _privacy(self, column: QVBoxLayout) -> None:
        r = self.rights
        form = self._group("privacy", _("Privacy"), _(
            "Data about students is kept no longer than needed; the audit trail records who "
            "changed what; an unattended PC locks itself."), column)
        self.retention_state = _value()
        form.addRow(_("Retention period"), self.retention_state)
        self.lock_minutes = QSpinBox()
        self.lock_minutes.setRange(*users_service.LOCK_RANGE)
        self.lock_minutes.setSuffix(" " + _("minutes"))
        self.lock_state = _value()
        lock_row = QHBoxLayout()
        lock_row.addWidget(self.lock_minutes)
        save = QPushButton(_("Save"))
        save.clicked.connect(self.save_lock_minutes)
        self.buttons["lock"] = save
        lock_row.addWidget(save)
        lock_row.addWidget(self.lock_state, 1)
        for widget in (self.lock_minutes, save):
            widget.setVisible(r.lock)
        form.addRow(_("Lock after"), lock_row)
        self._button_row(form, (
            ("retention", _("Retention period…"), self.manage_retention, r.retention),
            ("audit", _("Audit trail"), self.show_audit, r.audit)))

    # -- showing -------------------------------------------------------------------------
    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        self.refresh()  # a backup or a colleague may have changed things meanwhile

    def _on_changes(self, changes: ops.Changes) -> None:
        """A backup, a setting or a user was saved: show it (when this page is shown)."""
        if self.isVisible() and changes.touches(ops.BACKUPS, ops.SETTINGS, ops.USERS):
            self.refresh()

    def refresh(self) -> None:
        from pestdesk.gui.session.dialogs import available_protocols

        p = settings.school_profile()
        self.school_name.setText(p.name or _("(not set)"))
        self.school_address.setText(", ".join(
            x for x in (p.street, f"{p.postcode} {p.city}".strip()) if x))
        names = dict(available_protocols())
        self.protocol.setText(names.get(p.protocol_code, p.protocol_code))
        periods = len(school_calendar.school_calendar().periods)
        self.calendar_state.setText(
            ngettext("{n} holiday or free day entered", "{n} holidays and free days entered",
                     periods).format(n=format_number(periods)) if periods
            else _("No holidays entered yet"))
        window = letters.window_settings()
        self.window_state.setText(_("{left} mm from the left, {top} mm from the top").format(
            left=format_number(window.left_mm), top=format_number(window.top_mm)))
        lines = len(helplines.list_helplines())
        self.helpline_count.setText(ngettext("{n} helpline", "{n} helplines", lines).format(
            n=format_number(lines)))
        self._refresh_database()
        self._refresh_encryption()
        years = retention.retention_years()
        self.retention_state.setText(ngettext(
            "{n} year after leaving school", "{n} years after leaving school", years).format(
            n=format_number(years)))
        minutes = users_service.lock_minutes()
        self.lock_minutes.setValue(minutes)
        if not self.rights.lock:
            self.lock_state.setText(ngettext(
                "{n} minute without use", "{n} minutes without use", minutes).format(
                n=format_number(minutes)))

    def _refresh_database(self) -> None:
        self.schema.setText(str(health.current_schema_version()))
        others = presence.others()
        self.others.setText(", ".join(
            f"{c.username} ({c.host})" if c.host else c.username for c in others)
            or _("nobody else"))
        cfg = backups.config(self.path)
        self.backup_folder.set_path(cfg.folder)
        self.backup_folder.setToolTip(str(cfg.folder) + "\n" + _("The newest {n} are kept.")
                                      .format(n=format_number(cfg.keep)))
        newest = next(iter(backups.list_backups(cfg.folder, self.location.stem)), None)
        if newest is None:
            self.last_backup.setText(_("None yet"))
        else:
            self.last_backup.setText(_("{when} (checked)").format(
                when=format_datetime(newest.made_at, "short")))
            self.last_backup.setToolTip(str(newest.path))

    # -- actions -------------------------------------------------------------------------
    def check_integrity(self) -> Task:
        """SQLite's quick_check (on a server: its rules) off the GUI thread; the verdict
        shows in the Database group."""
        self.integrity.setText(_("Checking…"))
        self.buttons["check"].setEnabled(False)
        path = self.path
        self._check_task = Task(lambda: quick_check(path))
        self._check_task.signals.done.connect(self._checked)
        self._check_task.signals.failed.connect(
            lambda exc: self._checked(str(exc) if isinstance(exc, StoreError)
                                      else type(exc).__name__))
        QThreadPool.globalInstance().start(self._check_task)
        return self._check_task

    def _checked(self, verdict: str) -> None:
        self.verdict = verdict
        self.buttons["check"].setEnabled(True)
        now = format_datetime(clock.now(), "short")
        if verdict == "ok":
            self.integrity.setText(_("In order (checked {when})").format(when=now))
            self.integrity.setStyleSheet("")
        else:
            self.integrity.setText(_("Damage found (checked {when})").format(when=now))
            self.integrity.setToolTip(_(
                "Stop working in this database; the administrator restores the newest good "
                "backup.") + "\n\n" + verdict[:500])
            self.integrity.setStyleSheet(f"color: {RED}; font-weight: 600;")
        self.integrity_checked.emit(verdict)

    def save_lock_minutes(self) -> None:
        minutes = self.lock_minutes.value()
        if not ops.run(self, partial(users_service.set_lock_minutes, self.actor, minutes),
                       changes=ops.Changes.of(ops.SETTINGS), show=self.lock_state.setText):
            return
        self.lock_state.setText(_("Saved."))
        self.lock_minutes_changed.emit(minutes)

    def _open(self, dialog: QDialog) -> QDialog:
        dialog.finished.connect(lambda _r: self.refresh())
        dialog.open()
        return dialog

    def open_templates(self) -> QDialog:
        from pestdesk.gui.letters.template_form import TemplateFormDialog

        return self._open(TemplateFormDialog(self.actor, self))

    def open_window_settings(self) -> QDialog:
        from pestdesk.gui.letters.dialogs import WindowSettingsDialog

        return self._open(WindowSettingsDialog(self.actor, self))

    def open_helplines(self) -> QDialog:
        from pestdesk.gui.admin.helplines import HelplinesDialog

        return self._open(HelplinesDialog(self.actor, self))

    def open_backup_settings(self) -> QDialog:
        from pestdesk.gui.admin.backup import BackupSettingsDialog

        return self._open(BackupSettingsDialog(self.actor, self.path, self))
