"""Reading export files: encodings, separators, quoting, XLSX numbers, and refusals."""

from __future__ import annotations

import datetime as dt

import pytest

from pestdesk.importers.reader import read_table, sniff_delimiter
from tests.helpers.exports import magister_rows, to_csv, write_magister, write_xlsx


def test_cp1252_semicolon_crlf_with_quoted_separator(tmp_path):
    table = read_table(write_magister(tmp_path / "magister.csv"))
    assert table.ok, table.problems
    assert table.encoding == "cp1252" and table.delimiter == ";"
    first = dict(zip(table.headers, table.rows[0], strict=True))
    assert first["Roepnaam"] == "Zoë" and first["Achternaam"] == "Çelik"
    assert first["Stamnr"] == "004512"
    daan = dict(zip(table.headers, table.rows[1], strict=True))
    assert daan["Straat"] == "Kerkweg; achterom"
    assert table.row_numbers[:2] == [2, 3]
    assert all(not cell.endswith("\r") for row in table.rows for cell in row)


def test_utf8_with_bom_is_not_part_of_first_header(tmp_path):
    table = read_table(write_magister(tmp_path / "m.csv", encoding="utf-8", bom=True))
    assert table.ok and table.encoding == "utf-8-sig"
    assert table.headers[0] == "Stamnr"
    assert table.rows[0][3] == "Çelik"


@pytest.mark.parametrize("delimiter", ["\t", ",", ";"])
def test_separator_is_sniffed(tmp_path, delimiter):
    path = tmp_path / "x.csv"
    path.write_text(to_csv(magister_rows(), delimiter), encoding="utf-8")
    table = read_table(path)
    assert table.ok, table.problems
    assert table.delimiter == delimiter
    assert len(table.headers) == len(magister_rows()[0])


def test_sniffer_fallback_uses_header_counts():
    assert sniff_delimiter("a;b;c") == ";"
    assert sniff_delimiter("a\tb\tc\n1\t2\t3") == "\t"
    assert sniff_delimiter("just one column") == ";"


def test_multiline_quoted_value_keeps_spreadsheet_row_numbers(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text('Stamnr;Opmerking\r\n1;"two\r\nlines"\r\n2;x\r\n', encoding="utf-8")
    table = read_table(path)
    assert table.ok
    assert table.rows == [["1", "two\r\nlines"], ["2", "x"]]
    assert table.row_numbers == [2, 3]


def test_blank_rows_are_skipped_but_counted(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("Stamnr;Naam\n1;a\n;\n\n2;b\n", encoding="utf-8")
    table = read_table(path)
    assert table.row_numbers == [2, 5]


def test_xlsx_numbers_are_text_without_decimal_point(tmp_path):
    path = write_xlsx(tmp_path / "x.xlsx", [
        ["Stamnr", "Geb.datum", "Klas", "Cijfer"],
        [4512, dt.datetime(2012, 7, 3), "1A", 7.5],
        ["004513", "3-7-2012", 2, None],
    ])
    table = read_table(path)
    assert table.ok and table.encoding == "xlsx"
    assert table.rows == [["4512", "2012-07-03", "1A", "7.5"], ["004513", "3-7-2012", "2", ""]]


def test_unicode_text_export_utf16(tmp_path):
    path = tmp_path / "unicode.txt"
    path.write_bytes(to_csv(magister_rows(), "\t").encode("utf-16"))
    table = read_table(path)
    assert table.ok and table.rows[0][3] == "Çelik"


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "empty"),
        (b"\xef\xbb\xbf\r\n  \r\n", "empty"),
        (bytes(range(256)) * 40, "not a text"),
        (b"Stamnr;Roepnaam\x00\x00;Klas\r\n", "not a text"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, ".xls"),
        (b"PK\x03\x04 this is no real zip", "damaged"),
        (b"Stamnr;Roepnaam;Achternaam;Klas\r\n", "no data rows"),
    ],
    ids=["empty", "bom-only", "binary", "nul-bytes", "old-xls", "bad-zip", "header-only"],
)
def test_unreadable_files_give_one_clear_problem(tmp_path, content, fragment):
    from pestdesk import i18n

    i18n.set_language("en")
    path = tmp_path / "upload.csv"
    path.write_bytes(content)
    table = read_table(path)
    assert not table.ok
    assert len(table.problems) == 1
    assert table.problems[0].row == 0
    assert fragment in table.problems[0].message


def test_missing_file_is_a_problem_not_an_exception(tmp_path):
    table = read_table(tmp_path / "nope.csv")
    assert not table.ok and table.problems[0].row == 0


def test_ragged_rows_are_listed_with_spreadsheet_row_numbers(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("Stamnr;Roepnaam;Klas\n1;a;1A\n2;b;1A;extra\n3;c\n4;d;1A;\n", "utf-8")
    table = read_table(path)
    assert [p.row for p in table.problems] == [3, 4]
    assert table.row_numbers == [2, 5]  # a trailing empty field is harmless
