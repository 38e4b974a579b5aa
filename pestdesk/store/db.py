"""Opening a pestdesk database safely.

Before anything touches a file we read its header and open it read-only to check that it
is a pestdesk database of a schema this version knows; only then is it opened for writing
with the pragmas the storage rules ask for (docs/architecture.md section 5): WAL on a local
disk, the rollback journal with ``synchronous=FULL`` on a network path, foreign keys on, a busy
timeout, and ``BEGIN IMMEDIATE`` for every write transaction. A leftover ``-journal`` file is
never touched: SQLite uses it to recover.

All SQLite specifics live in this package; a ``postgresql://`` URL in the place of a path
goes to ``store.server`` (PostgreSQL), and what differs between the two dialects is in
``store.dialect``. An encrypted database (docs/architecture.md,
"Encryption at rest") is opened through SQLCipher (``sqlcipher3``) with its raw key as the
first statement; the services do not notice: they only ever see the bound ``database``
proxy. The keys unlocked in this process are held by ``unlock_key`` and found again by the
salt in a file's first 16 bytes, which every copy of one database shares: backups, safety
copies, checks and presence reads of an encrypted file need no key passed around, and a
file of another database is never opened with the wrong key.

Once a client has opened the file over a network path it is marked *shared* (a setting in
the file), and from then on every client, also one that sees the file on a local disk (the
server PC itself), uses the network-safe settings: a single client switching the file to WAL
under the others would break their locking.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import sys
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from peewee import SqliteDatabase
from sqlcipher3 import dbapi2 as sqlcipher

from . import dialect, errors
from .crypto import SALT_BYTES, DatabaseKey
from .dialect import is_server
from .models import ALL_MODELS, database

APPLICATION_ID = 0x50455354  # "PEST" in the SQLite header
SQLITE_HEADER = b"SQLite format 3\x00"
NETWORK_FS_TYPES = {
    "cifs", "smb3", "smbfs", "nfs", "nfs4", "fuse.sshfs", "9p", "afpfs", "davfs", "webdav",
    "ceph", "glusterfs", "fuse.glusterfs", "lustre", "afs", "ncpfs", "fuse.rclone", "fuse.s3fs",
}
#: tables every pestdesk schema has had since the first migration; a file with our
#: application id but without them is foreign and never migrated or overwritten
CORE_TABLES = frozenset({"setting", "staff", "student", "case", "event", "audit_log"})
LOCAL_BUSY_MS = 5_000
JOURNAL_SWITCH_MS = 2_000  # waiting longer does not help: the other client keeps its mode
NETWORK_BUSY_MS = 15_000
SHARED_KEY = "shared_database"  # Setting: set once the file was opened over a network

#: What either driver raises (SQLCipher's module has its own classes of the same names).
OPERATIONAL_ERRORS = (sqlite3.OperationalError, sqlcipher.OperationalError)
DATABASE_ERRORS = (sqlite3.DatabaseError, sqlcipher.DatabaseError)

# SQLCipher logs a failed page HMAC (a wrong key) to stderr; we report it in words instead.
sqlcipher.connect(":memory:").execute("PRAGMA cipher_log_level = NONE")

#: Database keys unlocked in this process, by the salt every copy of that database carries.
_KEYS: dict[bytes, DatabaseKey] = {}


def unlock_key(key: DatabaseKey) -> None:
    """Hold ``key`` for this process: files of its database open without passing it."""
    _KEYS[key.salt] = key


def forget_keys() -> None:
    """Drop every held key (sign-out, quitting, a test's end)."""
    _KEYS.clear()


def is_encrypted(path: str | os.PathLike) -> bool:
    """True for a file that may be an encrypted database: not plain SQLite, and whole pages
    long (SQLCipher writes pages of 4096 bytes; a text file or a stub never is). Never for a
    PostgreSQL URL: SQLCipher does not apply to a server database."""
    if is_server(path):
        return False
    p = Path(path)
    try:
        header = read_header(p)
        size = p.stat().st_size
    except OSError:
        return False
    return (len(header) == 100 and not header.startswith(SQLITE_HEADER)
            and size % 512 == 0)


def key_for(path: str | os.PathLike) -> DatabaseKey | None:
    """The held key of an encrypted file (by its salt), or None."""
    try:
        header = read_header(Path(path))
    except OSError:
        return None
    return _KEYS.get(header[:SALT_BYTES]) if len(header) >= SALT_BYTES else None


def file_salt(path: str | os.PathLike) -> bytes:
    return read_header(Path(path))[:SALT_BYTES]


def connect(path: str | os.PathLike, *, readonly: bool = True, timeout: float = 30,
            key: DatabaseKey | None = None):
    """A raw DB-API connection: stdlib sqlite3 for a plain file, keyed SQLCipher for an
    encrypted one (``key`` or the held key of its database). ``EncryptedDatabase`` when no
    key is held for an encrypted file."""
    p = Path(path)
    target = readonly_uri(p) if readonly else str(p)
    key = key or (key_for(p) if is_encrypted(p) else None)
    if key is None:
        if is_encrypted(p):
            raise errors.EncryptedDatabase(p)
        return sqlite3.connect(target, uri=readonly, timeout=timeout)
    con = sqlcipher.connect(target, uri=readonly, timeout=timeout)
    con.execute(f"PRAGMA key = \"{key.pragma_value()}\"")
    return con


class _NoQueryParameters(logging.Filter):
    """peewee logs every query with its parameters at DEBUG: names, notes. Never let that out."""

    def filter(self, record: logging.LogRecord) -> bool:
        return False


_peewee_log = logging.getLogger("peewee")
_peewee_log.setLevel(logging.WARNING)
_peewee_log.addFilter(_NoQueryParameters())


@dataclass(frozen=True)
class FileInfo:
    path: Path
    schema_version: int
    network: bool
    shared: bool = False  # marked shared by a network client earlier: use the safe settings
    key: DatabaseKey | None = None  # the key of an encrypted file


def is_network_path(path: str | os.PathLike) -> bool:
    """True for a UNC path, a Windows remote drive, or a cifs/nfs/... mount on Linux (and a
    PostgreSQL server's URL)."""
    if is_server(path):
        return True
    text = os.fspath(path)
    if text.startswith(("\\\\", "//")):
        return True
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import ctypes

        drive = os.path.splitdrive(os.path.abspath(text))[0]
        if drive:
            return ctypes.windll.kernel32.GetDriveTypeW(drive + "\\") == 4  # DRIVE_REMOTE
        return False
    if sys.platform == "darwin":  # pragma: no cover - exercised on macOS only
        return _mac_mount_type(Path(text)) in NETWORK_FS_TYPES
    return _linux_mount_type(Path(text)) in NETWORK_FS_TYPES


def _mac_mount_type(path: Path) -> str:  # pragma: no cover - macOS only
    """The file system type from ``mount``: "//u@server/share on /Volumes/x (smbfs, ...)"."""
    import subprocess

    try:
        lines = subprocess.run(["/sbin/mount"], capture_output=True, text=True,
                               timeout=5).stdout.splitlines()
    except (OSError, subprocess.SubprocessError):
        return ""
    target = str(path.resolve() if path.exists() else path.parent.resolve())
    best, best_type = "", ""
    for line in lines:
        if " on " not in line or " (" not in line:
            continue
        point, _sep, rest = line.split(" on ", 1)[1].partition(" (")
        kind = rest.split(",", 1)[0].strip(") ")
        if (target == point or target.startswith(point.rstrip("/") + "/")) and len(point) > len(
                best):
            best, best_type = point, kind
    return best_type


def _linux_mount_type(path: Path) -> str:
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return ""
    target = str(path.resolve() if path.exists() else path.parent.resolve())
    best, best_type = "", ""
    for line in mounts:
        parts = line.split()
        if len(parts) < 3:
            continue
        mount_point = parts[1].replace("\\040", " ")
        if (target == mount_point or target.startswith(mount_point.rstrip("/") + "/")) and len(
            mount_point
        ) > len(best):
            best, best_type = mount_point, parts[2]
    return best_type


#: Descriptors ``read_header`` keeps open, by file (see there); the oldest is closed past
#: ``_HEADER_FDS_KEPT`` (a real session uses one or two files, a test run hundreds).
_header_fds: OrderedDict[str, int] = OrderedDict()
_header_lock = threading.Lock()
_HEADER_FDS_KEPT = 64


def read_header(path: Path) -> bytes:
    """The first 100 bytes of the file at ``path``.

    Without ever closing a descriptor of a database SQLite may have open in this process:
    POSIX drops every advisory lock a process holds on a file as soon as *any* of its
    descriptors of that file is closed, SQLite's locks included (the SQLite manual, "How To
    Corrupt An SQLite Database File", 2.2). With its locks gone, another PC's pestdesk that
    closes the file takes itself for the last user: it checkpoints and removes the WAL under
    our open connections, whose next read or write fails as "disk I/O error"
    (SQLITE_IOERR_SHORT_READ), a storage failure that turned the whole app read-only after
    a mere lock (the audit anchor reads the header after every save). So the descriptor is
    kept open and read again with ``pread``; one of a file since replaced (another inode)
    is closed, its locks were on the old file."""
    if not hasattr(os, "pread"):  # pragma: no cover - Windows: locks are not dropped so
        with open(path, "rb") as fh:
            return fh.read(100)
    name = os.path.abspath(path)
    now = os.stat(name)  # OSError (missing, no access) as before
    with _header_lock:
        fd = _header_fds.pop(name, None)
        if fd is not None:
            try:
                kept = os.fstat(fd)
            except OSError:
                kept = None
            if kept is None or (kept.st_ino, kept.st_dev) != (now.st_ino, now.st_dev):
                _close_quietly(fd)
                fd = None
        if fd is None:
            fd = os.open(name, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        _header_fds[name] = fd
        while len(_header_fds) > _HEADER_FDS_KEPT:
            _close_quietly(_header_fds.popitem(last=False)[1])
        return os.pread(fd, 100, 0)


def _close_quietly(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass


def inspect(path: str | os.PathLike, verify: bool = True,
            key: DatabaseKey | None = None) -> FileInfo:
    """Check, without changing a byte, that ``path`` is a pestdesk database we can read.

    ``verify`` adds SQLite's ``quick_check`` (reads every page: ~0.1 s per 60 MB); the GUI
    skips it at start-up and runs it in the background instead. An encrypted file needs
    ``key`` or a held key of its database. Raises a ``StoreError`` subclass with a
    user-facing message otherwise.
    """
    from .migrations import LATEST

    if is_server(path):
        from . import server

        return FileInfo(path, server.inspect(str(path)), network=True, shared=True)
    p = Path(path)
    if not p.exists():
        raise errors.DatabaseMissing(p)
    if p.is_dir():
        raise errors.NotAPestdeskDatabase(p)
    try:
        header = read_header(p)
    except PermissionError as exc:
        raise errors.ReadOnlyDatabase(p) from exc
    if len(header) < 100:
        raise errors.NotAPestdeskDatabase(p)
    if not header.startswith(SQLITE_HEADER):
        if not is_encrypted(p):
            raise errors.NotAPestdeskDatabase(p)
        return _inspect_encrypted(p, header, verify, key)
    if key is not None:
        raise errors.NotEncrypted(p)
    app_id = int.from_bytes(header[68:72], "big")
    if app_id != APPLICATION_ID:
        raise errors.NotAPestdeskDatabase(p)
    tables: set[str] | None = None
    try:
        con = sqlite3.connect(readonly_uri(p), uri=True, timeout=LOCAL_BUSY_MS / 1000)
        try:
            version = con.execute("PRAGMA user_version").fetchone()[0]
            tables = _tables(con)
            verdict = con.execute("PRAGMA quick_check(1)").fetchone()[0] if verify else "ok"
            shared = _is_marked_shared(con)
        finally:
            con.close()
    except sqlite3.OperationalError as exc:
        if errors.classify(exc) == "busy":
            raise errors.DatabaseBusy(p) from exc
        if not _needs_recovery(exc):
            raise open_error(exc, p) from exc
        # a hot journal that only a writer may roll back; the writable open decides
        version = int.from_bytes(header[60:64], "big")
        shared = header[18] == 1  # a rollback-journal file: stay safe
        verdict = "ok"
    except sqlite3.DatabaseError as exc:
        raise open_error(exc, p) from exc
    if verdict != "ok":
        raise errors.DamagedDatabase(p, verdict)
    if version > LATEST:
        raise errors.NewerSchema(p)
    _check_ours(p, version, tables)
    return FileInfo(p, version, is_network_path(p), shared)


def _tables(con) -> set[str]:
    return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _check_ours(p: Path, version: int, tables: set[str] | None) -> None:
    """Our application id is not enough: a file without pestdesk's tables (or never
    migrated) is somebody else's, never migrated in place, restored or overwritten."""
    if version < 1 or (tables is not None and not CORE_TABLES <= tables):
        raise errors.ForeignDatabase(p)


def open_error(exc: BaseException, path: Path) -> errors.StoreError:
    """The ``StoreError`` for a driver error (peewee's, sqlite3's or SQLCipher's) met while
    opening, reading or copying ``path``: each cause its own message."""
    name = errors.sqlite_error_name(exc)
    text = str(exc).lower()
    kind = errors.classify(exc)
    if kind == "busy":
        return errors.DatabaseBusy(path)
    if name.startswith("SQLITE_FULL") or (kind == "storage" and "full" in text):
        return errors.DiskFull(path)
    if kind == "readonly" or name.startswith("SQLITE_CANTOPEN") or "unable to open" in text:
        if not _writable(path.parent if str(path.parent) else Path(".")):
            return errors.ReadOnlyFolder(path)
        if path.exists() and not _writable(path):
            return errors.ReadOnlyDatabase(path)
    if kind == "storage":
        return errors.DiskFull(path)
    if name == "SQLITE_NOTADB" or "not a database" in text:
        return errors.NotAPestdeskDatabase(path)
    return errors.DamagedDatabase(path, str(exc))


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK)


def readonly_uri(path: Path) -> str:
    """The URI to read ``path`` without writing a byte.

    In a folder we may not write in, SQLite cannot make the ``-shm`` file a WAL database
    needs even to read; when no ``-wal`` file holds changes the main file is the whole
    database, and ``immutable=1`` reads it without that file (nobody can write there
    either: a writer needs the same folder for its journal).
    """
    uri = f"{path.resolve().as_uri()}?mode=ro"
    folder = path.parent if str(path.parent) else Path(".")
    if _writable(folder):
        return uri
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        return uri  # changes waiting in the WAL: only a normal read sees them
    return uri + "&immutable=1"


def _inspect_encrypted(p: Path, header: bytes, verify: bool,
                       key: DatabaseKey | None) -> FileInfo:
    from .keyfile import sidecar_path
    from .migrations import LATEST

    key = key or _KEYS.get(header[:SALT_BYTES])
    if key is None:
        if sidecar_path(p).exists():
            raise errors.EncryptedDatabase(p)
        raise errors.KeyFileMissing(p)
    if header[:SALT_BYTES] != key.salt:
        raise errors.ForeignKeyFile(p)
    def read(con) -> tuple:
        try:
            return (con.execute("PRAGMA application_id").fetchone()[0],
                    con.execute("PRAGMA user_version").fetchone()[0],
                    con.execute("PRAGMA quick_check(1)").fetchone()[0] if verify else "ok",
                    _is_marked_shared(con), _tables(con))
        finally:
            con.close()

    try:
        try:
            app_id, version, verdict, shared, tables = read(connect(p, key=key))
        except OPERATIONAL_ERRORS as exc:
            if not _needs_recovery(exc):
                raise
            # a hot journal (its header is encrypted too, so unreadable without a writer):
            # a writable connection rolls it back, as SQLite is designed to
            app_id, version, verdict, shared, tables = read(connect(p, readonly=False,
                                                                    key=key))
    except OPERATIONAL_ERRORS as exc:
        raise open_error(exc, p) from exc
    except DATABASE_ERRORS as exc:
        # the salt matched, so this key is this database's: page 1 itself is damaged
        raise errors.DamagedDatabase(p, str(exc)) from exc
    if app_id != APPLICATION_ID:
        raise errors.NotAPestdeskDatabase(p)
    if verdict != "ok":
        raise errors.DamagedDatabase(p, verdict)
    if version > LATEST:
        raise errors.NewerSchema(p)
    _check_ours(p, version, tables)
    return FileInfo(p, version, is_network_path(p), shared, key)


def _is_marked_shared(con) -> bool:
    try:
        row = con.execute("SELECT value FROM setting WHERE key = ?", (SHARED_KEY,)).fetchone()
    except OPERATIONAL_ERRORS:  # no setting table (yet)
        return False
    return bool(row and row[0] not in ("false", "0", ""))


def pragmas_for(network: bool, readonly: bool, encrypted: bool = False) -> dict[str, object]:
    pragmas: dict[str, object] = {"foreign_keys": 1, "cache_size": -16_000}
    if encrypted:
        pragmas["temp_store"] = 2  # sorts and temp tables in memory, never a plain temp file
    if not readonly:
        pragmas["secure_delete"] = 1  # data about minors: deleted content is zeroed
    if readonly:
        pragmas["query_only"] = 1
        return pragmas
    if network:
        # WAL needs shared memory that network file systems cannot give
        pragmas.update(journal_mode="delete", synchronous="full", locking_mode="normal")
    else:
        pragmas.update(journal_mode="wal", synchronous="normal")
    return pragmas


class EncryptedDatabase(SqliteDatabase):
    """peewee's SQLite database on SQLCipher: the raw key is each connection's first
    statement, then the usual pragmas (peewee's own ``sqlcipher_ext`` drops the busy
    timeout and wants a passphrase, which would cost a key derivation per connection)."""

    def __init__(self, database, key: DatabaseKey, **kwargs):
        self.key = key
        super().__init__(database, **kwargs)

    def _connect(self):
        conn = sqlcipher.connect(self.database, timeout=self._timeout, isolation_level=None,
                                 **self.connect_params)
        try:
            conn.execute(f"PRAGMA key = \"{self.key.pragma_value()}\"")
            self._add_conn_hooks(conn)
        except Exception:
            conn.close()
            raise
        return conn


def _make_database(path: Path, network: bool, readonly: bool,
                   busy_ms: int | None = None,
                   key: DatabaseKey | None = None) -> SqliteDatabase:
    if busy_ms is None:
        busy_ms = NETWORK_BUSY_MS if network else LOCAL_BUSY_MS
    target = readonly_uri(path) if readonly else str(path)
    options = dict(pragmas=pragmas_for(network, readonly, encrypted=key is not None),
                   timeout=busy_ms / 1000, lock_type="IMMEDIATE", uri=readonly,
                   check_same_thread=False)
    db = (EncryptedDatabase(target, key, **options) if key is not None
          else SqliteDatabase(target, **options))
    db.read_only = readonly  # query_only: opened to read (a check, a dry run), never to save
    return db


def check_writable(p: Path) -> None:
    """Refuse a read-only file, or a file in a read-only folder (SQLite writes its journal
    next to the database), before anything is written."""
    folder = p.parent if p.parent != Path("") else Path(".")
    if p.exists() and not _writable(p):
        raise errors.ReadOnlyDatabase(p)
    if not _writable(folder):
        raise errors.ReadOnlyFolder(p)


def _settle_journal_mode(p: Path, network: bool, key: DatabaseKey | None) -> None:
    """Put the file in the journal mode this client needs before peewee opens it, or say
    why not: switching between WAL and the rollback journal needs every other client gone,
    and the first client's mode stays (a short wait, then ``JournalModeConflict``)."""
    wanted = "delete" if network else "wal"
    try:
        con = connect(p, readonly=False, timeout=JOURNAL_SWITCH_MS / 1000, key=key)
        try:
            current = con.execute("PRAGMA journal_mode").fetchone()[0].lower()
            if current != wanted:
                con.execute(f"PRAGMA journal_mode = {wanted}").fetchone()
        finally:
            con.close()
    except errors.DRIVER_ERRORS as exc:
        error = open_error(exc, p)
        if isinstance(error, errors.DatabaseBusy):
            raise errors.JournalModeConflict(p) from exc
        raise error from exc


def create_database(path: str | os.PathLike,
                    key: DatabaseKey | None = None) -> SqliteDatabase:
    """Make a new, empty pestdesk database at ``path``; never overwrites a file.

    With ``key`` the file is encrypted from its first byte (and the key is held).
    """
    from .migrations import migrate

    if is_server(path):
        if key is not None:
            raise errors.SqlcipherNotOnServer(path)
        from . import server

        return server.create_database(path)
    p = Path(path)
    if p.exists():
        raise errors.DatabaseExists(p)
    if not p.parent.exists():
        raise errors.DatabaseMissing(p.parent)
    check_writable(p)
    # Stamp the application id in rollback-journal mode first, so the main file's header
    # names pestdesk from the start (under WAL it would wait for a checkpoint).
    con = connect(p, readonly=False, key=key) if key else sqlite3.connect(p)
    try:
        con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        con.commit()
    finally:
        con.close()
    if key is not None:
        unlock_key(key)
    db = _make_database(p, is_network_path(p), readonly=False, key=key)
    bind(db)
    try:
        migrate(db, p, backup=False)
    except Exception:
        db.close()
        p.unlink(missing_ok=True)
        raise
    return db


def open_database(
    path: str | os.PathLike, *, readonly: bool = False, migrate_schema: bool = True,
    verify: bool = True, busy_ms: int | None = None, network: bool | None = None,
    key: DatabaseKey | None = None, dry_run: bool = False,
) -> SqliteDatabase:
    """Open an existing pestdesk database, migrating it (after a backup) when it is older.

    ``busy_ms`` overrides the busy timeout (tests use a short one); ``network=True`` forces
    the network-safe settings (rollback journal, ``synchronous=FULL``) on any path. An
    encrypted file opens with ``key`` (then held) or a key already held for its database.
    ``dry_run`` opens read-only and refuses a schema that would need migrating: a dry run
    changes no byte. Every way opening fails is a ``StoreError`` with its own message
    (peewee's, sqlite3's and SQLCipher's errors alike, through ``open_error``).
    """
    from .migrations import LATEST, migrate

    if is_server(path):
        from . import server

        return server.open_database(str(path), readonly=readonly,
                                    migrate_schema=migrate_schema, dry_run=dry_run,
                                    busy_ms=busy_ms)
    info = inspect(path, verify=verify, key=key)
    if dry_run:
        readonly, migrate_schema = True, False
        if info.schema_version < LATEST:
            raise errors.OlderSchema(info.path)
    safe_mode = info.network or info.shared if network is None else network
    if not readonly:
        check_writable(info.path)
        _settle_journal_mode(info.path, safe_mode, info.key)
    db = _make_database(info.path, safe_mode, readonly, busy_ms, key=info.key)
    try:
        db.connect()
        tables = set(db.get_tables())
    except errors.DRIVER_ERRORS as exc:
        db.close()
        raise open_error(exc, info.path) from exc
    if not CORE_TABLES <= tables:  # e.g. seen only now that a hot journal was rolled back
        db.close()
        raise errors.ForeignDatabase(info.path)
    if info.key is not None:
        unlock_key(info.key)
    bind(db)
    if info.schema_version < LATEST and migrate_schema:
        if readonly:
            db.close()
            raise errors.ReadOnlyDatabase(info.path)
        try:
            migrate(db, info.path, backup=True)
        except errors.StoreError:
            db.close()
            raise
        except errors.DRIVER_ERRORS as exc:
            db.close()
            raise open_error(exc, info.path) from exc
    if info.network and not info.shared and not readonly:
        _mark_shared(db)
    return db


def _mark_shared(db: SqliteDatabase) -> None:
    """Remember that this file is used over a network (best effort: busy is not an error)."""
    try:
        with db.atomic():
            db.execute_sql("INSERT OR REPLACE INTO setting (key, value, version) VALUES (?, ?, 1)",
                           (SHARED_KEY, "true"))
    except Exception:  # noqa: BLE001 - the next network client marks it instead
        pass


def bind(db: SqliteDatabase) -> None:
    database.initialize(db)
    db.bind(ALL_MODELS)


def present_usernames(path: str | os.PathLike, since: str) -> list[str]:
    """User names with a presence heartbeat at or after ``since``, read without binding.

    An empty list when the file cannot be read (no presence table, damaged, locked).
    """
    if is_server(path):
        from . import server

        return server.present_usernames(str(path), since)
    try:
        con = connect(path, timeout=5)
        try:
            rows = con.execute("SELECT DISTINCT username FROM presence WHERE heartbeat_at >= ?",
                               (since,)).fetchall()
        finally:
            con.close()
    except (*DATABASE_ERRORS, errors.StoreError):
        return []
    return sorted(r[0] or "?" for r in rows)


def schema_version(db) -> int:
    return dialect.schema_version(db)


def integrity_verdict(db) -> str:
    """"ok" or what is wrong: SQLite's ``integrity_check``; on PostgreSQL its constraints,
    the append-only triggers and the application role's rights (``server``)."""
    if dialect.is_postgres(db):
        from . import server

        problems = server.integrity_problems(db)
        return "; ".join(problems) if problems else "ok"
    rows = db.execute_sql("PRAGMA integrity_check(20)").fetchall()
    return "; ".join(r[0] for r in rows)


def server_notes(db) -> list[str]:
    """What ``check`` adds for a server database: its application role (or that there is
    none), and that SQLCipher's file encryption does not apply there."""
    if not dialect.is_postgres(db):
        return []
    from ..i18n import _
    from . import server

    role = server.app_role(db)
    notes = [_("PostgreSQL: file encryption (SQLCipher) does not apply. Confidential notes "
               "are not sealed here yet (the seal's keys live in the key file of an encrypted "
               "database file): pestdesk's own rules still decide who sees them, but the "
               "server's administrator can read them.")]
    if role:
        notes.append(_("PostgreSQL: the application role {role} may read and add audit "
                       "lines, never change or remove them.").format(role=role))
    else:
        notes.append(_("PostgreSQL: no separate application role; pestdesk connects as the "
                       "owner (run 'pestdesk init --app-role NAME' on a new database, or grant "
                       "a role as docs/postgresql.md says)."))
    return notes


def backup_to(source: str | os.PathLike, dest: str | os.PathLike, *,
              verify: bool = True) -> Path:
    """A consistent online copy with SQLite's backup API in one step (pages=-1).

    Safe while others use the file: the backup reads one snapshot. The copy is checked with
    ``integrity_check`` before it is reported good; a bad copy is removed. ``verify=False``
    keeps a copy whatever its state (the safety copy of a damaged file before a restore).
    """
    src_path, dest_path = Path(source), Path(dest)
    if dest_path.is_dir():
        dest_path = dest_path / src_path.name
    if dest_path.exists():
        raise errors.DatabaseExists(dest_path)
    if not dest_path.parent.is_dir():
        raise errors.DatabaseMissing(dest_path.parent)
    if not _writable(dest_path.parent):
        raise errors.ReadOnlyFolder(dest_path)
    tmp = dest_path.with_name(dest_path.name + ".partial")
    try:
        ok = _backup_into(src_path, tmp)
    except errors.DRIVER_ERRORS as exc:
        tmp.unlink(missing_ok=True)  # never leave a half copy of personal data behind
        raise _copy_error(exc, src_path, tmp) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if ok != "ok" and verify:
        tmp.unlink(missing_ok=True)
        raise errors.DamagedDatabase(src_path, ok)
    _copy_keyfile(src_path, dest_path)  # first: a copy without its key file is unreadable
    os.replace(tmp, dest_path)
    return dest_path


def _copy_keyfile(src_path: Path, dest_path: Path) -> None:
    """An encrypted copy travels with its key file (the slots as they are now)."""
    from . import keyfile

    if not is_encrypted(src_path):
        return
    try:
        kf = keyfile.read(src_path)
    except errors.StoreError:
        return  # a damaged source's copy is still worth keeping; the key file is elsewhere
    keyfile.write_to(keyfile.sidecar_path(dest_path), kf)


def _copy_error(exc: BaseException, source: Path, dest: Path) -> errors.StoreError:
    """A failed copy: the destination's disk or folder, else the source's state."""
    error = open_error(exc, dest)
    if isinstance(error, errors.DiskFull | errors.ReadOnlyFolder | errors.ReadOnlyDatabase):
        return error
    return open_error(exc, source)


def _backup_into(src_path: Path, tmp: Path) -> str:
    """Copy with the backup API; an encrypted source gives a copy under the same key."""
    src = _reader(src_path)
    key = key_for(src_path) if is_encrypted(src_path) else None
    try:
        dst = connect(tmp, readonly=False, key=key) if key else sqlite3.connect(tmp)
        try:
            try:
                src.backup(dst, pages=-1)
            except OPERATIONAL_ERRORS as exc:
                if not _needs_recovery(exc):
                    raise
                src.close()  # a hot journal: a writable connection recovers it first
                src = connect(src_path, readonly=False, timeout=30)
                src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode=delete")
            ok = dst.execute("PRAGMA integrity_check").fetchone()[0]
            _record_backup_head(src_path, dst)
        finally:
            dst.close()
    finally:
        src.close()
    return ok


def _record_backup_head(src_path: Path, copy) -> None:
    """The head of the audit trail this copy holds goes into the source's anchor file, so
    ``check`` can tell when the trail lost lines the backup still has (``store.anchor``)."""
    from . import anchor

    try:
        head = anchor.table_head(copy)
    except Exception:  # noqa: BLE001 - a damaged or foreign copy: nothing to record
        return
    anchor.write_anchor(src_path, backup=head)


def copy_holds_students(path: str | os.PathLike, numbers: list[str]) -> bool:
    """Whether the database copy at ``path`` still has a student with one of ``numbers``.

    Read-only; a plain copy that cannot be read as a database is searched byte by byte for
    the numbers instead (a damaged copy may still hold the child); an encrypted copy whose
    key is not held cannot be shown to be clean, so it counts as holding them."""
    if not numbers:
        return False
    try:
        con = _reader(path)
        try:
            found = False
            for start in range(0, len(numbers), 500):
                chunk = numbers[start:start + 500]
                marks = ",".join("?" * len(chunk))
                if con.execute(f"SELECT 1 FROM student WHERE number IN ({marks}) LIMIT 1",
                               chunk).fetchone():
                    found = True
                    break
        finally:
            con.close()
        return found
    except errors.EncryptedDatabase:
        return True
    except (*DATABASE_ERRORS, errors.StoreError):
        try:
            raw = Path(path).read_bytes()
        except OSError:
            return False
        return any(n.encode("utf-8") in raw for n in numbers)


def integrity_check(path: str | os.PathLike) -> str:
    """SQLite's full ``integrity_check``: "ok" or what is wrong."""
    return _check(path, "integrity_check")


def restore_from(backup: str | os.PathLike, dest: str | os.PathLike,
                 busy_ms: int = NETWORK_BUSY_MS) -> None:
    """Write ``backup`` over ``dest`` page by page with the backup API (never a file copy).

    SQLite takes the write lock on ``dest`` and updates it in one transaction through its
    own journal, so other connections see either the old or the restored database and a
    crash half-way rolls back. The caller has checked ``backup`` first.
    """
    if is_encrypted(backup) != is_encrypted(dest) and Path(dest).exists():
        raise (errors.NotEncrypted(backup) if is_encrypted(dest)
               else errors.EncryptedDatabase(backup))
    src = _reader(backup)
    try:
        dst = connect(dest, readonly=False, timeout=busy_ms / 1000,
                      key=key_for(backup) if is_encrypted(backup) else None)
        try:
            src.backup(dst, pages=-1)
        except errors.DRIVER_ERRORS as exc:
            raise _copy_error(exc, Path(backup), Path(dest)) from exc
        finally:
            dst.close()
    finally:
        src.close()


def quick_check(path: str | os.PathLike) -> str:
    """SQLite's ``quick_check``: "ok" or what is wrong; on a server database its constraints,
    triggers and the application role's rights (``server.quick_check``)."""
    if is_server(path):
        from . import server

        return server.quick_check(str(path))
    return _check(path, "quick_check")


def _check(path: str | os.PathLike, pragma: str) -> str:
    """Run a check pragma on a read-only connection.

    A hot journal left by a crashed writer can only be rolled back by a writable connection;
    then (and only then) the check runs on one, which lets SQLite recover the file as it is
    designed to. The journal itself is never touched by us.
    """
    try:
        try:
            con = _reader(path)
            rows = _run_check(con, pragma)
        except OPERATIONAL_ERRORS as exc:
            if not _needs_recovery(exc):
                raise
            rows = _run_check(connect(path, readonly=False, timeout=30), pragma)
    except DATABASE_ERRORS as exc:
        return str(exc)
    return "; ".join(r[0] for r in rows)


def _reader(path: str | os.PathLike):
    return connect(path, timeout=30)


def _needs_recovery(exc: Exception) -> bool:
    name = getattr(exc, "sqlite_errorname", "") or ""
    return name.startswith("SQLITE_READONLY") or "readonly" in str(exc).lower()


def _run_check(con, pragma: str) -> list:
    try:
        return con.execute(f"PRAGMA {pragma}(5)").fetchall()
    finally:
        con.close()


def export_encrypted(src: str | os.PathLike, dest: str | os.PathLike,
                     key: DatabaseKey) -> None:
    """An encrypted, verified copy of the plain ``src`` at ``dest`` (``sqlcipher_export``).

    The caller holds ``src``'s write lock (``hold_write_lock``) so nothing changes meanwhile.
    ``src`` is first put in rollback-journal mode: a plain ``-wal`` left beside the file
    would otherwise be read as the encrypted file's. ``dest`` is removed when it fails.
    """
    src_path, dest_path = Path(src), Path(dest)
    if dest_path.exists():
        raise errors.DatabaseExists(dest_path)
    con = sqlcipher.connect(str(src_path), isolation_level=None, timeout=NETWORK_BUSY_MS / 1000)
    try:
        version = con.execute("PRAGMA user_version").fetchone()[0]
        con.execute("ATTACH DATABASE ? AS encrypted KEY ?", (str(dest_path),
                                                              key.pragma_value()))
        con.execute("SELECT sqlcipher_export('encrypted')")
        con.execute(f"PRAGMA encrypted.user_version = {int(version)}")
        con.execute(f"PRAGMA encrypted.application_id = {APPLICATION_ID}")
        tables = [r[0] for r in con.execute(
            "SELECT name FROM main.sqlite_master WHERE type = 'table'")]
        for table in tables:
            q = f'SELECT count(*) FROM {{db}}."{table}"'
            if (con.execute(q.format(db="main")).fetchone()
                    != con.execute(q.format(db="encrypted")).fetchone()):
                raise errors.DamagedDatabase(dest_path, f"count differs: {table}")
        con.execute("DETACH DATABASE encrypted")
    except BaseException:
        con.close()
        dest_path.unlink(missing_ok=True)
        raise
    con.close()
    unlock_key(key)
    verdict = _check(dest_path, "integrity_check")
    if verdict != "ok":
        dest_path.unlink(missing_ok=True)
        raise errors.DamagedDatabase(dest_path, verdict)
    with open(dest_path, "rb+") as fh:
        os.fsync(fh.fileno())


def to_rollback_journal(path: str | os.PathLike) -> None:
    """Checkpoint and leave WAL mode, so no ``-wal`` file stays beside ``path``."""
    con = sqlite3.connect(str(path), timeout=NETWORK_BUSY_MS / 1000, isolation_level=None)
    try:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        mode = con.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
    finally:
        con.close()
    if str(mode).lower() != "delete":
        raise errors.DatabaseBusy(path)


def hold_write_lock(path: str | os.PathLike):
    """A connection holding ``path``'s write lock (BEGIN IMMEDIATE) until it is closed."""
    con = sqlite3.connect(str(path), timeout=NETWORK_BUSY_MS / 1000, isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        con.close()
        raise errors.DatabaseBusy(path) from exc
    return con
