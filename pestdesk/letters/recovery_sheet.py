"""The recovery key sheet: one printable A4 page, like BitLocker's recovery key printout.

It names the school and the database file, shows the key in large groups that are easy to
read aloud and type, says where to keep it and states plainly that losing both the
passwords and this key means losing the data. Rendered from plain values it is handed.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from pestdesk.i18n import _, format_date

from .layout import FONT, FONT_BOLD, GREY, INK, RULE, register_fonts


def render_recovery_sheet(path: Path, *, school: str, database: str, recovery_key: str,
                          made_on: dt.date, made_by: str = "",
                          opens_sealed_notes: bool = True) -> Path:
    """Write the sheet to ``path`` (a PDF) and return it."""
    register_fonts()
    body = ParagraphStyle("body", fontName=FONT, fontSize=10.5, leading=14.5, textColor=INK,
                          spaceAfter=6)
    title = ParagraphStyle("title", parent=body, fontName=FONT_BOLD, fontSize=18, leading=22,
                           spaceAfter=10)
    warning = ParagraphStyle("warning", parent=body, fontName=FONT_BOLD, fontSize=11.5,
                             leading=15.5)
    small = ParagraphStyle("small", parent=body, fontSize=8.5, leading=11, textColor=GREY)
    groups = recovery_key.split("-")
    key_style = ParagraphStyle("key", parent=body, fontName=FONT_BOLD, fontSize=17,
                               leading=22, alignment=1)
    rows = [[Paragraph(escape(g), key_style) for g in groups[i:i + 3]]
            for i in range(0, len(groups), 3)]
    key_table = Table(rows, colWidths=[50 * mm] * 3, hAlign="CENTER")
    key_table.setStyle(TableStyle([
        ("BOX", (0, 0), (-1, -1), 1.2, INK),
        ("INNERGRID", (0, 0), (-1, -1), 0.4, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 7), ("BOTTOMPADDING", (0, 0), (-1, -1), 7),
    ]))
    facts = [
        (_("School"), school or "—"),
        (_("Database file"), database),
        (_("Made on"), format_date(made_on)),
    ]
    if made_by:
        facts.append((_("Made by"), made_by))
    fact_table = Table([[Paragraph(escape(k), small), Paragraph(escape(v), body)]
                        for k, v in facts], colWidths=[38 * mm, 122 * mm], hAlign="LEFT")
    story = [
        Paragraph(escape(_("pestdesk recovery key")), title),
        fact_table,
        Spacer(1, 6 * mm),
        key_table,
        Spacer(1, 6 * mm),
        Paragraph(escape(_(
            "This key opens the encrypted pestdesk database when every password is lost. "
            "Type it at the sign-in under 'Use recovery key'; dashes, spaces and letter case "
            "do not matter.")), body),
        Paragraph(escape(_(
            "It also gives back access to the vertrouwenspersoon's sealed notes.")
            if opens_sealed_notes else _(
            "It does not open the vertrouwenspersoon's sealed notes (it was made by someone "
            "who cannot read them).")), body),
        Paragraph(escape(_(
            "Keep this sheet in a locked place away from the computers, such as the "
            "directeur's safe. Do not store it as a file, do not photograph it, do not "
            "e-mail it. Whoever holds it can read every dossier.")), body),
        Paragraph(escape(_(
            "Whoever loses both all passwords and this key loses the data for good: nobody, "
            "not even the makers of pestdesk, can open the database then.")), warning),
        Paragraph(escape(_(
            "A new sheet (Beheer, directie) makes a new key; this one then stops working. "
            "Destroy old sheets.")), small),
    ]
    doc = SimpleDocTemplate(str(path), pagesize=A4, leftMargin=25 * mm, rightMargin=20 * mm,
                            topMargin=25 * mm, bottomMargin=20 * mm,
                            title=_("pestdesk recovery key"), author="pestdesk")
    doc.build(story)
    return path
