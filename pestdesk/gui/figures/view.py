"""Cijfers: anonymous figures for a period and filters, as charts (QtCharts) with the numbers
beside them; the year report (PDF) and the export of the masked counts (XLSX/CSV).

All counting happens in ``services.figures`` (SQL, masked); this view only draws. Counts
from 1 to 4 show as "<5", numbers hidden to protect them as "x"; a chart draws such a count
as a hatched stub carrying the same mark (a line breaks there), never as 0 and never as a
missing bar, so the chart tells no more and no less than the table. A user who may read
every case behind the figures sees the exact counts on screen, said in the summary; the
year report and the export are masked all the same.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QLineSeries,
    QValueAxis,
)
from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QMargins,
    QModelIndex,
    QPointF,
    QRectF,
    QSettings,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFrame,
    QGraphicsRectItem,
    QGraphicsSimpleTextItem,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from pestdesk import clock
from pestdesk.domain.taxonomy import FORMS
from pestdesk.gui.common import ops
from pestdesk.gui.common.flow_layout import FlowLayout
from pestdesk.gui.common.list_panel import compact_combo
from pestdesk.gui.common.pdf_preview import ask_export_path
from pestdesk.i18n import _
from pestdesk.services import figures as fig
from pestdesk.services.base import Actor

COLORS = ["#2f6db5", "#e07b39", "#5a9e6f"]
MASK_INK = QColor("#5b6270")
STUB = 5  # a hidden count is drawn as a hatched stub up to the threshold
CUSTOM = -1
STYLE = """
#figureCard { background: #ffffff; border: 1px solid #dde2e8; border-radius: 8px; }
#figureCard QLabel#cardTitle { font-weight: 600; color: #12355b; font-size: 11pt; }
#figureNote { color: #6b6f76; font-style: italic; }
#summaryCard { background: #f3f7fc; border: 1px solid #d3e0f0; border-radius: 8px; }
#summaryCard QLabel { color: #1d1d1f; }
#summaryCard QLabel#summaryTitle { font-weight: 600; color: #12355b; }
#filterBar QLabel { color: #444; }
"""


class FigureTableModel(QAbstractTableModel):
    """A small read-only model over one ``FigureTable`` (a few dozen rows at most)."""

    def __init__(self, table: fig.FigureTable, parent=None):
        super().__init__(parent)
        self.table = table
        self.rows = table.shown_rows()  # exact on screen when the table says so
        self.has_total = table.total is not None

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.table.columns) + 1

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return "" if section == 0 else self.table.columns[section - 1]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        row, col = index.row(), index.column()
        text = self.rows[row][col]
        is_total = self.has_total and row == len(self.rows) - 1
        if role == Qt.ItemDataRole.DisplayRole:
            return text
        if role == Qt.ItemDataRole.TextAlignmentRole and col:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and is_total:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and text in (fig.MASK, fig.HIDDEN):
            return QBrush(QColor("#8a8f98"))
        if role == Qt.ItemDataRole.ToolTipRole and text in (fig.MASK, fig.HIDDEN):
            return fig.masking_legend()
        return None


def build_chart(table: fig.FigureTable) -> QChart:
    """A QChart for ``table``: bars, horizontal bars or a line. A hidden cell draws no value:
    the chart's :class:`MaskMarks` put a hatched stub with its mark there, and a line
    breaks around it."""
    chart = QChart()
    chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    chart.setBackgroundBrush(QBrush(QColor("#ffffff")))
    chart.setBackgroundPen(Qt.PenStyle.NoPen)
    chart.setBackgroundRoundness(0)
    chart.setMargins(QMargins(4, 4, 4, 4))
    chart.layout().setContentsMargins(0, 0, 0, 0)
    rows = table.chart_rows()
    # "sep 2025" -> "sep '25": twelve months fit under a chart
    # horizontal bars get the card's full width: long Dutch labels fit whole
    limit = 64 if table.chart == "hbar" else 30
    labels = [_short(table.row_labels[r], limit).replace(" 20", " '") for r in rows]
    cols = list(table.chart_columns)
    drawn = [table.plotted(r, c) for r in rows for c in cols]
    top = max((v for v in drawn if v is not None), default=0.0)
    if any(v is None for v in drawn):
        top = max(top, STUB)
    value_axis = QValueAxis()
    value_axis.setRange(0, _nice_max(top))
    value_axis.setLabelFormat("%d")
    value_axis.setTickCount(6)
    value_axis.setGridLineColor(QColor("#e3e6ea"))
    category_axis = QBarCategoryAxis()
    category_axis.append(labels)
    small = QFont()
    small.setPointSizeF(7.5)
    if len(labels) > 14:
        category_axis.setLabelsAngle(-90)
        small.setPointSizeF(6.5)
    category_axis.setLabelsFont(small)
    value_axis.setLabelsFont(small)
    horizontal = table.chart == "hbar"
    marks: list[tuple[int, int, str]] = []  # (position, series number, mark)
    anchor = None
    if table.chart == "line" and len(rows) > 1:
        for i, c in enumerate(cols):
            colour = QColor(COLORS[i % len(COLORS)])
            runs: list[QLineSeries] = []
            previous_hidden = True
            for x, r in enumerate(rows):
                value = table.plotted(r, c)
                if value is None:
                    marks.append((x, i, table.mark(r, c)))
                    previous_hidden = True
                    continue
                if previous_hidden:  # a hidden month breaks the line: a new run starts
                    runs.append(QLineSeries())
                    previous_hidden = False
                runs[-1].append(x, value)
            for n, series in enumerate(runs or [QLineSeries()]):
                series.setName(table.columns[c])
                pen = series.pen()
                pen.setColor(colour)
                pen.setWidthF(2.2)
                series.setPen(pen)
                series.setPointsVisible(len(series.points()) == 1)
                chart.addSeries(series)
                if n:
                    chart.legend().markers(series)[0].setVisible(False)
        chart.addAxis(category_axis, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(value_axis, Qt.AlignmentFlag.AlignLeft)
        for series in chart.series():
            series.attachAxis(category_axis)
            series.attachAxis(value_axis)
        anchor = chart.series()[0] if chart.series() else None
    else:
        series = QHorizontalBarSeries() if horizontal else QBarSeries()
        order = list(reversed(range(len(rows)))) if horizontal else list(range(len(rows)))
        if horizontal:
            category_axis.clear()
            category_axis.append([labels[i] for i in order])
        for i, c in enumerate(cols):
            bar_set = QBarSet(table.columns[c])
            bar_set.setColor(QColor(COLORS[i % len(COLORS)]))
            bar_set.setBorderColor(QColor(COLORS[i % len(COLORS)]))
            for position, k in enumerate(order):
                value = table.plotted(rows[k], c)
                if value is None:
                    marks.append((position, i, table.mark(rows[k], c)))
                bar_set.append(0.0 if value is None else value)
            series.append(bar_set)
        series.setBarWidth(0.75)
        chart.addSeries(series)
        chart.addAxis(category_axis, Qt.AlignmentFlag.AlignLeft if horizontal
                      else Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(value_axis, Qt.AlignmentFlag.AlignBottom if horizontal
                      else Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(category_axis)
        series.attachAxis(value_axis)
        anchor = series
    chart.legend().setVisible(len(cols) > 1)
    chart.legend().setAlignment(Qt.AlignmentFlag.AlignTop)
    chart.legend().setFont(small)
    if marks and anchor is not None:
        width = 0.75 if table.chart != "line" else 0.3
        chart.mask_marks = MaskMarks(chart, anchor, marks, len(cols), horizontal, width)
    return chart


class MaskMarks:
    """Hatched stubs with their mark ("<5", "x") where a chart has a hidden value, kept in
    place when the chart is laid out anew."""

    def __init__(self, chart: QChart, series, marks: list[tuple[int, int, str]],
                 series_count: int, horizontal: bool, width: float):
        self.chart, self.series = chart, series
        self.marks, self.count, self.horizontal, self.width = (
            marks, series_count, horizontal, width)
        self.items: list[tuple[QGraphicsRectItem, QGraphicsSimpleTextItem]] = []
        font = QFont()
        font.setPointSizeF(7.5)
        font.setBold(True)
        for _position, s, mark in marks:
            box = QGraphicsRectItem(chart)
            box.setBrush(QBrush(QColor(COLORS[s % len(COLORS)]), Qt.BrushStyle.BDiagPattern))
            box.setPen(QPen(QColor(COLORS[s % len(COLORS)]), 1))
            box.setZValue(10)
            label = QGraphicsSimpleTextItem(mark, chart)
            label.setFont(font)
            label.setBrush(QBrush(MASK_INK))
            label.setZValue(11)
            box.setToolTip(fig.masking_legend())
            self.items.append((box, label))
        chart.plotAreaChanged.connect(self.place)
        self.place()

    def texts(self) -> list[str]:
        return [label.text() for _box, label in self.items]

    def place(self, *_args) -> None:
        share = self.width / max(1, self.count)
        for (position, s, _mark), (box, label) in zip(self.marks, self.items, strict=True):
            low = position - self.width / 2 + s * share
            high = low + share
            if self.horizontal:  # categories run down the y axis, values along x
                a = self.chart.mapToPosition(QPointF(0, low), self.series)
                b = self.chart.mapToPosition(QPointF(STUB, high), self.series)
            else:
                a = self.chart.mapToPosition(QPointF(low, 0), self.series)
                b = self.chart.mapToPosition(QPointF(high, STUB), self.series)
            rect = QRectF(a, b).normalized()
            if self.horizontal and rect.width() < 6:  # too short to see: a few pixels
                rect.setWidth(6)
            elif not self.horizontal and rect.height() < 6:
                rect.setTop(rect.bottom() - 6)
            box.setRect(rect)
            text = label.boundingRect()
            if self.horizontal:
                label.setPos(rect.right() + 3, rect.center().y() - text.height() / 2)
            else:
                label.setPos(rect.center().x() - text.width() / 2, rect.top() - text.height())


def _nice_max(top: float) -> float:
    """The axis' top: a round number, a multiple of 5 so its six ticks are whole numbers."""
    if top <= 0:
        return 5
    step = 10 ** max(0, len(str(int(top))) - 1)
    nice = (int(top / step) + 1) * step
    return max(5, -(-nice // 5) * 5)


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


class FigureCard(QFrame):
    """One figure: title, chart on the left, the numbers on the right, a note below."""

    def __init__(self, table: fig.FigureTable, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("figureCard")
        self.table = table
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 10, 14, 10)
        title = QLabel(table.title)
        title.setObjectName("cardTitle")
        layout.addWidget(title)
        row = QHBoxLayout()
        self.chart_view = QChartView(build_chart(table))
        self.chart_view.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.chart_view.setMinimumHeight(self._chart_height())
        self.chart_view.setSizePolicy(QSizePolicy.Policy.Expanding,
                                      QSizePolicy.Policy.Preferred)
        self.numbers = QTableView()
        self.numbers.setModel(FigureTableModel(table, self.numbers))
        self.numbers.verticalHeader().hide()
        self.numbers.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.numbers.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.numbers.setAlternatingRowColors(True)
        self.numbers.setShowGrid(False)
        self.numbers.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.numbers.verticalHeader().setDefaultSectionSize(22)
        header = self.numbers.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for c in range(1, len(table.columns) + 1):
            header.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        rows = self.numbers.model().rowCount()
        self.numbers.setFixedHeight(min(22 * rows + 30, max(self._chart_height(), 200)))
        self.numbers.setMinimumWidth(340 if len(table.columns) < 3 else 430)
        if len(table.chart_rows()) > 1 and not table.is_withheld() and table.chart == "hbar":
            # long labels (forms, stages): the chart over the card's width, the numbers
            # below it, every row in view, so no label is cut off
            column = QVBoxLayout()
            column.addWidget(self.chart_view)
            self.numbers.setFixedHeight(22 * rows + 30)
            column.addWidget(self.numbers)
            row.addLayout(column, 1)
        elif len(table.chart_rows()) > 1 and not table.is_withheld():
            row.addWidget(self.chart_view, 3)
            row.addWidget(self.numbers, 2, Qt.AlignmentFlag.AlignTop)
        else:  # one row (a single school year): the numbers say it all
            self.chart_view.hide()
            self.numbers.setFixedHeight(22 * rows + 30)
            row.addWidget(self.numbers, 1, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(row)
        chart = self.chart_view.chart()
        self.mask_marks = getattr(chart, "mask_marks", None)
        notes = [table.shown_note()] if table.shown_note() else []
        if self.mask_marks is not None and not self.chart_view.isHidden():
            notes.append(_("Hatched: a hidden count (“<5” or “x”)."))
        if notes:
            note = QLabel(" ".join(notes))
            note.setObjectName("figureNote")
            note.setWordWrap(True)
            layout.addWidget(note)

    def _chart_height(self) -> int:
        if self.table.chart == "hbar":
            return max(200, 24 * len(self.table.chart_rows()) + 60)
        return 260 if len(self.table.chart_rows()) <= 14 else 340


class FiguresView(QWidget):
    """The Cijfers section."""

    computed = Signal()

    def __init__(self, actor: Actor, parent: QWidget | None = None):
        super().__init__(parent)
        self.actor = actor
        self.figures: fig.Figures | None = None
        self.setStyleSheet(STYLE)
        outer = QVBoxLayout(self)
        head = QHBoxLayout()
        title = QLabel(_("Figures"))
        title.setObjectName("sectionTitle")
        head.addWidget(title)
        head.addStretch(1)
        self.report_button = QPushButton(_("Year report (PDF)…"))
        self.report_button.clicked.connect(self.save_year_report)
        self.export_button = QPushButton(_("Export counts…"))
        self.export_button.clicked.connect(self.export_counts)
        self.exact = QCheckBox(_("Exact counts"))
        self.exact.setObjectName("exactBox")
        self.exact.setToolTip(_("Only on your screen, for the cases you may read. Unticked: "
                                "the figures as the year report and the export share them "
                                "(masked)."))
        self.exact.setVisible(fig.may_see_exact(actor))
        self.exact.setChecked(fig.may_see_exact(actor))
        head.addWidget(self.exact)
        head.addSpacing(12)
        head.addWidget(self.report_button)
        head.addWidget(self.export_button)
        outer.addLayout(head)
        outer.addWidget(self._filter_bar())
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.body = QWidget()
        self.cards = QVBoxLayout(self.body)
        self.cards.setSpacing(12)
        self.cards.setContentsMargins(0, 4, 8, 8)
        scroll.setWidget(self.body)
        outer.addWidget(scroll, 1)
        self._debounce = QTimer(self, singleShot=True, interval=150)
        self._debounce.timeout.connect(self.refresh)
        self.refresh()

    # -- filters -------------------------------------------------------------------------
    def _filter_bar(self) -> QWidget:
        bar = QFrame()
        bar.setObjectName("filterBar")
        # the period on one line, the filters on the next; each wraps in a narrow window
        column = QVBoxLayout(bar)
        column.setContentsMargins(0, 0, 0, 4)
        column.setSpacing(6)
        choices = fig.filter_choices()
        self.period = QComboBox()
        self.period.setObjectName("periodBox")
        for year in fig.data_years(self.actor):
            self.period.addItem(_("School year {label}").format(
                label=fig.school_year_label(year)), year)
        self.period.addItem(_("Other period…"), CUSTOM)
        self.start = QDateEdit(calendarPopup=True)
        self.end = QDateEdit(calendarPopup=True)
        for edit in (self.start, self.end):
            edit.setDisplayFormat("d-M-yyyy")
            edit.setEnabled(False)
        self._show_period_dates()  # a school year shows its own dates, greyed out
        for edit in (self.start, self.end):
            edit.dateChanged.connect(self._changed)
        self.granularity = QComboBox()
        self.granularity.addItem(_("Automatic"), "")
        self.granularity.addItem(_("Per month"), "month")
        self.granularity.addItem(_("Per school year"), "school_year")
        self.department = QComboBox()
        self.department.addItem(_("All departments"), "")
        for name in choices.departments:
            self.department.addItem(name, name)
        self.leerjaar = QComboBox()
        self.leerjaar.addItem(_("All years"), 0)
        for year in choices.leerjaren:
            self.leerjaar.addItem(_("Year {n}").format(n=year), year)
        self.klass = QComboBox()
        self.klass.addItem(_("All classes"), 0)
        for klass in choices.classes:
            self.klass.addItem(klass.name, klass.id)
        self.form = QComboBox()
        self.form.addItem(_("All forms"), "")
        for code, label in FORMS.items():
            self.form.addItem(_(label), code)
        self.cyber = QComboBox()
        self.cyber.addItem(_("With and without cyberbullying"), None)
        self.cyber.addItem(_("Cyberbullying only"), True)
        self.cyber.addItem(_("Without cyberbullying"), False)
        self.exact.toggled.connect(self._changed)
        for box in (self.period, self.granularity, self.department, self.leerjaar, self.klass,
                    self.form, self.cyber):
            box.currentIndexChanged.connect(self._changed)
        # long names (forms, departments) are elided so the bar fits a 1366 px screen
        for box, chars in ((self.department, 14), (self.klass, 10), (self.form, 16),
                           (self.cyber, 18)):
            compact_combo(box, chars)
        self.period.currentIndexChanged.connect(self._period_changed)
        lines = ([(_("Period"), self.period), (_("From"), self.start), (_("to"), self.end),
                  (_("Per"), self.granularity)],
                 [(_("Department"), self.department), (_("Year group"), self.leerjaar),
                  (_("Class"), self.klass), (_("Form"), self.form), ("", self.cyber)])
        for pairs in lines:
            flow = FlowLayout(spacing=14, line_spacing=6)
            for label, widget in pairs:
                flow.addWidget(self._labelled(label, widget))
            column.addLayout(flow)
        return bar

    @staticmethod
    def _labelled(label: str, widget: QWidget) -> QWidget:
        """A label and its field kept together on one line of the flow."""
        pair = QWidget()
        row = QHBoxLayout(pair)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        if label:
            row.addWidget(QLabel(label))
        row.addWidget(widget)
        return pair

    def _period_changed(self) -> None:
        custom = self.period.currentData() == CUSTOM
        if not custom:
            self._show_period_dates()
        self.start.setEnabled(custom)
        self.end.setEnabled(custom)

    def _show_period_dates(self) -> None:
        """The date fields show the chosen school year as counted: up to today."""
        year = self.period.currentData()
        if year is None or year == CUSTOM:
            return
        shown = fig.Period.school_year(year).up_to(clock.today())
        for edit, day in ((self.start, shown.start), (self.end, shown.end)):
            edit.blockSignals(True)
            edit.setDate(QDate(day))
            edit.blockSignals(False)

    def _changed(self, *_args) -> None:
        self._debounce.start()

    def chosen_period(self) -> fig.Period:
        year = self.period.currentData()
        if year is None or year == CUSTOM:
            return fig.Period(self.start.date().toPython(), self.end.date().toPython())
        return fig.Period.school_year(year)

    def chosen_filters(self) -> fig.FigureFilters:
        return fig.FigureFilters(
            department=self.department.currentData() or "",
            leerjaar=self.leerjaar.currentData() or None,
            class_id=self.klass.currentData() or None,
            form=self.form.currentData() or "",
            cyber=self.cyber.currentData())

    # -- computing and drawing -----------------------------------------------------------
    def refresh(self) -> None:
        """Count off the GUI thread (a long read on a big school), then draw."""
        op = ops.Op(self, partial(fig.compute_figures, self.actor, self.chosen_period(),
                                  self.chosen_filters(), self.granularity.currentData() or "",
                                  exact=self.exact.isChecked()),
                    label=_("Counting…")).errors_to(self._show_message)
        if not op.run():
            self.figures = None
            return
        self.figures = op.result
        self._draw()
        self.computed.emit()

    def _clear(self) -> None:
        while self.cards.count():
            item = self.cards.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()

    def _show_message(self, text: str) -> None:
        self._clear()
        label = QLabel(text)
        label.setWordWrap(True)
        self.cards.addWidget(label)
        self.cards.addStretch(1)

    def _draw(self) -> None:
        self._clear()
        figures = self.figures
        summary = QFrame()
        summary.setObjectName("summaryCard")
        lay = QVBoxLayout(summary)
        lay.setContentsMargins(14, 10, 14, 10)
        heading = QLabel(_("Figures for {period}").format(period=figures.shown.range_label()))
        heading.setObjectName("summaryTitle")
        heading.setWordWrap(True)
        lay.addWidget(heading)
        self.summary_label = QLabel("\n".join(f"• {s}" for s in figures.summary()))
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.summary_label)
        self.cards.addWidget(summary)
        self.figure_cards: dict[str, FigureCard] = {}
        for key, table in figures.tables.items():
            card = FigureCard(table)
            self.cards.addWidget(card)
            self.figure_cards[key] = card
        self.cards.addStretch(1)

    # -- output --------------------------------------------------------------------------
    def _folder(self) -> str:
        return str(QSettings().value("figures/folder", str(Path.home())))

    def _remember(self, name: str) -> None:
        QSettings().setValue("figures/folder", str(Path(name).parent))

    def report_year(self) -> int:
        year = self.period.currentData()
        if year is None or year == CUSTOM:
            return fig.school_year_of(self.chosen_period().end)
        return year

    def save_year_report(self) -> None:
        year = self.report_year()
        suggested = Path(self._folder()) / _("year report bullying {label}.pdf").format(
            label=fig.school_year_label(year))
        name = ask_export_path(self, _("Year report"), str(suggested), _("PDF files (*.pdf)"))
        if name:
            self.write_year_report(Path(name), year)

    def write_year_report(self, path: Path, year: int) -> bool:
        op = ops.Op(self, partial(fig.year_report_pdf, self.actor, year, self.chosen_filters()),
                    label=_("Writing the year report…")).titled(_("Year report"))
        if not op.run():
            return False
        try:
            path.write_bytes(op.result)
        except OSError as exc:
            QMessageBox.warning(self, _("Year report"), str(exc))
            return False
        self._remember(str(path))
        return True

    def export_counts(self) -> None:
        if self.figures is None:
            return
        period = self.figures.period
        stem = _("figures {start} {end}").format(start=period.start.isoformat(),
                                                   end=period.end.isoformat())
        name = ask_export_path(
            self, _("Export counts"), str(Path(self._folder()) / f"{stem}.xlsx"),
            _("Excel workbook (*.xlsx);;CSV for Excel (*.csv)"))
        if name:
            self.write_export(Path(name))

    def write_export(self, path: Path) -> bool:
        if path.suffix.lower() == ".csv":
            work = partial(fig.export_csv, self.actor, self.figures, path)
        else:
            work = partial(fig.export_xlsx, self.actor, self.figures, path.with_suffix(".xlsx"))

        def not_written(exc: BaseException) -> bool:
            if isinstance(exc, OSError):
                QMessageBox.warning(self, _("Export counts"), str(exc))
                return True
            return False

        if not ops.Op(self, work).titled(_("Export counts")).failure(not_written).run():
            return False
        self._remember(str(path))
        return True
