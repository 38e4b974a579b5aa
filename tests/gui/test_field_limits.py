"""Every text input of the app's dialogs takes at most what its field stores (the numbers of
services.lengths, through gui.common.limits), or is marked exempt with a reason: a search box, a
password, a file path. A dialog added later is caught when it is listed here; a text input
added to a listed dialog without a limit fails this test."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QLineEdit, QPlainTextEdit, QTextEdit, QWidget

from pestdesk.gui.common.limits import EXEMPT_PROPERTY, hint, limit, limit_of
from pestdesk.services import lengths
from pestdesk.store.models import Agreement, Case, Involvement, Meeting, Sanction
from tests.helpers.gui import demo_school


def _editable_text_inputs(root: QWidget) -> list[QWidget]:
    found = []
    for kind in (QLineEdit, QPlainTextEdit, QTextEdit):
        for widget in root.findChildren(kind):
            if widget.isReadOnly():
                continue
            if isinstance(widget, QLineEdit) and widget.parent() is not None and \
                    type(widget.parent()).__name__ in ("QSpinBox", "QDoubleSpinBox",
                                                       "QDateEdit", "QDateTimeEdit",
                                                       "QTimeEdit", "DateEdit"):
                continue  # the number/date editor inside a spin box: not free text
            if type(widget).__name__ == "QLineEdit" and widget.objectName() == \
                    "qt_spinbox_lineedit":
                continue
            found.append(widget)
    return found


def _describe(widget: QWidget) -> str:
    names = []
    w = widget
    while w is not None:
        names.append(w.objectName() or type(w).__name__)
        w = w.parent()
    return "/".join(reversed(names)) + f" ({widget.property('placeholderText') or ''})"


def _dialogs(actor, admin, tmp_path):
    from pestdesk.gui.admin import backup as backup_settings
    from pestdesk.gui.admin import calendar as calendar_dialog
    from pestdesk.gui.admin import grants as grants_dialog
    from pestdesk.gui.admin import helplines as helplines_dialog
    from pestdesk.gui.admin import imports as import_dialog
    from pestdesk.gui.admin import users
    from pestdesk.gui.case import contracts as contract_dialogs
    from pestdesk.gui.case import conversation as conversation_dialog
    from pestdesk.gui.case import dialogs as case_dialogs
    from pestdesk.gui.case import edit_dialog as case_edit_dialog
    from pestdesk.gui.case import report as report_dialog
    from pestdesk.gui.case import sanctions as sanction_dialogs
    from pestdesk.gui.letters import dialogs as letter_dialogs
    from pestdesk.gui.letters import template_form
    from pestdesk.gui.meetings import view as meetings
    from pestdesk.gui.people import dialogs as people_dialogs
    from pestdesk.gui.people import guardians as guardian_link_dialog
    from pestdesk.gui.session import dialogs, lock

    involvement = Involvement.select().join(Case).where(Case.status == "open").first()
    case_id, student_id = involvement.case_id, involvement.student_id
    agreement = Agreement.select().first()
    meeting = Meeting.select().first()
    sanction = Sanction.select().first()
    made = {
        "report": lambda: report_dialog.ReportDialog(actor),
        "signal": lambda: report_dialog.ReportDialog(actor, signal=True),
        "case edit": lambda: case_edit_dialog.CaseEditDialog(actor, case_id),
        "close case": lambda: case_dialogs.CloseCaseDialog(actor, case_id, 1),
        "note": lambda: case_dialogs.NoteDialog(actor, case_id),
        "agreement": lambda: case_dialogs.AgreementDialog(actor, case_id),
        "evaluate agreement": lambda: case_dialogs.CompleteAgreementDialog(
            actor, agreement.id, agreement.version, agreement.description),
        "involvement": lambda: case_dialogs.InvolvementDialog(actor, case_id),
        "evidence": lambda: case_dialogs.EvidenceNoteDialog(actor, case_id),
        "attachment": lambda: case_dialogs.AttachmentDialog(actor, case_id),
        "conversation": lambda: conversation_dialog.ConversationDialog(actor, case_id),
        "contract": lambda: contract_dialogs.ContractDialog(actor, case_id, student_id),
        "suspension": lambda: sanction_dialogs.SuspensionDialog(actor, case_id, student_id),
        "inspectie": lambda: sanction_dialogs.InspectieReportDialog(actor, case_id,
                                                                     student_id),
        "expulsion": lambda: sanction_dialogs.ExpulsionDialog(actor, case_id, student_id),
        "expulsion start": lambda: sanction_dialogs.ExpulsionStartDialog(actor, case_id,
                                                                          student_id),
        "compose letter": lambda: letter_dialogs.ComposeDialog(actor, case_id=case_id),
        "letter templates": lambda: letter_dialogs.TemplateEditorDialog(admin),
        "letter texts": lambda: template_form.TemplateFormDialog(admin),
        "letter window": lambda: letter_dialogs.WindowSettingsDialog(admin),
        "plan meeting": lambda: meetings.PlanMeetingDialog(actor),
        "new user": lambda: users.NewUserDialog(admin),
        "change password": lambda: users.ChangePasswordDialog(actor),
        "users": lambda: users.UsersDialog(admin),
        "helpline": lambda: helplines_dialog.HelplineEditDialog(admin),
        "helplines": lambda: helplines_dialog.HelplinesDialog(admin),
        "calendar": lambda: calendar_dialog.CalendarDialog(admin),
        "free period": lambda: calendar_dialog.PeriodDialog(admin, []),
        "school profile": lambda: dialogs.SchoolProfileDialog(admin),
        "setup": lambda: dialogs.SetupWizard(),
        "login": lambda: dialogs.LoginDialog("Testschool"),
        "staff": lambda: people_dialogs.StaffDialog(admin),
        "class": lambda: people_dialogs.ClassDialog(admin),
        "guardian": lambda: people_dialogs.GuardianDialog(actor, student_id),
        "people": lambda: people_dialogs.PeopleDialog(admin),
        "guardian link": lambda: guardian_link_dialog.GuardianLinkDialog(actor, student_id),
        "lock": lambda: lock.LockDialog(actor),
        "backup settings": lambda: backup_settings.BackupSettingsDialog(admin, tmp_path / "x"),
        "import": lambda: import_dialog.ImportDialog(admin),
        "grants": lambda: grants_dialog.GrantsDialog(admin),
    }
    if meeting is not None:
        for kind in ("case", "question"):
            made[f"meeting items {kind}"] = (
                lambda kind=kind: meetings.AddItemsDialog(actor, meeting.id, kind))
    if sanction is not None:
        made["hearing"] = lambda: sanction_dialogs.ExpulsionHearingDialog(actor, sanction.id)
        made["decision"] = lambda: sanction_dialogs.ExpulsionDecisionDialog(actor, sanction.id)
    return made


def test_every_text_input_of_every_dialog_has_its_limit(db, qtbot, tmp_path):
    from pestdesk.services import accounts

    actor = demo_school(60)
    admin = accounts.demo_actor("beheer")
    missing, broken = [], []
    checked = 0
    for name, make in _dialogs(actor, admin, tmp_path).items():
        try:
            dialog = make()
        except Exception as exc:  # noqa: BLE001 - listed, then failed together
            broken.append(f"{name}: {exc!r}")
            continue
        qtbot.addWidget(dialog)
        for widget in _editable_text_inputs(dialog):
            checked += 1
            if limit_of(widget) is None and not widget.property(EXEMPT_PROPERTY):
                missing.append(f"{name}: {_describe(widget)}")
            if isinstance(widget, QLineEdit) and limit_of(widget) is not None:
                assert widget.maxLength() == limit_of(widget)
    assert not broken, broken
    assert not missing, "\n".join(missing)
    assert checked > 40


def test_a_multi_line_input_refuses_what_goes_beyond_its_field(qtbot):
    box = QPlainTextEdit()
    qtbot.addWidget(box)
    limit(box, "case", "description")
    most = lengths.max_length("case", "description")
    box.setPlainText("a" * (most - 3))
    box.moveCursor(box.textCursor().MoveOperation.End)
    box.insertPlainText("bcdefgh")  # a paste of 7 where 3 fit
    assert box.toPlainText() == "a" * (most - 3) + "bcd"
    box.moveCursor(box.textCursor().MoveOperation.Start)
    box.insertPlainText("X")  # typed at the start of a full box: refused there
    assert len(box.toPlainText()) == most and box.toPlainText().startswith("a")
    assert box.toolTip() == hint(most)


def test_a_line_edit_and_an_unknown_field(qtbot):
    edit = QLineEdit()
    qtbot.addWidget(edit)
    limit(edit, "student", "first_name")
    assert edit.maxLength() == lengths.max_length("student", "first_name")
    with pytest.raises(ValueError):
        limit(QLineEdit(), "student", "password_hash")
