"""A school's own SQLite file, read for moving it into a board database.

The file is never written: it is opened read-only and copied with SQLite's backup API into
memory (no temporary file holds its data), and that copy is brought to the current schema
with the same migrations an open would run. The caller reads the copy with plain SQL.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from peewee import SqliteDatabase

from . import errors
from .db import APPLICATION_ID, SQLITE_HEADER, _check_ours, is_encrypted, open_error, read_header


def _uri(p: Path) -> str:
    """Read-only; without a WAL holding changes, ``immutable`` as well, so SQLite makes no
    ``-shm`` file beside the source either (a school file to move in is closed)."""
    uri = f"{p.resolve().as_uri()}?mode=ro"
    wal = p.with_name(p.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        return uri
    return uri + "&immutable=1"


def memory_copy(path: str | os.PathLike) -> SqliteDatabase:
    """An in-memory copy of the pestdesk file ``path`` at the current schema."""
    from .migrations import LATEST, migrate

    p = Path(path)
    if not p.exists():
        raise errors.DatabaseMissing(p)
    if p.is_dir():
        raise errors.NotAPestdeskDatabase(p)
    if is_encrypted(p):
        raise errors.EncryptedSource(p)
    header = read_header(p)
    if (len(header) < 100 or not header.startswith(SQLITE_HEADER)
            or int.from_bytes(header[68:72], "big") != APPLICATION_ID):
        raise errors.NotAPestdeskDatabase(p)
    copy = SqliteDatabase(":memory:", pragmas={"foreign_keys": 0})
    copy.connect()
    try:
        source = sqlite3.connect(_uri(p), uri=True)
        try:
            version = source.execute("PRAGMA user_version").fetchone()[0]
            verdict = source.execute("PRAGMA quick_check(1)").fetchone()[0]
            tables = {r[0] for r in source.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            if verdict != "ok":
                raise errors.DamagedDatabase(p, verdict)
            if version > LATEST:
                raise errors.NewerSchema(p)
            _check_ours(p, version, tables)
            source.backup(copy.connection())
        finally:
            source.close()
        migrate(copy, None, backup=False)
    except sqlite3.DatabaseError as exc:
        copy.close()
        raise open_error(exc, p) from exc
    except BaseException:
        copy.close()
        raise
    return copy
