"""Reading an export file from the student information system into rows of text.

Magister and SOMtoday exports arrive as CSV (UTF-8 with or without BOM, or Windows-1252 when
someone saved them from Excel; ``;``, ``,`` or tab separated) or as XLSX. Every value comes
out as text: a student number ``004512`` stays ``004512``; a number an XLSX stored as a
number keeps no ``.0``. Nothing here raises for a bad file: problems are collected in
``Table.problems``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ..i18n import _
from .problems import ImportProblem

DELIMITERS = ";,\t"
SAMPLE_SIZE = 64 * 1024
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # old binary .xls


@dataclass
class Table:
    """The header and data rows of a file, all text; ``row_numbers`` as a spreadsheet counts."""

    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    row_numbers: list[int] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems

    def records(self) -> list[tuple[int, dict[str, str]]]:
        """(row number, {header: value}) for every data row."""
        return [
            (number, dict(zip(self.headers, row, strict=False)))
            for number, row in zip(self.row_numbers, self.rows, strict=True)
        ]


def read_table(path: str | Path) -> Table:
    """Read a CSV or XLSX file; a file that cannot be read gives a table with problems."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError:
        return _refused(_("The file could not be opened; check that it exists and is closed "
                          "in Excel."))
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        return _refused(_("The file is empty."))
    if data.startswith(OLE_MAGIC):
        return _refused(_("This is an old Excel file (.xls); save it as .xlsx or CSV first."))
    if p.suffix.lower() in XLSX_SUFFIXES or data.startswith(ZIP_MAGIC):
        return read_xlsx(data)
    return read_csv_bytes(data)


def _refused(message: str) -> Table:
    return Table(problems=[ImportProblem(0, "", message)])


def decode_text(data: bytes) -> tuple[str, str] | None:
    """(text, encoding) for UTF-8 (BOM or not), UTF-16 with BOM or Windows-1252; else None."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            return None
    if b"\x00" in data:
        return None
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return text, encoding
    return None


def _looks_binary(text: str) -> bool:
    controls = sum(1 for ch in text[:SAMPLE_SIZE] if ord(ch) < 32 and ch not in "\r\n\t\f")
    return controls > 0


def sniff_delimiter(text: str) -> str:
    """The separator of a CSV text: csv.Sniffer on a sample, else the header line's count."""
    sample = text[:SAMPLE_SIZE]
    first_line = sample.splitlines()[0] if sample else ""
    try:
        found = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        found = ""
    if found and _split_count(first_line, found) > 1:
        return found
    counts = {d: _split_count(first_line, d) for d in DELIMITERS}
    best = max(counts, key=lambda d: (counts[d], d == ";"))
    return best if counts[best] > 1 else ";"


def _split_count(line: str, delimiter: str) -> int:
    try:
        return len(next(csv.reader([line], delimiter=delimiter)))
    except (csv.Error, StopIteration):
        return 0


def read_csv_bytes(data: bytes) -> Table:
    """Parse CSV bytes into a table, with problems for binary or ragged content."""
    decoded = decode_text(data)
    if decoded is None or _looks_binary(decoded[0]):
        return _refused(_("This is not a text (CSV) or Excel (.xlsx) file."))
    text, encoding = decoded
    delimiter = sniff_delimiter(text)
    table = Table(encoding=encoding, delimiter=delimiter)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"',
                        doublequote=True, skipinitialspace=False, strict=False)
    try:
        raw = list(reader)
    except csv.Error:
        return _refused(_("The file could not be read as CSV."))
    _fill(table, [[cell.strip() for cell in row] for row in raw], pad_short=False)
    return table


def read_xlsx(data: bytes) -> Table:
    """The first worksheet of an XLSX file, every cell as text."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError):
        return _refused(_("The Excel file could not be read; it may be damaged."))
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            return _refused(_("The file is empty."))
        raw = [[cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()
    table = Table(encoding="xlsx")
    _fill(table, raw, pad_short=True)
    return table


def cell_text(value: object) -> str:
    """A spreadsheet cell as the text a user sees: 4512.0 -> "4512", dates ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _fill(table: Table, raw: list[list[str]], *, pad_short: bool) -> None:
    """Split raw rows into header and data rows; blank rows are skipped, ragged rows flagged."""
    header_index = next((i for i, row in enumerate(raw) if any(row)), None)
    if header_index is None:
        table.problems.append(ImportProblem(0, "", _("The file is empty.")))
        return
    headers = list(raw[header_index])
    while headers and not headers[-1]:
        headers.pop()
    table.headers = headers
    width = len(headers)
    for index in range(header_index + 1, len(raw)):
        row = raw[index]
        if not any(row):
            continue
        number = index + 1
        extra = row[width:]
        if any(extra) or (len(row) < width and not pad_short):
            table.problems.append(ImportProblem(number, "", _(
                "This row has {found} fields where the header has {expected}; "
                "perhaps a value contains the separator without quotes."
            ).format(found=len(row), expected=width)))
            continue
        table.rows.append(list(row[:width]) + [""] * (width - len(row)))
        table.row_numbers.append(number)
    if not table.rows and not table.problems:
        table.problems.append(ImportProblem(0, "", _(
            "The file has a header row but no data rows.")))
