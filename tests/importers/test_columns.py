"""Recognising columns, parsing cell values and finding mentors among the staff."""

from __future__ import annotations

import datetime as dt

import pytest

from pestdesk import i18n
from pestdesk.importers.columns import apply_explicit, guardian_field, suggest_mapping
from pestdesk.importers.mentors import StaffIndex, StaffRef
from pestdesk.importers.staff import _rank as staff_rank
from pestdesk.importers.staff import department_set, parse_departments
from pestdesk.importers.values import (
    derive_leerjaar,
    normalise_postcode,
    number_key,
    parse_date,
    school_year,
    split_street,
)
from tests.helpers.exports import MAGISTER_HEADERS, SOMTODAY_HEADERS


def test_magister_headers_are_recognised():
    mapping = suggest_mapping(MAGISTER_HEADERS)
    f = mapping.fields
    assert f["number"] == "Stamnr" and f["first_name"] == "Roepnaam"
    assert f["tussenvoegsel"] == "Tussenv." and f["birth_date"] == "Geb.datum"
    assert f["class"] == "Klas" and f["leerjaar"] == "Studie"
    assert f["mentor"] == "Klassenmentor 1"
    assert f["guardian1_last_name"] == "Ouder/verzorger 1 achternaam"
    assert f["guardian1_email"] == "Ouder/verzorger 1 e-mail"
    assert f["guardian1_has_authority"] == "Ouder/verzorger 1 gezag"
    assert f["guardian2_initials"] == "Ouder/verzorger 2 voorletters"
    assert mapping.unrecognised == []
    assert mapping.missing() == []


def test_somtoday_headers_are_recognised():
    f = suggest_mapping(SOMTODAY_HEADERS).fields
    assert f["number"] == "Leerlingnummer" and f["tussenvoegsel"] == "Voorvoegsel"
    assert f["class"] == "Stamgroep" and f["mentor"] == "Mentor"
    assert f["guardian1_email"] == "Verzorger 1 E-mailadres"
    assert f["guardian1_city"] == "Verzorger 1 Plaats"


@pytest.mark.parametrize(
    ("header", "field"),
    [("Leerlingnummer", "number"), ("LEERLINGNR", "number"), ("Lln.nr", "number"),
     ("lln nr", "number"), ("Voornaam", "first_name"), ("Voorletters", "initials"),
     ("Voorvoegsel", "tussenvoegsel"), ("Stamklas", "class"), ("Basisgroep", "class"),
     ("Leerjaar", "leerjaar"), ("Mentor", "mentor"), ("Geslacht", "gender"),
     ("Geboortedatum", "birth_date"), ("Afdeling", "department"),
     ("AFDELINGSNAAM", "department"), ("Team", "department"),
     ("Locatie/Afdeling", "department"), ("Bouw", "department"), (" afdeling ", "department")],
)
def test_header_spellings(header, field):
    assert suggest_mapping([header]).fields == {field: header}


def test_department_column_beside_a_magister_export():
    mapping = suggest_mapping(MAGISTER_HEADERS + ["Afdeling"])
    assert mapping.fields["department"] == "Afdeling" and mapping.unrecognised == []


@pytest.mark.parametrize("header", ["Afdeling", "Afdelingen", "Team", "TEAM "])
def test_staff_department_headers(header):
    assert suggest_mapping(["Afkorting", header], staff_rank).fields == {
        "code": "Afkorting", "departments": header}


@pytest.mark.parametrize(
    ("text", "stored"),
    [("Onderbouw", "Onderbouw"), ("Bovenbouw; Brugklas", "Bovenbouw,Brugklas"),
     ("bovenbouw  havo,onderbouw ; ", "bovenbouw havo,onderbouw"),
     ("Onderbouw, ONDERBOUW", "Onderbouw"), ("", ""), (" ; , ", "")],
)
def test_staff_departments_are_split_on_commas_and_semicolons(text, stored):
    assert parse_departments(text) == stored


def test_department_sets_compare_without_case():
    assert department_set("Bovenbouw,Brugklas") == department_set("brugklas, BOVENBOUW")
    assert department_set("") == frozenset()


@pytest.mark.parametrize(
    ("header", "field"),
    [("Verzorger 1 achternaam", "guardian1_last_name"),
     ("Ouder 1 Postcode", "guardian1_postcode"),
     ("Ouder/verzorger 2 telefoon", "guardian2_phone"),
     ("Achternaam ouder 2", "guardian2_last_name"),
     ("Ouder 1 Gezag", "guardian1_has_authority"), ("Klassenmentor 1", None)],
)
def test_guardian_headers(header, field):
    assert guardian_field(header) == field


def test_roepnaam_wins_over_voornaam_and_the_other_is_reported():
    mapping = suggest_mapping(["Voornaam", "Roepnaam", "Opmerking"])
    assert mapping.fields == {"first_name": "Roepnaam"}
    assert sorted(mapping.unrecognised) == ["Opmerking", "Voornaam"]


def test_explicit_mapping_overrides_and_switches_off():
    headers = ["Nr", "Roepnaam", "Voornamen", "Achternaam", "Groep", "Mentor"]
    mapping, problems = apply_explicit(
        suggest_mapping(headers), {"number": "Nr", "first_name": "Voornamen", "mentor": None},
        headers)
    assert problems == []
    assert mapping.fields["number"] == "Nr"
    assert mapping.fields["first_name"] == "Voornamen"
    assert "mentor" not in mapping.fields
    assert "Roepnaam" in mapping.unrecognised and "Mentor" in mapping.unrecognised


def test_saved_mapping_naming_a_missing_header_is_a_problem():
    _mapping, problems = apply_explicit(suggest_mapping(["Stamnr"]), {"class": "Klas 2025"},
                                        ["Stamnr"])
    assert problems[0].column == "Klas 2025"


@pytest.mark.parametrize(
    ("texts", "year"),
    [(("2 havo",), 2), (("h2",), 2), (("",  "2B"), 2), (("", "V4a"), 4), (("havo 5",), 5),
     (("", "ISK"), 0), (("2024",  "3C"), 3)],
)
def test_leerjaar_is_derived(texts, year):
    assert derive_leerjaar(*texts) == year


@pytest.mark.parametrize(
    ("text", "date"),
    [("03-07-2012", dt.date(2012, 7, 3)), ("3-7-2012", dt.date(2012, 7, 3)),
     ("3/7/2012", dt.date(2012, 7, 3)), ("2012-07-03", dt.date(2012, 7, 3)),
     ("2012-07-03 00:00:00", dt.date(2012, 7, 3)), ("29-2-2012", dt.date(2012, 2, 29)),
     ("", None)],
)
def test_dates(text, date):
    assert parse_date(text) == date


@pytest.mark.parametrize("text", ["31-02-2012", "29-2-2011", "3-7-12", "juli 2012", "2012-13-01"])
def test_bad_dates_raise_a_readable_message(text):
    i18n.set_language("en")
    with pytest.raises(ValueError) as info:
        parse_date(text)
    assert text in str(info.value)


def test_small_value_helpers():
    assert number_key("004512") == number_key("4512") == "4512"
    assert number_key("ab12") == "AB12"
    assert split_street("Dorpsstraat 12a", "") == ("Dorpsstraat", "12a")
    assert split_street("Dorpsstraat", "12") == ("Dorpsstraat", "12")
    assert normalise_postcode("1234ab") == "1234 AB"
    assert normalise_postcode("B-2000") == "B-2000"
    assert school_year(dt.date(2026, 7, 31)) == "2025-2026"
    assert school_year(dt.date(2026, 8, 1)) == "2026-2027"


STAFF = [StaffRef(1, "JNS", "Jan", "", "Jansen"), StaffRef(2, "VRS", "Els", "de", "Vries"),
         StaffRef(3, "VRM", "Mark", "de", "Vries"), StaffRef(4, "PTR", "Piet", "", "Peters")]


@pytest.mark.parametrize(
    ("text", "ids", "unknown"),
    [("JNS", [1], []), ("jns", [1], []), ("Jansen", [1], []), ("J. Jansen", [1], []),
     ("Jan Jansen", [1], []), ("Jansen, J.", [1], []), ("E. de Vries", [2], []),
     ("Vries, E. de", [2], []), ("de Vries (VRM)", [3], []), ("JNS/PTR", [1, 4], []),
     ("JNS, PTR", [1, 4], []), ("Jansen en Peters", [1, 4], []),
     ("de Vries", [], ["de Vries"]), ("Smit", [], ["Smit"]), ("", [], [])],
)
def test_mentor_resolution(text, ids, unknown):
    assert StaffIndex(STAFF).resolve(text) == (ids, unknown)
