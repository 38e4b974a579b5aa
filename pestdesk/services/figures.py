"""Cijfers: anonymous figures about reports, cases and sanctions for a period and filters.

Every number is counted by the database (``GROUP BY`` and conditional ``SUM``), never by
loading rows into Python. The figures feed the Cijfers screen, the yearly report (the
analysis of bullying and incidents a school owes under the Arbo catalogue and its
social-safety policy) and the export of the underlying counts.

A case belongs to the class of its (first) victim as that student is registered *now*;
students who left school have no class and are counted under "unknown". Cases follow the
period by the date they were reported; durations by the date a case was closed; sanctions by
their first day (or the date of the decision).

Small counts are masked so no child can be recognised: a count from 1 to 4 is shown as
"<5", never as the number (primary suppression). Where cells add up to a total that is
shown, a single masked cell could be worked out by subtraction, so a second cell in that
row or column is masked as well (secondary suppression), repeated until no line has exactly
one masked cell. Medians, averages and shares built on fewer than five are masked too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from babel.numbers import format_decimal
from peewee import JOIN, SQL, PostgresqlDatabase, fn
from peewee import Case as SqlCase

from .. import clock
from ..domain.taxonomy import FORMS, LOCATIONS
from ..i18n import _, format_date, format_number, language, locale_name
from ..store import models as m
from .base import Actor, ServiceError, audit, write
from .exports import write_csv, write_xlsx

if TYPE_CHECKING:  # the renderer (and reportlab) load only when a report is made
    from ..letters.year_report import ReportTable, YearReport

THRESHOLD = 5
MASK = "<5"  # a count from 1 to 4 (primary suppression)
HIDDEN = "x"  # hidden so a small count cannot be worked out from the others (secondary)
SMALL, SECONDARY = 1, 2  # values in FigureTable.masked (0: shown)
SANCTION_KINDS = ("schorsing_1", "schorsing_lang", "interne_schorsing", "voornemen_verwijdering",
                  "verwijdering")


# --------------------------------------------------------------------------- period, filters


@dataclass(frozen=True)
class Period:
    """From ``start`` up to and including ``end``."""

    start: dt.date
    end: dt.date

    @classmethod
    def school_year(cls, first_year: int) -> Period:
        """The school year 1 August ``first_year`` – 31 July the year after."""
        return cls(dt.date(first_year, 8, 1), dt.date(first_year + 1, 7, 31))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def label(self) -> str:
        if self.start.month == 8 and self.start.day == 1 and self.end == dt.date(
                self.start.year + 1, 7, 31):
            return school_year_label(self.start.year)
        return f"{format_date(self.start, 'medium')} – {format_date(self.end, 'medium')}"

    def previous(self) -> Period:
        """The period of the same length just before this one (a school year: the one before)."""
        if self.start.month == 8 and self.start.day == 1 and self.days in (365, 366):
            return Period.school_year(self.start.year - 1)
        return Period(self.start - dt.timedelta(days=self.days), self.start - dt.timedelta(days=1))


def school_year_of(day: dt.date) -> int:
    """The first calendar year of the school year ``day`` falls in (August starts a year)."""
    return day.year if day.month >= 8 else day.year - 1


def school_year_label(first_year: int) -> str:
    return f"{first_year}-{first_year + 1}"


@dataclass(frozen=True)
class FigureFilters:
    """What to count: every field empty means the whole school."""

    department: str = ""
    leerjaar: int | None = None
    class_id: int | None = None
    form: str = ""
    cyber: bool | None = None  # True: only cyberbullying, False: none of it

    def describe(self) -> list[str]:
        """The active filters as short readable phrases (no personal data)."""
        parts = []
        if self.department:
            parts.append(_("department {name}").format(name=self.department))
        if self.leerjaar:
            parts.append(_("year {n}").format(n=self.leerjaar))
        if self.class_id:
            name = m.SchoolClass.select(m.SchoolClass.name).where(
                m.SchoolClass.id == self.class_id).scalar()
            parts.append(_("class {name}").format(name=name or "?"))
        if self.form:
            parts.append(_(FORMS.get(self.form, self.form)))
        if self.cyber is True:
            parts.append(_("cyberbullying only"))
        elif self.cyber is False:
            parts.append(_("without cyberbullying"))
        return parts


# --------------------------------------------------------------------------- tables, masking


@dataclass
class FigureTable:
    """One figure: labelled rows by columns of numbers, masked where they are small.

    ``additive_columns`` are the columns whose cells add up to the total row;
    ``row_parts``/``row_total`` name columns that add up to another column in every row.
    ``count_columns`` hold counts of children or cases (masked below five); other columns
    hold derived numbers (median, average, share) that the builder masks itself.
    """

    key: str
    title: str
    columns: list[str]
    row_keys: list[str]
    row_labels: list[str]
    values: list[list[float | int | None]]
    total: list[float | int | None] | None = None
    total_label: str = ""
    additive_columns: tuple[int, ...] = ()
    row_parts: tuple[int, ...] = ()
    row_total: int | None = None
    count_columns: tuple[int, ...] = (0,)
    chart: str = "bar"  # bar, hbar, line
    chart_columns: tuple[int, ...] = (0,)
    chart_skip: tuple[str, ...] = ()  # row keys the chart leaves out (the table keeps them)
    note: str = ""
    masked: list[list[int]] = field(default_factory=list)  # 0, SMALL or SECONDARY
    total_masked: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.masked:
            self.masked = [[0] * len(self.columns) for _r in self.values]
        if not self.total_masked:
            self.total_masked = [0] * len(self.columns)

    # what the screen, the report and the export show
    def text(self, row: int, col: int) -> str:
        return _show(self.values[row][col], self.masked[row][col])

    def total_text(self, col: int) -> str:
        if self.total is None:
            return ""
        return _show(self.total[col], self.total_masked[col])

    def chart_rows(self) -> list[int]:
        """The rows a chart draws."""
        return [r for r, key in enumerate(self.row_keys) if key not in self.chart_skip]

    def plotted(self, row: int, col: int) -> float:
        """The value a chart may draw: a masked cell draws nothing."""
        value = self.values[row][col]
        return 0.0 if self.masked[row][col] or value is None else float(value)

    def shown_rows(self) -> list[list[str]]:
        """Every row as displayed text, the total row last (the export's content)."""
        rows = [[label, *(self.text(r, c) for c in range(len(self.columns)))]
                for r, label in enumerate(self.row_labels)]
        if self.total is not None:
            rows.append([self.total_label or _("Total"),
                         *(self.total_text(c) for c in range(len(self.columns)))])
        return rows

    def value_of(self, row_key: str, col: int = 0) -> float | int | None:
        return self.values[self.row_keys.index(row_key)][col]

    def text_of(self, row_key: str, col: int = 0) -> str:
        return self.text(self.row_keys.index(row_key), col)


def _show(value: float | int | None, masked: int) -> str:
    if masked:
        return MASK if masked == SMALL else HIDDEN
    if value is None:
        return "–"
    if isinstance(value, float):
        return format_number(round(value, 1))
    return format_number(value)


def is_small(value: float | int | None) -> bool:
    return value is not None and 0 < value < THRESHOLD


def apply_masking(table: FigureTable) -> FigureTable:
    """Primary and secondary suppression of the count cells of ``table`` (in place)."""
    for r, row in enumerate(table.values):
        for c in table.count_columns:
            table.masked[r][c] = table.masked[r][c] or (SMALL if is_small(row[c]) else 0)
    if table.total is not None:
        for c in table.count_columns:
            table.total_masked[c] = table.total_masked[c] or (
                SMALL if is_small(table.total[c]) else 0)
    changed = True
    while changed:
        changed = False
        if table.total is not None:
            for c in table.additive_columns:
                cells = [(r, c) for r in range(len(table.values))]
                changed |= _protect_line(table, cells, total=("total", c))
            if table.row_parts and table.row_total is not None:
                cells = [("total", c) for c in table.row_parts]
                changed |= _protect_line(table, cells, total=("total", table.row_total))
        if table.row_parts and table.row_total is not None:
            for r in range(len(table.values)):
                cells = [(r, c) for c in table.row_parts]
                changed |= _protect_line(table, cells, total=(r, table.row_total))
    return table


def _get(table: FigureTable, cell) -> tuple[float | int | None, bool]:
    r, c = cell
    if r == "total":
        return table.total[c], table.total_masked[c]
    return table.values[r][c], table.masked[r][c]


def _mask(table: FigureTable, cell) -> None:
    r, c = cell
    if r == "total":
        table.total_masked[c] = SECONDARY
    else:
        table.masked[r][c] = SECONDARY


def _protect_line(table: FigureTable, cells: list, total) -> bool:
    """If exactly one cell of an additive line (cells + their total) is masked, mask one more:
    the smallest non-zero open cell, else the total. Returns whether anything changed."""
    line = [*cells, total]
    hidden = [cell for cell in line if _get(table, cell)[1]]
    if len(hidden) != 1:
        return False
    candidates = [cell for cell in cells
                  if not _get(table, cell)[1] and (_get(table, cell)[0] or 0)]
    if candidates:
        _mask(table, min(candidates, key=lambda cell: _get(table, cell)[0]))
    elif not _get(table, total)[1]:
        _mask(table, total)
    else:  # pragma: no cover - a single hidden cell that is the total implies hidden parts
        return False
    return True


# --------------------------------------------------------------------------- the queries


@dataclass
class Figures:
    """Every figure for one period, filter set and actor, ready to show, print or export."""

    period: Period
    filters: FigureFilters
    granularity: str
    tables: dict[str, FigureTable]
    previous_reports: float | int | None = None
    previous_label: str = ""
    computed_at: dt.datetime = field(default_factory=clock.now)

    def __getitem__(self, key: str) -> FigureTable:
        return self.tables[key]

    def summary(self) -> list[str]:
        return summary_sentences(self)


def _default_visibility(actor: Actor | None):
    """The need-to-know rule for ``actor`` (a mentor counts only their classes)."""
    if actor is None:
        return None
    from .access import case_visibility

    return case_visibility(actor)


class _Query:
    """Builds the filtered queries every figure shares."""

    def __init__(self, period: Period, filters: FigureFilters, visibility):
        self.period = period
        self.filters = filters
        self.visibility = visibility
        self.klass = m.SchoolClass.alias("fig_class")

    def victim_class(self):
        """Correlated subquery: the class id of the case's first victim."""
        inv, stu = m.Involvement.alias("fig_inv"), m.Student.alias("fig_stu")
        return (inv.select(stu.school_class).join(stu, on=(inv.student == stu.id))
                .where((inv.case == m.Case.id) & (inv.role == "gepeste"))
                .order_by(inv.id).limit(1))

    @property
    def needs_class(self) -> bool:
        f = self.filters
        return bool(f.department or f.leerjaar or f.class_id)

    def cases(self, *columns, dated_by=None, signals: bool = False, by_class: bool = False):
        """SELECT ``columns`` FROM case [LEFT JOIN its class] WHERE filters (not grouped).

        The class is joined only when a filter or the grouping needs it: finding the
        victim's class is the most expensive part of a query.
        """
        C, K = m.Case, self.klass
        date = dated_by if dated_by is not None else C.reported_on
        query = C.select(*columns)
        if by_class or self.needs_class:
            query = query.join(K, JOIN.LEFT_OUTER, on=(K.id == self.victim_class()))
        query = query.where(date.between(self.period.start, self.period.end))
        if not signals:
            query = query.where(C.is_signal == False)  # noqa: E712
        return query.where(*self.conditions())

    def conditions(self) -> list:
        C, K, f = m.Case, self.klass, self.filters
        parts = []
        if self.visibility is not None:
            parts.append(self.visibility)
        if f.department:
            parts.append(fn.LOWER(K.department) == f.department.lower())
        if f.leerjaar:
            parts.append(K.leerjaar == f.leerjaar)
        if f.class_id:
            parts.append(K.id == f.class_id)
        if f.form:
            parts.append(has_form(f.form))
        if f.cyber is not None:
            parts.append(C.is_cyber == bool(f.cyber))
        return parts


def has_form(code: str):
    """SQL: the case's comma-separated ``forms`` holds ``code``."""
    C = m.Case
    return fn.INSTR("," + C.forms + ",", f",{code},") > 0


def _count_if(condition):
    return fn.SUM(SqlCase(None, [(condition, 1)], 0))


def _year_month(field_):
    """Year and month of a date column, computed by the database itself."""
    db = m.database.obj
    if isinstance(db, PostgresqlDatabase):  # pragma: no cover - no server in tests
        return db.extract_date("year", field_), db.extract_date("month", field_)
    # SQLite stores dates as ISO text; strftime runs in C (peewee's date_part is Python)
    return (fn.strftime("%Y", field_).cast("INTEGER"),
            fn.strftime("%m", field_).cast("INTEGER"))


def _school_year_expr(field_):
    year, month = _year_month(field_)
    return year - SqlCase(None, [(month < 8, 1)], 0)


def _month_expr(field_):
    year, month = _year_month(field_)
    return year * 100 + month


def _days_between(later, earlier):
    if isinstance(m.database.obj, PostgresqlDatabase):  # pragma: no cover - no server in tests
        return later - earlier
    return fn.julianday(later) - fn.julianday(earlier)


# --------------------------------------------------------------------------- the figures


def _buckets(period: Period, granularity: str) -> list[tuple[int, str]]:
    """Every month (yyyymm) or school year (first year) of the period with its label, up to
    today (the months still to come of the current school year have no figures yet)."""
    end = max(period.start, min(period.end, clock.today()))
    if granularity == "month":
        out, day = [], period.start.replace(day=1)
        while day <= end:
            out.append((day.year * 100 + day.month, format_date(day, "MMM yyyy")))
            day = (day + dt.timedelta(days=32)).replace(day=1)
        return out
    first, last = school_year_of(period.start), school_year_of(end)
    return [(y, school_year_label(y)) for y in range(first, last + 1)]


def _over_time(q: _Query, granularity: str) -> FigureTable:
    C = m.Case
    bucket = (_month_expr(C.reported_on) if granularity == "month"
              else _school_year_expr(C.reported_on))
    rows = {b: (s, n, cy) for b, s, n, cy in q.cases(
        bucket.alias("b"), _count_if(C.is_signal == True),  # noqa: E712
        _count_if(C.is_signal == False),  # noqa: E712
        _count_if((C.is_signal == False) & (C.is_cyber == True)),  # noqa: E712
        signals=True).group_by(SQL("b")).tuples()}
    keys, labels, values = [], [], []
    for b, label in _buckets(q.period, granularity):
        s, n, cy = rows.get(b, (0, 0, 0))
        keys.append(str(b))
        labels.append(label)
        values.append([int(s or 0), int(n or 0), int(s or 0) + int(n or 0), int(cy or 0)])
    total = [sum(v[c] for v in values) for c in range(4)]
    return apply_masking(FigureTable(
        "over_time", _("Reports over time"),
        [_("Signals"), _("Reports"), _("Total"), _("Of which cyberbullying")],
        keys, labels, values, total, _("Total"),
        additive_columns=(0, 1, 2, 3), row_parts=(0, 1), row_total=2,
        count_columns=(0, 1, 2, 3), chart="line" if granularity == "month" else "bar",
        chart_columns=(1, 3),
        note=_("A signal is a teacher's first notice; a report is a registered case.")))


def _case_total(q: _Query) -> int:
    return int(q.cases(fn.COUNT(m.Case.id)).scalar() or 0)


def _by_form(q: _Query, total: int) -> FigureTable:
    codes = list(FORMS)
    row = q.cases(*(_count_if(has_form(code)) for code in codes)).tuples().first() or ()
    values = [[int(v or 0)] for v in (row or [0] * len(codes))]
    order = sorted(range(len(codes)), key=lambda i: (-values[i][0], i))
    return apply_masking(FigureTable(
        "by_form", _("Reports by form of bullying"), [_("Reports")],
        [codes[i] for i in order], [_(FORMS[codes[i]]) for i in order],
        [values[i] for i in order], [total], _("Reports (one report can name several forms)"),
        chart="hbar"))


def _grouped(q: _Query, key_expr, total: int, by_class: bool = False) -> dict:
    return {k: int(n) for k, n in q.cases(key_expr.alias("k"), fn.COUNT(m.Case.id),
                                          by_class=by_class)
            .group_by(SQL("k")).tuples()}


def _single_column(key: str, title: str, keys: list, labels: list, counts: dict,
                   total: int, chart: str = "bar", **extra) -> FigureTable:
    values = [[counts.get(k, 0)] for k in keys]
    return apply_masking(FigureTable(
        key, title, [_("Reports")], [str(k) for k in keys], labels, values, [total],
        _("Total"), additive_columns=(0,), chart=chart, **extra))


def _by_leerjaar(q: _Query, total: int) -> FigureTable:
    counts = _grouped(q, q.klass.leerjaar, total, by_class=True)
    years = sorted(k for k in counts if k is not None)
    keys = [*years, None] if None in counts else years
    labels = [_("Year {n}").format(n=y) if y is not None else _("Unknown (left school)")
              for y in keys]
    return _single_column("by_leerjaar", _("Reports by year group (leerjaar)"), keys, labels,
                          counts, total)


def _by_class(q: _Query, total: int) -> FigureTable:
    counts = _grouped(q, q.klass.name, total, by_class=True)
    names = sorted((k for k in counts if k is not None), key=_class_sort_key)
    keys = [*names, None] if None in counts else names
    labels = [k if k is not None else _("Unknown (left school)") for k in keys]
    return _single_column("by_class", _("Reports by class"), keys, labels, counts, total,
                          chart="bar", chart_skip=("None",),
                          note=_("The chart leaves out reports of students who have left "
                                 "school; the table counts them under “unknown”."))


def _class_sort_key(name: str) -> tuple:
    digits = "".join(ch for ch in name if ch.isdigit())
    return (int(digits) if digits else 99, name)


def _by_location(q: _Query, total: int) -> FigureTable:
    counts = _grouped(q, m.Case.location, total)
    keys = [code for code in LOCATIONS if code in counts]
    keys += sorted(k for k in counts if k not in LOCATIONS and k)
    if "" in counts or None in counts:
        counts["?"] = counts.pop("", 0) + counts.pop(None, 0)
        keys.append("?")
    labels = [_(LOCATIONS[k]) if k in LOCATIONS else (_("Not recorded") if k == "?" else k)
              for k in keys]
    return _single_column("by_location", _("Reports by location"), keys, labels, counts, total,
                          chart="hbar")


def _stage_titles(codes: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """The stage codes in ladder order with their titles (the school's protocol first)."""
    from ..domain.protocol import builtin_protocols
    from .settings import school_profile

    order: list[str] = []
    titles: dict[str, str] = {}
    protocols = builtin_protocols()
    chosen = protocols.get(school_profile().protocol_code)
    for protocol in [p for p in (chosen,) if p] + [p for p in protocols.values() if p != chosen]:
        for stage in protocol.stages:
            if stage.code not in titles:
                order.append(stage.code)
                english = language() == "en" and stage.title_en
                titles[stage.code] = stage.title_en if english else stage.title
    known = [c for c in order if c in codes]
    rest = sorted(c for c in codes if c not in titles)
    return known + rest, titles


def _stages(q: _Query) -> FigureTable:
    C = m.Case
    rows = {code or "": (int(o), int(c)) for code, o, c in q.cases(
        C.stage_code.alias("k"), _count_if(C.status == "open"), _count_if(C.status != "open"))
        .group_by(SQL("k")).tuples()}
    codes, titles = _stage_titles([c for c in rows if c])
    if "" in rows:
        codes.append("")
    values = [[rows[c][0], rows[c][1], sum(rows[c])] for c in codes]
    total = [sum(v[i] for v in values) for i in range(3)]
    labels = [titles.get(c, c) if c else _("Not yet on the ladder") for c in codes]
    return apply_masking(FigureTable(
        "stages", _("Highest stage reached"), [_("Open"), _("Closed"), _("Total")],
        codes, labels, values, total, _("Total"), additive_columns=(0, 1, 2),
        row_parts=(0, 1), row_total=2, count_columns=(0, 1, 2), chart="hbar",
        chart_columns=(2,)))


def _relapses(q: _Query) -> FigureTable:
    C, Inv = m.Case, m.Involvement
    year = _school_year_expr(C.reported_on)
    query = (q.cases(year.alias("b"), fn.COUNT(Inv.id),
                     _count_if(Inv.relapse_of.is_null(False)))
             .join_from(C, Inv, on=((Inv.case == C.id) & (Inv.role == "pester")))
             .group_by(SQL("b")))
    rows = {b: (int(n), int(r or 0)) for b, n, r in query.tuples()}
    keys, labels, values = [], [], []
    for b, label in _buckets(q.period, "school_year"):
        n, r = rows.get(b, (0, 0))
        keys.append(str(b))
        labels.append(label)
        values.append([n, r, None])
    total = [sum(v[0] for v in values), sum(v[1] for v in values), None]
    table = FigureTable(
        "relapses", _("Relapses (a bully in a new case)"),
        [_("Bullies"), _("Relapses"), _("Share (%)")], keys, labels, values, total, _("Total"),
        additive_columns=(0, 1), count_columns=(0, 1), chart="bar", chart_columns=(0, 1),
        note=_("Counted per bully per case; a relapse is a bully who was a bully before."))
    apply_masking(table)
    for row, hidden in [*zip(table.values, table.masked, strict=True),
                        (table.total, table.total_masked)]:
        row[2] = round(100 * row[1] / row[0], 1) if row[0] else None
        hidden[2] = SECONDARY if (hidden[0] or hidden[1]) else 0
    return table


def _durations(q: _Query) -> FigureTable:
    """Days from report to closure of the cases closed in the period; medians in SQL."""
    C = m.Case
    days = _days_between(C.closed_on, C.reported_on)
    year = _school_year_expr(C.closed_on)

    def stats(grouped: bool):
        part = [year] if grouped else []
        inner = q.cases(
            (year if grouped else SQL("0")).alias("b"), days.alias("d"),
            fn.ROW_NUMBER().over(partition_by=part, order_by=[days]).alias("rn"),
            fn.COUNT(C.id).over(partition_by=part).alias("n"),
            dated_by=C.closed_on).where(C.status == "closed", C.closed_on.is_null(False))
        sub = inner.alias("durations")
        middle = (sub.c.rn == (sub.c.n + 1) / 2) | (sub.c.rn == (sub.c.n + 2) / 2)
        median = fn.AVG(SqlCase(None, [(middle, sub.c.d)], None))
        return (C.select(sub.c.b, fn.COUNT(SQL("*")), median, fn.AVG(sub.c.d))
                .from_(sub).group_by(sub.c.b).tuples())

    rows = {b: (int(n), med, avg) for b, n, med, avg in stats(True)}
    keys, labels, values = [], [], []
    for b, label in _buckets(q.period, "school_year"):
        n, med, avg = rows.get(b, (0, None, None))
        keys.append(str(b))
        labels.append(label)
        values.append([n, _num(med), _num(avg)])
    overall = list(stats(False))
    total = ([overall[0][1], _num(overall[0][2]), _num(overall[0][3])] if overall
             else [0, None, None])
    table = FigureTable(
        "duration", _("Days from report to closure"),
        [_("Closed cases"), _("Median (days)"), _("Average (days)")], keys, labels, values,
        total, _("Whole period"), additive_columns=(0,), count_columns=(0,), chart="bar",
        chart_columns=(1, 2), note=_("Cases closed in the period, by the date they closed."))
    apply_masking(table)
    for row, hidden in [*zip(table.values, table.masked, strict=True),
                        (table.total, table.total_masked)]:
        small = row[0] is not None and row[0] < THRESHOLD
        hidden[1] = hidden[2] = SECONDARY if (hidden[0] or small) else 0
    return table


def _num(value) -> float | None:
    return None if value is None else round(float(value), 1)


def _outcomes(q: _Query, total: int) -> FigureTable:
    C, K = m.Case, m.Contract
    closed, still_open = q.cases(_count_if(C.status != "open"),
                                 _count_if(C.status == "open")).tuples().first() or (0, 0)
    contracts = (q.cases(_count_if(K.outcome == "kept"), _count_if(K.outcome == "broken"),
                         _count_if((K.outcome != "kept") & (K.outcome != "broken")))
                 .join_from(C, K, on=(K.case == C.id)).tuples().first() or (0, 0, 0))
    keys = ["closed", "open", "contract_kept", "contract_broken", "contract_running"]
    labels = [_("Closed"), _("Still open"), _("Anti-bullying contract kept"),
              _("Anti-bullying contract broken"), _("Anti-bullying contract still running")]
    values = [[int(v or 0)] for v in (closed, still_open, *contracts)]
    table = FigureTable("outcomes", _("Outcomes"), [_("Count")], keys, labels, values,
                        chart="hbar")
    # two additive groups (cases, contracts) each with its own total: protect each
    apply_masking(table)
    _protect_group(table, [0, 1], total)
    _protect_group(table, [2, 3, 4], sum(v[0] for v in values[2:]))
    return table


def _protect_group(table: FigureTable, rows: list[int], total: int) -> None:
    """Rows that add up to a known total: never leave one of them masked alone."""
    hidden = [r for r in rows if table.masked[r][0]]
    if len(hidden) == 1:
        open_rows = [r for r in rows if not table.masked[r][0] and table.values[r][0]]
        if open_rows:
            table.masked[min(open_rows, key=lambda r: table.values[r][0])][0] = SECONDARY


def _sanctions(q: _Query) -> FigureTable:
    C, S = m.Case, m.Sanction
    day = fn.COALESCE(S.first_day, S.decided_on)
    kind = SqlCase(None, [((S.kind == "schorsing") & (S.school_days <= 1), "schorsing_1"),
                          (S.kind == "schorsing", "schorsing_lang")], S.kind)
    base = (q.cases(kind.alias("k"), fn.COUNT(S.id), fn.COUNT(S.student.distinct()),
                    dated_by=day)
            .join_from(C, S, on=(S.case == C.id)))
    rows = {k: (int(n), int(s)) for k, n, s in base.group_by(SQL("k")).tuples()}
    keys = [*SANCTION_KINDS, *sorted(k for k in rows if k not in SANCTION_KINDS)]
    titles = {"schorsing_1": _("Suspension of one day"),
              "schorsing_lang": _("Longer suspension"),
              "interne_schorsing": _("Internal suspension"),
              "voornemen_verwijdering": _("Intention to expel"),
              "verwijdering": _("Expulsion")}
    values = [[*rows.get(k, (0, 0))] for k in keys]
    students = (q.cases(fn.COUNT(S.student.distinct()), dated_by=day)
                .join_from(C, S, on=(S.case == C.id)).scalar() or 0)
    total = [sum(v[0] for v in values), int(students)]
    return apply_masking(FigureTable(
        "sanctions", _("Suspensions and expulsions"), [_("Sanctions"), _("Students")], keys,
        [titles.get(k, k) for k in keys], values, total, _("Total"), additive_columns=(0,),
        count_columns=(0, 1), chart="hbar", chart_columns=(0,),
        note=_("By the first day of the suspension; a student can count in several rows.")))


# --------------------------------------------------------------------------- public API


def choose_granularity(period: Period) -> str:
    """Months for up to two years, school years beyond."""
    return "month" if period.days <= 731 else "school_year"


def compute_figures(actor: Actor | None, period: Period, filters: FigureFilters | None = None,
                    granularity: str = "", visibility=None) -> Figures:
    """Every figure for ``period`` and ``filters``, limited to what ``actor`` may see.

    ``visibility`` overrides the actor's need-to-know rule (a peewee expression over Case).
    """
    if period.end < period.start:
        raise ServiceError(_("The end of the period lies before its start."))
    filters = filters or FigureFilters()
    granularity = granularity or choose_granularity(period)
    if visibility is None:
        visibility = _default_visibility(actor)
    q = _Query(period, filters, visibility)
    total = _case_total(q)
    tables = [
        _over_time(q, granularity), _by_form(q, total), _by_leerjaar(q, total),
        _by_class(q, total), _by_location(q, total), _stages(q), _relapses(q), _durations(q),
        _outcomes(q, total), _sanctions(q),
    ]
    previous = period.previous()
    before = _case_total(_Query(previous, filters, visibility))
    return Figures(period, filters, granularity, {t.key: t for t in tables},
                   previous_reports=before, previous_label=previous.label())


def summary_sentences(figures: Figures) -> list[str]:
    """A short plain-language analysis built from the masked figures (never a count < 5)."""
    t = figures.tables
    period = figures.period
    when = (_("In the school year {period}") if period.label() == school_year_label(
        period.start.year) else _("In the period {period}")).format(period=period.label())
    out = [_("{when} {n} reports of bullying were registered, {cyber} of them about "
             "cyberbullying.").format(when=when, n=t["over_time"].total_text(1),
                                      cyber=t["over_time"].total_text(3))]
    if figures.previous_reports:
        before = _show(figures.previous_reports,
                       SMALL if is_small(figures.previous_reports) else 0)
        out.append(_("In the period before ({period}) there were {n}.").format(
            period=figures.previous_label, n=before))
    forms = t["by_form"]
    if forms.values and forms.values[0][0] and not forms.masked[0][0]:
        out.append(_("The most frequent form was {form} ({n} reports).").format(
            form=forms.row_labels[0], n=forms.text(0, 0)))
    duration = t["duration"]
    if duration.total and duration.total[0] and not duration.total_masked[1]:
        out.append(_("{n} cases were closed, after a median of {median} days "
                     "(average {average}).").format(n=duration.total_text(0),
                                                    median=duration.total_text(1),
                                                    average=duration.total_text(2)))
    relapses = t["relapses"]
    if relapses.total and relapses.total[0]:
        out.append(_("{n} of {total} bullies had been a bully in an earlier case "
                     "({share} %).").format(n=relapses.total_text(1),
                                            total=relapses.total_text(0),
                                            share=relapses.total_text(2)))
    sanctions = t["sanctions"]
    out.append(_("Sanctions: {one} suspensions of one day, {longer} longer suspensions, "
                 "{internal} internal suspensions and {expelled} expulsions.").format(
        one=sanctions.text_of("schorsing_1"), longer=sanctions.text_of("schorsing_lang"),
        internal=sanctions.text_of("interne_schorsing"),
        expelled=sanctions.text_of("verwijdering")))
    out.append(masking_legend())
    return out


def masking_legend() -> str:
    return _("“<5” is a count from 1 to 4 and “x” a number hidden so that it cannot be worked "
             "out from the others: no student can be recognised.")


# --------------------------------------------------------------------------- export


def export_rows(figures: Figures, for_csv: bool = False) -> list[list]:
    """The masked figures as rows: a header block, then each table with its total.

    Counts stay numbers (so a spreadsheet can sum them); masked cells are the mask text.
    In CSV a decimal number is written the way Dutch Excel reads it (41,8).
    """
    rows: list[list] = [
        [_("Period"), figures.period.label()],
        [_("Filters"), ", ".join(figures.filters.describe()) or _("whole school")],
        [masking_legend()],
    ]
    for table in figures.tables.values():
        rows.append([])
        rows.append([table.title])
        rows.append(["", *table.columns])
        lines = [(label, table.values[r], table.masked[r])
                 for r, label in enumerate(table.row_labels)]
        if table.total is not None:
            lines.append((table.total_label or _("Total"), table.total, table.total_masked))
        for label, values, hidden in lines:
            rows.append([label, *(_export_cell(v, h, for_csv) for v, h in
                                  zip(values, hidden, strict=True))])
    return rows


def _export_cell(value, hidden: int, for_csv: bool):
    if hidden:
        return _show(value, hidden)
    if value is None:
        return ""
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        return format_decimal(value, "0.#", locale=locale_name()) if for_csv else value
    return value


def export_csv(actor: Actor, figures: Figures, path: str | Path) -> Path:
    """Write the masked counts as CSV for Dutch Excel: ';' separated, UTF-8 with BOM."""
    path = Path(path)
    write_csv(path, [_("pestdesk figures")], export_rows(figures, for_csv=True))
    _audit_export(actor, "csv")
    return path


def export_xlsx(actor: Actor, figures: Figures, path: str | Path) -> Path:
    """Write the masked counts as an Excel workbook, every table on one sheet."""
    path = Path(path)
    write_xlsx(path, [_("pestdesk figures")], export_rows(figures), sheet=_("Figures"))
    _audit_export(actor, "xlsx")
    return path


def _audit_export(actor: Actor, kind: str) -> None:
    with write():
        audit(actor, "export", "figures", None, kind)


# --------------------------------------------------------------------------- year report


def report_table(table: FigureTable) -> ReportTable:
    """``table`` as the year report prints it: shown (masked) text and what a chart draws."""
    from ..letters.year_report import ReportTable

    rows = table.chart_rows()
    return ReportTable(
        title=table.title, columns=list(table.columns), rows=table.shown_rows(),
        has_total=table.total is not None, chart=table.chart,
        chart_labels=[table.row_labels[r] for r in rows],
        chart_series=[[table.plotted(r, c) for r in rows] for c in table.chart_columns],
        chart_names=[table.columns[c] for c in table.chart_columns], note=table.note)


def year_report_data(figures: Figures, school_name: str) -> YearReport:
    """The plain data the year report renderer (``letters.year_report``) prints."""
    from ..letters.year_report import KeyFigures, YearReport

    t = figures.tables
    key = KeyFigures(reports=t["over_time"].total_text(1), cyber=t["over_time"].total_text(3),
                     median_days=t["duration"].total_text(1),
                     sanctions=t["sanctions"].total_text(0))
    return YearReport(
        school=school_name, period_label=figures.period.label(), start=figures.period.start,
        end=figures.period.end, scope=figures.filters.describe(), key_figures=key,
        summary=figures.summary(), tables=[report_table(x) for x in t.values()])


def year_report_pdf(actor: Actor, first_year: int, filters: FigureFilters | None = None,
                    visibility=None) -> bytes:
    """The yearly analysis of bullying and incidents for school year ``first_year`` as PDF.

    Monthly figures for the year; the masked counts only, so the report can be shared with
    the participation council (MR) and sent along with the safety monitor.
    """
    from ..letters.year_report import render_year_report
    from .settings import school_profile

    figures = compute_figures(actor, Period.school_year(first_year), filters, "month",
                              visibility=visibility)
    pdf = render_year_report(year_report_data(figures, school_profile().name or _("Our school")))
    with write():
        audit(actor, "print", "figures", None, f"year_report={first_year}")
    return pdf


def data_years(actor: Actor | None = None) -> list[int]:
    """The school years (first calendar year) from the first report up to now, newest first."""
    first = m.Case.select(fn.MIN(m.Case.reported_on)).scalar()
    now = school_year_of(clock.today())
    start = school_year_of(_as_date(first)) if first else now
    return list(range(now, min(start, now) - 1, -1))


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def filter_choices() -> dict[str, list]:
    """What the filter boxes offer: departments, year groups and classes (no students)."""
    K = m.SchoolClass
    departments = [d for (d,) in K.select(K.department).where(K.department != "")
                   .distinct().order_by(K.department).tuples()]
    years = [y for (y,) in K.select(K.leerjaar).distinct().order_by(K.leerjaar).tuples()]
    classes = sorted(K.select(K.id, K.name, K.leerjaar, K.department).tuples(),
                     key=lambda r: _class_sort_key(r[1]))
    return {"departments": departments, "leerjaren": years, "classes": classes}
