"""Another process holding a database file locked, as a colleague's long save would."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

HOLDER = """
import sqlite3, sys
con = sqlite3.connect(sys.argv[1], timeout=5, isolation_level=None)
con.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.read()  # until the test closes our stdin
con.execute("ROLLBACK")
con.close()
"""


@contextlib.contextmanager
def held_lock(path: Path) -> Iterator[subprocess.Popen]:
    """An EXCLUSIVE lock on ``path`` held by a separate Python process until the block ends."""
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "locked"
        yield proc
    finally:
        if not proc.stdin.closed:  # a test may let go earlier
            proc.stdin.close()
        proc.wait(10)
