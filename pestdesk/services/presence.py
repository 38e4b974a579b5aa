"""Who has the database open: one row per running pestdesk, kept fresh by a heartbeat.

The GUI joins at start, beats every ``HEARTBEAT_SECONDS`` and leaves when it closes. A client
that crashed simply stops beating: rows older than ``STALE_AFTER`` are ignored (and pruned
later). The names seen at the last beat are cached in memory so a "database is busy" message
can name who may be saving even while the file is locked and cannot be read.
"""

from __future__ import annotations

import datetime as dt
import socket
import uuid
from dataclasses import dataclass

from ..store import errors
from ..store.models import Presence, utcnow
from .base import Actor, ReadOnlyMode, write

HEARTBEAT_SECONDS = 30
STALE_AFTER = dt.timedelta(minutes=2)
PRUNE_AFTER = dt.timedelta(days=1)


@dataclass(frozen=True)
class Client:
    client_id: str
    username: str
    host: str
    started_at: dt.datetime
    heartbeat_at: dt.datetime


_state: dict[str, object] = {"client_id": None, "others": []}


def client_id() -> str | None:
    """This process's presence id once it joined."""
    return _state["client_id"]  # type: ignore[return-value]


def known_others() -> list[str]:
    """Usernames of the other clients seen at the last heartbeat (no database access)."""
    return list(_state["others"])  # type: ignore[arg-type]


def join(actor: Actor, now: dt.datetime | None = None) -> str:
    """Register this process as having the database open; returns its client id."""
    now = now or utcnow()
    cid = uuid.uuid4().hex
    with write():
        Presence.insert(client_id=cid, username=actor.username, host=_host(),
                        started_at=now, heartbeat_at=now).execute()
        Presence.delete().where(Presence.heartbeat_at < now - PRUNE_AFTER).execute()
    _state["client_id"] = cid
    _state["actor"] = actor
    _refresh_cache(now)
    return cid


def heartbeat(now: dt.datetime | None = None) -> list[Client]:
    """Refresh this client's row and return the other live clients.

    Quiet by design: a busy or failing database skips the beat and returns what was seen
    last time (a stale beat only makes others think we left a little early).
    """
    now = now or utcnow()
    cid = client_id()
    if cid is None:
        return []
    try:
        with write():
            rows = (Presence.update(heartbeat_at=now)
                    .where(Presence.client_id == cid).execute())
            if rows == 0:  # pruned while asleep, or the file was restored: come back
                actor = _state.get("actor")
                Presence.insert(client_id=cid, username=getattr(actor, "username", ""),
                                host=_host(), started_at=now, heartbeat_at=now).execute()
        return _refresh_cache(now)
    except (errors.DatabaseBusy, errors.StorageFailure, ReadOnlyMode):
        return []
    except errors.DRIVER_ERRORS as exc:  # the read after it, while the file is locked
        if errors.classify(exc) in ("busy", "storage"):
            return []
        raise


def leave(cid: str | None = None) -> None:
    """Remove this client's row, or the row ``cid`` that a window joined with (best effort:
    a stale row expires by itself). After a sign-out the next user's window has joined
    already; the old window leaves with its own id and does not take the new one's row."""
    current = client_id()
    cid = cid or current
    if cid is None:
        return
    if cid == current:
        _state["client_id"] = None
        _state["others"] = []
    try:
        with write():
            Presence.delete().where(Presence.client_id == cid).execute()
    except (errors.DatabaseBusy, errors.StorageFailure, ReadOnlyMode):
        pass


def others(now: dt.datetime | None = None) -> list[Client]:
    """The other clients whose heartbeat is fresh, oldest first."""
    now = now or utcnow()
    query = (Presence.select()
             .where(Presence.heartbeat_at >= now - STALE_AFTER)
             .order_by(Presence.started_at))
    mine = client_id()
    if mine is not None:
        query = query.where(Presence.client_id != mine)
    return [Client(p.client_id, p.username, p.host, p.started_at, p.heartbeat_at)
            for p in query]


def _refresh_cache(now: dt.datetime) -> list[Client]:
    live = others(now)
    _state["others"] = sorted({c.username for c in live if c.username})
    return live


def _host() -> str:
    try:
        return socket.gethostname()[:64]
    except OSError:
        return ""
