"""Fixtures for the letter engine: a letterhead, an addressee, sample merge data, PDF text."""

from __future__ import annotations

import pytest

from pestdesk.letters import Letterhead, Recipient, sample_merge_data


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
