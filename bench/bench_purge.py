"""Benchmark a retention purge on a copy of the 2,000-student, 10-year demo: the plan, the
scrubbing of every text that stays (name detector) and the deletion, without the VACUUM.

Run: ``.venv/bin/python bench/bench_purge.py [--db PATH]``. The demo itself is not touched:
the purge runs on a copy in the temp folder, removed afterwards.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import bench_arguments  # noqa: E402


def main() -> None:
    args = bench_arguments(runs=1)
    from pestdesk import clock
    from pestdesk.services import names, retention
    from pestdesk.services.base import SYSTEM, write
    from pestdesk.store.db import open_database

    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "purge.sqlite"
        shutil.copyfile(args.db, copy)
        db = open_database(copy, verify=False)
        today = clock.today()
        t = time.perf_counter()
        plan = retention.due_for_deletion(today)
        print(f"plan: {len(plan.student_ids)} students, {len(plan.case_ids)} cases, "
              f"{len(plan.waiting)} waiting   : {(time.perf_counter() - t) * 1000:7.0f} ms")
        t = time.perf_counter()
        names.school_index()
        print(f"build the school's name index          : "
              f"{(time.perf_counter() - t) * 1000:7.0f} ms")
        with write():
            t = time.perf_counter()
            scrubbed = retention._scrub(SYSTEM, plan)
            print(f"scrub every text that stays ({scrubbed} changed): "
                  f"{(time.perf_counter() - t) * 1000:7.0f} ms")
            t = time.perf_counter()
            retention._delete(plan)
            print(f"delete                                 : "
                  f"{(time.perf_counter() - t) * 1000:7.0f} ms")
        db.close()


if __name__ == "__main__":
    main()
