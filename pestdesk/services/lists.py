"""The growing lists the GUI shows (students, cases, meetings, letters) as SQL queries.

A ``ListQuery`` filters and sorts in SQL and hands out one page of rows at a time, so a view
never loads a whole table. The Qt model (``gui.common.models.ListModel``) asks for pages as the
user scrolls. Role-based visibility (who may see which cases) is applied here, in the
query, so every view inherits it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, ClassVar

from peewee import JOIN, SQL, Value, fn
from peewee import Case as SqlCase

from .. import clock
from ..i18n import N_
from ..importers.values import fold
from ..store import models as m
from . import access
from .base import Actor


@dataclass(frozen=True)
class Column:
    key: str
    label: str  # N_()-marked; translated by the view
    kind: str = "text"  # text, date, datetime, bool, number


@dataclass
class ListQuery:
    """Base: subclasses give ``columns``, ``select()`` and the sortable expressions."""

    filters: dict[str, Any] = field(default_factory=dict)
    order_key: str = ""
    descending: bool = False
    # who is looking, always named (keyword): every select() applies services.access for
    # it. SYSTEM (full access) only for explicitly system jobs such as the command line.
    actor: Actor = field(kw_only=True)

    columns: ClassVar[tuple[Column, ...]] = ()

    def select(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def order_expressions(self) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def id_field(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def count(self) -> int:
        # count over the ids only: the display columns (correlated subqueries) cost time
        return self.select().select(self.id_field()).count()

    def page(self, offset: int, limit: int) -> list[tuple]:
        """Rows (id, col1, col2, ...) in the chosen order."""
        exprs = self.order_expressions()
        key = self.order_key if self.order_key in exprs else next(iter(exprs))
        expr = exprs[key]
        order = [expr.desc() if self.descending else expr.asc(), self.id_field()]
        return list(self.select().order_by(*order).offset(offset).limit(limit).tuples())


def full_name(model):
    """SQL for 'Roepnaam tussenvoegsel Achternaam' of a Student, Staff or Guardian."""
    tv = SqlCase(None, [(model.tussenvoegsel == "", "")], model.tussenvoegsel.concat(" "))
    return model.first_name.concat(" ").concat(tv).concat(model.last_name)


def sort_name_matches(field, text: str):
    """Every typed word must occur in the (accent-folded) sort name: 'de vr' finds
    'vries, daan de', 'celik' finds 'Çelik'."""
    condition = None
    for token in text.split():
        part = field.contains(fold(token))
        condition = part if condition is None else (condition & part)
    return condition


def student_text_condition(text: str):
    """Each typed word matches the sort name, a student number prefix or a class prefix."""
    S, K = m.Student, m.SchoolClass
    condition = None
    for word in text.split():
        part = (
            S.sort_name.contains(fold(word)) | S.number.startswith(word) | K.name.startswith(word)
        )
        condition = part if condition is None else (condition & part)
    return condition


def student_text_rank(text: str):
    """How well a student matches typed words, as SQL (higher first): each word that is a
    whole word of the name counts, the last one also as the start of a word. 'Luuk de V'
    ranks Luuk de Vries (luuk, de, v…) before Luuk van der Veen (luuk, v…; 'de' only inside
    'der'); ``student_text_condition`` decides who matches at all."""
    words = [fold(w) for w in text.split()]
    if not words:
        return Value(0)
    padded = Value(" ").concat(fn.REPLACE(m.Student.sort_name, ",", "")).concat(" ")
    rank = None
    for i, word in enumerate(words):
        pattern = f"% {word}%" if i == len(words) - 1 else f"% {word} %"
        part = SqlCase(None, [(padded ** pattern, 1)], 0)
        rank = part if rank is None else rank + part
    return rank


class StudentList(ListQuery):
    columns = (
        Column("name", N_("Name")),
        Column("number", N_("Student number")),
        Column("class", N_("Class")),
        Column("mentor", N_("Mentor")),
        Column("cases", N_("Cases"), "number"),
    )

    def id_field(self):
        return m.Student.id

    def order_expressions(self):
        return {
            "name": m.Student.sort_name,
            "number": m.Student.number,
            "class": m.SchoolClass.name,
            "cases": SQL("cases"),
        }

    def select(self):
        S, K = m.Student, m.SchoolClass
        mentors = (
            m.ClassMentor.select(fn.GROUP_CONCAT(m.Staff.code, ", "))
            .join(m.Staff)
            .where(m.ClassMentor.school_class == S.school_class)
        )
        cases = m.Involvement.select(fn.COUNT(m.Involvement.id)).where(
            m.Involvement.student == S.id)
        if not access.sees_all_cases(self.actor):
            cases = cases.where(access.case_row_visible(self.actor, m.Involvement.case))
        tv = SqlCase(None, [(S.tussenvoegsel == "", "")], Value(" ").concat(S.tussenvoegsel))
        name = S.last_name.concat(", ").concat(S.first_name).concat(tv)
        query = (
            S.select(S.id, name, S.number, K.name, mentors, cases.alias("cases"))
            .join(K, JOIN.LEFT_OUTER, on=(S.school_class == K.id))
            .where(access.student_visibility(self.actor))
        )
        text = (self.filters.get("text") or "").strip().lower()
        if text:
            query = query.where(student_text_condition(text))
        if not self.filters.get("include_left"):
            query = query.where(S.left_on.is_null())
        return query


class CaseList(ListQuery):
    columns = (
        Column("number", N_("Number")),
        Column("reported_on", N_("Reported"), "date"),
        Column("summary", N_("Summary")),
        Column("victim", N_("Victim")),
        Column("class", N_("Class")),
        Column("stage", N_("Stage")),
        Column("status", N_("Status")),
        Column("next_due_on", N_("Next action due"), "date"),
        Column("cyber", N_("Cyber"), "bool"),
    )

    def id_field(self):
        return m.Case.id

    def order_expressions(self):
        C = m.Case
        return {
            "reported_on": C.reported_on,
            "number": C.number,
            "summary": C.summary,
            "stage": C.stage_code,
            "status": C.status,
            "next_due_on": C.next_due_on,
            "cyber": C.is_cyber,
        }

    def select(self):
        C, Inv, S, K = m.Case, m.Involvement, m.Student, m.SchoolClass
        victim = (
            Inv.select(full_name(S)).join(S)
            .where((Inv.case == C.id) & (Inv.role == "gepeste")).limit(1)
        )
        klass = (
            Inv.select(K.name)
            .join(S)
            .join(K, on=(S.school_class == K.id))
            .where((Inv.case == C.id) & (Inv.role == "gepeste"))
            .limit(1)
        )
        query = C.select(
            C.id,
            C.number,
            C.reported_on,
            C.summary,
            victim,
            klass,
            C.stage_code,
            C.status,
            C.next_due_on,
            C.is_cyber,
        )
        query = query.where(
            (C.is_signal == bool(self.filters.get("signals"))) & access.case_visibility(self.actor)
        )
        f = self.filters
        if f.get("status") in ("open", "closed"):
            query = query.where(C.status == f["status"])
        if f.get("stage"):
            query = query.where(C.stage_code == f["stage"])
        if f.get("cyber"):
            query = query.where(C.is_cyber == True)  # noqa: E712
        if f.get("form"):
            query = query.where(fn.INSTR("," + C.forms + ",", "," + f["form"] + ",") > 0)
        if f.get("overdue"):
            query = query.where((C.status == "open") & (C.next_due_on < clock.today()))
        if f.get("owner"):
            query = query.where(C.owner == f["owner"])
        if f.get("class_id"):
            query = query.where(
                fn.EXISTS(
                    Inv.select(Inv.id)
                    .join(S)
                    .where((Inv.case == C.id) & (S.school_class == f["class_id"]))
                )
            )
        if f.get("student_id"):
            query = query.where(
                fn.EXISTS(Inv.select(Inv.id).where(
                    (Inv.case == C.id) & (Inv.student == f["student_id"])))
            )
        text = (f.get("text") or "").strip().lower()
        if text:
            by_student = (
                Inv.select(Inv.id)
                .join(S)
                .where((Inv.case == C.id) & sort_name_matches(S.sort_name, text))
            )
            query = query.where(
                C.number.contains(text) | C.summary.contains(text) | fn.EXISTS(by_student)
            )
        return query


class MeetingList(ListQuery):
    columns = (
        Column("starts_at", N_("Date and time"), "datetime"),
        Column("kind", N_("Meeting")),
        Column("place", N_("Place")),
        Column("chair", N_("Chair")),
        Column("items", N_("Agenda items"), "number"),
        Column("status", N_("Status")),  # "planned" or "held" (from its start time)
    )

    def id_field(self):
        return m.Meeting.id

    def order_expressions(self):
        return {"starts_at": m.Meeting.starts_at, "kind": m.Meeting.kind}

    def select(self):
        M, St = m.Meeting, m.Staff
        A = m.AgendaItem
        items = A.select(fn.COUNT(A.id)).where(
            (A.meeting == M.id)
            & (A.case.is_null() | A.case.in_(access.visible_case_ids(self.actor)))
        )
        chair = full_name(St)
        status = SqlCase(None, [(M.starts_at <= clock.utcnow(), "held")], "planned")
        query = (
            M.select(M.id, M.starts_at, M.kind, M.place, chair, items, status)
            .join(St, JOIN.LEFT_OUTER, on=(M.chair == St.id))
            .where(access.meeting_visibility(self.actor))
        )
        if self.filters.get("upcoming"):
            query = query.where(M.starts_at >= clock.utcnow() - dt.timedelta(hours=2))
        if self.filters.get("kind"):
            query = query.where(M.kind == self.filters["kind"])
        return query

    def page(self, offset: int, limit: int) -> list[tuple]:
        """The place is free text: shown as the reader may read it (consent of outside
        participants, nobody the reader may not see: ``meetings.place_for``)."""
        from .meetings import place_for

        return [(*row[:3], place_for(self.actor, row[0]) if row[3] else "", *row[4:])
                for row in super().page(offset, limit)]


class LetterList(ListQuery):
    columns = (
        Column("created_at", N_("Created"), "datetime"),
        Column("case", N_("Case")),
        Column("template", N_("Letter")),
        Column("recipient", N_("Recipient")),
    )

    def id_field(self):
        return m.Letter.id

    def order_expressions(self):
        return {"created_at": m.Letter.created_at, "template": m.Letter.template_code}

    def select(self):
        L, C = m.Letter, m.Case
        query = (
            L.select(L.id, L.created_at, C.number, L.template_code, L.recipient)
            .join(C, JOIN.LEFT_OUTER, on=(L.case == C.id))
            .where(access.letter_visibility(self.actor))
        )
        if self.filters.get("case_id"):
            query = query.where(L.case == self.filters["case_id"])
        for word in (self.filters.get("text") or "").strip().lower().split():
            # case number or template code; a letter's title maps to codes in the view
            codes = list(self.filters.get("template_codes", {}).get(word, ()))
            by_code = L.template_code.contains(word) | L.template_code.in_(codes)
            query = query.where(C.number.contains(word) | by_code)
        return query


def is_overdue_expression():
    C = m.Case
    return SqlCase(None, [((C.status == "open") & (C.next_due_on < clock.today()), 1)], 0)
