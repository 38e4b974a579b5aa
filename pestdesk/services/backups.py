"""Backups: a verified daily copy with rotation, and restoring one without losing anything.

Every copy is made with SQLite's backup API in one step (``store.db.backup_to``) and checked
(integrity, pestdesk header, known schema) before it counts. The daily automatic backup is
claimed inside a write transaction first, so when five colleagues start pestdesk the same
morning only one of them makes it. Rotation keeps the newest ``keep`` files (default 14) and
never touches a file whose name it did not write.

``restore`` refuses a damaged, foreign or newer backup, a read-only target and a full disk,
and leaves the database as it was; only then does it keep a safety copy of the current file
and write the backup over it with the backup API (never a file copy: a copy over a file others
have open corrupts it). The newest three safety copies are kept; a failed restore removes its
own.

An encrypted database's copies are encrypted under the same key, and each has the key file
as it was beside it (``<backup>.keys``): rotation removes both, and a restore puts the
backup's key file back with it (same database, same key; the slots as they were then).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from .. import clock
from ..i18n import _
from ..store import errors, keyfile
from ..store.db import (
    backup_to,
    check_writable,
    file_salt,
    inspect,
    integrity_check,
    is_encrypted,
    present_usernames,
    restore_from,
)
from ..store.dialect import is_server
from ..store.keyfile import sidecar_path
from ..store.models import Setting
from . import settings
from .base import SYSTEM, Actor, ServiceError, audit, write
from .location import location

SETTING_KEY = "backups"  # {"folder": "...", "keep": 14}
LAST_KEY = "last_backup_at"  # local time of the last automatic backup (ISO)
DEFAULT_KEEP = 14
SAFETY_KEEP = 3  # safety copies made before a restore, per database
DEFAULT_FOLDER = "pestdesk-backups"  # next to the database unless configured
MAX_AGE = dt.timedelta(days=1)
STAMP = "%Y%m%d-%H%M%S"
_NAME = re.compile(r"^(?P<stem>.+)-(?P<stamp>\d{8}-\d{6})\.backup\.(?:sqlite|pgdump)$")


@dataclass(frozen=True)
class BackupConfig:
    folder: Path
    keep: int = DEFAULT_KEEP


@dataclass(frozen=True)
class BackupFile:
    path: Path
    made_at: dt.datetime  # local time, from the file name


@dataclass(frozen=True)
class RestoreResult:
    database: Path
    safety_copy: Path | None


def default_folder(db_path: Path | str) -> Path:
    """Beside the database file; for a server database (no file beside it) in the home
    folder of whoever makes the backup."""
    if is_server(db_path):
        return Path.home() / DEFAULT_FOLDER
    return Path(db_path).parent / DEFAULT_FOLDER


def config(db_path: Path | str) -> BackupConfig:
    """The configured backup folder and count (needs the database bound)."""
    data = settings.get_value(SETTING_KEY, {}) or {}
    folder = Path(data["folder"]) if data.get("folder") else default_folder(db_path)
    keep = int(data.get("keep") or DEFAULT_KEEP)
    return BackupConfig(folder, max(1, keep))


def save_config(actor: Actor, folder: Path | None, keep: int = DEFAULT_KEEP) -> None:
    """Store the backup folder (None: the default) and count; only for the beheerder."""
    _require_whole_database(actor)
    if keep < 1:
        raise ServiceError(_("Keep at least one backup."))
    settings.set_value(actor, SETTING_KEY, {"folder": str(folder) if folder else "",
                                            "keep": int(keep)})


def backup_name(db_path: Path | str, when: dt.datetime) -> str:
    if is_server(db_path):  # a pg_dump file
        return f"{location(db_path).stem}-{when.strftime(STAMP)}.backup.pgdump"
    return f"{Path(db_path).stem}-{when.strftime(STAMP)}.backup.sqlite"


def stem_of(db_path: Path | str) -> str:
    """The name the backups of ``db_path`` start with."""
    return location(db_path).stem


def list_backups(folder: Path, stem: str | None = None) -> list[BackupFile]:
    """Backups pestdesk made in ``folder`` (of database ``stem`` if given), newest first."""
    found = []
    if not Path(folder).is_dir():
        return found
    for path in Path(folder).iterdir():
        match = _NAME.match(path.name)
        if not match or (stem is not None and match["stem"] != stem):
            continue
        try:
            when = dt.datetime.strptime(match["stamp"], STAMP)
        except ValueError:
            continue
        found.append(BackupFile(path, when))
    return sorted(found, key=lambda b: b.made_at, reverse=True)


def beside_copies(db_path: Path) -> list[BackupFile]:
    """The copies pestdesk keeps next to the database itself, oldest first: the safety copy a
    restore makes (``<stem>.before-restore-<stamp><suffix>``) and the copy made before a
    schema migration (``<stem>.schema<N>-<stamp>.backup<suffix>``)."""
    db_path = Path(db_path)
    stem, suffix = re.escape(db_path.stem), re.escape(db_path.suffix)
    pattern = re.compile(rf"^{stem}\.(?:before-restore-|schema\d+-)(?P<stamp>\d{{8}}-\d{{6}})"
                         rf"(?:\.backup)?{suffix}$")
    found = []
    if not db_path.parent.is_dir():
        return found
    for path in db_path.parent.iterdir():
        match = pattern.match(path.name)
        if not match or not path.is_file():
            continue
        try:
            when = dt.datetime.strptime(match["stamp"], STAMP)
        except ValueError:
            continue
        found.append(BackupFile(path, when))
    return sorted(found, key=lambda b: b.made_at)


def latest_good_backup(folder: Path, stem: str | None = None) -> BackupFile | None:
    """The newest backup that passes the checks (what to point the user to after damage)."""
    for backup in list_backups(folder, stem):
        try:
            inspect(backup.path, verify=True)
        except errors.StoreError:
            continue
        return backup
    return None


def make_backup(db_path: Path | str, cfg: BackupConfig, now: dt.datetime | None = None
                ) -> BackupFile:
    """A verified backup of ``db_path`` into the configured folder, then rotation."""
    now = now or clock.now()
    cfg.folder.mkdir(parents=True, exist_ok=True)
    dest = _copy_to(db_path, cfg.folder / backup_name(db_path, now))
    rotate(cfg.folder, stem_of(db_path), cfg.keep)
    return BackupFile(dest, now.replace(microsecond=0))


def manual_backup(actor: Actor, db_path: Path, dest: Path | None = None) -> BackupFile:
    """A backup made on request (Beheer or ``pestdesk backup``): the same checked copy as
    the daily one, with an audit line naming who made it.

    ``dest`` None: into the configured folder; a folder: into it; both with the daily
    backups' name and rotation (so Beheer's 'Last backup' lists it). Any other path: that
    exact file, which rotation never touches. Needs the database bound (for the audit
    line and the configuration); only for whoever may manage the backups. On a server
    database the copy is a ``pg_dump`` file."""
    _require_whole_database(actor)
    now = clock.now()
    cfg = config(db_path)
    if dest is None or Path(dest).is_dir():
        folder = Path(dest) if dest else cfg.folder
        while (folder / backup_name(db_path, now)).exists():  # two in the same second
            now += dt.timedelta(seconds=1)
        made = make_backup(db_path, BackupConfig(folder, cfg.keep), now)
    else:
        target = Path(dest)
        if not target.parent.is_dir():
            raise errors.DatabaseMissing(target.parent)
        made = BackupFile(_copy_to(db_path, target), now.replace(microsecond=0))
    with write():
        audit(actor, "backup", "", None, "manual")
    return made


def _copy_to(db_path: Path | str, dest: Path) -> Path:
    """One checked copy: SQLite's backup API (integrity checked, then the pestdesk header
    and a known schema), or on a server ``pg_dump`` (checked with ``pg_restore --list``)."""
    if is_server(db_path):
        from ..store import server

        return server.dump(str(db_path), dest)
    path = backup_to(db_path, dest)
    try:
        inspect(path, verify=False)
    except errors.StoreError:
        path.unlink(missing_ok=True)
        raise
    return path


def can_make_backups(actor: Actor) -> bool:
    """Whoever may handle the whole database (``access.may_handle_whole_database``: the
    beheerder of a single school, the board's IT on a board database, the system for the
    command line) makes and configures backups: a copy holds every school in it."""
    from . import access

    return access.may_handle_whole_database(actor)


def automatic_backups(db_path: Path | str) -> bool:
    """Whether pestdesk makes the daily backup itself: of a file, yes; of a server database
    no -- the server's IT backs it up (base backups, WAL archiving), and a daily dump of a
    whole board on some colleague's PC is not where it belongs."""
    return not is_server(db_path)


def rotate(folder: Path, stem: str, keep: int) -> list[Path]:
    """Remove all but the newest ``keep`` backups of ``stem``; returns what was removed."""
    removed = []
    for old in list_backups(folder, stem)[keep:]:
        old.path.unlink(missing_ok=True)
        sidecar_path(old.path).unlink(missing_ok=True)
        removed.append(old.path)
    return removed


def backup_due(db_path: Path | str, cfg: BackupConfig, now: dt.datetime | None = None) -> bool:
    now = now or clock.now()
    newest = next(iter(list_backups(cfg.folder, stem_of(db_path))), None)
    return newest is None or now - newest.made_at >= MAX_AGE


def auto_backup(db_path: Path, now: dt.datetime | None = None) -> BackupFile | None:
    """The daily backup, if it is due and no other client claimed it; else None.

    Runs off the GUI thread. The claim (a setting written in one short transaction) makes
    concurrent start-ups agree on one backup; a failed backup releases the claim.
    """
    now = now or clock.now()
    if not automatic_backups(db_path):
        return None
    cfg = config(db_path)
    if not backup_due(db_path, cfg, now):
        return None
    previous = _claim(now)
    if previous is False:
        return None
    try:
        return make_backup(db_path, cfg, now)
    except Exception:
        _release(previous)
        raise


def _claim(now: dt.datetime) -> str | None | bool:
    """Record this backup run; False when another client made one in the last day."""
    with write():
        row = Setting.get_or_none(Setting.key == LAST_KEY)
        previous = row.value if row else None
        if previous:
            try:
                if now - dt.datetime.fromisoformat(previous.strip('"')) < MAX_AGE:
                    return False
            except ValueError:
                pass
        value = f'"{now.isoformat(timespec="seconds")}"'
        Setting.insert(key=LAST_KEY, value=value).on_conflict_replace().execute()
        audit(SYSTEM, "backup", "", None, "auto")
    return previous


def _release(previous: str | None) -> None:
    try:
        with write():
            if previous is None:
                Setting.delete().where(Setting.key == LAST_KEY).execute()
            else:
                Setting.update(value=previous).where(Setting.key == LAST_KEY).execute()
    except (errors.StoreError, ServiceError):
        pass


def restore(db_path: Path, backup_path: Path, *, force: bool = False,
            now: dt.datetime | None = None, actor: Actor = SYSTEM) -> RestoreResult:
    """Put ``backup_path`` back as ``db_path``, keeping a safety copy of the current file.

    Refuses (and changes nothing) when the backup is not a healthy pestdesk database of a
    schema this version knows, or, unless ``force``, while others have the database open.
    The restored trail gets a ``restore`` line by ``actor``: ``check`` then knows that
    newer backups are ahead of it because of a restore, not because the file was put back
    to an older copy outside pestdesk (``store.anchor.behind``).
    """
    _require_whole_database(actor)
    db_path, backup_path = Path(db_path), Path(backup_path)
    _check_same_kind(db_path, backup_path)
    _check_backup(backup_path)
    if db_path.exists() and db_path.resolve() == backup_path.resolve():
        raise ServiceError(_("The backup and the database are the same file."))
    if not db_path.parent.is_dir():
        raise errors.DatabaseMissing(db_path.parent)
    check_writable(db_path)  # read-only file or folder: refused before any copy
    safety = None
    if db_path.exists():
        _check_current(db_path, force)
        _check_room(db_path, backup_path)
        safety = _safety_copy(db_path, now or clock.now())
    try:
        restore_from(backup_path, db_path)
    except BaseException:
        if safety is not None:  # the restore rolled back: the database is as it was
            _remove_copy(safety)
        raise
    verdict = integrity_check(db_path)
    if verdict != "ok":  # pragma: no cover - the backup was checked just before
        raise errors.DamagedDatabase(db_path, verdict)
    if sidecar_path(backup_path).exists():
        keyfile.write(db_path, keyfile.read(backup_path))
    _record_restore(db_path, actor)
    _restart_anchor(db_path)
    if safety is not None:
        rotate_safety_copies(db_path)
    return RestoreResult(db_path, safety)


def restore_server(url: str, backup_path: Path, *, force: bool = False,
                   now: dt.datetime | None = None, actor: Actor = SYSTEM) -> Path:
    """Put a ``pestdesk backup`` of a PostgreSQL database (a pg_dump file) back: first a
    safety dump of the current contents beside the backup, then ``pg_restore`` in one
    transaction (all or nothing). Refused while others work in it, unless ``force``, and
    for whoever may not handle the whole database. Returns the safety dump."""
    from ..store import server

    _require_whole_database(actor)
    backup_path = Path(backup_path)
    if not backup_path.exists():
        raise errors.DatabaseMissing(backup_path)
    inspect(url)
    _check_current(url, force)
    stamp = (now or clock.now()).strftime(STAMP)
    safety = backup_path.with_name(f"{backup_path.stem}.before-restore-{stamp}.pgdump")
    server.dump(url, safety)
    server.restore(url, backup_path)
    inspect(url)
    return safety


def _require_whole_database(actor: Actor) -> None:
    from . import access

    if not can_make_backups(actor):
        raise ServiceError(access.whole_database_refusal()
                           if actor.has_role(access.ADMIN_ROLE)
                           else _("You do not have the rights to do this."))


def _check_same_kind(db_path: Path, backup_path: Path) -> None:
    """An encrypted backup goes only over its own database, a plain one only over a plain."""
    if not (db_path.exists() and backup_path.exists()):
        return
    encrypted, backup_encrypted = is_encrypted(db_path), is_encrypted(backup_path)
    if encrypted and not backup_encrypted:
        raise ServiceError(_(
            "The backup {backup} is not encrypted and the database is. Encrypt a copy of the "
            "backup first (pestdesk encrypt --db COPY) and restore that; nothing was changed."
        ).format(backup=backup_path))
    if backup_encrypted and not encrypted:
        raise ServiceError(_(
            "The backup {backup} is encrypted and the database is not. Move the database "
            "aside and restore the backup to its place; nothing was changed.").format(
                backup=backup_path))
    if encrypted and file_salt(db_path) != file_salt(backup_path):
        raise ServiceError(_(
            "The backup {backup} is of another encrypted database and cannot be restored "
            "over this one; nothing was changed.").format(backup=backup_path))


def _safety_name(db_path: Path, when: dt.datetime) -> Path:
    return db_path.with_name(f"{db_path.stem}.before-restore-{when.strftime(STAMP)}"
                             f"{db_path.suffix}")


def rotate_safety_copies(db_path: Path, keep: int = SAFETY_KEEP) -> list[Path]:
    """Keep the newest ``keep`` safety copies made before restores of ``db_path``."""
    pattern = re.compile(re.escape(f"{db_path.stem}.before-restore-") + r"\d{8}-\d{6}"
                         + re.escape(db_path.suffix) + "$")
    copies = sorted((p for p in db_path.parent.iterdir() if pattern.match(p.name)),
                    key=lambda p: p.name, reverse=True)
    for old in copies[keep:]:
        _remove_copy(old)
    return copies[keep:]


def _remove_copy(path: Path) -> None:
    """A copy and the key file that travels with an encrypted one."""
    path.unlink(missing_ok=True)
    sidecar_path(path).unlink(missing_ok=True)


def _check_room(db_path: Path, backup_path: Path) -> None:
    """Room for the safety copy and the restored file, checked before either is written."""
    needed = db_path.stat().st_size + backup_path.stat().st_size + 1024 * 1024
    if shutil.disk_usage(db_path.parent).free < needed:
        raise errors.DiskFull(db_path)


def _check_backup(path: Path) -> None:
    if is_encrypted(path):
        keyfile.read(path)  # its key file travels with it: missing or damaged is refused
    inspect(path, verify=True)  # missing, foreign, damaged header, newer schema
    verdict = integrity_check(path)
    if verdict != "ok":
        raise errors.DamagedDatabase(path, verdict)


def _check_current(db_path: Path, force: bool) -> None:
    try:
        inspect(db_path, verify=False)
    except (errors.DamagedDatabase, errors.DatabaseBusy):
        pass  # damaged is why one restores; busy is caught by the presence check below
    if force:
        return
    names = users_present(db_path)
    if names:
        raise ServiceError(_(
            "{names} still have the database open. Ask them to close pestdesk first "
            "(or restore with --force).").format(names=", ".join(names)))


def users_present(db_path: Path, now: dt.datetime | None = None) -> list[str]:
    """Names with a fresh heartbeat in ``db_path``, read without binding the database."""
    from .presence import STALE_AFTER

    now = now or clock.utcnow()
    since = str(now - STALE_AFTER)
    return present_usernames(db_path, since)


def _safety_copy(db_path: Path, now: dt.datetime) -> Path:
    dest = _safety_name(db_path, now)
    try:
        return backup_to(db_path, dest, verify=False)
    except (errors.DamagedDatabase, errors.NotAPestdeskDatabase, *errors.DRIVER_ERRORS) as exc:
        raise ServiceError(_(
            "The current database cannot even be read to keep a safety copy. Close pestdesk "
            "everywhere, move the file {path} together with any file next to it whose name "
            "ends in -journal or -wal (SQLite needs them together) to another folder, then "
            "restore again.").format(
                path=db_path)) from exc


def _record_restore(db_path: Path, actor: Actor) -> None:
    """The ``restore`` audit line in the restored file (keyed like every line of an
    encrypted trail), with the head setting; best effort: the restore itself is done, and
    without the line ``check`` reports the newer backups as ahead of the trail."""
    from ..store import anchor
    from ..store.db import connect, key_for
    from .base import append_audit_raw, chain_key

    key = key_for(db_path) if is_encrypted(db_path) else None
    try:
        con = connect(db_path, readonly=False)
    except Exception:  # noqa: BLE001 - never fail a done restore
        return
    try:
        con.execute("BEGIN IMMEDIATE")
        append_audit_raw(con, actor, anchor.RESTORE_ACTION,
                         key=chain_key(key) if key is not None else None)
        anchor.store_setting_head(con)
        con.execute("COMMIT")
    except Exception:  # noqa: BLE001 - as above
        con.rollback()
    finally:
        con.close()


def _restart_anchor(db_path: Path) -> None:
    """The restored database's audit head is the anchor from now on (``store.anchor``)."""
    from ..store import anchor
    from ..store.db import connect

    try:
        con = connect(db_path, readonly=True)
    except Exception:  # noqa: BLE001 - checked just before; never fail a done restore
        return
    try:
        anchor.restart_from(db_path, con)
    finally:
        con.close()
