"""The conflict dialog every edit dialog shows when its save was refused with ``Conflict``.

Someone else saved the record after this user opened it. Nothing was overwritten; the
dialog lists, field by field, the user's value next to the value now stored, and offers to
reload. With "put my changes back" (on by default) the edit dialog reloads the record and
re-applies the user's own edits on top, so they can check and save again; their colleague's
changes to other fields are kept. Cancel returns to the form as it was.

Usage in an edit dialog::

    try:
        with write():
            save_versioned(actor, record, read_version, **changes)
    except Conflict as exc:
        choice = ConflictDialog.ask(self, exc, changes, original, labels)
        if choice.reload:
            self.load(reapply(exc.current, changes) if choice.reapply else exc.current)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pestdesk.i18n import _, format_date, format_datetime
from pestdesk.services.base import Conflict

TECHNICAL = {"id", "version", "created_at", "updated_at"}


@dataclass(frozen=True)
class ConflictChoice:
    reload: bool
    reapply: bool


def changed_fields(current: dict, mine: dict, original: dict | None = None) -> list[str]:
    """Fields to show: what the user changed plus what the other person changed."""
    keys = [k for k in mine if k not in TECHNICAL and mine[k] != current.get(k)]
    if original:
        keys += [k for k in current
                 if k not in TECHNICAL and k not in keys and k in original
                 and _norm(original[k]) != _norm(current[k])]
    return keys


def reapply(current: dict, mine: dict) -> dict:
    """The stored record with the user's own edits put back on top."""
    merged = dict(current)
    merged.update({k: v for k, v in mine.items() if k not in TECHNICAL})
    return merged


def _norm(value):
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value


def show_value(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dt.datetime):
        return format_datetime(value)
    if isinstance(value, dt.date):
        return format_date(value)
    text = str(value)
    return text if len(text) <= 200 else text[:199] + "…"


class ConflictDialog(QDialog):
    """Field / your value / their value, with Reload and Cancel."""

    def __init__(self, conflict: Conflict, mine: dict, original: dict | None = None,
                 labels: dict[str, str] | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(_("Someone else saved first"))
        labels = labels or {}
        layout = QVBoxLayout(self)
        intro = QLabel(_(
            "Someone else saved this record while you were editing it. Nothing has been "
            "overwritten. Compare the values below, then reload to continue from their "
            "version."))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        fields = changed_fields(conflict.current, mine, original)
        self.table = QTableWidget(len(fields), 3, self)
        self.table.setHorizontalHeaderLabels([_("Field"), _("Your value"), _("Their value")])
        for row, key in enumerate(fields):
            values = (labels.get(key, key), show_value(mine.get(key, conflict.current.get(key))),
                      show_value(conflict.current.get(key)))
            for col, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(row, col, item)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table)
        self.keep_mine = QCheckBox(_("Put my changes back after reloading"))
        self.keep_mine.setChecked(True)
        layout.addWidget(self.keep_mine)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.reload_button = buttons.addButton(_("&Reload"),
                                               QDialogButtonBox.ButtonRole.AcceptRole)
        self.reload_button.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(640, 320)

    def choice(self) -> ConflictChoice:
        accepted = self.result() == QDialog.DialogCode.Accepted
        return ConflictChoice(reload=accepted, reapply=accepted and self.keep_mine.isChecked())

    @classmethod
    def ask(cls, parent: QWidget | None, conflict: Conflict, mine: dict,
            original: dict | None = None, labels: dict[str, str] | None = None
            ) -> ConflictChoice:
        dialog = cls(conflict, mine, original, labels, parent)
        dialog.exec()
        return dialog.choice()
