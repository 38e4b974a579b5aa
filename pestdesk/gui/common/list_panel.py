"""A list section: a filter bar over a table backed by a SQL ``ListQuery``."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from pestdesk.gui.common.limits import exempt
from pestdesk.gui.common.models import ListModel
from pestdesk.i18n import _, format_number
from pestdesk.services.lists import ListQuery


def compact_combo(combo: QComboBox, chars: int = 14) -> QComboBox:
    """Let a filter combo shrink to about ``chars`` characters (long choices such as protocol
    stage names are elided) while its drop-down list stays wide enough to read them all.
    Keeps filter bars within a 1366 px wide screen."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(chars)
    view = combo.view()
    view.setMinimumWidth(view.sizeHintForColumn(0) + 24)
    return combo


class ListPanel(QWidget):
    """Title, search box, extra filters, a count and the table. Emits ``opened(id)``."""

    opened = Signal(int)

    def __init__(self, title: str, query: ListQuery, count_text: str | Callable[[int], str],
                 formatters=None, parent: QWidget | None = None):
        """``count_text``: '{n} ...', or a function of the count giving it (ngettext)."""
        super().__init__(parent)
        self.count_text = count_text
        layout = QVBoxLayout(self)
        header = QLabel(title)
        header.setObjectName("sectionTitle")
        layout.addWidget(header)
        self.filter_bar = QHBoxLayout()
        self.search = exempt(QLineEdit(), "searches the list")
        self.search.setPlaceholderText(_("Search…"))
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(260)
        self.filter_bar.addWidget(self.search)
        layout.addLayout(self.filter_bar)
        self.table = QTableView()
        self.model = ListModel(query, self, formatters)
        self.table.setModel(self.model)
        # show the query's own order in the header (enabling sorting re-sorts by it)
        keys = [column.key for column in query.columns]
        if query.order_key in keys:
            order = (Qt.SortOrder.DescendingOrder if query.descending
                     else Qt.SortOrder.AscendingOrder)
            self.table.horizontalHeader().setSortIndicator(keys.index(query.order_key), order)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.doubleClicked.connect(self._open_index)
        layout.addWidget(self.table, 1)
        self.count_label = QLabel()
        self.count_label.setObjectName("countLabel")
        layout.addWidget(self.count_label)
        # filter as you type, but run the query once typing pauses briefly
        self._debounce = QTimer(self, singleShot=True, interval=120)
        self._debounce.timeout.connect(self.apply_search)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.search.returnPressed.connect(self.apply_search)
        self.update_count()

    def add_filter(self, widget: QWidget) -> None:
        self.filter_bar.addWidget(widget)

    def finish_filters(self) -> None:
        self.filter_bar.addStretch(1)

    def apply_search(self) -> None:
        self.set_filters(text=self.search.text())

    def set_filters(self, **filters) -> None:
        self.model.set_filters(**filters)
        self.update_count()

    def update_count(self) -> None:
        total = self.model.total()
        text = self.count_text(total) if callable(self.count_text) else self.count_text
        self.count_label.setText(text.format(n=format_number(total)))

    def size_columns(self, widths: list[int]) -> None:
        for i, w in enumerate(widths):
            self.table.setColumnWidth(i, w)

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def _open_index(self, index) -> None:
        record = self.model.record_id(index.row())
        if record is not None:
            self.opened.emit(record)

    def refresh(self) -> None:
        self.model.reload()
        self.update_count()
