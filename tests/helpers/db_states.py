"""Broken and awkward database states, made for the tests of every way opening can fail.

Each maker takes a fresh, healthy pestdesk database (made by ``pestdesk init``) and turns it
into one state; ``held`` states also return a ``release`` callable (a lock, an immutable flag,
a small mounted disk) that the test calls at the end. Read-only places are made with
``chattr +i`` because the tests run as root, who ignores file modes.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pestdesk.store.db import APPLICATION_ID


def not_a_database(path: Path) -> None:
    """Random bytes, not whole pages (a file of whole 4096-byte pages of noise is what an
    encrypted database looks like without its key: store.db.is_encrypted)."""
    path.write_bytes(os.urandom(8000))


def damaged(path: Path) -> None:
    con = sqlite3.connect(path)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.execute("PRAGMA journal_mode=delete")
    con.close()
    data = bytearray(path.read_bytes())
    for page in range(1, len(data) // 4096):  # every page but the header page
        data[page * 4096 + 8: page * 4096 + 200] = os.urandom(192)
    path.write_bytes(bytes(data))


def newer_schema(path: Path) -> None:
    con = sqlite3.connect(path)
    con.execute("PRAGMA user_version = 99")
    con.close()


def foreign_with_our_id(path: Path) -> None:
    """Our application id and a current user_version, but somebody else's tables."""
    from pestdesk.store.migrations import LATEST

    path.unlink()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    con.execute(f"PRAGMA user_version = {LATEST}")
    con.execute("CREATE TABLE boodschappen (wat TEXT)")
    con.execute("INSERT INTO boodschappen VALUES ('melk')")
    con.commit()
    con.close()


def foreign_unversioned(path: Path) -> None:
    """Our application id, user_version 0 and no tables: never migrated in place."""
    path.unlink()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    con.execute("CREATE TABLE notities (tekst TEXT)")
    con.commit()
    con.close()


FILE_STATES: dict[str, tuple[Callable[[Path], None], str]] = {
    # state maker, the Dutch fragment of the one line every command answers with
    "not-a-database": (not_a_database, "geen pestdesk-database"),
    "damaged": (damaged, "beschadigd"),
    "newer-schema": (newer_schema, "nieuwere versie"),
    "foreign-with-our-id": (foreign_with_our_id, "kenmerk van pestdesk"),
    "foreign-unversioned": (foreign_unversioned, "kenmerk van pestdesk"),
}


def _chattr(flag: str, path: Path) -> bool:
    done = subprocess.run(["chattr", flag, str(path)], capture_output=True)
    return done.returncode == 0


@contextlib.contextmanager
def immutable(path: Path) -> Iterator[None]:
    """``path`` (a file or a folder) read-only even for root; skips where chattr cannot."""
    path.chmod(0o555 if path.is_dir() else 0o444)
    if os.access(path, os.W_OK) and not (_chattr("+i", path) and not os.access(path,
                                                                               os.W_OK)):
        path.chmod(0o755 if path.is_dir() else 0o644)
        pytest.skip("cannot make a file or folder read-only for this user here")
    try:
        yield
    finally:
        _chattr("-i", path)
        path.chmod(0o755 if path.is_dir() else 0o644)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Another program holds the write lock (a rollback-journal file, BEGIN EXCLUSIVE)."""
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=delete")
    con.execute("BEGIN EXCLUSIVE")
    try:
        yield
    finally:
        con.execute("ROLLBACK")
        con.close()


@contextlib.contextmanager
def open_in_wal_elsewhere(path: Path) -> Iterator[None]:
    """A local client has the file open in WAL mode (as pestdesk on the server PC does)."""
    con = sqlite3.connect(path, isolation_level=None)
    assert con.execute("PRAGMA journal_mode=wal").fetchone()[0] == "wal"
    con.execute("SELECT count(*) FROM setting").fetchone()
    try:
        yield
    finally:
        con.close()


@contextlib.contextmanager
def small_disk(folder: Path, size_kb: int = 640) -> Iterator[Path]:
    """A tmpfs of ``size_kb`` mounted at ``folder`` (root only; skips where mount is not
    allowed)."""
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs",
                           str(folder)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot mount a small disk here")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def fill_disk(folder: Path) -> None:
    """Write a filler file until the disk of ``folder`` is full."""
    with contextlib.suppress(OSError), open(folder / "vulling.bin", "wb", buffering=0) as fh:
        while True:
            fh.write(b"\0" * 4096)
