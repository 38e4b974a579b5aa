"""The name detector: the ways a Dutch name is written, accents, possessives, and names that
are also ordinary words."""

from __future__ import annotations

import pytest

from pestdesk.domain.names import NameIndex, Person, fold

PEOPLE = [
    Person("s:1", "Jan", "Vries", "de", "J.P.", "004512"),
    Person("s:2", "Ayoub", "Amrani", "el"),
    Person("s:3", "Roos", "Meer", "van der"),
    Person("g:4", "Fatma", "Yılmaz"),
    Person("s:5", "Zoë", "Çelik-van den Brûle"),
    Person("s:6", "Daan", "de Groot"),  # tussenvoegsel typed into the last name
    Person("s:7", "Thomas", "Veld", "in 't"),
]


@pytest.fixture(scope="module")
def index():
    return NameIndex(PEOPLE)


def found(index, text, strict=True):
    return [(h.text, sorted(h.keys)) for h in index.find(text, strict=strict)]


@pytest.mark.parametrize("text", [
    "Jan de Vries", "JAN DE VRIES", "De Vries", "de Vries", "Vries, de",
    "Vries, Jan de", "de Vries, Jan", "J. de Vries", "J.P. de Vries", "JP de Vries",
    "de Vries, J.", "Jan", "004512", "4512",
])
def test_the_ways_of_writing_one_name(index, text):
    assert found(index, f"Gisteren zag {text} het.") == [(text.rstrip("."), ["s:1"])]


@pytest.mark.parametrize("text, name", [
    ("Ayoubs fiets", "Ayoubs"), ("Ayoub's fiets", "Ayoub's"), ("Ayoub’s fiets", "Ayoub’s"),
    ("De Vries' tas", "De Vries"), ("Thomas' tas", "Thomas"), ("El Amrani's jas", "El Amrani's"),
])
def test_possessives(index, text, name):
    assert [h.text for h in index.find(text)] == [name]


def test_case_does_not_matter_for_a_name_that_is_no_word(index):
    assert found(index, "ayoub el amrani en AYOUB") == [("ayoub el amrani", ["s:2"]),
                                                         ("AYOUB", ["s:2"])]


def test_accents_either_way(index):
    assert found(index, "Yilmaz belde") == [("Yilmaz", ["g:4"])]
    assert found(index, "zoe en ZOË Celik") == [("zoe", ["s:5"]), ("ZOË Celik", ["s:5"])]
    assert found(index, "Brûle's tas") == [("Brûle's", ["s:5"])]
    assert fold("Çağla Öztürk") == "cagla ozturk"


def test_tussenvoegsel_with_apostrophe(index):
    assert found(index, "Thomas in 't Veld en In ’t Veld") == [
        ("Thomas in 't Veld", ["s:7"]), ("In ’t Veld", ["s:7"])]


def test_names_that_are_words_count_only_with_a_capital(index):
    text = "Dat is meer dan eens gebeurd, een groot probleem."
    assert found(index, text) == []
    assert found(index, "Toen huilde Roos en kwam Van der Meer erbij.") == [
        ("Roos", ["s:3"]), ("Van der Meer", ["s:3"])]
    assert found(index, "de Groot en Daan de Groot") == [
        ("de Groot", ["s:6"]), ("Daan de Groot", ["s:6"])]


def test_a_word_at_the_start_of_a_sentence_counts_only_when_strict(index):
    text = "Meer dan eens. Roos huilde."
    assert found(index, text, strict=False) == []
    assert [h.text for h in index.find(text, strict=True)] == ["Meer", "Roos"]
    # a name that is no ordinary word counts everywhere
    assert found(index, "Daan huilde.", strict=False) == [("Daan", ["s:6"])]


def test_short_numbers_and_parts_of_words_are_no_names(index):
    assert found(index, "In 2024 kreeg klas 4512b 45120 punten; Jansen, Janneke") == []
    assert found(index, "de, van der, J.") == []


def test_a_shared_name_gives_every_person_it_may_be():
    index = NameIndex([Person("s:1", "Daan", "Bakker"), Person("s:2", "Daan", "Smit")])
    assert found(index, "Daan en Daan Smit") == [("Daan", ["s:1", "s:2"]),
                                                 ("Daan Smit", ["s:2"])]


def test_redact_replaces_what_the_caller_labels(index):
    text = "Jan de Vries pestte Ayoubs broer; Fatma Yılmaz belde."
    out = index.redact(text, lambda hit: None if "s:1" in hit.keys else "[X]")
    assert out == "Jan de Vries pestte [X] broer; [X] belde."
