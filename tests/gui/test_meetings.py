"""The meetings screens: plan a meeting, see the agenda with consent, minutes, actions, pack."""

from __future__ import annotations

import datetime as dt
import io

from pypdf import PdfReader
from PySide6.QtCore import QDate, QDateTime, Qt, QTime

from pestdesk.i18n import _
from pestdesk.services import meetings
from pestdesk.store import models as m
from tests.helpers.casework import make_case, pester_stage, put_on_stage
from tests.helpers.renamed import S

OUTSIDE = [meetings.External("J. de Leeuw", "leerplichtambtenaar")]

START = dt.datetime(2026, 11, 18, 14, 30, tzinfo=dt.UTC)


def _section(qtbot, setup):
    from pestdesk.gui.meetings.view import MeetingsSection

    section = MeetingsSection(setup.actor)
    qtbot.addWidget(section)
    section.show()
    return section


def test_plan_dialog_creates_the_meeting(qtbot, db):
    from pestdesk.gui.meetings.view import PlanMeetingDialog

    setup = make_case()
    dialog = PlanMeetingDialog(setup.actor)
    qtbot.addWidget(dialog)
    dialog.kind.setCurrentIndex(dialog.kind.findData("OT"))
    dialog.when.setDateTime(QDateTime(QDate(2026, 11, 18), QTime(14, 30)))
    dialog.place.setText("Kamer 1.14")
    dialog.externals.setPlainText("J. de Leeuw ; leerplichtambtenaar\nA. Smit ; jeugdarts")
    dialog.attendees.item(0).setCheckState(Qt.CheckState.Checked)
    dialog.save()
    assert dialog.meeting_id is not None
    meeting = m.Meeting.get_by_id(dialog.meeting_id)
    assert meeting.kind == "OT" and meeting.place == "Kamer 1.14"
    assert [e.role for e in meetings.externals_of(meeting)] == ["leerplichtambtenaar",
                                                                "jeugdarts"]
    assert meetings.attendees_of(meeting) == [setup.staff_id]


def test_detail_shows_consent_and_records_minutes_and_action(qtbot, db):
    setup = make_case()
    put_on_stage(setup, "ot")
    meeting = meetings.plan_meeting(setup.actor, kind="OT", starts_at=START,
                                    chair_id=setup.staff_id, externals=OUTSIDE)
    meetings.add_item(setup.actor, meeting.id, setup.case_id, "Hoe verder met Bram?")
    section = _section(qtbot, setup)
    section.open_meeting(meeting.id)
    detail = section.detail
    assert section.stack.currentWidget() is detail
    assert detail.agenda.count() == 1
    assert _("(anonymised)") in detail.agenda.item(0).text()
    # without consent no name on screen either: "Leerling A", also in the question
    assert "Bram" not in detail.consent.text() and "Leerling" in detail.consent.text()
    assert "Bram" not in detail.question.text()
    detail.minutes.setPlainText("Besproken met leerplicht.")
    detail.decision.setPlainText("Aanmelden bij het wijkteam")
    detail.save_button.click()
    item = m.AgendaItem.get()
    assert item.decision == "Aanmelden bij het wijkteam"
    detail.action_text.setText("Wijkteam bellen")
    detail.action_due.setDate(QDate(2026, 11, 25))
    detail.action_button.click()
    action = m.Action.get(m.Action.agenda_item == item.id)
    assert action.owner_id == detail.action_owner.currentData()
    assert detail.actions.count() == 1
    kinds = [e.kind for e in m.Event.select().where(m.Event.case == setup.case_id)]
    assert "meeting" in kinds and "action" in kinds


def test_pack_is_built_off_the_gui_thread_and_saved_anonymised(qtbot, db, tmp_path):
    setup = make_case()
    meeting = meetings.plan_meeting(setup.actor, kind="OT", starts_at=START, externals=OUTSIDE)
    meetings.add_item(setup.actor, meeting.id, setup.case_id, "Vraag over Sanne")
    section = _section(qtbot, setup)
    section.open_meeting(meeting.id)
    detail = section.detail
    target = tmp_path / "pack.pdf"
    detail.choose_path = lambda *_a: str(target)
    detail.make_pack()
    qtbot.waitUntil(lambda: target.exists(), timeout=10000)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(target.read_bytes())).pages)
    assert "2026-0001" in text
    assert "Sanne" not in text and "Bakker" not in text
    ics = tmp_path / "ot.ics"
    detail.choose_path = lambda *_a: str(ics)
    detail.ics_button.click()
    assert ics.read_bytes().startswith(b"BEGIN:VCALENDAR\r\n")


def test_pack_worker_closes_its_own_connection(qtbot, db, tmp_path, monkeypatch):
    import threading

    from pestdesk.services import threads

    setup = make_case()
    meeting = meetings.plan_meeting(setup.actor, kind="OT", starts_at=START)
    meetings.add_item(setup.actor, meeting.id, setup.case_id, "Vraag")
    section = _section(qtbot, setup)
    section.open_meeting(meeting.id)
    closed = []
    real_close = threads.close_thread_connection

    def close_and_note():  # the real close, noting on which thread and what it left
        was_open = not m.database.is_closed()
        real_close()
        closed.append((threading.current_thread() is threading.main_thread(), was_open,
                       m.database.is_closed()))

    monkeypatch.setattr(threads, "close_thread_connection", close_and_note)
    target = tmp_path / "pack.pdf"
    section.detail.choose_path = lambda *_a: str(target)
    section.detail.make_pack()
    qtbot.waitUntil(lambda: target.exists() and bool(closed), timeout=10000)  # after the job
    assert closed == [(False, True, True)]  # the worker's connection, open until closed
    assert not m.database.is_closed()  # the GUI thread keeps its own


def test_the_decision_moves_the_bully_with_a_reason_where_the_protocol_asks(qtbot, db,
                                                                          monkeypatch):
    from pestdesk import clock

    clock.set_today(dt.date(2026, 11, 20))
    setup = make_case()
    put_on_stage(setup, "izo")
    meeting = meetings.plan_meeting(setup.actor, kind="IZO", starts_at=START,
                                    chair_id=setup.staff_id)
    meetings.add_item(setup.actor, meeting.id, setup.case_id, "Verder?")
    section = _section(qtbot, setup)
    section.open_meeting(meeting.id)
    detail = section.detail
    assert not detail.move_pester.isVisible()  # one bully: nothing to choose
    assert detail.move_stage.currentData() == ""  # by default the bully stays
    assert not detail.move_reason.isVisible()
    titles = [detail.move_stage.itemText(i) for i in range(detail.move_stage.count())]
    assert "Bespreking in het Ondersteuningsteam (OT)" in titles
    detail.move_stage.setCurrentIndex(detail.move_stage.findData(S("ot")))
    assert detail.move_reason.isVisible()  # 'aanmelden' is open: the engine wants a reason
    assert "Leerling aanmelden voor het IZO" in detail.move_message.text()
    detail.minutes.setPlainText("Besproken.")
    detail.decision.setPlainText("Aanmelden bij het OT")
    warnings = []
    import pestdesk.gui.meetings.view as view_module

    monkeypatch.setattr(view_module.QMessageBox, "warning",
                        staticmethod(lambda *a: warnings.append(a[2])))
    detail.save_button.click()  # no reason: refused, nothing saved
    assert warnings and m.AgendaItem.get().minutes == ""
    detail.move_reason.setText("Aanmelding liep al via de mail.")
    detail.save_button.click()
    assert len(warnings) == 1
    assert m.AgendaItem.get().minutes == "Besproken."
    assert pester_stage(setup) == "ot"
    # after the reload the bully stands on the OT and stays there by default
    assert detail.move_stage.currentData() == ""
    assert "OT" in detail.move_stage.currentText()


def test_no_reason_is_asked_where_the_meetings_own_steps_complete_the_stage(qtbot, db):
    from pestdesk import clock
    from pestdesk.services import cases
    from tests.helpers.renamed import T

    clock.set_today(dt.date(2026, 11, 20))
    setup = make_case()
    put_on_stage(setup, "izo")
    cases.record_step(setup.actor, setup.case_id, T("aanmelden"), on=dt.date(2026, 11, 2),
                      student_id=setup.pester_id)
    meeting = meetings.plan_meeting(setup.actor, kind="IZO", starts_at=START,
                                    chair_id=setup.staff_id)
    meetings.add_item(setup.actor, meeting.id, setup.case_id, "Verder?")
    section = _section(qtbot, setup)
    section.open_meeting(meeting.id)
    detail = section.detail
    detail.move_stage.setCurrentIndex(detail.move_stage.findData(S("ot")))
    assert detail.move_reason.isVisible()  # without a decision 'Afspraken vastleggen' is open
    detail.minutes.setPlainText("Besproken.")
    detail.decision.setPlainText("Aanmelden bij het OT")
    assert not detail.move_reason.isVisible()  # the decision ticks it: the protocol's order
    detail.save_button.click()
    assert pester_stage(setup) == "ot"


def test_record_consent_beside_an_anonymised_student(qtbot, db, monkeypatch):
    """'geen toestemming: geanonimiseerd' has a 'Toestemming vastleggen' button beside it;
    the consent is recorded through the meetings service and the student is named at once.
    A role that does not record consent sees the button greyed out with the reason."""
    from pestdesk import clock
    from pestdesk.gui.meetings.consent import ConsentDialog
    from pestdesk.services.base import Actor, write

    clock.set_today(dt.date(2026, 11, 16))
    setup = make_case(pester_birth=dt.date(2009, 5, 1))  # 17: consents herself
    put_on_stage(setup, "ot")
    with write():
        m.Student.update(birth_date=None).where(m.Student.id == setup.victim_id).execute()
    meeting = meetings.plan_meeting(setup.actor, kind="OT", starts_at=START,
                                    chair_id=setup.staff_id, externals=OUTSIDE)
    meetings.add_item(setup.actor, meeting.id, setup.case_id, "Hoe verder met Bram?")
    section = _section(qtbot, setup)
    section.open_meeting(meeting.id)
    detail = section.detail
    assert "geanonimiseerd" in detail.consent.text()
    buttons = {b.property("student_id"): b for b in detail.consent_buttons}
    assert set(buttons) == {setup.pester_id, setup.victim_id}
    assert all(b.text().startswith("Toestemming vastleggen: Leerling ") for b in buttons.values())
    assert "Bram" not in " ".join(b.text() for b in buttons.values())  # no names here either

    def consent_given(dialog):
        assert dialog.givers.by_student and dialog.scope() == ["OT"]
        dialog.save()
        return dialog.result()

    monkeypatch.setattr(ConsentDialog, "exec", consent_given)
    buttons[setup.pester_id].click()
    assert meetings.has_consent(setup.pester_id, "OT", START.date())
    assert [b.property("student_id") for b in detail.consent_buttons] == [setup.victim_id]
    reader = Actor(user_id=setup.actor.user_id, username="lezer", staff_id=setup.staff_id,
                   roles=frozenset({"zorgteam"}))
    other = _section(qtbot, type(setup)(**{**setup.__dict__, "actor": reader}))
    other.open_meeting(meeting.id)
    waiting = other.detail.consent_buttons
    assert waiting and not waiting[0].isEnabled() and "zorgrollen" in waiting[0].toolTip()


def test_externals_take_dutch_role_names_and_free_roles(qtbot, db):
    from pestdesk.gui.meetings.view import PlanMeetingDialog, parse_external

    assert parse_external("J. de Leeuw ; Leerplichtambtenaar") == meetings.External(
        "J. de Leeuw", "leerplichtambtenaar")
    assert parse_external("A. Smit ; jeugdarts").role == "jeugdarts"
    assert parse_external("B. Bos ; wijkagent") == meetings.External("B. Bos (wijkagent)",
                                                                      "other")
    assert parse_external("C. Kok").role == "other"
    setup = make_case()
    dialog = PlanMeetingDialog(setup.actor)
    qtbot.addWidget(dialog)
    assert "leerplichtambtenaar" in dialog.externals_hint.text()  # the roles, in Dutch
    assert "other" not in dialog.externals_hint.text()


def test_added_items_show_at_once_and_the_list_says_planned_or_held(qtbot, db):
    from pestdesk import clock
    from pestdesk.gui.meetings import view

    setup = make_case()
    put_on_stage(setup, "ot")
    clock.set_today(dt.date(2026, 11, 1))
    meeting = meetings.plan_meeting(setup.actor, kind="OT", starts_at=START,
                                    chair_id=setup.staff_id)
    section = _section(qtbot, setup)
    section.open_meeting(meeting.id)
    detail = section.detail
    assert detail.question.text() == _("No agenda items yet.")
    meetings.add_item(setup.actor, meeting.id, setup.case_id, "Hoe verder?")
    detail.reload_agenda(detail.agenda.currentRow())  # as after 'Add cases…'
    assert detail.question.text() == "Hoe verder?"
    assert detail.ics_button.text() != ".ics" and "(.ics)" in detail.ics_button.text()
    section.show_list()
    model = section.list.model
    status = [model.columnCount() - 1]
    assert model.data(model.index(0, status[0])) == "gepland"
    clock.set_today(dt.date(2026, 11, 19))
    section.show_list()
    assert model.data(model.index(0, status[0])) == "gehouden"
    del view


def test_a_mentor_sees_up_front_that_planning_is_not_theirs(qtbot, db):
    from pestdesk.services.base import Actor

    setup = make_case()
    mentor = Actor(setup.actor.user_id, "mentor", setup.staff_id, frozenset({"mentor"}))
    section = _section(qtbot, type(setup)(setup.case_id, setup.victim_id, setup.pester_id,
                                          setup.staff_id, mentor))
    assert not section.plan_button.isEnabled()
    assert "coördinator" in section.plan_button.toolTip() or "zorg" in \
        section.plan_button.toolTip()
