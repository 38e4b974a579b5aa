"""Child process for bench/run.py: start the app (or a bare window), report when its first
paint happened and, for pestdesk, when the overview (filled a moment later) was ready."""

import resource
import sys
import time

T0 = time.perf_counter()
mode, path = sys.argv[1], sys.argv[2]

from PySide6.QtCore import QEvent, QObject  # noqa: E402
from PySide6.QtWidgets import QApplication, QMainWindow  # noqa: E402

app = QApplication([])


class FirstPaint(QObject):
    """Notes the moment the window is first painted (what the user first sees)."""

    at = None

    def eventFilter(self, watched, event):  # noqa: N802
        if self.at is None and event.type() == QEvent.Type.Paint:
            self.at = time.perf_counter() - T0
        return False


if mode == "bare":
    window = QMainWindow()
    window.resize(1280, 780)
else:
    from pestdesk.gui.app import sign_in
    from pestdesk.gui.common import translation
    from pestdesk.gui.main_window import MainWindow
    from pestdesk.store.db import open_database

    translation.install(app, "nl")
    open_database(path, verify=False)
    actor = sign_in(path)
    window = MainWindow(path, actor, demo=True)
painted = FirstPaint()
window.installEventFilter(painted)
window.show()
while painted.at is None:
    app.processEvents()
shown = painted.at
if mode != "bare":  # the overview's lists fill right after the first paint
    while "overview" not in window.views:
        app.processEvents()
    app.processEvents()
filled = time.perf_counter() - T0
print("SHOWN", shown, filled, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, flush=True)
