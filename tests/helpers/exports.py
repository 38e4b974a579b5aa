"""Real-shaped Magister and SOMtoday exports, written by the tests themselves.

The awkward parts of real files are on purpose: Windows-1252 names, a BOM, CRLF, ``;`` with a
quoted value holding ``;``, stamnummers with leading zeros, d-m-jjjj dates, tab separation.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

MAGISTER_HEADERS = [
    "Stamnr", "Roepnaam", "Tussenv.", "Achternaam", "Voorletters", "Geb.datum", "Geslacht",
    "Klas", "Studie", "Klassenmentor 1", "Straat", "Huisnummer", "Postcode", "Woonplaats",
    "Ouder/verzorger 1 achternaam", "Ouder/verzorger 1 voorletters",
    "Ouder/verzorger 1 tussenvoegsel", "Ouder/verzorger 1 relatie", "Ouder/verzorger 1 e-mail",
    "Ouder/verzorger 1 telefoon", "Ouder/verzorger 1 gezag",
    "Ouder/verzorger 2 achternaam", "Ouder/verzorger 2 voorletters",
    "Ouder/verzorger 2 e-mail", "Ouder/verzorger 2 gezag",
]

# number, roepnaam, tussenvoegsel, achternaam, birth (d-m-jjjj), gender, class, studie, mentor
STUDENTS = [
    ("004512", "Zoë", "", "Çelik", "3-7-2012", "V", "1A", "1 havo/vwo", "JNS"),
    ("004513", "Daan", "de", "Vries", "13-07-2012", "M", "1A", "1 havo/vwo", "JNS"),
    ("004514", "Fatima", "", "El Amrani", "1-1-2011", "V", "2B", "2 havo", "E. de Vries"),
    ("004515", "Sem", "van 't", "Hek", "29-2-2012", "M", "2B", "2 havo", "VRS"),
    ("004516", "Noor", "de", "Vries", "5-9-2010", "V", "3C", "3 vwo", "Peters"),
    ("000017", "Björn", "", "Ødegård", "14-2-2011", "M", "2B", "2 havo", "VRS"),
]

GUARDIANS = {
    # number: (street, house number, postcode, city, [guardian tuples])
    "004512": ("Dorpsstraat", "5", "1234AB", "Ede",
               [("Çelik", "A.", "", "moeder", "a.celik@example.nl", "0612345678", "ja"),
                ("Çelik", "M.", "", "vader", "m.celik@example.nl", "", "ja")]),
    "004513": ("Kerkweg; achterom", "12a", "1234 AC", "Ede",
               [("Vries", "P.", "de", "vader", "pdevries@example.nl", "", "ja")]),
    "004514": ("Laan", "1", "1234AD", "Ede",
               [("El Amrani", "K.", "", "moeder", "k.elamrani@example.nl", "", "ja"),
                ("Bouzid", "H.", "", "vader", "", "", "nee")]),
    "004515": ("Hoek", "3", "1234AE", "Ede", []),
    "004516": ("Kerkweg; achterom", "12a", "1234 AC", "Ede",  # Daan's sister: same father
               [("Vries", "P.", "de", "vader", "pdevries@example.nl", "", "ja")]),
    "000017": ("Fjordlaan", "7", "1234AF", "Ede",
               [("Ødegård", "S.", "", "moeder", "", "", "")]),
}

STAFF_CSV = (
    "Afkorting;Voornaam;Tussenvoegsel;Achternaam;E-mail;Functie\r\n"
    "JNS;Jan;;Jansen;jansen@school.nl;Mentor\r\n"
    "VRS;Els;de;Vries;devries@school.nl;Mentor, Afdelingsleider\r\n"
    "PTR;Piet;;Peters;peters@school.nl;Mentor/Docent Engels\r\n"
    "BKR;Anna;;Bakker;bakker@school.nl;Zorgcoördinator\r\n"
)


def magister_rows(students=STUDENTS, guardians_of=None) -> list[list[str]]:
    guardians_of = GUARDIANS if guardians_of is None else guardians_of
    rows = [list(MAGISTER_HEADERS)]
    for number, first, tv, last, birth, gender, klas, studie, mentor in students:
        street, house, postcode, city, guardians = guardians_of.get(
            number, ("Straat", "1", "1234AA", "Ede", []))
        g = list(guardians) + [("", "", "", "", "", "", "")] * (2 - len(guardians))
        rows.append([number, first, tv, last, first[0] + ".", birth, gender, klas, studie,
                     mentor, street, house, postcode, city,
                     g[0][0], g[0][1], g[0][2], g[0][3], g[0][4], g[0][5], g[0][6],
                     g[1][0], g[1][1], g[1][4], g[1][6]])
    return rows


def to_csv(rows: list[list[str]], delimiter: str = ";") -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n",
               quoting=csv.QUOTE_MINIMAL).writerows(rows)
    return buffer.getvalue()


def write_magister(path: Path, students=STUDENTS, *, encoding: str = "cp1252",
                   delimiter: str = ";", bom: bool = False, guardians_of=None) -> Path:
    """A Magister export as Excel saves it on a Dutch PC: cp1252, ``;``, CRLF."""
    data = to_csv(magister_rows(students, guardians_of), delimiter).encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


SOMTODAY_HEADERS = ["Leerlingnummer", "Roepnaam", "Voorvoegsel", "Achternaam", "Geboortedatum",
                    "Geslacht", "Stamgroep", "Leerjaar", "Mentor", "Verzorger 1 Achternaam",
                    "Verzorger 1 Voorletters", "Verzorger 1 E-mailadres",
                    "Verzorger 1 Postcode", "Verzorger 1 Huisnummer", "Verzorger 1 Straat",
                    "Verzorger 1 Plaats"]


def write_somtoday(path: Path, students=STUDENTS, *, delimiter: str = ",") -> Path:
    """A SOMtoday export: UTF-8 with BOM, ISO dates, comma separated."""
    rows = [SOMTODAY_HEADERS]
    for number, first, tv, last, birth, gender, klas, _studie, mentor in students:
        day, month, year = birth.split("-")
        street, house, postcode, city, guardians = GUARDIANS.get(
            number, ("Straat", "1", "1234AA", "Ede", []))
        g = guardians[0] if guardians else ("", "", "", "", "", "", "")
        rows.append([number, first, tv, last, f"{year}-{int(month):02d}-{int(day):02d}",
                     gender, klas, klas[0], mentor, g[0], g[1], g[4],
                     postcode if g[0] else "", house if g[0] else "",
                     street if g[0] else "", city if g[0] else ""])
    path.write_bytes(b"\xef\xbb\xbf" + to_csv(rows, delimiter).encode("utf-8"))
    return path


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def bulk_students(count: int, *, start: int = 1, klas_of=None) -> list[tuple]:
    """``count`` made-up students in classes 1A..6F."""
    klas_of = klas_of or (lambda i: f"{1 + i % 6}{'ABCDEF'[(i // 6) % 6]}")
    return [
        (f"{start + i:06d}", f"Voornaam{i}", "van" if i % 7 == 0 else "", f"Achternaam{i}",
         f"{1 + i % 28}-{1 + i % 12}-{2008 + i % 6}", "MV"[i % 2], klas_of(i),
         f"{klas_of(i)[0]} havo", "JNS")
        for i in range(count)
    ]


def bulk_guardians(students: list[tuple]) -> dict:
    """Two guardians with their own e-mail for each student, every family at its own address."""
    return {
        s[0]: ("Straat", str(i + 1), f"{1000 + i % 8999}AB", "Ede",
               [(s[3], "A.", "", "moeder", f"m{i}@example.nl", "0612345678", "ja"),
                (s[3], "B.", "", "vader", f"v{i}@example.nl", "", "ja")])
        for i, s in enumerate(students)
    }


# a staff export with a department column: a teamleider over two afdelingen (";" inside a
# quoted cell), an afdelingsleider over one, a zorgcoördinator who needs none
STAFF_WITH_DEPARTMENTS = [
    ["Afkorting", "Voornaam", "Tussenvoegsel", "Achternaam", "E-mail", "Functie", "Afdeling"],
    ["JNS", "Jan", "", "Jansen", "jansen@school.nl", "Mentor", ""],
    ["VRS", "Els", "de", "Vries", "devries@school.nl", "Mentor, Afdelingsleider", "Onderbouw"],
    ["PTR", "Piet", "", "Peters", "peters@school.nl", "Mentor/Docent Engels", ""],
    ["BKR", "Anna", "", "Bakker", "bakker@school.nl", "Zorgcoördinator", ""],
    ["HLD", "Hanna", "", "Leider", "leider@school.nl", "Teamleider", "Bovenbouw; Brugklas"],
]

# the afdeling of each class in STUDENTS, spelled as a school's LVS may (letter case varies)
CLASS_DEPARTMENTS = {"1A": "Brugklas", "2B": "Onderbouw", "3C": "bovenbouw"}


def with_column(rows: list[list[str]], header: str, value_of) -> list[list[str]]:
    """``rows`` (header first) with one more column; ``value_of(row)`` gives each cell."""
    return [rows[0] + [header]] + [row + [value_of(row)] for row in rows[1:]]


def magister_with_departments(students=STUDENTS, departments=None, header: str = "Afdeling"
                              ) -> list[list[str]]:
    """A Magister export with the class's afdeling in a column of its own."""
    departments = CLASS_DEPARTMENTS if departments is None else departments
    klas = MAGISTER_HEADERS.index("Klas")
    return with_column(magister_rows(students), header,
                       lambda row: departments.get(row[klas], ""))
