"""Beheer → Schoolkalender: the school's vacations and free days, and the public holidays.

Suspensions are counted in school days (``services.calendar``), so the school enters its own
vacation periods and other free days here; pestdesk ships none (they differ per region and
per school). Each change is saved at once through ``calendar.save_calendar``, which refuses
overlapping periods with its own message; the form then stays open with what was typed. The
right-hand side previews the public holidays of a school year (computed, never typed).
"""

from __future__ import annotations

import datetime as dt
from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pestdesk import clock
from pestdesk.domain.schooldays import REGIONS, FreePeriod, public_holidays
from pestdesk.gui.common import ops
from pestdesk.gui.common.colors import ERROR_STYLE
from pestdesk.gui.common.dialogs import SaveDialog, date_edit, pydate
from pestdesk.gui.common.limits import limit
from pestdesk.gui.common.widgets import ShowsErrors
from pestdesk.i18n import _, format_date
from pestdesk.services import calendar
from pestdesk.services.base import Actor, ServiceError

DATA = Qt.ItemDataRole.UserRole


def school_year_of(day: dt.date) -> int:
    """The first calendar year of the school year (August to July) ``day`` lies in."""
    return day.year if day.month >= 8 else day.year - 1


def holidays_in_school_year(start_year: int) -> list[tuple[dt.date, str]]:
    """The public holidays on weekdays from 1 August ``start_year`` to 31 July after."""
    first, last = dt.date(start_year, 8, 1), dt.date(start_year + 1, 7, 31)
    days = {**public_holidays(start_year), **public_holidays(start_year + 1)}
    return sorted((d, name) for d, name in days.items()
                  if first <= d <= last and d.weekday() < 5)


class PeriodDialog(SaveDialog):
    """One vacation or free day: first and last day, and what it is called."""

    def __init__(self, actor: Actor, periods: list[FreePeriod], index: int | None = None,
                 region: str = "", public: bool = True, parent: QWidget | None = None) -> None:
        title = _("Add free period") if index is None else _("Change free period")
        super().__init__(actor, title, parent)
        self.periods, self.index = periods, index
        self.region, self.public = region, public
        current = periods[index] if index is not None else None
        today = clock.today()
        self.label = limit(QLineEdit(current.label if current else ""), "free_period", "label")
        self.label.setPlaceholderText(_("e.g. autumn holiday, study day"))
        self.form.addRow(_("Name"), self.label)
        self.first = date_edit(current.first if current else today, latest_today=False)
        self.first.dateChanged.connect(self._follow_first)
        self.form.addRow(_("First day"), self.first)
        self.last = date_edit(current.last if current else today, latest_today=False)
        self.form.addRow(_("Last day"), self.last)
        self.setMinimumWidth(420)

    def _follow_first(self) -> None:
        if self.last.date() < self.first.date():
            self.last.setDate(self.first.date())

    def period(self) -> FreePeriod:
        first, last = pydate(self.first), pydate(self.last)
        if last < first:
            raise ServiceError(_("A free period cannot end before it starts."))
        if not self.label.text().strip():
            raise ServiceError(_("Give the period a name."))
        return FreePeriod(first, last, self.label.text().strip())

    def save(self):
        periods = list(self.periods)
        if self.index is None:
            periods.append(self.period())
        else:
            periods[self.index] = self.period()
        return partial(calendar.save_calendar, self.actor, periods, self.region, self.public)

    def changes(self):
        return ops.Changes.of(ops.SETTINGS)


class CalendarDialog(ShowsErrors, QDialog):
    """The school calendar: free periods (add, change, remove) and the public holidays."""

    changed = Signal()

    def __init__(self, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.actor = actor
        self.setWindowTitle(_("School calendar"))
        intro = QLabel(_("Suspensions are counted in school days. Enter the school's vacations "
                         "and other days off; weekends and public holidays are known already."))
        intro.setWordWrap(True)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels([_("Name"), _("First day"), _("Last day")])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.table.doubleClicked.connect(lambda _i: self.edit_period())
        self.table.itemSelectionChanged.connect(self._update_buttons)
        buttons = QHBoxLayout()
        self.add_button = QPushButton(_("Add…"))
        self.add_button.clicked.connect(self.add_period)
        self.edit_button = QPushButton(_("Change…"))
        self.edit_button.clicked.connect(self.edit_period)
        self.remove_button = QPushButton(_("Remove"))
        self.remove_button.clicked.connect(self.remove_period)
        for button in (self.add_button, self.edit_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.region = QComboBox()
        self.region.addItem(_("(not set)"), "")
        for code, label in REGIONS.items():
            self.region.addItem(_(label), code)
        self.public = QCheckBox(_("Closed on public holidays"))
        self.region.activated.connect(lambda _i: self.save_settings())
        self.public.clicked.connect(lambda _c: self.save_settings())
        settings_row = QHBoxLayout()
        settings_row.addWidget(QLabel(_("Holiday region")))
        settings_row.addWidget(self.region)
        settings_row.addSpacing(16)
        settings_row.addWidget(self.public)
        settings_row.addStretch(1)
        left = QVBoxLayout()
        left.addWidget(intro)
        left.addLayout(settings_row)
        left.addWidget(self.table, 1)
        left.addLayout(buttons)
        row = QHBoxLayout()
        row.addLayout(left, 3)
        row.addWidget(self._holiday_box(), 2)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.hide()
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(row, 1)
        layout.addWidget(self.error)
        layout.addWidget(close)
        self.resize(860, 520)
        self.fill()

    def _holiday_box(self) -> QGroupBox:
        box = QGroupBox(_("Public holidays"))
        layout = QVBoxLayout(box)
        self.year = QComboBox()
        this = school_year_of(clock.today())
        for start in range(this - 1, this + 3):
            self.year.addItem(_("School year {first}–{last}").format(first=start, last=start + 1),
                              start)
        self.year.setCurrentIndex(1)
        self.year.currentIndexChanged.connect(lambda _i: self.fill_holidays())
        layout.addWidget(self.year)
        self.holidays = QListWidget()
        self.holidays.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.holidays.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout.addWidget(self.holidays, 1)
        note = QLabel(_("Good Friday and Liberation Day are not days off by law: add them "
                        "as free days when the school is closed."))
        note.setWordWrap(True)
        note.setStyleSheet("color: #666;")
        layout.addWidget(note)
        return box

    # -- showing -----------------------------------------------------------------------
    def fill(self) -> None:
        self.calendar = calendar.school_calendar()
        self.periods = list(self.calendar.periods)
        self.table.setRowCount(len(self.periods))
        for row, period in enumerate(self.periods):
            name = QTableWidgetItem(period.label or _("free day"))
            name.setData(DATA, row)
            self.table.setItem(row, 0, name)
            self.table.setItem(row, 1, QTableWidgetItem(format_date(period.first, "EEE d MMM y")))
            self.table.setItem(row, 2, QTableWidgetItem(format_date(period.last, "EEE d MMM y")))
        index = self.region.findData(self.calendar.region)
        self.region.setCurrentIndex(max(0, index))
        self.public.setChecked(self.calendar.public_holidays)
        self.fill_holidays()
        self._update_buttons()

    def fill_holidays(self) -> None:
        self.holidays.clear()
        start = self.year.currentData()
        for day, name in holidays_in_school_year(start):
            self.holidays.addItem(f"{format_date(day, 'EEE d MMM y')} — {_(name)}")
        self.holidays.setEnabled(self.public.isChecked())

    def _update_buttons(self) -> None:
        chosen = self.current_index() is not None
        self.edit_button.setEnabled(chosen)
        self.remove_button.setEnabled(chosen)

    def current_index(self) -> int | None:
        row = self.table.currentRow()
        return row if 0 <= row < len(self.periods) and self.table.selectedItems() else None

    # -- changing ----------------------------------------------------------------------
    def period_dialog(self, index: int | None = None) -> PeriodDialog:
        return PeriodDialog(self.actor, self.periods, index, self.calendar.region,
                            self.calendar.public_holidays, self)

    def _run(self, dialog: PeriodDialog) -> None:
        dialog.changed.connect(self._saved)
        dialog.exec()

    def add_period(self) -> None:
        self._run(self.period_dialog())

    def edit_period(self) -> None:
        index = self.current_index()
        if index is not None:
            self._run(self.period_dialog(index))

    def remove_period(self) -> None:
        index = self.current_index()
        if index is None:
            return
        period = self.periods[index]
        answer = QMessageBox.question(self, _("School calendar"), _(
            "Remove “{name}” ({first} to {last})?").format(
                name=period.label, first=format_date(period.first),
                last=format_date(period.last)))
        if answer == QMessageBox.StandardButton.Yes:
            self.save(self.periods[:index] + self.periods[index + 1:])

    def save_settings(self) -> None:
        self.save(self.periods)

    def save(self, periods: list[FreePeriod]) -> bool:
        if not ops.run(self, partial(calendar.save_calendar, self.actor, periods,
                                     self.region.currentData() or "", self.public.isChecked()),
                       changes=ops.Changes.of(ops.SETTINGS), show=self.show_error):
            self.fill()
            return False
        self._saved()
        return True

    def _saved(self) -> None:
        self.show_error("")
        self.fill()
        self.changed.emit()
