"""The small dialogs of the case screen: ladder moves, close/reopen, a protocol step, an
agreement, a student's role, evidence (file or description) and the evidence viewer.

Every dialog saves through ``services.cases`` in ``accept()``: a refusal (validation, the
engine's transition gate, a missing right) is shown in the dialog, which stays open so
nothing typed is lost; a version conflict shows ``gui.common.conflict``'s dialog and, on reload,
takes the stored version so the user can save again. ``changed`` tells the case screen to
reload.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from pestdesk import clock
from pestdesk.domain.protocol import Protocol
from pestdesk.domain.taxonomy import CASE_ROLES
from pestdesk.gui.common import ops
from pestdesk.gui.common.dialogs import (
    SaveDialog,
    date_edit,
    pydate,
    text_box,
)
from pestdesk.gui.common.limits import exempt, limit
from pestdesk.gui.common.pdf_preview import ask_export_path
from pestdesk.gui.common.student_picker import StaffCombo, StudentPicker
from pestdesk.gui.common.widgets import error_label
from pestdesk.i18n import _, format_date, format_datetime, format_number
from pestdesk.services import cases, exports
from pestdesk.services.base import Actor, Conflict

# --------------------------------------------------------------------------- the case


class CloseCaseDialog(SaveDialog):
    """Close (or reopen) the case: a reason is required by the protocol."""

    def __init__(self, actor: Actor, case_id: int, read_version: int, reopen: bool = False,
                 parent: QWidget | None = None) -> None:
        title = _("Reopen case") if reopen else _("Close case")
        super().__init__(actor, title, parent, save_text=title)
        self.case_id, self.read_version, self.reopen = case_id, read_version, reopen
        intro = QLabel(_("Why is the case reopened?") if reopen else _(
            "Why is the case closed? (for example: the bullying has stopped, checked with the "
            "victim on a date)"))
        intro.setWordWrap(True)
        self.form.addRow(intro)
        self.on = date_edit()
        self.form.addRow(_("Date"), self.on)
        self.reason = text_box(4, field=("case", "close_reason"))
        self.form.addRow(_("Reason"), self.reason)
        self.reason.setFocus()

    def conflict_values(self) -> dict:
        return {"status": "open" if self.reopen else "closed",
                "close_reason": self.reason.toPlainText()}

    def after_conflict(self, exc: Conflict) -> None:
        self.read_version = exc.current.get("version", self.read_version)

    def save(self):
        fn = cases.reopen_case if self.reopen else cases.close_case
        return partial(fn, self.actor, self.case_id, self.read_version,
                       self.reason.toPlainText(), on=pydate(self.on))


class LadderMoveDialog(SaveDialog):
    """Escalate a pester (next or a later stage) or take them back a stage, with a reason.

    The engine decides: without a reason while required steps are open it refuses, and its
    message is shown here."""

    touches = (ops.CASE, ops.LADDER, ops.STUDENTS, ops.TIMELINE)

    def __init__(self, actor: Actor, case_id: int, protocol: Protocol, student_id: int,
                 student_name: str, current_stage: str, up: bool = True,
                 parent: QWidget | None = None, proposed_stage: str = "") -> None:
        title = _("Escalate") if up else _("Back a stage")
        super().__init__(actor, title, parent, save_text=title)
        self.case_id, self.student_id, self.up = case_id, student_id, up
        self.current_stage = current_stage
        index = protocol.stage_index(current_stage)
        self.form.addRow(_("Student"), QLabel(f"<b>{student_name}</b>"))
        self.form.addRow(_("Now on"), QLabel(protocol.stage(current_stage).title
                                              if index >= 0 else current_stage))
        self.target = QComboBox()
        stages = protocol.stages[index + 1:] if up else reversed(protocol.stages[:index])
        for stage in stages:
            self.target.addItem(stage.title, stage.code)
        if up and proposed_stage and self.target.findData(proposed_stage) >= 0:
            # a relapse: the protocol's own proposal, which needs no reason
            self.target.setCurrentIndex(self.target.findData(proposed_stage))
        self.form.addRow(_("To stage"), self.target)
        self.on = date_edit()
        self.form.addRow(_("Date"), self.on)
        self.reason = text_box(3, _("Required when required steps are still open, when "
                                    "skipping a stage and when going back.")
                               if up else "", ("event", "body"))
        self.form.addRow(_("Reason"), self.reason)
        self.target.setFocus()

    def save(self):
        fn = cases.escalate if self.up else cases.deescalate
        return partial(fn, self.actor, self.case_id, self.student_id,
                       target_stage=self.target.currentData(),
                       reason=self.reason.toPlainText(), on=pydate(self.on),
                       expected_stage=self.current_stage or None)


class RecordStepDialog(SaveDialog):
    """Record that a protocol step (or cyber checklist item) was done: date and a note."""

    touches = (ops.CASE, ops.LADDER, ops.TIMELINE)

    def __init__(self, actor: Actor, case_id: int, step_code: str, title: str,
                 student_id: int | None = None, student_name: str = "", advice: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(actor, _("Record step"), parent, save_text=_("Done"))
        self.case_id, self.step_code, self.student_id = case_id, step_code, student_id
        step = QLabel(f"<b>{title}</b>")
        step.setWordWrap(True)
        self.form.addRow(_("Step"), step)
        if student_name:
            self.form.addRow(_("For"), QLabel(student_name))
        if advice:
            hint = QLabel(advice)
            hint.setWordWrap(True)
            hint.setStyleSheet("color: #444;")
            self.form.addRow(hint)
        self.on = date_edit()
        self.form.addRow(_("Done on"), self.on)
        self.note = text_box(3, _("What was done, with whom (optional)"), ("event", "body"))
        self.form.addRow(_("Note"), self.note)
        self.on.setFocus()

    def save(self):
        return partial(cases.record_step, self.actor, self.case_id, self.step_code,
                       on=pydate(self.on), student_id=self.student_id,
                       note=self.note.toPlainText())


class NoteDialog(SaveDialog):
    """A free note on the timeline (a vertrouwenspersoon can keep it confidential)."""

    touches = (ops.TIMELINE,)

    def __init__(self, actor: Actor, case_id: int, parent: QWidget | None = None) -> None:
        super().__init__(actor, _("Note"), parent)
        self.case_id = case_id
        self.on = date_edit()
        self.form.addRow(_("Date"), self.on)
        self.text = text_box(5, field=("event", "body"))
        self.form.addRow(_("Note"), self.text)
        from PySide6.QtWidgets import QCheckBox

        self.confidential = QCheckBox(_("Confidential (only you can read it)"))
        self.confidential.setVisible(actor.has_role("vertrouwenspersoon"))
        self.form.addRow("", self.confidential)
        self.text.setFocus()

    def save(self):
        return partial(cases.add_note, self.actor, self.case_id, self.text.toPlainText(),
                              on=pydate(self.on), confidential=self.confidential.isChecked())


# --------------------------------------------------------------------------- agreements


class AgreementDialog(SaveDialog):
    """An agreement (afspraak): what, who follows it up, when it is evaluated."""

    touches = (ops.CASE, ops.AGREEMENTS, ops.TIMELINE)

    def __init__(self, actor: Actor, case_id: int, parent: QWidget | None = None) -> None:
        super().__init__(actor, _("New agreement"), parent)
        self.case_id = case_id
        self.description = text_box(3, field=("agreement", "description"))
        self.form.addRow(_("Agreement"), self.description)
        self.owner = StaffCombo()
        self.owner.set_staff(actor.staff_id)
        self.form.addRow(_("Followed up by"), self.owner)
        self.evaluate_on = date_edit(clock.today() + dt.timedelta(days=14), latest_today=False)
        self.form.addRow(_("Evaluate on"), self.evaluate_on)
        self.description.setFocus()

    def save(self):
        data = cases.AgreementInput(self.description.toPlainText(), self.owner.staff_id(),
                                    pydate(self.evaluate_on))
        return partial(cases.add_agreement, self.actor, self.case_id, data)


class CompleteAgreementDialog(SaveDialog):
    """Evaluate an agreement: the outcome and the date."""

    touches = (ops.CASE, ops.AGREEMENTS, ops.TIMELINE)

    def __init__(self, actor: Actor, agreement_id: int, read_version: int, description: str,
                 parent: QWidget | None = None, case_id: int | None = None) -> None:
        super().__init__(actor, _("Evaluate agreement"), parent)
        self.agreement_id, self.read_version = agreement_id, read_version
        self.case_id = case_id
        text = QLabel(description)
        text.setWordWrap(True)
        self.form.addRow(_("Agreement"), text)
        self.on = date_edit()
        self.form.addRow(_("Evaluated on"), self.on)
        self.outcome = text_box(3, field=("agreement", "outcome"))
        self.form.addRow(_("Outcome"), self.outcome)
        self.outcome.setFocus()

    def conflict_values(self) -> dict:
        return {"outcome": self.outcome.toPlainText()}

    def after_conflict(self, exc: Conflict) -> None:
        self.read_version = exc.current.get("version", self.read_version)

    def save(self):
        return partial(cases.complete_agreement, self.actor, self.agreement_id, self.read_version,
                                        done_on=pydate(self.on),
                                        outcome=self.outcome.toPlainText())


# --------------------------------------------------------------------------- students


def role_combo(current: str = "") -> QComboBox:
    combo = QComboBox()
    for code, label in CASE_ROLES.items():
        combo.addItem(_(label), code)
    if current:
        combo.setCurrentIndex(combo.findData(current))
    return combo


class InvolvementDialog(SaveDialog):
    """Add a student to the case (found by typing) or change a student's role."""

    touches = (ops.CASE, ops.STUDENTS, ops.LADDER, ops.TIMELINE)

    def __init__(self, actor: Actor, case_id: int, parent: QWidget | None = None, *,
                 involvement: cases.InvolvedStudent | None = None,
                 exclude: set[int] | None = None) -> None:
        super().__init__(actor, _("Change role") if involvement else _("Add student"), parent)
        self.case_id, self.involvement = case_id, involvement
        if involvement:
            self.form.addRow(_("Student"), QLabel(f"<b>{involvement.name}</b>"))
            self.role = role_combo(involvement.role)
        else:
            self.picker = StudentPicker(actor, to_report=True)
            self.picker.confirmed.connect(self.accept)  # Enter on the chosen student adds
            self.picker.exclude = set(exclude or ())
            self.form.addRow(_("Student"), self.picker)
            self.role = role_combo("pester")
            self.notes = limit(QLineEdit(), "involvement", "notes")
            self.form.addRow(_("Role"), self.role)
            self.form.addRow(_("Note"), self.notes)
            self.picker.setFocus()
            return
        self.form.addRow(_("Role"), self.role)
        self.role.setFocus()

    def conflict_values(self) -> dict:
        return {"role": self.role.currentData()}

    def after_conflict(self, exc: Conflict) -> None:
        if self.involvement is not None:
            self.involvement = replace(self.involvement,
                                       version=exc.current.get("version",
                                                               self.involvement.version))

    def save(self):
        if self.involvement:
            return partial(cases.change_role, self.actor, self.involvement.id,
                                     self.involvement.version, self.role.currentData())
        if self.picker.student_id is None:
            raise cases.ValidationError({"student": _("Choose a student: type part of the "
                                                      "name and pick from the list.")})
        return partial(cases.add_involvement, self.actor, self.case_id, self.picker.student_id,
                                     self.role.currentData(), self.notes.text())


# --------------------------------------------------------------------------- evidence


class EvidenceNoteDialog(SaveDialog):
    """Evidence described in words instead of a stored file (what, where, when)."""

    touches = (ops.EVIDENCE, ops.LADDER, ops.TIMELINE)

    def __init__(self, actor: Actor, case_id: int, parent: QWidget | None = None,
                 explanation: str = "") -> None:
        super().__init__(actor, _("Describe the evidence"), parent)
        self.case_id = case_id
        if explanation:
            box = QLabel(explanation)
            box.setWordWrap(True)
            box.setObjectName("refusal")
            box.setStyleSheet("background: #fdecea; color: #7a1c14; padding: 8px; "
                              "border-radius: 4px;")
            self.form.addRow(box)
        self.on = date_edit()
        self.form.addRow(_("Seen on"), self.on)
        self.description = text_box(5, _("What does it show, where and when was it seen, "
                                         "who has it?"), ("event", "body"))
        self.form.addRow(_("Description"), self.description)
        self.description.setFocus()

    def save(self):
        return partial(cases.add_evidence_note, self.actor, self.case_id,
                                       self.description.toPlainText(), on=pydate(self.on))


def guess_mime(path: Path) -> str:
    return mimetypes.guess_type(path.name)[0] or ""


def add_files(parent: QWidget, actor: Actor, case_id: int, paths: list[Path],
              description: str = "", done: Callable[[], None] | None = None) -> int:
    """Store files as evidence; an image refused in a sexting/grooming case opens the
    description dialog with the service's explanation. Returns how many were stored."""
    stored = 0
    described = False
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError:
            QMessageBox.warning(parent, _("Add evidence"),
                                _("The file {name} cannot be read.").format(name=path.name))
            continue
        refused: list[cases.ImageRefused] = []
        op = ops.Op(parent, partial(cases.add_attachment, actor, case_id, path.name, data,
                                    guess_mime(path), description),
                    changes=ops.Changes.case(case_id, ops.EVIDENCE, ops.TIMELINE))
        op.titled(_("Add evidence")).failure(
            lambda exc, seen=refused: isinstance(exc, cases.ImageRefused)
            and not seen.append(exc))  # an image refused here: described instead, below
        if op.run():
            stored += 1
        elif refused:
            note = EvidenceNoteDialog(actor, case_id, parent, explanation=refused[0].message)
            described = bool(note.exec()) or described
    if (stored or described) and done is not None:
        done()
    return stored


class AttachmentDialog(SaveDialog):
    """Choose a file (or drop one on the evidence list) and describe it."""

    touches = (ops.EVIDENCE, ops.LADDER, ops.TIMELINE)

    def __init__(self, actor: Actor, case_id: int, parent: QWidget | None = None) -> None:
        super().__init__(actor, _("Add evidence"), parent, save_text=_("Add"))
        self.case_id = case_id
        row = QHBoxLayout()
        self.path = exempt(QLineEdit(), "a file to attach; its name is checked on saving")
        self.path.setPlaceholderText(_("Choose a file…"))
        browse = QPushButton(_("&Browse…"))
        browse.clicked.connect(self.browse)
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        self.form.addRow(_("File"), row)
        self.description = text_box(3, _("What is it, where does it come from?"),
                                    ("attachment", "description"))
        self.form.addRow(_("Description"), self.description)
        self.refused = False
        browse.setFocus()

    def browse(self) -> None:
        name, _filter = QFileDialog.getOpenFileName(self, _("Add evidence"))
        if name:
            self.path.setText(name)

    def save(self):
        text = self.path.text().strip()
        if not text:
            raise cases.ValidationError({"file": _("Choose a file.")})
        path = Path(text)
        try:
            data = path.read_bytes()
        except OSError:
            raise cases.ValidationError(
                {"file": _("The file {name} cannot be read.").format(name=path.name)}) from None
        return partial(cases.add_attachment, self.actor, self.case_id, path.name, data,
                                    guess_mime(path), self.description.toPlainText())

    def _refused(self, exc: BaseException) -> None:
        if not isinstance(exc, cases.ImageRefused):
            super()._refused(exc)
            return
        self.refused = True
        note = EvidenceNoteDialog(self.actor, self.case_id, self, explanation=exc.message)
        note.changed.connect(self.changed)
        if note.exec():
            QDialog.accept(self)

    def accept(self) -> None:
        try:
            work = self.save()
        except Exception as exc:  # noqa: BLE001 - to the one handler
            self._refused(exc)
            return
        def image_refused(exc: BaseException) -> bool:
            if isinstance(exc, cases.ImageRefused):
                self._refused(exc)
                return True
            return False

        op = ops.Op(self, work, changes=self.changes()).errors_to(self.show_error)
        if op.failure(image_refused).run():
            self.changed.emit()
            QDialog.accept(self)


def size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return _("{n} MB").format(n=format_number(round(size / (1024 * 1024), 1)))
    return _("{n} kB").format(n=format_number(max(1, round(size / 1024))))


class AttachmentViewer(QDialog):
    """Show a stored evidence file: images and PDFs in the app, anything else saved as a
    copy. The bytes are checked against their SHA-256 by the service before showing."""

    def __init__(self, actor: Actor, attachment: cases.EvidenceFile, added_by: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.actor, self.attachment = actor, attachment
        # the file name may hold a name; window titles reach the taskbar and window lists
        self.setWindowTitle(_("Evidence"))
        layout = QVBoxLayout(self)
        name = QLabel(attachment.filename)
        name.setStyleSheet("font-weight: 600;")
        name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(name)
        meta = QLabel(_("Added {when} by {who} · {size} · SHA-256 {sha}").format(
            when=format_datetime(attachment.added_at, "short"), who=added_by or "—",
            size=size_text(attachment.size), sha=attachment.sha256))
        meta.setWordWrap(True)
        meta.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        meta.setStyleSheet("color: #555;")
        layout.addWidget(meta)
        if attachment.description:
            description = QLabel(attachment.description)
            description.setWordWrap(True)
            layout.addWidget(description)
        self.data = b""
        self.kind = "error"
        # a large (encrypted) file: read on the op path, a refusal in the window itself
        message = error_label(hidden=True)
        layout.addWidget(message)
        read = ops.Op(self, partial(cases.attachment_bytes, actor, attachment.id),
                      label=_("Opening…")).errors_to(message.setText)
        if read.run():
            self.data = read.result
            layout.addWidget(self._content(), 1)
        else:
            message.show()
            layout.addStretch(1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.save_button = buttons.addButton(_("&Save a copy…"),
                                             QDialogButtonBox.ButtonRole.ActionRole)
        self.save_button.setEnabled(bool(self.data))
        self.save_button.clicked.connect(self.save_copy)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(820, 640)

    def _content(self) -> QWidget:
        pixmap = QPixmap()
        if pixmap.loadFromData(self.data):
            self.kind = "image"
            label = QLabel()
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setPixmap(pixmap if pixmap.width() <= 1600 else
                            pixmap.scaledToWidth(1600, Qt.TransformationMode.SmoothTransformation))
            scroll = QScrollArea()
            scroll.setWidget(label)
            scroll.setWidgetResizable(True)
            return scroll
        if self.data.startswith(b"%PDF"):
            try:
                from pestdesk.gui.common.pdf_preview import PdfPreview
            except ImportError:  # QtPdf missing in this Qt build: offer a copy
                pass
            else:
                preview = PdfPreview(self)
                if preview.load_pdf(self.data):
                    self.kind = "pdf"
                    return preview
        self.kind = "other"
        label = QLabel(_("This kind of file cannot be shown in pestdesk. Save a copy to "
                         "open it with another program; keep the copy safe and delete it "
                         "when done."))
        label.setWordWrap(True)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        return label

    def save_copy(self) -> None:
        name = ask_export_path(self, _("Save a copy"), self.attachment.filename)
        if not name:
            return
        try:
            Path(name).write_bytes(self.data)
        except OSError:
            QMessageBox.warning(self, _("Save a copy"), _("The copy could not be written."))
            return
        ops.Op(self, partial(exports.record_export, self.actor, "export", "attachment",
                             self.attachment.id)).titled(_("Save a copy")).run()


def added_on_text(value: dt.datetime | None) -> str:
    return format_date(value.date()) if value else ""
