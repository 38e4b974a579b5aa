"""Importing the school's people from LVS exports, the student card, search, AVG inzage.

Every test runs against a real temporary database; a refused or failing import is checked by
comparing a dump of every row before and after.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest

from pestdesk import clock, i18n
from pestdesk.services import access, cases
from pestdesk.services.base import SYSTEM, Actor, ServiceError, verify_audit_chain, write
from pestdesk.services.people import (
    StudentMatch,
    export_student,
    find_students,
    import_staff,
    import_students,
    search_students_query,
    sort_name_for,
    student_card,
)
from pestdesk.store.models import (
    Agreement,
    AuditLog,
    Case,
    ClassMentor,
    Contract,
    Event,
    Guardian,
    Involvement,
    Letter,
    Sanction,
    SchoolClass,
    Staff,
    Student,
    StudentGuardian,
    User,
)
from tests.helpers import pg
from tests.helpers.exports import (
    CLASS_DEPARTMENTS,
    GUARDIANS,
    STAFF_CSV,
    STAFF_WITH_DEPARTMENTS,
    STUDENTS,
    bulk_guardians,
    bulk_students,
    magister_rows,
    magister_with_departments,
    to_csv,
    write_magister,
    write_somtoday,
    write_xlsx,
)

TODAY = dt.date(2026, 1, 15)


def dump(db) -> str:
    return pg.dump(db)


def file_digest(path) -> str:
    """The database file's bytes (no file on PostgreSQL: ``dump`` compares the rows)."""
    if pg.active():
        return ""
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def staff(db, tmp_path):
    path = tmp_path / "personeel.csv"
    path.write_text(STAFF_CSV, encoding="utf-8")
    result = import_staff(SYSTEM, path)
    assert result.applied, result.problems
    return {s.code: s for s in Staff.select()}


@pytest.fixture
def imported(db, staff, tmp_path):
    result = import_students(SYSTEM, write_magister(tmp_path / "magister.csv"), today=TODAY)
    assert result.applied, result.problems
    return result


def student(number: str) -> Student:
    return Student.get(Student.number == number)


# --- first import ----------------------------------------------------------------------------


def test_magister_export_creates_students_classes_mentors_and_guardians(imported, staff):
    assert imported.counts["new"] == len(STUDENTS)
    zoe = student("004512")
    assert (zoe.first_name, zoe.last_name, zoe.initials) == ("Zoë", "Çelik", "Z.")
    assert zoe.birth_date == dt.date(2012, 7, 3) and zoe.gender == "V"
    assert zoe.sort_name == "celik, zoe"
    assert student("004515").sort_name == "hek, sem van 't"
    assert student("000017").number == "000017"
    classes = {c.name: c.leerjaar for c in SchoolClass.select()}
    assert classes == {"1A": 1, "2B": 2, "3C": 3}
    assert SchoolClass.get(SchoolClass.name == "1A").school_year == "2025-2026"
    mentors = {(m.school_class.name, m.staff.code) for m in ClassMentor.select()}
    assert mentors == {("1A", "JNS"), ("2B", "VRS"), ("3C", "PTR")}
    links = {(sg.student.number, sg.guardian.last_name, sg.relation, sg.has_authority)
             for sg in StudentGuardian.select()}
    assert ("004512", "Çelik", "moeder", True) in links
    assert ("004514", "Bouzid", "", False) in links  # no relation column for guardian 2
    father = Guardian.get(Guardian.email == "pdevries@example.nl")
    assert father.street == "Kerkweg; achterom" and father.postcode == "1234 AC"
    # brother and sister share one guardian record
    assert {sg.student.number for sg in father.student_links} == {"004513", "004516"}
    assert Guardian.select().count() == 6
    # the second guardian of Björn has no own address: the household address is used
    assert Guardian.get(Guardian.last_name == "Ødegård").city == "Ede"


def test_import_writes_an_audit_trail_without_personal_data(imported):
    assert verify_audit_chain() is None
    summary = AuditLog.get(AuditLog.action == "import", AuditLog.table == "student")
    assert json.loads(summary.detail)["new"] == len(STUDENTS)
    created = AuditLog.select().where(AuditLog.action == "create", AuditLog.table == "student")
    assert created.count() == len(STUDENTS)
    text = " ".join(a.detail for a in AuditLog.select())
    for number, first, _tv, last, *_rest in STUDENTS:
        assert number not in text and first not in text and last not in text


def test_somtoday_export_with_bom_and_iso_dates(db, staff, tmp_path):
    result = import_students(SYSTEM, write_somtoday(tmp_path / "som.csv"), today=TODAY)
    assert result.applied, result.problems
    assert student("004512").birth_date == dt.date(2012, 7, 3)
    assert student("004515").tussenvoegsel == "van 't"
    assert SchoolClass.get(SchoolClass.name == "3C").leerjaar == 3


def test_tab_separated_utf8_export(db, staff, tmp_path):
    path = write_magister(tmp_path / "tab.txt", encoding="utf-8", delimiter="\t")
    assert import_students(SYSTEM, path, today=TODAY).applied
    assert student("000017").last_name == "Ødegård"


def test_xlsx_export_matches_students_despite_lost_leading_zeros(imported, tmp_path):
    rows = magister_rows()
    rows = [rows[0]] + [[int(r[0])] + r[1:] for r in rows[1:]]
    result = import_students(SYSTEM, write_xlsx(tmp_path / "x.xlsx", rows), today=TODAY)
    assert result.applied, result.problems
    assert result.counts["new"] == 0 and result.counts["left"] == 0
    assert result.counts["unchanged"] == len(STUDENTS)
    assert student("004512").first_name == "Zoë"


def test_unknown_mentor_is_a_warning_not_a_refusal(db, tmp_path):
    result = import_students(SYSTEM, write_magister(tmp_path / "m.csv"), today=TODAY)
    assert result.applied
    assert result.warnings and all(w.column == "Klassenmentor 1" for w in result.warnings)
    assert ClassMentor.select().count() == 0


# --- refusals: nothing changes ---------------------------------------------------------------


def _broken(tmp_path, name: str) -> tuple:
    rows = magister_rows()
    header = rows[0]
    if name == "missing-column":
        return to_csv([r[:7] + r[8:] for r in rows]), (1, "")
    if name == "duplicate-number":
        rows[4][0] = "004512"
        return to_csv(rows), (5, "Stamnr")
    if name == "impossible-date":
        rows[3][5] = "31-02-2012"
        return to_csv(rows), (4, "Geb.datum")
    if name == "two-digit-year":
        rows[6][5] = "14-2-11"
        return to_csv(rows), (7, "Geb.datum")
    if name == "ragged":
        text = to_csv(rows).split("\r\n")
        text[2] = text[2] + ";extra;velden"
        return "\r\n".join(text), (3, "")
    if name == "empty-name":
        rows[2][header.index("Achternaam")] = ""
        return to_csv(rows), (3, "Achternaam")
    if name == "guardian-without-name":
        rows[2][header.index("Ouder/verzorger 1 achternaam")] = ""
        return to_csv(rows), (3, "Ouder/verzorger 1 achternaam")
    raise AssertionError(name)


@pytest.mark.parametrize("name", ["missing-column", "duplicate-number", "impossible-date",
                                  "two-digit-year", "ragged", "empty-name",
                                  "guardian-without-name"])
def test_broken_export_is_refused_whole_and_changes_nothing(imported, db, db_path, tmp_path,
                                                            name):
    text, (row, column) = _broken(tmp_path, name)
    path = tmp_path / f"{name}.csv"
    path.write_bytes(text.encode("cp1252"))
    before, before_file = dump(db), file_digest(db_path)
    result = import_students(SYSTEM, path, today=TODAY + dt.timedelta(days=1))
    assert not result.applied and not result.ok
    assert (row, column) in {(p.row, p.column) for p in result.problems}
    assert all(p.message for p in result.problems)
    assert dump(db) == before
    assert file_digest(db_path) == before_file


@pytest.mark.parametrize("content", [b"", b"\x00\x01\x02binary\xff" * 50,
                                     b"Stamnr;Roepnaam;Achternaam;Klas\r\n"],
                         ids=["empty", "binary", "header-only"])
def test_unreadable_file_is_refused_without_exception(imported, db, tmp_path, content):
    path = tmp_path / "upload.csv"
    path.write_bytes(content)
    before = dump(db)
    result = import_students(SYSTEM, path)
    assert not result.applied and result.problems and result.problems[0].row == 0
    assert dump(db) == before


def test_every_problem_is_listed_not_only_the_first(db, tmp_path):
    rows = magister_rows()
    rows[1][5] = "31-02-2012"
    rows[3][0] = ""
    rows[5][7] = ""
    path = tmp_path / "m.csv"
    path.write_text(to_csv(rows), encoding="utf-8")
    result = import_students(SYSTEM, path)
    assert {(p.row, p.column) for p in result.problems} == {
        (2, "Geb.datum"), (4, "Stamnr"), (6, "Klas")}


def test_problem_messages_are_dutch(db, tmp_path):
    rows = magister_rows()
    rows[1][5] = "31-02-2012"
    path = tmp_path / "m.csv"
    path.write_text(to_csv(rows), encoding="utf-8")
    i18n.set_language("en")
    english = import_students(SYSTEM, path).problems[0].message
    assert english == '"31-02-2012" is not an existing date.'
    i18n.set_language("nl")
    assert import_students(SYSTEM, path).problems[0].message == \
        '"31-02-2012" is geen bestaande datum.'


def test_failure_while_applying_rolls_everything_back(imported, db, tmp_path):
    # a real database refusal halfway through: the 4th new student cannot be inserted
    pg.refuse_insert(db, "no_999", "student", "number", "999004")
    before = dump(db)
    path = write_magister(tmp_path / "m.csv", STUDENTS + bulk_students(5, start=999000),
                          encoding="utf-8")
    with pytest.raises(Exception):  # noqa: B017 - any failure; what matters is the rollback
        import_students(SYSTEM, path, today=TODAY)
    assert dump(db) == before
    assert verify_audit_chain() is None


def test_rights_are_required(db, tmp_path):
    mentor = Actor(user_id=5, username="mentor", roles=frozenset({"mentor"}))
    with pytest.raises(ServiceError):
        import_students(mentor, write_magister(tmp_path / "m.csv"))


# --- sync ------------------------------------------------------------------------------------


def test_second_export_syncs_changes_leavers_arrivals_and_returners(imported, db, tmp_path):
    second = [list(s) for s in STUDENTS if s[0] != "004516"]  # Noor left
    second[1][6], second[1][7], second[1][8] = "2B", "2 havo", "VRS"  # Daan moved to 2B
    second.append(("004520", "Lotte", "", "Smit", "2-2-2012", "V", "1A", "1 havo", "JNS"))
    result = import_students(SYSTEM, write_magister(tmp_path / "m2.csv", second),
                             today=TODAY)
    assert result.applied, result.problems
    c = result.counts
    assert (c["new"], c["changed"], c["left"], c["returning"]) == (1, 1, 1, 0)
    assert c["unchanged"] == len(STUDENTS) - 2
    change = result.plan.changed[0]
    assert change.record.number == "004513"
    assert set(change.fields) == {"class", "mentor"}
    daan = student("004513")
    assert daan.school_class.name == "2B" and daan.version == 2
    noor = student("004516")
    assert noor.left_on == TODAY and noor.school_class.name == "3C"
    assert student("004520").left_on is None
    assert Student.select().count() == len(STUDENTS) + 1  # nobody deleted
    assert verify_audit_chain() is None

    # Noor comes back a month later, in another class and with a corrected name
    third = second + [("004516", "Noor", "de", "Vries-Bos", "5-9-2010", "V", "4C", "4 vwo",
                       "Peters")]
    later = TODAY + dt.timedelta(days=30)
    result = import_students(SYSTEM, write_magister(tmp_path / "m3.csv", third), today=later)
    assert result.counts["returning"] == 1 and result.counts["left"] == 0
    assert set(result.plan.returning[0].fields) >= {"last_name", "class"}
    noor = student("004516")
    assert noor.left_on is None and noor.last_name == "Vries-Bos"
    assert noor.sort_name == "vries-bos, noor de"
    assert noor.school_class.name == "4C" and noor.school_class.leerjaar == 4


def test_changed_fields_are_named(imported, tmp_path):
    second = [list(s) for s in STUDENTS]
    second[0][3] = "Çelik-Yilmaz"
    second[0][4] = "4-7-2012"
    result = import_students(SYSTEM, write_magister(tmp_path / "m2.csv", second), today=TODAY)
    assert [(c.record.number, set(c.fields)) for c in result.plan.changed] == [
        ("004512", {"last_name", "birth_date"})]
    audit_line = AuditLog.select().where(AuditLog.action == "update",
                                         AuditLog.table == "student").get()
    assert audit_line.detail == "birth_date,last_name,sort_name"


def test_mentor_change_replaces_class_mentors(imported, tmp_path):
    second = [list(s) for s in STUDENTS]
    for row in second:
        if row[6] == "1A":
            row[8] = "PTR"
    result = import_students(SYSTEM, write_magister(tmp_path / "m2.csv", second), today=TODAY)
    assert result.counts["classes_mentor_changed"] == 1
    assert {c.record.number for c in result.plan.changed} == {"004512", "004513"}
    mentors = {m.staff.code for m in ClassMentor.select().join(SchoolClass)
               .where(SchoolClass.name == "1A")}
    assert mentors == {"PTR"}


def test_partial_export_marks_nobody_as_left(imported, tmp_path):
    one_class = [s for s in STUDENTS if s[6] == "1A"]
    result = import_students(SYSTEM, write_magister(tmp_path / "1a.csv", one_class),
                             today=TODAY, full_export=False)
    assert result.applied and result.counts["left"] == 0
    assert Student.select().where(Student.left_on.is_null(False)).count() == 0


def test_full_export_missing_most_students_is_refused(db, tmp_path):
    import_students(SYSTEM, write_magister(tmp_path / "all.csv", bulk_students(40),
                                           encoding="utf-8"), today=TODAY)
    before = dump(db)
    result = import_students(SYSTEM, write_magister(tmp_path / "few.csv", bulk_students(5),
                                                    encoding="utf-8"), today=TODAY)
    assert not result.applied and result.problems[0].row == 0
    assert dump(db) == before


def test_guardian_changes_update_without_duplicates(imported, tmp_path):
    guardians = dict(GUARDIANS)
    street, house, postcode, city, people = guardians["004512"]
    people = [people[0][:4] + ("nieuw@example.nl",) + people[0][5:], people[1]]
    guardians["004512"] = (street, house, postcode, city, people)
    path = write_magister(tmp_path / "m2.csv", guardians_of=guardians)
    count = Guardian.select().count()
    result = import_students(SYSTEM, path, today=TODAY)
    assert result.counts["guardians_changed"] == 1 and result.counts["guardians_new"] == 0
    assert Guardian.select().count() == count
    assert Guardian.select().where(Guardian.email == "nieuw@example.nl").count() == 1
    assert StudentGuardian.select().count() == 7


def test_dry_run_plans_but_writes_nothing(staff, db, db_path, tmp_path):
    before, before_file = dump(db), file_digest(db_path)
    result = import_students(SYSTEM, write_magister(tmp_path / "m.csv"), dry_run=True,
                             today=TODAY)
    assert result.ok and not result.applied and result.dry_run
    assert result.counts["new"] == len(STUDENTS) and result.counts["classes_new"] == 3
    assert result.counts["guardians_new"] == 6
    assert dump(db) == before and file_digest(db_path) == before_file


def test_explicit_mapping_is_used(db, tmp_path):
    rows = [["Nr", "Naam", "Roepnaam", "Groep"], ["17", "Jansen", "Kim", "1A"]]
    path = tmp_path / "eigen.csv"
    path.write_text(to_csv(rows), encoding="utf-8")
    refused = import_students(SYSTEM, path)
    assert not refused.ok and {p.row for p in refused.problems} == {1}
    result = import_students(SYSTEM, path, mapping={"number": "Nr", "last_name": "Naam"})
    assert result.applied, result.problems
    assert student("17").last_name == "Jansen"


def test_progress_is_reported(staff, tmp_path):
    seen = []
    import_students(SYSTEM, write_magister(tmp_path / "m.csv", bulk_students(250),
                                           encoding="utf-8"),
                    progress=lambda done, total: seen.append((done, total)))
    assert seen[0] == (0, 0) and seen[-1][0] == seen[-1][1] > 0
    assert len(seen) < 20


def test_two_thousand_students_import_and_resync(staff, tmp_path):
    students = bulk_students(2000)
    path = write_magister(tmp_path / "big.csv", students, encoding="utf-8",
                          guardians_of=bulk_guardians(students))
    result = import_students(SYSTEM, path, today=TODAY)  # timed in bench/run.py
    assert result.applied and Student.select().count() == 2000
    assert Guardian.select().count() == 4000 and StudentGuardian.select().count() == 4000
    moved = bulk_students(1800, klas_of=lambda i: f"{2 + i % 5}{'ABCDEF'[(i // 6) % 6]}")
    path = write_magister(tmp_path / "next-year.csv", moved, encoding="utf-8",
                          guardians_of=bulk_guardians(moved))
    result = import_students(SYSTEM, path, today=TODAY)
    assert result.applied and result.counts["changed"] > 1000 and result.counts["left"] == 200
    assert Guardian.select().count() == 4000
    assert verify_audit_chain() is None


# --- staff -----------------------------------------------------------------------------------


def test_staff_import_maps_dutch_role_names(staff):
    assert staff["VRS"].roles == "mentor,afdelingscoordinator"
    assert staff["PTR"].roles == "mentor,vakdocent"
    assert staff["BKR"].roles == "ondersteuningscoordinator"
    assert (staff["VRS"].first_name, staff["VRS"].tussenvoegsel) == ("Els", "de")


def test_staff_reimport_updates_and_warns_on_unknown_roles(staff, tmp_path):
    path = tmp_path / "p2.csv"
    path.write_text("Code,Voornaam,Achternaam,Rollen\nJNS,Jan,Jansen-Smit,Mentor;Conciërge\n"
                    "NEW,Nel,Nieuw,Vertrouwenspersoon\n", encoding="utf-8")
    result = import_staff(SYSTEM, path)
    assert result.applied
    assert result.counts["new"] == 1 and result.counts["changed"] == 1
    assert [w.row for w in result.warnings] == [2]
    assert Staff.get(Staff.code == "JNS").last_name == "Jansen-Smit"
    assert Staff.get(Staff.code == "NEW").roles == "vertrouwenspersoon"


def test_broken_staff_export_changes_nothing(staff, db, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("Afkorting;Achternaam;E-mail\nAAA;Aa;aa@school.nl\naaa;Bb;geen-adres\n;Cc;\n",
                    encoding="utf-8")
    before = dump(db)
    result = import_staff(SYSTEM, path)
    assert not result.applied
    assert {(p.row, p.column) for p in result.problems} == {
        (3, "Afkorting"), (3, "E-mail"), (4, "Afkorting")}
    assert dump(db) == before
    assert not import_staff(SYSTEM, path, dry_run=True).applied


# --- card, search, inzage --------------------------------------------------------------------


def test_search_filters_in_sql_and_orders_by_sort_name(imported):
    query = search_students_query("vries", actor=SYSTEM)
    assert "LIKE" in str(query.sql()[0]).upper()
    assert [s.number for s in query] == ["004513", "004516"]
    # accents fold in sort_name: Ødegård sorts (and is found) among the O
    assert [s.number for s in search_students_query("2b", actor=SYSTEM)] == [
        "004514", "004515", "000017"]
    assert [s.number for s in search_students_query("celik", actor=SYSTEM)] == ["004512"]
    assert [s.number for s in search_students_query("Zoë", actor=SYSTEM)] == ["004512"]
    assert [s.number for s in search_students_query("0045", actor=SYSTEM)][:1] == ["004512"]
    assert list(search_students_query("noor vries", actor=SYSTEM)) == [student("004516")]
    assert list(search_students_query("%", actor=SYSTEM)) == []
    assert search_students_query("", actor=SYSTEM).count() == len(STUDENTS)


def test_find_students_gives_records_for_a_picker(imported):
    found = find_students("2b", actor=SYSTEM, limit=2)
    assert [(s.number, s.class_name) for s in found] == [("004514", "2B"), ("004515", "2B")]
    assert all(isinstance(s, StudentMatch) for s in found)
    assert find_students("2b", actor=SYSTEM, limit=5, exclude=[found[0].id])[0].number \
        == "004515"


def test_sort_name_rule():
    assert sort_name_for("Jan", "de", "Vries") == "vries, jan de"
    assert sort_name_for("Kim", "", "Jansen") == "jansen, kim"
    assert sort_name_for("Björn", "", "Ødegård") == "odegard, bjorn"


def _make_case(number: str, victim: Student, bullies: list[Student], witness: Student) -> Case:
    with write():
        case = Case.create(number=number, reported_on=dt.date(2025, 11, 3),
                           summary=f"{bullies[0].first_name} pest {victim.first_name}",
                           description=f"{bullies[0].first_name} {bullies[0].last_name} en "
                                       f"{bullies[1].first_name} schelden; {witness.first_name}"
                                       f" zag het (lln {witness.number}).")
        inv_victim = Involvement.create(case=case, student=victim, role="gepeste",
                                        notes="Voelt zich onveilig")
        invs = [Involvement.create(case=case, student=b, role="pester") for b in bullies]
        Involvement.create(case=case, student=witness, role="getuige")
        Event.create(case=case, involvement=inv_victim, kind="gesprek",
                     occurred_on=dt.date(2025, 11, 4), title="Gesprek met gepeste",
                     body=f"Vertelt dat {bullies[1].first_name} {bullies[1].tussenvoegsel} "
                          f"{bullies[1].last_name} berichten stuurt.",
                     data=json.dumps({"wie": bullies[0].first_name}))
        Event.create(case=case, involvement=invs[0], kind="gesprek",
                     occurred_on=dt.date(2025, 11, 5), title="Gesprek met pester",
                     body="Geheim: wat de pester vertelde over thuis.")
        Agreement.create(case=case, description=f"{bullies[0].first_name} blijft uit de buurt")
        Contract.create(case=case, student=bullies[0], made_on=dt.date(2025, 11, 6),
                        rules="contract van de pester")
        Sanction.create(case=case, student=bullies[0], kind="schorsing",
                        reason="schorsing van de pester")
        Letter.create(case=case, student=bullies[0], template_code="brief_pester",
                      recipient="Ouders van de pester", pdf=b"%PDF-secret")
        Letter.create(case=case, student=victim, template_code="brief_gepeste",
                      recipient="Fam. Çelik", pdf=b"%PDF-1.7 bytes")
    return case


def test_export_student_redacts_other_children_and_is_audited(imported):
    zoe = student("004512")
    daan, sem, noor = student("004513"), student("004515"), student("004516")
    _make_case("2025-0001", zoe, [daan, sem], noor)
    result = export_student(SYSTEM, "004512")
    text = json.dumps(result, ensure_ascii=False)
    json.dumps(result)  # serialisable as plain JSON too
    for other in (daan, sem, noor):
        for secret in (other.first_name, other.last_name, other.number):
            assert secret not in text, secret
    assert "secret" not in text.lower() and "Geheim" not in text
    assert "contract van de pester" not in text and "brief_pester" not in text
    assert result["student"]["last_name"] == "Çelik"
    assert result["guardians"][0]["last_name"] == "Çelik"
    case = result["cases"][0]
    assert case["role"] == "gepeste" and case["notes"] == "Voelt zich onveilig"
    assert {o["label"] for o in case["others_involved"]} == {"pester 1", "pester 2", "getuige 1"}
    assert case["summary"] == "pester 1 pest Zoë"
    assert "getuige 1 zag het (lln getuige 1)" in case["description"]
    assert "pester 2 berichten" in case["events"][0]["body"]
    assert case["events"][0]["data"] == {"wie": "pester 1"}
    assert case["events"][1]["content_withheld"] and "body" not in case["events"][1]
    assert [lt["template_code"] for lt in case["letters"]] == ["brief_gepeste"]
    assert case["contracts"] == [] and case["sanctions"] == []
    assert case["reported_on"] == "2025-11-03"
    last = AuditLog.select().order_by(AuditLog.id.desc()).get()
    assert (last.action, last.table, last.record_id) == ("export", "student", zoe.id)
    assert verify_audit_chain() is None


def test_export_for_the_pester_shows_own_sanction(imported):
    zoe, daan, sem, noor = (student(n) for n in ("004512", "004513", "004515", "004516"))
    _make_case("2025-0002", zoe, [daan, sem], noor)
    result = export_student(SYSTEM, "004513")
    case = result["cases"][0]
    assert case["role"] == "pester"
    assert [s["kind"] for s in case["sanctions"]] == ["schorsing"]
    assert "Zoë" not in json.dumps(result, ensure_ascii=False)


def test_export_unknown_number_is_refused(imported):
    i18n.set_language("en")
    with pytest.raises(ServiceError, match="999999"):
        export_student(SYSTEM, "999999")


def test_student_card_lists_cases_newest_first(imported):
    zoe, daan, sem, noor = (student(n) for n in ("004512", "004513", "004515", "004516"))
    _make_case("2025-0003", zoe, [daan, sem], noor)
    with write():
        later = Case.create(number="2026-0001", reported_on=dt.date(2026, 1, 10))
        Involvement.create(case=later, student=zoe, role="getuige")
    card = student_card(zoe.id, actor=SYSTEM)
    assert card.student.class_name == "1A" and card.student.mentors == ("Jan Jansen",)
    assert [(c.number, c.role) for c in card.cases] == [
        ("2026-0001", "getuige"), ("2025-0003", "gepeste")]
    assert [g.relation for g in card.guardians] == ["moeder", ""]
    with pytest.raises(ServiceError):
        student_card(99999, actor=SYSTEM)


# --- departments: afdelingscoördinatoren see their afdeling's cases straight after import -----


def write_rows(path, rows, encoding: str = "cp1252"):
    path.write_bytes(to_csv(rows).encode(encoding))
    return path


def actor_for(code: str) -> Actor:
    """A signed-in user for an imported staff member, with the roles the import gave."""
    member = Staff.get(Staff.code == code)
    with write():
        user = User.create(staff=member, username=code.lower())
    return Actor(user_id=user.id, username=user.username, staff_id=member.id,
                 roles=frozenset(r for r in member.roles.split(",") if r))


def report(actor: Actor, victim: str, pester: str) -> Case:
    return cases.register_report(actor, cases.ReportInput(
        reported_on=clock.today(), summary="Uitschelden in de klas", reporter_kind="gepeste",
        locations=("klas",), forms=("woorden",),
        involved=(cases.InvolvedInput(student(victim).id, "gepeste"),
                  cases.InvolvedInput(student(pester).id, "pester"))))


def visible_numbers(actor: Actor) -> set[str]:
    return {c.number for c in Case.select().where(access.case_visibility(actor))}


@pytest.fixture
def staff_with_departments(db, tmp_path):
    result = import_staff(SYSTEM, write_rows(tmp_path / "personeel.csv", STAFF_WITH_DEPARTMENTS))
    assert result.applied, result.problems
    return {s.code: s for s in Staff.select()}


def test_imported_departments_let_the_coordinator_see_their_cases(staff_with_departments,
                                                                 tmp_path):
    leider = staff_with_departments["HLD"]
    assert (leider.roles, leider.departments) == ("afdelingscoordinator", "Bovenbouw,Brugklas")
    assert staff_with_departments["VRS"].departments == "Onderbouw"
    assert staff_with_departments["JNS"].departments == ""
    path = write_rows(tmp_path / "magister.csv", magister_with_departments())
    result = import_students(SYSTEM, path, today=TODAY)
    assert result.applied, result.problems
    assert {c.name: c.department for c in SchoolClass.select()} == CLASS_DEPARTMENTS
    zorg, coordinator = actor_for("BKR"), actor_for("HLD")
    in_3c = report(zorg, "004516", "004515")  # Noor (3C, bovenbouw) by Sem (2B)
    in_1a = report(zorg, "004512", "004513")  # Zoë and Daan, both 1A (brugklas)
    in_2b = report(zorg, "004514", "000017")  # Fatima and Björn, both 2B (onderbouw)
    assert visible_numbers(coordinator) == {in_3c.number, in_1a.number}
    assert access.can_view_case(coordinator, in_3c.id)
    assert not access.can_view_case(coordinator, in_2b.id)
    assert access.can_view_student(coordinator, student("004516").id)
    assert not access.can_view_student(coordinator, student("004514").id)


def test_reimport_with_departments_updates_classes_and_is_counted(staff_with_departments, db,
                                                                 tmp_path):
    first = import_students(SYSTEM, write_magister(tmp_path / "m.csv"), today=TODAY)
    assert first.applied and first.counts["classes_department_changed"] == 0
    zorg, coordinator = actor_for("BKR"), actor_for("HLD")
    case = report(zorg, "004516", "004515")
    assert visible_numbers(coordinator) == set()  # no class has a department yet

    path = write_rows(tmp_path / "m2.csv", magister_with_departments(header="Locatie/Afdeling"))
    dry = import_students(SYSTEM, path, dry_run=True, today=TODAY)
    assert dry.counts["classes_department_changed"] == 3
    assert dry.counts["changed"] == 0 and dry.counts["classes_new"] == 0
    assert "Klassen met een andere afdeling: 3" in dry.summary()
    assert visible_numbers(coordinator) == set()  # a dry run changes nothing

    result = import_students(SYSTEM, path, today=TODAY)
    assert result.applied and result.counts["classes_department_changed"] == 3
    assert visible_numbers(coordinator) == {case.number}
    klass = SchoolClass.get(SchoolClass.name == "3C")
    assert klass.version == 2
    updates = AuditLog.select().where(AuditLog.table == "school_class",
                                      AuditLog.action == "update")
    assert [a.detail for a in updates] == ["department"] * 3
    assert verify_audit_chain() is None

    # letter case only, and empty cells: no change, the stored departments stay
    again = magister_with_departments(
        departments={"1A": "BRUGKLAS", "2B": "", "3C": "bovenbouw"})
    result = import_students(SYSTEM, write_rows(tmp_path / "m3.csv", again), today=TODAY)
    assert result.applied and result.counts["classes_department_changed"] == 0
    assert {c.name: c.department for c in SchoolClass.select()} == CLASS_DEPARTMENTS

    moved = magister_with_departments(departments={**CLASS_DEPARTMENTS, "3C": "Onderbouw"})
    result = import_students(SYSTEM, write_rows(tmp_path / "m4.csv", moved), today=TODAY)
    assert result.counts["classes_department_changed"] == 1
    assert SchoolClass.get(SchoolClass.name == "3C").department == "Onderbouw"
    assert visible_numbers(coordinator) == set()


def test_class_in_two_departments_is_refused_with_row_and_column(imported, db, tmp_path):
    rows = magister_with_departments()
    rows[2][-1] = "Onderbouw"  # Daan's row says 1A is in the onderbouw, Zoë's says brugklas
    rows[3][-1] = ""  # an empty cell agrees with everything
    before = dump(db)
    result = import_students(SYSTEM, write_rows(tmp_path / "m.csv", rows), today=TODAY)
    assert not result.applied
    assert [(p.row, p.column) for p in result.problems] == [(3, "Afdeling")]
    assert result.problems[0].message == (
        'Klas 1A staat hier in afdeling "Onderbouw", maar in rij 2 in afdeling "Brugklas"; '
        "een klas hoort bij één afdeling. Verbeter de afdeling in een van deze rijen.")
    assert dump(db) == before


def test_staff_departments_change_only_when_the_file_names_them(staff_with_departments,
                                                               tmp_path):
    rows = [["Code", "Achternaam", "Afdelingen"],
            ["HLD", "Leider", "brugklas,  BOVENBOUW"],  # same set: no change
            ["VRS", "Vries", "Onderbouw;Bovenbouw havo; onderbouw"],  # one more
            ["JNS", "Jansen", ""]]  # empty cell: keeps what is stored
    result = import_staff(SYSTEM, write_rows(tmp_path / "p2.csv", rows, "utf-8"), dry_run=True)
    assert [(r.code, changes) for r, _s, changes in result.plan.changed] == [
        ("VRS", {"departments": "Onderbouw,Bovenbouw havo"})]
    assert Staff.get(Staff.code == "VRS").departments == "Onderbouw"
    result = import_staff(SYSTEM, write_rows(tmp_path / "p2.csv", rows, "utf-8"))
    assert result.applied and result.counts["changed"] == 1
    assert result.counts["unchanged"] == 2
    assert Staff.get(Staff.code == "VRS").departments == "Onderbouw,Bovenbouw havo"
    assert Staff.get(Staff.code == "HLD").departments == "Bovenbouw,Brugklas"
    detail = AuditLog.select().where(AuditLog.table == "staff", AuditLog.action == "update")
    assert [a.detail for a in detail] == ["departments"]

    # a file without a department column leaves every department alone
    result = import_staff(SYSTEM, write_rows(tmp_path / "p3.csv", [
        ["Afkorting", "Achternaam", "Functie"], ["VRS", "Vries", "Afdelingsleider"]], "utf-8"))
    assert result.applied
    assert Staff.get(Staff.code == "VRS").departments == "Onderbouw,Bovenbouw havo"


def test_search_ranks_the_typed_name_before_other_matches(db):
    from pestdesk.services.base import SYSTEM, create, write
    from pestdesk.store.models import Student

    with write():
        for number, tv, last in (("1", "van der", "Veen"), ("2", "de", "Vries"),
                                 ("3", "", "Devries")):
            create(SYSTEM, Student, number=number, first_name="Luuk", tussenvoegsel=tv,
                   last_name=last, sort_name=sort_name_for("Luuk", tv, last))
    found = [s.last_name for s in search_students_query("Luuk de V", actor=SYSTEM)]
    assert found[0] == "Vries"  # alphabetically 'veen' and 'devries' would come first
    assert set(found) == {"Vries", "Veen", "Devries"}  # they match too, after
