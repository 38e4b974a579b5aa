"""Gebruikers: the beheerder's account management, and every user's own password.

``UsersDialog`` lists the accounts (a ``ListModel`` over ``services.users.UserList``) with
buttons to add an account for a staff member, set roles and departments, reset a password
and disable or enable an account, plus the idle-lock minutes. ``ChangePasswordDialog`` is
for the signed-in user. Every rule is checked again in ``services.users``.
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from pestdesk.gui.common import ops
from pestdesk.gui.common.limits import exempt, limit
from pestdesk.gui.common.models import ListModel
from pestdesk.gui.common.widgets import error_label
from pestdesk.i18n import _
from pestdesk.importers.staff import ROLE_CODES
from pestdesk.services import grants, users
from pestdesk.services.base import Actor, Conflict, ServiceError


def _password_edit() -> QLineEdit:
    edit = exempt(QLineEdit(), "a password is hashed; its rules are checked on saving")
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


class _FormDialog(QDialog):
    """A form with OK/Cancel and an error line. ``save()`` reads the form (on the GUI
    thread) and returns the service call, which runs on the op path (``gui.common.ops``: off the
    GUI thread, every refusal to the one handler, shown in the error line); ``save()``
    raises ServiceError to refuse before anything is asked of the database."""

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.layout_ = QVBoxLayout(self)
        self.form = QFormLayout()
        self.layout_.addLayout(self.form)
        self.error = error_label()
        self.layout_.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.layout_.addWidget(self.buttons)

    def save(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def accept(self) -> None:
        try:
            work = self.save()
        except ServiceError as exc:
            ops.handle_error(self, exc, show=self.error.setText)
            return
        if ops.Op(self, work, changes=ops.Changes.of(ops.USERS)) \
                .errors_to(self.error.setText).run():
            super().accept()


class NewUserDialog(_FormDialog):
    def __init__(self, actor: Actor, parent: QWidget | None = None):
        super().__init__(_("New user"), parent)
        self.actor = actor
        self.staff = QComboBox()
        for staff_id, label in users.staff_without_account(actor):
            self.staff.addItem(label, staff_id)
        self.username = limit(QLineEdit(), "user", "username")
        self.password = _password_edit()
        self.password2 = _password_edit()
        self.form.addRow(_("Staff member"), self.staff)
        self.form.addRow(_("User name"), self.username)
        self.form.addRow(_("Initial password"), self.password)
        self.form.addRow(_("Password again"), self.password2)
        if self.staff.count() == 0:
            self.error.setText(_("Every active staff member already has an account. Add the "
                                 "staff member first (Administration → Staff and classes)."))

    def save(self):
        if self.staff.currentData() is None:
            raise ServiceError(_("Choose a staff member."))
        return partial(users.create_user, self.actor, self.staff.currentData(),
                       self.username.text(), self.password.text(), self.password2.text())


class ResetPasswordDialog(_FormDialog):
    def __init__(self, actor: Actor, user_id: int, username: str,
                 parent: QWidget | None = None):
        super().__init__(_("Reset password"), parent)
        self.actor, self.user_id = actor, user_id
        self.form.addRow(_("User name"), QLabel(username))
        self.password = _password_edit()
        self.password2 = _password_edit()
        self.form.addRow(_("New password"), self.password)
        self.form.addRow(_("Password again"), self.password2)

    def save(self):
        return partial(users.reset_password, self.actor, self.user_id, self.password.text(),
                       self.password2.text())


class RolesDialog(_FormDialog):
    """Roles of the staff member behind an account; departments for a department role."""

    def __init__(self, actor: Actor, detail: users.UserDetail, parent: QWidget | None = None):
        super().__init__(_("Roles"), parent)
        self.actor, self.detail = actor, detail
        self.form.addRow(_("Staff member"), QLabel(detail.staff_name or detail.username))
        self.roles: dict[str, QCheckBox] = {}
        box = QVBoxLayout()
        for code in ROLE_CODES:
            check = QCheckBox(_(users.ROLE_LABELS.get(code, code)))
            check.setChecked(code in detail.roles)
            self.roles[code] = check
            box.addWidget(check)
        self.form.addRow(_("Roles"), box)
        self.departments = QListWidget()
        self.departments.setMaximumHeight(120)
        for name in sorted(set(users.departments()) | set(detail.departments)):
            item = QListWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if name in detail.departments
                               else Qt.CheckState.Unchecked)
            self.departments.addItem(item)
        self.form.addRow(_("Departments"), self.departments)
        hint = QLabel(_("A head of department sees the cases of the students in the "
                        "departments ticked here."))
        hint.setWordWrap(True)
        self.form.addRow(hint)

    def chosen_departments(self) -> list[str]:
        return [self.departments.item(i).text() for i in range(self.departments.count())
                if self.departments.item(i).checkState() == Qt.CheckState.Checked]

    def save(self):
        if self.detail.staff_id is None:
            raise ServiceError(_("This account has no staff member."))
        roles = [code for code, check in self.roles.items() if check.isChecked()]
        return partial(users.set_roles, self.actor, self.detail.staff_id, roles,
                       self.chosen_departments(), self.detail.staff_version)


class ChangePasswordDialog(_FormDialog):
    """The signed-in user's own password: the current one, then the new one twice."""

    def __init__(self, actor: Actor, parent: QWidget | None = None, forced: bool = False):
        super().__init__(_("Change password"), parent)
        self.actor = actor
        if forced:
            why = QLabel(_("Your password was set by a beheerder. Choose your own password "
                           "now: at least 12 characters, not a commonly used one."))
            why.setWordWrap(True)
            self.form.addRow(why)
        self.old = _password_edit()
        self.new = _password_edit()
        self.new2 = _password_edit()
        self.form.addRow(_("Current password"), self.old)
        self.form.addRow(_("New password"), self.new)
        self.form.addRow(_("New password again"), self.new2)

    def save(self):
        return partial(users.change_own_password, self.actor, self.old.text(),
                       self.new.text(), self.new2.text())


class UsersDialog(QDialog):
    """Beheer → Gebruikers: the accounts, and what a beheerder may do with them."""

    def __init__(self, actor: Actor, parent: QWidget | None = None, on_lock_minutes=None):
        super().__init__(parent)
        self.actor = actor
        self.on_lock_minutes = on_lock_minutes
        self.setWindowTitle(_("Users"))
        self.resize(820, 520)
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.search = exempt(QLineEdit(), "searches the users")
        self.search.setPlaceholderText(_("Search by user name or name…"))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda t: self._filter(text=t))
        self.include_inactive = QCheckBox(_("Show disabled accounts"))
        self.include_inactive.toggled.connect(lambda on: self._filter(include_inactive=on))
        bar.addWidget(self.search, 1)
        bar.addWidget(self.include_inactive)
        layout.addLayout(bar)
        self.model = ListModel(users.UserList(actor=actor, order_key="username"), self,
                               {"roles": self._roles_text})
        self.table = QTableView()
        self.table.setModel(self.model)
        # Qt's header starts at 'descending': without this, enabling sorting re-sorted Z-A
        self.table.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        for i, width in enumerate((130, 200, 260, 60)):
            self.table.setColumnWidth(i, width)
        self.table.doubleClicked.connect(lambda _i: self.edit_roles())
        layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        self.new_button = QPushButton(_("New user…"))
        self.new_button.clicked.connect(self.new_user)
        self.roles_button = QPushButton(_("Roles…"))
        self.roles_button.clicked.connect(self.edit_roles)
        self.reset_button = QPushButton(_("Reset password…"))
        self.reset_button.clicked.connect(self.reset_password)
        self.active_button = QPushButton(_("Disable / enable"))
        self.active_button.clicked.connect(self.toggle_active)
        for button in (self.new_button, self.roles_button, self.reset_button,
                       self.active_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        lock_row = QHBoxLayout()
        lock_row.addWidget(QLabel(_("Lock the screen after this many minutes without use:")))
        self.lock_minutes = QSpinBox()
        self.lock_minutes.setRange(*users.LOCK_RANGE)
        self.lock_minutes.setValue(users.lock_minutes())
        lock_row.addWidget(self.lock_minutes)
        save_lock = QPushButton(_("Save"))
        save_lock.clicked.connect(self.save_lock_minutes)
        lock_row.addWidget(save_lock)
        lock_row.addStretch(1)
        layout.addLayout(lock_row)
        self.message = error_label()
        layout.addWidget(self.message)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout.addWidget(close)

    @staticmethod
    def _roles_text(value: object) -> str:
        return ", ".join(_(users.ROLE_LABELS.get(code, code)).split(" (")[0]
                         for code in str(value or "").split(",") if code)

    def _filter(self, **filters) -> None:
        self.model.set_filters(**filters)

    def selected_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.record_id(rows[0].row()) if rows else None

    def _run(self, action) -> bool:
        """``action`` on the op path; a refusal in the message line; the list read again."""
        self.message.clear()

        def someone_else(exc: BaseException) -> bool:
            # the list is read again below: a conflict needs no compare dialog here
            if isinstance(exc, Conflict):
                self.message.setText(str(exc))
                return True
            return False

        done = ops.Op(self, action, changes=ops.Changes.of(ops.USERS)) \
            .errors_to(self.message.setText).failure(someone_else).run()
        self.model.reload()
        return done

    def new_user(self) -> None:
        if NewUserDialog(self.actor, self).exec():
            self.model.reload()

    def edit_roles(self) -> None:
        user_id = self.selected_id()
        if user_id is None:
            return
        op = ops.Op(self, partial(users.user_detail, self.actor, user_id)) \
            .errors_to(self.message.setText)
        if not op.run():
            return
        detail = op.result
        if RolesDialog(self.actor, detail, self).exec():
            self.model.reload()
            waiting = grants.pending_roles(detail.staff_id) if detail.staff_id else set()
            if waiting:
                self.message.setText(_(
                    "These roles open dossiers and count once a member of the directie has "
                    "confirmed them (Administration → Role requests): {roles}.").format(
                        roles=", ".join(_(users.ROLE_LABELS.get(r, r)) for r in sorted(waiting))))

    def reset_password(self) -> None:
        user_id = self.selected_id()
        if user_id is None:
            return
        detail = users.user_detail(self.actor, user_id)
        if ResetPasswordDialog(self.actor, user_id, detail.username, self).exec():
            QMessageBox.information(self, _("Reset password"), _(
                "The password has been reset. Give it to the user in person: they must "
                "choose their own password when they next sign in. Their roles that open "
                "dossiers wait until a member of the directie confirms them again "
                "(Administration → Role requests)."))
            self.model.reload()

    def toggle_active(self) -> None:
        user_id = self.selected_id()
        if user_id is None:
            return
        detail = users.user_detail(self.actor, user_id)
        self._run(lambda: users.set_active(self.actor, user_id, not detail.active,
                                           detail.version))

    def save_lock_minutes(self) -> None:
        minutes = self.lock_minutes.value()
        if self._run(partial(users.set_lock_minutes, self.actor, minutes)) \
                and self.on_lock_minutes is not None:
            self.on_lock_minutes(minutes)
