"""Field lengths: one table of limits (services.lengths), applied by every save, every import
and the GUI's line edits."""

from __future__ import annotations

import datetime as dt

import pytest

from pestdesk import clock
from pestdesk.services import cases, lengths, people, settings
from pestdesk.services.base import SYSTEM, create, write
from pestdesk.services.staff import StaffForm, save_staff
from pestdesk.store.models import AuditLog, Case, Staff, Student


def test_a_hundred_thousand_character_first_name_is_refused(db):
    before = AuditLog.select().count()
    with pytest.raises(lengths.TooLong) as info:
        save_staff(SYSTEM, StaffForm(code="JNS", first_name="A" * 100_000, last_name="Jansen"))
    assert info.value.problems.keys() == {"first_name"}
    message = str(info.value)  # quotes the text's start, its length and the limit
    assert message.startswith("De tekst \"AAAAAAAAAAAAAAAAAAAAAAAA…\" is 100.000 tekens lang")
    assert "hoogstens 100 " in message
    assert Staff.select().count() == 0 and AuditLog.select().count() == before


def test_an_edit_is_checked_as_a_new_record_is(db):
    staff = save_staff(SYSTEM, StaffForm(code="JNS", first_name="Jan", last_name="Jansen"))
    with pytest.raises(lengths.TooLong):
        save_staff(SYSTEM, StaffForm(code="JNS", first_name="Jan", last_name="J" * 101,
                                     id=staff.id, version=staff.version))
    assert Staff.get_by_id(staff.id).last_name == "Jansen"


def test_exactly_the_limit_is_accepted(db):
    staff = save_staff(SYSTEM, StaffForm(code="JNS", first_name="A" * 100, last_name="B"))
    assert len(staff.first_name) == 100


def test_a_report_summary_and_a_note_are_checked(db):
    with write():
        student = create(SYSTEM, Student, number="1", first_name="Zoë", last_name="Meer",
                         sort_name="meer, zoe")
    clock.set_today(dt.date(2026, 11, 24))
    try:
        report = cases.ReportInput(reported_on=dt.date(2026, 11, 23), summary="x" * 201,
                                   involved=(cases.InvolvedInput(student.id, "gepeste"),))
        with pytest.raises(lengths.TooLong):
            cases.register_report(SYSTEM, report)
        assert Case.select().count() == 0
        case = cases.register_report(SYSTEM, cases.ReportInput(
            reported_on=dt.date(2026, 11, 23), summary="Uitgescholden",
            involved=(cases.InvolvedInput(student.id, "gepeste"),)))
        with pytest.raises(lengths.TooLong):
            cases.add_note(SYSTEM, case.id, "n" * 10_001)
    finally:
        clock.set_today(None)


def test_a_setting_has_a_bound_too(db):
    with pytest.raises(lengths.TooLong):
        settings.set_value(SYSTEM, "iets", "x" * 60_000)


def test_an_import_names_the_row_and_column_of_a_too_long_text(db, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("Stamnr;Roepnaam;Achternaam;Klas\n1;Zoë;Meer;1A\n2;" + "B" * 101
                    + ";Bos;1A\n", encoding="utf-8")
    result = people.import_students(SYSTEM, path)
    assert not result.ok
    assert [(p.row, p.column) for p in result.problems] == [(3, "Roepnaam")]
    assert Student.select().count() == 0


def test_every_listed_field_is_a_text_column_of_some_table():
    from peewee import CharField, TextField

    from pestdesk.store.models import ALL_MODELS

    texts = {(m._meta.table_name, f.name) for m in ALL_MODELS for f in m._meta.sorted_fields
             if isinstance(f, CharField | TextField)}
    names = {field for _table, field in texts}
    assert set(lengths.BY_FIELD) <= names
    assert set(lengths.BY_TABLE) <= texts
    assert not {table for table, _field in lengths.IN_SETTINGS} & {t for t, _f in texts}


def test_the_school_profile_and_a_free_period_are_checked_field_by_field(db):
    from pestdesk.services import accounts, calendar

    accounts.set_up(settings.SchoolProfile(name="Testschool"), "Bea", "Heer", "BH", "beheer",
                    "Lange-Zomer-Vakantie-2026")
    actor = accounts.sign_in("beheer", "Lange-Zomer-Vakantie-2026")
    with pytest.raises(lengths.TooLong):
        settings.save_school_profile(actor, settings.SchoolProfile(name="S" * 201))
    assert settings.school_profile().name == "Testschool"
    day = dt.date(2027, 10, 18)
    with pytest.raises(lengths.TooLong):
        calendar.add_period(actor, day, day, "herfst" * 20)
