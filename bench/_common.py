"""What the benchmarks share: the 2,000-student, 10-year demo school (built once, kept in the
temp folder), the ``--runs``/``--db`` arguments and the median of timed runs.

Each bench script puts the repository root on ``sys.path`` and imports this module from its
own folder (``from _common import ...``); nothing here is a test.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def _schema() -> int:
    from pestdesk.store.migrations import LATEST

    return LATEST


# named after the schema: a newer checkout builds its own instead of migrating the file an
# older checkout (another branch, another helper) still benches on
DEMO_DB = Path(tempfile.gettempdir()) / f"pestdesk-bench-2000x10-schema{_schema()}.sqlite"


def ensure_demo(path: Path) -> None:
    """Build the bench demo school at ``path`` unless it is there already."""
    if path.exists():
        return
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pestdesk", "demo", "--db", str(path),
                    "--students", "2000", "--years", "10"], check=True)
    print(f"demo 2000 students / 10 years built in {time.perf_counter() - t:.1f} s")


def bench_arguments(runs: int) -> argparse.Namespace:
    """``--runs`` (default ``runs``) and ``--db`` (the shared demo); the demo is built."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=runs)
    parser.add_argument("--db", type=Path, default=DEMO_DB)
    args = parser.parse_args()
    ensure_demo(args.db)
    return args


def median_ms(fn: Callable[[], object], runs: int, warm_up: bool = False) -> float:
    """The median time of ``runs`` calls of ``fn`` in milliseconds (after one untimed call
    with ``warm_up``)."""
    if warm_up:
        fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)
