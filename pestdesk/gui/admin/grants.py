"""Beheer → Rolaanvragen: roles that open dossiers wait here for a directie member.

Lists the open requests first, then the latest decisions (``services.grants.grant_rows``, at
most a few hundred rows). Those who may decide (directie; another vertrouwenspersoon for a
vertrouwenspersoon's notes after a password reset; in a new school the care coordinator)
confirm or refuse the selected requests; the beheerder sees what became of what they asked.
Every rule is checked again in ``services.grants``.
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pestdesk.gui.common import ops
from pestdesk.gui.common.widgets import error_label
from pestdesk.i18n import N_, _, format_datetime
from pestdesk.services import grants, users
from pestdesk.services.base import Actor

KIND_LABELS = {
    "role": N_("role asked for"),
    "password": N_("password set by a beheerder"),
}
STATUS_LABELS = {
    "pending": N_("waiting"),
    "confirmed": N_("confirmed"),
    "refused": N_("refused"),
    "withdrawn": N_("withdrawn"),
}


class GrantsDialog(QDialog):
    COLUMNS = (N_("Staff member"), N_("Role"), N_("Why"), N_("Asked by"), N_("Asked on"),
               N_("Status"))

    def __init__(self, actor: Actor, parent: QWidget | None = None):
        super().__init__(parent)
        self.actor = actor
        self.setWindowTitle(_("Role requests"))
        self.resize(900, 480)
        layout = QVBoxLayout(self)
        intro = QLabel(_(
            "A role that opens dossiers counts only after a member of the directie has "
            "confirmed it; so does a role of an account whose password a beheerder has set. "
            "Nobody confirms their own request or their own roles."))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels([_(c) for c in self.COLUMNS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.confirm_button = QPushButton(_("Confirm"))
        self.confirm_button.clicked.connect(lambda: self.decide(True))
        self.refuse_button = QPushButton(_("Refuse"))
        self.refuse_button.clicked.connect(lambda: self.decide(False))
        self.confirm_all_button = QPushButton(_("Confirm all open requests"))
        self.confirm_all_button.clicked.connect(self.confirm_all)
        for button in (self.confirm_button, self.refuse_button, self.confirm_all_button):
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)
        self.message = error_label()
        layout.addWidget(self.message)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout.addWidget(close)
        self.rows: list[grants.GrantRow] = []
        self.reload()

    def reload(self) -> None:
        self.rows = grants.grant_rows(self.actor)
        self.table.setRowCount(len(self.rows))
        for i, g in enumerate(self.rows):
            role = _(users.ROLE_LABELS.get(g.role, g.role))
            status = _(STATUS_LABELS.get(g.status, g.status))
            if g.decided_by:
                status = f"{status} ({g.decided_by})"
            values = (f"{g.staff_code} — {g.staff_name}", role, _(KIND_LABELS.get(g.kind, g.kind)),
                      g.requested_by or _("command line"),
                      format_datetime(g.requested_at),
                      status)
            for column, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, g.id)
                self.table.setItem(i, column, item)
        self.table.resizeColumnsToContents()
        decidable = any(g.may_decide for g in self.rows)
        for button in (self.confirm_button, self.refuse_button, self.confirm_all_button):
            button.setEnabled(decidable)

    def selected_ids(self) -> list[int]:
        rows = {index.row() for index in self.table.selectionModel().selectedRows()}
        return [self.rows[r].id for r in sorted(rows)]

    def _run(self, ids: list[int], confirm: bool) -> None:
        self.message.clear()
        if not ids:
            self.message.setText(_("Select one or more open requests first."))
            return
        ops.Op(self, partial(grants.decide, self.actor, ids, confirm),
               changes=ops.Changes.of(ops.USERS)).errors_to(self.message.setText).run()
        self.reload()

    def decide(self, confirm: bool) -> None:
        self._run(self.selected_ids(), confirm)

    def confirm_all(self) -> None:
        self._run([g.id for g in self.rows if g.may_decide], True)
