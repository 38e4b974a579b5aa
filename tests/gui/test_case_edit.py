"""Gegevens wijzigen: editing a saved melding from the case window's header."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from pestdesk import clock
from pestdesk.gui.case.edit_dialog import CaseEditDialog
from pestdesk.gui.case.report import ReportDialog, ReportForm
from pestdesk.gui.case.view import CaseView
from pestdesk.gui.common.conflict import ConflictChoice
from pestdesk.services import access, accounts, cases
from pestdesk.services.base import Actor
from pestdesk.store.models import AuditLog, Case, ClassMentor, Involvement, Student, User
from tests.helpers.gui import check, demo_school, fresh_students, new_case, when_modal


@pytest.fixture
def actor(db, qt_dutch):
    return demo_school(students=60)


@pytest.fixture
def case_id(actor):
    victim, bully = fresh_students(2)
    return new_case(actor, victim, bully)  # woorden in de klas: no cyber track


def open_dialog(qtbot, actor, case_id) -> CaseEditDialog:
    dialog = CaseEditDialog(actor, case_id)
    qtbot.addWidget(dialog)
    return dialog


def save_button(dialog: CaseEditDialog):
    return dialog.buttons.button(QDialogButtonBox.StandardButton.Save)


def test_the_report_dialog_and_the_edit_dialog_share_one_form(qtbot, actor, case_id):
    new = ReportDialog(actor)
    edit = open_dialog(qtbot, actor, case_id)
    qtbot.addWidget(new)
    assert isinstance(new.form, ReportForm) and isinstance(edit.form, ReportForm)
    assert set(edit.form.forms) == set(new.forms) >= {"haatmail", "sexting", "grooming"}
    assert set(edit.form.locations) == set(new.locations)
    # filled from the case as it was read
    assert edit.form.summary.text() == "Uitschelden in de klas"
    assert edit.form.forms["woorden"].isChecked() and not edit.form.forms["haatmail"].isChecked()
    assert edit.form.locations["klas"].isChecked()
    assert edit.form.reporter.currentData() == "gepeste"
    assert edit.windowTitle().startswith("Gegevens van melding ")
    assert save_button(edit).text() == "Wijzigingen opslaan"


def test_edit_summary_and_add_a_cyber_form_the_case_window_shows_the_cyber_tab(
        qtbot, actor, case_id):
    view = CaseView(actor, case_id)
    qtbot.addWidget(view)
    assert not view.tabs.isTabVisible(1)  # no cyber checklist yet
    assert view.details_button.text() == "Gegevens w&ijzigen…"
    assert view.details_button.isEnabled()
    before = Case.get_by_id(case_id).version

    def edit(dialog) -> None:
        assert isinstance(dialog, CaseEditDialog)
        dialog.form.summary.clear()
        qtbot.keyClicks(dialog.form.summary, "Dreigberichten via de klassenapp")
        dialog.form.forms["haatmail"].setChecked(True)
        assert "cyber" in dialog.form.cyber_hint.text().lower()
        qtbot.mouseClick(save_button(dialog), Qt.MouseButton.LeftButton)

    errors = when_modal(edit)
    qtbot.mouseClick(view.details_button, Qt.MouseButton.LeftButton)
    check(errors)
    case = Case.get_by_id(case_id)
    assert case.summary == "Dreigberichten via de klassenapp"
    assert set(case.forms.split(",")) == {"woorden", "haatmail"}
    assert case.is_cyber and case.version == before + 1
    assert case.description == "Wordt al weken uitgescholden."  # untouched field kept
    # the window reloaded: the cyber tab with its checklist, the new summary in the header
    assert view.tabs.isTabVisible(1)
    assert view.checklist_buttons, "the cyber checklist offers its open items"
    assert "Dreigberichten" in view.summary.text()
    line = (AuditLog.select().where((AuditLog.table == "case")
                                    & (AuditLog.record_id == case_id)
                                    & (AuditLog.action == "update"))
            .order_by(AuditLog.id.desc()).first())
    assert line is not None and "summary" in line.detail and "Dreig" not in line.detail


def test_nothing_changed_saves_nothing(qtbot, actor, case_id):
    dialog = open_dialog(qtbot, actor, case_id)
    version = Case.get_by_id(case_id).version
    dialog.accept()
    assert dialog.result() == dialog.DialogCode.Accepted
    assert Case.get_by_id(case_id).version == version


def colleague_saves(case_id: int, read_version: int, **changes) -> None:
    colleague = accounts.demo_actor("directie")
    cases.update_case(colleague, case_id, read_version, **changes)


def test_stale_version_shows_the_conflict_dialog_and_overwrites_nothing(
        qtbot, actor, case_id, conflicts):
    dialog = open_dialog(qtbot, actor, case_id)
    read = Case.get_by_id(case_id).version
    colleague_saves(case_id, read, summary="Aangepast door collega", since="na de herfstvakantie")
    dialog.form.description.setPlainText("Mijn aanvulling: ook in de gymles.")
    dialog.form.forms["haatmail"].setChecked(True)
    conflicts.answer = ConflictChoice(reload=False, reapply=False)  # first: Annuleren
    dialog.accept()
    assert len(conflicts.shown) == 1
    # the dialog names my fields and the colleague's, by their Dutch labels' keys
    assert {"description", "forms", "summary", "since"} <= set(conflicts.shown[0])
    stored = Case.get_by_id(case_id)
    assert stored.summary == "Aangepast door collega"
    assert stored.description == "Wordt al weken uitgescholden."  # nothing overwritten
    assert "haatmail" not in stored.forms
    assert dialog.result() != dialog.DialogCode.Accepted
    assert dialog.error.isVisibleTo(dialog) and "iemand anders" in dialog.error.text().lower()
    assert dialog.form.description.toPlainText().startswith("Mijn aanvulling")  # kept typed

    conflicts.answer = ConflictChoice(reload=True, reapply=True)  # then: Herladen
    dialog.accept()
    assert len(conflicts.shown) == 2
    # reloaded with the colleague's values, only my own edits put back on top
    assert dialog.form.summary.text() == "Aangepast door collega"
    assert dialog.form.since.text() == "na de herfstvakantie"
    assert dialog.form.description.toPlainText() == "Mijn aanvulling: ook in de gymles."
    assert dialog.form.forms["haatmail"].isChecked()
    assert Case.get_by_id(case_id).description == "Wordt al weken uitgescholden."
    dialog.accept()  # now with the version just read: saved, theirs kept
    assert dialog.result() == dialog.DialogCode.Accepted
    stored = Case.get_by_id(case_id)
    assert stored.summary == "Aangepast door collega"
    assert stored.since == "na de herfstvakantie"
    assert stored.description == "Mijn aanvulling: ook in de gymles."
    assert "haatmail" in stored.forms and stored.is_cyber


def test_reload_without_my_changes_shows_theirs_only(qtbot, actor, case_id, conflicts):
    dialog = open_dialog(qtbot, actor, case_id)
    colleague_saves(case_id, Case.get_by_id(case_id).version, summary="Van de collega")
    dialog.form.summary.setText("Van mij")
    conflicts.answer = ConflictChoice(reload=True, reapply=False)
    dialog.accept()
    assert dialog.form.summary.text() == "Van de collega"
    assert Case.get_by_id(case_id).summary == "Van de collega"


def test_validation_messages_in_dutch_and_nothing_saved(qtbot, actor):
    _victim, bully = fresh_students(2)
    data = cases.ReportInput(reported_on=clock.today(), summary="Alleen een pester bekend",
                             description="Gezien op het plein.",
                             involved=(cases.InvolvedInput(bully.id, "pester"),))
    case_id = cases.register_report(actor, data).id
    dialog = open_dialog(qtbot, actor, case_id)
    dialog.form.description.clear()
    dialog.form.summary.setText("Nieuwe samenvatting")
    dialog.accept()
    assert dialog.error.isVisibleTo(dialog)
    assert dialog.error.text() == ("Noem ten minste één gepeste leerling, of beschrijf wat er is "
                                  "gebeurd.")
    stored = Case.get_by_id(case_id)
    assert stored.summary == "Alleen een pester bekend"  # nothing half-saved
    assert stored.description == "Gezien op het plein."


def other_class_mentor(case_id: int) -> Actor:
    """The demo mentor, with their classes moved away from every student of the case."""
    mentor = accounts.demo_actor("mentor")
    involved = [s.school_class_id for s in Student.select().join(
        Involvement, on=(Involvement.student == Student.id))
        .where(Involvement.case == case_id)]
    ClassMentor.delete().where((ClassMentor.staff == mentor.staff_id)
                               & ClassMentor.school_class.in_(involved)).execute()
    return mentor


def test_a_mentor_of_another_class_cannot_open_the_dialog(qtbot, actor, case_id):
    mentor = other_class_mentor(case_id)
    assert not access.can_view_case(mentor, case_id)
    with pytest.raises(access.NotFound):
        CaseEditDialog(mentor, case_id)
    version = Case.get_by_id(case_id).version
    with pytest.raises(access.NotFound):  # and the service refuses in the same words
        cases.update_case(mentor, case_id, version, summary="Niet van mij")
    assert Case.get_by_id(case_id).summary == "Uitschelden in de klas"


def test_read_only_for_who_may_read_but_not_edit(qtbot, actor, case_id):
    staff = User.get(User.username == "zorg").staff
    zorgteam = Actor(user_id=None, username="extern", staff_id=staff.id,
                     roles=frozenset({"zorgteam"}))
    assert access.can_view_case(zorgteam, case_id) and not access.can_edit_case(zorgteam,
                                                                              case_id)
    view = CaseView(zorgteam, case_id)
    qtbot.addWidget(view)
    assert view.details_button.text() == "Gegevens bekijken…"
    dialog = open_dialog(qtbot, zorgteam, case_id)
    assert not dialog.editable
    assert dialog.buttons.button(QDialogButtonBox.StandardButton.Save) is None
    assert dialog.form.summary.isReadOnly() and not dialog.form.forms["haatmail"].isEnabled()
    assert "niet wijzigen" in dialog.intro.text()
    dialog.form.summary.setText("Toch proberen")
    dialog.accept()
    assert Case.get_by_id(case_id).summary == "Uitschelden in de klas"


def test_a_closed_case_is_read_only(qtbot, actor, case_id):
    case = Case.get_by_id(case_id)
    cases.close_case(actor, case_id, case.version, "Opgelost")
    dialog = open_dialog(qtbot, actor, case_id)
    assert not dialog.editable
    assert "heropen" in dialog.intro.text().lower()
