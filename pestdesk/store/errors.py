"""Errors the storage layer raises, each with a one-line message in the user's language."""

from __future__ import annotations

from ..i18n import _


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


class NotAPestdeskDatabase(StoreError):
    def message(self) -> str:
        return _("{path} is not a pestdesk database.").format(path=self.path)


class DamagedDatabase(StoreError):
    def message(self) -> str:
        return _(
            "{path} is damaged and cannot be used; restore the most recent backup."
        ).format(path=self.path)


class ReadOnlyDatabase(StoreError):
    def message(self) -> str:
        return _(
            "{path} is read-only (or its folder is): pestdesk cannot save changes there."
        ).format(path=self.path)


class NewerSchema(StoreError):
    def message(self) -> str:
        return _(
            "{path} was made by a newer version of pestdesk; update pestdesk to open it."
        ).format(path=self.path)


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
