"""One operation path for every save (after Anki's ``CollectionOp``).

A screen hands :class:`Op` a service call; the op

* runs it on a worker thread (its own peewee connection, closed afterwards by
  ``gui.common.tasks.Task``), so a database held locked by another PC never freezes the window:
  the GUI thread keeps painting while the worker waits out SQLite's busy timeout;
* shows the wait cursor at once and a small "Saving…" window after :data:`WAIT_DIALOG_MS`;
* keeps the user's input away from the screens while it runs (no second click on Save, no
  closing a window half-way), like a modal dialog would;
* routes every refusal to :func:`handle_error`, the one place that knows the kinds:
  validation, conflict (compare, reload, put my edits back), busy, read-only, permission,
  anything else the services refuse, and an unexpected error (the privacy-safe crash hook);
* announces what changed on :data:`bus` (:class:`Changes`: which parts, which case), so a
  screen refreshes only the parts a save touched.

Reads that must not hold the user up at all (a search while typing) use :class:`Latest`:
it runs the call on the same threads and hands back only the newest answer, so a slow
older search can never overwrite a newer one; its errors reach the same handler.

``Op.run()`` returns once the call has finished (it waits in a local event loop, as
``QDialog.exec()`` does), so a dialog's ``accept()`` keeps its plain shape::

    if Op(self, lambda: cases.add_note(...), changes=Changes.case(id, TIMELINE)) \\
            .errors_to(self.show_error).run():
        super().accept()
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QEvent, QEventLoop, QObject, Qt, QThreadPool, QTimer, Signal, Slot
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QMessageBox, QVBoxLayout, QWidget

from pestdesk.gui.common.tasks import Task
from pestdesk.i18n import _
from pestdesk.services import access, cases
from pestdesk.services.base import Conflict, ReadOnlyMode, ServiceError
from pestdesk.store import errors as store_errors
from pestdesk.store.errors import StoreError

WAIT_DIALOG_MS = 300

# -- what changed -----------------------------------------------------------------------
# The parts of the screens a save can touch. A case window refreshes only the parts named.
CASE = "case"  # header, status, banners, owner, the report's fields
LADDER = "ladder"  # the ladder per bully, the cyber checklist
STUDENTS = "students"
TIMELINE = "timeline"
EVIDENCE = "evidence"
AGREEMENTS = "agreements"
LETTERS = "letters"
MEETINGS = "meetings"
PEOPLE = "people"  # students, guardians, staff
SETTINGS = "settings"
BACKUPS = "backups"
USERS = "users"
CASES = "cases"  # the lists of cases: a case registered, the overview, the counts
CASE_PARTS = frozenset({CASE, LADDER, STUDENTS, TIMELINE, EVIDENCE, AGREEMENTS})
EVERYTHING = CASE_PARTS | {CASES, LETTERS, MEETINGS, PEOPLE, SETTINGS, BACKUPS, USERS}


@dataclass(frozen=True)
class Changes:
    """What a finished operation changed: parts of the screens, and the case (if one)."""

    parts: frozenset[str] = field(default_factory=frozenset)
    case_id: int | None = None

    @classmethod
    def case(cls, case_id: int | None, *parts: str) -> Changes:
        return cls(frozenset(parts) if parts else CASE_PARTS, case_id)

    @classmethod
    def of(cls, *parts: str) -> Changes:
        return cls(frozenset(parts))

    def touches(self, *parts: str) -> bool:
        return bool(self.parts.intersection(parts))

    def __or__(self, other: Changes) -> Changes:
        case_id = self.case_id if self.case_id is not None else other.case_id
        return Changes(self.parts | other.parts, case_id)


class ChangeBus(QObject):
    """Screens connect to ``changed`` and refresh what a :class:`Changes` names."""

    changed = Signal(object)


bus = ChangeBus()


# -- the one error handler ---------------------------------------------------------------
def error_kind(exc: BaseException) -> str:
    """validation, conflict, busy, read_only, forbidden, refused or unexpected."""
    if isinstance(exc, Conflict):
        return "conflict"
    if isinstance(exc, cases.ValidationError):
        return "validation"
    if isinstance(exc, store_errors.DatabaseBusy) or store_errors.classify(exc) == "busy":
        return "busy"
    if isinstance(exc, ReadOnlyMode | store_errors.StorageFailure
                  | store_errors.ReadOnlyDatabase):
        return "read_only"
    if isinstance(exc, cases.CaseError) and exc.code == "forbidden":
        return "forbidden"
    if isinstance(exc, access.NotFound):
        return "refused"
    if isinstance(exc, ServiceError | StoreError):
        if str(exc) == _("You do not have the rights to do this."):
            return "forbidden"
        return "refused"
    return "unexpected"


def error_text(exc: BaseException) -> str:
    """The user-facing message of a refusal (service, engine or storage)."""
    if isinstance(exc, cases.ValidationError):
        return "\n".join(dict.fromkeys(exc.problems.values()))
    if error_kind(exc) == "busy" and not isinstance(exc, store_errors.DatabaseBusy):
        return str(store_errors.DatabaseBusy())  # a driver's "database is locked" from a read
    return str(exc)


ConflictHandler = Callable[[Conflict, object], None]  # (the conflict, a ConflictChoice)


def handle_error(parent: QWidget | None, exc: BaseException, *,
                 show: Callable[[str], None] | None = None,
                 on_conflict: ConflictHandler | None = None,
                 mine: dict | None = None, labels: dict[str, str] | None = None,
                 title: str = "", original: dict | None = None) -> str:
    """Tell the user about ``exc`` the one way its kind is told; returns the kind.

    ``show`` puts the message in the screen's own error line (a dialog keeps what was
    typed); without it a message box says it. A conflict shows the compare dialog and
    passes the user's choice to ``on_conflict`` (reload, and put my edits back). An
    unexpected error goes to the privacy-safe crash hook (type and code lines only)."""
    kind = error_kind(exc)
    if kind == "unexpected":
        from pestdesk.gui.common import crash

        crash.excepthook(type(exc), exc, exc.__traceback__)
        return kind
    if kind == "conflict":
        from pestdesk.gui.common.conflict import ConflictDialog

        choice = ConflictDialog.ask(parent, exc, mine or {}, original, labels)
        if on_conflict is not None:
            on_conflict(exc, choice)
        elif choice.reload:
            bus.changed.emit(Changes(EVERYTHING))
        if show is not None:
            show(_("Reloaded: someone else's change is now shown. Check and save again.")
                 if choice.reload else str(exc))
        return kind
    text = error_text(exc)
    if show is not None:
        show(text)
    else:
        box_title = title or (parent.windowTitle() if parent is not None else "") or "pestdesk"
        QMessageBox.warning(parent, box_title, text)
    return kind


# -- running ------------------------------------------------------------------------------
_INPUT_EVENTS = frozenset({
    QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease,
    QEvent.Type.MouseButtonDblClick, QEvent.Type.KeyPress, QEvent.Type.KeyRelease,
    QEvent.Type.Wheel, QEvent.Type.Shortcut, QEvent.Type.ShortcutOverride,
    QEvent.Type.ContextMenu, QEvent.Type.Drop, QEvent.Type.DragEnter, QEvent.Type.Close,
})


class _InputBlocker(QObject):
    """While an op runs, no click, key or close reaches a screen (paints still do)."""

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt name
        kind = event.type()
        if kind not in _INPUT_EVENTS:
            return False
        if kind == QEvent.Type.Close:  # a window closed by the user waits for the save
            return isinstance(watched, QWidget) and watched.isWindow() and event.spontaneous()
        return True


class _Waiter(QObject):
    """Lives on the GUI thread, so the worker's signals arrive here queued."""

    def __init__(self, loop: QEventLoop) -> None:
        super().__init__()
        self.loop = loop
        self.outcome: tuple[bool, object] | None = None

    @Slot(object)
    def done(self, result) -> None:
        self.outcome = (True, result)
        self.loop.quit()

    @Slot(object)
    def failed(self, exc) -> None:
        self.outcome = (False, exc)
        self.loop.quit()


_pool: QThreadPool | None = None
running = 0  # ops under way (tests and the close handler look at it)
_gc_holds = 0  # workers under way that keep the garbage collector off
_gc_was_enabled = False


def _hold_gc() -> None:
    """No garbage collection while a worker runs: a collection on the worker thread would
    free Qt wrappers of the GUI thread there (a segfault); it runs again after the last."""
    global _gc_holds, _gc_was_enabled
    if _gc_holds == 0:
        _gc_was_enabled = gc.isenabled()
        gc.disable()
    _gc_holds += 1


def _release_gc() -> None:
    global _gc_holds
    _gc_holds -= 1
    if _gc_holds == 0 and _gc_was_enabled:
        gc.enable()


def pool() -> QThreadPool:
    """The ops' own threads: a save never waits behind a long import or backup."""
    global _pool
    if _pool is None:
        _pool = QThreadPool()
        _pool.setMaxThreadCount(2)
        _pool.setExpiryTimeout(30_000)
    return _pool


class Op:
    """A service call run off the GUI thread; see the module docstring."""

    def __init__(self, parent: QWidget | None, fn: Callable[[], object], *,
                 changes: Changes | None = None, label: str | None = None) -> None:
        self.parent = parent
        self.fn = fn
        self.changes = changes
        self.label = label
        self.result: object = None
        self.error: BaseException | None = None
        self._success: Callable[[object], None] | None = None
        self._failure: Callable[[BaseException], bool] | None = None
        self._show: Callable[[str], None] | None = None
        self._on_conflict: ConflictHandler | None = None
        self._mine: Callable[[], dict] | None = None
        self._labels: dict[str, str] | None = None
        self._original: dict | None = None
        self._title = ""

    # -- configuration (chainable) --------------------------------------------------------
    def success(self, fn: Callable[[object], None]) -> Op:
        self._success = fn
        return self

    def failure(self, fn: Callable[[BaseException], bool]) -> Op:
        """Handle some errors yourself: ``fn`` returns True when it did."""
        self._failure = fn
        return self

    def errors_to(self, show: Callable[[str], None]) -> Op:
        """Show messages in the screen's own error line instead of a message box."""
        self._show = show
        return self

    def on_conflict(self, fn: ConflictHandler, mine: Callable[[], dict] | None = None,
                    labels: dict[str, str] | None = None,
                    original: dict | None = None) -> Op:
        """A conflict shows the compare dialog (``mine``: my edits, ``original``: the form
        as it was read) and hands the user's choice to ``fn`` (reload, put my edits back)."""
        self._on_conflict, self._mine, self._labels = fn, mine, labels
        self._original = original
        return self

    def titled(self, title: str) -> Op:
        self._title = title
        return self

    # -- running --------------------------------------------------------------------------
    def run(self) -> bool:
        """Run the call, keep the window painting meanwhile; True when it succeeded."""
        global running
        app = QApplication.instance()
        loop = QEventLoop()
        waiter = _Waiter(loop)
        task = Task(self.fn)
        task.signals.done.connect(waiter.done, Qt.ConnectionType.QueuedConnection)
        task.signals.failed.connect(waiter.failed, Qt.ConnectionType.QueuedConnection)
        blocker = _InputBlocker()
        app.installEventFilter(blocker)
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        wait = _WaitWindow(self.parent, self.label or _("Saving…"))
        running += 1
        _hold_gc()
        try:
            pool().start(task)
            if waiter.outcome is None:
                # not ExcludeUserInputEvents: Qt would only defer the clicks until after the
                # save (a second Save); the blocker drops them instead
                loop.exec()
        finally:
            _release_gc()
            running -= 1
            wait.finish()
            QApplication.restoreOverrideCursor()
            app.removeEventFilter(blocker)
        ok, value = waiter.outcome
        if ok:
            self.result = value
            if self._success is not None:
                self._success(value)
            if self.changes is not None:
                bus.changed.emit(self.changes)
            return True
        self.error = value
        if self._failure is not None and self._failure(value):
            return False
        handle_error(self.parent, value, show=self._show, on_conflict=self._on_conflict,
                     mine=self._mine() if self._mine else None, labels=self._labels,
                     original=self._original,
                     title=self._title)
        return False


class _Delivery(QObject):
    """One background call's answer, received on the GUI thread (queued)."""

    def __init__(self, owner: Latest, generation: int, task: Task,
                 on_result: Callable[[object], None]) -> None:
        super().__init__(owner)
        self.owner, self.generation, self.task = owner, generation, task
        self.on_result = on_result

    @Slot(object)
    def done(self, result) -> None:
        self._finish(True, result)

    @Slot(object)
    def failed(self, exc) -> None:
        self._finish(False, exc)

    def _finish(self, ok: bool, value) -> None:
        self.owner._arrived(self, ok, value)
        self.deleteLater()


class Latest(QObject):
    """Background reads of which only the newest answer counts: a search while typing.

    ``submit(fn, on_result)`` runs ``fn`` on the ops' threads and returns at once (the
    window stays fully usable, no input is held back). When an answer arrives it is handed
    to ``on_result`` only if no newer call was submitted meanwhile; an older answer is
    dropped, however late it comes. A call that has not started yet when a newer one
    arrives is skipped. Errors of the newest call go to :func:`handle_error` (to ``show``
    when given). Owned by ``parent``: a closed screen gets no answer any more.
    """

    answered = Signal(int)  # the generation whose answer was delivered (tests wait on it)

    def __init__(self, parent: QWidget, show: Callable[[str], None] | None = None) -> None:
        super().__init__(parent)
        self.parent_widget = parent
        self.show = show
        self.generation = 0
        self.pending = 0

    def submit(self, fn: Callable[[], object], on_result: Callable[[object], None]) -> int:
        self.generation += 1
        generation = self.generation

        def call():
            if generation != self.generation:
                return _SKIPPED  # a newer call came before this one started
            return fn()

        task = Task(call)
        delivery = _Delivery(self, generation, task, on_result)
        task.signals.done.connect(delivery.done, Qt.ConnectionType.QueuedConnection)
        task.signals.failed.connect(delivery.failed, Qt.ConnectionType.QueuedConnection)
        self.pending += 1
        _keeper().start(task)
        return generation

    def busy(self) -> bool:
        return self.pending > 0

    def _arrived(self, delivery: _Delivery, ok: bool, value) -> None:
        self.pending -= 1
        if delivery.generation != self.generation or value is _SKIPPED:
            return  # stale: a newer call owns the screen
        if ok:
            delivery.on_result(value)
        else:
            handle_error(self.parent_widget, value, show=self.show)
        self.answered.emit(delivery.generation)


_SKIPPED = object()


class _Keeper(QObject):
    """Holds every background task until it has finished (even when the screen that asked
    is gone) and keeps the garbage collector off meanwhile; lives on the GUI thread."""

    def __init__(self) -> None:
        super().__init__()
        self.tasks: set[Task] = set()

    def start(self, task: Task) -> None:
        self.tasks.add(task)
        _hold_gc()
        finished = functools.partial(self.finished, task)
        relay = _Relay(self, finished)
        task.signals.done.connect(relay.fire, Qt.ConnectionType.QueuedConnection)
        task.signals.failed.connect(relay.fire, Qt.ConnectionType.QueuedConnection)
        pool().start(task)

    def finished(self, task: Task) -> None:
        if task in self.tasks:
            self.tasks.discard(task)
            _release_gc()

    def waiting(self) -> int:
        return len(self.tasks)


class _Relay(QObject):
    def __init__(self, parent: QObject, call: Callable[[], None]) -> None:
        super().__init__(parent)
        self.call = call

    @Slot(object)
    def fire(self, _value) -> None:
        self.call()
        self.deleteLater()


_the_keeper: _Keeper | None = None


def _keeper() -> _Keeper:
    global _the_keeper
    if _the_keeper is None:
        _the_keeper = _Keeper()
    return _the_keeper


def background() -> int:
    """Background calls (``Latest``) not finished yet."""
    return _keeper().waiting() if _the_keeper is not None else 0


class _WaitWindow:
    """A small window without buttons that appears only when the wait gets noticeable."""

    def __init__(self, parent: QWidget | None, label: str) -> None:
        self.parent, self.label = parent, label
        self.dialog: QDialog | None = None
        self.timer = QTimer(singleShot=True, interval=WAIT_DIALOG_MS)
        self.timer.timeout.connect(self.show)
        self.timer.start()

    def show(self) -> None:
        # a plain label: a busy progress bar would repaint its animation on this thread
        dialog = QDialog(self.parent, Qt.WindowType.Dialog | Qt.WindowType.FramelessWindowHint)
        dialog.setObjectName("opWait")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        layout = QVBoxLayout(dialog)
        layout.setContentsMargins(24, 16, 24, 16)
        layout.addWidget(QLabel(self.label))
        dialog.setStyleSheet("#opWait { border: 1px solid #8a9bb0; background: #f7f9fc; }")
        dialog.show()
        self.dialog = dialog

    def finish(self) -> None:
        self.timer.stop()
        if self.dialog is not None:
            self.dialog.close()
            self.dialog.deleteLater()
            self.dialog = None


def run(parent: QWidget | None, fn: Callable[[], object], *, changes: Changes | None = None,
        show: Callable[[str], None] | None = None, title: str = "") -> bool:
    """``Op(parent, fn, changes=...).errors_to(show).titled(title).run()`` in one call."""
    op = Op(parent, fn, changes=changes).titled(title)
    if show is not None:
        op.errors_to(show)
    return op.run()

