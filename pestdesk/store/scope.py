"""Which schools the queries of this process may touch: the one switch every query passes.

A board database holds several schools. Every school-owned table has a ``school`` column,
and ``models.BaseModel`` puts this scope into every SELECT, UPDATE and DELETE it builds
(aliases and subqueries included) and fills the school of every INSERT (from the parent
row, else the active school). So no list, search, export, import, letter, pack, figure or
purge can reach a row of a school outside the scope: they all build their queries through
the models.

*Who* may work in which school is decided in ``services.access`` (``access.enter``), which
sets the scope at sign-in; this module only holds it and turns it into SQL. ``None`` (no
scope) is the whole file, as before several schools: the command line on a single-school
file, the migrations, the demo builder.

The scope is process-wide on purpose: one process is one signed-in session (the GUI, a
command), and worker threads must see the same scope as the GUI thread.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass

#: the school every row of a single-school database belongs to (created by migration 5)
FIRST_SCHOOL = 1
#: ``Setting.school`` of a board-wide setting (the audit head, the sign-in throttle salt)
BOARD = 0


@dataclass(frozen=True)
class Scope:
    """``schools``: the schools whose rows are visible; ``active``: the school new rows and
    per-school settings (profile, letterhead, protocol preset, calendar) belong to."""

    schools: frozenset[int]
    active: int

    def __post_init__(self):
        if self.active not in self.schools:
            raise ValueError("the active school must be one of the visible schools")


_lock = threading.Lock()
_current: Scope | None = None


def current() -> Scope | None:
    return _current


def set_scope(scope: Scope | None) -> None:
    global _current
    with _lock:
        _current = scope


def clear() -> None:
    set_scope(None)


def active_school() -> int:
    """The school new rows go to: the active one, or the first school of an unscoped file."""
    scope = _current
    return scope.active if scope is not None else FIRST_SCHOOL


@contextlib.contextmanager
def using(scope: Scope | None) -> Iterator[None]:
    """Run a block under another scope and put the previous one back."""
    previous = _current
    set_scope(scope)
    try:
        yield
    finally:
        set_scope(previous)


@contextlib.contextmanager
def unscoped() -> Iterator[None]:
    """The whole file, for the store's own work (migrations, copying a school in)."""
    with using(None):
        yield
