"""Brieven: the archive of issued letters with a preview, reprint and save; new letters,
templates and the envelope window from here."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from pestdesk.gui.common.list_panel import ListPanel
from pestdesk.gui.common.pdf_preview import PdfPreview, print_pdfs, save_pdf
from pestdesk.gui.letters.dialogs import ComposeDialog, WindowSettingsDialog
from pestdesk.i18n import _, format_datetime, ngettext
from pestdesk.services import letters, lists
from pestdesk.services.base import Actor, ServiceError


class LettersView(QWidget):
    """The letter archive (searchable by case number or letter) beside a preview."""

    open_case = Signal(int)

    def __init__(self, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.actor = actor
        self._titles = {code: title for code, title, _s in letters.template_choices()}
        query = lists.LetterList(order_key="created_at", descending=True, actor=actor,
                                 filters={"template_codes": self._title_words()})
        self.panel = ListPanel(_("Letters"), query,
                               lambda n: ngettext("{n} letter", "{n} letters", n),
                               formatters={"template": self.template_title})
        self.panel.search.setPlaceholderText(_("Search by case number or letter…"))
        self.new_button = QPushButton(_("New letter…"))
        self.new_button.setShortcut("Ctrl+Shift+B")
        self.new_button.clicked.connect(lambda: self.new_letter())
        self.templates_button = QPushButton(_("Templates…"))
        self.templates_button.clicked.connect(self.edit_templates)
        self.window_button = QPushButton(_("Envelope window…"))
        self.window_button.clicked.connect(self.edit_window)
        for button in (self.new_button, self.templates_button, self.window_button):
            self.panel.add_filter(button)
        self.panel.finish_filters()
        self.panel.size_columns([140, 100, 230, 200])
        self.panel.table.selectionModel().currentRowChanged.connect(
            lambda cur, _prev: self.show_letter(self.panel.model.record_id(cur.row())))
        self.panel.opened.connect(self._open_case_of)

        self.preview = PdfPreview()
        self.info = QLabel()
        self.info.setWordWrap(True)
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reprint_button = QPushButton(_("Reprint…"))
        self.reprint_button.clicked.connect(self.reprint)
        self.save_button = QPushButton(_("Save as PDF…"))
        self.save_button.clicked.connect(self.save)
        actions = QHBoxLayout()
        actions.addWidget(self.reprint_button)
        actions.addWidget(self.save_button)
        actions.addStretch(1)
        right = QWidget()
        col = QVBoxLayout(right)
        col.setContentsMargins(0, 40, 0, 0)
        col.addWidget(self.info)
        col.addLayout(actions)
        col.addWidget(self.preview, 1)

        splitter = QSplitter()
        splitter.addWidget(self.panel)
        splitter.addWidget(right)
        splitter.setSizes([520, 680])  # a readable letter beside the archive list
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self.letter_id: int | None = None
        self.show_letter(None)

    # -- list ----------------------------------------------------------------------------
    def template_title(self, code: object) -> str:
        return self._titles.get(str(code), str(code))

    def _title_words(self) -> dict[str, list[str]]:
        """Each lower-case word of a letter title -> the codes whose title has it, so a
        search for "schorsing" or "uitnodiging" finds letters by title too."""
        words: dict[str, list[str]] = {}
        for code, title in self._titles.items():
            for word in title.lower().split():
                words.setdefault(word, []).append(code)
        return words

    def focus_search(self) -> None:
        self.panel.focus_search()

    def refresh(self) -> None:
        self._titles = {code: title for code, title, _s in letters.template_choices()}
        self.panel.set_filters(template_codes=self._title_words())
        self.show_letter(self.letter_id)

    def select_letter(self, letter_id: int) -> None:
        for row in range(self.panel.model.rowCount()):
            if self.panel.model.record_id(row) == letter_id:
                self.panel.table.selectRow(row)
                return

    def _open_case_of(self, letter_id: int) -> None:
        try:
            info = letters.letter_info(letter_id, self.actor)
        except ServiceError:
            return
        if info.case_id:
            self.open_case.emit(info.case_id)

    # -- the selected letter ---------------------------------------------------------------
    def show_letter(self, letter_id: int | None) -> None:
        self.letter_id = letter_id
        self.reprint_button.setEnabled(False)
        self.save_button.setEnabled(False)
        if letter_id is None:
            self.info.setText("")
            self.preview.show_message(_("Choose a letter in the list to see it here."))
            return
        try:
            info = letters.letter_info(letter_id, self.actor)
            if not info.has_pdf:
                self.preview.show_message(_("No PDF was stored with this letter."))
                self.info.setText(self._describe(info))
                return
            pdf = letters.letter_pdf(self.actor, letter_id, "view")
        except ServiceError as exc:
            self.info.setText("")
            self.preview.show_message(str(exc))
            return
        self.info.setText(self._describe(info))
        if self.preview.load_pdf(pdf):
            self.reprint_button.setEnabled(True)
            self.save_button.setEnabled(True)

    def _describe(self, info: letters.ArchivedLetter) -> str:
        return _("{title} · case {case} · to {recipient}\nIssued {when} · template version "
                 "{version} · SHA-256 {sha}…").format(
            title=self.template_title(info.template_code), case=info.case_number or "—",
            recipient=info.recipient or "—", when=format_datetime(info.created_at, "short"),
            version=info.template_version or "—", sha=info.sha256[:12] or "—")

    def reprint(self) -> None:
        if self.letter_id is None:
            return
        try:
            # the stored bytes, checked against their SHA-256: exactly as sent
            pdf = letters.letter_pdf(self.actor, self.letter_id, "view")
        except ServiceError as exc:
            QMessageBox.warning(self, _("Reprint"), str(exc))
            return
        if print_pdfs(self, [pdf], self.template_title(letters.letter_info(
                self.letter_id, self.actor).template_code)):
            letters.record_output(self.actor, [self.letter_id], "print")

    def save(self) -> None:
        if self.letter_id is None:
            return
        try:
            info = letters.letter_info(self.letter_id, self.actor)
            pdf = letters.letter_pdf(self.actor, self.letter_id, "view")
        except ServiceError as exc:
            QMessageBox.warning(self, _("Save as PDF"), str(exc))
            return
        name = f"{info.case_number or 'brief'}-{info.template_code}-{info.letter_id}.pdf"
        if save_pdf(self, pdf, name) is not None:
            letters.record_output(self.actor, [self.letter_id], "export")

    # -- dialogs --------------------------------------------------------------------------
    def new_letter(self, case_id: int | None = None) -> None:
        dialog = ComposeDialog(self.actor, self, case_id=case_id)
        dialog.issued.connect(self._after_issue)
        dialog.exec()

    def _after_issue(self, ids: list) -> None:
        self.panel.refresh()
        if ids:
            self.select_letter(ids[0])

    def edit_templates(self) -> None:
        from pestdesk.gui.letters.template_form import TemplateFormDialog

        TemplateFormDialog(self.actor, self).exec()
        self.refresh()

    def edit_window(self) -> None:
        WindowSettingsDialog(self.actor, self).exec()
