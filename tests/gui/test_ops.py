"""The one operation path: saves run off the GUI thread, errors reach one handler, and the
window keeps painting while another process holds the database locked."""

from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from pestdesk.gui import ops
from pestdesk.gui.case_dialogs import NoteDialog
from pestdesk.services import cases
from pestdesk.services.base import Conflict, ServiceError
from pestdesk.store import models as m
from pestdesk.store.db import open_database
from tests.helpers.casework import make_case
from tests.helpers.locks import held_lock


class PaintProbe(QWidget):
    """A window that asks to be repainted every 10 ms and notes when it was."""

    def __init__(self) -> None:
        super().__init__()
        self.resize(200, 100)
        self.painted: list[float] = []
        self.saw_wait_window = False
        self.saw_wait_cursor = False
        self.timer = QTimer(self, interval=10)
        self.timer.timeout.connect(self.tick)

    def tick(self) -> None:
        self.update()
        wait = None
        for widget in QApplication.topLevelWidgets():
            if widget.objectName() == "opWait" \
                    and widget.isVisible():
                wait = widget
        self.saw_wait_window |= wait is not None
        self.saw_wait_cursor |= QApplication.overrideCursor() is not None

    def paintEvent(self, event) -> None:  # noqa: N802
        self.painted.append(time.monotonic())

    def longest_gap(self, start: float, end: float) -> float:
        times = [start, *(t for t in self.painted if start <= t <= end), end]
        return max(b - a for a, b in zip(times, times[1:], strict=False))


@pytest.fixture
def slow_db(db, db_path):
    """The test database reopened with a short busy timeout (300 ms)."""
    setup = make_case()
    db.close()
    database = open_database(db_path, verify=False, busy_ms=300)
    yield setup
    database.close()


def test_save_against_a_locked_file_keeps_the_window_painting(slow_db, db_path, qtbot):
    probe = PaintProbe()
    qtbot.addWidget(probe)
    probe.show()
    probe.timer.start()
    dialog = NoteDialog(slow_db.actor, slow_db.case_id, probe)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.text.setPlainText("Gesprek met de ouders gepland.")
    qtbot.wait(50)
    with held_lock(db_path):
        start = time.monotonic()
        dialog.accept()  # waits out the busy timeout and the retries, then refuses
        end = time.monotonic()
    assert end - start > 0.3  # it really waited for the lock
    gap = probe.longest_gap(start, end)
    assert gap < 0.1, f"the window did not paint for {gap * 1000:.0f} ms"
    assert probe.saw_wait_cursor and probe.saw_wait_window
    assert dialog.isVisible()  # refused: the dialog stays, with what was typed
    assert dialog.text.toPlainText() == "Gesprek met de ouders gepland."
    assert "opnieuw" in dialog.error.text() and dialog.error.isVisible()
    assert QApplication.overrideCursor() is None

    seen: list[ops.Changes] = []
    ops.bus.changed.connect(seen.append)
    try:
        dialog.accept()  # the colleague is done: now it saves
    finally:
        ops.bus.changed.disconnect(seen.append)
    assert not dialog.isVisible()
    assert seen == [ops.Changes.case(slow_db.case_id, ops.TIMELINE)]
    notes = m.Event.select().where(m.Event.case == slow_db.case_id, m.Event.kind == "note")
    assert [e.body for e in notes] == ["Gesprek met de ouders gepland."]


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
    from pestdesk.gui import crash

    monkeypatch.setattr(crash, "excepthook", lambda kind, exc, tb: crashed.append(kind))
    label = QLabel()
    assert not ops.run(None, lambda: {}["missing"], show=label.setText)
    assert crashed == [KeyError] and label.text() == ""  # never the data in a message
