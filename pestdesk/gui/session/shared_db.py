"""The main window's side of a shared database: who else is in, read-only after a storage
failure, the start-up integrity check and the daily backup.

- Presence: join at start, a heartbeat every 30 s (``QTimer``, off the GUI thread), leave
  on close; the status bar names the others who have the file open.
- Read-only: after a disk-full or I/O error (``services.base.storage``) a red label says
  pestdesk no longer saves, with the reason on hover.
- Start-up: ``quick_check`` off the GUI thread; damage is reported with the newest backup
  that passes the checks (and how to restore it); a healthy file then gets its daily backup
  (also off the GUI thread) when the last one is older than a day.
- A PostgreSQL server database: presence works the same (a table); the start-up check asks
  the server (constraints, the audit trail's triggers and rights); no daily backup and no
  restore advice: the server's IT backs it up and restores it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QThreadPool, QTimer
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox

from pestdesk.gui.common import ops
from pestdesk.gui.common.colors import RED
from pestdesk.gui.common.tasks import Task
from pestdesk.i18n import _, format_datetime
from pestdesk.services import backups, presence
from pestdesk.services.base import storage
from pestdesk.services.location import as_target, location
from pestdesk.store.db import quick_check
from pestdesk.store.errors import StoreError


def integrity_and_backup(path: Path | str, folder: Path
                         ) -> tuple[str, backups.BackupFile | None]:
    """The file's quick_check verdict and, when damaged, the newest good backup."""
    verdict = quick_check(path)
    if verdict == "ok" or location(path).server:
        return verdict, None
    return verdict, backups.latest_good_backup(folder, path.stem)


class SharedDatabaseStatus(QObject):
    def __init__(self, window: QMainWindow, demo: bool = False):
        super().__init__(window)
        self.window = window
        self.path = as_target(window.path)
        self.server = location(self.path).server
        self.demo = demo
        self.tasks: list[Task] = []
        self.others_label = QLabel()
        self.others_label.setObjectName("presenceLabel")
        self.readonly_label = QLabel(_("READ-ONLY: changes are not saved"))
        self.readonly_label.setStyleSheet(f"color: white; background: {RED}; padding: 1px 6px;")
        self.readonly_label.setToolTip(_(
            "A storage error (disk full or network problem) stopped pestdesk from saving. "
            "Everything saved before is safe. Solve the problem and restart pestdesk."))
        self.readonly_label.setVisible(storage.read_only)
        window.statusBar().addWidget(self.others_label)
        window.statusBar().addPermanentWidget(self.readonly_label)
        storage.listeners.append(self._went_read_only)
        self.client_id: str | None = None
        try:
            self.client_id = presence.join(window.actor)
        except Exception:  # noqa: BLE001 - presence is a courtesy, never fatal
            pass
        self.beats = ops.Latest(window)
        self.timer = QTimer(self)
        self.timer.setInterval(presence.HEARTBEAT_SECONDS * 1000)
        self.timer.timeout.connect(self.beat)
        self.timer.start()
        self.show_others(presence.known_others())

    # -- presence -----------------------------------------------------------------------
    def beat(self) -> None:
        """The heartbeat's write and read off the GUI thread (``ops.Latest``): on a share
        held locked by another PC it waits out the busy timeout without freezing the
        window; a beat that cannot get through is skipped (``presence.heartbeat``)."""
        self.beats.submit(presence.heartbeat,
                          lambda _live: self.show_others(presence.known_others()))

    def show_others(self, names: list[str]) -> None:
        if names:
            self.others_label.setText(_("Also open by: {names}").format(names=", ".join(names)))
        else:
            self.others_label.setText("")
        self.others_label.setVisible(bool(names))

    def _went_read_only(self) -> None:
        # may be called from a worker thread: hop to the GUI thread
        QTimer.singleShot(0, self, lambda: self.readonly_label.setVisible(True))

    def stop(self) -> None:
        self.timer.stop()
        if self._went_read_only in storage.listeners:
            storage.listeners.remove(self._went_read_only)
        if self.client_id is not None:  # this window's own row, not a later window's
            presence.leave(self.client_id)
            self.client_id = None

    def resume(self) -> None:
        """Back after ``stop`` (the file was encrypted in place): heartbeat again."""
        if self._went_read_only not in storage.listeners:
            storage.listeners.append(self._went_read_only)
        try:
            presence.join(self.window.actor)
        except Exception:  # noqa: BLE001 - presence is a courtesy, never fatal
            pass
        self.timer.start()

    # -- start-up checks ------------------------------------------------------------------
    def start_checks(self) -> Task:
        folder = backups.config(self.path).folder
        task = Task(lambda: integrity_and_backup(self.path, folder))
        task.signals.done.connect(self._integrity_result)
        return self._start(task)

    def _start(self, task: Task) -> Task:
        self.tasks.append(task)
        QThreadPool.globalInstance().start(task)
        return task

    def _integrity_result(self, result: tuple) -> None:
        verdict, good = result
        if verdict == "ok":
            if not self.demo and backups.automatic_backups(self.path):
                self.start_auto_backup()
            return
        QMessageBox.critical(self.window, "pestdesk", self.damage_message(good))

    def damage_message(self, good: backups.BackupFile | None) -> str:
        text = _("The integrity check found damage in this database. Stop working in it.")
        if self.server:
            return text + "\n\n" + _(
                "It is a database on the PostgreSQL server: ask the server's IT, who keep its "
                "backups, to check and restore it.")
        if good is None:
            return text + "\n\n" + _(
                "No good backup was found in the backup folder; ask the administrator.")
        return text + "\n\n" + _(
            "The newest good backup is {path} (made {when}). The administrator can restore it "
            "with: pestdesk restore --db \"{db}\" \"{path}\"").format(
                path=good.path, when=format_datetime(good.made_at), db=self.path)

    def start_auto_backup(self) -> Task:
        path = self.path
        task = Task(lambda: backups.auto_backup(path))
        task.signals.failed.connect(self._backup_failed)
        return self._start(task)

    def _backup_failed(self, exc: object) -> None:
        reason = str(exc) if isinstance(exc, StoreError) else type(exc).__name__
        self.window.statusBar().showMessage(
            _("The daily backup failed: {reason}").format(reason=reason), 15_000)
