"""The red error line under a form is one widget (``widgets.error_label``) in every dialog."""

from __future__ import annotations

from PySide6.QtCore import Qt

from pestdesk.gui.case.conversation import ConversationDialog
from pestdesk.gui.case.dialogs import NoteDialog
from pestdesk.gui.case.report import ReportDialog
from pestdesk.gui.common.colors import RED as ERROR_COLOR
from tests.helpers.gui import demo_school, fresh_students, new_case


def test_report_case_and_conversation_dialogs_share_the_error_line(db, qtbot, qt_dutch):
    actor = demo_school(40)
    victim, pester = fresh_students(2)
    case_id = new_case(actor, victim, pester)
    dialogs = [ReportDialog(actor), NoteDialog(actor, case_id),
               ConversationDialog(actor, case_id)]
    for dialog in dialogs:
        qtbot.addWidget(dialog)
        dialog.show()
        label = dialog.error
        assert label.objectName() == "errorLabel", type(dialog).__name__
        assert label.wordWrap() and ERROR_COLOR in label.styleSheet()
        assert label.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse
        assert not label.isVisible()  # hidden until there is something to explain
    note = dialogs[1]
    note.accept()  # an empty note is refused on the error line
    assert note.error.isVisible() and note.error.text()


def test_the_session_dialogs_use_the_common_error_line_and_its_one_red(db, qtbot, qt_dutch):
    from pestdesk.gui.session.dialogs import LoginDialog, SchoolProfileDialog, SetupWizard
    from pestdesk.gui.session.lock import LockDialog
    from pestdesk.services.base import SYSTEM

    dialogs = [LoginDialog("Het Baken"), SetupWizard(), SchoolProfileDialog(SYSTEM),
               LockDialog(SYSTEM)]
    for dialog in dialogs:
        qtbot.addWidget(dialog)
        dialog.show()
        label = dialog.error
        assert label.objectName() == "errorLabel", type(dialog).__name__
        assert label.styleSheet() == f"color: {ERROR_COLOR};", type(dialog).__name__
        assert not label.isVisible()
    profile = dialogs[2]
    profile.form.nameEdit.clear()
    profile.accept()  # no school name: refused on the common line
    assert profile.error is profile.form.errorLabel, profile.error.text()
    assert not profile.error.isHidden() and "naam" in profile.error.text()
