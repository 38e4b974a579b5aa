"""The one operation path: saves run off the GUI thread, errors reach one handler, and the
window keeps painting while another process holds the database locked."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtWidgets import QApplication, QLabel

from pestdesk.gui.case.dialogs import NoteDialog
from pestdesk.gui.case.view import CaseWindow
from pestdesk.gui.common import ops
from pestdesk.gui.people.students import StudentCard
from pestdesk.services import cases
from pestdesk.services.base import Conflict, ServiceError
from pestdesk.store import models as m
from pestdesk.store.db import open_database
from tests.helpers.casework import make_case
from tests.helpers.locks import held_lock
from tests.helpers.paint import PaintCounter


def _reopen(db, db_path, busy_ms: int):
    setup = make_case()
    db.close()
    database = open_database(db_path, verify=False, busy_ms=busy_ms)
    return setup, database


@pytest.fixture
def slow_db(db, db_path):
    """The test database reopened with a short busy timeout (300 ms): a held lock runs the
    save out of its wait and retries."""
    setup, database = _reopen(db, db_path, 300)
    yield setup
    database.close()


@pytest.fixture
def patient_db(db, db_path):
    """The test database reopened with a long busy timeout (5 s, the local default): the
    save waits for a colleague's lock to go."""
    setup, database = _reopen(db, db_path, 5000)
    yield setup
    database.close()


def _note_dialog(qtbot, setup) -> NoteDialog:
    dialog = NoteDialog(setup.actor, setup.case_id)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.text.setPlainText("Gesprek met de ouders gepland.")
    return dialog


def _notes(case_id: int) -> list[str]:
    return [e.body for e in m.Event.select().where(m.Event.case == case_id,
                                                   m.Event.kind == "note")]


def test_a_lock_held_past_the_busy_timeout_keeps_the_window_painting_then_says_busy(
        slow_db, db_path, qtbot):
    dialog = _note_dialog(qtbot, slow_db)
    counter = PaintCounter(dialog)
    try:
        with held_lock(db_path):  # another process: a colleague's long save
            dialog.accept()  # waits out the busy timeout and the retries, then refuses
    finally:
        counter.stop()
    # the window was painted again and again while the save waited for the lock
    assert counter.during_op >= 3, counter.during_op
    assert counter.saw_wait_cursor and counter.saw_wait_window
    assert dialog.isVisible()  # refused: the dialog stays, with what was typed
    assert dialog.text.toPlainText() == "Gesprek met de ouders gepland."
    assert "opnieuw" in dialog.error.text() and dialog.error.isVisible()
    assert QApplication.overrideCursor() is None
    assert _notes(slow_db.case_id) == []  # nothing half-done

    seen: list[ops.Changes] = []
    ops.bus.changed.connect(seen.append)
    try:
        dialog.accept()  # the colleague is done: now it saves
    finally:
        ops.bus.changed.disconnect(seen.append)
    assert not dialog.isVisible()
    assert seen == [ops.Changes.case(slow_db.case_id, ops.TIMELINE)]
    assert _notes(slow_db.case_id) == ["Gesprek met de ouders gepland."]


def test_a_save_waiting_for_a_lock_goes_through_once_the_other_process_lets_go(
        patient_db, db_path, qtbot):
    """The GUI thread itself lets the other process go, after the window has painted a few
    times during the save: a save that held the GUI thread could never get there and would
    end busy."""
    dialog = _note_dialog(qtbot, patient_db)
    counter = PaintCounter(dialog)
    with held_lock(db_path) as holder:
        def release(painted: int) -> None:
            if painted == 5 and not holder.stdin.closed:
                holder.stdin.close()  # the holder rolls back and ends

        counter.on_paint.append(release)
        try:
            dialog.accept()
        finally:
            counter.stop()
        released_during_save = holder.stdin.closed
    assert released_during_save and counter.during_op >= 5
    assert not dialog.isVisible(), dialog.error.text()  # saved: the dialog closed
    assert _notes(patient_db.case_id) == ["Gesprek met de ouders gepland."]
    assert QApplication.overrideCursor() is None


def test_the_call_runs_on_another_thread_and_returns_its_result(db, qtbot):
    seen = {}

    def work():
        seen["thread"] = threading.get_ident()
        return 42

    op = ops.Op(None, work)
    assert op.run() and op.result == 42
    assert seen["thread"] != threading.get_ident()


def test_every_kind_of_error_goes_to_the_one_handler(db, qtbot, monkeypatch):
    shown: list[str] = []
    refusal = ServiceError("Dat mag niet.")
    assert not ops.Op(None, lambda: (_ for _ in ()).throw(refusal)).errors_to(
        shown.append).run()
    assert shown == ["Dat mag niet."]
    validation = cases.ValidationError({"a": "Vul een datum in.", "b": "Vul een datum in."})
    assert ops.error_kind(validation) == "validation"
    assert ops.error_text(validation) == "Vul een datum in."
    assert ops.error_kind(Conflict("case", 1)) == "conflict"
    assert ops.error_kind(ServiceError(ops._("You do not have the rights to do this."))) \
        == "forbidden"

    crashed: list[type] = []
    from pestdesk.gui.common import crash

    monkeypatch.setattr(crash, "excepthook", lambda kind, exc, tb: crashed.append(kind))
    label = QLabel()
    assert not ops.run(None, lambda: {}["missing"], show=label.setText)
    assert crashed == [KeyError] and label.text() == ""  # never the data in a message


# -- long reads: the case window opens and reloads on the op path ---------------------------
@pytest.fixture
def shared_db(db, db_path):
    """The test database reopened as on a network share (the rollback journal: a held lock
    keeps readers out too, not only writers) with the local busy timeout (5 s)."""
    setup = make_case()
    db.close()
    database = open_database(db_path, verify=False, busy_ms=5000, network=True)
    yield setup
    database.close()


def _release_after(counter: PaintCounter, holder, paints: int = 5) -> None:
    def release(painted: int) -> None:
        if painted == paints and not holder.stdin.closed:
            holder.stdin.close()  # the holder rolls back and ends

    counter.on_paint.append(release)


def test_the_case_window_reloads_off_the_gui_thread_while_another_process_holds_the_lock(
        shared_db, db_path, qtbot):
    """The reload waits for the lock on the worker; the window paints meanwhile and the GUI
    thread itself lets the other process go. A reload on the GUI thread could never get
    there: it would wait out the busy timeout and end busy."""
    window = CaseWindow(shared_db.actor, shared_db.case_id)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    view = window.view
    before = view.timeline_model.total()
    cases.add_note(shared_db.actor, shared_db.case_id, "Gesprek met de ouders gepland.")
    ladder = view.ladder.itemAt(0).widget()
    counter = PaintCounter(window)
    with held_lock(db_path) as holder:
        _release_after(counter, holder)
        try:
            view.reload(frozenset({ops.TIMELINE}))
        finally:
            counter.stop()
        released_during_read = holder.stdin.closed
    assert released_during_read and counter.during_op >= 5
    assert view.timeline_model.total() == before + 1
    assert view.timeline_model.row(0).body == "Gesprek met de ouders gepland."
    assert view.ladder.itemAt(0).widget() is ladder  # only the timeline was refreshed
    assert QApplication.overrideCursor() is None


def test_a_case_opens_off_the_gui_thread_while_another_process_holds_the_lock(
        shared_db, db_path, qtbot):
    """Opening a case reads it and writes its ``view`` audit line on the worker: the window
    the user opened it from keeps painting."""
    main = QLabel("pestdesk")
    qtbot.addWidget(main)
    main.show()
    qtbot.waitExposed(main)
    counter = PaintCounter(main)
    with held_lock(db_path) as holder:
        _release_after(counter, holder)
        try:
            window = CaseWindow(shared_db.actor, shared_db.case_id)
        finally:
            counter.stop()
        released_during_open = holder.stdin.closed
    qtbot.addWidget(window)
    assert released_during_open and counter.during_op >= 5
    assert window.view.detail.number == "2026-0001"
    assert "2026-0001" in window.windowTitle()
    assert m.AuditLog.select().where(m.AuditLog.action == "view",
                                     m.AuditLog.record_id == shared_db.case_id).exists()


def test_a_hidden_case_still_refuses_to_open_on_the_op_path(db, qtbot):
    from pestdesk.services.access import NotFound

    setup = make_case()
    stranger = setup.actor.__class__(user_id=None, username="vreemde", staff_id=None,
                                     roles=frozenset({"mentor"}))
    with pytest.raises(NotFound):
        CaseWindow(stranger, setup.case_id)
    assert ops.running == 0 and QApplication.overrideCursor() is None


def test_a_student_card_opens_off_the_gui_thread_while_another_process_holds_the_lock(
        shared_db, db_path, qtbot):
    card = StudentCard(shared_db.actor)
    qtbot.addWidget(card)
    card.show()
    qtbot.waitExposed(card)
    counter = PaintCounter(card.placeholder)  # the part of the card on screen before
    with held_lock(db_path) as holder:
        _release_after(counter, holder)
        try:
            card.show_student(shared_db.victim_id)
        finally:
            counter.stop()
        released_during_open = holder.stdin.closed
    assert released_during_open and counter.during_op >= 5, (counter.during_op,
                                                             card.placeholder.text())
    assert card.card is not None and card.name.text() == "Sanne Visser"
    assert card.content.isVisible()


def test_a_student_card_that_stays_locked_says_busy_in_the_card(slow_db, db_path, qtbot):
    card = StudentCard(slow_db.actor)
    qtbot.addWidget(card)
    card.show()
    with held_lock(db_path):
        card.show_student(slow_db.victim_id)
    assert card.card is None and not card.content.isVisible()
    assert "opnieuw" in card.placeholder.text()
    assert QApplication.overrideCursor() is None
