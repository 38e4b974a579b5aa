"""Encryption at rest in the app: the recovery key shown once (with its printable sheet),
and encrypting a plain school from Beheer (docs/architecture.md, "Encryption at rest")."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pestdesk.gui.common.colors import ERROR_STYLE
from pestdesk.i18n import _
from pestdesk.services import encryption
from pestdesk.services.base import Actor, ServiceError
from pestdesk.store.errors import StoreError


class RecoveryKeyShownDialog(QDialog):
    """A new recovery key, shown this once: write it down or print its sheet.

    The key is never stored in clear; closing this dialog is the last time it is seen.
    """

    def __init__(self, recovery_key: str, database_name: str, made_by: str = "",
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.recovery_key = recovery_key
        self.database_name = database_name
        self.made_by = made_by
        self.saved: Path | None = None
        self.setWindowTitle(_("Recovery key"))
        layout = QVBoxLayout(self)
        intro = QLabel(_(
            "Write down this recovery key or print its sheet, and keep it somewhere safe, "
            "away from the computer (the directeur's safe). It opens the database when every "
            "password is lost. Whoever loses both the passwords and this key loses the data: "
            "nobody can recover it. It is shown only now."))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.key = QLabel(recovery_key)
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSize(13)
        font.setBold(True)
        self.key.setFont(font)
        self.key.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.key.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.key)
        self.note = QLabel(_(
            "The sheet is a PDF: print it, then delete the file (it must not stay on a disk "
            "or the share)."))
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        self.error = QLabel()
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.sheet_button = QPushButton(_("Save the sheet as PDF…"))
        buttons.addButton(self.sheet_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.sheet_button.clicked.connect(self.choose_sheet)
        buttons.rejected.connect(self.accept)
        layout.addWidget(buttons)
        self.resize(620, self.sizeHint().height())

    def choose_sheet(self) -> None:
        name, _filter = QFileDialog.getSaveFileName(
            self, _("Recovery key sheet"), _("recovery key {name}.pdf").format(
                name=Path(self.database_name).stem), _("PDF files (*.pdf)"))
        if name:
            self.save_sheet(Path(name))

    def save_sheet(self, path: Path) -> bool:
        try:
            self.saved = encryption.write_recovery_sheet(
                path, self.recovery_key, database_name=self.database_name,
                made_by=self.made_by)
        except (OSError, ServiceError, StoreError) as exc:
            self.error.setText(str(exc) if not isinstance(exc, OSError) else _(
                "The sheet could not be written: {reason}").format(reason=exc.strerror or exc))
            return False
        self.error.setText("")
        self.note.setText(_("Sheet written: {path}. Print it, then delete the file.").format(
            path=self.saved))
        return True


class EncryptDialog(QDialog):
    """Encrypt this (plain) school: what happens, and the beheerder's own password."""

    def __init__(self, actor: Actor, parent: QWidget | None = None):
        super().__init__(parent)
        self.actor = actor
        self.setWindowTitle(_("Encrypt the database"))
        layout = QVBoxLayout(self)
        text = QLabel(_(
            "pestdesk makes an encrypted copy of the database, checks it, and puts it in the "
            "place of the plain file, which is removed. Everyone else must close pestdesk "
            "first. Each user's own password opens the encrypted file; a key file is kept "
            "beside it (and beside every backup). Afterwards you get a recovery key: print "
            "it for the directeur's safe.\n\nBackups made before today stay unencrypted: "
            "remove them once the encrypted backups are there."))
        text.setWordWrap(True)
        layout.addWidget(text)
        form = QFormLayout()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow(_("Your password"), self.password)
        layout.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("Encrypt"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(560, self.sizeHint().height())
