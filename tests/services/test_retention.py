"""Bewaartermijn: who is past the period, what goes with them, what stays, and that the
deleted text is gone from the file itself."""

from __future__ import annotations

import datetime as dt

import pytest

from pestdesk.services import retention
from pestdesk.services.base import SYSTEM, Actor, ServiceError, create, write
from pestdesk.store import models as m

TODAY = dt.date(2026, 9, 1)
LONG_AGO = dt.date(2024, 7, 1)  # more than 2 years before TODAY
RECENT = dt.date(2025, 7, 1)


def student(number, left_on=None, name="Sem"):
    return create(SYSTEM, m.Student, number=number, first_name=name, last_name="Jansen",
                  left_on=left_on)


def case(number, *students, text="", status="closed"):
    c = create(SYSTEM, m.Case, number=number, reported_on=dt.date(2023, 1, 10),
               description=text, status=status)
    for s in students:
        inv = create(SYSTEM, m.Involvement, case=c, student=s, role="gepeste")
        create(SYSTEM, m.Event, case=c, involvement=inv, kind="gesprek",
               occurred_on=dt.date(2023, 1, 11), body=f"gesprek {text}")
    return c


@pytest.fixture
def school(db):
    with write():
        old = student("900001", LONG_AGO, name="Oudleerling")
        old2 = student("2", LONG_AGO)
        young = student("3", RECENT)
        staying = student("4")
        only_old = case("2023-001", old, old2, text="GEHEIMVERHAAL")
        mixed = case("2023-002", old, staying, text="gemengd")
        case("2023-003", young)
        m.Attachment.create(case=only_old, filename="x.png", data=b"GEHEIMBLOB" * 50,
                            sha256="0")
        m.Letter.create(case=only_old, student=old, template_code="t", recipient="ouders")
        shared_parent = create(SYSTEM, m.Guardian, last_name="Gedeeld")
        own_parent = create(SYSTEM, m.Guardian, last_name="Alleen")
        for s, g in ((old, shared_parent), (staying, shared_parent), (old, own_parent)):
            create(SYSTEM, m.StudentGuardian, student=s, guardian=g)
    return {"old": old, "old2": old2, "young": young, "staying": staying,
            "only_old": only_old, "mixed": mixed, "shared": shared_parent, "own": own_parent}


def test_plan_lists_students_cases_and_guardians_past_the_period(school):
    plan = retention.due_for_deletion(TODAY)
    assert plan.cutoff == dt.date(2024, 9, 1)
    assert plan.student_ids == [school["old"].id, school["old2"].id]
    assert plan.case_ids == [school["only_old"].id]
    assert plan.guardian_ids == [school["own"].id]
    assert retention.due_for_deletion(TODAY, years=5).empty


def test_purge_removes_everything_about_them_and_keeps_the_rest(school, db_path):
    result = retention.purge(SYSTEM, TODAY)
    assert result.deleted["students"] == 2 and result.deleted["cases"] == 1
    assert result.deleted["guardians"] == 1 and result.deleted["attachments"] == 1
    assert result.deleted["letters"] == 1 and result.compacted
    assert not m.Student.select().where(m.Student.id.in_([school["old"].id])).exists()
    mixed = m.Case.get_by_id(school["mixed"].id)
    assert [i.student_id for i in mixed.involvements] == [school["staying"].id]
    assert mixed.events.count() == 1  # the removed student's conversation went too
    assert m.Guardian.get_or_none(m.Guardian.id == school["shared"].id) is not None
    line = m.AuditLog.select().where(m.AuditLog.action == "retention_purge").get()
    assert "students=2" in line.detail and "Oudleerling" not in line.detail
    m.database.obj.close()
    files = [db_path, db_path.with_name(db_path.name + "-wal")]
    raw = b"".join(f.read_bytes() for f in files if f.exists())
    for secret in (b"GEHEIMVERHAAL", b"GEHEIMBLOB", b"Oudleerling"):
        assert secret not in raw


def test_purge_limited_to_confirmed_students(school):
    retention.purge(SYSTEM, TODAY, [school["old2"].id], vacuum=False)
    assert m.Student.get_or_none(m.Student.id == school["old"].id) is not None
    assert m.Student.get_or_none(m.Student.id == school["old2"].id) is None
    # the case still has a student within reach of the plan: it stays
    assert m.Case.get_or_none(m.Case.id == school["only_old"].id) is not None


def test_purge_needs_an_administrator(school):
    with pytest.raises(ServiceError):
        retention.purge(Actor(3, "mentor", roles=frozenset({"mentor"})), TODAY)
    assert m.Student.select().count() == 4


def test_retention_period_is_a_setting(school):
    retention.set_retention_years(SYSTEM, 1)
    plan = retention.due_for_deletion(TODAY)
    assert school["young"].id in plan.student_ids
    with pytest.raises(ServiceError):
        retention.set_retention_years(SYSTEM, 0)


def test_leap_day_cutoff():
    assert retention.cutoff_for(dt.date(2028, 2, 29), 2) == dt.date(2026, 2, 28)


def test_list_query_pages_the_due_students(school):
    q = retention.RetentionList(filters={"cutoff": retention.due_for_deletion(TODAY).cutoff},
                                actor=SYSTEM)
    assert q.count() == 2
    rows = q.page(0, 10)
    assert {r[0] for r in rows} == {school["old"].id, school["old2"].id}
    assert {r[4] for r in rows} == {1, 2}


# --- what stays after a purge holds no trace of the child ------------------------------------


def _everything_beside(db_path):
    """The bytes of the database and every file pestdesk keeps beside it (not the backups)."""
    m.database.obj.close()
    return {p.name: p.read_bytes() for p in db_path.parent.iterdir() if p.is_file()}


@pytest.fixture
def mentioned(school):
    """The removed student named in every kind of text of the case that stays and of an
    unrelated case, in the ways people write a name."""
    from pestdesk.services.base import save_versioned

    mixed, staying = school["mixed"], school["staying"]
    with write():
        save_versioned(SYSTEM, mixed, mixed.version,
                       summary="Oudleerling pest Sem",
                       description="Oudleerling Jansen (900001) en Sem; Oudleerlings tas.")
        staying_inv = m.Involvement.get(m.Involvement.case == mixed,
                                        m.Involvement.student == staying)
        create(SYSTEM, m.Event, case=mixed, involvement=staying_inv, kind="gesprek",
               occurred_on=dt.date(2023, 2, 1), title="Gesprek over Oudleerling",
               body="Sem vertelt dat O. Jansen hem uitscheldt.",
               data='{"wie": "Oudleerling Jansen"}')
        meeting = create(SYSTEM, m.Meeting, kind="IZO", starts_at=dt.datetime(2023, 3, 1, 9),
                         notes="Oudleerling besproken")
        create(SYSTEM, m.AgendaItem, meeting=meeting, case=mixed,
               question="Hoe verder met Oudleerling Jansen?", minutes="900001 schorsen?")
        create(SYSTEM, m.Action, case=mixed, description="Bel de ouders van Oudleerling")
        create(SYSTEM, m.Agreement, case=mixed, description="Sem en Oudleerling apart zetten")
        m.Letter.create(case=mixed, student=staying, template_code="t", recipient="ouders",
                        merge_data='{"case": {"omschrijving": "Oudleerling pestte"}}',
                        pdf=b"%PDF-oud", sha256="x")
        other = case("2024-009", school["young"], text="Ook Oudleerling Jansen deed mee.")
    return {"meeting": meeting, "other": other}


def test_purge_scrubs_the_child_from_every_text_that_stays(school, mentioned, db_path):
    result = retention.purge(SYSTEM, TODAY)
    assert result.scrubbed >= 7
    mixed = m.Case.get_by_id(school["mixed"].id)
    assert mixed.summary == "[verwijderde leerling] pest Sem"
    assert mixed.description == ("[verwijderde leerling] ([verwijderde leerling]) en Sem; "
                                 "[verwijderde leerling] tas.")
    event = m.Event.get(m.Event.title.startswith("Gesprek over"))
    assert event.body == "Sem vertelt dat [verwijderde leerling] hem uitscheldt."
    assert event.data == '{"wie": "[verwijderde leerling]"}'
    item = m.AgendaItem.get()
    assert "Oudleerling" not in item.question and "900001" not in item.minutes
    letter = m.Letter.get(m.Letter.case == mixed)
    assert letter.pdf is None and "Oudleerling" not in letter.merge_data
    assert "[verwijderde leerling]" in m.Case.get_by_id(mentioned["other"].id).description
    assert m.Meeting.get_by_id(mentioned["meeting"].id).notes == \
        "[verwijderde leerling] besproken"
    # nothing of the child in the database's bytes or any file beside it
    for name, raw in _everything_beside(db_path).items():
        for secret in (b"Oudleerling", b"900001"):
            assert secret not in raw, (name, secret)


def test_a_name_that_may_be_a_student_still_in_the_case_stays(db):
    with write():
        gone = student("900002", LONG_AGO, name="Sem")
        gone.last_name = "Bakker"
        gone.save()
        stays = student("900003", None, name="Sem")
        c = case("2023-010", gone, stays, text="Sem Bakker en Sem Jansen; Sem huilde.")
    retention.purge(SYSTEM, TODAY)
    assert m.Case.get_by_id(c.id).description == \
        "[verwijderde leerling] en Sem Jansen; Sem huilde."


def test_a_student_in_an_open_case_waits(db):
    with write():
        waits = student("900004", LONG_AGO, name="Wachter")
        goes = student("900005", LONG_AGO, name="Vertrekker")
        open_case = case("2023-011", waits, status="open")
        case("2023-012", goes)
    plan = retention.due_for_deletion(TODAY)
    assert plan.student_ids == [goes.id]
    assert [(w.student_id, w.open_cases) for w in plan.waiting] == [(waits.id, ("2023-011",))]
    q = retention.RetentionList(filters={"cutoff": plan.cutoff}, actor=SYSTEM)
    assert q.count() == 1
    retention.purge(SYSTEM, TODAY)
    assert m.Student.get_or_none(m.Student.id == waits.id) is not None
    assert m.Case.get_or_none(m.Case.id == open_case.id) is not None
    with write():
        from pestdesk.services.base import save_versioned

        save_versioned(SYSTEM, open_case, open_case.version, status="closed")
    assert retention.due_for_deletion(TODAY).student_ids == [waits.id]


def test_a_confirmed_list_naming_a_waiting_student_still_keeps_them(db):
    """The screen's confirmed list goes through the same plan: a student in an open case
    waits even when the caller names them."""
    with write():
        waits = student("900006", LONG_AGO, name="Wachter")
        case("2023-013", waits, status="open")
    retention.purge(SYSTEM, TODAY, student_ids=[waits.id])
    assert m.Student.get_or_none(m.Student.id == waits.id) is not None
    assert m.Involvement.select().where(m.Involvement.student == waits.id).count() == 1


def test_who_waits_is_said_within_what_the_reader_may_see(db):
    """The waiting lines show a name only to who may open the student's card and a case
    number only to who may see the case (``services.access``), never more."""
    with write():
        waits = student("900007", LONG_AGO, name="Wachter")
        case("2023-014", waits, status="open")
        case("2023-015", waits, status="open")
        klass = create(SYSTEM, m.SchoolClass, name="2B", leerjaar=2)
        teacher = create(SYSTEM, m.Staff, code="MEN", last_name="Mentor", roles="mentor")
        create(SYSTEM, m.ClassMentor, staff=teacher, school_class=klass)
    plan = retention.due_for_deletion(TODAY)
    coordinator = Actor(user_id=1, username="zorg", roles=frozenset({"ondersteuningscoordinator"}))
    seen = "\n".join(retention.waiting_lines(plan, coordinator))
    assert "Wachter Jansen (900007)" in seen and "2023-014, 2023-015" in seen
    admin = Actor(user_id=2, username="it", roles=frozenset({"beheerder"}))
    seen = "\n".join(retention.waiting_lines(plan, admin))
    assert "Wachter Jansen (900007)" in seen  # the student register is the beheerder's
    assert "2023-014" not in seen and "2 open meldingen" in seen  # the cases are not
    mentor = Actor(user_id=3, username="men", staff_id=teacher.id, roles=frozenset({"mentor"}))
    seen = "\n".join(retention.waiting_lines(plan, mentor))
    assert "Wachter" not in seen and "2023-01" not in seen and "leerling 900007" in seen
    terminal = "\n".join(retention.waiting_lines(plan, SYSTEM, with_names=False))
    assert "Wachter" not in terminal and "2023-014, 2023-015" in terminal


@pytest.mark.sqlite_only  # copies are files beside a SQLite database
def test_purge_removes_old_and_holding_copies_beside_the_database(school, db_path):
    from pestdesk.services import backups
    from pestdesk.store.db import backup_to

    old_copy = db_path.with_name(f"{db_path.stem}.before-restore-20200101-120000"
                                 f"{db_path.suffix}")
    recent_copy = db_path.with_name(f"{db_path.stem}.schema2-"
                                    f"{TODAY:%Y%m%d}-080000.backup{db_path.suffix}")
    unrelated = db_path.with_name("notes.txt")
    for target in (old_copy, recent_copy):
        backup_to(db_path, target)
    unrelated.write_text("not ours")
    assert [c.path for c in backups.beside_copies(db_path)] == [old_copy, recent_copy]
    hold = retention.backup_hold(TODAY)
    assert hold is not None and len(hold.copies) == 2
    result = retention.purge(SYSTEM, TODAY)
    assert sorted(result.removed_copies) == sorted([old_copy, recent_copy])
    assert not old_copy.exists() and not recent_copy.exists() and unrelated.exists()
    for name, raw in _everything_beside(db_path).items():
        assert b"Oudleerling" not in raw, name


@pytest.mark.sqlite_only  # copies are files beside a SQLite database
def test_an_old_copy_goes_even_when_no_student_is_due(db, db_path):
    from pestdesk.store.db import backup_to

    old_copy = db_path.with_name(f"{db_path.stem}.before-restore-20200101-120000"
                                 f"{db_path.suffix}")
    backup_to(db_path, old_copy)
    result = retention.purge(SYSTEM, TODAY)
    assert result.removed_copies == [old_copy] and not old_copy.exists()


def test_purge_finds_the_child_in_stored_json_and_in_evidence_files(db, db_path):
    """The child is named where a user typed them through the services: a hearing's
    participants and schoolwork (kept as JSON in the timeline, where "Zoë" may be stored as
    "Zo\\u00eb"), and a piece of evidence named after them whose text names them. After the
    purge the other hand (tests/helpers/leakcheck.py) finds them in no byte of the database
    or of any file beside it."""
    from pestdesk.domain.sanctions import Hearing
    from pestdesk.services import cases, sanctions
    from tests.helpers.casework import make_case
    from tests.helpers.leakcheck import database_leaks, files_beside, who_of

    setup = make_case()
    with write():
        gone = create(SYSTEM, m.Student, number="770012", first_name="Zoë",
                      last_name="Çelik-van den Brûle", left_on=LONG_AGO)
    name = "Zoë Çelik-van den Brûle"
    sanctions.decide_suspension(
        setup.actor, setup.case_id, setup.pester_id, first_day=dt.date(2026, 10, 13),
        decided_on=dt.date(2026, 10, 12), school_days=1, reason="Bedreiging",
        decided_by=setup.staff_id,
        hearing=Hearing(dt.date(2026, 10, 12), (f"{name} (getuige)", "ouders"), "Gehoord."),
        consultation=sanctions.Consultation(dt.date(2026, 10, 12), "adjunct-directeur"),
        schoolwork=f"Samen met {name}", move_reason="Ernstige bedreiging")
    evidence = cases.add_attachment(
        setup.actor, setup.case_id, "chat Zoë Çelik.txt",
        f"18:02 {name}: jij bent zo dom\n18:03 Bram: haha\n".encode(), "text/plain",
        "Chat uit de klassengroep")
    who = who_of(gone)
    retention.purge(SYSTEM, dt.date(2027, 1, 10), student_ids=[gone.id])
    kept = m.Attachment.get_by_id(evidence.id)
    assert kept.data is None and "Zoë" not in kept.filename
    m.database.obj.close()
    assert database_leaks(files_beside(db_path), [who]) == []


# --- every column people write free text into (services.names.FREE_TEXT) -----------------

#: text columns that are not free text about a case, and why the export and the purge may
#: leave them alone; a new text column goes here or into names.FREE_TEXT
NOT_FREE_TEXT = {
    "school": ("name",),  # the school's own name (a board's list of schools)
    "setting": ("key", "value"),  # the school's settings and letter templates
    "staff": ("code", "first_name", "tussenvoegsel", "last_name", "email", "roles",
              "departments"),  # staff, not students
    "user": ("username", "password_hash"),
    "sign_in_throttle": ("key",),
    "role_grant": ("kind", "value", "status"),
    "presence": ("client_id", "username", "host"),
    "school_class": ("name", "department", "school_year"),
    # a person's own row: gone with them, left out of another student's export
    "student": ("number", "first_name", "initials", "tussenvoegsel", "last_name", "gender",
                "sort_name"),
    "guardian": ("first_name", "initials", "tussenvoegsel", "last_name", "salutation", "street",
                 "house_number", "postcode", "city", "country", "email", "phone"),
    "student_guardian": ("relation",),
    # codes, ids and hashes the services fill in
    "case": ("number", "status", "reporter_kind", "location", "scope", "forms", "cyber_track",
             "protocol_code", "protocol_version", "stage_code"),
    "involvement": ("role", "stage_code"),
    "event": ("kind", "step_code", "stage_code"),
    "contract": ("outcome",),
    "sanction": ("kind",),
    "meeting": ("kind", "attendees"),
    "agenda_item": ("consent_basis",),
    "consent": ("given_by", "scope"),  # the consenting parent of the student the row is of
    "letter": ("template_code", "template_version", "sha256"),
    "attachment": ("mime_type", "sha256"),
    "helpline": ("name", "phone", "url", "topic", "description"),  # the school's list
    "audit_log": ("action", "table", "detail", "prev_hash", "hash"),  # codes and ids only
}


def test_every_text_column_is_declared_free_text_or_not():
    from peewee import CharField, TextField

    from pestdesk.services import names

    free = {model._meta.table_name: set(fields) for model, fields in names.FREE_TEXT.items()}
    for model in m.ALL_MODELS:
        table = model._meta.table_name
        for name, column in model._meta.fields.items():
            if isinstance(column, CharField | TextField):
                declared = (name in free.get(table, ()), name in NOT_FREE_TEXT.get(table, ()))
                assert declared in ((True, False), (False, True)), (table, name)


def test_purge_scrubs_every_free_text_column(db, db_path):
    """The removed child written into every column people type free text into, of rows
    that stay (the victim and the bully are still at school): after the purge the other
    hand finds them in no byte of the database or any file beside it."""
    from tests.helpers.casework import make_case
    from tests.helpers.every_text import fill_case, write_everywhere
    from tests.helpers.leakcheck import database_leaks, files_beside, who_of

    setup = make_case()
    fill_case(setup)
    with write():
        gone = create(SYSTEM, m.Student, number="770013", first_name="Zoë",
                      last_name="Çelik-van den Brûle", left_on=LONG_AGO)
    write_everywhere("Samen met Zoë Çelik-van den Brûle (770013); Zoë's schuld.")
    who = who_of(gone)
    retention.purge(SYSTEM, dt.date(2027, 1, 10), student_ids=[gone.id])
    assert m.Case.get_by_id(setup.case_id).summary.startswith("Samen met [verwijderde")
    m.database.obj.close()
    assert database_leaks(files_beside(db_path), [who]) == []


def _packed(parts: dict[str, bytes]) -> bytes:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_purge_reads_packed_documents_and_drops_unreadable_files_of_the_childs_cases(db):
    """A .docx names the child only inside its compressed XML (split over two runs), so no
    byte of the file shows the name: the purge reads the text parts and removes the file.
    In a case the child was involved in, a file that cannot be read (a PDF, a picture, a
    packed file with a binary part) goes too; elsewhere such a file and a .docx about
    somebody else stay."""
    import zlib

    from pestdesk.services import evidence
    from tests.helpers.casework import make_case

    setup = make_case()
    with write():
        gone = create(SYSTEM, m.Student, number="770013", first_name="Zoë",
                      last_name="Çelik", left_on=LONG_AGO)
        create(SYSTEM, m.Involvement, case=setup.case_id, student=gone, role="gepeste")
        m.Case.update(status="closed").where(m.Case.id == setup.case_id).execute()
        other = create(SYSTEM, m.Case, number="2026-901", reported_on=dt.date(2026, 1, 5))
        create(SYSTEM, m.Involvement, case=other, student=setup.victim_id, role="gepeste")

    def docx(text: str) -> bytes:
        first, _sep, rest = text.partition(" ")
        body = (f'<w:document><w:body><w:p><w:r><w:t>{first}</w:t></w:r><w:r>'
                f'<w:t xml:space="preserve"> {rest}</w:t></w:r></w:p></w:body></w:document>')
        return _packed({"[Content_Types].xml": b"<Types/>",
                        "word/document.xml": body.encode(),
                        "word/media/image1.png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 20})

    def attach(case_id, filename, data):
        with write():
            return m.Attachment.create(case=case_id, filename=filename, data=data,
                                       sha256="0", size=len(data), description="Bewijs")

    naming = docx("Zoë Çelik zei dat ik dom ben")
    assert b"Zo" not in naming and "Zoë Çelik zei" in evidence.evidence_text(naming)
    docx_naming = attach(other.id, "verslag.docx", naming)
    docx_other = attach(other.id, "verslag2.docx", docx("Bram Bakker zei iets"))
    picture_elsewhere = attach(other.id, "foto.png", b"\x89PNG\r\n\x1a\n" + b"\x01" * 40)
    pdf = b"%PDF-1.4\n1 0 obj<</Filter/FlateDecode>>stream\n" + zlib.compress(
        "BT (Zoë Çelik) Tj ET".encode()) + b"\nendstream\n%%EOF"
    pdf_of_child = attach(setup.case_id, "melding.pdf", pdf)
    nested = attach(setup.case_id, "map.zip", _packed({"a.zip": _packed({"x.txt": b"hoi"})}))
    assert evidence.evidence_text(nested.data) is None  # a zip in the zip: unreadable
    result = retention.purge(SYSTEM, dt.date(2027, 1, 10), student_ids=[gone.id], vacuum=False)
    assert result.deleted["students"] == 1

    def kept(a):
        return m.Attachment.get_by_id(a.id).data is not None

    assert not kept(docx_naming) and kept(docx_other) and kept(picture_elsewhere)
    assert not kept(pdf_of_child) and not kept(nested)
    assert m.Case.get_or_none(m.Case.id == setup.case_id) is not None  # the case stays
