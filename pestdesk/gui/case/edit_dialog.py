"""Gegevens wijzigen: change a saved melding's (or signal's) own details afterwards.

The case window's header opens this dialog. It shows the report's fields with the same
``ReportForm`` the "Nieuwe melding" dialog uses (date, who reported and how, summary, what
happened, where, since when, how often, scope, the forms of bullying including the cyber
forms), filled from the case as it was read, and saves only the fields the user changed
through ``cases.update_case`` with the version read. A refusal comes back as a Dutch message
under the form and nothing is saved; when someone else saved the case in between,
``gui.common.conflict``'s dialog compares the values and, on reload, puts back only this user's
own edits. ``changed`` tells the case window to reload: the cyber track and checklist
follow the new forms there.

A user who may read the case but not change it (a zorgteam member), or a closed case, gets
the same form read-only. A case the user may not see at all cannot be opened
(``access.NotFound``, as if it did not exist).
"""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from pestdesk.gui.case.report import ReportForm
from pestdesk.gui.common import ops
from pestdesk.gui.common.conflict import ConflictDialog, reapply
from pestdesk.gui.common.dialogs import error_text
from pestdesk.gui.common.widgets import ShowsErrors, error_label
from pestdesk.i18n import _
from pestdesk.services import access, cases
from pestdesk.services.base import Actor, Conflict, ServiceError
from pestdesk.store.errors import StoreError


def _comparable(value: object) -> object:
    """Values as the form and the case detail both give them (lists as tuples, text
    without the spaces the service strips anyway)."""
    if isinstance(value, list | tuple):
        return tuple(value)
    if isinstance(value, str):
        return value.strip()
    return value


class CaseEditDialog(ShowsErrors, QDialog):
    """The report's details of one case, editable when the actor may change the case.

    ``changed`` is emitted after a save (and after a conflict reload, which also shows
    a colleague's newer values); ``saved_case`` then holds the stored case.
    """

    changed = Signal()

    def __init__(self, actor: Actor, case_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.actor, self.case_id = actor, case_id
        detail = cases.case_detail(case_id, actor=actor)  # NotFound when hidden
        self.saved_case = None
        self.editable = (access.can_edit_case(actor, case_id)
                         and not detail.closed)
        title = (_("Details of signal {number}") if detail.is_signal
                 else _("Details of case {number}"))
        self.setWindowTitle(title.format(number=detail.number))
        layout = QVBoxLayout(self)
        self.intro = QLabel(self._intro_text(detail))
        self.intro.setWordWrap(True)
        self.intro.setStyleSheet("color: #444;")
        layout.addWidget(self.intro)
        self.form = ReportForm(signal=detail.is_signal, with_owner=False)
        if self.form.right is not None:
            self.form.right.addStretch(1)
        layout.addWidget(self.form, 1)
        self.error = error_label(hidden=True)
        layout.addWidget(self.error)
        if self.editable:
            self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                            | QDialogButtonBox.StandardButton.Cancel)
            self.buttons.button(QDialogButtonBox.StandardButton.Save).setText(
                _("Save changes"))
            self.buttons.accepted.connect(self.accept)
        else:
            self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
            self.form.set_read_only(True)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        chain = [*self.form.tab_chain(), self.buttons]
        for first, second in zip(chain, chain[1:], strict=False):
            QWidget.setTabOrder(first, second)
        self.load(detail)
        self.resize(640, 520) if detail.is_signal else self.resize(1040, 600)
        self.form.summary.setFocus()

    def _intro_text(self, detail: cases.CaseDetail) -> str:
        if detail.closed:
            return _("The case is closed: reopen it to change its details.")
        if not self.editable:
            return _("You may read these details but not change them.")
        return _("Change what was recorded about the report. The students and their roles "
                 "are changed in the case window itself.")

    # -- reading -----------------------------------------------------------------------
    def load(self, detail: cases.CaseDetail) -> None:
        """Show the case as read and remember it (and its version) for saving."""
        self.version = detail.version
        self.original = {key: _comparable(getattr(detail, key)) for key in self.form.fields()}
        self.form.set_values(self.original)

    def changes(self) -> dict:
        """Only the fields the user changed, as ``cases.update_case`` takes them."""
        values = self.form.values()
        return {key: value for key, value in values.items()
                if _comparable(value) != self.original.get(key)}

    # -- saving ------------------------------------------------------------------------
    def accept(self) -> None:
        if not self.editable:
            self.reject()
            return
        mine = self.changes()
        if not mine:  # nothing changed: nothing to save, no audit line
            super().accept()
            return
        def refused(exc: BaseException) -> bool:
            if isinstance(exc, Conflict):  # compare with a fresh read, field by field
                self.resolve_conflict(mine)
                return True
            if isinstance(exc, cases.ValidationError):
                self.show_error(error_text(exc))
                self._focus_problem(exc.problems)
                return True
            return False

        op = ops.Op(self, partial(cases.update_case, self.actor, self.case_id, self.version,
                                  **mine),
                    changes=ops.Changes.case(self.case_id, ops.CASE, ops.LADDER,
                                             ops.TIMELINE))
        if not op.errors_to(self.show_error).failure(refused).run():
            return
        self.saved_case = op.result
        self.changed.emit()
        super().accept()

    def resolve_conflict(self, mine: dict) -> None:
        """Someone else saved first: compare, and on reload put back only my own edits."""
        try:
            fresh = cases.case_detail(self.case_id, actor=self.actor)
        except ServiceError as exc:  # deleted, or no longer visible
            self.show_error(error_text(exc))
            return
        stored = {key: _comparable(getattr(fresh, key)) for key in self.form.fields()}
        show = ReportForm.display
        conflict = Conflict("case", self.case_id, show(stored))
        choice = ConflictDialog.ask(self, conflict, show(mine), show(self.original),
                                    self.form.labels())
        if not choice.reload:
            self.show_error(str(conflict))
            return
        self.load(fresh)
        if choice.reapply:
            self.form.set_values(reapply(stored, mine))
        self.show_error("")
        self.changed.emit()  # the case window shows the colleague's version afterwards

    def _focus_problem(self, problems: dict[str, str]) -> None:
        for key in problems:
            widget = self.form.widget_for(key)
            if widget is not None:
                widget.setFocus()
                return


def edit_details(actor: Actor, case_id: int, parent: QWidget | None = None
                 ) -> CaseEditDialog | None:
    """The dialog for ``case_id``, or None (with the reason shown) when it cannot open."""
    try:
        return CaseEditDialog(actor, case_id, parent)
    except (ServiceError, StoreError) as exc:
        QMessageBox.warning(parent, _("Case details"), error_text(exc))
        return None
