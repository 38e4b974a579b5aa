"""Beheer: the database, the school's details, backups (imports and users come here too)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...i18n import _
from ...services import settings
from ...store.db import is_network_path, schema_version
from ...store.models import database


class AdminView(QWidget):
    edit_profile = Signal()
    backup = Signal()
    import_students = Signal()
    import_staff = Signal()
    manage_people = Signal()
    school_calendar = Signal()

    def __init__(self, path: Path, parent: QWidget | None = None):
        super().__init__(parent)
        self.path = path
        layout = QVBoxLayout(self)
        title = QLabel(_("Administration"))
        title.setObjectName("sectionTitle")
        layout.addWidget(title)

        school = QGroupBox(_("School"))
        self.school_form = QFormLayout(school)
        self.school_name = QLabel()
        self.school_address = QLabel()
        self.protocol = QLabel()
        self.school_form.addRow(_("Name"), self.school_name)
        self.school_form.addRow(_("Address"), self.school_address)
        self.school_form.addRow(_("Protocol"), self.protocol)
        edit = QPushButton(_("Edit school details…"))
        edit.clicked.connect(self.edit_profile)
        self.calendar_button = QPushButton(_("School calendar…"))
        self.calendar_button.clicked.connect(self.school_calendar)
        school_buttons = QHBoxLayout()
        school_buttons.addWidget(edit)
        school_buttons.addWidget(self.calendar_button)
        school_buttons.addStretch(1)
        self.school_form.addRow(school_buttons)
        layout.addWidget(school)

        db_box = QGroupBox(_("Database"))
        form = QFormLayout(db_box)
        form.addRow(_("File"), QLabel(str(path)))
        kind = _("network share (safe shared mode)") if is_network_path(path) else _("local disk")
        form.addRow(_("Location"), QLabel(kind))
        form.addRow(_("Schema version"), QLabel(str(schema_version(database.obj))))
        buttons = QHBoxLayout()
        backup = QPushButton(_("Make a backup…"))
        backup.clicked.connect(self.backup)
        buttons.addWidget(backup)
        buttons.addStretch(1)
        form.addRow(buttons)
        layout.addWidget(db_box)

        people_box = QGroupBox(_("Students and staff"))
        row = QHBoxLayout(people_box)
        for text, signal in ((_("Import students…"), self.import_students),
                             (_("Import staff…"), self.import_staff),
                             (_("Staff and classes…"), self.manage_people)):
            button = QPushButton(text)
            button.clicked.connect(signal)
            row.addWidget(button)
        row.addStretch(1)
        layout.addWidget(people_box)
        layout.addStretch(1)
        self.refresh()

    def refresh(self) -> None:
        from ..dialogs import available_protocols

        p = settings.school_profile()
        self.school_name.setText(p.name or _("(not set)"))
        self.school_address.setText(", ".join(x for x in (p.street, f"{p.postcode} {p.city}".strip()) if x))
        names = dict(available_protocols())
        self.protocol.setText(names.get(p.protocol_code, p.protocol_code))
