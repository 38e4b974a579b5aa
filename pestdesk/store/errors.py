"""Errors the storage layer raises, each with a one-line message in the user's language."""

from __future__ import annotations

import sqlite3

import psycopg as _psycopg
from peewee import DatabaseError as _PeeweeDatabaseError
from sqlcipher3 import dbapi2 as _sqlcipher

from ..i18n import _

#: What the storage layer lets through from the driver (peewee's wrapper, sqlite3's own or
#: SQLCipher's, which has its own classes of the same names).
DRIVER_ERRORS: tuple[type[Exception], ...] = (_PeeweeDatabaseError, sqlite3.DatabaseError,
                                              _sqlcipher.DatabaseError, _psycopg.Error)


class StoreError(Exception):
    """Base: ``str(err)`` is a clear, translated one-line message for the user."""

    def __init__(self, path: object = "", detail: str = ""):
        self.path = str(path)
        self.detail = detail
        super().__init__(self.message())

    def message(self) -> str:  # pragma: no cover - overridden
        return _("The database could not be opened.")


class DatabaseMissing(StoreError):
    def message(self) -> str:
        return _("The database file {path} does not exist.").format(path=self.path)


class DatabaseExists(StoreError):
    def message(self) -> str:
        return _("{path} already exists; pestdesk will not overwrite it.").format(path=self.path)


class EncryptedSource(StoreError):
    def message(self) -> str:
        return _("{path} is encrypted: moving an encrypted school in is not possible yet; "
                 "move a plain copy (made by the school's beheerder) instead.").format(
                     path=self.path)


class NotAPestdeskDatabase(StoreError):
    def message(self) -> str:
        return _("{path} is not a pestdesk database.").format(path=self.path)


class DamagedDatabase(StoreError):
    def message(self) -> str:
        return _(
            "{path} is damaged and cannot be used; restore the most recent backup."
        ).format(path=self.path)


class ForeignDatabase(StoreError):
    """A file with pestdesk's application id in its header but without pestdesk's tables."""

    def message(self) -> str:
        return _(
            "{path} carries pestdesk's mark but does not hold a pestdesk database (its tables "
            "are missing); it is not used and not changed."
        ).format(path=self.path)


class ReadOnlyDatabase(StoreError):
    def message(self) -> str:
        return _(
            "{path} is read-only: pestdesk cannot save changes in it. Ask for write access to "
            "the file."
        ).format(path=self.path)


class ReadOnlyFolder(StoreError):
    def message(self) -> str:
        return _(
            "The folder of {path} is read-only: SQLite keeps its journal next to the database, "
            "so pestdesk cannot use the file there. Ask for write access to the folder, or "
            "move the file to a folder you may write in."
        ).format(path=self.path)


class JournalModeConflict(StoreError):
    """Another client holds the file in the other journal mode (WAL on a local disk, the
    rollback journal over a network): the first one's mode stays, this one is refused."""

    def message(self) -> str:
        return _(
            "{path} is open on another computer that uses it in another way (one directly on "
            "its own disk, the other over the network); the first one to open it decides. "
            "Close pestdesk on the other computers, or open the file by the same network path "
            "as they do, and try again."
        ).format(path=self.path)


class OlderSchema(StoreError):
    def message(self) -> str:
        return _(
            "{path} has an older schema that pestdesk updates (after a backup) when it opens "
            "the file for work; a dry run changes nothing, so run it without --dry-run, or "
            "open the file in pestdesk, first."
        ).format(path=self.path)


class DiskFull(StoreError):
    def message(self) -> str:
        return _(
            "The disk of {path} is full or cannot be written; nothing was changed. Make room "
            "and try again."
        ).format(path=self.path)


class NewerSchema(StoreError):
    def message(self) -> str:
        return _(
            "{path} was made by a newer version of pestdesk; update pestdesk to open it."
        ).format(path=self.path)


def _keys_name(path: str) -> str:
    from .keyfile import sidecar_path

    return sidecar_path(path).name


class EncryptedDatabase(StoreError):
    """The file is encrypted and no key was given (a caller must unlock it first)."""

    def message(self) -> str:
        return _("{path} is encrypted: sign in with your user name and password, or use the "
                 "recovery key.").format(path=self.path)


class KeyFileMissing(NotAPestdeskDatabase):
    """Pages of what may be an encrypted database, and no key file beside them."""

    def message(self) -> str:
        return _(
            "{path} cannot be opened: it is encrypted and its key file {keys} is missing (or "
            "it is not a pestdesk database). Put the key file from the latest backup (the "
            "file ending in .keys in the backup folder) next to the database; nothing was "
            "changed.").format(path=self.path, keys=_keys_name(self.path))


class KeyFileDamaged(StoreError):
    def message(self) -> str:
        return _(
            "The key file {keys} of {path} is damaged. Put the key file from the latest "
            "backup (the file ending in .keys in the backup folder) in its place; nothing was "
            "changed.").format(path=self.path, keys=_keys_name(self.path))


class ForeignKeyFile(StoreError):
    """The key file and the database are not of the same database."""

    def message(self) -> str:
        return _(
            "{path} and the key file {keys} beside it do not belong together: the key file is "
            "of another database. Put back the key file that was saved with this database, or "
            "restore the latest backup together with its key file; nothing was changed."
        ).format(path=self.path, keys=_keys_name(self.path))


class NotEncrypted(StoreError):
    """A plaintext database where an encrypted one was expected (or a key was given)."""

    def message(self) -> str:
        return _(
            "{path} is not encrypted, yet a key file {keys} lies beside it. If you put back an "
            "unencrypted backup, move the key file aside and encrypt the database again "
            "(pestdesk encrypt); nothing was changed.").format(
                path=self.path, keys=_keys_name(self.path))


class DatabaseBusy(StoreError):
    def message(self) -> str:
        return _(
            "Someone else is saving to the database right now; please try again in a moment."
        )


class StorageFailure(StoreError):
    """Disk full or an I/O error: nothing was saved."""

    def message(self) -> str:
        return _(
            "The database could not be written (disk full or network error); "
            "your last change was not saved."
        )


class BadServerUrl(StoreError):
    def message(self) -> str:
        return _("{path} is not a valid PostgreSQL address; write it as "
                 "postgresql://server/database.").format(path=self.path.split("?", 1)[0])


class PasswordInUrl(StoreError):
    """A password in the URL would stay in the shell's history and be seen by other users."""

    def message(self) -> str:
        return _("The address {path} holds a password; pestdesk refuses it, because the "
                 "command line and its history can be read by others. Put the password in "
                 "the pgpass file (~/.pgpass, or PGPASSFILE) or in the system keyring, and "
                 "leave it out of the address.").format(path=self.path)


class ServerLoginFailed(StoreError):
    def message(self) -> str:
        return _("The PostgreSQL server {path} refused the login: check the user name and the "
                 "password in the pgpass file or the system keyring.").format(path=self.path)


class ServerTlsFailed(StoreError):
    def message(self) -> str:
        return _("No secure (TLS) connection to the PostgreSQL server {path} could be made; "
                 "nothing was changed. Ask the administrator of the server.").format(
                     path=self.path)


class ServerUnreachable(StoreError):
    def message(self) -> str:
        return _("The PostgreSQL server {path} cannot be reached; nothing was changed. Check "
                 "the address and the network, and try again.").format(path=self.path)


class EmptyServerDatabase(StoreError):
    def message(self) -> str:
        return _("The PostgreSQL database {path} is empty: create the pestdesk tables first "
                 "with 'pestdesk init --db {path}'.").format(path=self.path)


class CannotCreateRole(StoreError):
    def message(self) -> str:
        return _("The role {path} does not exist and may not be created by this login. Ask the "
                 "server's administrator to run: CREATE ROLE {path} LOGIN; then run init "
                 "again.").format(path=self.path)


class MigrationNeedsOwner(StoreError):
    def message(self) -> str:
        return _("The database {path} needs a newer schema, and only its owner role may "
                 "change the schema: open it once with pestdesk as the owner role; nothing was "
                 "changed.").format(path=self.path)


class SqlcipherNotOnServer(StoreError):
    def message(self) -> str:
        return _("File encryption (SQLCipher) does not apply to a PostgreSQL database: the "
                 "server's disks and backups are protected by its administrator.")


class ServerToolMissing(StoreError):
    def message(self) -> str:
        return _("The PostgreSQL program {path} is not installed (package postgresql-client); "
                 "nothing was changed.").format(path=self.path)


class ServerToolFailed(StoreError):
    def message(self) -> str:
        return _("{path} failed: {detail}. Nothing was changed.").format(
            path=self.path, detail=self.detail)


def sqlite_error_name(exc: BaseException) -> str:
    """SQLite's error name (``SQLITE_BUSY``...) of ``exc`` or the sqlite3 error it wraps."""
    seen: list[BaseException] = [exc]
    if exc.args and isinstance(exc.args[0], BaseException):
        seen.append(exc.args[0])
    seen += [e for e in (exc.__cause__, exc.__context__) if e is not None]
    for item in seen:
        name = getattr(item, "sqlite_errorname", None)
        if name:
            return name
    return ""


def server_sqlstate(exc: BaseException) -> str:
    """PostgreSQL's SQLSTATE of ``exc`` or the psycopg error it wraps ("" for SQLite's)."""
    seen: list[BaseException] = [exc]
    if exc.args and isinstance(exc.args[0], BaseException):
        seen.append(exc.args[0])
    seen += [e for e in (exc.__cause__, exc.__context__) if e is not None]
    for item in seen:
        state = getattr(item, "sqlstate", None)
        if isinstance(state, str) and state:
            return state
    return ""


#: SQLite's codes for trouble with another process's lock rather than with the disk: the
#: advisory locks of a network share failing for a moment, a WAL lock race, a WAL file
#: another connection is recovering. The transaction was rolled back and nothing was
#: written; trying again later works, so they are "busy", never a storage failure that
#: would stop the whole app from saving.
LOCK_TROUBLE = frozenset({
    "SQLITE_IOERR_LOCK", "SQLITE_IOERR_RDLOCK", "SQLITE_IOERR_UNLOCK",
    "SQLITE_IOERR_CHECKRESERVEDLOCK", "SQLITE_IOERR_SHMLOCK", "SQLITE_IOERR_BLOCKED",
    "SQLITE_PROTOCOL", "SQLITE_READONLY_RECOVERY",
})


def classify(exc: BaseException) -> str:
    """"busy", "storage", "readonly" or "" for an exception raised by the database driver."""
    if not isinstance(exc, DRIVER_ERRORS):
        return ""
    state = server_sqlstate(exc)
    if state:  # PostgreSQL
        if state in ("55P03", "40P01", "40001", "57014"):  # lock wait, deadlock, serialization
            return "busy"
        if state.startswith(("53", "58")):  # insufficient resources, system error
            return "storage"
        if state == "25006":
            return "readonly"
        return ""
    name = sqlite_error_name(exc)
    text = str(exc).lower()
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or name in LOCK_TROUBLE or (
            not name and ("locked" in text or "busy" in text or "locking protocol" in text)):
        return "busy"
    if name.startswith(("SQLITE_FULL", "SQLITE_IOERR")) or (
            not name and ("disk" in text or "i/o" in text or "full" in text)):
        return "storage"
    if name.startswith("SQLITE_READONLY"):
        return "readonly"
    return ""
