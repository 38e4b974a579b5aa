"""Cijfers: anonymous figures about reports, cases and sanctions for a period and filters.

Every number is counted by the database (``GROUP BY`` and conditional ``SUM``), never by
loading rows into Python, and counted once: a number that appears in several places (the
number of reports is the total of five tables and of the summary) is one quantity of the
result's :class:`~pestdesk.domain.disclosure.Ledger`, which every table, chart, summary
sentence, the year report and the export read. The figures feed the Cijfers screen, the
yearly report (the analysis of bullying and incidents a school owes under the Arbo catalogue
and its social-safety policy) and the export of the underlying counts.

A case belongs to the class of its (first) victim as that student is registered *now*;
students who left school have no class and are counted under "unknown". Cases follow the
period by the date they were reported; durations by the date a case was closed; sanctions by
their first day (or the date of the decision). A period never reaches past today: the
current school year is "so far", and it is compared with the same months a year earlier.

Small counts are masked so no child can be recognised (``domain.disclosure``): a count from
1 to 4 reads "<5", and more counts are hidden ("x") until no hidden count can be worked out
from the totals, the other tables of the same screen or page, or the marks themselves.
Medians, averages and shares built on a hidden count or on fewer than five are hidden too.
What is shared (the year report, the export) is always masked; on screen, a user who may
read every case behind the figures may see the exact counts (:func:`may_see_exact`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from babel.numbers import format_decimal
from peewee import JOIN, SQL, PostgresqlDatabase, Select, fn
from peewee import Case as SqlCase

from .. import clock
from ..domain.disclosure import SECONDARY, SHOWN, SMALL, THRESHOLD, WITHHELD, Ledger
from ..domain.taxonomy import FORMS, LOCATIONS
from ..i18n import _, format_date, format_number, language, locale_name, ngettext
from ..store import models as m
from .base import Actor, ServiceError, audit, write
from .exports import write_csv, write_xlsx

if TYPE_CHECKING:  # the renderer (and reportlab) load only when a report is made
    from ..letters.year_report import ReportTable, YearReport

MASK = "<5"  # a count from 1 to 4 (primary suppression)
HIDDEN = "x"  # hidden so a small count cannot be worked out from the others (secondary)
NOT_SHOWN = "–"  # withheld: a table too small to show (its marks alone would give it away)
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

    @property
    def starts_school_year(self) -> bool:
        return self.start.month == 8 and self.start.day == 1

    def is_school_year(self) -> bool:
        """A whole school year (1 August – 31 July)."""
        return self.starts_school_year and self.end == dt.date(self.start.year + 1, 7, 31)

    def is_school_year_so_far(self) -> bool:
        """The start of a school year up to a day before its end (the current year so far)."""
        return (self.starts_school_year and not self.is_school_year()
                and self.end < dt.date(self.start.year + 1, 7, 31))

    def up_to(self, day: dt.date) -> Period:
        """This period, ending no later than ``day`` (a period wholly after it is kept)."""
        if self.start > day or self.end <= day:
            return self
        return Period(self.start, day)

    def label(self) -> str:
        """Short: "2025-2026", "2026-2027 tot en met 3 december 2026", "1 sep – 31 dec 2025"."""
        if self.is_school_year():
            return school_year_label(self.start.year)
        if self.is_school_year_so_far():
            return _("{year} up to and including {date}").format(
                year=school_year_label(self.start.year), date=format_date(self.end, "long"))
        return self.range_label()

    def range_label(self) -> str:
        """The real range in words: "1 augustus 2026 tot en met 3 december 2026"."""
        return _("{start} up to and including {end}").format(
            start=format_date(self.start, "long"), end=format_date(self.end, "long"))

    def compared(self) -> Period | None:
        """Like for like: the same days one year earlier (a school year so far: the same
        months of the year before; a whole year: the whole year before). A period longer than
        a year has no comparison."""
        if self.days > 366:
            return None
        return Period(_year_earlier(self.start), _year_earlier(self.end))


def _year_earlier(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


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
    ``count_columns`` hold counts of children or cases: each cell is a quantity of the
    result's ledger (``ids``), named in ``names`` when another table shows it too.
    ``derived`` maps the other columns (median, average, share) to the count columns they
    are built on: such a cell is hidden with them, or when the first of them is under five.
    ``exact``: on screen, the counts as they are (for a user who may read every case).
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
    derived: dict[int, tuple[int, ...]] = field(default_factory=dict)
    chart: str = "bar"  # bar, hbar, line
    chart_columns: tuple[int, ...] = (0,)
    chart_skip: tuple[str, ...] = ()  # row keys the chart leaves out (the table keeps them)
    note: str = ""
    masked: list[list[int]] = field(default_factory=list)  # SHOWN, SMALL or SECONDARY
    total_masked: list[int] = field(default_factory=list)
    ids: list[list[int | None]] = field(default_factory=list)
    total_ids: list[int | None] = field(default_factory=list)
    exact: bool = False
    withheld: bool = False  # too few to show any count of it safely (shared: all "–")

    def __post_init__(self) -> None:
        if not self.masked:
            self.masked = [[SHOWN] * len(self.columns) for _r in self.values]
        if not self.total_masked:
            self.total_masked = [SHOWN] * len(self.columns)

    # -- the ledger ----------------------------------------------------------------------
    def register(self, ledger: Ledger, names: dict[tuple[int | str, int], str] | None = None
                 ) -> FigureTable:
        """Enter the count cells in ``ledger`` with the table's own sums; ``names`` gives
        (row index or "total", column) the name of a quantity shown elsewhere too."""
        names = names or {}
        self.ids = [[ledger.add(int(row[c] or 0), names.get((r, c), ""))
                     if c in self.count_columns else None for c in range(len(self.columns))]
                    for r, row in enumerate(self.values)]
        if self.total is not None:
            self.total_ids = [ledger.add(int(self.total[c] or 0), names.get(("total", c), ""))
                              if c in self.count_columns else None
                              for c in range(len(self.columns))]
            for c in self.additive_columns:
                ledger.add_sum([row[c] for row in self.ids], self.total_ids[c])
        if self.row_parts and self.row_total is not None:
            lines = [*self.ids, *([self.total_ids] if self.total is not None else [])]
            for line in lines:
                ledger.add_sum([line[c] for c in self.row_parts], line[self.row_total])
        return self

    def quantities(self) -> set[int]:
        return {q for row in [*self.ids, self.total_ids] for q in row if q is not None}

    def read_marks(self, ledger: Ledger) -> None:
        """Take what the ledger hides; hide derived cells with their counts."""
        lines = [(self.values, self.ids, self.masked)]
        if self.total is not None:
            lines.append(([self.total], [self.total_ids], [self.total_masked]))
        for values, ids, masked in lines:
            for row, row_ids, hidden in zip(values, ids, masked, strict=True):
                for c, q in enumerate(row_ids):
                    if q is not None:
                        hidden[c] = ledger.marks[q]
                for c, base in self.derived.items():
                    first = row[base[0]] or 0
                    hide = any(hidden[b] for b in base) or 0 < first < THRESHOLD
                    hidden[c] = SECONDARY if hide else SHOWN

    # -- what the screen, the report and the export show ---------------------------------
    def is_masked(self, row: int, col: int, shared: bool = False) -> bool:
        return bool(self.masked[row][col]) and (shared or not self.exact)

    def total_is_masked(self, col: int, shared: bool = False) -> bool:
        return bool(self.total_masked[col]) and (shared or not self.exact)

    def is_withheld(self, shared: bool = False) -> bool:
        return self.withheld and (shared or not self.exact)

    def text(self, row: int, col: int, shared: bool = False) -> str:
        hidden = self.masked[row][col] if (shared or not self.exact) else SHOWN
        return _show(self.values[row][col], hidden)

    def total_text(self, col: int, shared: bool = False) -> str:
        if self.total is None:
            return ""
        hidden = self.total_masked[col] if (shared or not self.exact) else SHOWN
        return _show(self.total[col], hidden)

    def chart_rows(self) -> list[int]:
        """The rows a chart draws."""
        return [r for r, key in enumerate(self.row_keys) if key not in self.chart_skip]

    def plotted(self, row: int, col: int, shared: bool = False) -> float | None:
        """The value a chart draws; None for a hidden cell (drawn as a labelled gap)."""
        if self.is_masked(row, col, shared):
            return None
        value = self.values[row][col]
        return 0.0 if value is None else float(value)

    def mark(self, row: int, col: int, shared: bool = False) -> str:
        """The mask a chart writes where it draws no value ("<5", "x"), else ""."""
        return self.text(row, col, shared) if self.is_masked(row, col, shared) else ""

    def shown_note(self, shared: bool = False) -> str:
        if self.is_withheld(shared):
            return _("Too few reports to show this table without making students "
                     "recognisable.")
        return self.note

    def shown_rows(self, shared: bool = False) -> list[list[str]]:
        """Every row as displayed text, the total row last (the export's content)."""
        rows = [[label, *(self.text(r, c, shared) for c in range(len(self.columns)))]
                for r, label in enumerate(self.row_labels)]
        if self.total is not None:
            rows.append([self.total_label or _("Total"),
                         *(self.total_text(c, shared) for c in range(len(self.columns)))])
        return rows

    def row_of(self, row_key: str) -> int:
        return self.row_keys.index(row_key)

    def value_of(self, row_key: str, col: int = 0) -> float | int | None:
        return self.values[self.row_keys.index(row_key)][col]

    def text_of(self, row_key: str, col: int = 0, shared: bool = False) -> str:
        return self.text(self.row_keys.index(row_key), col, shared)


def _show(value: float | int | None, masked: int) -> str:
    if masked:
        return {SMALL: MASK, SECONDARY: HIDDEN}.get(masked, NOT_SHOWN)
    if value is None:
        return "–"
    if isinstance(value, float):
        return format_number(round(value, 1))
    return format_number(value)


def is_small(value: float | int | None) -> bool:
    return value is not None and 0 < value < THRESHOLD


def apply_masking(table: FigureTable) -> FigureTable:
    """Mask one table on its own (its sums only), in place: for a table outside a
    :class:`Figures` result. A result masks all its tables together."""
    ledger = Ledger()
    table.register(ledger)
    ledger.suppress()
    table.read_marks(ledger)
    return table


# --------------------------------------------------------------------------- the queries


@dataclass
class Figures:
    """Every figure for one period, filter set and actor, ready to show, print or export.

    ``period`` is what was asked, ``shown`` the part of it up to today (what is counted);
    ``compared`` the same days a year earlier, with ``compared_reports`` its reports.
    ``exact``: the counts may be shown unmasked on this user's screen (never when shared).
    """

    period: Period
    filters: FigureFilters
    granularity: str
    tables: dict[str, FigureTable]
    shown: Period | None = None
    compared: Period | None = None
    compared_reports: int | None = None
    compared_mark: int = SHOWN
    exact: bool = False
    ledger: Ledger | None = None
    computed_at: dt.datetime = field(default_factory=clock.now)

    def __post_init__(self) -> None:
        if self.shown is None:
            self.shown = self.period

    def __getitem__(self, key: str) -> FigureTable:
        return self.tables[key]

    def compared_text(self, shared: bool = False) -> str:
        if self.compared_reports is None:
            return ""
        hidden = self.compared_mark if (shared or not self.exact) else SHOWN
        return _show(self.compared_reports, hidden)

    def shared(self) -> Figures:
        """The masked figures, as a report or an export shows them to anyone."""
        if not self.exact:
            return self
        tables = {k: replace(t, exact=False) for k, t in self.tables.items()}
        return replace(self, tables=tables, exact=False)

    def summary(self, shared: bool = False) -> list[str]:
        return summary_sentences(self, shared)


def _default_visibility(actor: Actor):
    """The need-to-know rule for ``actor`` (a mentor counts only their classes; the
    bestuur every case of its schools, masked: ``access.figures_visibility``)."""
    from .access import figures_visibility

    return figures_visibility(actor)


def may_see_exact(actor: Actor) -> bool:
    """Whether ``actor`` may see the exact counts on screen: the figures count only the cases
    an actor may read (``access.case_visibility``), so anyone who works with dossiers reads
    every case behind their own figures. Shared figures are masked all the same."""
    from .access import has_care_role

    return has_care_role(actor)


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


def _over_time(q: _Query, ledger: Ledger, granularity: str) -> FigureTable:
    C = m.Case
    bucket = (_month_expr(C.reported_on) if granularity == "month"
              else _school_year_expr(C.reported_on))
    rows = {b: (n, cy, s) for b, s, n, cy in q.cases(
        bucket.alias("b"), _count_if(C.is_signal == True),  # noqa: E712
        _count_if(C.is_signal == False),  # noqa: E712
        _count_if((C.is_signal == False) & (C.is_cyber == True)),  # noqa: E712
        signals=True).group_by(SQL("b")).tuples()}
    keys, labels, values = [], [], []
    for b, label in _buckets(q.period, granularity):
        keys.append(str(b))
        labels.append(label)
        values.append([int(v or 0) for v in rows.get(b, (0, 0, 0))])
    total = [sum(v[c] for v in values) for c in range(3)]
    table = FigureTable(
        "over_time", _("Reports over time"),
        [_("Reports"), _("Of which cyberbullying"), _("Signals")],
        keys, labels, values, total, _("Total"), additive_columns=(0, 1, 2),
        count_columns=(0, 1, 2), chart="line" if granularity == "month" else "bar",
        chart_columns=(0, 1),
        note=_("A signal is a teacher's first notice; a report is a registered case."))
    table.register(ledger, {("total", 0): "cases", ("total", 1): "cyber"})
    for ids in [*table.ids, table.total_ids]:
        ledger.add_at_most(ids[1], ids[0])  # cyberbullying is part of the reports
    return table


def _case_total(q: _Query) -> int:
    return int(q.cases(fn.COUNT(m.Case.id)).scalar() or 0)


def _by_form(q: _Query, ledger: Ledger) -> FigureTable:
    codes = list(FORMS)
    row = q.cases(*(_count_if(has_form(code)) for code in codes)).tuples().first() or ()
    values = [[int(v or 0)] for v in (row or [0] * len(codes))]
    order = sorted(range(len(codes)), key=lambda i: (-values[i][0], i))
    table = FigureTable(
        "by_form", _("Reports by form of bullying"), [_("Reports")],
        [codes[i] for i in order], [_(FORMS[codes[i]]) for i in order],
        [values[i] for i in order], [ledger.values[ledger.named("cases")]], _("All reports"),
        chart="hbar", note=_("One report can name several forms."))
    table.register(ledger, {("total", 0): "cases"})
    for ids in table.ids:  # not additive: each form is at most every report
        ledger.add_at_most(ids[0], table.total_ids[0])
    return table


def _grouped(q: _Query, key_expr, by_class: bool = False) -> dict:
    return {k: int(n) for k, n in q.cases(key_expr.alias("k"), fn.COUNT(m.Case.id),
                                          by_class=by_class)
            .group_by(SQL("k")).tuples()}


def _single_column(ledger: Ledger, key: str, title: str, keys: list, labels: list,
                   counts: dict, names: dict | None = None, chart: str = "bar",
                   **extra) -> FigureTable:
    values = [[counts.get(k, 0)] for k in keys]
    table = FigureTable(
        key, title, [_("Reports")], [str(k) for k in keys], labels, values,
        [ledger.values[ledger.named("cases")]], _("Total"), additive_columns=(0,),
        chart=chart, **extra)
    return table.register(ledger, {("total", 0): "cases", **(names or {})})


def _by_leerjaar(q: _Query, ledger: Ledger) -> FigureTable:
    counts = _grouped(q, q.klass.leerjaar, by_class=True)
    years = sorted(k for k in counts if k is not None)
    keys = [*years, None] if None in counts else years
    labels = [_("Year {n}").format(n=y) if y is not None else _("Unknown (left school)")
              for y in keys]
    return _single_column(ledger, "by_leerjaar", _("Reports by year group (leerjaar)"), keys,
                          labels, counts, {(r, 0): f"leerjaar:{k}" for r, k in enumerate(keys)})


def _by_class(q: _Query, ledger: Ledger) -> FigureTable:
    K = q.klass
    rows = list(q.cases(K.id, K.name, K.leerjaar, fn.COUNT(m.Case.id), by_class=True)
                .group_by(K.id).tuples())
    known = sorted((r for r in rows if r[0] is not None), key=lambda r: _class_sort_key(r[1]))
    unknown = sum(int(r[3]) for r in rows if r[0] is None)
    keys = [str(r[0]) for r in known] + (["None"] if unknown else [])
    labels = [r[1] for r in known] + ([_("Unknown (left school)")] if unknown else [])
    counts = {str(r[0]): int(r[3]) for r in known} | ({"None": unknown} if unknown else {})
    names = {(len(known), 0): "leerjaar:None"} if unknown else {}
    table = _single_column(
        ledger, "by_class", _("Reports by class"), keys, labels, counts, names, chart="bar",
        chart_skip=("None",), note=_("The chart leaves out reports of students who have left "
                                     "school; the table counts them under “unknown”."))
    # the classes of a year group add up to that year group's row of the table above
    by_year: dict = {}
    for r, row in enumerate(known):
        by_year.setdefault(row[2], []).append(table.ids[r][0])
    for year, ids in by_year.items():
        if f"leerjaar:{year}" in ledger.names:
            ledger.add_sum(ids, ledger.named(f"leerjaar:{year}"))
    return table


def _class_sort_key(name: str) -> tuple:
    digits = "".join(ch for ch in name if ch.isdigit())
    return (int(digits) if digits else 99, name)


def _by_location(q: _Query, ledger: Ledger) -> FigureTable:
    counts = _grouped(q, m.Case.location)
    keys = [code for code in LOCATIONS if code in counts]
    keys += sorted(k for k in counts if k not in LOCATIONS and k)
    if "" in counts or None in counts:
        counts["?"] = counts.pop("", 0) + counts.pop(None, 0)
        keys.append("?")
    labels = [_(LOCATIONS[k]) if k in LOCATIONS else (_("Not recorded") if k == "?" else k)
              for k in keys]
    return _single_column(ledger, "by_location", _("Reports by location"), keys, labels,
                          counts, chart="hbar")


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


def _stages(q: _Query, ledger: Ledger) -> FigureTable:
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
    table = FigureTable(
        "stages", _("Highest stage reached"), [_("Open"), _("Closed"), _("Total")],
        codes, labels, values, total, _("Total"), additive_columns=(0, 1, 2),
        row_parts=(0, 1), row_total=2, count_columns=(0, 1, 2), chart="hbar",
        chart_columns=(2,), note=_("The reports of the period by the highest stage of the "
                                   "ladder their case reached, open or closed today."))
    return table.register(ledger, {("total", 0): "open", ("total", 1): "closed",
                                   ("total", 2): "cases"})


def _relapses(q: _Query, ledger: Ledger) -> FigureTable:
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
        values.append([n, r, round(100 * r / n, 1) if n else None])
    bullies, relapses = sum(v[0] for v in values), sum(v[1] for v in values)
    total = [bullies, relapses, round(100 * relapses / bullies, 1) if bullies else None]
    table = FigureTable(
        "relapses", _("Relapses (a bully in a new case)"),
        [_("Bullies"), _("Relapses"), _("Share (%)")], keys, labels, values, total, _("Total"),
        additive_columns=(0, 1), count_columns=(0, 1), derived={2: (0, 1)}, chart="bar",
        chart_columns=(0, 1),
        note=_("Counted per bully per case; a relapse is a bully who was a bully before."))
    table.register(ledger)
    for ids in [*table.ids, table.total_ids]:
        ledger.add_at_most(ids[1], ids[0])
    return table


def _durations(q: _Query, ledger: Ledger) -> FigureTable:
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
        # a plain SELECT over the subquery: the case table's school scope is inside it
        return (Select([sub], [sub.c.b, fn.COUNT(SQL("*")), median, fn.AVG(sub.c.d)])
                .bind(m.database).group_by(sub.c.b).tuples())

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
        [_("Cases closed"), _("Median (days)"), _("Average (days)")], keys, labels, values,
        total, _("Whole period"), additive_columns=(0,), count_columns=(0,),
        derived={1: (0,), 2: (0,)}, chart="bar", chart_columns=(1, 2),
        note=_("Cases closed in the period, by the date they closed; also cases reported "
               "before the period."))
    return table.register(ledger, {("total", 0): "closed_in_period"})


def _num(value) -> float | None:
    return None if value is None else round(float(value), 1)


def _outcomes(q: _Query, ledger: Ledger) -> FigureTable:
    C, K = m.Case, m.Contract
    contracts = (q.cases(_count_if(K.outcome == "kept"), _count_if(K.outcome == "broken"),
                         _count_if((K.outcome != "kept") & (K.outcome != "broken")))
                 .join_from(C, K, on=(K.case == C.id)).tuples().first() or (0, 0, 0))
    keys = ["closed", "open", "contract_kept", "contract_broken", "contract_running"]
    labels = [_("Reports of the period, closed"), _("Reports of the period, still open"),
              _("Anti-bullying contract kept"), _("Anti-bullying contract broken"),
              _("Anti-bullying contract still running")]
    # closed and open are the totals of the stages table: one quantity, read from there
    values = [[ledger.values[ledger.named("closed")]], [ledger.values[ledger.named("open")]],
              *([int(v or 0)] for v in contracts)]
    table = FigureTable("outcomes", _("Outcomes"), [_("Count")], keys, labels, values,
                        chart="hbar")
    return table.register(ledger, {(0, 0): "closed", (1, 0): "open"})


def _sanctions(q: _Query, ledger: Ledger) -> FigureTable:
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
    table = FigureTable(
        "sanctions", _("Suspensions and expulsions"), [_("Sanctions"), _("Students")], keys,
        [titles.get(k, k) for k in keys], values, total, _("Total"), additive_columns=(0,),
        count_columns=(0, 1), chart="hbar", chart_columns=(0,),
        note=_("Decided sanctions by their first day (or the day of the decision); a student "
               "can count in several rows."))
    table.register(ledger)
    for ids in [*table.ids, table.total_ids]:
        ledger.add_at_most(ids[1], ids[0])  # students of a row: at most its sanctions
    for ids in table.ids:
        ledger.add_at_most(ids[1], table.total_ids[1])
    return table


# --------------------------------------------------------------------------- public API


def choose_granularity(period: Period) -> str:
    """Months for up to two years, school years beyond."""
    return "month" if period.days <= 731 else "school_year"


def compute_figures(actor: Actor, period: Period, filters: FigureFilters | None = None,
                    granularity: str = "", visibility=None, exact: bool = False) -> Figures:
    """Every figure for ``period`` (up to today) and ``filters``, limited to what ``actor``
    may see, masked together as one screen or page.

    ``visibility`` overrides the actor's need-to-know rule (a peewee expression over Case).
    ``exact`` asks for the unmasked counts on screen: only for an actor who may read every
    case behind the figures (:func:`may_see_exact`) and with their own rule.
    """
    if period.end < period.start:
        raise ServiceError(_("The end of the period lies before its start."))
    filters = filters or FigureFilters()
    exact = bool(exact) and visibility is None and may_see_exact(actor)
    shown = period.up_to(clock.today())
    granularity = granularity or choose_granularity(shown)
    if visibility is None:
        visibility = _default_visibility(actor)
    q = _Query(shown, filters, visibility)
    ledger = Ledger()
    ledger.add(_case_total(q), "cases")
    builders = [lambda: _over_time(q, ledger, granularity), lambda: _by_form(q, ledger),
                lambda: _by_leerjaar(q, ledger), lambda: _by_class(q, ledger),
                lambda: _by_location(q, ledger), lambda: _stages(q, ledger),
                lambda: _relapses(q, ledger), lambda: _durations(q, ledger),
                lambda: _outcomes(q, ledger), lambda: _sanctions(q, ledger)]
    tables = [build() for build in builders]
    compared = shown.compared()
    compared_reports = compared_id = None
    if compared is not None:
        compared_reports = _case_total(_Query(compared, filters, visibility))
        compared_id = ledger.add(compared_reports)
    _suppress(ledger, tables)
    for table in tables:
        table.read_marks(ledger)
        table.exact = exact
    return Figures(period, filters, granularity, {t.key: t for t in tables}, shown=shown,
                   compared=compared, compared_reports=compared_reports,
                   compared_mark=ledger.marks[compared_id] if compared_id is not None else 0,
                   exact=exact, ledger=ledger)


def _suppress(ledger: Ledger, tables: list[FigureTable]) -> None:
    """Mask the ledger; a table holding a count that its marks alone give away (a tiny
    selection) is withheld whole, and the rest masked again around it."""
    stuck = set(ledger.suppress())
    while stuck:
        newly = [t for t in tables if not t.withheld and stuck & t.quantities()]
        if not newly:  # pragma: no cover - withholding every table leaves nothing to derive
            return
        for table in newly:
            table.withheld = True
            for q in table.quantities():
                ledger.marks[q] = WITHHELD
        stuck = set(ledger.suppress())


def summary_sentences(figures: Figures, shared: bool = False) -> list[str]:
    """A short plain-language analysis read from the figures' own cells (masked unless the
    figures are exact on screen): every number in it is a number of a table."""
    t = figures.tables
    reports = t["over_time"]
    out = [_("{n} reports of bullying were registered, {cyber} of them about "
             "cyberbullying.").format(n=reports.total_text(0, shared),
                                      cyber=reports.total_text(1, shared))]
    if figures.compared is not None:
        out.append(_("In the same period a year earlier ({period}) there were {n}.").format(
            period=figures.compared.range_label(), n=figures.compared_text(shared)))
    forms = t["by_form"]
    if forms.values and forms.values[0][0] and not forms.is_masked(0, 0, shared):
        out.append(_("The most frequent form was “{form}”: {n} reports.").format(
            form=forms.row_labels[0], n=forms.text(0, 0, shared)))
    outcomes = t["outcomes"]
    out.append(_("Of these reports {closed} are closed and {open} still open.").format(
        closed=outcomes.text_of("closed", 0, shared), open=outcomes.text_of("open", 0, shared)))
    duration = t["duration"]
    if duration.total and duration.total[0]:
        sentence = _("In the period {n} cases were closed (also of earlier reports)").format(
            n=duration.total_text(0, shared))
        if duration.total[1] is not None and not duration.total_is_masked(1, shared):
            sentence += _(", after a median of {median} days (average {average})").format(
                median=duration.total_text(1, shared), average=duration.total_text(2, shared))
        out.append(sentence + ".")
    relapses = t["relapses"]
    if relapses.total and relapses.total[0]:
        out.append(_("{n} of {total} bullies had been a bully in an earlier case "
                     "({share} %).").format(n=relapses.total_text(1, shared),
                                            total=relapses.total_text(0, shared),
                                            share=relapses.total_text(2, shared)))
    stages = t["stages"]
    reached = [r for r in range(len(stages.values)) if stages.row_keys[r] and stages.values[r][2]]
    if reached:
        top = reached[-1]
        # a hidden count takes the plural: "<5 melding" would give a 1 away
        count = THRESHOLD if stages.is_masked(top, 2, shared) else int(stages.values[top][2])
        out.append(_("The highest stage reached was “{stage}” ({n}).").format(
            stage=stages.row_labels[top], n=ngettext("{n} case", "{n} cases", count).format(
                n=stages.text(top, 2, shared))))
    sanctions = t["sanctions"]
    out.append(_("Sanctions decided: {one} suspensions of one day, {longer} longer "
                 "suspensions, {internal} internal suspensions, {intention} intentions to expel "
                 "and {expelled} expulsions.").format(
        one=sanctions.text_of("schorsing_1", 0, shared),
        longer=sanctions.text_of("schorsing_lang", 0, shared),
        internal=sanctions.text_of("interne_schorsing", 0, shared),
        intention=sanctions.text_of("voornemen_verwijdering", 0, shared),
        expelled=sanctions.text_of("verwijdering", 0, shared)))
    out.append(exactness_note(figures, shared))
    return out


def masking_legend() -> str:
    return _("“<5” is a count from 1 to 4 and “x” a number hidden so that it cannot be worked "
             "out from the others: no student can be recognised.")


def exactness_note(figures: Figures, shared: bool = False) -> str:
    """What the reader sees: masked counts (the legend) or exact ones (and why)."""
    if figures.exact and not shared:
        return _("Exact counts: you may read every case behind these figures. The year report "
                 "and the export are masked (“<5”, “x”) so they can be shared.")
    return masking_legend()


# --------------------------------------------------------------------------- export


def export_rows(figures: Figures, for_csv: bool = False) -> list[list]:
    """The masked figures as rows: a header block, then each table with its total.

    Counts stay numbers (so a spreadsheet can sum them); masked cells are the mask text.
    In CSV a decimal number is written the way Dutch Excel reads it (41,8).
    """
    rows: list[list] = [
        [_("Period"), figures.shown.range_label()],
        [_("Filters"), ", ".join(figures.filters.describe()) or _("whole school")],
    ]
    if figures.compared is not None:
        rows.append([_("Reports in the same period a year earlier ({period})").format(
            period=figures.compared.range_label()),
            _export_cell(figures.compared_reports, figures.compared_mark, for_csv)])
    rows.append([masking_legend()])
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
    """``table`` as the year report prints it: the masked text, what a chart draws and the
    mask it writes where it draws no value."""
    from ..letters.year_report import ReportTable

    rows = table.chart_rows()
    return ReportTable(
        title=table.title, columns=list(table.columns), rows=table.shown_rows(shared=True),
        has_total=table.total is not None, chart=table.chart,
        chart_labels=[table.row_labels[r] for r in rows],
        chart_series=[[table.plotted(r, c, shared=True) for r in rows]
                      for c in table.chart_columns],
        chart_marks=[[table.mark(r, c, shared=True) for r in rows]
                     for c in table.chart_columns],
        chart_names=[table.columns[c] for c in table.chart_columns],
        note=table.shown_note(shared=True))


def year_report_data(figures: Figures, school_name: str) -> YearReport:
    """The plain data the year report renderer (``letters.year_report``) prints: always the
    masked figures (the report is meant to be shared)."""
    from ..letters.year_report import KeyFigures, YearReport

    figures = figures.shared()
    t = figures.tables
    key = KeyFigures(reports=t["over_time"].total_text(0, True),
                     cyber=t["over_time"].total_text(1, True),
                     median_days=t["duration"].total_text(1, True),
                     sanctions=t["sanctions"].total_text(0, True))
    return YearReport(
        school=school_name, period_label=figures.shown.label(), start=figures.shown.start,
        end=figures.shown.end, scope=figures.filters.describe(), key_figures=key,
        summary=figures.summary(shared=True), tables=[report_table(x) for x in t.values()])


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


@dataclass(frozen=True, slots=True)
class ClassChoice:
    id: int
    name: str
    leerjaar: int
    department: str


@dataclass(frozen=True, slots=True)
class FilterChoices:
    """What the filter boxes offer (no students)."""

    departments: tuple[str, ...]
    leerjaren: tuple[int, ...]
    classes: tuple[ClassChoice, ...]  # in the school's class order ("1A" before "10A")


def filter_choices() -> FilterChoices:
    """What the filter boxes offer: departments, year groups and classes (no students)."""
    K = m.SchoolClass
    departments = tuple(d for (d,) in K.select(K.department).where(K.department != "")
                        .distinct().order_by(K.department).tuples())
    years = tuple(y for (y,) in K.select(K.leerjaar).distinct().order_by(K.leerjaar).tuples())
    classes = sorted(K.select(K.id, K.name, K.leerjaar, K.department).tuples(),
                     key=lambda r: _class_sort_key(r[1]))
    return FilterChoices(departments, years, tuple(ClassChoice(*r) for r in classes))
