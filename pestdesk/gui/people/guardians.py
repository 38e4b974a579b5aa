"""Bestaande ouder/verzorger koppelen: link a guardian who is already in pestdesk (the parent
of a brother or sister) to this student, instead of typing them in a second time.

Type part of a name, a postcode, a street, a city or an e-mail address: the matches come
from SQL, at most ``staff.GUARDIAN_SEARCH_LIMIT`` of them, never the whole table, asked
200 ms after the last keystroke and off the GUI thread (``ops.Latest``: typing goes on while
a shared file is slow, and an older search that answers late never replaces a newer one); each shows
the address and the children the user may see (others only counted) so the right person is
recognised. Then set what the link means for *this* student — relation, parental authority
(gezag), whether they receive letters, information granted — and save through
``services.staff.link_guardian``. Refusals are shown in the dialog, nothing is half-saved.
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pestdesk.gui.common import ops
from pestdesk.gui.common.limits import exempt, limit
from pestdesk.gui.common.widgets import ShowsErrors, error_label
from pestdesk.i18n import _, ngettext
from pestdesk.services import staff as staff_service
from pestdesk.services.base import Actor

ID_ROLE = Qt.ItemDataRole.UserRole


class GuardianLinkDialog(ShowsErrors, QDialog):
    """Find a guardian by typing and link them to ``student_id``; ``saved(guardian_id)``."""

    saved = Signal(int)

    def __init__(self, actor: Actor, student_id: int, student_name: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.actor, self.student_id = actor, student_id
        self.matches: list[staff_service.GuardianMatch] = []
        self.setWindowTitle(_("Link existing guardian"))
        layout = QVBoxLayout(self)
        intro = QLabel(_(
            "Link a parent or carer who is already in pestdesk, for example the parent of a "
            "brother or sister, to {name}. Their address stays one record for every child."
        ).format(name=student_name or _("this student")))
        intro.setWordWrap(True)
        intro.setStyleSheet("color: #444;")
        layout.addWidget(intro)
        self.search = exempt(QLineEdit(), "searches the guardians")
        self.search.setPlaceholderText(_("Type a name, postcode, street or e-mail address…"))
        self.search.setClearButtonEnabled(True)
        layout.addWidget(self.search)
        self._timer = QTimer(self, singleShot=True, interval=200)
        self._timer.timeout.connect(self.find)
        self._choose_first_when_found = False
        self.search.textChanged.connect(lambda _t: self._timer.start())
        self.search.returnPressed.connect(self._choose_first)
        self.results = QTableWidget(0, 3)
        self.results.setHorizontalHeaderLabels([_("Name"), _("Address"), _("Children")])
        self.results.verticalHeader().hide()
        self.results.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.results.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.results.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.results.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.results.setMinimumHeight(170)
        self.results.itemSelectionChanged.connect(self._selection_changed)
        layout.addWidget(self.results, 1)
        self.count = QLabel()
        self.count.setStyleSheet("color: #666;")
        layout.addWidget(self.count)
        layout.addLayout(self._link_form())
        self.error = error_label(hidden=True)
        layout.addWidget(self.error)
        self.searcher = ops.Latest(self, show=self.show_error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText(_("&Link"))
        self.save_button.setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        for first, second in ((self.search, self.results), (self.results, self.relation),
                              (self.relation, self.has_authority),
                              (self.has_authority, self.receives_mail),
                              (self.receives_mail, self.info_granted),
                              (self.info_granted, self.buttons)):
            QWidget.setTabOrder(first, second)
        self.resize(720, 520)
        self.search.setFocus()

    def _link_form(self) -> QFormLayout:
        form = QFormLayout()
        self.relation = QComboBox()
        self.relation.setEditable(True)
        limit(self.relation.lineEdit(), "student_guardian", "relation")
        self.relation.addItems([""] + list(staff_service.RELATIONS))
        self.relation.setMinimumWidth(200)
        form.addRow(_("Relation to the student"), self.relation)
        self.has_authority = QCheckBox(_("Has parental authority (gezag)"))
        self.has_authority.setChecked(True)
        self.receives_mail = QCheckBox(_("Receives letters"))
        self.receives_mail.setChecked(True)
        self.info_granted = QCheckBox(_("Information granted (parent without authority)"))
        for check in (self.has_authority, self.receives_mail, self.info_granted):
            form.addRow("", check)
        return form

    # -- finding -----------------------------------------------------------------------
    def find(self) -> None:
        """Search for what is typed now (also called by the typing timer), off the GUI
        thread; the answer fills the list unless a newer search was asked meanwhile."""
        self._timer.stop()
        self.show_error("")
        self.searcher.submit(partial(staff_service.search_guardians, self.actor,
                                     self.search.text(), exclude_student=self.student_id),
                             self._found)

    def _found(self, matches: list[staff_service.GuardianMatch]) -> None:
        self.matches = matches
        self._fill(matches)
        if self._choose_first_when_found:
            self._choose_first_when_found = False
            if matches:
                self.results.selectRow(0)
                self.relation.setFocus()

    def _fill(self, matches: list[staff_service.GuardianMatch]) -> None:
        self.results.setRowCount(len(matches))
        for row, match in enumerate(matches):
            children = ", ".join(match.children)
            if match.other_children:
                others = ngettext("{n} other child", "{n} other children",
                                  match.other_children).format(n=match.other_children)
                children = ", ".join(p for p in (children, others) if p)
            for column, text in enumerate((match.name, match.address, children)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                item.setData(ID_ROLE, match.id)
                self.results.setItem(row, column, item)
        typed = len(self.search.text().replace(" ", ""))
        if typed < 2:
            self.count.setText(_("Type at least two characters."))
        elif not matches:
            self.count.setText(_("No guardian found (those already linked are left out)."))
        elif len(matches) >= staff_service.GUARDIAN_SEARCH_LIMIT:
            self.count.setText(_("The first {n} matches; type more to narrow down.").format(
                n=len(matches)))
        else:
            self.count.setText(ngettext("{n} match", "{n} matches", len(matches)).format(
                n=len(matches)))
        if len(matches) == 1:
            self.results.selectRow(0)
        self._selection_changed()

    def _choose_first(self) -> None:
        """Enter in the search field: search now and choose the first match it finds."""
        self._choose_first_when_found = True
        self.find()

    def _selection_changed(self) -> None:
        self.save_button.setEnabled(self.guardian_id() is not None)

    def guardian_id(self) -> int | None:
        rows = self.results.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.results.item(rows[0].row(), 0)
        return int(item.data(ID_ROLE)) if item is not None else None

    # -- saving ------------------------------------------------------------------------
    def accept(self) -> None:
        guardian_id = self.guardian_id()
        if guardian_id is None:
            self.show_error(_("Choose a guardian in the list first."))
            self.search.setFocus()
            return
        if not ops.run(self, partial(staff_service.link_guardian, self.actor, self.student_id,
                                     guardian_id, self.relation.currentText(),
                                     has_authority=self.has_authority.isChecked(),
                                     receives_mail=self.receives_mail.isChecked(),
                                     info_granted=self.info_granted.isChecked()),
                       changes=ops.Changes.of(ops.PEOPLE), show=self.show_error):
            return
        self.saved.emit(guardian_id)
        super().accept()

