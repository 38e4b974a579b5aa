"""Benchmark the protocol engine and a ladder move on the 10-year demo school.

    .venv/bin/python bench/bench_ladder.py [--runs 7] [--db PATH]

Works on a copy of the shared 2,000-student / 10-year demo (built once, see _common.py).
Times, as medians:
- the engine alone (``engine.evaluate``) per case, over 200 cases of the demo
  (target < 5 ms per case);
- reading a case's history and evaluating it (``cases.assess``);
- a move through the one ladder path (``cases.escalate`` / ``cases.deescalate``: the
  engine's gate, the event, the stored stage, one transaction) on an open demo case
  (target < 50 ms).
Nothing here is a test.
"""

from __future__ import annotations

import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from _common import bench_arguments, median_ms  # noqa: E402

from pestdesk.services.base import SYSTEM  # noqa: E402


def copy_database(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def main() -> None:
    args = bench_arguments(runs=7)
    work = Path(tempfile.mkdtemp()) / "ladder.sqlite"
    copy_database(args.db, work)

    from pestdesk import clock, i18n
    from pestdesk.domain.engine import evaluate
    from pestdesk.services import accounts, cases
    from pestdesk.store.db import open_database
    from pestdesk.store.models import Case, Involvement

    i18n.set_language("nl")
    open_database(work)
    today = clock.today()
    ids = [c.id for c in Case.select(Case.id).where(Case.is_signal == False)  # noqa: E712
           .order_by(Case.id.desc()).limit(200)]
    loaded = [(cases.protocol_for(i), cases.history_for(i, actor=SYSTEM)) for i in ids]
    per_case = []
    for protocol, history in loaded:
        evaluate(protocol, history, today)
        t = time.perf_counter()
        for _ in range(args.runs):
            evaluate(protocol, history, today)
        per_case.append((time.perf_counter() - t) * 1000 / args.runs)
    print(f"engine.evaluate over {len(ids)} demo cases: median {statistics.median(per_case):.2f}"
          f" ms, slowest {max(per_case):.2f} ms per case (target < 5 ms)")
    print(f"cases.assess (history from the database + engine): "
          f"{median_ms(lambda: cases.assess(ids[0], actor=SYSTEM), args.runs, warm_up=True):.1f}"
          " ms")

    actor = accounts.demo_actor("zorg")
    case = (Case.select().join(Involvement, on=(Involvement.case == Case.id))
            .where((Case.status == "open") & (Case.is_signal == False)  # noqa: E712
                   & (Involvement.role == "pester") & (Involvement.stage_code != ""))
            .order_by(Case.reported_on.desc()).first())
    inv = Involvement.get((Involvement.case == case.id) & (Involvement.role == "pester"))
    pester = cases.assess(case.id, actor=SYSTEM).pester(inv.student_id)
    up = not pester.is_last_stage

    def move() -> None:
        nonlocal up
        fn = cases.escalate if up else cases.deescalate
        fn(actor, case.id, inv.student_id, reason="bench: a move through the one path")
        up = not up

    print(f"a ladder move (gate + event + stored stage, one transaction) on case "
          f"{case.number}: {median_ms(move, args.runs * 2):.1f} ms (target < 50 ms)")


if __name__ == "__main__":
    main()
