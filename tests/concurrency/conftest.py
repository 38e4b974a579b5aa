"""Real processes on one database file: a forkserver context and a fresh database."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import sys

import pytest

if sys.platform == "win32":  # pragma: no cover - SIGKILL, RLIMIT_FSIZE and fork are POSIX
    pytest.skip("multi-process tests need POSIX", allow_module_level=True)

PRELOAD = ["pestdesk.services.base", "pestdesk.services.presence", "tests.helpers.workers"]


@pytest.fixture(scope="session")
def mp():
    """Children fork from a clean, pre-imported server: fast, single-threaded, no open DB."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


@pytest.fixture(params=[False, True], ids=["local-wal", "network-settings"])
def network(request):
    return request.param


@pytest.fixture(params=[False, True], ids=["plain", "encrypted"])
def encrypted(request):
    return request.param


@pytest.fixture
def shared_db(tmp_path, network, encrypted):
    """A database file with one case; closed again so only the children hold it open.

    Encrypted (SQLCipher) or plain: the children find the key where a test leaves it
    (``workers.leave_key``), as a signed-in pestdesk holds it after its sign-in."""
    from pestdesk.services.base import SYSTEM, create, write
    from pestdesk.store.crypto import DatabaseKey
    from pestdesk.store.db import create_database, is_encrypted, open_database
    from pestdesk.store.models import Case
    from tests.helpers import workers

    path = tmp_path / "gedeeld.pestdesk"
    key = DatabaseKey.generate() if encrypted else None
    create_database(path, key=key).close()
    if key is not None:
        workers.leave_key(path, key)
    assert is_encrypted(path) == encrypted
    db = open_database(path, verify=False, network=network)
    with write():
        case = create(SYSTEM, Case, number="2026-0001", reported_on=dt.date(2026, 1, 5),
                      summary="0")
    db.close()
    return path, case.id, network
