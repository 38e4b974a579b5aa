"""Small widgets the dialogs share."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from pestdesk.gui.common.colors import ERROR_STYLE


def error_label(hidden: bool = False, label: QLabel | None = None) -> QLabel:
    """The red, wrapping line under a form where a refusal is explained (``errorLabel``);
    ``label``: a Designer form's own label, made into that line."""
    label = label if label is not None else QLabel()
    label.setObjectName("errorLabel")
    label.setWordWrap(True)
    label.setStyleSheet(ERROR_STYLE)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setVisible(not hidden)
    return label


class ShowsErrors:
    """``show_error`` for a dialog with an error line in ``self.error`` (``error_label``):
    the message shown, or the line hidden when it is empty. The op path
    (``gui.common.ops.Op.errors_to(self.show_error)``) and the dialog's own checks both use it."""

    error: QLabel

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))

