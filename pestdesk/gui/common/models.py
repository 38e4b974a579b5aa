"""Qt models over the service layer's SQL list queries.

``ListModel`` shows a ``services.lists.ListQuery`` page by page: it fetches a first batch,
then more as the view scrolls (``canFetchMore``/``fetchMore``); sorting and filtering run a
new SQL query rather than touching rows in Python. Rows are never all loaded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt

from pestdesk.i18n import _, format_date, format_datetime
from pestdesk.services.lists import ListQuery

BATCH = 200
ID_ROLE = Qt.ItemDataRole.UserRole + 1
_ROOT = QModelIndex()  # the invalid index: parent of every row


class ListModel(QAbstractTableModel):
    def __init__(self, query: ListQuery, parent=None,
                 formatters: dict[str, Callable[[object], str]] | None = None):
        super().__init__(parent)
        self._query = query
        self._rows: list[tuple] = []
        self._total = 0
        self._formatters = formatters or {}
        self.reload()

    # -- data source -----------------------------------------------------------------
    @property
    def query(self) -> ListQuery:
        return self._query

    def set_filters(self, **filters) -> None:
        self._query.filters.update(filters)
        self._query.filters = {k: v for k, v in self._query.filters.items() if v not in (None, "")}
        self.reload()

    def reload(self) -> None:
        self.beginResetModel()
        self._total = self._query.count()
        self._rows = self._query.page(0, BATCH)
        self.endResetModel()

    def total(self) -> int:
        return self._total

    def record_id(self, row: int) -> int | None:
        return self._rows[row][0] if 0 <= row < len(self._rows) else None

    # -- Qt ----------------------------------------------------------------------------
    def rowCount(self, parent=_ROOT):  # noqa: N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=_ROOT):  # noqa: N802
        return 0 if parent.isValid() else len(self._query.columns)

    def canFetchMore(self, parent=_ROOT):  # noqa: N802
        return not parent.isValid() and len(self._rows) < self._total

    def fetchMore(self, parent=_ROOT):  # noqa: N802
        if parent.isValid():
            return
        more = self._query.page(len(self._rows), BATCH)
        if not more:
            self._total = len(self._rows)
            return
        self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows) + len(more) - 1)
        self._rows.extend(more)
        self.endInsertRows()

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _(self._query.columns[section].label)
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        if role == ID_ROLE:
            return row[0]
        column = self._query.columns[index.column()]
        value = row[index.column() + 1]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.display(column, value)
        if role == Qt.ItemDataRole.TextAlignmentRole and column.kind == "number":
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def display(self, column, value) -> str:
        if value is None:
            return ""
        if column.kind == "date" and isinstance(value, dt.date):
            return format_date(value, "short")
        if column.kind == "datetime" and isinstance(value, dt.datetime):
            return format_datetime(value, "short")
        if column.kind == "bool":
            return _("yes") if value else ""
        if column.key in self._formatters:
            return self._formatters[column.key](value)
        return str(value)

    def sort(self, column, order=Qt.SortOrder.AscendingOrder):
        self._query.order_key = self._query.columns[column].key
        self._query.descending = order == Qt.SortOrder.DescendingOrder
        self.reload()
