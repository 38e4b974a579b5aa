"""The preparation pack of a care-team meeting (IZO, OT, ACT) as one PDF.

Page one is the agenda; then one page per case: the students involved, the forms of
bullying, a short timeline, the steps taken and the question for the meeting (hulpvraag).
The pack is data poured into a platypus template. It receives text that the meetings
service has already anonymised where consent is missing -- this module never sees a name it
may not print -- and its labels, already translated (``PackLabels``), from that service.

No Qt, no database: ``render_pack(MeetingPack) -> bytes``.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    KeepTogether,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from .layout import FONT, FONT_BOLD, register_fonts
from .layout import _LetterCanvas as PageTotalCanvas  # keeps pages for "page n of total"

ACCENT = colors.HexColor("#1f4e79")


@dataclass(frozen=True)
class PackStudent:
    label: str  # a name, or "Leerling A" when anonymised
    role: str
    klass: str = ""


@dataclass(frozen=True)
class PackItem:
    position: int
    heading: str  # case number and summary (already anonymised where needed)
    question: str
    students: tuple[PackStudent, ...] = ()
    forms: tuple[str, ...] = ()
    timeline: tuple[tuple[str, str], ...] = ()  # (date text, what happened)
    steps: tuple[str, ...] = ()
    anonymised: bool = False
    basis: str = ""  # the legal basis when shared without consent


@dataclass(frozen=True)
class PackLabels:
    """The pack's fixed texts in the reader's language ({placeholders} are filled in here)."""

    place: str = "Place: {place}"
    chair: str = "Chair: {name}"
    attending: str = "Attending: {names}"
    invited: str = "Invited: {names}"
    externals: str = "External participants: {names}"
    agenda: str = "Agenda"
    case: str = "Case"
    question: str = "Question"
    no_items: str = "No agenda items yet."
    anonymised: str = "Anonymised: no recorded consent to discuss these students by name."
    basis: str = "Shared without consent on this basis: {basis}"
    question_heading: str = "Question for the meeting"
    students: str = "Students involved"
    student: str = "Student"
    role: str = "Role"
    klass: str = "Class"
    forms: str = "Forms of bullying"
    steps: str = "Steps taken"
    timeline: str = "Timeline"
    date: str = "Date"
    what: str = "What happened"
    footer: str = "Confidential - care team"
    page: str = "page {page} of {pages}"


@dataclass(frozen=True)
class MeetingPack:
    title: str
    when: str
    place: str = ""
    chair: str = ""
    attendees: tuple[str, ...] = ()
    externals: tuple[str, ...] = ()
    items: tuple[PackItem, ...] = ()
    labels: PackLabels = field(default_factory=PackLabels)
    held: bool = False  # the meeting took place: its staff 'attended', else they are invited


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=13)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8.5, leading=11,
                                textColor=colors.HexColor("#444444")),
        "title": ParagraphStyle("title", parent=base, fontName=FONT_BOLD, fontSize=16,
                                leading=20, textColor=ACCENT, spaceAfter=4 * mm),
        "h2": ParagraphStyle("h2", parent=base, fontName=FONT_BOLD, fontSize=12.5, leading=16,
                             textColor=ACCENT, spaceBefore=2 * mm, spaceAfter=2 * mm),
        "h3": ParagraphStyle("h3", parent=base, fontName=FONT_BOLD, fontSize=10, leading=13,
                             spaceBefore=3 * mm, spaceAfter=1 * mm),
        "note": ParagraphStyle("note", parent=base, fontSize=8.5, leading=11,
                               textColor=colors.HexColor("#8a4b00"), spaceAfter=2 * mm),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text or "").replace("\n", "<br/>"), style)


def _table(rows: list[list], widths: list[float]) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), FONT, 9),
        ("FONT", (0, 0), (-1, 0), FONT_BOLD, 9),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, ACCENT),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f3f5f8")]),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]))
    return table


def _agenda(pack: MeetingPack, st: dict) -> list:
    L = pack.labels
    story = [_p(pack.title, st["title"]), _p(pack.when, st["body"])]
    if pack.place:
        story.append(_p(L.place.format(place=pack.place), st["body"]))
    if pack.chair:
        story.append(_p(L.chair.format(name=pack.chair), st["body"]))
    if pack.attendees:
        line = L.attending if pack.held else L.invited
        story.append(_p(line.format(names=", ".join(pack.attendees)), st["body"]))
    if pack.externals:
        story.append(_p(L.externals.format(
            names=", ".join(pack.externals)), st["body"]))
    story += [Spacer(1, 4 * mm), _p(L.agenda, st["h2"])]
    rows = [[_p("#", st["small"]), _p(L.case, st["small"]), _p(L.question, st["small"])]]
    for item in pack.items:
        rows.append([_p(str(item.position), st["body"]), _p(item.heading, st["body"]),
                     _p(item.question, st["body"])])
    if len(rows) == 1:
        story.append(_p(L.no_items, st["body"]))
    else:
        story.append(_table(rows, [10 * mm, 70 * mm, 90 * mm]))
    return story


def _item_page(item: PackItem, st: dict, L: PackLabels) -> list:
    story: list = [PageBreak(), _p(f"{item.position}. {item.heading}", st["h2"])]
    if item.anonymised:
        story.append(_p(L.anonymised, st["note"]))
    elif item.basis:
        story.append(_p(L.basis.format(
            basis=item.basis), st["note"]))
    story.append(_p(L.question_heading, st["h3"]))
    story.append(_p(item.question or "-", st["body"]))
    if item.students:
        story.append(_p(L.students, st["h3"]))
        rows = [[_p(L.student, st["small"]), _p(L.role, st["small"]),
                 _p(L.klass, st["small"])]]
        rows += [[_p(s.label, st["body"]), _p(s.role, st["body"]), _p(s.klass, st["body"])]
                 for s in item.students]
        story.append(_table(rows, [70 * mm, 50 * mm, 50 * mm]))
    if item.forms:
        story.append(_p(L.forms, st["h3"]))
        story.append(_p(", ".join(item.forms), st["body"]))
    if item.steps:
        story.append(_p(L.steps, st["h3"]))
        story += [_p(f"• {step}", st["body"]) for step in item.steps]
    if item.timeline:
        story.append(_p(L.timeline, st["h3"]))
        rows = [[_p(L.date, st["small"]), _p(L.what, st["small"])]]
        rows += [[_p(day, st["body"]), _p(text, st["body"])] for day, text in item.timeline]
        story.append(KeepTogether(_table(rows, [28 * mm, 142 * mm])) if len(rows) < 12
                     else _table(rows, [28 * mm, 142 * mm]))
    return story


def render_pack(pack: MeetingPack,
                progress: Callable[[int, int], None] | None = None) -> bytes:
    """The whole pack as PDF bytes; ``progress(done, total)`` after each item."""
    register_fonts()
    st = _styles()
    buffer = io.BytesIO()
    footer = pack.labels.footer

    def on_page(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(colors.HexColor("#666666"))
        canvas.drawString(20 * mm, 10 * mm, footer)
        canvas.restoreState()
        canvas.page_label_template = pack.labels.page  # "page n of total", at the end

    doc = BaseDocTemplate(buffer, pagesize=A4, title=pack.title, author="pestdesk",
                          invariant=1, leftMargin=20 * mm, rightMargin=20 * mm,
                          topMargin=18 * mm, bottomMargin=18 * mm)
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body")
    doc.addPageTemplates([PageTemplate(id="pack", frames=[frame], onPage=on_page)])
    story = _agenda(pack, st)
    total = len(pack.items)
    for done, item in enumerate(pack.items, start=1):
        story += _item_page(item, st, pack.labels)
        if progress:
            progress(done, total + 1)
    doc.build(story, canvasmaker=PageTotalCanvas)
    if progress:
        progress(total + 1, total + 1)
    return buffer.getvalue()
