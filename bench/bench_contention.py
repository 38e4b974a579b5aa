"""Contention bench: N processes saving to one database file continuously.

    /work/venv/bin/python bench/bench_contention.py [--procs 5] [--seconds 8]

Each process repeatedly runs one write transaction (re-read its own case, a versioned save,
a new timeline entry) through ``services.base.write`` and records how long the save took,
waiting included. Reported per storage mode (local WAL; the network-safe rollback journal
with synchronous=FULL): saves per second, median, 95th percentile and worst latency, and how
many saves gave up with DatabaseBusy. Target: p95 below one second.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def run(mode_network: bool, procs: int, seconds: float, folder: Path) -> dict:
    from pestdesk.store.db import create_database
    from tests.concurrency import workers

    path = folder / ("network.pestdesk" if mode_network else "local.pestdesk")
    create_database(path).close()
    ctx = multiprocessing.get_context("forkserver")
    queue = ctx.Queue()
    children = [ctx.Process(target=workers.contention,
                            args=(str(path), seconds, f"p{i}", mode_network, queue))
                for i in range(procs)]
    for child in children:
        child.start()
    results = [queue.get(timeout=seconds + 60) for _ in children]
    for child in children:
        child.join()
    latencies = sorted(x for _name, lat, _busy in results for x in lat)
    busy = sum(b for _n, _l, b in results)
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan")
    return {
        "mode": "network-safe (rollback, FULL)" if mode_network else "local (WAL)",
        "saves": len(latencies), "per_s": len(latencies) / seconds,
        "median_ms": statistics.median(latencies) * 1000 if latencies else float("nan"),
        "p95_ms": p95 * 1000, "max_ms": latencies[-1] * 1000 if latencies else float("nan"),
        "busy": busy,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--procs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    multiprocessing.set_forkserver_preload(["pestdesk.services.base", "tests.helpers.workers"])
    print(f"{args.procs} processes saving for {args.seconds:.0f} s each mode")
    with tempfile.TemporaryDirectory(prefix="pestdesk-bench-") as tmp:
        for network in (False, True):
            r = run(network, args.procs, args.seconds, Path(tmp))
            verdict = "OK" if r["p95_ms"] < 1000 and r["busy"] == 0 else "ABOVE TARGET"
            print(f"{r['mode']:32s} saves {r['saves']:6d} ({r['per_s']:6.0f}/s)  "
                  f"median {r['median_ms']:6.1f} ms  p95 {r['p95_ms']:6.1f} ms  "
                  f"max {r['max_ms']:7.1f} ms  busy {r['busy']}  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
