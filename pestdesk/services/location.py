"""Where the open database lives, as the screens show it: a SQLite file (local disk or a
network share) or a PostgreSQL server (``postgresql://server/database``).

The window and the Beheer page carry the database as a *target*: a ``Path`` for a file,
the URL as text for a server (a ``Path`` would fold its double slash). What only a file
has -- SQLCipher's encryption, the backup API's copies beside it, SQLite's integrity
check, the shared-file mode -- is the board's IT's on a server (its disks, its base
backups, its monitoring); ``Location.server`` is what the screens ask.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..i18n import _
from ..store.db import is_network_path
from ..store.dialect import is_server


def as_target(value: str | os.PathLike) -> Path | str:
    """``--db``'s value as the rest of pestdesk takes it: the URL kept as text, else a path."""
    if is_server(value):
        return value
    return Path(value)


@dataclass(frozen=True)
class Location:
    target: Path | str
    server: bool
    name: str  # short: the file's name, or "database on server"
    full: str  # the file's path, or the URL without anything secret (no password, no query)
    network: bool  # a network share, or a server (always over the network)

    @property
    def stem(self) -> str:
        """The name backups of this database start with."""
        if self.server:
            return _server_params(self.target).get("dbname") or "pestdesk"
        return Path(self.target).stem

    def where(self) -> str:
        """The status bar's word for where it is."""
        if self.server:
            return _("PostgreSQL server")
        return _("network") if self.network else _("local")


def _server_params(url: str) -> dict:
    from ..store.server import parse_url

    return parse_url(url)


def location(target: str | os.PathLike) -> Location:
    target = as_target(target)
    if isinstance(target, str):
        from ..store.server import redact

        params = _server_params(target)
        host = params.get("host") or "localhost"
        if host.startswith("/"):  # a unix socket folder: the server is this computer
            host = "localhost"
        name = _("{database} on {server}").format(database=params.get("dbname") or "?",
                                                  server=host)
        return Location(target, True, name, redact(target), True)
    return Location(target, False, target.name, str(target), is_network_path(target))


def is_on_server(target: str | os.PathLike) -> bool:
    return is_server(target)
