"""Show, print and save PDF letters inside the app, without temporary files.

- :class:`PdfPreview`: a QtPdf view (``QPdfDocument`` read from an in-memory ``QBuffer``,
  shown by ``QPdfView``) with page count and zoom buttons.
- :func:`print_pdfs`: Qt's print dialog, then every page of every PDF rendered through
  ``QPdfDocument.render`` onto the printer's painter. Full-page mode keeps the address exactly
  where the envelope window expects it. "Print to file (PDF)" writes the letters' own PDFs
  (text and vectors, as archived; several joined with pypdf), not pictures of their pages.
- :func:`save_pdf`: a save dialog that writes the bytes as they are.

QtPdf comes in the ``PySide6-Pdf`` wheel (Qt 6.12 moved it out of ``PySide6-Addons``).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, QSize, Qt
from PySide6.QtGui import QPageLayout, QPageSize, QPainter
from PySide6.QtPdf import QPdfDocument, QPdfDocumentRenderOptions
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QStackedLayout,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from pestdesk.i18n import _, ngettext

#: Rendering resolution for printing: sharp text without giant images.
PRINT_DPI = 300


def load_document(document: QPdfDocument, data: bytes) -> QBuffer:
    """Load PDF bytes into ``document`` from memory; keep the returned buffer alive."""
    buffer = QBuffer(document)
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    document.load(buffer)
    return buffer


class PdfPreview(QWidget):
    """A PDF viewer: fit to width, all pages scrolling; a message instead when empty."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = QPdfDocument(self)
        self._buffer: QBuffer | None = None
        self.view = QPdfView(self)
        self.view.setDocument(self.document)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.view.setStyleSheet("background: #8a9099;")
        self.message = QLabel()
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #555; padding: 24px;")
        self.stack = QStackedLayout()
        self.stack.addWidget(self.message)
        self.stack.addWidget(self.view)
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        self.pages_label = QLabel()
        self.pages_label.setObjectName("countLabel")
        bar.addWidget(self.pages_label)
        bar.addStretch(1)
        for text, tip, slot in (
            ("−", _("Zoom out"), lambda: self._zoom(1 / 1.25)),
            ("+", _("Zoom in"), lambda: self._zoom(1.25)),
            ("↔", _("Fit to width"), self.fit_width),
        ):
            button = QToolButton()
            button.setText(text)
            button.setToolTip(tip)
            button.clicked.connect(slot)
            bar.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addLayout(self.stack, 1)
        self.show_message(_("No letter selected."))

    def load_pdf(self, data: bytes) -> bool:
        """Show ``data``; False (and a message) when it is no readable PDF."""
        self.document.close()
        self._buffer = load_document(self.document, data)
        if self.document.status() != QPdfDocument.Status.Ready or self.document.pageCount() < 1:
            self.show_message(_("This PDF cannot be shown."))
            return False
        self.stack.setCurrentWidget(self.view)
        n = self.document.pageCount()
        self.pages_label.setText(ngettext("{n} page", "{n} pages", n).format(n=n))
        return True

    def show_message(self, text: str) -> None:
        self.document.close()
        self.message.setText(text)
        self.pages_label.setText("")
        self.stack.setCurrentWidget(self.message)

    def page_count(self) -> int:
        return self.document.pageCount()

    def fit_width(self) -> None:
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)

    def _zoom(self, factor: float) -> None:
        current = self.view.zoomFactor()
        if self.view.zoomMode() != QPdfView.ZoomMode.Custom:
            page = self.document.pagePointSize(0)
            width = max(1.0, self.view.viewport().width() - 12)
            current = width / max(1.0, page.width() * self.logicalDpiX() / 72)
            self.view.setZoomMode(QPdfView.ZoomMode.Custom)
        self.view.setZoomFactor(min(4.0, max(0.25, current * factor)))


# --------------------------------------------------------------------------- printing


def make_printer() -> QPrinter:
    """An A4 printer in full-page mode, so PDF coordinates are paper coordinates."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    printer.setPageOrientation(QPageLayout.Orientation.Portrait)
    printer.setFullPage(True)
    return printer


def paint_pdfs(printer: QPrinter, pdfs: Iterable[bytes]) -> int:
    """Render every page of every PDF onto ``printer``; returns the number of pages."""
    painter = QPainter()
    if not painter.begin(printer):
        return 0
    pages = 0
    try:
        document = QPdfDocument()
        dpi = min(PRINT_DPI, printer.resolution())
        for data in pdfs:
            buffer = load_document(document, data)
            for page in range(document.pageCount()):
                if pages:
                    printer.newPage()
                size_pt = document.pagePointSize(page)
                size = QSize(round(size_pt.width() / 72 * dpi), round(size_pt.height() / 72 * dpi))
                image = document.render(page, size, QPdfDocumentRenderOptions())
                scale = printer.resolution() / 72
                target = QRectF(0, 0, size_pt.width() * scale, size_pt.height() * scale)
                painter.drawImage(target, image)
                pages += 1
            document.close()
            buffer.close()
    finally:
        painter.end()
    return pages


def prints_to_pdf_file(printer: QPrinter) -> bool:
    return (printer.outputFormat() == QPrinter.OutputFormat.PdfFormat
            and bool(printer.outputFileName()))


def write_pdf_file(printer: QPrinter, pdfs: list[bytes]) -> int:
    """The PDFs themselves into the printer's output file; returns the number of pages."""
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for data in pdfs:
        writer.append(PdfReader(io.BytesIO(data)))
    if len(pdfs) == 1:
        Path(printer.outputFileName()).write_bytes(pdfs[0])  # byte for byte as archived
    else:
        with open(printer.outputFileName(), "wb") as out:
            writer.write(out)
    return len(writer.pages)


def print_pdfs(parent: QWidget | None, pdfs: list[bytes], title: str = "") -> bool:
    """Ask for a printer (Qt's print dialog) and print; True when something was printed."""
    if not pdfs:
        return False
    printer = make_printer()
    printer.setDocName(title or "pestdesk")
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle(_("Print letters"))
    if dialog.exec() != QPrintDialog.DialogCode.Accepted:
        return False
    if prints_to_pdf_file(printer):
        try:
            return write_pdf_file(printer, pdfs) > 0
        except OSError as exc:
            QMessageBox.warning(parent, _("Print letters"), _(
                "The file could not be written: {reason}").format(
                    reason=exc.strerror or exc))
            return False
    if paint_pdfs(printer, pdfs) == 0:
        QMessageBox.warning(parent, _("Print letters"), _("The printer could not be started."))
        return False
    return True


def plaintext_caption(title: str) -> str:
    """The title of a save dialog for an export: the file written is never encrypted."""
    return _("{title} (the file is not encrypted: keep it safe, delete it when done)").format(
        title=title)


def ask_export_path(parent: QWidget | None, title: str, suggested: str,
                    pattern: str = "") -> str:
    """Where to save an export (CSV, XLSX, JSON, PDF): the dialog says it is plaintext."""
    name, _filter = QFileDialog.getSaveFileName(parent, plaintext_caption(title), suggested,
                                                pattern)
    return name


def save_pdf(parent: QWidget | None, data: bytes, suggested_name: str) -> Path | None:
    """Ask where to save and write ``data`` there; the path, or None when cancelled."""
    name = ask_export_path(parent, _("Save as PDF"), suggested_name,
                           _("PDF documents (*.pdf)"))
    if not name:
        return None
    path = Path(name)
    if path.suffix.lower() != ".pdf":
        path = path.with_suffix(".pdf")
    try:
        path.write_bytes(data)
    except OSError as exc:
        QMessageBox.warning(
            parent, _("Save as PDF"),
            _("The file could not be written: {reason}").format(reason=exc.strerror or exc),
        )
        return None
    return path
