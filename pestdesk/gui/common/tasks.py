"""Background work for the GUI: run a function on Qt's thread pool, report on the GUI thread.

Long work (imports, batch letters, backups, integrity checks) never blocks the window; the
result or the error comes back through a queued signal.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QRunnable, Signal

from pestdesk.services import threads


class TaskSignals(QObject):
    done = Signal(object)
    failed = Signal(object)
    progress = Signal(int, int)


class Task(QRunnable):
    def __init__(self, fn: Callable[..., object], *, with_progress: bool = False):
        super().__init__()
        self.fn = fn
        self.with_progress = with_progress
        self.signals = TaskSignals()
        self.setAutoDelete(False)

    def run(self) -> None:
        try:
            if self.with_progress:
                result = self.fn(lambda done, total: self.signals.progress.emit(done, total))
            else:
                result = self.fn()
        except Exception as exc:  # reported to the GUI thread, never printed
            self.signals.failed.emit(exc)
        else:
            self.signals.done.emit(result)
        finally:
            # peewee keeps a connection per thread: a pool thread must not keep one (and, on
            # a shared file, a lock) open after its work
            threads.close_thread_connection()
