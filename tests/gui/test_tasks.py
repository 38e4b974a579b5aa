"""Background tasks close the database connection of the pool thread they ran on."""

from __future__ import annotations

import threading

from PySide6.QtCore import QThreadPool

from pestdesk.gui.common.tasks import Task
from pestdesk.store import models as m


def test_task_closes_its_threads_connection(db, qtbot):
    seen = {}

    def work():
        seen["count"] = m.Student.select().count()  # opens this thread's connection
        seen["thread"] = threading.get_ident()
        seen["open_during"] = not m.database.is_closed()
        return "klaar"

    task = Task(work)
    with qtbot.waitSignal(task.signals.done, timeout=5000) as done:
        QThreadPool.globalInstance().start(task)
    assert done.args == ["klaar"]
    assert seen["open_during"] and seen["thread"] != threading.get_ident()
    closed = {}
    probe = Task(lambda: closed.setdefault("closed", m.database.is_closed()))
    # the same pool thread would find a closed connection; checking on any worker thread:
    with qtbot.waitSignal(probe.signals.done, timeout=5000):
        QThreadPool.globalInstance().start(probe)
    assert closed["closed"] is True
