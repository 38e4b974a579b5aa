"""Turn a template, merge data and an addressee into PDF bytes.

- :func:`render_letter` renders one letter. The same input always gives byte-identical
  output (reportlab ``invariant=1``; no clock, no random ids), so a stored letter can be
  re-rendered and compared. A valid template never fails on its data: missing values print
  as nothing (:func:`preflight` lists them beforehand). It raises only for things the user
  must fix: :class:`~pestdesk.letters.layout.AddressDoesNotFit`, or a template without the
  requested language.
- :func:`render_batch` renders many :class:`LetterJob`\\ s with a progress callback.
- :func:`render_test_print` draws the envelope window and a sample address, so a school can
  hold the sheet against its envelope.
- :func:`preflight` collects every warning for one letter (address problems, missing merge
  values, address too big for the window) without rendering.
"""

from __future__ import annotations

import copy
import datetime as _dt
import io
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    KeepTogether,
    ListFlowable,
    ListItem,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from pestdesk.i18n import _

from . import engine
from . import fields as F
from .address import Recipient, address_lines, validate_address
from .layout import (
    FONT,
    FONT_BOLD,
    GREY,
    INK,
    LEFT_MARGIN,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    RULE,
    TEXT_WIDTH,
    AddressDoesNotFit,
    LetterDocument,
    Letterhead,
    WindowSettings,
    draw_letterhead,
    draw_placed,
    place_address,
    register_fonts,
    words,
)
from .templates import Template

#: The default envelope window (immutable, so safe as a default argument).
DEFAULT_WINDOW = WindowSettings()


@dataclass(frozen=True)
class LetterJob:
    """Everything :func:`render_letter` needs for one letter (for :func:`render_batch`)."""

    template: Template
    merge_data: Mapping[str, Any]
    recipient: Recipient | None
    letterhead: Letterhead
    letter_date: _dt.date
    lang: str = "nl"
    window: WindowSettings = DEFAULT_WINDOW


# --------------------------------------------------------------------------- styles


def _styles(accent: colors.Color, compact: bool = False) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle(
        "body", fontName=FONT, fontSize=10, leading=13.4 if compact else 14.6, textColor=INK,
        spaceAfter=5.5 if compact else 7.5,
    )
    return {
        "body": base,
        "item": ParagraphStyle("item", parent=base, spaceAfter=2.5),
        "heading": ParagraphStyle(
            "heading",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=10.5,
            textColor=accent,
            spaceBefore=6,
            spaceAfter=4,
            keepWithNext=1,
        ),
        "label": ParagraphStyle(
            "label", parent=base, fontSize=8.3, leading=14.6, textColor=GREY, spaceAfter=0
        ),
        "value": ParagraphStyle("value", parent=base, spaceAfter=0),
        "subject": ParagraphStyle("subject", parent=base, fontName=FONT_BOLD, spaceAfter=0),
        "small": ParagraphStyle(
            "small", parent=base, fontSize=8.3, leading=11, textColor=GREY, spaceAfter=0
        ),
        "name": ParagraphStyle("name", parent=base, fontName=FONT_BOLD, spaceAfter=0),
    }


# --------------------------------------------------------------------------- merge data


def merge_context(
    merge_data: Mapping[str, Any],
    recipient: Recipient | None,
    letterhead: Letterhead,
    letter_date: _dt.date,
) -> dict[str, Any]:
    """The data a template sees: ``merge_data`` completed from the other arguments.

    Fills ``datum``, ``school.naam``/``school.plaats``, ``recipient.naam``/``.aanhef`` and
    ``student.volledige_naam`` when the caller did not; never changes ``merge_data``.
    """
    data: dict[str, Any] = copy.deepcopy(dict(merge_data))
    data.setdefault("datum", letter_date)
    school = _group(data, "school")
    school.setdefault("naam", letterhead.school_name)
    school.setdefault("plaats", letterhead.place)
    if recipient is not None:
        rec = _group(data, "recipient")
        rec.setdefault("naam", recipient.name)
        if recipient.salutation:
            rec.setdefault("aanhef", recipient.salutation)
    student = _group(data, "student")
    if not student.get("volledige_naam"):
        student["volledige_naam"] = F.full_name(student)
    return data


def _group(data: dict[str, Any], name: str) -> dict[str, Any]:
    group = data.get(name)
    if not isinstance(group, dict):
        group = dict(group) if isinstance(group, Mapping) else {}
        data[name] = group
    return group


# --------------------------------------------------------------------------- flowables

_BLOCK_SPLIT = re.compile(r"\n[ \t]*\n")
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def _inline(text: str) -> str:
    """XML-escape and turn ``**bold**`` into reportlab markup."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BOLD.sub(r"<b>\1</b>", text)


def body_flowables(text: str, styles: dict[str, ParagraphStyle], accent) -> list:
    """Paragraphs (blank-line separated), ``- `` lists and ``## `` headings."""
    out: list = []
    for block in _BLOCK_SPLIT.split(text.strip()):
        run: list[str] = []
        kind = ""
        for raw in block.split("\n"):
            line = raw.strip()
            if not line:
                continue
            line_kind = (
                "item"
                if line.startswith(("- ", "* "))
                else ("heading" if line.startswith("## ") else "para")
            )
            if line_kind != kind or line_kind == "heading":
                _flush(out, kind, run, styles, accent)
                run, kind = [], line_kind
            run.append(
                line[2:].strip()
                if line_kind == "item"
                else line[3:].strip()
                if line_kind == "heading"
                else line
            )
        _flush(out, kind, run, styles, accent)
    return out


def _flush(out: list, kind: str, run: list[str], styles, accent) -> None:
    if not run:
        return
    if kind == "heading":
        out.append(CondPageBreak(30 * mm))
        out.append(Paragraph(_inline(run[0]), styles["heading"]))
    elif kind == "item":
        items = [ListItem(Paragraph(_inline(t), styles["item"]), leftIndent=14) for t in run]
        out.append(
            ListFlowable(
                items,
                bulletType="bullet",
                start="•",
                leftIndent=14,
                bulletFontName=FONT,
                bulletFontSize=10,
                bulletColor=accent,
                bulletOffsetY=0,
                spaceAfter=7.5,
            )
        )
    else:
        out.append(Paragraph(_inline(" ".join(run)), styles["body"]))


def _reference_block(subject: str, reference: str, place_date: str, lang: str, styles) -> list:
    w = words(lang)
    rows = []
    if reference:
        rows.append(
            [
                Paragraph(w["reference"], styles["label"]),
                Paragraph(_inline(reference), styles["value"]),
            ]
        )
    rows.append(
        [Paragraph(w["subject"], styles["label"]), Paragraph(_inline(subject), styles["subject"])]
    )
    table = Table(rows, colWidths=[27 * mm, TEXT_WIDTH - 27 * mm], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ]
        )
    )
    return [
        Paragraph(_inline(place_date), styles["value"]),
        Spacer(1, 5 * mm),
        table,
        Spacer(1, 9 * mm),
    ]


def _closing_block(closing: str, data: Mapping[str, Any], lang: str, styles,
                   compact: bool = False) -> list:
    name, role, school = (
        F.format_value(F.lookup(data, key), lang)
        for key in ("signatory.naam", "signatory.functie", "school.naam")
    )
    parts: list = [
        Spacer(1, 2 * mm),
        Paragraph(_inline(closing), styles["value"]),
        Spacer(1, (12 if compact else 17) * mm),  # room to sign
    ]
    if name:
        parts.append(Paragraph(_inline(name), styles["name"]))
    for line in (role, school):
        if line:
            parts.append(Paragraph(_inline(line), styles["small"]))
    return parts


def _signers(template: Template, data: Mapping[str, Any], lang: str) -> list[tuple[str, str]]:
    """(role label, name) for every signature line the template asks for."""
    w = words(lang)
    out: list[tuple[str, str]] = []
    for signer in template.signatures:
        if signer == "student":
            out.append(
                (w["student"], F.format_value(F.lookup(data, "student.volledige_naam"), lang))
            )
        elif signer == "guardians":
            guardians = F.lookup(data, "guardians")
            names = [F.format_value(F.lookup(g, "naam"), lang) for g in guardians or []]
            names = [n for n in names if n]
            for name in names or ["", ""]:
                out.append((w["guardian"], name))
        elif signer == "mentor":
            out.append((w["mentor"], F.format_value(F.lookup(data, "mentor.naam"), lang)))
        elif signer == "signatory":
            out.append((w["signatory"], F.format_value(F.lookup(data, "signatory.naam"), lang)))
    return out


def _signature_block(signers: list[tuple[str, str]], lang: str, styles, accent,
                     compact: bool = False) -> list:
    if not signers:
        return []
    w = words(lang)
    cells = [_signature_cell(role, name, w, styles) for role, name in signers]
    if len(cells) % 2:
        cells.append("")
    rows = [cells[i : i + 2] for i in range(0, len(cells), 2)]
    grid = Table(rows, colWidths=[TEXT_WIDTH / 2] * 2, hAlign="LEFT")
    grid.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 8 * mm),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 7 * mm),
            ]
        )
    )
    heading = Paragraph(w["signing"], styles["heading"])
    return [Spacer(1, (3 if compact else 6) * mm),
            KeepTogether([heading, Spacer(1, 2 * mm), grid])]


def _signature_cell(role: str, name: str, w: dict[str, str], styles) -> Table:
    rows = [
        [Paragraph(_inline(role), styles["label"]), ""],
        [Paragraph(w["name"], styles["small"]), Paragraph(_inline(name), styles["value"])],
        [Paragraph(w["date"], styles["small"]), ""],
        [Paragraph(w["signature"], styles["small"]), ""],
    ]
    cell = Table(
        rows,
        colWidths=[25 * mm, TEXT_WIDTH / 2 - 33 * mm],
        rowHeights=[6 * mm, 8 * mm, 8 * mm, 16 * mm],
    )
    cell.setStyle(
        TableStyle(
            [
                ("SPAN", (0, 0), (1, 0)),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                ("LINEBELOW", (1, 1), (1, 3), 0.6, RULE),
            ]
        )
    )
    return cell


# --------------------------------------------------------------------------- rendering


def _merge(template: Template, lang: str, part: str, data: Mapping[str, Any]) -> str:
    return engine.render(template.parsed(lang, part).nodes, data, lang)


def printed_text(
    template: Template,
    merge_data: Mapping[str, Any],
    recipient: Recipient | None,
    letterhead: Letterhead,
    *,
    lang: str = "nl",
    letter_date: _dt.date,
) -> tuple[str, list[str]]:
    """The letter's own text as it will be printed (subject, salutation, body, closing;
    whitespace collapsed, ``**`` marks gone) and the merge fields printed in it without a
    value. What the law wants in a letter is checked on this text, not on the template."""
    data = merge_context(merge_data, recipient, letterhead, letter_date)
    empty: set[str] = set()
    parts = []
    for part in ("subject", "salutation", "body", "closing"):
        if getattr(template.variant(lang), part) is None:
            continue
        parts.append(engine.render(template.parsed(lang, part).nodes, data, lang, empty=empty))
    text = " ".join(" ".join(parts).replace("**", "").split())
    return text, sorted(empty)


def place_date_line(letterhead: Letterhead, letter_date: _dt.date, lang: str) -> str:
    """``"Alkmaar, 24 november 2026"`` (or only the date when the school has no place)."""
    date_text = F.format_date_long(letter_date, lang)
    return f"{letterhead.place}, {date_text}" if letterhead.place else date_text


def render_letter(
    template: Template,
    merge_data: Mapping[str, Any],
    recipient: Recipient | None,
    letterhead: Letterhead,
    *,
    lang: str = "nl",
    letter_date: _dt.date,
    window: WindowSettings = DEFAULT_WINDOW,
) -> bytes:
    """One letter as PDF bytes; deterministic. ``recipient=None`` leaves the window empty
    (a letter handed over in person).

    A letter that runs just onto a second page (the last paragraph with the closing and
    the signatures) is set a little tighter -- smaller line and paragraph spacing, less
    room above the name -- and kept on one page when that is enough."""
    args = (template, merge_data, recipient, letterhead, lang, letter_date, window)
    pdf, pages = _render_letter(*args, compact=False)
    if pages == 2:
        tight, tight_pages = _render_letter(*args, compact=True)
        if tight_pages == 1:
            return tight
    return pdf


def _render_letter(template: Template, merge_data: Mapping[str, Any],
                   recipient: Recipient | None, letterhead: Letterhead, lang: str,
                   letter_date: _dt.date, window: WindowSettings, *, compact: bool
                   ) -> tuple[bytes, int]:
    register_fonts()
    variant = template.variant(lang)
    data = merge_context(merge_data, recipient, letterhead, letter_date)
    lines = address_lines(recipient) if recipient is not None else []
    placed = place_address(lines, window, letterhead.return_address if lines else "")
    accent = colors.HexColor(letterhead.accent_color)
    styles = _styles(accent, compact)
    w = words(lang)
    subject = _merge(template, lang, "subject", data).strip()
    reference = F.format_value(F.lookup(data, "case.nummer"), lang)
    salutation = _merge(template, lang, "salutation", data).strip() or w["salutation"]
    closing = (
        w["closing"] if variant.closing is None else _merge(template, lang, "closing", data).strip()
    )
    story = _reference_block(
        subject, reference, place_date_line(letterhead, letter_date, lang), lang, styles
    )
    story.append(Paragraph(_inline(salutation), styles["body"]))
    body = body_flowables(_merge(template, lang, "body", data), styles, accent)
    if closing:
        # The last paragraph goes with the closing: never a greeting alone on a page.
        tail = body[-1:] if body and isinstance(body[-1], Paragraph) else []
        story += body[: len(body) - len(tail)]
        story.append(KeepTogether(tail + _closing_block(closing, data, lang, styles,
                                                        compact)))
    else:
        story += body
    story += _signature_block(_signers(template, data, lang), lang, styles, accent, compact)
    buffer = io.BytesIO()
    header_right = " · ".join(
        p
        for p in (
            f"{w['reference']} {reference}" if reference else "",
            F.format_date_long(letter_date, lang),
        )
        if p
    )
    doc = LetterDocument(
        buffer,
        letterhead=letterhead,
        address=placed,
        window=window,
        lang=lang,
        header_right=header_right,
        title=_merge(template, lang, "title", data).strip(),
    )
    doc.build_pdf(story)
    return buffer.getvalue(), doc.page


def render_job(job: LetterJob) -> bytes:
    return render_letter(
        job.template,
        job.merge_data,
        job.recipient,
        job.letterhead,
        lang=job.lang,
        letter_date=job.letter_date,
        window=job.window,
    )


def render_batch(
    jobs: Iterable[LetterJob], progress: Callable[[int, int], Any] | None = None
) -> list[bytes]:
    """Render every job in order; ``progress(done, total)`` after each letter.

    A ``progress`` that returns ``False`` cancels the batch: the letters done so far are
    returned (for a GUI progress dialog's cancel button).
    """
    jobs = list(jobs)
    out: list[bytes] = []
    for i, job in enumerate(jobs, start=1):
        out.append(render_job(job))
        if progress is not None and progress(i, len(jobs)) is False:
            break
    return out


def preflight(
    template: Template,
    merge_data: Mapping[str, Any],
    recipient: Recipient | None,
    letterhead: Letterhead,
    *,
    lang: str = "nl",
    letter_date: _dt.date,
    window: WindowSettings = DEFAULT_WINDOW,
) -> list[str]:
    """Translated warnings to show before printing; empty when all is well."""
    warnings: list[str] = []
    if lang not in template.variants:
        return [
            _("Template “{code}” has no “{lang}” version.").format(code=template.code, lang=lang)
        ]
    if recipient is not None:
        warnings += [p.message for p in validate_address(recipient)]
        try:
            place_address(address_lines(recipient), window, letterhead.return_address)
        except AddressDoesNotFit as exc:
            warnings.append(str(exc))
    _text, empty = printed_text(template, merge_data, recipient, letterhead, lang=lang,
                                letter_date=letter_date)
    for name in empty:
        warnings.append(_("No value for merge field “{name}”.").format(name=name))
    return warnings


# --------------------------------------------------------------------------- test print


SAMPLE_RECIPIENT = Recipient(
    name_lines=("De ouders/verzorgers van", "Zoë Çelik-van den Brûle"),
    street="Kanaalkade",
    house_number="112 A",
    postcode="1811lb",
    city="Alkmaar",
)


def render_test_print(
    settings: WindowSettings = DEFAULT_WINDOW, letterhead: Letterhead | None = None
) -> bytes:
    """A sheet with the envelope window outlined and a sample address inside it."""
    register_fonts()
    placed = place_address(
        address_lines(SAMPLE_RECIPIENT), settings, letterhead.return_address if letterhead else ""
    )
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=1, pageCompression=1)
    canvas.setTitle(_("Envelope window test print"))
    if letterhead is not None:
        draw_letterhead(canvas, letterhead)
    x0, y0, x1, y1 = settings.rect_pt
    canvas.setStrokeColor(colors.HexColor("#c0392b"))
    canvas.setLineWidth(0.8)
    canvas.setDash(4, 3)
    canvas.rect(x0, y0, x1 - x0, y1 - y0)
    pad = settings.padding_mm * mm
    canvas.setStrokeColor(RULE)
    canvas.setDash(1, 2)
    canvas.rect(x0 + pad, y0 + pad, x1 - x0 - 2 * pad, y1 - y0 - 2 * pad)
    canvas.setDash()
    draw_placed(canvas, placed)
    _test_print_notes(canvas, settings, y0)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _test_print_notes(canvas: Canvas, settings: WindowSettings, window_bottom: float) -> None:
    canvas.setFillColor(INK)
    canvas.setFont(FONT_BOLD, 12)
    y = window_bottom - 18 * mm
    canvas.drawString(LEFT_MARGIN, y, _("Envelope window test print"))
    canvas.setFont(FONT, 9.5)
    lines = [
        _(
            "Print this page on plain paper, fold it as you fold your letters and slide it "
            "into an envelope."
        ),
        _(
            "The red dashed frame must fall inside the envelope window, and the whole "
            "address must be readable."
        ),
        _("Window: {left} mm from the left, {top} mm from the top, {width} × {height} mm.").format(
            left=f"{settings.left_mm:g}",
            top=f"{settings.top_mm:g}",
            width=f"{settings.width_mm:g}",
            height=f"{settings.height_mm:g}",
        ),
        _("If it does not fit, change the window settings and print this page again."),
    ]
    style = ParagraphStyle("notes", fontName=FONT, fontSize=9.5, leading=13, textColor=INK)
    y -= 6 * mm
    for line in lines:
        para = Paragraph(line, style)
        _w, h = para.wrapOn(canvas, TEXT_WIDTH, 50 * mm)
        para.drawOn(canvas, LEFT_MARGIN, y - h)
        y -= h + 2 * mm
