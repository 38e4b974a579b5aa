"""Fixtures for the letter engine: a letterhead, an addressee, sample merge data, PDF text."""

from __future__ import annotations

import datetime as dt
import io

import pypdf
import pytest

from pestdesk.letters import Letterhead, Recipient, sample_merge_data

LETTER_DATE = dt.date(2026, 11, 24)


@pytest.fixture
def letterhead() -> Letterhead:
    return Letterhead(
        school_name="Scholengemeenschap De Wierde",
        address_lines=("Postbus 1024", "1800 BA  Alkmaar"),
        contact_line="072 - 511 22 33 · zorg@dewierde.nl",
        footer_text="Stichting Voortgezet Onderwijs Noord-Kennemerland · Wierdelaan 4, Alkmaar",
        place="Alkmaar",
        return_address="Retouradres: Postbus 1024, 1800 BA  Alkmaar",
    )


@pytest.fixture
def recipient() -> Recipient:
    return Recipient(
        name_lines=("De ouders/verzorgers van", "Zoë Çelik-van den Brûle"),
        street="Kanaalkade",
        house_number="112 A",
        postcode="1811lb",
        city="Alkmaar",
        salutation="Geachte mevrouw Çelik, geachte heer Van den Brûle",
    )


@pytest.fixture
def merge_data() -> dict:
    return sample_merge_data()


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
