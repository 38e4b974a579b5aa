"""A Qt table model over a case's timeline (``services.cases.timeline_entries``), paged.

Newest first; filtering by kind and by text runs a new SQL query; rows arrive a page at a
time as the view scrolls (``canFetchMore``/``fetchMore``), so a case with hundreds of
entries opens as fast as one with ten. Need-to-know applies: the query is built for the
signed-in actor (a vertrouwenspersoon's confidential notes only for their author).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from pestdesk.gui.common.colors import AMBER, RED
from pestdesk.i18n import N_, _, format_date
from pestdesk.services import cases
from pestdesk.services.base import Actor

PAGE = 100
NO_PARENT = QModelIndex()
ID_ROLE = Qt.ItemDataRole.UserRole + 1
KIND_ROLE = Qt.ItemDataRole.UserRole + 2
COLUMNS = (N_("Date"), N_("Kind"), N_("What"), N_("Student"), N_("Details"))
#: extra kinds written by other services (letters, contracts, sanctions, meetings)
OTHER_KINDS = {"letter": N_("Letter"), "contract": N_("Contract"), "sanction": N_("Sanction"),
               "meeting": N_("Meeting"), "action": N_("Action"),
               "action_done": N_("Action done"), "contract_signed": N_("Contract signed"),
               "hearing": N_("Hearing"), "consultation": N_("Consultation"),
               "expulsion_step": N_("Expulsion step"),
               "inspectie_melding": N_("Inspectorate notification")}
KIND_COLORS = {"escalate": RED, "deescalate": AMBER, "close": "#555555",
               "reopen": "#1f5fa8", "conversation": "#12355b", "report": "#12355b",
               "contract_broken": RED}


def kind_label(kind: str) -> str:
    label = cases.EVENT_KINDS.get(kind) or OTHER_KINDS.get(kind)
    return _(label) if label else kind


class TimelineModel(QAbstractTableModel):
    """The timeline of one case, page by page; ``set_filter(kinds, text)``."""

    def __init__(self, actor: Actor, case_id: int, parent=None, *, load: bool = True) -> None:
        super().__init__(parent)
        self.actor, self.case_id = actor, case_id
        self.kinds: tuple[str, ...] = ()
        self.text = ""
        #: {student id: name} of the case's students, for entries about several students
        #: (a conversation keeps their ids in its data); set by the case screen
        self.names: dict[int, str] = {}
        self._rows: list[cases.TimelineEntry] = []
        self._total = 0
        if load:  # else the owner reads the first page elsewhere (``first_page``) and ``show``s it
            self.reload()

    # -- data source -------------------------------------------------------------------
    def set_filter(self, kinds: Iterable[str] = (), text: str = "") -> None:
        self.kinds, self.text = tuple(kinds), text.strip()
        self.reload()

    @staticmethod
    def first_page(actor: Actor, case_id: int, kinds: tuple[str, ...] = (),
                   text: str = "") -> tuple[list[cases.TimelineEntry], int]:
        """The first page of rows and the total: database reads only, no Qt (an op may run
        it on its worker thread)."""
        rows = cases.timeline_entries(case_id, kinds, text, actor=actor, limit=PAGE)
        total = len(rows) if len(rows) < PAGE else cases.timeline_count(case_id, kinds, text,
                                                                        actor=actor)
        return rows, total

    def reload(self) -> None:
        self.show(*self.first_page(self.actor, self.case_id, self.kinds, self.text))

    def show(self, rows: list[cases.TimelineEntry], total: int) -> None:
        """Show a first page read by ``first_page`` (with this model's filter)."""
        self.beginResetModel()
        self._rows, self._total = rows, total
        self.endResetModel()

    def total(self) -> int:
        return self._total

    def row(self, row: int) -> cases.TimelineEntry | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    # -- Qt ----------------------------------------------------------------------------
    def rowCount(self, parent=NO_PARENT):  # noqa: N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=NO_PARENT):  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def canFetchMore(self, parent=NO_PARENT):  # noqa: N802
        return not parent.isValid() and len(self._rows) < self._total

    def fetchMore(self, parent=NO_PARENT):  # noqa: N802
        if parent.isValid():
            return
        more = cases.timeline_entries(self.case_id, self.kinds, self.text, actor=self.actor,
                                      offset=len(self._rows), limit=PAGE)
        if not more:
            self._total = len(self._rows)
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(more) - 1)
        self._rows.extend(more)
        self.endInsertRows()

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _(COLUMNS[section])
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == Qt.ItemDataRole.ToolTipRole and column in (2, 4) and row.body:
            return row.body
        if role == Qt.ItemDataRole.ForegroundRole and column == 1:
            color = KIND_COLORS.get(row.kind)
            return QBrush(QColor(color)) if color else None
        if role == ID_ROLE:
            return row.id
        if role == KIND_ROLE:
            return row.kind
        return None

    def students_of(self, row: cases.TimelineEntry) -> str:
        """The student an entry is about, or the students a conversation was with."""
        if row.student_name:
            return row.student_name
        try:
            data = json.loads(row.data or "{}")
        except ValueError:
            return ""
        ids = data.get("students") if isinstance(data, dict) else None
        return ", ".join(self.names[i] for i in ids or () if i in self.names)

    def _display(self, row: cases.TimelineEntry, column: int) -> str:
        if column == 0:
            return format_date(row.occurred_on, "medium")
        if column == 1:
            text = kind_label(row.kind)
            return f"{text} 🔒" if row.confidential else text
        if column == 2:
            return row.title
        if column == 3:
            return self.students_of(row)
        body = " ".join(row.body.split())
        return body if len(body) <= 160 else body[:159] + "…"
