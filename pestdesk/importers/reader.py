"""Reading an export file from the student information system into rows of text.

Magister and SOMtoday exports arrive as CSV (UTF-8 with or without BOM, UTF-16 with BOM, or
Windows-1252 when someone saved them from Excel; ``;``, ``,`` or tab separated) or as XLSX.
Every value comes out as text: a student number ``004512`` stays ``004512``; a number an XLSX
stored as a number keeps no ``.0``. Nothing here raises for a bad file: problems are
collected in ``Table.problems``.

Files come from outside and are read within bounds (``Limits``): the file size first; for an
XLSX the zip directory (number of parts, unpacked sizes, packing ratio) and then a streamed
scan of every XML part (entity declarations, a value longer than a cell may be, the number of
rows and cells of the sheet) before openpyxl parses a byte; then the rows are streamed
(openpyxl read-only mode) while counting rows, columns, cell length, total text and time.
A file beyond a bound is refused with one line that says which bound and where.

The character encoding is decided, never guessed silently: a byte-order mark decides; else
the file must be valid UTF-8, or valid Windows-1252 that reads as text (charset-normalizer's
mess measure). A file whose rows are partly UTF-8 and partly Windows-1252 is refused with
the first row that differs from the rest.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import time
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from zlib import error as zlib_error

from ..i18n import _, format_number
from .problems import ImportProblem

DELIMITERS = ";,\t"
SAMPLE_SIZE = 64 * 1024
SNIFF_LINES = 50
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # old binary .xls (or an encrypted .xlsx)
MB = 1024 * 1024
EXCEL_MAX_ROWS, EXCEL_MAX_COLUMNS = 1_048_576, 16_384
CHECK_EVERY = 1_000  # rows between two looks at the clock


@dataclass(frozen=True)
class Limits:
    """What an import reads at most. A school's export is far below every one of them (2,000
    students x 60 columns is 120,000 cells); they exist so that a hostile or broken file is
    refused in seconds and within a few hundred MB (bench/bench_hostile.py measures it)."""

    file_bytes: int = 25 * MB
    rows: int = 50_000  # data rows (the header not counted)
    columns: int = 200  # columns holding a value
    cell_chars: int = 10_000
    total_chars: int = 20_000_000
    # cells an XLSX sheet holds, empty ones included: openpyxl parses some 50,000 a second
    # (bench/bench_hostile.py), so the largest sheet read is refused, if it is, within about
    # 3 s; a 3,000-student export with 50 columns has 150,000
    cells: int = 150_000
    zip_parts: int = 1_000
    part_bytes: int = 100 * MB  # one part of an XLSX, unpacked
    unzipped_bytes: int = 200 * MB  # all parts together, unpacked
    zip_ratio: int = 200  # unpacked / packed, for parts above 1 MB (real sheets: 5-30)
    seconds: float = 30.0


LIMITS = Limits()


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


class Refused(Exception):
    """The file is refused as a whole; ``row``/``column`` say where when known."""

    def __init__(self, message: str, row: int = 0, column: str = ""):
        super().__init__(message)
        self.problem = ImportProblem(row, column, message)


def read_table(path: str | Path, limits: Limits = LIMITS) -> Table:
    """Read a CSV or XLSX file; a file that cannot be read gives a table with problems."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if p.is_dir():
            raise IsADirectoryError(p)
        if size > limits.file_bytes:
            return _refused(_(
                "The file is {size} MB; an export of students or staff is far smaller "
                "(at most {limit} MB is read).").format(size=format_number(size // MB),
                                                        limit=format_number(
                                                            limits.file_bytes // MB)))
        data = p.read_bytes()
    except OSError:
        return _refused(_("The file could not be opened; check that it exists and is closed "
                          "in Excel."))
    if len(data) < 4096 and not data.strip(b" \t\r\n\xef\xbb\xbf"):
        return _refused(_("The file is empty."))
    if data.startswith(OLE_MAGIC):
        return _refused(_("This is an old Excel file (.xls) or a password-protected one; save "
                          "it as .xlsx without a password, or as CSV, first."))
    try:
        if p.suffix.lower() in XLSX_SUFFIXES or data.startswith(ZIP_MAGIC):
            return read_xlsx(data, limits)
        return read_csv_bytes(data, limits)
    except Refused as refusal:
        return Table(problems=[refusal.problem])


def _refused(message: str) -> Table:
    return Table(problems=[ImportProblem(0, "", message)])


# -- encodings ---------------------------------------------------------------------------------

_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-16": "UTF-16", "cp1252": "Windows-1252"}
MAX_MESS = 0.2  # charset-normalizer's chaos above which Windows-1252 text is not text


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding) for UTF-8 (BOM or not), UTF-16 with BOM or Windows-1252.

    Raises ``Refused`` for bytes that are not cleanly one of them, naming the first row that
    breaks the encoding the rest of the file is in.
    """
    if data.startswith(_UTF16_BOMS):
        return _strict(data, "utf-16"), "utf-16"
    if data.startswith(codecs.BOM_UTF8):
        return _strict(data, "utf-8-sig"), "utf-8-sig"
    if b"\x00" in data:
        raise Refused(_("This is not a text (CSV) or Excel (.xlsx) file."))
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    _refuse_mixed(data)
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        raise Refused(_unknown_encoding()) from None
    if not _reads_as_text(data):
        raise Refused(_unknown_encoding())
    return text, "cp1252"


def _unknown_encoding() -> str:
    return _("The file is not in a character encoding pestdesk reads (UTF-8, UTF-16 or "
             "Windows-1252); in Excel, save it as \"CSV UTF-8\".")


def _strict(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        prefix = data[:exc.start].decode(encoding, errors="replace")
        raise Refused(_(
            "The file says it is {encoding}, but this row is not; save it again as "
            "\"CSV UTF-8\".").format(encoding=_NAMES[encoding]), row=_row_of(prefix)) from None


def _refuse_mixed(data: bytes) -> None:
    """A file that is not UTF-8 as a whole, yet has rows that are (and rows that are not)."""
    utf8_lines, other_lines = [], []
    for number, line in enumerate(data.split(b"\n")):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            other_lines.append(number)
        else:
            utf8_lines.append(number)
    if not utf8_lines or not other_lines:
        return
    if len(utf8_lines) >= len(other_lines):
        first, theirs, mine = other_lines[0], "Windows-1252", "UTF-8"
        encoding = "utf-8"
    else:
        first, theirs, mine = utf8_lines[0], "UTF-8", "Windows-1252"
        encoding = "cp1252"
    prefix = b"\n".join(data.split(b"\n")[:first]) + b"\n" if first else b""
    raise Refused(_(
        "This row is in another character encoding ({other}) than the rest of the file "
        "({encoding}); the file was put together from two sources. Save it again as \"CSV "
        "UTF-8\" and check the names in this row.").format(other=theirs, encoding=mine),
        row=_row_of(prefix.decode(encoding, errors="replace")))


def _row_of(prefix: str) -> int:
    """The spreadsheet row (CSV record) in which the text after ``prefix`` starts."""
    if not prefix:
        return 1
    try:
        records = sum(1 for _row in csv.reader(io.StringIO(prefix, newline=""),
                                               delimiter=sniff_delimiter(prefix)))
    except csv.Error:
        records = prefix.count("\n")
    return records + 1 if prefix.endswith(("\n", "\r")) else max(1, records)


def _reads_as_text(data: bytes) -> bool:
    """Windows-1252 decodes almost any bytes; charset-normalizer says whether it is text."""
    from charset_normalizer import from_bytes

    return from_bytes(data, cp_isolation=["cp1252"], threshold=MAX_MESS).best() is not None


# -- CSV ----------------------------------------------------------------------------------------

def _looks_binary(text: str) -> bool:
    controls = sum(1 for ch in text[:SAMPLE_SIZE] if ord(ch) < 32 and ch not in "\r\n\t\f")
    return controls > 0


def sniff_delimiter(text: str) -> str:
    """The separator of a CSV text: csv.Sniffer on a sample, else the header line's count."""
    sample = text[:SAMPLE_SIZE]
    if sample.count("\n") > SNIFF_LINES:  # csv.Sniffer's time grows with lines x characters
        sample = "\n".join(sample.split("\n", SNIFF_LINES)[:SNIFF_LINES])
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


def read_csv_bytes(data: bytes, limits: Limits = LIMITS) -> Table:
    """Parse CSV bytes into a table, with problems for binary, ragged or oversized content."""
    try:
        text, encoding = decode_text(data)
    except Refused as refusal:
        return Table(problems=[refusal.problem])
    if _looks_binary(text):
        return _refused(_("This is not a text (CSV) or Excel (.xlsx) file."))
    delimiter = sniff_delimiter(text)
    table = Table(encoding=encoding, delimiter=delimiter)
    reader = csv.reader(_lines(text), delimiter=delimiter, quotechar='"',
                        doublequote=True, skipinitialspace=False, strict=False)
    bounds = _Bounds(limits)
    raw: list[list[str]] = []
    try:
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                number = len(raw) + 1
                if "field larger" in str(exc):
                    raise Refused(bounds.too_long_text(), row=number) from None
                raise Refused(_("The file could not be read as CSV."), row=number) from None
            raw.append(bounds.row(len(raw) + 1, [cell.strip() for cell in row], trim=False))
    except Refused as refusal:
        return Table(problems=[refusal.problem])
    _fill(table, raw, pad_short=False)
    return table


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def _lines(text: str):
    """The lines of ``text`` with their endings, one at a time (``io.StringIO`` would hold a
    second, four-byte-per-character copy of the whole file)."""
    for match in _LINE.finditer(text):
        yield match.group()


class _Bounds:
    """Counts rows, columns, cell length, total text and time while a file is read."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.started = time.monotonic()
        self.total = 0
        self.header_at = 0  # the row number of the header, once seen

    def too_long_text(self) -> str:
        return _("A value is longer than {limit} characters; no field of an export is that "
                 "long.").format(limit=format_number(self.limits.cell_chars))

    def row(self, number: int, cells: list[str], *, trim: bool) -> list[str]:
        """Check one row (spreadsheet number ``number``); ``trim`` drops trailing blanks."""
        limits = self.limits
        if number % CHECK_EVERY == 0:
            self.clock(number)
        if number > limits.rows + (self.header_at or 1):
            raise Refused(_(
                "The file has more than {limit} rows; an import reads at most that many."
            ).format(limit=format_number(limits.rows)), row=number)
        used = len(cells)
        while used and not cells[used - 1]:
            used -= 1
        if trim:
            del cells[used:]
        if not used:
            return cells
        if not self.header_at:
            self.header_at = number
        if used > limits.columns:
            raise Refused(_(
                "This row has values in more than {limit} columns; an import reads at most "
                "that many.").format(limit=format_number(limits.columns)), row=number,
                column=column_letter(limits.columns + 1))
        for index in range(used):
            length = len(cells[index])
            if length > limits.cell_chars:
                raise Refused(self.too_long_text(), row=number, column=column_letter(index + 1))
            self.total += length
        if self.total > limits.total_chars:
            raise Refused(_(
                "The file holds more than {limit} characters of text; an import reads at most "
                "that much.").format(limit=format_number(limits.total_chars)), row=number)
        return cells

    def clock(self, number: int) -> None:
        if time.monotonic() - self.started > self.limits.seconds:
            raise _too_slow(self.limits, number)


def column_letter(index: int) -> str:
    """1 -> "A", 27 -> "AA": the column as a spreadsheet names it."""
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# -- XLSX ---------------------------------------------------------------------------------------

_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_ROW_TAGS = (b"<row ", b"<row>", b"<row/", b":row ", b":row>", b":row/")
_CELL_TAGS = (b"<c ", b"<c>", b"<c/", b":c ", b":c>", b":c/")
_CHUNK = 1 * MB


@dataclass
class _PartScan:
    rows: int = 0
    cells: int = 0


def _damaged(row: int = 0) -> Refused:
    return Refused(_("The Excel file could not be read; it may be damaged."), row=row)


def _entities() -> Refused:
    return Refused(_("The Excel file contains XML entity declarations, which no spreadsheet "
                     "needs (an attack can hide in them); it is not read."))


def _check_zip(archive: zipfile.ZipFile, limits: Limits) -> None:
    """The zip directory alone: number of parts, unpacked sizes and packing ratios."""
    infos = archive.infolist()
    if len(infos) > limits.zip_parts:
        raise Refused(_("The Excel file has {count} parts; a spreadsheet has a few dozen. It is "
                        "not read.").format(count=format_number(len(infos))))
    total = 0
    for info in infos:
        total += info.file_size
        packed = max(info.compress_size, 1)
        bomb = info.file_size > MB and info.file_size > packed * limits.zip_ratio
        if bomb or info.file_size > limits.part_bytes or total > limits.unzipped_bytes:
            raise Refused(_(
                "The Excel file would unpack to {size} MB, far more than a spreadsheet of its "
                "size; this is how a 'zip bomb' looks, so it is not read.").format(
                    size=format_number(max(1, total // MB))))
        if info.flag_bits & 0x1:
            raise Refused(_("The Excel file is password-protected; save it without a password "
                            "first."))


def _scan_parts(archive: zipfile.ZipFile, limits: Limits) -> dict[str, _PartScan]:
    """Stream every XML part once before any parsing: no entity declarations (billion laughs,
    external entities), no text run longer than a cell may be, rows and cells counted."""
    longest = limits.cell_chars * 10 + 4096  # bytes between two tags: escapes, markup
    scans: dict[str, _PartScan] = {}
    started = time.monotonic()
    for info in archive.infolist():
        if info.is_dir():
            continue
        try:
            with archive.open(info) as fh:
                scan = _scan_part(fh, longest, limits.cell_chars)
        except Refused:
            raise
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError,
                RuntimeError, zlib_error) as exc:
            raise _damaged() from exc
        if scan is not None:
            scans[info.filename] = scan
        if time.monotonic() - started > limits.seconds:
            raise _too_slow(limits)
    return scans


def _too_slow(limits: Limits, row: int = 0) -> Refused:
    return Refused(_(
        "Reading the file took more than {seconds} seconds; it stopped here. Is it really an "
        "export of students or staff?").format(seconds=format_number(int(limits.seconds))),
        row=row)


def _scan_part(fh, longest: int, cell_chars: int) -> _PartScan | None:
    """One part, chunk by chunk (never whole in memory); None when it is not XML."""
    chunk = fh.read(_CHUNK)
    head = chunk.lstrip(codecs.BOM_UTF8 + b" \t\r\n")
    if not head.startswith(b"<"):
        if chunk.startswith(_UTF16_BOMS) or chunk[:2] in (b"<\x00", b"\x00<"):
            raise Refused(_("The Excel file holds XML in UTF-16, which Excel never writes; it "
                            "is not read."))
        return None  # not XML (an image, printer settings): openpyxl does not parse it
    scan = _PartScan()
    tail = b""
    run = 0  # bytes since the last "<" of the chunks before
    while chunk:
        if _DTD.search(tail + chunk[:4096]) or _DTD.search(chunk):
            raise _entities()
        scan.rows += sum(chunk.count(tag) for tag in _ROW_TAGS)
        scan.cells += sum(chunk.count(tag) for tag in _CELL_TAGS)
        first = chunk.find(b"<")
        if first < 0:
            run += len(chunk)
        else:
            if run + first > longest or _has_gap(chunk, first, longest):
                raise Refused(_oversized_value(cell_chars))
            run = len(chunk) - chunk.rfind(b"<") - 1
        if run > longest:
            raise Refused(_oversized_value(cell_chars))
        tail = chunk[-16:]
        chunk = fh.read(_CHUNK)
    return scan


def _has_gap(chunk: bytes, first: int, longest: int) -> bool:
    """Whether two "<" in ``chunk`` lie more than ``longest`` bytes apart. Any such gap holds
    a whole aligned window of half that size without "<": only those are measured."""
    width = max(1, longest // 2)
    last = chunk.rfind(b"<")
    for start in range(first + 1, last, width):
        if chunk.find(b"<", start, start + width) < 0 and start + width <= last:
            before = chunk.rfind(b"<", 0, start)
            after = chunk.find(b"<", start + width)
            if after - before - 1 > longest:
                return True
    return False


def _oversized_value(cell_chars: int) -> str:
    return _("The Excel file holds a value of more than {limit} characters; no field of an "
             "export is that long.").format(limit=format_number(cell_chars))


def read_xlsx(data: bytes, limits: Limits = LIMITS) -> Table:
    """The first worksheet of an XLSX file, every cell as text, within ``limits``."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return Table(problems=[_damaged().problem])
    try:
        with archive:
            _check_zip(archive, limits)
            scans = _scan_parts(archive, limits)
        with warnings.catch_warnings():  # openpyxl warns on stderr about unsupported parts
            warnings.simplefilter("ignore")
            raw = _read_sheet(data, scans, limits)
    except Refused as refusal:
        return Table(problems=[refusal.problem])
    table = Table(encoding="xlsx")
    _fill(table, raw, pad_short=True)
    return table


def _read_sheet(data: bytes, scans: dict[str, _PartScan], limits: Limits) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - a hostile file can make the parser raise anything
        raise _parser_refusal(exc) from None
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise Refused(_("The file is empty."))
        # the part openpyxl reads the sheet from (an attribute of its read-only sheet)
        scan = scans.get(getattr(sheet, "_worksheet_path", "")) or _PartScan()
        _check_declared(sheet, scan, limits)
        sheet.reset_dimensions()  # rows as the file has them, not padded to a declared size
        bounds = _Bounds(limits)
        raw: list[list[str]] = []
        number = width = 0
        try:
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                width += len(values)
                if len(values) > EXCEL_MAX_COLUMNS:
                    raise _damaged(number)
                if width > 2 * limits.cells:
                    raise Refused(_(
                        "The rows of the sheet reach across more than {limit} cells (empty "
                        "ones included); an import reads at most that many.").format(
                            limit=format_number(2 * limits.cells)), row=number)
                used = len(values)
                if used > limits.columns and values.count(None) == used:
                    used = 0  # a row of styled empty cells far to the right
                cells = [cell_text(v) for v in values[:used]]
                raw.append(bounds.row(number, cells, trim=True))
        except Refused:
            raise
        except Exception as exc:  # noqa: BLE001 - as above, while streaming the rows
            raise _parser_refusal(exc, number + 1) from None
        return raw
    finally:
        workbook.close()


def _too_many_cells(count: int, limits: Limits) -> Refused:
    return Refused(_(
        "The sheet has {count} cells; an import reads at most {limit}.").format(
            count=format_number(count), limit=format_number(limits.cells)))


def _check_declared(sheet, scan: _PartScan, limits: Limits) -> None:
    """The sheet's declared size (``<dimension>``) and its counted rows and cells."""
    declared_rows, declared_columns = sheet.max_row or 0, sheet.max_column or 0
    if declared_rows > EXCEL_MAX_ROWS or declared_columns > EXCEL_MAX_COLUMNS:
        raise _damaged()
    if scan.rows > limits.rows + 1:
        # a declared size beyond the bound alone is no reason: some programs overstate it
        raise Refused(_(
            "The sheet has {count} rows; an import reads at most {limit}.").format(
                count=format_number(scan.rows),
                limit=format_number(limits.rows)))
    if scan.cells > limits.cells:
        raise _too_many_cells(scan.cells, limits)


def _parser_refusal(exc: Exception, row: int = 0) -> Refused:
    """One clear line for whatever the XML parser or openpyxl raised on a bad file."""
    from defusedxml import DefusedXmlException

    if isinstance(exc, Refused):
        return exc
    if isinstance(exc, DefusedXmlException):
        return _entities()
    if isinstance(exc, MemoryError):
        return Refused(_("The Excel file is too large to read."), row=row)
    return _damaged(row)


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
