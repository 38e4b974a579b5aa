"""Benchmark the preparation pack of a care meeting and signing in.

    .venv/bin/python bench/bench_casework.py [--runs 5]

Builds a small demo school in a temporary folder, plans an OT meeting with ten cases on the
agenda and times the pack PDF (target < 2 s, off the GUI thread in the app), then times a
sign-in with the Argon2id parameters in use (target < 1 s). Medians; nothing here is a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from _common import median_ms  # noqa: E402

from pestdesk import clock  # noqa: E402
from pestdesk.services.demo import DEMO_PASSWORD  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from pestdesk.services import accounts, meetings
    from pestdesk.services.base import SYSTEM, write
    from pestdesk.services.demo import generate_demo
    from pestdesk.store import models as m
    from pestdesk.store.db import create_database

    with tempfile.TemporaryDirectory() as folder:
        db = create_database(Path(folder) / "bench.sqlite")
        today = clock.today()
        generate_demo(students=300, years=1, seed=3, today=today)
        meeting = meetings.plan_meeting(
            SYSTEM, kind="OT", starts_at=dt.datetime.combine(today, dt.time(9, 30)))
        open_cases = m.Case.select(m.Case.id).where(m.Case.status == "open").limit(10)
        for case in open_cases:
            meetings.add_item(SYSTEM, meeting.id, case.id, "Hoe verder?")
        pack = median_ms(lambda: meetings.build_pack(meeting.id, actor=SYSTEM), args.runs)
        print(f"preparation pack, 10 cases : {pack:7.1f} ms (target < 2000 ms)")
        sign_in = median_ms(lambda: accounts.sign_in("zorg", DEMO_PASSWORD), args.runs)
        print(f"sign-in (Argon2id)         : {sign_in:7.1f} ms (target < 1000 ms)")

        # OWASP: a wrong password for a known name and any password for an unknown name cost
        # the same (each try starts with a clean throttle, as the first try of a day would)
        def refused(name: str) -> None:
            try:
                accounts.sign_in(name, "a wrong password")
            except accounts.ServiceError:
                pass
            with write():
                m.SignInThrottle.delete().execute()

        wrong = median_ms(lambda: refused("zorg"), args.runs)
        unknown = median_ms(lambda: refused("niemand-bekend"), args.runs)
        print(f"wrong password, known name : {wrong:7.1f} ms")
        print(f"any password, unknown name : {unknown:7.1f} ms (should match the line above)")
        db.close()


if __name__ == "__main__":
    main()
