"""Beheer → Hulplijnen: the school's helplines (Kindertelefoon, Veilig Thuis, a local service)
that the case screens refer students and parents to.

``HelplinesDialog`` lists them with Add, Edit and Remove for the care coordinator and the
beheerder (``services.helplines.EDIT_ROLES``); everyone else reads the list. The list is the
school's own short table (a few dozen lines at most), so it is read whole. Every change goes
through ``services.helplines``: validated, version-checked and audited. A save over someone
else's newer version is refused and the conflict dialog offers to reload with the user's
edits put back; a removal of a changed line is refused and the list reloads.
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pestdesk.gui.common import ops
from pestdesk.gui.common.conflict import ConflictDialog, reapply
from pestdesk.gui.common.limits import limit
from pestdesk.gui.common.widgets import ShowsErrors, error_label
from pestdesk.i18n import _
from pestdesk.services import access
from pestdesk.services import helplines as service
from pestdesk.services.base import Actor, Conflict, ServiceError

COLUMNS = ("name", "topic", "phone", "url")


def can_edit(actor: Actor) -> bool:
    """May ``actor`` change the list (the service checks again)."""
    return actor.has_role(*service.EDIT_ROLES) or access.is_system(actor)


def _values(line: service.HelplineLine) -> dict[str, str]:
    return {name: getattr(line, name) or "" for name in service.EDITABLE}


class HelplineEditDialog(ShowsErrors, QDialog):
    """Add a helpline, or edit one as it was read (``helpline_id`` and its version)."""

    def __init__(self, actor: Actor, helpline_id: int | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.actor = actor
        self.helpline_id = helpline_id
        self.setWindowTitle(_("New helpline") if helpline_id is None else _("Edit helpline"))
        layout = QVBoxLayout(self)
        self.form = QFormLayout()
        self.fields: dict[str, QLineEdit | QPlainTextEdit] = {
            "name": QLineEdit(), "topic": QLineEdit(), "phone": QLineEdit(),
            "url": QLineEdit(), "description": QPlainTextEdit()}
        for name, widget in self.fields.items():  # as long as the service stores
            limit(widget, "helpline", name)
        self.fields["topic"].setPlaceholderText(_("e.g. cyberbullying, home situation"))
        self.fields["phone"].setPlaceholderText("0800-0432")
        self.fields["url"].setPlaceholderText("www.kindertelefoon.nl")
        self.fields["description"].setPlaceholderText(_("Who it is for, opening hours…"))
        self.fields["description"].setTabChangesFocus(True)
        self.fields["description"].setFixedHeight(80)
        for name, label in self.labels().items():
            self.form.addRow(label, self.fields[name])
        layout.addLayout(self.form)
        self.error = error_label(hidden=True)
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.read_version = 0
        self.original: dict[str, str] = dict.fromkeys(service.EDITABLE, "")
        if helpline_id is not None:
            self.load()
        self.resize(460, self.sizeHint().height())

    @staticmethod
    def labels() -> dict[str, str]:
        return {"name": _("Name"), "topic": _("Topic"), "phone": _("Phone"),
                "url": _("Website"), "description": _("Description")}

    def load(self, values: dict | None = None) -> None:
        """Read the stored line (its version) and show ``values`` or the stored fields."""
        line = service.get_helpline(self.helpline_id)
        self.read_version = line.version
        self.original = _values(line)
        self.fill(values or self.original)

    def fill(self, values: dict) -> None:
        for name, widget in self.fields.items():
            text = str(values.get(name) or "")
            if isinstance(widget, QPlainTextEdit):
                widget.setPlainText(text)
            else:
                widget.setText(text)

    def collect(self) -> dict[str, str]:
        return {name: (w.toPlainText() if isinstance(w, QPlainTextEdit) else w.text()).strip()
                for name, w in self.fields.items()}

    def accept(self) -> None:
        values = self.collect()
        helpline_id, read_version = self.helpline_id, self.read_version

        def save() -> int:
            if helpline_id is None:
                return service.add_helpline(self.actor, **values).id
            service.edit_helpline(self.actor, helpline_id, read_version, **values)
            return helpline_id

        def refused(exc: BaseException) -> bool:
            if isinstance(exc, Conflict):  # this dialog compares and reloads itself
                self.show_error(str(exc))
                self._resolve(exc, values)
                return True
            if isinstance(exc, service.HelplineError):
                self.show_error(str(exc))
                first = next(iter(exc.problems), None)
                if first in self.fields:
                    self.fields[first].setFocus()
                return True
            return False

        op = ops.Op(self, save, changes=ops.Changes.of(ops.SETTINGS))
        if not op.errors_to(self.show_error).failure(refused).run():
            return
        self.helpline_id = op.result
        super().accept()

    def _resolve(self, exc: Conflict, mine: dict) -> None:
        """Someone saved this line first: compare, then reload (with my edits back)."""
        current = {k: v for k, v in (exc.current or {}).items() if k in service.EDITABLE}
        # only the fields this user changed go back on top: the colleague's changes stay
        changed = {k: v for k, v in mine.items() if v != self.original.get(k)}
        choice = ConflictDialog.ask(self, exc, changed, self.original, self.labels())
        if not choice.reload:
            return
        try:
            self.load(reapply(current, changed) if choice.reapply else None)
        except ServiceError as gone:
            self.show_error(str(gone))


class HelplinesDialog(QDialog):
    """The school's helplines: read by all, kept by the care coordinator and beheerder."""

    def __init__(self, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.actor = actor
        self.setWindowTitle(_("Helplines"))
        layout = QVBoxLayout(self)
        intro = QLabel(_("The helplines the case screens point students and parents to, for "
                         "instance with cyberbullying. They came from the protocol preset; "
                         "keep numbers and websites up to date here."))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.table = QTableWidget(0, len(COLUMNS))
        labels = HelplineEditDialog.labels()
        self.table.setHorizontalHeaderLabels([labels[c] for c in COLUMNS])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)  # the topic
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        for column, width in ((0, 200), (3, 220)):
            self.table.setColumnWidth(column, width)
        layout.addWidget(self.table, 1)
        self.message = error_label()
        layout.addWidget(self.message)
        row = QHBoxLayout()
        self.add_button = QPushButton(_("Add…"))
        self.add_button.clicked.connect(self.add)
        self.edit_button = QPushButton(_("Edit…"))
        self.edit_button.clicked.connect(self.edit)
        self.remove_button = QPushButton(_("Remove…"))
        self.remove_button.clicked.connect(self.remove)
        for button in (self.add_button, self.edit_button, self.remove_button):
            button.setVisible(can_edit(actor))
            row.addWidget(button)
        row.addStretch(1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        row.addWidget(close)
        layout.addLayout(row)
        if can_edit(actor):
            self.table.doubleClicked.connect(lambda _i: self.edit())
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.resize(900, 440)
        self.reload()

    def reload(self, select: int | None = None) -> None:
        """Fill the table from the database (seeding from the preset on first use)."""
        self.lines = service.list_helplines()
        self.table.setRowCount(len(self.lines))
        for row, line in enumerate(self.lines):
            for col, name in enumerate(COLUMNS):
                item = QTableWidgetItem(getattr(line, name) or "")
                item.setData(Qt.ItemDataRole.UserRole, line.id)
                if line.description:
                    item.setToolTip(line.description)
                self.table.setItem(row, col, item)
            if line.id == select:
                self.table.selectRow(row)
        self._selection_changed()

    def selected(self) -> service.HelplineLine | None:
        rows = self.table.selectionModel().selectedRows()
        return self.lines[rows[0].row()] if rows else None

    def _selection_changed(self) -> None:
        chosen = self.selected() is not None
        self.edit_button.setEnabled(chosen)
        self.remove_button.setEnabled(chosen)

    def add(self) -> HelplineEditDialog:
        return self._open(HelplineEditDialog(self.actor, None, self))

    def edit(self) -> HelplineEditDialog | None:
        line = self.selected()
        if line is None:
            return None
        try:
            dialog = HelplineEditDialog(self.actor, line.id, self)
        except ServiceError as exc:
            self.message.setText(str(exc))
            self.reload()
            return None
        return self._open(dialog)

    def _open(self, dialog: HelplineEditDialog) -> HelplineEditDialog:
        dialog.accepted.connect(lambda: self.reload(select=dialog.helpline_id))
        dialog.open()
        return dialog

    def remove(self) -> None:
        line = self.selected()
        if line is None:
            return
        answer = QMessageBox.question(
            self, _("Remove helpline"),
            _("Remove '{name}' from the school's helplines?").format(name=line.name))
        if answer == QMessageBox.StandardButton.Yes:
            self.remove_line(line)

    def remove_line(self, line: service.HelplineLine) -> bool:
        """Remove ``line`` as it was read; a line changed meanwhile is kept."""
        self.message.clear()
        def changed_meanwhile(exc: BaseException) -> bool:
            if isinstance(exc, Conflict):
                self.message.setText(_("Someone else changed this helpline in the meantime; "
                                       "it was not removed. The list shows the current "
                                       "version."))
                self.reload(select=line.id)
                return True
            return False

        op = ops.Op(self, partial(service.remove_helpline, self.actor, line.id, line.version),
                    changes=ops.Changes.of(ops.SETTINGS))
        removed = op.errors_to(self.message.setText).failure(changed_meanwhile).run()
        if not isinstance(op.error, Conflict):  # (a conflict reloaded already)
            self.reload()
        return removed
