"""Service work on a thread other than the GUI's (Qt's thread pool).

peewee keeps one connection per thread; a worker thread must close its own when its work
is done, or the pool thread keeps a connection (and, on a shared file, a lock) open. The
GUI's ``gui.common.tasks.Task`` calls :func:`close_thread_connection` after every job, so no
caller has to remember it; :func:`in_worker` does the same for plain threads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from ..store.models import database

T = TypeVar("T")


def close_thread_connection() -> None:
    """Close the calling thread's own database connection, if it has one open."""
    if database.obj is not None and not database.is_closed():
        database.close()


def in_worker(fn: Callable[..., T]) -> Callable[..., T]:
    """``fn`` wrapped to close this worker thread's own connection afterwards."""
    def run(*args):
        try:
            return fn(*args)
        finally:
            close_thread_connection()
    return run
