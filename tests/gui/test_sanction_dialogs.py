"""The suspension, inspectorate and expulsion dialogs on a real case in a real database."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QDate

from pestdesk.domain.sanctions import Hearing
from pestdesk.gui.case.sanctions import (
    ExpulsionDecisionDialog,
    ExpulsionDialog,
    ExpulsionHearingDialog,
    InspectieReportDialog,
    SuspensionDialog,
)
from pestdesk.services import sanctions
from pestdesk.store import models as m
from tests.helpers.casework import make_case, pester_stage, put_on_stage
from tests.helpers.gui import shot
from tests.helpers.renamed import T

D = dt.date
DECIDED = D(2026, 10, 12)  # a Monday
def qd(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


def suspension_dialog(qtbot, setup, days: int, *, heard=("leerling", "ouders"),
                      consult: bool = True,
                      move_reason: str = "Bedreiging met geweld.") -> SuspensionDialog:
    dialog = SuspensionDialog(setup.actor, setup.case_id, setup.pester_id, today=DECIDED)
    qtbot.addWidget(dialog)
    dialog.decided_on.setDate(qd(DECIDED))
    dialog.first_day.setDate(qd(D(2026, 10, 13)))
    dialog.days.setValue(days)
    dialog.reason.setPlainText("Bedreigde een klasgenoot in de pauze.")
    dialog.schoolwork.setPlainText("Huiswerk via de mentor.")
    dialog.decided_by.set_staff(setup.staff_id)
    dialog.hearing_on.setDate(qd(DECIDED))
    for code in heard:
        dialog.heard[code].setChecked(True)
    dialog.hearing_summary.setPlainText("Beide kanten gehoord.")
    if consult and not dialog.consultation_box.isHidden():
        dialog.consulted_on.setDate(qd(DECIDED))
        dialog.consulted.setEditText("A. de Vries, adjunct-directeur")
    if move_reason and not dialog.ladder.reason_box.isHidden():
        dialog.ladder.reason_box.setPlainText(move_reason)
    return dialog


def test_six_school_days_refused_with_the_law_and_nothing_saved(db, qtbot, qt_dutch):
    setup = make_case()
    dialog = suspension_dialog(qtbot, setup, 6)
    assert "WVO 2020" in dialog.plan_label.text()  # refused live, with the article
    assert dialog.save() is False
    text = dialog.error.text()
    assert "ten hoogste 5 schooldagen" in text and "art. 8.23 WVO 2020" in text
    assert dialog.pages.currentIndex() == 0
    assert m.Sanction.select().count() == 0
    assert not m.Event.select().where(m.Event.kind == "sanction").exists()


def test_three_days_with_hearing_saved_and_inspectorate_deadline_shown(db, qtbot, qt_dutch):
    setup = make_case()
    put_on_stage(setup, "schorsing_1_dag")
    dialog = suspension_dialog(qtbot, setup, 3)
    assert "donderdag 15 oktober 2026" in dialog.plan_label.text()
    changed = []
    dialog.changed.connect(lambda: changed.append(1))
    shot(dialog, "suspension_form")
    assert dialog.save() is True, dialog.error.text()
    sanction = m.Sanction.get()
    assert (sanction.school_days, sanction.last_day) == (3, D(2026, 10, 15))
    assert sanction.inspectie_due_on == D(2026, 10, 14)
    assert changed and pester_stage(setup) == "schorsing_verlengd"
    assert dialog.pages.currentWidget() is dialog.result
    assert "woensdag 14 oktober 2026" in dialog.result.inspectie_text()
    assert not dialog.result.letter_button.isHidden()
    shot(dialog, "suspension_saved")


def test_a_suspension_skipping_the_ladder_asks_the_users_reason(db, qtbot, qt_dutch):
    setup = make_case()
    dialog = suspension_dialog(qtbot, setup, 3, move_reason="")
    assert not dialog.ladder.isHidden() and not dialog.ladder.reason_box.isHidden()
    assert "Langere schorsing" in dialog.ladder.message.text()
    assert dialog.save() is False and "Aanpak door de mentor" in dialog.error.text()
    assert m.Sanction.select().count() == 0 and pester_stage(setup) == "mentor"
    dialog.ladder.reason_box.setPlainText("Geweld op het schoolplein.")
    assert dialog.save() is True, dialog.error.text()
    assert pester_stage(setup) == "schorsing_verlengd"
    assert m.Event.get(m.Event.kind == "escalate").body == "Geweld op het schoolplein."


def test_saving_without_hearing_is_refused(db, qtbot, qt_dutch):
    setup = make_case()
    dialog = suspension_dialog(qtbot, setup, 1, heard=())
    assert dialog.save() is False
    assert "horen" in dialog.error.text() and "WVO 2020" in dialog.error.text()
    assert m.Sanction.select().count() == 0


def test_longer_suspension_asks_for_the_consultation(db, qtbot, qt_dutch):
    setup = make_case()
    dialog = suspension_dialog(qtbot, setup, 1)
    assert dialog.consultation_box.isHidden()
    dialog.days.setValue(2)
    assert not dialog.consultation_box.isHidden()
    assert dialog.save() is False
    assert "adjunct-directeur" in dialog.error.text()
    assert m.Sanction.select().count() == 0


def test_inspectorate_notification_done_closes_the_task(db, qtbot, qt_dutch):
    setup = make_case()
    dialog = suspension_dialog(qtbot, setup, 2)
    assert dialog.save(), dialog.error.text()
    report = InspectieReportDialog(setup.actor, setup.case_id, setup.pester_id)
    qtbot.addWidget(report)
    assert report.task.count() == 1
    report.reported_on.setDate(qd(D(2026, 10, 13)))
    report.reference.setText("ISD-4711")
    shot(report, "inspectie_report")
    report.accept()
    assert report.result() == report.DialogCode.Accepted, report.error.text()
    assert m.Sanction.get().inspectie_reference == "ISD-4711"
    assert sanctions.open_legal_tasks(setup.case_id) == []
    again = InspectieReportDialog(setup.actor, setup.case_id, setup.pester_id)
    qtbot.addWidget(again)
    assert again.task.count() == 0 and not again.error.isHidden()


def test_expulsion_decision_refused_before_the_hearing(db, qtbot, qt_dutch):
    setup = make_case()
    dialog = ExpulsionDialog(setup.actor, setup.case_id, setup.pester_id)
    qtbot.addWidget(dialog)
    assert not dialog.start_button.isHidden() and dialog.table.isHidden()
    sanction = sanctions.start_expulsion(setup.actor, setup.case_id, setup.pester_id,
                                         intention_on=D(2026, 10, 1), reason="Geweld.",
                                  move_reason="Zwaar geweld")
    dialog.fill()
    assert dialog.table.rowCount() == 10 and "besluit" in dialog.step_buttons
    decide = dialog.step_dialog("besluit")
    assert isinstance(decide, ExpulsionDecisionDialog)
    qtbot.addWidget(decide)
    decide.decided_on.setDate(qd(D(2026, 10, 20)))
    decide.accept()
    assert "horen" in decide.error.text().lower() and "WVO 2020" in decide.error.text()
    assert m.Sanction.get_by_id(sanction.id).kind == "voornemen_verwijdering"

    hear = dialog.step_dialog("horen")
    assert isinstance(hear, ExpulsionHearingDialog)
    qtbot.addWidget(hear)
    hear.hearing_on.setDate(qd(D(2026, 10, 5)))
    for box in hear.heard.values():
        box.setChecked(True)
    hear.accept()
    assert hear.error.isHidden(), hear.error.text()
    dialog.fill()
    assert "horen" not in dialog.step_buttons
    assert dialog.cell("horen", 2).startswith("✓")
    shot(dialog, "expulsion_procedure")


def test_expulsion_steps_show_the_legal_terms(db, qtbot, qt_dutch):
    setup = make_case()
    s = sanctions.start_expulsion(setup.actor, setup.case_id, setup.pester_id,
                                  intention_on=D(2026, 10, 1), reason="Geweld.",
                                  move_reason="Zwaar geweld")
    s = sanctions.record_expulsion_hearing(setup.actor, s.id, s.version,
                                           Hearing(D(2026, 10, 5), ("leerling", "ouders",
                                                                    "leraren")))
    s = sanctions.record_inspectie_report(setup.actor, s.id, s.version,
                                          reported_on=D(2026, 10, 5), reported_by="ZC",
                                          reference="ISD-1")
    s = sanctions.decide_expulsion(setup.actor, s.id, s.version, decided_on=D(2026, 10, 8))
    sanctions.record_expulsion_step(setup.actor, s.id, "brief", D(2026, 10, 9))
    dialog = ExpulsionDialog(setup.actor, setup.case_id, setup.pester_id)
    qtbot.addWidget(dialog)
    assert dialog.cell("bezwaar", 1) == "20 nov 2026"  # six weeks after the letter
    assert dialog.cell("geschillencommissie", 1) == "20 nov 2026"
    assert dialog.cell("andere_school", 1) == "3 dec 2026"  # eight weeks' search
    assert "8" in dialog.cell("andere_school", 0)
    assert dialog.cell("brief", 2).startswith("✓")
    step = dialog.step_dialog("bezwaar")
    qtbot.addWidget(step)
    step.on.setDate(qd(D(2026, 10, 20)))
    step.accept()
    assert step.error.isHidden(), step.error.text()
    dialog.fill()
    assert dialog.cell("beslissing_bezwaar", 1) == "17 nov 2026"  # four weeks later


@pytest.mark.parametrize("student", [True, False])
def test_dialogs_open_with_only_the_case(db, qtbot, qt_dutch, student):
    setup = make_case()
    sid = setup.pester_id if student else None
    for cls in (SuspensionDialog, ExpulsionDialog, InspectieReportDialog):
        dialog = cls(setup.actor, setup.case_id, sid, None)
        qtbot.addWidget(dialog)
        if hasattr(dialog, "student"):
            assert dialog.student.student_id() == setup.pester_id


def test_case_screen_measures_menu_opens_the_dialogs(db, qtbot, qt_dutch):
    from PySide6.QtGui import QAction

    from pestdesk.gui.case.contracts import ContractDialog
    from pestdesk.gui.case.view import CaseView
    from tests.helpers.gui import check, when_modal

    setup = make_case()
    view = CaseView(setup.actor, setup.case_id)
    qtbot.addWidget(view)
    assert view.measures_button.isEnabled()
    actions = {a.objectName(): a for a in view.measures_button.menu().findChildren(QAction)
               if a.objectName()}
    expected = {"ContractDialog": ContractDialog, "SuspensionDialog": SuspensionDialog,
                "ExpulsionDialog": ExpulsionDialog,
                "InspectieReportDialog": InspectieReportDialog}
    assert set(expected) <= set(actions)
    for name, cls in expected.items():
        seen = []
        errors = when_modal(lambda d, seen=seen: seen.append(type(d)))
        actions[name].trigger()
        check(errors)
        assert seen == [cls]


def test_the_letter_is_offered_on_the_right_template_and_records_the_step(db, qtbot, qt_dutch,
                                                                         monkeypatch):
    from pestdesk.gui.case import sanctions as sanction_dialogs
    from pestdesk.gui.letters.dialogs import CHECKED, ComposeDialog
    from tests.helpers.gui import check, when_modal

    setup = make_case()
    put_on_stage(setup, "schorsing_1_dag")
    dialog = suspension_dialog(qtbot, setup, 3)
    assert dialog.save(), dialog.error.text()
    seen = []

    def look(compose):
        assert isinstance(compose, ComposeDialog)
        checked = [compose.student_list.item(i).data(256)
                   for i in range(compose.student_list.count())
                   if compose.student_list.item(i).checkState() == CHECKED]
        seen.append((compose.template_code(), checked))

    errors = when_modal(look)
    dialog.result.compose_letter()
    check(errors)
    assert seen == [("schorsing_verlengd", [setup.pester_id])]
    assert not dialog.result.letter_button.isHidden()  # nothing issued: still offered

    monkeypatch.setattr(sanction_dialogs, "compose_letter", lambda *a: [1])
    dialog.result.compose_letter()
    steps = [e.step_code for e in m.Event.select().where(m.Event.kind == "step")]
    assert T("brief_schorsing") in steps and dialog.result.letter_button.isHidden()


def test_who_decided_offers_only_the_deciding_role(db, qtbot):
    from tests.helpers.casework import make_staff

    setup = make_case()
    put_on_stage(setup, "schorsing_1_dag")
    mentor = make_staff("MEN", "Mentorsma", "mentor")
    dialog = suspension_dialog(qtbot, setup, 1)
    offered = [dialog.decided_by.itemData(i) for i in range(dialog.decided_by.count())]
    assert setup.staff_id in offered and mentor.id not in offered
    dialog.days.setValue(3)  # a longer suspension: still the directie
    offered = [dialog.decided_by.itemData(i) for i in range(dialog.decided_by.count())]
    assert offered == [None, setup.staff_id]
    assert dialog.decided_by.staff_id() == setup.staff_id  # the choice survives the refill


def test_the_case_window_lists_the_decision_after_the_hearing(db, qtbot):
    from pestdesk.gui.case.view import CaseView, PesterCard

    setup = make_case()
    put_on_stage(setup, "schorsing_1_dag")
    view = CaseView(setup.actor, setup.case_id)
    qtbot.addWidget(view)
    (card,) = view.findChildren(PesterCard)
    assert "Leerling en ouders horen" in card.next_button.text()
    assert "na: Leerling en ouders horen" in card.steps_label.text()
    actions = {a.text(): a.isEnabled() for a in card.step_menu.actions()}
    assert actions["Besluit tot schorsing door de directie"] is False
    assert actions["Leerling en ouders horen vóór het besluit"] is True
