"""The list of letter templates beside a template editor, with its unsaved-changes guard:
shared by the text form (``template_form``) and the beheerder's raw-file editor
(``dialogs.TemplateEditor``)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QMessageBox

from pestdesk.i18n import _

DATA = Qt.ItemDataRole.UserRole


class TemplateList:
    """Mixed into a template editor (a QWidget) that sets ``self.list`` (a QListWidget) and
    ``self._dirty`` and gives ``_choices()`` ((code, title, is_school) rows),
    ``_item_text(code, title, is_school)``, ``_loaded()`` ((code, name) of the template
    shown, or None) and ``load(code)``."""

    list: QListWidget
    _dirty: bool

    def _fill_list(self, select: str | None = None) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for code, title, is_school in self._choices():
            item = QListWidgetItem(self._item_text(code, title, is_school))
            item.setData(DATA, code)
            if is_school:
                font = QFont(item.font())
                font.setBold(True)
                item.setFont(font)
            self.list.addItem(item)
            if code == select:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)

    def current_code(self) -> str:
        item = self.list.currentItem()
        return item.data(DATA) if item else ""

    def _template_chosen(self, _row: int) -> None:
        code, loaded = self.current_code(), self._loaded()
        if loaded is not None and self._dirty and code != loaded[0]:
            answer = QMessageBox.question(
                self, _("Letter templates"),
                _("Discard your unsaved changes to “{title}”?").format(title=loaded[1]))
            if answer != QMessageBox.StandardButton.Yes:
                self._fill_list(select=loaded[0])
                return
        self.load(code)
