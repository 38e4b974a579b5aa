"""The field lengths of ``services.lengths`` on the widgets that edit those fields: one call
per text input, ``limit(widget, table, field)``, so a user cannot type more than is stored.

A ``QLineEdit`` gets the number as ``maxLength``; a multi-line edit refuses what goes beyond
it (typed or pasted: the text is cut back, the cursor kept) and says "At most N characters"
beside the cursor. A text input that saves into no limited field (a search box, a password,
a file path) is marked with ``exempt(widget, why)``; tests/gui/test_field_limits.py walks
the dialogs and checks that every editable text input is one or the other.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QLineEdit, QPlainTextEdit, QTextEdit, QToolTip, QWidget

from pestdesk.i18n import _, format_number
from pestdesk.services import lengths

LIMIT_PROPERTY = "pestdeskMaxLength"
EXEMPT_PROPERTY = "pestdeskNoLimit"


def hint(limit: int) -> str:
    return _("At most {limit} characters").format(limit=format_number(limit))


class _Guard(QObject):
    """Cuts a multi-line edit's text back to ``limit`` characters after every change."""

    def __init__(self, edit: QPlainTextEdit | QTextEdit, limit: int):
        super().__init__(edit)
        self.edit, self.limit = edit, limit
        edit.textChanged.connect(self._check)

    def _check(self) -> None:
        edit = self.edit
        text = edit.toPlainText()
        excess = len(text) - self.limit
        if excess <= 0:
            return
        cursor = edit.textCursor()
        position = cursor.position()
        start = max(0, min(position - excess, self.limit))  # drop what was just put in
        cut = QTextCursor(edit.document())
        cut.setPosition(start)
        cut.setPosition(min(start + excess, len(text)), QTextCursor.MoveMode.KeepAnchor)
        cut.removeSelectedText()
        if len(edit.toPlainText()) > self.limit:  # e.g. the cursor was not where it grew
            cut.setPosition(self.limit)
            cut.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
            cut.removeSelectedText()
        cursor.setPosition(min(start, len(edit.toPlainText())))
        edit.setTextCursor(cursor)
        QToolTip.showText(edit.mapToGlobal(edit.cursorRect().bottomLeft()), hint(self.limit),
                          edit)


def limit(widget: QWidget, table: str, field: str) -> QWidget:
    """Let ``widget`` take at most as many characters as ``table.field`` stores."""
    most = lengths.max_length(table, field)
    if most is None:
        raise ValueError(f"{table}.{field} has no length in services.lengths")
    widget.setProperty(LIMIT_PROPERTY, most)
    if isinstance(widget, QLineEdit):
        widget.setMaxLength(most)
    elif isinstance(widget, (QPlainTextEdit, QTextEdit)):
        _Guard(widget, most)
        if not widget.toolTip():
            widget.setToolTip(hint(most))
    else:
        raise TypeError(type(widget).__name__)
    return widget


def exempt(widget: QWidget, why: str) -> QWidget:
    """Mark a text input that saves into no limited field (``why``: for the reader)."""
    widget.setProperty(EXEMPT_PROPERTY, why)
    return widget


def limit_of(widget: QWidget) -> int | None:
    value = widget.property(LIMIT_PROPERTY)
    return int(value) if value is not None else None
