"""PostNL address formatting and validation."""

from __future__ import annotations

import pytest

from pestdesk.letters import Recipient, address_lines, normalise_postcode, validate_address


@pytest.mark.parametrize("raw", ["1811lb", "1811 lb", "1811LB", " 1811  Lb "])
def test_postcode_is_normalised_to_four_digits_space_two_capitals(raw):
    assert normalise_postcode(raw) == "1811 LB"


@pytest.mark.parametrize("raw", ["0811 LB", "181 LB", "1811 L", "1811 SS", "ABCD EF", ""])
def test_impossible_postcodes_are_rejected(raw):
    assert normalise_postcode(raw) is None


def test_dutch_address_block_has_two_spaces_before_town_in_capitals(recipient):
    assert address_lines(recipient) == [
        "De ouders/verzorgers van",
        "Zoë Çelik-van den Brûle",
        "Kanaalkade 112 A",
        "1811 LB  ALKMAAR",
    ]


def test_town_with_apostrophe_and_ij_is_capitalised():
    r = Recipient(("Fam. De Wit",), "Markt", "1", "5211 jx", "'s-Hertogenbosch")
    assert address_lines(r)[-1] == "5211 JX  'S-HERTOGENBOSCH"
    r = Recipient(("Fam. De Wit",), "Dorpsweg", "3", "1693ab", "IJsselmonde")
    assert address_lines(r)[-1] == "1693 AB  IJSSELMONDE"


def test_foreign_address_ends_with_country_in_capitals():
    r = Recipient(("Famille Łukasz",), "Rue Neuve", "12", "1000", "Bruxelles", "België")
    assert address_lines(r) == ["Famille Łukasz", "Rue Neuve 12", "1000 BRUXELLES", "BELGIË"]
    assert validate_address(r) == []


def test_valid_address_has_no_problems(recipient):
    assert validate_address(recipient) == []


def test_missing_parts_and_bad_postcode_are_reported_not_raised():
    r = Recipient(("Fam. Jansen",), street="", house_number="", postcode="12345", city="")
    fields = {p.field for p in validate_address(r)}
    assert {"street", "city", "postcode", "house_number"} <= fields
    assert address_lines(r)  # still formats what there is


def test_missing_postcode_is_reported():
    r = Recipient(("Fam. Jansen",), "Laan", "1", "", "Alkmaar")
    assert [p.field for p in validate_address(r)] == ["postcode"]


def test_too_many_lines_is_reported():
    r = Recipient(tuple(f"regel {i}" for i in range(6)), "Laan", "1", "1811LB", "Alkmaar")
    assert any(p.field == "name_lines" for p in validate_address(r))
