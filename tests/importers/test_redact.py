"""Replacing other children by their role in free text."""

from __future__ import annotations

from pestdesk.importers.redact import OtherStudent, Redactor

DAAN = OtherStudent("004513", "Daan", "de", "Vries", "D.")
SEM = OtherStudent("004515", "Sem", "van 't", "Hek")


def redact(text: str) -> str:
    return Redactor([(DAAN, "pester 1"), (SEM, "getuige 1")])(text)


def test_full_names_before_parts_and_any_case():
    assert redact("Daan de Vries en DAAN; Vries, Daan de.") == \
        "pester 1 en pester 1; pester 1."
    assert redact("Sem van 't Hek zag het") == "getuige 1 zag het"


def test_numbers_with_and_without_leading_zeros():
    assert redact("lln 004513 / 4513") == "lln pester 1 / pester 1"


def test_words_that_only_contain_a_name_are_kept():
    assert redact("Daantje en Semester, 17 november") == "Daantje en Semester, 17 november"


def test_short_numbers_are_not_scrubbed_from_dates():
    short = Redactor([(OtherStudent("17", "Kim", "", "Jansen"), "pester 1")])
    assert short("op 17 november sprak Kim") == "op 17 november sprak pester 1"


def test_nothing_to_hide():
    assert Redactor([])("Daan") == "Daan"
    assert redact("") == "" and redact(None) == ""
