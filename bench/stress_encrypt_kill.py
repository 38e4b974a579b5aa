"""SIGKILL stress run of ``pestdesk encrypt`` (issue 13: "50 SIGKILLs during encrypt leave a
usable database each time"); the test suite keeps its 20 kills on a small school.

    .venv/bin/python bench/stress_encrypt_kill.py [--kills 50] [--db PATH] [--seed 50]
                                                  [--late 0.5]

Each round copies the plain 10-year bench demo (``bench/run.py`` builds it once), starts a
real ``pestdesk encrypt`` process on the copy and SIGKILLs it at a random moment of a whole
run (timed once beforehand, process start to exit). Uniform moments mostly land in the long
copy before the swap, so a ``--late`` share of the rounds waits instead until the run has
written its pending anchor (the copy is finished and verified; the pending key file, the
swap and the key file's move follow) and kills 0-60 ms later. Then, after
``encryption.settle`` as every open does, the file must be usable: plain, or encrypted and
opened with the beheerder's password; every student there; ``pestdesk check`` healthy
(integrity, audit chain and its anchor); no plain copy or pending key file left beside it.
Prints one line per round and a summary; exits 1 when any round failed. Not a test.

Measured 2026-12-03 on a fresh 86 MB demo (5,600 students), shared 2-core machine: a whole
run 16.7 s; all 50 kills at uniform moments (as ``--late 0``): 50 usable, 49 plain and 1
encrypted, 0 not usable, 13 min. The first runs found the copy's hot journal, and the
``--late`` rounds the pending key file's temp file, left beside the database; ``settle``
now removes both. Then, with the default ``--late 0.5`` (a whole run 14.3 s): 50 usable,
0 not usable; 22 plain and 28 encrypted (the 27 late rounds: 23 encrypted, 4 plain; the 23
uniform ones: 18 plain, 5 encrypted), 11 min.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from _common import DEMO_DB, ensure_demo  # noqa: E402
from bench_encryption import close_all, plain_copy  # noqa: E402

ADMIN = "beheer"
#: what may lie beside the database after a round: its key file and anchor, and SQLite's
#: own files (a journal is SQLite's business; -wal/-shm come from opening it to check)
EXPECTED = {"", ".keys", ".audit-anchor", "-journal", "-wal", "-shm"}


def start(path: Path, password: str) -> subprocess.Popen:
    env = dict(os.environ, PESTDESK_USER=ADMIN, PESTDESK_PASSWORD=password)
    return subprocess.Popen([sys.executable, "-m", "pestdesk", "encrypt", "--db", str(path)],
                            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def verdict(path: Path, password: str, students: int) -> tuple[str, str]:
    """("plain" | "encrypted", "" when usable, else what is wrong)."""
    from pestdesk.services import encryption
    from pestdesk.services.health import check_database
    from pestdesk.store.db import is_encrypted, open_database
    from pestdesk.store.models import Student, database

    try:
        encryption.settle(path)
        kind = "encrypted" if is_encrypted(path) else "plain"
        if kind == "encrypted":
            encryption.sign_in(path, ADMIN, password)
        else:
            open_database(path, verify=False)
        found = Student.select().count()
        database.close()  # the key stays held for check
        if found != students:
            return kind, f"{found} students instead of {students}"
        report = check_database(path)
        if not report.healthy:
            return kind, "check: " + " | ".join(report.lines()[-3:])
        left = sorted(p.name[len(path.name):] for p in path.parent.iterdir()
                      if p.name.startswith(path.name))
        extra = [s for s in left if s not in EXPECTED]
        if extra:
            return kind, f"left beside the database: {extra}"
        return kind, ""
    except Exception as exc:  # noqa: BLE001 - reported as a failed round
        return "?", f"{type(exc).__name__}: {exc}"
    finally:
        close_all()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--db", type=Path, default=DEMO_DB)
    parser.add_argument("--seed", type=int, default=50)
    parser.add_argument("--late", type=float, default=0.5, help="share of rounds killed "
                        "0-60 ms after the copy is done, around the swap")
    args = parser.parse_args()
    ensure_demo(args.db)

    from pestdesk import i18n
    from pestdesk.services import accounts
    from pestdesk.store.db import open_database
    from pestdesk.store.models import Student

    i18n.set_language("nl")
    password = accounts.DEMO_PASSWORD
    work = Path(tempfile.mkdtemp(prefix="pestdesk-stress-enc-"))
    try:
        source = work / "source.sqlite"
        plain_copy(args.db, source)
        open_database(source, verify=False)
        students = Student.select().count()
        close_all()

        round_dir = work / "probe"
        round_dir.mkdir()
        probe = round_dir / "school.sqlite"
        plain_copy(source, probe)
        t = time.monotonic()
        proc = start(probe, password)
        _out, err = proc.communicate(timeout=900)
        duration = time.monotonic() - t
        if proc.returncode != 0:
            print(err.decode(errors="replace"))
            return 1
        kind, problem = verdict(probe, password, students)
        print(f"whole run of pestdesk encrypt on {source.stat().st_size / 1e6:.0f} MB "
              f"({students} students): {duration:.1f} s, afterwards {kind}"
              f"{', ' + problem if problem else ', usable'}")
        rng = random.Random(args.seed)
        counts = {"plain": 0, "encrypted": 0}
        failed = 0
        for round_ in range(args.kills):
            shutil.rmtree(round_dir)
            round_dir.mkdir()
            path = round_dir / "school.sqlite"
            plain_copy(source, path)
            late = rng.random() < args.late
            delay = rng.random() * (0.06 if late else duration)
            proc = start(path, password)
            t = time.monotonic()
            if late:  # the moment the copy is done: the pending files, then the swap
                marker = path.with_name(path.name + ".audit-anchor.pending")
                while not marker.exists() and proc.poll() is None:
                    time.sleep(0.002)
            time.sleep(delay)
            delay = time.monotonic() - t
            proc.send_signal(signal.SIGKILL)
            proc.wait(60)
            kind, problem = verdict(path, password, students)
            counts[kind] = counts.get(kind, 0) + 1
            failed += bool(problem)
            print(f"round {round_ + 1:2}: killed after {delay:5.2f} s{' (late)' if late else ''}"
                  f" -> {kind:9} "
                  f"{'NOT USABLE: ' + problem if problem else 'usable'}", flush=True)
        print(f"{args.kills} SIGKILLs during pestdesk encrypt: {args.kills - failed} usable "
              f"({counts.get('plain', 0)} plain, {counts.get('encrypted', 0)} encrypted), "
              f"{failed} not usable")
        return 1 if failed else 0
    finally:
        close_all()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
