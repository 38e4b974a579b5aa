"""The idle lock: after a number of minutes without keyboard or mouse input the session locks.

``IdleWatcher`` is an application-wide event filter that restarts a single-shot timer on
every user input. When it fires, ``SessionLock.lock()`` hides the main window's content
behind a blank panel, covers any other open window (their state is kept, their titles are
replaced), hides the menu and status bar (which name the user) and shows ``LockDialog``:
application-modal, titled only "pestdesk — locked", showing no personal data, asking for the
signed-in user's password (with the same persisted slow-down as signing in) or offering to
sign out or quit. The number of minutes is a database setting (``services.users``).
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pestdesk.gui.common import ops
from pestdesk.gui.common.colors import NAVY
from pestdesk.gui.common.limits import exempt
from pestdesk.gui.common.widgets import ShowsErrors, error_label
from pestdesk.i18n import _
from pestdesk.services import accounts
from pestdesk.services.base import Actor

INPUT_EVENTS = frozenset({
    QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick,
    QEvent.Type.MouseMove, QEvent.Type.Wheel, QEvent.Type.TouchBegin, QEvent.Type.TabletPress,
    QEvent.Type.Shortcut,
})


def locked_title() -> str:
    return _("pestdesk — locked")


class IdleWatcher(QObject):
    """Emits ``idle`` after ``minutes`` without user input anywhere in the application."""

    idle = Signal()

    def __init__(self, minutes: int, parent: QObject | None = None):
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.on_timeout)
        self.set_minutes(minutes)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def set_minutes(self, minutes: int) -> None:
        self.timer.setInterval(max(1, int(minutes)) * 60_000)
        self.timer.start()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802
        if event.type() in INPUT_EVENTS and self.timer.isActive():
            self.timer.start()  # restart the countdown; the event goes on as usual
        return False

    def on_timeout(self) -> None:
        """The timer's slot (tests call it to simulate idle time)."""
        self.idle.emit()

    def pause(self) -> None:
        self.timer.stop()

    def resume(self) -> None:
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)


class LockedPanel(QWidget):
    """What the main window shows while locked: nothing that belongs to anyone."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("lockedPanel")
        self.setAutoFillBackground(True)
        layout = QVBoxLayout(self)
        label = QLabel(_("pestdesk is locked."))
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setStyleSheet(f"font-size: 16pt; color: {NAVY};")
        layout.addWidget(label)


class _Cover(QWidget):
    """An opaque sheet over another open window while the session is locked."""

    def __init__(self, window: QWidget):
        super().__init__(window)
        self.setAutoFillBackground(True)
        self.setGeometry(window.rect())
        window.installEventFilter(self)
        self.show()
        self.raise_()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Resize:
            self.setGeometry(watched.rect())
        return False


class LockDialog(ShowsErrors, QDialog):
    """Ask the signed-in user's password again; or sign out, or quit."""

    SIGN_OUT, QUIT = 2, 3

    def __init__(self, actor: Actor, parent: QWidget | None = None):
        super().__init__(parent)
        self.actor = actor
        self.setWindowTitle(locked_title())
        self.setWindowModality(Qt.WindowModality.ApplicationModal)
        layout = QVBoxLayout(self)
        title = QLabel(_("pestdesk is locked"))
        title.setStyleSheet("font-size: 14pt; font-weight: 600;")
        layout.addWidget(title)
        layout.addWidget(QLabel(_("Enter your password to continue.")))
        self.password = exempt(QLineEdit(), "unlocks the session; nothing typed is stored")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setObjectName("lockPassword")
        self.password.returnPressed.connect(self.try_unlock)
        layout.addWidget(self.password)
        self.error = error_label(hidden=True)
        layout.addWidget(self.error)
        row = QHBoxLayout()
        self.unlock_button = QPushButton(_("Unlock"))
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(self.try_unlock)
        self.sign_out_button = QPushButton(_("Sign out"))
        self.sign_out_button.clicked.connect(lambda: self.done(self.SIGN_OUT))
        self.quit_button = QPushButton(_("Quit"))
        self.quit_button.clicked.connect(lambda: self.done(self.QUIT))
        row.addWidget(self.sign_out_button)
        row.addWidget(self.quit_button)
        row.addStretch(1)
        row.addWidget(self.unlock_button)
        layout.addLayout(row)

    def try_unlock(self) -> None:
        # the password hash takes a moment: on the op path, the window keeps painting
        if not ops.Op(self, partial(accounts.unlock, self.actor, self.password.text())) \
                .errors_to(self.show_error).run():
            self.password.clear()
            self.password.setFocus()
            return
        self.done(QDialog.DialogCode.Accepted)

    def reject(self) -> None:
        """Escape and the close button do nothing (QDialog.closeEvent goes through here)."""


class SessionLock(QObject):
    """Locks ``window`` (a MainWindow) when idle or on request, and unlocks it again."""

    locked_changed = Signal(bool)
    sign_out_requested = Signal()

    def __init__(self, window, minutes: int | None = None):
        super().__init__(window)
        self.window = window
        if minutes is None:
            from pestdesk.services.users import lock_minutes  # the user admin module: load late

            minutes = lock_minutes()
        self.watcher = IdleWatcher(minutes,
                                   self)
        self.watcher.idle.connect(self.lock)
        self.dialog: LockDialog | None = None
        self._saved: dict = {}

    @property
    def is_locked(self) -> bool:
        return bool(self._saved)

    def set_minutes(self, minutes: int) -> None:
        self.watcher.set_minutes(minutes)

    def lock(self) -> None:
        if self.is_locked:
            return
        w = self.window
        self.watcher.pause()
        self._saved = {
            "title": w.windowTitle(), "central": w.takeCentralWidget(),
            "menu": w.menuBar().isVisible(), "status": w.statusBar().isVisible(),
            "others": self._cover_other_windows(),
        }
        w.setCentralWidget(LockedPanel())
        w.menuBar().setVisible(False)
        w.statusBar().setVisible(False)
        w.setWindowTitle(locked_title())
        self.locked_changed.emit(True)
        self.dialog = LockDialog(w.actor, w)
        self.dialog.finished.connect(self._finished)
        self.dialog.show()
        self.dialog.password.setFocus()
        # the audit line after the content is hidden, off the GUI thread; a refusal (a
        # colleague's lock, read-only) is said on the lock dialog, the lock itself holds
        ops.Op(self.dialog, partial(accounts.record_lock, w.actor),
               label=_("Locking…")).errors_to(self.dialog.show_error).run()

    def _cover_other_windows(self) -> list[tuple[QWidget, str, QWidget]]:
        covered = []
        for other in QApplication.topLevelWidgets():
            if other is self.window or not other.isVisible() or isinstance(other, LockDialog):
                continue
            covered.append((other, other.windowTitle(), _Cover(other)))
            other.setWindowTitle(locked_title())
        return covered

    def _finished(self, result: int) -> None:
        dialog, self.dialog = self.dialog, None
        if result == QDialog.DialogCode.Accepted and dialog is not None:
            self.unlock()
        elif result == LockDialog.SIGN_OUT:
            self.sign_out_requested.emit()
        elif result == LockDialog.QUIT:
            self.window.close()
        if dialog is not None:
            dialog.deleteLater()

    def unlock(self) -> None:
        """Show everything again (after the password was checked by the dialog)."""
        if not self.is_locked:
            return
        w, saved = self.window, self._saved
        panel = w.takeCentralWidget()
        if panel is not None:
            panel.deleteLater()
        w.setCentralWidget(saved["central"])
        saved["central"].show()  # takeCentralWidget() hid it
        w.menuBar().setVisible(saved["menu"])
        w.statusBar().setVisible(saved["status"])
        w.setWindowTitle(saved["title"])
        for other, title, cover in saved["others"]:
            cover.deleteLater()
            other.setWindowTitle(title)
        self._saved = {}
        self.watcher.resume()
        self.locked_changed.emit(False)

    def stop(self) -> None:
        self.watcher.stop()
