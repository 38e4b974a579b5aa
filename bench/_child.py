"""Child process for bench/run.py: start the app (or a bare window), report when shown."""

import resource
import sys
import time

T0 = time.perf_counter()
mode, path = sys.argv[1], sys.argv[2]

from PySide6.QtWidgets import QApplication, QMainWindow  # noqa: E402

app = QApplication([])
if mode == "bare":
    window = QMainWindow()
    window.resize(1280, 780)
else:
    from pestdesk.gui import translation
    from pestdesk.gui.app import sign_in
    from pestdesk.gui.main_window import MainWindow
    from pestdesk.store.db import open_database

    translation.install(app, "nl")
    open_database(path, verify=False)
    actor = sign_in(path)
    window = MainWindow(path, actor, demo=True)
window.show()
while not window.isVisible():
    app.processEvents()
app.processEvents()
shown = time.perf_counter() - T0
if mode != "bare":  # the overview's lists fill right after the first paint
    while "overview" not in window.views:
        app.processEvents()
    app.processEvents()
filled = time.perf_counter() - T0
print("SHOWN", shown, filled, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, flush=True)
