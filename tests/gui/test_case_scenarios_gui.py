"""A case worked along the protocol through the case screen, as a mentor would."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt

from pestdesk import clock
from pestdesk.domain.protocol import get_protocol
from pestdesk.gui.case.conversation import ConversationDialog
from pestdesk.gui.case.timeline import kind_label
from pestdesk.gui.common.labels import status_label
from pestdesk.services import cases
from pestdesk.store.models import Agreement, Attachment, Case, Event
from tests.helpers.gui import (
    PNG,
    check,
    demo_school,
    fresh_students,
    new_case,
    open_view,
    when_modal,
)


@pytest.fixture
def actor(db, qt_dutch):
    return demo_school()


@pytest.fixture
def students():
    return fresh_students(2)


def test_next_step_button_opens_the_guide_and_saving_moves_on(qtbot, actor, students):
    victim, bully = students
    case_id = new_case(actor, victim, bully)
    view = open_view(qtbot, actor, case_id)
    card, = view.cards
    assert "Gesprek met de gepeste leerling" in card.next_button.text()
    guide = get_protocol("doultremont").guide("gepeste")

    def converse(dialog):
        assert isinstance(dialog, ConversationDialog)
        assert list(dialog.guide_form.answers) == list(guide.questions)
        assert dialog.with_whom.currentData() == "victim"
        assert dialog.step_codes() == ("gesprek_gepeste",)
        qtbot.keyClicks(dialog.guide_form.answers[guide.questions[0]], "Ja, al weken.")
        qtbot.keyClicks(dialog.summary, "Leerling vertelt over scheldwoorden in de klas.")
        row = dialog.agreements.add_row()
        qtbot.keyClicks(row, "Mentor checkt vrijdag hoe het gaat")
        dialog.accept()
        assert dialog.result() == 1, dialog.error.text()

    errors = when_modal(converse)
    qtbot.mouseClick(card.next_button, Qt.MouseButton.LeftButton)
    check(errors)
    card, = view.cards
    assert "Apart gesprek met de pester" in card.next_button.text()
    assert "Gesprek met de gepeste leerling" in card.steps_label.text()
    event = Event.get((Event.case == case_id) & (Event.kind == "conversation"))
    assert event.step_code == "gesprek_gepeste" and "Ja, al weken." in event.data
    agreement = Agreement.get(Agreement.case == case_id)
    assert agreement.owner_id == actor.staff_id
    assert agreement.evaluate_on == clock.today() + dt.timedelta(days=14)
    assert view.agreements.rowCount() == 1
    assert view.timeline_model.row(0).kind == "conversation"  # newest first


def test_the_bully_conversation_uses_the_three_aims(qtbot, actor, students):
    victim, bully = students
    case_id = new_case(actor, victim, bully)
    cases.record_step(actor, case_id, "gesprek_gepeste")
    view = open_view(qtbot, actor, case_id)
    aims = get_protocol("doultremont").guide("pester").aims

    def converse(dialog):
        assert list(dialog.guide_form.answers) == list(aims)
        assert dialog.pester.currentData() == bully.id
        assert dialog.with_whom.currentData() == "bully"
        for aim in aims:
            qtbot.keyClicks(dialog.guide_form.answers[aim], "besproken")
        dialog.accept()

    errors = when_modal(converse)
    view.cards[0].next_button.click()
    check(errors)
    assert "Gesprek met gepeste en pester samen" in view.cards[0].next_button.text()


def test_escalating_without_reason_shows_the_engines_refusal(qtbot, actor, students):
    victim, bully = students
    case_id = new_case(actor, victim, bully)
    view = open_view(qtbot, actor, case_id)
    with pytest.raises(cases.TransitionError) as refused:
        cases.escalate(actor, case_id, bully.id)  # what the engine says, nothing stored
    seen = {}

    def escalate(dialog):
        dialog.accept()
        seen["error"] = dialog.error.text()
        seen["open"] = dialog.isVisible()
        qtbot.keyClicks(dialog.reason, "Ernstige bedreiging, direct naar de afdeling")
        dialog.accept()

    errors = when_modal(escalate)
    view.cards[0].escalate_button.click()
    check(errors)
    assert seen["error"] == refused.value.message and seen["open"]
    assert "Gesprek met de gepeste leerling" in seen["error"]
    assert view.cards[0].pester.stage_code == "afdelingscoordinator"
    assert view.timeline_model.data(view.timeline_model.index(0, 1)) == kind_label("escalate")


def test_close_needs_a_reason_and_reopen_works(qtbot, actor, students):
    victim, bully = students
    case_id = new_case(actor, victim, bully)
    view = open_view(qtbot, actor, case_id)

    def close(dialog):
        dialog.accept()
        assert dialog.isVisible() and dialog.error.text()
        qtbot.keyClicks(dialog.reason, "Pesten gestopt, nagevraagd bij de gepeste")
        dialog.accept()

    errors = when_modal(close)
    view.close_button.click()
    check(errors)
    assert Case.get_by_id(case_id).status == "closed"
    assert view.status_chip.text() == status_label("closed") == "afgesloten"
    assert not view.conversation_button.isEnabled()
    assert view.cards[0].next_button is None  # nothing to do in a closed case

    def reopen(dialog):
        qtbot.keyClicks(dialog.reason, "Opnieuw gemeld door ouders")
        dialog.accept()

    errors = when_modal(reopen)
    view.close_button.click()
    check(errors)
    assert Case.get_by_id(case_id).status == "open"
    assert view.conversation_button.isEnabled()
    assert view.cards[0].next_button is not None


def test_grooming_shows_the_police_advice_and_refuses_a_png(qtbot, actor, students, tmp_path):
    victim, bully = students
    case_id = new_case(actor, victim, bully, forms=("grooming",), locations=("online",))
    view = open_view(qtbot, actor, case_id)
    advice = view.findChild(type(view.number), "trackAdvice")
    assert advice is not None and advice.isVisible()
    text = advice.text()
    assert "aangifte" in text and "NIET blokkeren" in text
    assert "niet uitgebreid over ondervragen" in text
    assert "0900-8844" in text  # the police line from the school's helpline table
    assert view.checklist_buttons.get("afzender_blokkeren") is None  # skipped: do not block
    picture = tmp_path / "screenshot.png"
    picture.write_bytes(PNG)
    seen = {}

    def describe(dialog):
        refusal = dialog.findChild(type(view.number), "refusal")
        seen["refusal"] = refusal.text()
        qtbot.keyClicks(dialog.description, "Chatbericht van onbekende volwassene, gezien op "
                                            "de telefoon van de leerling")
        dialog.accept()

    errors = when_modal(describe)
    stored = view.evidence_tab().add_paths([picture])
    check(errors)
    assert stored == 0
    assert "grooming" in seen["refusal"]
    assert Attachment.select().where(Attachment.case == case_id).count() == 0
    assert Event.get((Event.case == case_id) & (Event.kind == "evidence")).body.startswith(
        "Chatbericht")
