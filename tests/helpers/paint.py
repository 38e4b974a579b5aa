"""Counting a window's paint events while an operation runs (``gui.common.ops``)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from pestdesk.gui.common import ops


class PaintCounter(QObject):
    """Counts the paint events a window gets while an op runs; a timer on the GUI thread
    asks it to repaint every 10 ms, as a moving cursor or a blinking caret would. If the
    save ran on the GUI thread no paint (and no timer) could happen until it ended."""

    def __init__(self, window: QWidget) -> None:
        super().__init__()
        self.window = window
        self.during_op = 0
        self.saw_wait_window = False
        self.saw_wait_cursor = False
        self.on_paint: list = []  # callbacks, each given the count so far
        window.installEventFilter(self)
        self.timer = QTimer(self, interval=10)
        self.timer.timeout.connect(window.update)
        self.timer.start()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt name
        if event.type() == QEvent.Type.Paint and ops.running:
            self.during_op += 1
            self.saw_wait_cursor |= QApplication.overrideCursor() is not None
            self.saw_wait_window |= any(w.objectName() == "opWait" and w.isVisible()
                                        for w in QApplication.topLevelWidgets())
            for callback in self.on_paint:
                callback(self.during_op)
        return False

    def stop(self) -> None:
        self.timer.stop()
        self.window.removeEventFilter(self)
