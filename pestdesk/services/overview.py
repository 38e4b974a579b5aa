"""What the start screen (Overzicht) shows: short lists of what needs doing, from SQL.

Every list is limited; the counts come from COUNT queries, never from loading rows. Each
line names the case or meeting it opens. "My" work is what the signed-in user answers for:
cases they own, cases of students in the classes they mentor, cases they registered and
Action rows they own; a care coordinator watches every deadline of the cases they may see.
Everything is further limited by need-to-know (``access.case_visibility``).

Every card says whose items it counts (:func:`sections`): "mine" (what the user answers for)
or "school" (every case the user may see: a care coordinator watches every deadline). Roles
that oversee the whole school (directie, care coordinators) follow every suspension and every
notification to the inspectorate; nobody else gets a card for the inspectorate, which is not
their task.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from peewee import JOIN, SQL, fn

from ..i18n import _, format_date, format_datetime
from ..store import models as m
from . import access
from .base import Actor, ServiceError
from .lists import full_name

LIMIT = 8
SOON_DAYS = 7
CONTRACT_DAYS = 14
# roles that watch every deadline of the cases they may see, not only their own
WATCH_ALL_ROLES = frozenset({"ondersteuningscoordinator", "zorgcoordinator"})
# roles that oversee the whole school: school-wide suspensions and inspectorate tasks
SCHOOL_ROLES = frozenset({"ondersteuningscoordinator", "zorgcoordinator", "directie"})
# roles reminded of the yearly safety monitor (due at the inspectorate by 1 July)
MONITOR_ROLES = frozenset({"ondersteuningscoordinator", "zorgcoordinator", "directie"})
MONITOR_MONTHS = (3, 4, 5, 6)
LAST_VISIT_KEY = "last_visit:{user_id}"


@dataclass
class OverviewLine:
    kind: str  # case, meeting
    record_id: int
    when: dt.date | dt.datetime | None
    text: str


@dataclass(frozen=True)
class Section:
    """One card of the overview: ``scope`` says whose items it counts (mine, school)."""

    key: str
    title: str
    urgent: bool
    scope: str

    def scope_label(self) -> str:
        return _("mine") if self.scope == "mine" else _("school")

    def scope_help(self) -> str:
        if self.scope == "mine":
            return _("Counts your own items: the cases you own, registered or mentor.")
        return _("Counts the items of every case of the school you may see.")


def watches_all(actor: Actor) -> bool:
    """Whether ``actor`` watches every deadline of the cases they may see."""
    return access.is_system(actor) or actor.has_role(*WATCH_ALL_ROLES)


def oversees_school(actor: Actor) -> bool:
    """Whether ``actor`` follows every suspension and inspectorate notification."""
    return access.is_system(actor) or actor.has_role(*SCHOOL_ROLES)


def sections(actor: Actor, since: dt.datetime | None = None) -> list[Section]:
    """The cards of ``actor``'s overview, each with the scope of what it counts."""
    watched = "school" if watches_all(actor) else "mine"
    seen = "school" if access.sees_all_cases(actor) else "mine"
    new = (_("New reports since your last visit ({when})").format(
        when=format_datetime(since, "short")) if since else _("New reports (last 7 days)"))
    out = [
        Section("overdue", _("Overdue actions"), True, watched),
        Section("soon", _("Actions in the coming week"), False, watched),
        Section("followups", _("Follow-up conversations and agreement evaluations"), False,
                watched),
        Section("contracts", _("Contract evaluations"), False, watched),
        Section("suspensions", _("Suspensions running or ending"), False,
                "school" if oversees_school(actor) else watched),
    ]
    if oversees_school(actor):
        out.append(Section("inspectie", _("Notifications to the inspectorate still to make"),
                           True, "school"))
    out += [
        Section("new", new, False, seen),
        Section("relapses", _("Relapses in open cases"), False, watched),
        Section("meetings", _("Next care-team meetings"), False, "school"),
    ]
    return out


def _lines(query, make) -> list[OverviewLine]:
    return [make(r) for r in query.limit(LIMIT).tuples()]


def mine(actor: Actor):
    """A WHERE expression over Case: the cases whose deadlines are ``actor``'s to watch."""
    C = m.Case
    if watches_all(actor):
        return SQL("1 = 1")
    parts = []
    if actor.staff_id is not None:
        inv, stu = m.Involvement.alias("my_inv"), m.Student.alias("my_stu")
        cm = m.ClassMentor.alias("my_cm")
        parts.append(C.owner == actor.staff_id)
        parts.append(fn.EXISTS(
            inv.select(inv.id).join(stu, on=(inv.student == stu.id))
            .join(cm, on=(cm.school_class == stu.school_class))
            .where((inv.case == C.id) & (cm.staff == actor.staff_id))))
    if actor.user_id is not None:
        parts.append(C.created_by == actor.user_id)
    if not parts:
        return SQL("1 = 0")
    expression = parts[0]
    for part in parts[1:]:
        expression = expression | part
    return expression


def _my_open_cases(actor: Actor):
    C = m.Case
    return ((C.status == "open") & (C.is_signal == False)  # noqa: E712
            & access.case_visibility(actor) & mine(actor))


def _case_line(r) -> OverviewLine:
    return OverviewLine("case", r[0], r[3], f"{r[1]} · {r[2]}")


def _students(case_id: int) -> dict[int, tuple[str, str]]:
    """{student id: (name, role)} of the case's students."""
    Inv, S = m.Involvement, m.Student
    return {sid: (name, role) for sid, name, role in
            Inv.select(Inv.student, full_name(S), Inv.role).join(S)
            .where(Inv.case == case_id).order_by(Inv.id).tuples()}


def due_step_text(case_id: int, number: str, summary: str, today: dt.date, *,
                  actor: Actor) -> str:
    """'2026-0012 · Gesprek met de pester — Bram Bakker': the step that is due first and the
    student it is about (the bully for a bully's step, else the victim). The protocol's
    engine says which step; the case summary only when it names none."""
    from . import cases

    try:
        assessment = cases.assess(case_id, today, actor=actor)
    except (ServiceError, LookupError):
        return f"{number} · {summary}"
    due = [(step.due_on, step.title, pester.student_id if step.scope == "pester" else None)
           for pester in assessment.pesters for step in pester.open_steps
           if step.due_on is not None]
    if not due:
        return f"{number} · {summary}"
    _when, title, student_id = min(due, key=lambda d: (d[0], d[2] is None))
    students = _students(case_id)
    if student_id is None:
        student_id = next((sid for sid, (_n, role) in students.items() if role == "gepeste"),
                          None)
    name = students.get(student_id, ("", ""))[0]
    return f"{number} · {title}" + (f" — {name}" if name else "")


def _due_lines(query, today: dt.date, actor: Actor) -> list[OverviewLine]:
    return [OverviewLine("case", r[0], r[3], due_step_text(r[0], r[1], r[2], today,
                                                                actor=actor))
            for r in query.limit(LIMIT).tuples()]


def _my_actions(actor: Actor, condition) -> tuple[int, list[OverviewLine]]:
    """Action rows (from a case or a meeting's agenda) owned by ``actor`` and open."""
    if actor.staff_id is None:
        return 0, []
    A, C, AI = m.Action, m.Case, m.AgendaItem
    visible = A.case.is_null() | A.case.in_(access.visible_case_ids(actor))
    query = (A.select(A.id, A.case, AI.meeting, A.due_on, A.description, C.number)
             .join_from(A, C, JOIN.LEFT_OUTER, on=(A.case == C.id))
             .join_from(A, AI, JOIN.LEFT_OUTER, on=(A.agenda_item == AI.id))
             .where((A.owner == actor.staff_id) & A.done_on.is_null() & condition & visible)
             .order_by(A.due_on))

    def line(r) -> OverviewLine:
        _id, case_id, meeting_id, due, text, number = r
        short = text if len(text) <= 80 else text[:79] + "…"
        if case_id is not None:
            return OverviewLine("case", case_id, due, f"{number} · {short}")
        return OverviewLine("meeting", meeting_id or 0, due, short)

    return query.count(), _lines(query, line)


def my_actions(actor: Actor, today: dt.date) -> tuple[int, list[OverviewLine]]:
    """All my open Action rows (meeting decisions, contract evaluations), soonest first;
    ``today`` is when the list is shown (lines before it are overdue)."""
    return _my_actions(actor, SQL("1 = 1"))


def _merge(*parts: tuple[int, list[OverviewLine]]) -> tuple[int, list[OverviewLine]]:
    count = sum(p[0] for p in parts)
    lines = sorted((line for p in parts for line in p[1]),
                   key=lambda x: (x.when is None, str(x.when)))
    return count, lines[:LIMIT]


def overdue_cases(actor: Actor, today: dt.date) -> tuple[int, list[OverviewLine]]:
    """My cases whose next step is overdue, and my Action rows past their date."""
    C = m.Case
    query = (C.select(C.id, C.number, C.summary, C.next_due_on)
             .where(_my_open_cases(actor) & (C.next_due_on < today)).order_by(C.next_due_on))
    cases = (query.count(), _due_lines(query, today, actor))
    return _merge(cases, _my_actions(actor, m.Action.due_on < today))


def due_soon(actor: Actor, today: dt.date, days: int = SOON_DAYS
             ) -> tuple[int, list[OverviewLine]]:
    """My cases and Action rows due from today up to ``days`` ahead."""
    C = m.Case
    end = today + dt.timedelta(days=days)
    query = (C.select(C.id, C.number, C.summary, C.next_due_on)
             .where(_my_open_cases(actor) & C.next_due_on.between(today, end))
             .order_by(C.next_due_on))
    cases = (query.count(), _due_lines(query, today, actor))
    return _merge(cases, _my_actions(actor, m.Action.due_on.between(today, end)))


def followups_due(actor: Actor, today: dt.date, days: int = SOON_DAYS
                  ) -> tuple[int, list[OverviewLine]]:
    """Agreements to evaluate (the follow-up conversation) up to ``days`` ahead, or late."""
    A, C, St = m.Agreement, m.Case, m.Staff
    query = (A.select(C.id, C.number, A.description, A.evaluate_on, full_name(St))
             .join(C).join_from(A, St, JOIN.LEFT_OUTER, on=(A.owner == St.id))
             .where(_my_open_cases(actor) & A.done_on.is_null()
                    & (A.evaluate_on <= today + dt.timedelta(days=days)))
             .order_by(A.evaluate_on))

    def line(r) -> OverviewLine:
        # the whole agreement (the list wraps it): agreements of one case often start alike
        who = _(" (follow-up: {name})").format(name=r[4]) if r[4] else ""
        return OverviewLine("case", r[0], r[3], f"{r[1]} · {r[2]}{who}")

    return query.count(), _lines(query, line)


def contract_evaluations(actor: Actor, today: dt.date, days: int = CONTRACT_DAYS
                         ) -> tuple[int, list[OverviewLine]]:
    """Anti-bullying contracts without an outcome whose evaluation date has come (near)."""
    K, C, S = m.Contract, m.Case, m.Student
    query = (K.select(C.id, C.number, full_name(S), K.evaluate_on)
             .join_from(K, C, on=(K.case == C.id)).join_from(K, S, on=(K.student == S.id))
             .where(_my_open_cases(actor) & (K.outcome == "")
                    & (K.evaluate_on <= today + dt.timedelta(days=days)))
             .order_by(K.evaluate_on))
    return query.count(), _lines(query, lambda r: OverviewLine(
        "case", r[0], r[3], _("{number} · contract of {name}").format(number=r[1], name=r[2])))


def suspensions_current(actor: Actor, today: dt.date, days: int = SOON_DAYS
                        ) -> tuple[int, list[OverviewLine]]:
    """Suspensions running today, or starting or ending within ``days``: every one of the
    school for who oversees it (:func:`oversees_school`), else those of my cases."""
    from ..domain.sanctions import KIND_LABELS, SUSPENSION_KINDS  # legal rules: load late

    S, C, St = m.Sanction, m.Case, m.Student
    end = today + dt.timedelta(days=days)
    query = (S.select(C.id, C.number, full_name(St), S.kind, S.first_day, S.last_day)
             .join_from(S, C, on=(S.case == C.id)).join_from(S, St, on=(S.student == St.id))
             .where(S.kind.in_(SUSPENSION_KINDS) & (S.first_day <= end)
                    & (fn.COALESCE(S.last_day, S.first_day) >= today)
                    & access.case_visibility(actor)
                    & (SQL("1 = 1") if oversees_school(actor) else mine(actor)))
             .order_by(S.last_day))

    def line(r) -> OverviewLine:
        case_id, number, name, kind, first, last = r
        kind = _(KIND_LABELS.get(kind, kind))
        if (last or first) == first:  # one day: "schorsing 26 nov", not "26 nov – 26 nov"
            return OverviewLine("case", case_id, first, _(
                "{number} · {name}: {kind} {day}").format(
                    number=number, name=name, kind=kind, day=format_date(first, "d MMM")))
        return OverviewLine("case", case_id, last, _(
            "{number} · {name}: {kind} {first} – {last}").format(
                number=number, name=name, kind=kind, first=format_date(first, "d MMM"),
                last=format_date(last, "d MMM")))

    return query.count(), _lines(query, line)


def new_reports(actor: Actor, since: dt.date | dt.datetime) -> tuple[int, list[OverviewLine]]:
    """Reports the user has not seen: registered after ``since`` (a stored UTC time of the
    last visit) or, given a date, reported on or after it."""
    C = m.Case
    if isinstance(since, dt.datetime):
        newer = C.created_at > since
    else:
        newer = C.reported_on >= since
    query = (C.select(C.id, C.number, C.summary, C.reported_on)
             .where(newer & access.case_visibility(actor))
             .order_by(C.reported_on.desc(), C.id.desc()))
    return query.count(), _lines(query, _case_line)


def inspectie_open(actor: Actor) -> tuple[int, list[OverviewLine]]:
    """Legal notifications to the inspectorate not made yet, earliest deadline first."""
    S, C, St = m.Sanction, m.Case, m.Student
    query = (S.select(C.id, C.number, S.inspectie_due_on, full_name(St))
             .join(C, on=(S.case == C.id)).switch(S).join(St, on=(S.student == St.id))
             .where(S.inspectie_due_on.is_null(False) & S.inspectie_reported_on.is_null()
                    & access.case_visibility(actor))
             .order_by(S.inspectie_due_on))
    return query.count(), _lines(query, lambda r: OverviewLine(
        "case", r[0], r[2], _("{number} · {name} (deadline {date})").format(
            number=r[1], name=r[3], date=format_date(r[2], "d MMM"))))


def relapses_open(actor: Actor) -> tuple[int, list[OverviewLine]]:
    """Bullies in open cases who were a bully in an earlier case (recidive)."""
    Inv, C, St = m.Involvement, m.Case, m.Student
    earlier = m.Case.alias("earlier")
    query = (Inv.select(C.id, C.number, full_name(St), C.reported_on, earlier.number)
             .join_from(Inv, C, on=(Inv.case == C.id)).join_from(Inv, St, on=(Inv.student == St.id))
             .join_from(Inv, earlier, on=(Inv.relapse_of == earlier.id))
             .where(Inv.relapse_of.is_null(False) & _my_open_cases(actor))
             .order_by(C.reported_on.desc()))
    return query.count(), _lines(query, lambda r: OverviewLine(
        "case", r[0], r[3], _("{number} · {name} (before: {earlier})").format(
            number=r[1], name=r[2], earlier=r[4])))


def upcoming_meetings(actor: Actor, now: dt.datetime) -> tuple[int, list[OverviewLine]]:
    M = m.Meeting
    query = M.select(M.id, M.kind, M.starts_at, M.place).where(
        (M.starts_at >= now) & access.meeting_visibility(actor))
    lines = [OverviewLine("meeting", r[0], r[2], f"{r[1]} · {r[3]}")
             for r in query.order_by(M.starts_at).limit(LIMIT).tuples()]
    return query.count(), lines


def open_case_count(actor: Actor) -> int:
    C = m.Case
    return C.select().where((C.status == "open") & (C.is_signal == False)  # noqa: E712
                            & access.case_visibility(actor)).count()


def safety_monitor_reminder(actor: Actor, today: dt.date) -> str:
    """In spring, remind the coordinator that the safety monitor is due by 1 July."""
    if today.month not in MONITOR_MONTHS or not actor.has_role(*MONITOR_ROLES):
        return ""
    return _("The yearly safety monitor (the figures on bullying and incidents) must reach "
             "the inspectorate by {date}. Cijfers prepares the year report.").format(
        date=format_date(dt.date(today.year, 7, 1), "long"))


# -- the last visit ------------------------------------------------------------------------


def last_visit(actor: Actor) -> dt.datetime | None:
    """When ``actor`` last opened the overview (UTC), or None the first time."""
    from .settings import get_value

    if actor.user_id is None:
        return None
    text = get_value(LAST_VISIT_KEY.format(user_id=actor.user_id))
    try:
        return dt.datetime.fromisoformat(text) if text else None
    except (TypeError, ValueError):
        return None


def record_visit(actor: Actor, when: dt.datetime | None = None) -> bool:
    """Remember this visit (UTC), so the next one shows only newer reports.

    A database opened read-only (or busy) cannot store it; the start screen still opens,
    so that is reported as False rather than raised.
    """
    from ..store.errors import StoreError
    from .settings import set_value

    if actor.user_id is None:
        return False
    stamp = (when or m.utcnow()).replace(microsecond=0).isoformat()
    try:
        set_value(actor, LAST_VISIT_KEY.format(user_id=actor.user_id), stamp)
    except (ServiceError, StoreError):
        return False
    return True
