"""Toestemming vastleggen: consent to discuss a student by name in meetings with outside
participants, recorded through ``services.meetings.record_consent`` (who gives it, from 16
the student and under 16 a parent with parental authority, is the service's rule; the
dialog only offers what ``meetings.consent_givers`` says). Saved on the one op path."""

from __future__ import annotations

import datetime as dt
from functools import partial

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QWidget,
)

from pestdesk import clock
from pestdesk.gui.common import ops
from pestdesk.gui.common.dialogs import date_edit
from pestdesk.gui.common.widgets import error_label
from pestdesk.i18n import _
from pestdesk.services import meetings
from pestdesk.services.base import Actor


class ConsentDialog(QDialog):
    """Record consent for one student, for the meeting kinds ticked (the meeting's own kind
    ticked to begin with)."""

    def __init__(self, actor: Actor, student_id: int, kind: str = "",
                 parent: QWidget | None = None, shown_as: str = "") -> None:
        """``shown_as``: the label the calling screen shows for the student ("Leerling A"
        in a meeting with outside participants): the dialog then names nobody either, the
        parents by their relation."""
        super().__init__(parent)
        self.actor = actor
        self.student_id = student_id
        self.setWindowTitle(_("Record consent"))
        today = clock.today()
        self.givers = meetings.consent_givers(actor, student_id, today)
        form = QFormLayout(self)
        form.addRow(_("Student"), QLabel(shown_as or self.givers.name))
        self.given_on = date_edit(today)
        form.addRow(_("Given on"), self.given_on)
        scope = QWidget()
        row = QHBoxLayout(scope)
        row.setContentsMargins(0, 0, 0, 0)
        self.kinds: dict[str, QCheckBox] = {}
        for code in meetings.KINDS:
            box = QCheckBox(code)
            box.setChecked(code == kind or not kind)
            row.addWidget(box)
            self.kinds[code] = box
        row.addStretch(1)
        form.addRow(_("For meetings"), scope)
        self.guardian = QComboBox()
        if self.givers.by_student:
            form.addRow(_("Given by"), QLabel(_("the student (16 or older)")))
        else:
            for number, (guardian_id, name, relation) in enumerate(self.givers.guardians, 1):
                anonymous = relation or _("parent {n}").format(n=number)
                self.guardian.addItem(anonymous if shown_as else name, guardian_id)
            form.addRow(_("Given by"), self.guardian)
        note = QLabel(_("Record consent only when it was really given, for these meetings "
                        "with participants from outside the school. It can be withdrawn."))
        note.setWordWrap(True)
        form.addRow(note)
        self.error = error_label(hidden=not self.givers.problem)
        self.error.setText(self.givers.problem)
        form.addRow(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(
            not self.givers.problem)
        form.addRow(self.buttons)

    def scope(self) -> list[str]:
        return [code for code, box in self.kinds.items() if box.isChecked()]

    def save(self) -> None:
        given_on: dt.date = self.given_on.date().toPython()
        guardian = None if self.givers.by_student else self.guardian.currentData()
        call = partial(meetings.record_consent, self.actor, self.student_id,
                       given_on=given_on, scope=self.scope(), guardian_id=guardian)
        changes = ops.Changes(frozenset({ops.MEETINGS, ops.TIMELINE, ops.LADDER}))
        if ops.Op(self, lambda: call().id, changes=changes).errors_to(self.show_error).run():
            self.accept()

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))
