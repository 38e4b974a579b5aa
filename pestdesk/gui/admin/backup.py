"""Beheer → Back-upmap: where the daily backup goes and how many copies are kept.

The setting is shared by every PC (``services.backups.save_config``, audited). The folder
is chosen with a folder dialog or typed; it is created when missing and must be writable,
otherwise nothing is saved. Empty means the default: a folder next to the database.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from pestdesk.gui.common import ops
from pestdesk.gui.common.limits import exempt
from pestdesk.gui.common.widgets import ShowsErrors, error_label
from pestdesk.i18n import _
from pestdesk.services import backups, settings
from pestdesk.services.base import Actor, ServiceError
from pestdesk.services.location import as_target

KEEP_RANGE = (1, 365)


def check_folder(folder: Path) -> None:
    """Create ``folder`` if needed and prove it takes a file; ServiceError if it cannot."""
    if not folder.is_absolute():
        raise ServiceError(_("Give the full path of the backup folder."))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=".pestdesk-write-test-", dir=folder)
        os.close(handle)
        os.unlink(name)
    except OSError as exc:
        raise ServiceError(_("pestdesk cannot write in the folder {folder} ({reason}).").format(
            folder=folder, reason=exc.strerror or type(exc).__name__)) from None


class BackupSettingsDialog(ShowsErrors, QDialog):
    def __init__(self, actor: Actor, db_path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.actor = actor
        self.db_path = as_target(db_path)  # a file, or a server database's URL
        self.setWindowTitle(_("Backup folder"))
        stored = settings.get_value(backups.SETTING_KEY, {}) or {}
        current = backups.config(self.db_path)
        self.default = backups.default_folder(self.db_path)
        layout = QVBoxLayout(self)
        intro = QLabel(_(
            "The server's IT backs up this database. Here you choose where a copy you make "
            "yourself with pg_dump goes: it holds every school in the database, so keep it "
            "as safe as the server.") if not backups.automatic_backups(self.db_path) else _(
            "pestdesk makes a checked backup every day, the first time someone opens the "
            "database. Choose a folder that is itself backed up, preferably on another disk "
            "or server than the database."))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.folder = exempt(QLineEdit(stored.get("folder") or ""),
                             "a folder; the service checks that it can be written")
        self.folder.setPlaceholderText(str(self.default))
        self.folder.setClearButtonEnabled(True)
        self.folder.setMinimumWidth(360)
        choose = QPushButton(_("Choose…"))
        choose.clicked.connect(self.choose)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(choose)
        form.addRow(_("Folder"), row)
        hint = QLabel(_("Leave empty for the default folder next to the database."))
        hint.setObjectName("countLabel")
        form.addRow("", hint)
        self.keep = QSpinBox()
        self.keep.setRange(*KEEP_RANGE)
        self.keep.setValue(min(max(current.keep, KEEP_RANGE[0]), KEEP_RANGE[1]))
        self.keep.setSuffix(" " + _("backups"))
        form.addRow(_("Keep the newest"), self.keep)
        layout.addLayout(form)
        self.error = error_label(hidden=True)
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def chosen_folder(self) -> Path | None:
        text = self.folder.text().strip()
        return Path(text).expanduser() if text else None

    def choose(self) -> None:
        start = str(self.chosen_folder() or backups.config(self.db_path).folder)
        name = QFileDialog.getExistingDirectory(self, _("Backup folder"), start)
        if name:
            self.folder.setText(str(Path(name)))

    def accept(self) -> None:
        folder = self.chosen_folder()
        keep = self.keep.value()

        def save() -> None:
            check_folder(folder or self.default)  # a network folder may answer slowly
            backups.save_config(self.actor, folder, keep)

        if ops.run(self, save, changes=ops.Changes.of(ops.BACKUPS, ops.SETTINGS),
                   show=self.show_error):
            super().accept()
