"""Writing tables to CSV and XLSX files that a spreadsheet cannot turn against the reader.

A cell that starts with ``=``, ``+``, ``-``, ``@`` (or a tab, carriage return or line feed,
or their full-width forms) is read by Excel and LibreOffice as a formula: a student name
typed as ``=HYPERLINK(...)`` would run when the care coordinator opens the export. Such text
gets a leading apostrophe, which spreadsheets show as plain text. Numbers and dates stay
numbers and dates.

Files are written to a temporary name in the target folder and renamed when complete, so
an interrupted export leaves no half file and nothing lands in the system's temp folder.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from ..i18n import _
from .base import Actor, ServiceError, audit, write

DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
Cell = str | int | float | dt.date | dt.datetime | bool | None


def neutralise(value: Cell) -> Cell:
    """Text that a spreadsheet would run as a formula, made inert; other values unchanged."""
    if isinstance(value, str) and value.lstrip(" ").startswith(DANGEROUS_START):
        return "'" + value
    return value


def _csv_text(value: Cell) -> str:
    value = neutralise(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


@contextlib.contextmanager
def _atomic_target(path: Path) -> Iterator[Path]:
    path = Path(path)
    if not path.parent.is_dir():
        raise ServiceError(_("The folder {path} does not exist.").format(path=path.parent))
    tmp = path.with_name(f".{path.name}.partial")
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as exc:
        raise ServiceError(_("Could not write {path}: {reason}").format(
            path=path, reason=exc.strerror or type(exc).__name__)) from exc
    finally:
        tmp.unlink(missing_ok=True)


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Cell]],
              delimiter: str = ";") -> int:
    """CSV with a BOM and ``;`` (what Dutch Excel expects); returns the number of rows."""
    count = 0
    with _atomic_target(path) as tmp:
        with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL)
            writer.writerow([_csv_text(h) for h in header])
            for row in rows:
                writer.writerow([_csv_text(v) for v in row])
                count += 1
    return count


def write_xlsx(path: Path, header: Sequence[str], rows: Iterable[Sequence[Cell]],
               sheet: str = "pestdesk") -> int:
    """An XLSX workbook (openpyxl, write-only); text cells are stored as text, never formulas."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet(sheet[:31])

    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def cells(values: Sequence[Cell]) -> list:
        out = []
        for value in values:
            value = neutralise(value)
            if isinstance(value, str):
                value = ILLEGAL_CHARACTERS_RE.sub("", value)
            cell = WriteOnlyCell(ws, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # never "f": openpyxl treats "=..." as a formula
            out.append(cell)
        return out

    ws.append(cells(list(header)))
    count = 0
    for row in rows:
        ws.append(cells(list(row)))
        count += 1
    with _atomic_target(path) as tmp:
        workbook.save(tmp)
    return count


def write_table(path: Path, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> int:
    """CSV or XLSX by the file's extension."""
    suffix = Path(path).suffix.lower()
    if suffix == ".xlsx":
        return write_xlsx(path, header, rows)
    if suffix in (".csv", ".txt"):
        return write_csv(path, header, rows)
    raise ServiceError(_("Export to .csv or .xlsx; {suffix} is not supported.").format(
        suffix=suffix or "?"))


def export_students(actor: Actor, path: Path) -> int:
    """The student list (number, name, class, left school): the students ``actor`` may see
    (``access.student_visibility``; the beheerder keeps the register and sees all). The file
    is plaintext: the export is audited."""
    from peewee import JOIN

    from ..store import models as m
    from . import access
    from .lists import full_name

    S, K = m.Student, m.SchoolClass
    query = (S.select(S.number, full_name(S), K.name, S.left_on)
             .join(K, on=(S.school_class == K.id), join_type=JOIN.LEFT_OUTER)
             .where(access.student_visibility(actor))
             .order_by(S.sort_name).tuples())
    header = [_("Student number"), _("Name"), _("Class"), _("Left school")]
    count = write_table(path, header, query.iterator())
    record_export(actor, "export", "student", None, f"list={Path(path).suffix.lower()}")
    return count


def record_export(actor: Actor, action: str, table: str, record_id: int | None = None,
                  detail: str = "") -> None:
    """An audit line for a file that leaves pestdesk (``action``: export or print): a saved
    file is plaintext, whatever the database, so who took what out is recorded. Services
    that write the file themselves audit it there; this is for bytes the screen saves."""
    with write():
        audit(actor, action, table, record_id, detail)
