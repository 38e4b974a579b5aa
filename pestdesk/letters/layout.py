"""The page of a school letter: A4, letterhead, window-envelope address block, footer.

Built on reportlab's platypus: a :class:`LetterDocument` (``BaseDocTemplate``) with two
``PageTemplate``\\ s. The first page carries the full letterhead and the address block in the
envelope window; later pages a compact header. Both draw the footer (school footer text and
"pagina X van Y") in their ``onPage`` callback; the page total is filled in when the document
is saved (:class:`_LetterCanvas`). The letter's content flows through the frames as
flowables built in :mod:`pestdesk.letters.render`.

The address block is drawn on the canvas inside :class:`WindowSettings` (millimetres from the
page's top-left corner, as a school measures its envelope). :func:`place_address` computes
where each line goes and raises :class:`AddressDoesNotFit` when the text would leave the
window, so a letter never goes out with half an address behind paper.

Words printed in a letter (Kenmerk, pagina ... van ...) follow the *letter's* language, not
the user interface's, and so live in :data:`LETTER_WORDS` rather than in the UI catalog.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Paragraph

from pestdesk.i18n import _
from pestdesk.paths import FONTS_DIR

PAGE_WIDTH, PAGE_HEIGHT = A4
LEFT_MARGIN = 25 * mm
RIGHT_MARGIN = 20 * mm
TEXT_WIDTH = PAGE_WIDTH - LEFT_MARGIN - RIGHT_MARGIN
FOOTER_TOP = 24 * mm  # frames end here, measured from the bottom edge
FONT, FONT_BOLD, FONT_ITALIC = "DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique"
INK = colors.HexColor("#1d1d1f")
GREY = colors.HexColor("#6b6f76")
RULE = colors.HexColor("#c9ccd1")
ADDRESS_SIZES = ((10, 12.5), (9, 11))  # tried in order: font size, leading (points)
RETURN_SIZE = 6.5

LETTER_WORDS: dict[str, dict[str, str]] = {
    "nl": {
        "page": "pagina {page} van {pages}",
        "reference": "Kenmerk",
        "subject": "Onderwerp",
        "date": "Datum",
        "name": "Naam",
        "signature": "Handtekening",
        "student": "Leerling",
        "guardian": "Ouder/verzorger",
        "mentor": "Mentor",
        "signatory": "Namens de school",
        "salutation": "Geachte heer, mevrouw,",
        "closing": "Met vriendelijke groet,",
        "signing": "Ondertekening",
    },
    "en": {
        "page": "page {page} of {pages}",
        "reference": "Reference",
        "subject": "Subject",
        "date": "Date",
        "name": "Name",
        "signature": "Signature",
        "student": "Student",
        "guardian": "Parent/guardian",
        "mentor": "Mentor",
        "signatory": "On behalf of the school",
        "salutation": "Dear Sir or Madam,",
        "closing": "Yours sincerely,",
        "signing": "Signatures",
    },
}


def words(lang: str) -> dict[str, str]:
    return LETTER_WORDS.get(lang, LETTER_WORDS["nl"])


class AddressDoesNotFit(ValueError):
    """The address text does not fit inside the envelope window."""


@dataclass(frozen=True)
class WindowSettings:
    """The envelope window, in mm from the page's left and top edges.

    The default suits the common Dutch window envelope (window 15-20 mm from the left,
    40-55 mm from the top). ``padding_mm`` is kept clear inside the window on every side,
    because a folded letter shifts a little in its envelope.
    """

    left_mm: float = 20
    top_mm: float = 45
    width_mm: float = 90
    height_mm: float = 35
    padding_mm: float = 3.5

    def check(self) -> None:
        """Raise ``ValueError`` when the window is not a usable area on an A4 page."""
        ok = (
            self.width_mm > 2 * self.padding_mm
            and self.height_mm > 2 * self.padding_mm
            and self.left_mm >= 0
            and self.top_mm >= 0
            and self.padding_mm >= 0
            and self.left_mm + self.width_mm <= PAGE_WIDTH / mm
            and self.top_mm + self.height_mm <= 120
        )
        if not ok:
            raise ValueError(
                _(
                    "The envelope window settings do not describe an area in the "
                    "top part of an A4 page."
                )
            )

    @property
    def rect_pt(self) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) in PDF points, origin bottom-left."""
        x0 = self.left_mm * mm
        y1 = PAGE_HEIGHT - self.top_mm * mm
        return x0, y1 - self.height_mm * mm, x0 + self.width_mm * mm, y1


@dataclass(frozen=True)
class Letterhead:
    """What the school prints at the top and bottom of every letter."""

    school_name: str
    address_lines: tuple[str, ...] = ()
    contact_line: str = ""
    footer_text: str = ""
    place: str = ""
    logo_path: Path | None = None
    return_address: str = ""
    accent_color: str = "#1f4e79"


@dataclass(frozen=True)
class PlacedLine:
    """One line of text drawn in the address area (PDF points, baseline start)."""

    x: float
    y: float
    text: str
    font: str
    size: float

    @property
    def width(self) -> float:
        return pdfmetrics.stringWidth(self.text, self.font, self.size)


# --------------------------------------------------------------------------- fonts


@functools.cache
def register_fonts() -> None:
    """Register DejaVu Sans once per process (embedded as a subset in every PDF)."""
    for name, filename in (
        (FONT, "DejaVuSans.ttf"),
        (FONT_BOLD, "DejaVuSans-Bold.ttf"),
        (FONT_ITALIC, "DejaVuSans-Oblique.ttf"),
    ):
        pdfmetrics.registerFont(TTFont(name, str(FONTS_DIR / filename)))
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT_ITALIC, boldItalic=FONT_BOLD
    )


# --------------------------------------------------------------------------- address


def place_address(
    lines: list[str], window: WindowSettings, return_address: str = ""
) -> list[PlacedLine]:
    """Where each address line goes inside ``window``; :class:`AddressDoesNotFit` if none."""
    register_fonts()
    window.check()
    x0, y0, x1, y1 = window.rect_pt
    pad = window.padding_mm * mm
    for size, leading in ADDRESS_SIZES:
        placed = _try_place(
            lines, return_address, (x0 + pad, y0 + pad, x1 - pad, y1 - pad), size, leading
        )
        if placed is not None:
            return placed
    raise AddressDoesNotFit(
        _(
            "The address does not fit in the envelope window ({width} × {height} mm): shorten "
            "the name lines or adjust the window settings."
        ).format(width=f"{window.width_mm:g}", height=f"{window.height_mm:g}")
    )


def _try_place(
    lines: list[str],
    return_address: str,
    box: tuple[float, float, float, float],
    size: float,
    leading: float,
) -> list[PlacedLine] | None:
    left, bottom, right, top = box
    widest = max([pdfmetrics.stringWidth(t, FONT, size) for t in lines] + [0])
    if return_address:
        widest = max(widest, pdfmetrics.stringWidth(return_address, FONT, RETURN_SIZE))
    if left + widest > right:
        return None
    # Line the address up with the letter's text column when the window allows it.
    x = LEFT_MARGIN if left < LEFT_MARGIN and LEFT_MARGIN + widest <= right else left
    placed: list[PlacedLine] = []
    y = top
    if return_address:
        y -= RETURN_SIZE
        placed.append(PlacedLine(x, y, return_address, FONT, RETURN_SIZE))
        y -= 2.2 * mm
    ascent, descent = _ascent_descent(size)
    y -= ascent
    for text in lines:
        placed.append(PlacedLine(x, y, text, FONT, size))
        y -= leading
    last_baseline = y + leading
    if lines and last_baseline + descent < bottom:  # descent is negative
        return None
    return placed


def _ascent_descent(size: float) -> tuple[float, float]:
    face = pdfmetrics.getFont(FONT).face
    return face.ascent * size / 1000, face.descent * size / 1000


def draw_placed(canvas: Canvas, placed: list[PlacedLine]) -> None:
    for line in placed:
        canvas.setFont(line.font, line.size)
        canvas.setFillColor(GREY if line.size == RETURN_SIZE else INK)
        canvas.drawString(line.x, line.y, line.text)


# --------------------------------------------------------------------------- page drawing


@functools.lru_cache(maxsize=16)
def _logo(path: str, _mtime: int) -> ImageReader:
    return ImageReader(path)


def _draw_logo(
    canvas: Canvas, letterhead: Letterhead, max_w: float, max_h: float, top: float
) -> None:
    path = letterhead.logo_path
    if not path or not Path(path).is_file():
        return
    image = _logo(str(path), Path(path).stat().st_mtime_ns)
    iw, ih = image.getSize()
    scale = min(max_w / iw, max_h / ih)
    w, h = iw * scale, ih * scale
    canvas.drawImage(image, LEFT_MARGIN, top - h, w, h, mask="auto")


def draw_letterhead(canvas: Canvas, letterhead: Letterhead) -> None:
    """Full letterhead: logo left, school name and details right-aligned."""
    accent = colors.HexColor(letterhead.accent_color)
    top = PAGE_HEIGHT - 14 * mm
    _draw_logo(canvas, letterhead, 60 * mm, 22 * mm, top)
    right = PAGE_WIDTH - RIGHT_MARGIN
    y = top - 13
    canvas.setFillColor(accent)
    canvas.setFont(FONT_BOLD, 13.5)
    canvas.drawRightString(right, y, letterhead.school_name)
    y -= 5.5 * mm
    canvas.setFillColor(GREY)
    canvas.setFont(FONT, 8.3)
    for line in [*letterhead.address_lines, letterhead.contact_line]:
        if line:
            canvas.drawRightString(right, y, line)
            y -= 3.9 * mm


def draw_continuation_header(canvas: Canvas, letterhead: Letterhead, right_text: str) -> None:
    """Compact header on pages after the first."""
    y = PAGE_HEIGHT - 15 * mm
    canvas.setFillColor(colors.HexColor(letterhead.accent_color))
    canvas.setFont(FONT_BOLD, 9)
    canvas.drawString(LEFT_MARGIN, y, letterhead.school_name)
    canvas.setFillColor(GREY)
    canvas.setFont(FONT, 8)
    canvas.drawRightString(PAGE_WIDTH - RIGHT_MARGIN, y, right_text)
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.5)
    canvas.line(LEFT_MARGIN, y - 3 * mm, PAGE_WIDTH - RIGHT_MARGIN, y - 3 * mm)


_FOOTER_STYLE = ParagraphStyle(
    "footer", fontName=FONT, fontSize=7.3, leading=9.5, textColor=GREY, alignment=TA_LEFT
)


def draw_footer(canvas: Canvas, letterhead: Letterhead, page_label: str) -> None:
    """Footer text left, page number right; the number itself is drawn at save time."""
    rule_y = 18 * mm
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.5)
    canvas.line(LEFT_MARGIN, rule_y, PAGE_WIDTH - RIGHT_MARGIN, rule_y)
    if letterhead.footer_text:
        para = Paragraph(_xml_escape(letterhead.footer_text), _FOOTER_STYLE)
        _w, h = para.wrapOn(canvas, TEXT_WIDTH - 32 * mm, 20 * mm)
        para.drawOn(canvas, LEFT_MARGIN, rule_y - 2.5 * mm - h)
    canvas.page_label_template = page_label  # read by _LetterCanvas.save


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class _LetterCanvas(Canvas):
    """A canvas that keeps its pages until saving, to print "pagina X van Y"."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._kept_pages: list[dict] = []
        self.page_label_template = ""

    def showPage(self) -> None:  # noqa: N802 - reportlab's name
        self._kept_pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._kept_pages)
        for state in self._kept_pages:
            self.__dict__.update(state)
            if self.page_label_template:
                self.setFont(FONT, 7.3)
                self.setFillColor(GREY)
                self.drawRightString(
                    PAGE_WIDTH - RIGHT_MARGIN,
                    18 * mm - 2.5 * mm - 7.3,
                    self.page_label_template.format(page=self._pageNumber, pages=total),
                )
            Canvas.showPage(self)
        Canvas.save(self)


class LetterDocument(BaseDocTemplate):
    """The letter's page templates: ``first`` (letterhead + address) and ``later``."""

    def __init__(
        self,
        buffer,
        *,
        letterhead: Letterhead,
        address: list[PlacedLine],
        window: WindowSettings,
        lang: str,
        header_right: str,
        title: str,
    ) -> None:
        super().__init__(
            buffer,
            pagesize=A4,
            leftMargin=LEFT_MARGIN,
            rightMargin=RIGHT_MARGIN,
            topMargin=20 * mm,
            bottomMargin=FOOTER_TOP,
            invariant=1,
            pageCompression=1,
            title=title,
            author=letterhead.school_name,
            creator="pestdesk",
            lang={"nl": "nl-NL", "en": "en-GB"}.get(lang, "nl-NL"),
            initialFontName=FONT,
        )
        self.letterhead, self.address, self.window = letterhead, address, window
        self.page_label = words(lang)["page"]
        self.header_right = header_right
        first_top = PAGE_HEIGHT - max(window.top_mm + window.height_mm, 62) * mm - 11 * mm
        self.addPageTemplates(
            [
                PageTemplate(
                    "first",
                    [_frame("first", first_top)],
                    onPage=self._first_page,
                    autoNextPageTemplate="later",
                ),
                PageTemplate(
                    "later", [_frame("later", PAGE_HEIGHT - 24 * mm)], onPage=self._later_page
                ),
            ]
        )

    def _first_page(self, canvas: Canvas, _doc) -> None:
        draw_letterhead(canvas, self.letterhead)
        draw_placed(canvas, self.address)
        draw_footer(canvas, self.letterhead, self.page_label)

    def _later_page(self, canvas: Canvas, _doc) -> None:
        draw_continuation_header(canvas, self.letterhead, self.header_right)
        draw_footer(canvas, self.letterhead, self.page_label)

    def build_pdf(self, story: list) -> None:
        self.build(story, canvasmaker=_LetterCanvas)


def _frame(name: str, top: float) -> Frame:
    return Frame(
        LEFT_MARGIN,
        FOOTER_TOP,
        TEXT_WIDTH,
        top - FOOTER_TOP,
        id=name,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
