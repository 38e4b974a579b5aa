"""Hostile and broken import files, generated small on disk (the tests and bench/bench_hostile.py
share them). Each maker writes one file into a folder and returns its path; ``FILES`` names
them all with the fragment (English) of the one line the reader answers with.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"

CONTENT_TYPES = (
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
ROOT_RELS = (f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{REL}/officeDocument" '
             'Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = (f'<workbook xmlns="{NS}" xmlns:r="{REL}"><sheets><sheet name="Blad1" sheetId="1" '
            'r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = (f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{REL}/worksheet" '
                 'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" '
                 f'Type="{REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
HEADER_ROW = ('<row r="1"><c r="A1" t="inlineStr"><is><t>Stamnr</t></is></c>'
              '<c r="B1" t="inlineStr"><is><t>Roepnaam</t></is></c></row>')


def sheet_xml(rows: str | Iterable[str], dimension: str = "A1:B2", prolog: str = "") -> \
        Iterable[bytes]:
    yield (prolog + f'<worksheet xmlns="{NS}"><dimension ref="{dimension}"/><sheetData>'
           ).encode()
    for piece in ([rows] if isinstance(rows, str) else rows):
        yield piece.encode()
    yield b"</sheetData></worksheet>"


def write_xlsx_parts(path: Path, sheet: Iterable[bytes], *, shared: Iterable[bytes] | None = None,
                     extra: dict[str, bytes] | None = None) -> Path:
    """A minimal workbook, the sheet (and shared strings) streamed into the zip."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES)
        zf.writestr("_rels/.rels", ROOT_RELS)
        zf.writestr("xl/workbook.xml", WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            for piece in sheet:
                fh.write(piece)
        shared = shared if shared is not None else [
            f'<sst xmlns="{NS}" count="0" uniqueCount="0"></sst>'.encode()]
        with zf.open("xl/sharedStrings.xml", "w", force_zip64=True) as fh:
            for piece in shared:
                fh.write(piece)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return path


def _repeat(piece: str, times: int, batch: int = 10_000) -> Iterable[str]:
    block = piece * batch
    for _ in range(times // batch):
        yield block
    yield piece * (times % batch)


def _chain(*parts: Iterable[bytes]) -> Iterable[bytes]:
    for part in parts:
        yield from part


def ten_million_rows(folder: Path) -> Path:
    """10,000,000 real rows (a declared and a real size), a few hundred KB packed."""
    rows = _repeat('<row><c t="inlineStr"><is><t>x</t></is></c></row>', 10_000_000)
    return write_xlsx_parts(folder / "tien-miljoen.xlsx",
                            sheet_xml(rows, dimension="A1:A10000000", prolog=""))


def declares_millions(folder: Path) -> Path:
    """A small sheet whose <dimension> claims a million rows and 16,384 columns: read as
    the rows it has (a valid file; the declared size is only an overstatement)."""
    rows = HEADER_ROW + '<row r="2"><c r="A2"><v>4512</v></c><c r="B2" t="inlineStr">' \
        '<is><t>Zoë</t></is></c></row>'
    return write_xlsx_parts(folder / "verklaart-miljoenen.xlsx",
                            sheet_xml(rows, dimension="A1:XFD1000000"))


def impossible_dimension(folder: Path) -> Path:
    return write_xlsx_parts(folder / "onmogelijk.xlsx",
                            sheet_xml(HEADER_ROW, dimension="A1:B99999999"))


def row_far_away(folder: Path) -> Path:
    """A header and then one row numbered 2,000,000,000 (openpyxl fills the gap)."""
    rows = HEADER_ROW + '<row r="2000000000"><c r="A2000000000"><v>1</v></c></row>'
    return write_xlsx_parts(folder / "verre-rij.xlsx", sheet_xml(rows))


def many_real_rows(folder: Path, count: int = 60_000) -> Path:
    """More data rows than an import reads, each different (so no packing-ratio alarm)."""
    rows = (f'<row r="{i}"><c r="A{i}"><v>{i * 7919 % 1000003}</v></c></row>'
            for i in range(2, count + 2))
    return write_xlsx_parts(folder / "veel-rijen.xlsx", sheet_xml([HEADER_ROW, *rows]))


def huge_cell(folder: Path, chars: int = 1_500_000) -> Path:
    """One cell of 1.5 million random letters: incompressible, so only the scan stops it."""
    text = os.urandom(chars).hex()[:chars]
    rows = HEADER_ROW + f'<row r="2"><c r="A2" t="inlineStr"><is><t>{text}</t></is></c></row>'
    return write_xlsx_parts(folder / "enorme-cel.xlsx", sheet_xml(rows))


def zip_bomb_cell(folder: Path) -> Path:
    """One cell of 90 MB 'A' packed into ~90 KB."""
    rows = [HEADER_ROW, '<row r="2"><c r="A2" t="inlineStr"><is><t>',
            *_repeat("A", 90_000_000, batch=1_000_000), "</t></is></c></row>"]
    return write_xlsx_parts(folder / "zipbom-cel.xlsx", sheet_xml(rows))


def shared_strings_bomb(folder: Path) -> Path:
    """A shared-strings table of ~400 MB (each string different enough to keep some size)."""
    strings = _repeat("<si><t>abcdefghij</t></si>", 20_000_000)
    shared = _chain([f'<sst xmlns="{NS}">'.encode()], (s.encode() for s in strings),
                    [b"</sst>"])
    return write_xlsx_parts(folder / "gedeelde-teksten.xlsx", sheet_xml(HEADER_ROW),
                            shared=shared)


def billion_laughs(folder: Path) -> Path:
    dtd = ['<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY lol0 "lol">']
    dtd += [f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)]
    dtd.append("]>")
    rows = HEADER_ROW + '<row r="2"><c r="A2" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
    return write_xlsx_parts(folder / "miljard-lachjes.xlsx",
                            sheet_xml(rows, prolog="".join(dtd)))


def external_entity(folder: Path) -> Path:
    prolog = ('<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY xxe SYSTEM '
              '"file:///etc/passwd">]>')
    rows = HEADER_ROW + '<row r="2"><c r="A2" t="inlineStr"><is><t>&xxe;</t></is></c></row>'
    return write_xlsx_parts(folder / "xxe.xlsx", sheet_xml(rows, prolog=prolog))


def entity_in_shared_strings(folder: Path) -> Path:
    """The DTD sits in a part openpyxl reads at load (shared strings), in UTF-8 with a BOM."""
    shared = [b"\xef\xbb\xbf<?xml version='1.0'?><!DOCTYPE sst [<!ENTITY a 'aaaa'>]>",
              f'<sst xmlns="{NS}"><si><t>&a;</t></si></sst>'.encode()]
    return write_xlsx_parts(folder / "entiteit-teksten.xlsx", sheet_xml(HEADER_ROW),
                            shared=shared)


def utf16_part(folder: Path) -> Path:
    text = f'<?xml version="1.0" encoding="UTF-16"?><sst xmlns="{NS}"></sst>'
    return write_xlsx_parts(folder / "utf16-deel.xlsx", sheet_xml(HEADER_ROW),
                            shared=[text.encode("utf-16")])


def broken_xml(folder: Path) -> Path:
    pieces = [f'<worksheet xmlns="{NS}"><sheetData>'.encode(), HEADER_ROW.encode(),
              b'<row r="2"><c r="A2" t="inlineStr"><is><t>kapot</is></row>']
    return write_xlsx_parts(folder / "kapotte-xml.xlsx", pieces)


def very_wide(folder: Path) -> Path:
    """A value in column XFD (16,384) on every one of 50,000 rows."""
    rows = (f'<row r="{i}"><c r="XFD{i}"><v>1</v></c></row>' for i in range(2, 50_002))
    return write_xlsx_parts(folder / "breed.xlsx", sheet_xml([HEADER_ROW, *rows]))


def styled_far_right(folder: Path) -> Path:
    """Styled empty cells at column XFD on 50,000 rows (no value): openpyxl makes every row
    16,384 wide, so the work is bounded by counting those cells too."""
    rows = (f'<row r="{i}"><c r="A{i}"><v>{i}</v></c><c r="XFD{i}" s="0"/></row>'
            for i in range(2, 50_002))
    return write_xlsx_parts(folder / "opgemaakt-rechts.xlsx", sheet_xml([HEADER_ROW, *rows]))


def many_parts(folder: Path) -> Path:
    extra = {f"xl/media/image{i}.png": b"\x89PNG" for i in range(2_000)}
    return write_xlsx_parts(folder / "veel-delen.xlsx", sheet_xml(HEADER_ROW), extra=extra)


def not_a_zip(folder: Path) -> Path:
    path = folder / "nep.xlsx"
    path.write_bytes(b"PK\x03\x04" + os.urandom(4000))
    return path


def truncated_zip(folder: Path) -> Path:
    path = many_real_rows(folder, 2_000)
    data = path.read_bytes()
    cut = folder / "afgebroken.xlsx"
    cut.write_bytes(data[: len(data) // 2])
    return cut


def oversized_file(folder: Path) -> Path:
    """60 MB on disk that takes no room (a sparse file): refused before reading."""
    path = folder / "groot.csv"
    with open(path, "wb") as fh:
        fh.write(b"Stamnr;Roepnaam\n")
        fh.truncate(60 * 1024 * 1024)
    return path


def csv_ten_million_lines(folder: Path) -> Path:
    path = folder / "tien-miljoen.csv"
    path.write_bytes(b"Stamnr\n" + b"1\n" * 10_000_000)
    return path


def csv_huge_field(folder: Path) -> Path:
    path = folder / "enorm-veld.csv"
    path.write_bytes(b"Stamnr;Roepnaam\n1;\"" + b"a" * 500_000 + b"\"\n")
    return path


def csv_long_cell(folder: Path) -> Path:
    path = folder / "lange-cel.csv"
    path.write_bytes(b"Stamnr;Roepnaam\n1;a\n2;" + b"b" * 20_000 + b"\n")
    return path


def csv_many_columns(folder: Path) -> Path:
    path = folder / "veel-kolommen.csv"
    path.write_bytes(b";".join(b"k%d" % i for i in range(500)) + b"\n"
                     + b";".join(b"%d" % i for i in range(500)) + b"\n")
    return path


def csv_mixed_encoding(folder: Path) -> Path:
    """A UTF-8 export with one row pasted in from a Windows-1252 file (row 4)."""
    path = folder / "gemengd.csv"
    path.write_bytes("Stamnr;Roepnaam;Achternaam\n1;Zoë;Meer\n2;Daan;Çelik\n".encode()
                     + "3;Renée;Öztürk\n".encode("cp1252") + "4;Jörg;Brück\n".encode())
    return path


def csv_shift_jis(folder: Path) -> Path:
    path = folder / "shift-jis.csv"
    text = "Stamnr;Roepnaam;Achternaam\n" + "".join(
        f"{i};ゆうき{i};山田\n" for i in range(1, 30))
    path.write_bytes(text.encode("shift_jis"))
    return path


def csv_greek_cp1253(folder: Path) -> Path:
    path = folder / "grieks.csv"
    text = "Stamnr;Roepnaam;Achternaam\n" + "".join(
        f"{i};Αλέξανδρος;Παπαδόπουλος\n" for i in range(1, 30))
    path.write_bytes(text.encode("cp1253"))
    return path


def csv_bad_utf16(folder: Path) -> Path:
    path = folder / "utf16-kapot.csv"
    path.write_bytes("Stamnr\tRoepnaam\r\n1\tZoë\r\n".encode("utf-16")
                     + b"\x00\xd8\x41\x00" + "\r\n".encode("utf-16-le"))
    return path


def csv_bom_then_cp1252(folder: Path) -> Path:
    path = folder / "bom-cp1252.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "Stamnr;Roepnaam\n1;Zoë\n".encode()
                     + "2;Zoë\n".encode("cp1252"))
    return path


def csv_nul_bytes(folder: Path) -> Path:
    path = folder / "nul.csv"
    path.write_bytes(b"Stamnr;Roepnaam\x00\x00;Klas\r\n1;a;1A\r\n")
    return path


def csv_random_bytes(folder: Path) -> Path:
    path = folder / "ruis.csv"
    path.write_bytes(os.urandom(100_000))
    return path


def csv_24mb_emoji(folder: Path) -> Path:
    """Just under the size bound, in four-byte characters (the worst case for memory):
    readable, then refused by the importer (no last-name or class column)."""
    path = folder / "emoji.csv"
    row = "😀" * 1_000
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("Stamnr;Roepnaam\n")
        for i in range(6_000):
            fh.write(f"{i};{row}\n")
    return path


def xlsx_within_bounds(folder: Path) -> Path:
    """7,000 data rows of 20 columns (140,000 cells), within every bound: read whole, then
    refused by the importer (no student columns). About the slowest file still read."""
    def row(r: int, text: str) -> str:
        cells = "".join(f'<c r="{chr(65 + c)}{r}" t="inlineStr"><is><t>{text} {c * r}</t></is>'
                        '</c>' for c in range(20))
        return f'<row r="{r}">{cells}</row>'

    rows = [row(1, "Kolom"), *(row(r, "waarde") for r in range(2, 7_002))]
    return write_xlsx_parts(folder / "binnen-de-grenzen.xlsx", sheet_xml(rows))


#: files that are read (they are within the bounds) and then refused by the importer
HEAVY: dict[str, Callable[[Path], Path]] = {
    "csv-24mb-four-byte-chars": csv_24mb_emoji,
    "xlsx-140000-cells": xlsx_within_bounds,
}

#: maker, the fragment (English) of the one line the reader answers with
FILES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "xlsx-10-million-rows": (ten_million_rows, "zip bomb"),
    "xlsx-impossible-dimension": (impossible_dimension, "damaged"),
    "xlsx-row-two-billion": (row_far_away, "more than 50,000 rows"),
    "xlsx-60000-rows": (many_real_rows, "rows; an import reads at most"),
    "xlsx-huge-cell": (huge_cell, "more than 10,000 characters"),
    "xlsx-zip-bomb-cell": (zip_bomb_cell, "zip bomb"),
    "xlsx-shared-strings-bomb": (shared_strings_bomb, "zip bomb"),
    "xlsx-billion-laughs": (billion_laughs, "entity declarations"),
    "xlsx-external-entity": (external_entity, "entity declarations"),
    "xlsx-entity-in-shared-strings": (entity_in_shared_strings, "entity declarations"),
    "xlsx-utf16-part": (utf16_part, "UTF-16"),
    "xlsx-broken-xml": (broken_xml, "damaged"),
    "xlsx-very-wide": (very_wide, "more than 200 columns"),
    "xlsx-styled-far-right": (styled_far_right, "empty ones included"),
    "xlsx-many-parts": (many_parts, "parts"),
    "xlsx-not-a-zip": (not_a_zip, "damaged"),
    "xlsx-truncated": (truncated_zip, "damaged"),
    "csv-oversized-file": (oversized_file, "MB"),
    "csv-10-million-lines": (csv_ten_million_lines, "more than 50,000 rows"),
    "csv-huge-field": (csv_huge_field, "longer than 10,000"),
    "csv-long-cell": (csv_long_cell, "longer than 10,000"),
    "csv-many-columns": (csv_many_columns, "more than 200 columns"),
    "csv-mixed-encoding": (csv_mixed_encoding, "another character encoding"),
    "csv-shift-jis": (csv_shift_jis, "character encoding pestdesk reads"),
    "csv-greek-cp1253": (csv_greek_cp1253, "character encoding pestdesk reads"),
    "csv-bad-utf16": (csv_bad_utf16, "UTF-16"),
    "csv-bom-then-cp1252": (csv_bom_then_cp1252, "UTF-8"),
    "csv-nul-bytes": (csv_nul_bytes, "not a text"),
    "csv-random-bytes": (csv_random_bytes, "not a text"),
}
