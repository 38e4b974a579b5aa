"""The case window as a coordinator uses it all week: closing with the keyboard, a letter
without a step, Dutch kinds and students in the timeline, only the changed parts refreshed."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from pestdesk import clock
from pestdesk.gui.case import dialogs
from pestdesk.gui.case.timeline import kind_label
from pestdesk.gui.case.view import CaseWindow
from pestdesk.services import cases
from tests.helpers.gui import check, demo_school, fresh_students, new_case, open_view, when_modal


@pytest.fixture
def actor(db, qt_dutch):
    return demo_school()


@pytest.mark.parametrize("key, modifier", [(Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier),
                                           (Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)])
def test_esc_and_ctrl_w_close_the_case_window(qtbot, actor, key, modifier):
    victim, bully = fresh_students(2)
    window = CaseWindow(actor, new_case(actor, victim, bully))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    with qtbot.waitSignal(window.closed, timeout=2000):
        qtbot.keyClick(window.view.timeline, key, modifier)  # focus in the timeline
    assert not window.isVisible()


def test_the_letter_button_opens_the_letters_dialog_for_this_case(qtbot, actor):
    from pestdesk.gui.letters.dialogs import ComposeDialog

    victim, bully = fresh_students(2)
    case_id = new_case(actor, victim, bully)
    view = open_view(qtbot, actor, case_id)
    assert view.letter_button.isEnabled() and view.letter_button.text() == "&Brief…"
    seen = []
    errors = when_modal(lambda dialog: (seen.append(dialog.case_id), dialog.reject()),
                        kind=ComposeDialog)
    view.letter_button.click()
    check(errors)
    assert seen == [case_id]


def test_timeline_kinds_in_dutch_and_the_conversations_students(qtbot, actor):
    victim, bully = fresh_students(2)
    case_id = new_case(actor, victim, bully)
    assert kind_label("hearing") == "Hoorgesprek"
    assert kind_label("inspectie_melding") == "Melding aan de inspectie"
    cases.log_conversation(actor, case_id, cases.ConversationInput(
        held_on=clock.today(), with_whom="victim", summary="Gesprek",
        student_ids=(victim.id,)))
    view = open_view(qtbot, actor, case_id)
    model = view.timeline_model
    row = next(r for r in range(model.rowCount()) if model.row(r).kind == "conversation")
    assert model.data(model.index(row, 3)) == f"{victim.first_name} {victim.last_name}"
    assert view.timeline_count.text() in ("2 regels", "3 regels")
    cases.add_note(actor, case_id, "één")
    view.reload()
    assert view.timeline_count.text().endswith("regels")


def test_a_note_refreshes_the_timeline_only_not_the_ladder(qtbot, actor):
    victim, bully = fresh_students(2)
    view = open_view(qtbot, actor, new_case(actor, victim, bully))
    cards = list(view.cards)
    before = view.timeline_model.total()

    def write(dialog):
        dialog.text.setPlainText("Even bijgepraat met de mentor.")
        dialog.accept()

    errors = when_modal(write, kind=dialogs.NoteDialog)
    view.add_note()
    check(errors)
    assert view.timeline_model.total() == before + 1
    assert view.cards == cards  # the ladder was not rebuilt for a note
    errors = when_modal(lambda d: (d.description.setPlainText("Evalueren"), d.accept()),
                        kind=dialogs.AgreementDialog)
    view.add_agreement()
    check(errors)
    assert view.agreements.rowCount() == 1
