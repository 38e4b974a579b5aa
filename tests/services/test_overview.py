"""The start screen's lists on a demo school: each line opens the case the SQL says it should,
limited to the signed-in user's own work and to what they may see."""

from __future__ import annotations

import datetime as dt

import pytest

from pestdesk.services import accounts
from pestdesk.services import overview as ov
from pestdesk.services.demo import generate_demo
from pestdesk.store import models as m
from pestdesk.store.db import create_database

TODAY = dt.date(2026, 3, 15)


@pytest.fixture(scope="module")
def school(tmp_path_factory):
    db = create_database(tmp_path_factory.mktemp("ov") / "demo.sqlite")
    generate_demo(students=300, years=2, seed=11, today=TODAY)
    yield db
    db.close()


@pytest.fixture
def zorg(school):
    return accounts.actor_for(m.User.get(m.User.username == "zorg"))


@pytest.fixture
def mentor(school):
    return accounts.actor_for(m.User.get(m.User.username == "mentor"))


def ids(school, query: str, *params) -> list[int]:
    return [r[0] for r in school.execute_sql(query, params).fetchall()]


MENTOR_CASES = """(c.owner_id = ? OR c.created_by_id = ? OR EXISTS (
    SELECT 1 FROM involvement i JOIN student s ON s.id = i.student_id
    JOIN class_mentor cm ON cm.school_class_id = s.school_class_id
    WHERE i.case_id = c.id AND cm.staff_id = ?))"""


def test_coordinator_sees_every_overdue_case_in_date_order(school, zorg):
    count, lines = ov.overdue_cases(zorg, TODAY)
    expected = ids(school, """SELECT id FROM "case" WHERE status = 'open' AND is_signal = 0
        AND next_due_on < ? ORDER BY next_due_on, id""", TODAY.isoformat())
    assert count == len(expected) > 0
    assert [line.record_id for line in lines] == expected[:ov.LIMIT]
    assert all(line.kind == "case" and line.when < TODAY for line in lines)


def test_mentor_sees_only_their_own_cases(school, mentor):
    count, lines = ov.due_soon(mentor, TODAY)
    end = (TODAY + dt.timedelta(days=ov.SOON_DAYS)).isoformat()
    sid, uid = mentor.staff_id, mentor.user_id
    expected = ids(school, f"""SELECT id FROM "case" c WHERE status = 'open' AND is_signal = 0
        AND next_due_on BETWEEN ? AND ? AND {MENTOR_CASES} ORDER BY next_due_on, id""",
                   TODAY.isoformat(), end, sid, uid, sid)
    assert count == len(expected)
    assert sorted(line.record_id for line in lines) == sorted(expected[:ov.LIMIT])
    all_count, _lines = ov.due_soon(accounts.actor_for(m.User.get(m.User.username == "zorg")),
                                    TODAY)
    assert all_count > count


def test_my_action_rows_join_the_overdue_list(school, mentor):
    case_id = ids(school, f"""SELECT id FROM "case" c WHERE status = 'open' AND {MENTOR_CASES}
        LIMIT 1""", mentor.staff_id, mentor.user_id, mentor.staff_id)[0]
    before, _lines = ov.overdue_cases(mentor, TODAY)
    action = m.Action.create(case=case_id, description="Ouders terugbellen",
                             owner=mentor.staff_id, due_on=TODAY - dt.timedelta(days=30))
    meeting = m.Meeting.select().order_by(m.Meeting.starts_at.desc()).first()
    item = m.AgendaItem.create(meeting=meeting, position=9)
    other = m.Action.create(agenda_item=item, description="Verslag rondsturen",
                            owner=mentor.staff_id, due_on=TODAY - dt.timedelta(days=40))
    try:
        count, lines = ov.overdue_cases(mentor, TODAY)
        assert count == before + 2
        assert (lines[0].kind, lines[0].record_id) == ("meeting", meeting.id)
        assert (lines[1].kind, lines[1].record_id) == ("case", case_id)
        assert "Ouders terugbellen" in lines[1].text
    finally:
        action.delete_instance()
        other.delete_instance()
        item.delete_instance()


def test_followups_contracts_and_relapses_open_their_cases(school, zorg):
    soon = (TODAY + dt.timedelta(days=ov.SOON_DAYS)).isoformat()
    count, lines = ov.followups_due(zorg, TODAY)
    expected = ids(school, """SELECT c.id FROM agreement a JOIN "case" c ON c.id = a.case_id
        WHERE c.status = 'open' AND c.is_signal = 0 AND a.done_on IS NULL
        AND a.evaluate_on <= ? ORDER BY a.evaluate_on""", soon)
    assert count == len(expected) > 0
    assert {line.record_id for line in lines} <= set(expected)
    count, lines = ov.contract_evaluations(zorg, TODAY)
    expected = ids(school, """SELECT c.id FROM contract k JOIN "case" c ON c.id = k.case_id
        WHERE c.status = 'open' AND k.outcome = '' AND k.evaluate_on <= ?""",
                   (TODAY + dt.timedelta(days=ov.CONTRACT_DAYS)).isoformat())
    assert count == len(expected)
    assert {line.record_id for line in lines} <= set(expected)
    count, lines = ov.relapses_open(zorg)
    expected = ids(school, """SELECT c.id FROM involvement i JOIN "case" c ON c.id = i.case_id
        WHERE i.relapse_of_id IS NOT NULL AND c.status = 'open' AND c.is_signal = 0""")
    assert count == len(expected) > 0
    assert {line.record_id for line in lines} <= set(expected)


def test_suspensions_and_notifications_to_the_inspectorate(school, zorg):
    sanction = m.Sanction.select().join(m.Case).where(m.Case.status == "open").first()
    m.Sanction.update(first_day=TODAY - dt.timedelta(days=1), last_day=TODAY + dt.timedelta(days=1),
                      inspectie_due_on=TODAY + dt.timedelta(days=2),
                      inspectie_reported_on=None).where(m.Sanction.id == sanction.id).execute()
    count, lines = ov.suspensions_current(zorg, TODAY)
    assert sanction.case_id in [line.record_id for line in lines] or count > ov.LIMIT
    count, lines = ov.inspectie_open(zorg)
    expected = ids(school, """SELECT case_id FROM sanction WHERE inspectie_due_on IS NOT NULL
        AND inspectie_reported_on IS NULL ORDER BY inspectie_due_on""")
    assert count == len(expected)
    assert [line.record_id for line in lines] == expected[:ov.LIMIT]


def test_new_reports_since_the_last_visit(school, zorg):
    assert ov.last_visit(zorg) is None
    visit = m.utcnow().replace(microsecond=0) + dt.timedelta(seconds=1)
    assert ov.record_visit(zorg, visit)
    since = ov.last_visit(zorg)
    assert since == visit
    count, _lines = ov.new_reports(zorg, since)
    assert count == 0  # the demo's cases were all registered before this visit
    case = m.Case.create(number="TEST-1", reported_on=TODAY,
                         created_at=visit + dt.timedelta(minutes=5))
    try:
        count, lines = ov.new_reports(zorg, since)
        assert count == 1 and lines[0].record_id == case.id
    finally:
        case.delete_instance()
    by_date, _lines = ov.new_reports(zorg, TODAY - dt.timedelta(days=7))
    assert by_date == ids(school, """SELECT count(*) FROM "case" WHERE reported_on >= ?""",
                          (TODAY - dt.timedelta(days=7)).isoformat())[0]


def test_safety_monitor_reminder_in_spring_for_the_coordinator(zorg, mentor):
    assert "1 juli 2026" in ov.safety_monitor_reminder(zorg, dt.date(2026, 3, 2))
    assert ov.safety_monitor_reminder(zorg, dt.date(2026, 6, 30))
    assert ov.safety_monitor_reminder(zorg, dt.date(2026, 7, 2)) == ""
    assert ov.safety_monitor_reminder(zorg, dt.date(2026, 2, 27)) == ""
    assert ov.safety_monitor_reminder(mentor, dt.date(2026, 4, 1)) == ""


def test_cards_say_whose_items_they_count(school, zorg, mentor):
    directie = accounts.actor_for(m.User.get(m.User.username == "directie"))
    scopes = {actor.username: {s.key: s.scope for s in ov.sections(actor)}
              for actor in (zorg, mentor, directie)}
    assert scopes["zorg"]["overdue"] == "school" and scopes["mentor"]["overdue"] == "mine"
    for who in ("zorg", "directie"):  # oversee the school: school-wide cards
        assert scopes[who]["suspensions"] == scopes[who]["inspectie"] == "school"
    assert "inspectie" not in scopes["mentor"]  # not a mentor's task: no card
    assert scopes["mentor"]["suspensions"] == "mine"
    assert ov.sections(mentor)[0].scope_label() == "mijn"
    assert ov.sections(zorg)[0].scope_label() == "school"


def test_suspensions_school_wide_for_the_directie_own_for_a_mentor(school, mentor):
    directie = accounts.actor_for(m.User.get(m.User.username == "directie"))
    running = """SELECT DISTINCT s.id FROM sanction s JOIN "case" c ON c.id = s.case_id
        WHERE s.kind IN ('schorsing', 'interne_schorsing') AND s.first_day <= ?
        AND coalesce(s.last_day, s.first_day) >= ?"""
    end = (TODAY + dt.timedelta(days=ov.SOON_DAYS)).isoformat()
    m.Sanction.update(first_day=TODAY, last_day=TODAY + dt.timedelta(days=2)).where(
        m.Sanction.id.in_(m.Sanction.select(m.Sanction.id).where(
            m.Sanction.kind == "schorsing").order_by(m.Sanction.id).limit(4))).execute()
    school_wide = ids(school, running, end, TODAY.isoformat())
    count, _lines = ov.suspensions_current(directie, TODAY)
    assert count == len(school_wide) >= 4  # the directie owns none of these cases
    sid, uid = mentor.staff_id, mentor.user_id
    own = ids(school, running + f" AND {MENTOR_CASES}", end, TODAY.isoformat(), sid, uid, sid)
    assert ov.suspensions_current(mentor, TODAY)[0] == len(own) < len(school_wide)


def test_due_lines_name_the_due_step_and_its_student_not_the_summary(zorg):
    count, lines = ov.overdue_cases(zorg, TODAY)
    case_lines = [line for line in lines if line.kind == "case"]
    assert count and case_lines
    for line in case_lines:
        case = m.Case.get_by_id(line.record_id)
        assert line.text.startswith(case.number + " · ")
        assert case.summary not in line.text  # the step, not 'Genegeerd bij groepswerk'
        names = [f"{s.first_name} {s.tussenvoegsel + ' ' if s.tussenvoegsel else ''}"
                 f"{s.last_name}" for s in m.Student.select().join(m.Involvement)
                 .where(m.Involvement.case == case.id)]
        assert any(line.text.endswith(" — " + name) for name in names), line.text
