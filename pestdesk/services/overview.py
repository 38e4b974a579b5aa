"""What the start screen (Overzicht) shows: short lists of what needs doing, from SQL.

Every list is limited; the counts come from COUNT queries, never from loading rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..store import models as m
from . import access
from .base import Actor
from .lists import full_name

LIMIT = 8


@dataclass
class OverviewLine:
    kind: str  # case, meeting
    record_id: int
    when: dt.date | dt.datetime | None
    text: str


def overdue_cases(actor: Actor, today: dt.date) -> tuple[int, list[OverviewLine]]:
    C = m.Case
    query = C.select(C.id, C.number, C.summary, C.next_due_on).where(
        (C.status == "open") & (C.is_signal == False) & (C.next_due_on < today)  # noqa: E712
        & access.case_visibility(actor))
    lines = [OverviewLine("case", r[0], r[3], f"{r[1]} · {r[2]}")
             for r in query.order_by(C.next_due_on).limit(LIMIT).tuples()]
    return query.count(), lines


def due_soon(actor: Actor, today: dt.date, days: int = 7) -> tuple[int, list[OverviewLine]]:
    C = m.Case
    query = C.select(C.id, C.number, C.summary, C.next_due_on).where(
        (C.status == "open") & C.next_due_on.between(today, today + dt.timedelta(days=days))
        & access.case_visibility(actor))
    lines = [OverviewLine("case", r[0], r[3], f"{r[1]} · {r[2]}")
             for r in query.order_by(C.next_due_on).limit(LIMIT).tuples()]
    return query.count(), lines


def new_reports(actor: Actor, since: dt.date) -> tuple[int, list[OverviewLine]]:
    C = m.Case
    query = C.select(C.id, C.number, C.summary, C.reported_on).where(
        (C.reported_on >= since) & access.case_visibility(actor))
    lines = [OverviewLine("case", r[0], r[3], f"{r[1]} · {r[2]}")
             for r in query.order_by(C.reported_on.desc()).limit(LIMIT).tuples()]
    return query.count(), lines


def inspectie_open(actor: Actor) -> tuple[int, list[OverviewLine]]:
    S, C, St = m.Sanction, m.Case, m.Student
    query = (S.select(C.id, C.number, S.inspectie_due_on, full_name(St))
             .join(C, on=(S.case == C.id)).switch(S).join(St, on=(S.student == St.id))
             .where(S.inspectie_due_on.is_null(False) & S.inspectie_reported_on.is_null()
                    & access.case_visibility(actor)))
    lines = [OverviewLine("case", r[0], r[2], f"{r[1]} · {r[3]}")
             for r in query.order_by(S.inspectie_due_on).limit(LIMIT).tuples()]
    return query.count(), lines


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
