"""PostgreSQL bench beside the SQLite figures: one school at real size on a server.

    python bench/bench_postgresql.py [--url ADMIN_URL] [--runs 7] [--writers 8] [--seconds 8]
                                     [--no-sqlite]

The demo school of the other benches (2,000 students, 10 years) is built once in a database
``pestdesk_bench`` on the server (``--url``: an admin URL such as
``postgresql://postgres@/postgres?host=/tmp/x&port=5432``; without it a throw-away cluster is
started with scripts/pg-cluster and removed afterwards) and, unless ``--no-sqlite``, the same
numbers are taken on the SQLite demo file (bench/_common.DEMO_DB) for comparison.

Measured, through the services (what a screen calls): the student and case lists (count +
first 200 rows), a case (``open_case``, ``case_detail``, ``assess``, the first timeline
page, the agreements), the figures of 10 years for the coordinator, and N processes saving
at once (a versioned save and a timeline entry per transaction; p95 of the latency).
Targets: lists <= 50 ms, a case <= 100 ms, figures (one school, 10 years) <= 1 s, 8
concurrent writers p95 <= 100 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from _common import DEMO_DB, ensure_demo, median_ms  # noqa: E402

BENCH_DB = "pestdesk_bench"


def ensure_server_demo(admin_url: str) -> str:
    import psycopg

    url = urlsplit(admin_url)._replace(path="/" + BENCH_DB).geturl()
    with psycopg.connect(admin_url, autocommit=True) as con:
        exists = con.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                             (BENCH_DB,)).fetchone()
        if not exists:
            con.execute(f'CREATE DATABASE "{BENCH_DB}"')
    if not exists:
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pestdesk", "demo", "--db", url,
                        "--students", "2000", "--years", "10"], check=True)
        print(f"server demo 2000 students / 10 years built in {time.perf_counter() - t:.1f} s")
    return url


def measure(target, runs: int) -> dict[str, float]:
    from peewee import fn

    from pestdesk import clock
    from pestdesk.services import accounts, cases
    from pestdesk.services import figures as F
    from pestdesk.services.lists import CaseList, StudentList
    from pestdesk.store.db import open_database
    from pestdesk.store.models import Case, Event, database

    open_database(target)
    out: dict[str, float] = {}
    zorg = accounts.demo_actor("zorg")
    for label, query in [
        ("students, no filter", StudentList(actor=zorg)),
        ("students, typed 'de v'", StudentList(actor=zorg, filters={"text": "de v"})),
        ("cases, open", CaseList(actor=zorg, filters={"status": "open"})),
        ("cases, all, newest first", CaseList(actor=zorg, order_key="reported_on",
                                              descending=True)),
        ("cases, search 'groepsapp'", CaseList(actor=zorg, filters={"text": "groepsapp"})),
        ("cases, search student 'de vr'", CaseList(actor=zorg, filters={"text": "de vr"})),
        ("cases, cyber + overdue", CaseList(actor=zorg, filters={"cyber": True, "overdue": True})),
    ]:
        out[f"list: {label}"] = median_ms(lambda q=query: (q.count(), q.page(0, 200)), runs,
                                          warm_up=True)
    busiest = (Event.select(Event.case, fn.COUNT(Event.id).alias("n")).group_by(Event.case)
               .order_by(fn.COUNT(Event.id).desc()).limit(1).tuples().first())
    case_id = busiest[0]
    entries = busiest[1]
    today = clock.today()

    def open_a_case():
        cases.open_case(zorg, case_id)
        cases.case_detail(case_id, actor=zorg)
        cases.assess(case_id, today, actor=zorg)
        q = cases.timeline_query(case_id, None, "", actor=zorg)
        cases.readable_events(q.limit(100).dicts())
        list(cases.case_agreements(case_id, actor=zorg))

    out["a case: open, detail, assess, timeline page"] = median_ms(open_a_case, runs,
                                                                 warm_up=True)
    out["  (its timeline entries)"] = entries
    ten = F.Period(dt.date(today.year - 10, 8, 1), today)
    out["figures, 10 years (coordinator)"] = median_ms(
        lambda: F.compute_figures(zorg, ten), max(3, runs // 2), warm_up=True)
    out["cases in the database"] = Case.select().count()
    out["round trip, SELECT 1 (median)"] = median_ms(lambda: database.obj.execute_sql(
        "SELECT 1").fetchone(), 50)
    database.close()
    return out


def writers(target, procs: int, seconds: float) -> dict[str, float]:
    from pestdesk.store.db import create_database, open_database
    from tests.helpers import workers

    if isinstance(target, Path):
        folder = Path(tempfile.mkdtemp(prefix="pestdesk-bench-"))
        target = folder / "writers.pestdesk"
        create_database(target).close()
    else:
        open_database(target).close()
    ctx = multiprocessing.get_context("forkserver")
    queue = ctx.Queue()
    children = [ctx.Process(target=workers.contention,
                            args=(str(target), seconds, f"w{i}-{time.time_ns()}", False, queue))
                for i in range(procs)]
    for child in children:
        child.start()
    results = [queue.get(timeout=seconds + 120) for _ in children]
    for child in children:
        child.join()
    latencies = sorted(x for _name, lat, _busy in results for x in lat)
    busy = sum(b for _n, _l, b in results)
    return {
        "saves per second": len(latencies) / seconds,
        "median ms": statistics.median(latencies) * 1000,
        "p95 ms": latencies[int(0.95 * (len(latencies) - 1))] * 1000,
        "max ms": latencies[-1] * 1000,
        "busy (gave up)": busy,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="an admin URL of a PostgreSQL server")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--sqlite", type=Path, default=DEMO_DB,
                        help="the SQLite demo file to compare with (built when missing)")
    args = parser.parse_args()
    multiprocessing.set_forkserver_preload(["pestdesk.services.base", "tests.helpers.workers"])
    cluster = None
    if not args.url:
        cluster = tempfile.mkdtemp(prefix="pestdesk-bench-pg-")
        args.url = subprocess.run(["bash", str(HERE.parent / "scripts" / "pg-cluster"),
                                   "start", cluster], check=True, capture_output=True,
                                  text=True).stdout.strip()
    try:
        server_url = ensure_server_demo(args.url)
        targets = [("PostgreSQL", server_url)]
        if not args.no_sqlite:
            ensure_demo(args.sqlite)
            targets.insert(0, ("SQLite", args.sqlite))
        results = {name: measure(target, args.runs) for name, target in targets}
        for name, target in targets:
            results[name].update({f"{args.writers} writers, {k}": v for k, v in
                                  writers(target, args.writers, args.seconds).items()})
    finally:
        if cluster:
            subprocess.run(["bash", str(HERE.parent / "scripts" / "pg-cluster"), "stop",
                            cluster], check=False)
            subprocess.run(["rm", "-rf", cluster], check=False)
    names = [name for name, _t in targets]
    print(f"{'':<46}" + "".join(f"{n:>14}" for n in names))
    for key in results[names[-1]]:
        print(f"{key:<46}" + "".join(f"{results[n].get(key, float('nan')):>14.1f}"
                                     for n in names))
    print("targets: lists <= 50 ms, a case <= 100 ms, figures <= 1000 ms, "
          "8 writers p95 <= 100 ms")
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
