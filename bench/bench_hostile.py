"""Hostile and broken import files through the real command line: time and peak memory each.

    .venv/bin/python bench/bench_hostile.py [--only NAME ...]

Every file of ``tests/helpers/hostile.py`` (10 million rows, zip bombs, billion laughs, XXE,
mixed encodings, ...) is generated in a temp folder and given to ``pestdesk import-students
--dry-run`` on an empty database, each in its own process; then each broken database state
of ``tests/helpers/db_states.py`` (not a database, damaged, newer schema, foreign files with
pestdesk's id) goes through ``check`` and ``import-students``. Reported per file: wall time, the
process's peak memory (``wait4`` rusage), the exit code, the number of output lines, and
whether the database kept its sha256. Target (issue 16): every file refused in < 5 s and
< 300 MB, with one line, and the database unchanged. The check uses the CPU time: on a busy
machine the wall time is longer by however much the other processes take.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

LIMIT_S, LIMIT_MB = 5.0, 300


# the command in-process, its own peak memory (VmHWM, kB) written to a file at exit; rusage
# would count the pages a forked child shared with this process before exec
CHILD = """
import sys, time
from pestdesk.cli import main
try:
    code = main(sys.argv[2:])
finally:
    with open("/proc/self/status") as status, open(sys.argv[1], "w") as fh:
        peak = next(line for line in status if line.startswith("VmHWM")).split()[1]
        fh.write(f"{peak} {time.process_time()}")
sys.exit(code)
"""


def run_cli(args: list[str], peak_file: Path) -> tuple[float, float, int, int, str]:
    """Wall time, CPU time (what the wall time is on an idle machine), peak MB, exit, output."""
    env = dict(os.environ, PESTDESK_LANG="nl", QT_QPA_PLATFORM="offscreen")
    peak_file.unlink(missing_ok=True)
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", CHILD, str(peak_file), *args], env=env,
                          capture_output=True, text=True)
    took = time.perf_counter() - started
    peak, cpu = peak_file.read_text().split() if peak_file.exists() else ("-1024", "-1")
    return took, float(cpu), int(peak) // 1024, proc.returncode, proc.stdout + proc.stderr


def main() -> int:
    from tests.helpers import hostile

    parser = argparse.ArgumentParser()
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="pestdesk-hostile-"))
    db = folder / "school.sqlite"
    subprocess.run([sys.executable, "-m", "pestdesk", "init", "--db", str(db), "--no-encryption"],
                   check=True,
                   capture_output=True)
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    bad = 0
    print(f"{'file':32} {'on disk':>9} {'wall s':>7} {'cpu s':>6} {'peak MB':>8} exit lines db"
          "  answer")
    makers = {name: maker for name, (maker, _fragment) in hostile.FILES.items()}
    for name, maker in {**makers, **hostile.HEAVY}.items():
        if args.only and name not in args.only:
            continue
        path = maker(folder)
        size = path.stat().st_size
        took, cpu, peak, code, out = run_cli(["import-students", str(path), "--db", str(db),
                                         "--dry-run"], folder / "peak")
        lines = out.strip().splitlines()
        same = hashlib.sha256(db.read_bytes()).hexdigest() == before
        ok = (cpu < LIMIT_S and peak < LIMIT_MB and code != 0 and same
              and (len(lines) == 1 or name in hostile.HEAVY) and "Traceback" not in out)
        bad += not ok
        answer = lines[-1] if lines else ""
        print(f"{name:32} {size / 1024:8.0f}K {took:7.2f} {cpu:6.2f} {peak:8d} {code:4d} "
              f"{len(lines):5d} {'=' if same else 'CHANGED'}  {'' if ok else '!! '}{answer}"
              [:220])
        path.unlink()
    bad += database_states(folder, db, hostile.FILES["csv-mixed-encoding"][0](folder),
                           args.only)
    print(f"{bad} case(s) outside the target" if bad else "all cases within the target")
    return 1 if bad else 0


def database_states(folder: Path, healthy: Path, export: Path, only) -> int:
    """Each broken database state (tests/helpers/db_states.py) through check and an import."""
    import shutil

    from tests.helpers import db_states

    bad = 0
    for name, (make, _fragment) in db_states.FILE_STATES.items():
        if only and name not in only:
            continue
        for command in (["check", "--db"], ["import-students", str(export), "--db"]):
            target = folder / f"{name}.sqlite"
            shutil.copy(healthy, target)
            make(target)
            before = hashlib.sha256(target.read_bytes()).hexdigest()
            took, cpu, peak, code, out = run_cli([*command, str(target)], folder / "peak")
            lines = out.strip().splitlines()
            same = hashlib.sha256(target.read_bytes()).hexdigest() == before
            ok = (cpu < LIMIT_S and peak < LIMIT_MB and code != 0 and same
                  and len(lines) == 1 and "Traceback" not in out)
            bad += not ok
            label = f"db {name} / {command[0]}"
            answer = lines[-1] if lines else ""
            print(f"{label:42} {took:7.2f} {cpu:6.2f} {peak:8d} {code:4d} {len(lines):5d} "
                  f"{'=' if same else 'CHANGED'}  {'' if ok else '!! '}{answer}"[:220])
            target.unlink()
    return bad


if __name__ == "__main__":
    sys.exit(main())
