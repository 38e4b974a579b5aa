"""Hostile and broken import files: each is answered with one clear problem, never an
exception (the timings and peak memory per file are in bench/bench_hostile.py)."""

from __future__ import annotations

import pytest

from pestdesk import i18n
from pestdesk.importers.reader import Limits, read_table
from tests.helpers import hostile
from tests.helpers.exports import write_xlsx


@pytest.fixture
def english():
    i18n.set_language("en")
    yield
    i18n.set_language("nl")


@pytest.mark.parametrize("name", list(hostile.FILES))
def test_hostile_file_gives_one_clear_problem(tmp_path, english, name):
    maker, fragment = hostile.FILES[name]
    table = read_table(maker(tmp_path))
    assert [fragment in str(p) for p in table.problems] == [True], table.problems
    assert not table.rows


def test_dutch_line_names_the_row_and_column(tmp_path):
    table = read_table(hostile.csv_long_cell(tmp_path))
    assert str(table.problems[0]) == (
        "3 / B: Een waarde is langer dan 10.000 tekens; geen veld van een export is zo lang.")


def test_an_overstated_dimension_is_read_as_the_rows_it_has(tmp_path):
    table = read_table(hostile.declares_millions(tmp_path))
    assert table.ok, table.problems
    assert table.headers == ["Stamnr", "Roepnaam"]
    assert table.rows == [["4512", "Zoë"]]


@pytest.mark.parametrize(
    ("limits", "fragment"),
    [
        (Limits(rows=3), "more than 3 rows"),
        (Limits(columns=2), "more than 2 columns"),
        (Limits(cell_chars=3), "longer than 3 characters"),
        (Limits(total_chars=20), "more than 20 characters of text"),
        (Limits(seconds=-1), "took more than"),
    ],
)
def test_every_csv_limit_is_its_own_line_with_the_row(tmp_path, english, limits, fragment):
    path = tmp_path / "x.csv"
    path.write_text("Nr;Naam;Klas\n1;Anna;1A\n2;Bram;1A\n3;Cas;1B\n4;Dewi;1B\n",
                    encoding="utf-8")
    if limits.seconds < 0:  # the clock is looked at every 1,000 rows
        path.write_text("Nr;Naam\n" + "".join(f"{i};a\n" for i in range(1_500)), "utf-8")
    table = read_table(path, limits)
    assert len(table.problems) == 1 and fragment in str(table.problems[0])
    assert table.problems[0].row > 0


@pytest.mark.parametrize(
    ("limits", "fragment"),
    [
        (Limits(rows=3), "rows; an import reads at most 3"),
        (Limits(cells=5), "cells; an import reads at most 5"),
        (Limits(columns=2), "more than 2 columns"),
        (Limits(cell_chars=3), "longer than 3 characters"),
        (Limits(file_bytes=100), "at most 0 MB"),
    ],
)
def test_every_xlsx_limit_is_its_own_line(tmp_path, english, limits, fragment):
    path = write_xlsx(tmp_path / "x.xlsx", [["Nr", "Naam", "Klas"], [1, "Anna", "1A"],
                                            [2, "Bram", "1A"], [3, "Cas", "1B"],
                                            [4, "Dewi", "1B"]])
    table = read_table(path, limits)
    assert len(table.problems) == 1 and fragment in str(table.problems[0]), table.problems


def test_a_file_at_the_limits_is_read(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("Nr;Naam;Klas\n1;Anna;1A\n2;Bram;1A\n3;Cas;1B\n", encoding="utf-8")
    table = read_table(path, Limits(rows=3, columns=3, cell_chars=4))
    assert table.ok and len(table.rows) == 3


# -- encodings -----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("utf-16", b""), ("cp1252", b"")],
    ids=["utf-8", "utf-8-bom", "utf-16-bom", "windows-1252"],
)
def test_each_supported_encoding_decodes_cleanly(tmp_path, encoding, bom):
    path = tmp_path / "x.csv"
    text = "Nr;Roepnaam;Achternaam\n1;Zoë;Çelik\n2;Renée;Öztürk\n3;Jürgen;Brück\n"
    path.write_bytes(bom + text.encode(encoding))
    table = read_table(path)
    assert table.ok, table.problems
    assert [row[1] for row in table.rows] == ["Zoë", "Renée", "Jürgen"]
    assert table.rows[0][2] == "Çelik"


def test_a_windows_1252_file_with_one_utf8_row_is_refused_at_that_row(tmp_path, english):
    path = tmp_path / "x.csv"
    path.write_bytes("Nr;Naam\n1;Zoë\n2;Renée\n3;Jürgen\n".encode("cp1252")
                     + "4;Brück\n".encode() + "5;Öztürk\n".encode("cp1252"))
    table = read_table(path)
    assert len(table.problems) == 1
    assert table.problems[0].row == 5
    assert "(UTF-8) than the rest of the file (Windows-1252)" in str(table.problems[0])


def test_the_row_of_a_bad_byte_counts_quoted_line_breaks_as_one_row(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes('Nr;Opmerking\n1;"twee\nregels"\n2;Zoë\n'.encode()
                     + "3;Zoë\n".encode("cp1252") + "4;Zoë\n".encode())
    table = read_table(path)
    assert table.problems[0].row == 4


def test_plain_ascii_is_utf8_and_not_mistaken(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"Nr;Naam\n1;Anna\n")
    assert read_table(path).encoding == "utf-8"
