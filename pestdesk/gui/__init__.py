"""gui layer of pestdesk (see docs/architecture.md section 2).

PySide6 6.12 on Python 3.11 gives up a reference to ``None`` it never took on every call of
a method that returns nothing (``processEvents()``, ``update()``, ...) and for every null
string it hands to a Python override. From Python 3.12 ``None`` is immortal and nothing
happens; on 3.11 ``None``'s count runs down until the process dies with "Fatal Python
error: none_dealloc" -- after a few thousand such calls, so within minutes of use. Until
the project runs on Python 3.12, importing the GUI makes ``None`` practically immortal the
way 3.12 does: its reference count is raised once by 2**40, more than any session can use.
"""

from __future__ import annotations

import sys

NONE_RESERVE = 1 << 40


def keep_none_alive() -> None:
    """Raise ``None``'s reference count once (Python < 3.12 only; see the docstring)."""
    if sys.version_info >= (3, 12) or getattr(keep_none_alive, "done", False):
        return
    import ctypes

    # ob_refcnt is the first field of every CPython object; id() is its address
    ctypes.c_ssize_t.from_address(id(None)).value += NONE_RESERVE
    keep_none_alive.done = True  # type: ignore[attr-defined]


keep_none_alive()
