"""Briefsjablonen for the care coordinator: a letter's texts in a form, not its raw file.

One text box per part (title, subject, salutation, each paragraph of the body, closing), the
merge fields as buttons that insert ``{{ field }}`` where the cursor is, and a live preview
with sample data. Saving goes through ``services.letters.save_template_texts``: a mistake
(an unknown field, a condition left open) is named with the box it is in and nothing is
stored. The raw file (with its conditions and loops) stays the beheerder's
(``letters.can_edit_template_source``): only they see the button that opens it.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from pestdesk.gui.common import ops
from pestdesk.gui.common.flow_layout import FlowLayout
from pestdesk.gui.common.limits import limit
from pestdesk.gui.common.pdf_preview import PdfPreview
from pestdesk.gui.letters.template_list import DATA, TemplateList
from pestdesk.i18n import _
from pestdesk.services import letters
from pestdesk.services.base import Actor, ServiceError

LANG = "nl"  # the form edits the Dutch letter; the raw file holds the other languages


class _Block(QPlainTextEdit):
    """A text box that grows with its text (a paragraph, up to a dozen lines)."""

    def __init__(self, text: str = "") -> None:
        super().__init__(text)
        limit(self, "setting", "value")  # the texts are stored in the template setting
        self.setTabChangesFocus(True)
        self.document().contentsChanged.connect(self._fit)
        self._fit()

    def _fit(self) -> None:
        text = self.toPlainText()
        lines = sum(1 + len(line) // 80 for line in text.split("\n"))
        lines = max(2, min(12, lines + 1))
        self.setFixedHeight(self.fontMetrics().lineSpacing() * lines + 12)


class TemplateFormDialog(TemplateList, QDialog):
    """Edit the school's version of a letter's texts, with merge-field buttons and a live
    preview."""

    saved = Signal(str)  # template code

    def __init__(self, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.actor = actor
        self.setWindowTitle(_("Letter templates"))
        self.texts: letters.TemplateTexts | None = None
        self._dirty = False
        self._loading = False
        self.block_edits: list[_Block] = []
        self._last_box: QLineEdit | QPlainTextEdit | None = None
        self.may_edit = letters.can_edit_templates(actor)

        self.list = QListWidget()
        self.list.setMaximumWidth(260)

        self.form_host = QWidget()
        self.form = QFormLayout(self.form_host)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form_host)
        self.add_block_button = QPushButton(_("Add a paragraph"))
        self.add_block_button.clicked.connect(lambda: self._add_block("", focus=True))
        self.add_block_button.setEnabled(False)

        fields_box = QGroupBox(_("Insert a merge field at the cursor"))
        self.fields_layout = FlowLayout(fields_box, spacing=4, line_spacing=4)
        self.field_buttons: dict[str, QPushButton] = {}
        for name, label in letters.insertable_fields():
            short = label.split(" (")[0].split(", ")[0]
            button = QPushButton(short)
            button.setToolTip(f"{label}\n{{{{ {name} }}}}")
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the text box keeps focus
            button.clicked.connect(lambda _c=False, n=name: self.insert_field(n))
            self.fields_layout.addWidget(button)
            self.field_buttons[name] = button
        fields_scroll = QScrollArea()
        fields_scroll.setWidgetResizable(True)
        fields_scroll.setWidget(fields_box)
        fields_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        fields_scroll.setMaximumHeight(170)

        self.status = QLabel()
        self.status.setWordWrap(True)
        self.preview = PdfPreview()
        self._debounce = QTimer(self, singleShot=True, interval=400)
        self._debounce.timeout.connect(self.refresh_preview)

        middle = QWidget()
        col = QVBoxLayout(middle)
        col.setContentsMargins(0, 0, 0, 0)
        col.addWidget(fields_scroll)
        col.addWidget(scroll, 1)
        col.addWidget(self.add_block_button)
        col.addWidget(self.status)
        splitter = QSplitter()
        splitter.addWidget(self.list)
        splitter.addWidget(middle)
        splitter.addWidget(self.preview)
        splitter.setSizes([220, 620, 460])

        self.buttons = QDialogButtonBox()
        self.save_button = self.buttons.addButton(
            _("Save school version"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.restore_button = self.buttons.addButton(
            _("Restore shipped version"), QDialogButtonBox.ButtonRole.ResetRole)
        self.source_button = self.buttons.addButton(
            _("Edit source file…"), QDialogButtonBox.ButtonRole.ActionRole)
        self.source_button.setToolTip(_("The template's file with its conditions and loops "
                                        "(for the administrator)."))
        self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.save_button.clicked.connect(self.save)
        self.restore_button.clicked.connect(self.restore)
        self.source_button.clicked.connect(self.open_source)
        self.buttons.rejected.connect(self.reject)
        self.source_button.setVisible(letters.can_edit_template_source(actor))
        if not self.may_edit:
            reason = _("You do not have the rights to do this.")
            for button in (self.save_button, self.restore_button, self.add_block_button):
                button.setEnabled(False)
                button.setToolTip(reason)

        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.buttons)
        self.resize(1300, 820)
        self._fill_list()
        self.list.currentRowChanged.connect(self._template_chosen)
        if self.list.count():
            self.list.setCurrentRow(0)

    # -- the list of templates (gui.letters.template_list) ---------------------------------
    def _choices(self):
        return letters.template_choices(LANG)

    def _item_text(self, code: str, title: str, is_school: bool) -> str:
        return title + ("\n" + _("school version") if is_school else "")

    def _loaded(self) -> tuple[str, str] | None:
        return None if self.texts is None else (self.texts.code, self.texts.title)

    # -- the form ---------------------------------------------------------------------------
    def load(self, code: str) -> None:
        try:
            self.texts = letters.template_texts(code, LANG)
        except (ServiceError, ValueError) as exc:
            self.texts = None
            self.status.setText(str(exc))
            return
        while self.form.rowCount():
            self.form.removeRow(0)
        self._last_box = None
        self._loading = True
        t = self.texts
        self.title_edit = self._line(t.title)
        self.subject_edit = self._line(t.subject)
        self.salutation_edit = self._line(t.salutation)
        self.salutation_edit.setPlaceholderText(_("Empty: the standard salutation"))
        self.form.addRow(_(letters.PART_LABELS["title"]), self.title_edit)
        self.form.addRow(_(letters.PART_LABELS["subject"]), self.subject_edit)
        self.form.addRow(_(letters.PART_LABELS["salutation"]), self.salutation_edit)
        self.block_edits: list[_Block] = []
        for block in t.blocks:
            self._add_block(block)
        self.closing_edit = self._line(t.closing)
        self.form.addRow(_(letters.PART_LABELS["closing"]), self.closing_edit)
        self._loading = False
        self._dirty = False
        self.add_block_button.setEnabled(self.may_edit)
        self.restore_button.setEnabled(t.is_school and self.may_edit)
        self.refresh_preview()

    def _line(self, text: str) -> QLineEdit:
        edit = limit(QLineEdit(text), "setting", "value")
        edit.setReadOnly(not self.may_edit)
        edit.textChanged.connect(self._changed)
        edit.installEventFilter(self)
        return edit

    def _add_block(self, text: str, focus: bool = False) -> _Block:
        box = _Block(text)
        box.setReadOnly(not self.may_edit)
        box.textChanged.connect(self._changed)
        box.installEventFilter(self)
        self.block_edits.append(box)
        row = self.form.rowCount() - (0 if self._loading else 1)  # before the closing
        label = _("{part} {number}").format(part=_(letters.PART_LABELS["body"]),
                                            number=len(self.block_edits))
        self.form.insertRow(row, label, box)
        if focus:
            box.setFocus()
            self._changed()
        return box

    def current_texts(self) -> letters.TemplateTexts | None:
        if self.texts is None:
            return None
        import dataclasses

        return dataclasses.replace(
            self.texts, title=self.title_edit.text(), subject=self.subject_edit.text(),
            salutation=self.salutation_edit.text(),
            blocks=tuple(b.toPlainText() for b in self.block_edits),
            closing=self.closing_edit.text())

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt's name
        """Remember the text box the user was last in: a field button inserts there."""
        if event.type() == QEvent.Type.FocusIn and isinstance(watched, QLineEdit
                                                              | QPlainTextEdit):
            self._last_box = watched
        return False

    def insert_field(self, name: str) -> None:
        """Put ``{{ name }}`` where the cursor is in the box last used (the first paragraph
        when none was)."""
        box = self._last_box or (self.block_edits[0] if self.block_edits else None)
        if box is None or box.isReadOnly():
            return
        text = "{{ " + name + " }}"
        if isinstance(box, QLineEdit):
            box.insert(text)
        else:
            cursor = box.textCursor()
            cursor.insertText(text)
            box.setTextCursor(cursor)
            box.moveCursor(QTextCursor.MoveOperation.NoMove)
        box.setFocus()

    def _changed(self) -> None:
        self._dirty = True
        self._debounce.start()

    def problems(self) -> list[str]:
        texts = self.current_texts()
        return letters.check_template_texts(texts) if texts else []

    def refresh_preview(self) -> None:
        problems = self.problems()
        if problems:
            self.status.setStyleSheet("color: #8a1c13;")
            self.status.setText("\n".join(problems[:6]))
            return
        self.status.setStyleSheet("color: #2e6b30;")
        self.status.setText(_("No mistakes found. The preview uses sample data."))
        texts = self.current_texts()
        if texts is None:
            return
        try:
            self.preview.load_pdf(letters.preview_template_texts(texts))
        except (ServiceError, ValueError) as exc:  # an address or layout problem
            self.preview.show_message(str(exc))

    # -- saving ------------------------------------------------------------------------------
    def save(self) -> bool:
        texts = self.current_texts()
        if texts is None:
            return False
        saved = ops.run(self, lambda: letters.save_template_texts(self.actor, texts),
                        changes=ops.Changes.of(ops.LETTERS, ops.SETTINGS),
                        title=_("Letter templates"))
        if not saved:
            self.refresh_preview()
            return False
        self._fill_list(select=texts.code)
        self.load(texts.code)
        self.status.setText(_("Saved. New letters use this version; letters already issued "
                              "stay exactly as they were sent."))
        self.saved.emit(texts.code)
        return True

    def restore(self) -> None:
        if self.texts is None:
            return
        answer = QMessageBox.question(
            self, _("Letter templates"),
            _("Delete the school's version of this letter and use the shipped text again?"))
        if answer != QMessageBox.StandardButton.Yes:
            return
        code = self.texts.code
        if not ops.run(self, lambda: letters.restore_shipped(self.actor, code),
                       changes=ops.Changes.of(ops.LETTERS, ops.SETTINGS),
                       title=_("Letter templates")):
            return
        self._fill_list(select=code)
        self.load(code)

    def open_source(self) -> None:
        """The raw file, for the beheerder only (the service refuses anyone else)."""
        if not letters.can_edit_template_source(self.actor):
            return
        from pestdesk.gui.letters.dialogs import TemplateEditorDialog

        code = self.current_code()
        editor = TemplateEditorDialog(self.actor, self)
        row = next((i for i in range(editor.list.count())
                    if editor.list.item(i).data(DATA) == code), None)
        if row is not None:
            editor.list.setCurrentRow(row)
        editor.exec()
        self._dirty = False
        self._fill_list(select=code)
        self.load(code)
