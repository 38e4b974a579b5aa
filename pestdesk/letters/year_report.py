"""The year report: the yearly analysis of bullying and incidents as a PDF (reportlab platypus).

Schools owe such an analysis under the Arbo catalogue and their social-safety policy, and the
figures feed the safety monitor the inspectorate expects by 1 July. The report holds only the
masked, anonymous counts that :mod:`pestdesk.services.figures` gathers and hands over as plain
data (:class:`YearReport` with :class:`ReportTable` s: the texts as shown, the values a chart
may draw and the mask where it may not), drawn as charts (``reportlab.graphics``) with the
numbers beside them. A masked count is drawn as a hatched stub carrying its mark ("<5", "x")
and a line chart breaks there: never a bar of 0, never a bar left out without a sign, and the
chart never shows more than the table. This module reads no database and calls no service.
"""

from __future__ import annotations

import datetime as dt
import io
import textwrap
from dataclasses import dataclass, field

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, Group, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Frame,
    KeepTogether,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.tables import LongTable

from .. import clock
from ..i18n import _, format_date
from .layout import FONT, FONT_BOLD, FONT_ITALIC, register_fonts

PAGE_W, PAGE_H = A4
MARGIN = 20 * mm
WIDTH = PAGE_W - 2 * MARGIN
NAVY = colors.HexColor("#12355b")
INK = colors.HexColor("#1d1d1f")
GREY = colors.HexColor("#6b6f76")
LINE = colors.HexColor("#d5d9df")
BAND = colors.HexColor("#f3f5f8")
SERIES = [colors.HexColor("#2f6db5"), colors.HexColor("#e07b39"), colors.HexColor("#5a9e6f")]


@dataclass(frozen=True)
class ReportTable:
    """One figure as printed: its rows as shown (masked) text and what its chart draws.

    ``rows`` are label + one text per column, the total row last when ``has_total``.
    ``chart_series`` holds one list per charted column (``chart_names``) over the rows
    labelled ``chart_labels``; a masked cell is None there and ``chart_marks`` holds its
    mark ("<5", "x"; "" for a drawn value).
    """

    title: str
    columns: list[str]
    rows: list[list[str]]
    has_total: bool = False
    chart: str = "bar"  # bar, hbar, line
    chart_labels: list[str] = field(default_factory=list)
    chart_series: list[list[float | None]] = field(default_factory=list)
    chart_marks: list[list[str]] = field(default_factory=list)
    chart_names: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def data_rows(self) -> int:
        """The number of rows without the total."""
        return len(self.rows) - (1 if self.has_total else 0)


@dataclass(frozen=True)
class KeyFigures:
    """The four headline numbers of the front page, as shown (masked) text."""

    reports: str
    cyber: str
    median_days: str
    sanctions: str


@dataclass(frozen=True)
class YearReport:
    """Everything the year report prints, gathered by ``services.figures``."""

    school: str
    period_label: str
    start: dt.date
    end: dt.date  # the real end: today for a school year still running
    scope: list[str]  # the selection as short phrases; empty: the whole school
    key_figures: KeyFigures
    summary: list[str]
    tables: list[ReportTable]


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=13.5, textColor=INK)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10.5, textColor=GREY),
        "note": ParagraphStyle("note", parent=base, fontName=FONT_ITALIC, fontSize=8,
                               leading=10.5, textColor=GREY, spaceBefore=3),
        "title": ParagraphStyle("title", parent=base, fontName=FONT_BOLD, fontSize=21,
                                leading=26, textColor=NAVY, spaceAfter=4),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=12, leading=16,
                                   textColor=GREY, spaceAfter=14),
        "h1": ParagraphStyle("h1", parent=base, fontName=FONT_BOLD, fontSize=13, leading=17,
                             textColor=NAVY, spaceBefore=12, spaceAfter=6),
        "h2": ParagraphStyle("h2", parent=base, fontName=FONT_BOLD, fontSize=11, leading=14,
                             textColor=NAVY, spaceBefore=10, spaceAfter=4),
        "bullet": ParagraphStyle("bullet", parent=base, leftIndent=12, bulletIndent=2,
                                 spaceAfter=3),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8.5, leading=10.5),
        "cellb": ParagraphStyle("cellb", parent=base, fontName=FONT_BOLD, fontSize=8.5,
                                leading=10.5),
    }


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class _ReportCanvas:
    """Page decorations: a running header and 'page X of Y' in the footer."""

    def __init__(self, school: str, title: str, made_on: str):
        self.school, self.title, self.made_on = school, title, made_on

    def __call__(self, canvas, doc) -> None:
        canvas.saveState()
        canvas.setStrokeColor(LINE)
        canvas.setLineWidth(0.6)
        top = PAGE_H - 13 * mm
        canvas.setFont(FONT_BOLD, 8)
        canvas.setFillColor(NAVY)
        canvas.drawString(MARGIN, top, self.school)
        canvas.setFont(FONT, 8)
        canvas.setFillColor(GREY)
        canvas.drawRightString(PAGE_W - MARGIN, top, self.title)
        canvas.line(MARGIN, top - 2.5 * mm, PAGE_W - MARGIN, top - 2.5 * mm)
        canvas.line(MARGIN, 14 * mm, PAGE_W - MARGIN, 14 * mm)
        canvas.drawString(MARGIN, 10 * mm, self.made_on)
        canvas.drawRightString(PAGE_W - MARGIN, 10 * mm,
                               _("page {page}").format(page=canvas.getPageNumber()))
        canvas.restoreState()


def render_year_report(report: YearReport, made_on: dt.date | None = None) -> bytes:
    """The PDF bytes of the year report ``report`` (one school year, by month)."""
    register_fonts()
    styles = _styles()
    school_name = report.school
    title = _("Year report on bullying and incidents {period}").format(
        period=report.period_label)
    stamp = _("Made with pestdesk on {date}").format(
        date=format_date(made_on or clock.today(), "long"))
    out = io.BytesIO()
    doc = BaseDocTemplate(out, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
                          topMargin=22 * mm, bottomMargin=20 * mm, title=title,
                          author=school_name, subject=_("Yearly analysis of bullying"),
                          creator="pestdesk")
    frame = Frame(MARGIN, 18 * mm, WIDTH, PAGE_H - 18 * mm - 20 * mm, id="body",
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    doc.addPageTemplates([PageTemplate("page", [frame],
                                       onPage=_ReportCanvas(school_name, title, stamp))])
    story = _front(report, styles) + _about(styles)
    for table in report.tables:
        story.extend(_section(table, styles))
    doc.build(story)
    return out.getvalue()


def _front(report: YearReport, styles) -> list:
    when = _("{start} up to and including {end}").format(
        start=format_date(report.start, "long"), end=format_date(report.end, "long"))
    scope = ", ".join(report.scope) or _("whole school")
    story: list = [
        Paragraph(_esc(_("Bullying and incidents")), styles["title"]),
        Paragraph(_esc(f"{report.school} · {when}"), styles["subtitle"]),
        _key_figures(report.key_figures, styles),
        Spacer(1, 4 * mm),
        Paragraph(_esc(_("Selection: {scope}").format(scope=scope)), styles["small"]),
        Paragraph(_esc(_("Summary")), styles["h1"]),
    ]
    for sentence in report.summary:
        story.append(Paragraph(_esc(sentence), styles["bullet"], bulletText="•"))
    return story


def _key_figures(key: KeyFigures, styles) -> Table:
    """Four tiles with the headline numbers (masked like everything else)."""
    tiles = [
        (key.reports, _("reports")),
        (key.cyber, _("of which cyberbullying")),
        (key.median_days, _("median days to closure")),
        (key.sanctions, _("suspensions and expulsions")),
    ]
    big = ParagraphStyle("big", parent=styles["body"], fontName=FONT_BOLD, fontSize=20,
                         leading=24, textColor=NAVY)
    row = [[Paragraph(_esc(value), big), Paragraph(_esc(label), styles["small"])]
           for value, label in tiles]
    table = Table([row], colWidths=[WIDTH / 4] * 4)
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, -1), BAND),
        ("LINEAFTER", (0, 0), (-2, -1), 2, colors.white),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 10),
        ("TOPPADDING", (0, 0), (-1, -1), 8),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
    ]))
    return table


def _section(table: ReportTable, styles) -> list:
    head = [CondPageBreak(70 * mm), Paragraph(_esc(table.title), styles["h1"])]
    # one row (a single school year) says it all in the table; a chart adds nothing
    chart = [_chart(table), Spacer(1, 3 * mm)] if len(table.chart_labels) > 1 else []
    long = table.data_rows > 24 and len(table.columns) == 1
    body = [_side_by_side(table, styles) if long else _numbers(table, styles)]
    if table.note:
        body.append(Paragraph(_esc(table.note), styles["note"]))
    return [KeepTogether([*head, *chart, *body])]


def _side_by_side(table: ReportTable, styles, groups: int = 3) -> Table:
    """A long one-column list (classes) as three label/number pairs per line."""
    shown = [list(row) for row in table.rows]
    total = shown.pop() if table.has_total else None
    per = -(-len(shown) // groups)
    rows = []
    for i in range(per):
        line: list = []
        for g in range(groups):
            k = g * per + i
            cells = shown[k] if k < len(shown) else ["", ""]
            line += [Paragraph(_esc(cells[0]), styles["cell"]), cells[1], ""]
        rows.append(line[:-1])
    if total is not None:
        rows.append([Paragraph(_esc(total[0]), styles["cellb"]), total[1]]
                    + [""] * (3 * groups - 3))
    pair = WIDTH / groups
    widths = ([pair - 22 * mm, 16 * mm, 6 * mm] * groups)[:-1]
    out = Table(rows, colWidths=widths)
    style = [("FONT", (0, 0), (-1, -1), FONT, 8.5),
             ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
             ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
             ("ROWBACKGROUNDS", (0, 0), (-1, -2 if total else -1), [colors.white, BAND])]
    for g in range(groups):
        style.append(("ALIGN", (3 * g + 1, 0), (3 * g + 1, -1), "RIGHT"))
    if total is not None:
        style += [("LINEABOVE", (0, -1), (-1, -1), 0.8, NAVY),
                  ("FONT", (1, -1), (1, -1), FONT_BOLD, 8.5)]
    out.setStyle(TableStyle(style))
    return out


def _numbers(table: ReportTable, styles) -> Table:
    header = ["", *table.columns]
    rows = [[Paragraph(_esc(str(h)), styles["cellb"]) for h in header]]
    for shown in table.rows:
        rows.append([Paragraph(_esc(shown[0]), styles["cell"]), *shown[1:]])
    n = len(table.columns)
    first = WIDTH - n * 28 * mm
    widths = [first] + [28 * mm] * n
    out = LongTable(rows, colWidths=widths, repeatRows=1)
    style = [
        ("FONT", (1, 1), (-1, -1), FONT, 8.5),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, NAVY),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, BAND]),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]
    if table.has_total:
        style += [("LINEABOVE", (0, -1), (-1, -1), 0.8, NAVY),
                  ("FONT", (1, -1), (-1, -1), FONT_BOLD, 8.5),
                  ("BACKGROUND", (0, -1), (-1, -1), colors.white)]
    out.setStyle(TableStyle(style))
    return out


# --------------------------------------------------------------------------- charts


def _chart(table: ReportTable) -> Drawing:
    labels, data, names = table.chart_labels, table.chart_series, table.chart_names
    marks = table.chart_marks or [["" for _v in series] for series in data]
    if table.chart == "hbar":
        return _hbar(labels, data, names, marks)
    if table.chart == "line" and len(labels) > 1:
        return _line(labels, data, names, marks)
    return _vbar(labels, data, names, marks)


STUB = 5  # a hidden count is drawn as a hatched stub up to the threshold, with its mark
MASK_FILL = colors.HexColor("#eceef2")
MASK_INK = colors.HexColor("#5b6270")


def _axis_max(data: list[list[float | None]]) -> float:
    top = max((v for series in data for v in series if v is not None), default=0)
    top = max(top, STUB if any(v is None for series in data for v in series) else 0)
    if top <= 0:
        return 5
    step = 10 ** max(0, len(str(int(top))) - 1)
    nice = (int(top / step) + 1) * step
    return max(5, -(-nice // 5) * 5)  # a multiple of 5: the five steps are whole numbers


def _hatched(x: float, y: float, w: float, h: float, mark: str, flip: bool = False) -> Group:
    """A hatched box at (x, y) sized (w, h) with ``mark`` written beyond its end."""
    group = Group()
    group.add(Rect(x, y, w, h, fillColor=MASK_FILL, strokeColor=MASK_INK, strokeWidth=0.5))
    step = 3.0
    d = -h
    while d < w:  # 45-degree hatching, clipped to the box
        x0, y0 = x + max(d, 0), y + max(-d, 0)
        x1, y1 = x + min(d + h, w), y + min(h, w - d)
        if x1 > x0:
            group.add(Line(x0, y0, x1, y1, strokeColor=MASK_INK, strokeWidth=0.35))
        d += step
    if flip:
        group.add(String(x + w + 2, y + h / 2 - 2.5, mark, fontName=FONT_BOLD, fontSize=7,
                         fillColor=MASK_INK))
    else:
        group.add(String(x + w / 2, y + h + 2, mark, fontName=FONT_BOLD, fontSize=7,
                         fillColor=MASK_INK, textAnchor="middle"))
    return group


def _bar_marks(marks: list[list[str]], flip: bool):
    """An annotation drawing the hidden bars of a bar chart as hatched stubs."""

    def draw(chart, _cscale, vscale) -> Group:
        group = Group()
        stub = vscale(STUB) - vscale(0)
        for series, row in enumerate(chart._barPositions):
            for index, (x, y, w, h) in enumerate(row):
                mark = marks[series][index]
                if not mark:
                    continue
                if flip:  # horizontal bars: the value runs along x
                    group.add(_hatched(x, y, stub, h, mark, flip=True))
                else:
                    group.add(_hatched(x, y, w, stub, mark))
        return group

    return draw


def _style_value_axis(axis, top: float) -> None:
    axis.valueMin = 0
    axis.valueMax = top
    axis.valueStep = top / 5
    axis.labels.fontName = FONT
    axis.labels.fontSize = 7
    axis.labels.fillColor = GREY
    axis.strokeColor = LINE
    axis.visibleGrid = True
    axis.gridStrokeColor = LINE
    axis.gridStrokeWidth = 0.4
    axis.labelTextFormat = lambda v: f"{v:,.0f}".replace(",", ".")


def _legend(drawing: Drawing, names: list[str], x: float, y: float, hidden: bool) -> None:
    pairs = list(zip(SERIES, names, strict=False)) if len(names) > 1 else []
    if hidden:
        pairs.append((MASK_FILL, _("hidden (“<5”, “x”)")))
    if not pairs:
        return
    legend = Legend()
    legend.x, legend.y = x, y
    legend.fontName, legend.fontSize = FONT, 7.5
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.dx = legend.dy = 7
    legend.deltax = 140
    legend.boxAnchor = "nw"
    legend.strokeColor = MASK_INK
    legend.colorNamePairs = pairs
    drawing.add(legend)


def _any_mark(marks: list[list[str]]) -> bool:
    return any(mark for series in marks for mark in series)


def _vbar(labels: list[str], data: list[list[float | None]], names: list[str],
          marks: list[list[str]]) -> Drawing:
    many = len(labels) > 14
    height = 62 * mm if not many else 72 * mm
    drawing = Drawing(WIDTH, height)
    chart = VerticalBarChart()
    chart.x, chart.y = 32, (22 if not many else 34)
    chart.width, chart.height = WIDTH - 44, height - chart.y - 22
    chart.data = data
    chart.categoryAxis.categoryNames = [_short(lab, 16) for lab in labels]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 7 if not many else 6
    chart.categoryAxis.labels.fillColor = INK
    chart.categoryAxis.strokeColor = LINE
    if many:
        chart.categoryAxis.labels.angle = 90
        chart.categoryAxis.labels.boxAnchor = "e"
        chart.categoryAxis.labels.dy = -2
    _style_value_axis(chart.valueAxis, _axis_max(data))
    chart.groupSpacing = 4 if many else 8
    chart.barSpacing = 1
    for i in range(len(data)):
        chart.bars[i].fillColor = SERIES[i % len(SERIES)]
        chart.bars[i].strokeColor = None
    chart.annotations = [_bar_marks(marks, flip=False)]
    drawing.add(chart)
    _legend(drawing, names, 40, height - 2, _any_mark(marks))
    return drawing


def _hbar(labels: list[str], data: list[list[float | None]], names: list[str],
          marks: list[list[str]]) -> Drawing:
    lines = [_wrap(lab, 44) for lab in labels]  # long stage names on two lines, not cut
    row = 13 if len(data) == 1 else 20
    if any("\n" in text for text in lines):
        row = max(row, 18)
    legend = len(names) > 1 or _any_mark(marks)
    top = 14 if legend else 0  # the legend above the chart, clear of the value axis
    height = max(40 * mm, len(labels) * row + 34) + top
    drawing = Drawing(WIDTH, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = 215, 18
    chart.width, chart.height = WIDTH - 230, height - 30 - top
    chart.data = [list(reversed(series)) for series in data]
    chart.categoryAxis.categoryNames = list(reversed(lines))
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.fillColor = INK
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.strokeColor = LINE
    _style_value_axis(chart.valueAxis, _axis_max(data))
    chart.barSpacing = 1
    chart.groupSpacing = 4
    for i in range(len(data)):
        chart.bars[i].fillColor = SERIES[i % len(SERIES)]
        chart.bars[i].strokeColor = None
    chart.annotations = [_bar_marks([list(reversed(m)) for m in marks], flip=True)]
    drawing.add(chart)
    _legend(drawing, names, 220, height - 2, _any_mark(marks))
    return drawing


def _runs(series: list[float | None]) -> list[list[float | None]]:
    """One line per unbroken run of drawn values: a hidden value breaks the line."""
    out, current = [], None
    for i, value in enumerate(series):
        if value is None:
            current = None
            continue
        if current is None:
            current = [None] * len(series)
            out.append(current)
        current[i] = value
    return out


def _line(labels: list[str], data: list[list[float | None]], names: list[str],
          marks: list[list[str]]) -> Drawing:
    height = 62 * mm
    drawing = Drawing(WIDTH, height)
    chart = HorizontalLineChart()
    chart.x, chart.y = 32, 22
    chart.width, chart.height = WIDTH - 44, height - 44
    rows, colours = [], []
    for i, series in enumerate(data):
        for run in _runs(series):
            rows.append(run)
            colours.append(SERIES[i % len(SERIES)])
    chart.data = rows or [[0] * len(labels)]
    chart.categoryAxis.categoryNames = labels
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.fillColor = INK
    chart.categoryAxis.strokeColor = LINE
    _style_value_axis(chart.valueAxis, _axis_max(data))
    chart.joinedLines = 1
    for i, colour in enumerate(colours):
        chart.lines[i].strokeColor = colour
        chart.lines[i].strokeWidth = 1.8
        chart.lines[i].symbol = None
    if not rows:
        chart.lines[0].strokeColor = None

    def hidden_points(chart_, cscale, vscale) -> Group:
        group = Group()
        stub = vscale(STUB) - vscale(0)
        series_count = max(1, len(marks))
        for s, row in enumerate(marks):
            for index, mark in enumerate(row):
                if not mark:
                    continue
                x, width = cscale(index)
                w = min(10.0, width / (series_count + 1))
                left = x + width / 2 - series_count * w / 2 + s * w
                box = _hatched(left, vscale(0), w - 1, stub, mark)
                box.contents[0].strokeColor = SERIES[s % len(SERIES)]
                group.add(box)
        return group

    chart.annotations = [hidden_points]
    drawing.add(chart)
    _legend(drawing, names, 40, height - 2, _any_mark(marks))
    return drawing


def _wrap(text: str, width: int) -> str:
    """At most two lines of ``width`` characters (the second shortened if need be)."""
    parts = textwrap.wrap(text, width) or [""]
    if len(parts) > 2:
        parts = [parts[0], _short(" ".join(parts[1:]), width)]
    return "\n".join(parts)


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _about(styles) -> list:
    texts = [
        _("This report is the school's yearly analysis of reports of bullying and incidents, "
          "as the Arbo catalogue and the social-safety policy ask. Discuss it with the team "
          "and the participation council (MR), and take its findings into next year's plan."),
        _("The figures of the safety monitor must reach the inspectorate by 1 July."),
        _("“<5” is a count from 1 to 4 and “x” a number hidden so that it cannot be worked "
          "out from the others: no student can be recognised. Charts draw a hidden number as "
          "a hatched stub with its mark, and a line breaks there."),
        _("A report belongs to the class of its victim as registered now; students who have "
          "left school are counted under “unknown”."),
    ]
    story: list = [Paragraph(_esc(_("About these figures")), styles["h1"])]
    story += [Paragraph(_esc(text), styles["bullet"], bulletText="•") for text in texts]
    return story
