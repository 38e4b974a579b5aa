"""Letter tests: the date the letters carry, and reading PDFs back (the text of each page,
and positioned text runs)."""

from __future__ import annotations

import datetime as dt
import io

import pypdf

LETTER_DATE = dt.date(2026, 11, 24)


def pdf_pages_text(pdf: bytes) -> list[str]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [page.extract_text() for page in reader.pages]


def pdf_text(pdf: bytes) -> str:
    return "\n".join(pdf_pages_text(pdf))


def text_runs(pdf: bytes, page: int = 0) -> list[tuple[str, float, float, float]]:
    """(text, x, y, font size) of every text run pypdf sees on ``page``."""
    runs: list[tuple[str, float, float, float]] = []

    def visit(text, cm, tm, _font_dict, font_size):
        if text.strip():
            x = tm[4] * cm[0] + cm[4]
            y = tm[5] * cm[3] + cm[5]
            runs.append((text.strip(), x, y, font_size * tm[0] * cm[0]))

    reader = pypdf.PdfReader(io.BytesIO(pdf))
    reader.pages[page].extract_text(visitor_text=visit)
    return runs
