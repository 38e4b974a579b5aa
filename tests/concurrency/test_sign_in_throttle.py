"""The sign-in throttle holds across processes: parallel guesses are not all checked."""

from __future__ import annotations

import pytest

from tests.helpers import workers

PASSWORD = "het juiste wachtwoord"
PARALLEL = 16


@pytest.fixture
def school_file(tmp_path):
    from pestdesk.services import accounts
    from pestdesk.services.base import SYSTEM
    from pestdesk.store.db import create_database

    path = tmp_path / "school.pestdesk"
    db = create_database(path)
    accounts.create_user(SYSTEM, None, "beheer", PASSWORD)
    db.close()
    return path


@pytest.mark.parametrize("username", ["beheer", "niemand"])
def test_sixteen_parallel_wrong_passwords_are_not_all_checked(mp, school_file, username):
    from pestdesk.services import accounts
    from pestdesk.store.db import open_database

    ready, go, queue = mp.Semaphore(0), mp.Event(), mp.Queue()
    children = [mp.Process(target=workers.sign_in_attempt,
                           args=(str(school_file), username, "fout fout fout", ready, go,
                                 queue)) for _ in range(PARALLEL)]
    for child in children:
        child.start()
    for _child in children:
        assert ready.acquire(timeout=60)
    go.set()
    outcomes = [queue.get(timeout=120) for _ in children]
    for child in children:
        child.join(30)
    # each attempt is counted before its password is checked, in one write transaction:
    # only the free attempts are verified, the rest wait — for a known and an unknown name
    assert outcomes.count("checked") == accounts.FREE_ATTEMPTS, outcomes
    assert outcomes.count("throttled") == PARALLEL - accounts.FREE_ATTEMPTS
    db = open_database(school_file, verify=False)
    try:
        with pytest.raises(accounts.Throttled):  # the right password waits too
            accounts.sign_in(username, PASSWORD)
    finally:
        db.close()
