"""The demo school: realistic shape, reproducible from its seed."""

from __future__ import annotations

import datetime as dt

from pestdesk.services.demo import DEMO_PASSWORD, generate_demo
from pestdesk.store import models as m
from pestdesk.store.db import create_database

TODAY = dt.date(2026, 11, 24)


def snapshot():
    return (
        [(s.number, s.first_name, s.tussenvoegsel, s.last_name)
         for s in m.Student.select().order_by(m.Student.id)],
        [(c.number, c.stage_code, c.status) for c in m.Case.select().order_by(m.Case.id)],
    )


def test_demo_is_reproducible(tmp_path):
    db = create_database(tmp_path / "a.sqlite")
    generate_demo(students=80, years=2, seed=5, today=TODAY)
    first = snapshot()
    db.close()
    db = create_database(tmp_path / "b.sqlite")
    generate_demo(students=80, years=2, seed=5, today=TODAY)
    assert snapshot() == first
    db.close()
    db = create_database(tmp_path / "c.sqlite")
    generate_demo(students=80, years=2, seed=6, today=TODAY)
    assert snapshot() != first
    db.close()


def test_demo_school_shape(db):
    counts = generate_demo(students=300, years=3, seed=1, today=TODAY)
    assert counts["students"] == 300
    assert m.Student.select().where(m.Student.left_on.is_null()).count() == 300
    assert m.Student.select().where(m.Student.left_on.is_null(False)).count() > 0
    names = [s.last_name + s.first_name for s in m.Student.select()]
    assert any(ch in "".join(names) for ch in "ëïéöüçş")
    assert m.Student.select().where(m.Student.tussenvoegsel != "").count() > 30
    years = {c.leerjaar for c in m.SchoolClass.select()}
    assert years == {1, 2, 3, 4, 5, 6}
    assert m.ClassMentor.select().count() >= m.SchoolClass.select().count()
    roles = ",".join(s.roles for s in m.Staff.select())
    for role in ("mentor", "afdelingscoordinator", "ondersteuningscoordinator",
                 "vertrouwenspersoon", "directie", "vakdocent", "beheerder"):
        assert role in roles
    # guardians: some students have two, some of those at different addresses
    from peewee import fn

    two = (m.StudentGuardian.select(m.StudentGuardian.student)
           .group_by(m.StudentGuardian.student).having(fn.COUNT(m.StudentGuardian.id) == 2))
    assert two.count() > 50
    split = 0
    for link in two:
        addresses = {(g.guardian.postcode, g.guardian.house_number)
                     for g in m.StudentGuardian.select().where(
                         m.StudentGuardian.student == link.student)}
        split += len(addresses) == 2
    assert split > 5
    stages = {c.stage_code for c in m.Case.select(m.Case.stage_code)}
    assert {"mentor", "afdelingscoordinator", "contract", "schorsing_1_dag"} <= stages
    assert m.Case.select().where(m.Case.status == "open").count() > 0
    assert m.Case.select().where(m.Case.status == "closed").count() > 0
    assert m.Event.select().count() > 8 * counts["cases"]
    assert m.Contract.select().count() > 0 and m.Sanction.select().count() > 0
    assert m.Meeting.select().count() > 0 and m.AgendaItem.select().count() > 0
    assert m.Case.select().where(m.Case.is_cyber == True).count() > 0  # noqa: E712
    assert m.Involvement.select().where(m.Involvement.relapse_of.is_null(False)).count() > 0


def test_demo_coordinators_look_after_a_department(db):
    generate_demo(students=100, years=1, seed=1, today=TODAY)
    coordinators = m.Staff.select().where(m.Staff.roles.contains("afdelingscoordinator"))
    departments = {s.departments for s in coordinators}
    assert departments == {"Onderbouw", "Bovenbouw"}
    known = {c.department for c in m.SchoolClass.select()}
    assert departments <= known


def test_demo_has_a_user_for_every_kind_of_work(db):
    from pestdesk.services import accounts

    generate_demo(students=60, years=1, seed=1, today=TODAY)
    roles = {}
    for name in ("zorg", "mentor", "afdeling", "vertrouwen", "directie", "beheer"):
        roles[name] = accounts.sign_in(name, DEMO_PASSWORD).roles
    assert "ondersteuningscoordinator" in roles["zorg"]
    assert "mentor" in roles["mentor"]
    assert "afdelingscoordinator" in roles["afdeling"]
    assert "vertrouwenspersoon" in roles["vertrouwen"]
    assert "directie" in roles["directie"]
    assert "beheerder" in roles["beheer"]


def test_every_demo_record_passes_the_validation_of_an_edit(db):
    """The demo is data a user could have entered: each case's report passes the same
    check an edit of it goes through (cases.update_case), closed cases included."""
    from pestdesk import clock
    from pestdesk.services import cases

    generate_demo(students=300, years=3, seed=1, today=TODAY)
    clock.set_today(TODAY)
    try:
        found = {}
        for case in m.Case.select():
            problems = cases.validate_report(cases.report_of(case))
            if problems:
                found[case.number] = problems
    finally:
        clock.set_today(None)
    assert m.Case.select().count() > 50
    assert not found, list(found.items())[:5]


def test_every_demo_text_fits_its_field(db):
    """Every stored text of the demo is within services.lengths, as a user's save is."""
    from pestdesk.services import lengths
    from pestdesk.store.models import ALL_MODELS

    generate_demo(students=300, years=3, seed=1, today=TODAY)
    found = []
    for model in ALL_MODELS:
        table = model._meta.table_name
        for row in model.select().dicts().iterator():
            found += [(table, row.get("id"), field)
                      for field in lengths.problems(table, row)]
    assert not found, found[:5]


def test_demo_shows_every_feature_with_believable_dates(db):
    import hashlib
    import io

    from pypdf import PdfReader

    generate_demo(students=200, years=2, seed=3, today=TODAY)
    letters = list(m.Letter.select())
    assert letters and all(letter.pdf for letter in letters)  # each opens as it was sent
    for letter in letters[:3]:
        assert hashlib.sha256(letter.pdf).hexdigest() == letter.sha256
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(letter.pdf)).pages)
        assert letter.recipient.split()[-1] in text
    evidence = list(m.Attachment.select())
    assert evidence and all(a.case.is_cyber and a.data.startswith(b"%PDF") for a in evidence)
    assert m.Action.select().where(m.Action.agenda_item.is_null(False)).count() > 0
    assert m.AgendaItem.select().where(m.AgendaItem.decision != "").count() > 0
    assert m.Consent.select().count() > 0
    created = {c.created_at.date() for c in m.Case.select()}
    assert len(created) > 50 and max(created) <= TODAY  # not all 'today'
    assert all(c.created_at.date() in (c.reported_on, c.reported_on - dt.timedelta(days=1))
               for c in m.Case.select().limit(50))  # UTC can be the evening before
    start = dt.date(2026, 8, 20)  # the demo's school year
    for leerjaar in (1, 2):
        entered = start.replace(year=start.year - (leerjaar - 1))
        early = (m.Involvement.select().join(m.Case).switch(m.Involvement).join(m.Student)
                 .join(m.SchoolClass).where((m.SchoolClass.leerjaar == leerjaar)
                                            & (m.Case.reported_on < entered)))
        assert early.count() == 0, f"leerjaar {leerjaar} has cases from before they came"
    descriptions = {a.description for a in m.Agreement.select()}
    assert len(descriptions) > 20  # not one text for every agreement
