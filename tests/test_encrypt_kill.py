"""`pestdesk encrypt` killed at any moment leaves a usable database: the plain one or the
encrypted one with its key file (run as a real process, SIGKILLed at random moments)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest

from pestdesk.services import accounts, encryption, settings
from pestdesk.store.db import create_database, is_encrypted, open_database
from pestdesk.store.models import Staff, database

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
KILLS = 20
USER, PASSWORD = "beheer", "Lange-Zomer-Vakantie-2026"


def _plain_school(path):
    create_database(path)
    accounts.set_up(settings.SchoolProfile(name="Testschool"), "Bea", "Heer", "BH", USER,
                    PASSWORD)
    database.close()


def _encrypt(path):
    env = dict(os.environ, PESTDESK_USER=USER, PESTDESK_PASSWORD=PASSWORD,
               QT_QPA_PLATFORM="offscreen")
    return subprocess.Popen([sys.executable, "-m", "pestdesk", "encrypt", "--db", str(path)],
                            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def _usable(path) -> bool:
    """Opens (after settling) as plain or with the beheerder's password; one staff row."""
    encryption.settle(path)
    if is_encrypted(path):
        encryption.unlock(path, USER, PASSWORD)
    else:
        open_database(path)
    try:
        return Staff.select().count() == 1
    finally:
        database.close()
        encryption.forget_all()


def test_encrypt_killed_at_random_moments_leaves_a_usable_database(tmp_path):
    probe = tmp_path / "probe.pestdesk"
    _plain_school(probe)
    start = time.monotonic()
    proc = _encrypt(probe)
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()
    duration = time.monotonic() - start  # a whole run, start-up included
    rng = random.Random(13)
    seen = set()
    for round_ in range(KILLS):
        path = tmp_path / f"school{round_}.pestdesk"
        _plain_school(path)
        proc = _encrypt(path)
        time.sleep(rng.random() * duration)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        assert _usable(path), f"round {round_}"
        seen.add(is_encrypted(path))
    assert _usable(probe) and is_encrypted(probe)
    assert not list(tmp_path.glob("*.encrypting*")) and not list(tmp_path.glob("*.pending"))


def test_settle_removes_the_unfinished_copy_with_its_journal(tmp_path):
    """A kill during the copy leaves it with a hot journal: both go, or SQLite would play
    that journal back into the next run's copy of the same name. A kill while the pending
    key file is written leaves its temp file: it goes too."""
    path = tmp_path / "school.pestdesk"
    _plain_school(path)
    before = path.read_bytes()
    for suffix in (".encrypting", ".encrypting-journal"):
        (tmp_path / (path.name + suffix)).write_bytes(b"\0" * 4096)
    encryption.settle(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name,
                                                         path.name + ".audit-anchor"]
    assert path.read_bytes() == before
    (tmp_path / (path.name + ".encrypting-journal")).write_bytes(b"\0" * 4096)  # alone
    encryption.settle(path)
    assert not (tmp_path / (path.name + ".encrypting-journal")).exists()
    # killed while the pending key file was being written: its temp file goes too
    (tmp_path / (path.name + ".keys.pending.x1y2z3.tmp")).write_text("{")
    encryption.settle(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name,
                                                         path.name + ".audit-anchor"]
