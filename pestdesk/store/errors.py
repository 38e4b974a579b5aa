"""Errors the storage layer raises, each with a one-line message in the user's language."""

from __future__ import annotations

import sqlite3

from peewee import DatabaseError as _PeeweeDatabaseError
from sqlcipher3 import dbapi2 as _sqlcipher

from ..i18n import _

#: What the storage layer lets through from the driver (peewee's wrapper, sqlite3's own or
#: SQLCipher's, which has its own classes of the same names).
DRIVER_ERRORS: tuple[type[Exception], ...] = (_PeeweeDatabaseError, sqlite3.DatabaseError,
                                              _sqlcipher.DatabaseError)


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


def classify(exc: BaseException) -> str:
    """"busy", "storage", "readonly" or "" for an exception raised by the database driver."""
    if not isinstance(exc, DRIVER_ERRORS):
        return ""
    name = sqlite_error_name(exc)
    text = str(exc).lower()
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or (
            not name and ("locked" in text or "busy" in text)):
        return "busy"
    if name.startswith(("SQLITE_FULL", "SQLITE_IOERR")) or (
            not name and ("disk" in text or "i/o" in text or "full" in text)):
        return "storage"
    if name.startswith("SQLITE_READONLY"):
        return "readonly"
    return ""
