"""What an unexpected error in the GUI leaves behind: where it happened, never what it held.

Python's default hook prints the exception message and PySide prints tracebacks of slots to
stderr; a ``KeyError`` or ``ValueError`` message often quotes the data being processed — a
student's name. This hook writes the exception type and the code locations only (file, line,
function), and tells the user in one translated line that nothing more was saved.
"""

from __future__ import annotations

import sys
import traceback
from types import TracebackType

from pestdesk.i18n import _


def describe(exc_type: type[BaseException], tb: TracebackType | None) -> str:
    """Type and stack of an error, without its message or any local values."""
    frames = traceback.extract_tb(tb)
    where = [f"  {f.filename}:{f.lineno} in {f.name}" for f in frames]
    return "\n".join([f"pestdesk: unexpected internal error ({exc_type.__name__})", *where])


def excepthook(exc_type: type[BaseException], exc: BaseException,
               tb: TracebackType | None) -> None:
    print(describe(exc_type, tb), file=sys.stderr)
    try:
        from PySide6.QtWidgets import QApplication, QMessageBox

        if QApplication.instance() is not None:
            QMessageBox.critical(None, "pestdesk", _(
                "Unexpected internal error ({kind}); what was saved before is safe. If it "
                "happens again, tell the administrator.").format(kind=exc_type.__name__))
    except Exception:  # noqa: BLE001 - never fail while reporting a failure
        pass


def install() -> None:
    """Use the privacy-safe hook for uncaught errors (also those raised in Qt slots)."""
    sys.excepthook = excepthook
