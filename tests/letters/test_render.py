"""Rendered PDFs, read back: content, diacritics, window position, determinism, pages."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics

from pestdesk.letters import (
    AddressDoesNotFit,
    LetterJob,
    Recipient,
    Template,
    WindowSettings,
    load_template,
    preflight,
    render_batch,
    render_letter,
    render_test_print,
    shipped_templates,
)
from pestdesk.letters.layout import FONT
from tests.helpers.letters import LETTER_DATE, pdf_pages_text, pdf_text, text_runs


def render(code, merge_data, recipient, letterhead, lang="nl", **kw):
    return render_letter(
        load_template(code, lang),
        merge_data,
        recipient,
        letterhead,
        lang=lang,
        letter_date=LETTER_DATE,
        **kw,
    )


def test_letter_holds_names_date_case_number_and_signatory(merge_data, recipient, letterhead):
    text = pdf_text(render("uitnodiging_gesprek", merge_data, recipient, letterhead))
    assert "Alkmaar, 24 november 2026" in text
    assert "2026-0017" in text
    assert "Zoë Çelik-van den Brûle" in text
    assert "drs. M.J. de Vries" in text
    assert "ondersteuningscoördinator" in text
    assert "Geachte mevrouw Çelik, geachte heer Van den Brûle," in text
    assert "dinsdag 1 december 2026" in text
    assert "Scholengemeenschap De Wierde" in text


def test_english_letter_has_english_date_and_words(merge_data, recipient, letterhead):
    text = pdf_text(render("uitnodiging_gesprek", merge_data, recipient, letterhead, "en"))
    assert "Alkmaar, 24 November 2026" in text
    assert "Tuesday 1 December 2026" in text
    assert "Reference" in text and "page 1 of 1" in text


def test_diacritics_survive(merge_data, recipient, letterhead):
    merge_data["student"].update(roepnaam="Zoë", achternaam="Çelik-van den Brûle ĳ Łódź ï é")
    text = pdf_text(render("schorsing", merge_data, recipient, letterhead))
    assert "Zoë Çelik-van den Brûle ĳ Łódź ï é" in text


def test_address_block_lies_inside_the_envelope_window(merge_data, recipient, letterhead):
    window = WindowSettings()
    pdf = render("schorsing", merge_data, recipient, letterhead, window=window)
    x0, y0, x1, y1 = window.rect_pt
    expected = [
        "De ouders/verzorgers van",
        "Zoë Çelik-van den Brûle",
        "Kanaalkade 112 A",
        "1811 LB  ALKMAAR",
    ]
    runs = {text: (x, y, size) for text, x, y, size in text_runs(pdf)}
    for line in expected:
        assert line in runs, line
        x, y, size = runs[line]
        width = pdfmetrics.stringWidth(line, FONT, size)
        assert x0 < x and x + width < x1, line
        assert y0 < y - 0.25 * size and y + size < y1, line
    # and in order, top to bottom
    ys = [runs[line][1] for line in expected]
    assert ys == sorted(ys, reverse=True)


def test_address_follows_a_moved_window(merge_data, recipient, letterhead):
    window = WindowSettings(left_mm=110, top_mm=50, width_mm=85, height_mm=40)
    pdf = render("schorsing", merge_data, recipient, letterhead, window=window)
    x0, y0, x1, y1 = window.rect_pt
    [(x, y)] = [(x, y) for t, x, y, _s in text_runs(pdf) if t == "1811 LB  ALKMAAR"]
    assert x0 < x < x1 and y0 < y < y1


def test_address_that_does_not_fit_raises_a_clear_error(merge_data, letterhead):
    long = Recipient(
        ("De ouders/verzorgers van Alexandra-Gwendolyn Çelik-van den Brûle-Hoogeveen",),
        "Laan",
        "1",
        "1811 LB",
        "Alkmaar",
    )
    with pytest.raises(AddressDoesNotFit, match="mm"):
        render("schorsing", merge_data, long, letterhead)
    many = Recipient(tuple(f"regel {i}" for i in range(7)), "Laan", "1", "1811 LB", "Alkmaar")
    with pytest.raises(AddressDoesNotFit):
        render("schorsing", merge_data, many, letterhead)


def test_same_input_gives_identical_bytes(merge_data, recipient, letterhead):
    first = render("contract", merge_data, recipient, letterhead)
    second = render("contract", merge_data, recipient, letterhead)
    assert first == second
    other = render("contract", merge_data, recipient, letterhead, lang="en")
    assert other != first


def test_render_does_not_change_the_merge_data(merge_data, recipient, letterhead):
    before = repr(merge_data)
    render("verwijzing", merge_data, recipient, letterhead)
    assert repr(merge_data) == before


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("code", [t.code for t in shipped_templates()])
def test_every_shipped_template_renders(code, lang, merge_data, recipient, letterhead):
    pdf = render(code, merge_data, recipient, letterhead, lang)
    text = pdf_text(pdf)
    assert pdf.startswith(b"%PDF")
    assert "Zoë" in text and "2026-0017" in text
    assert "{{" not in text and "{%" not in text and "**" not in text


@pytest.mark.parametrize("code", [t.code for t in shipped_templates()])
def test_every_shipped_template_renders_with_no_data_at_all(code, letterhead):
    pdf = render_letter(load_template(code), {}, None, letterhead, letter_date=LETTER_DATE)
    assert "24 november 2026" in pdf_text(pdf)


def test_multi_page_letter_numbers_every_page_and_repeats_footer(merge_data, recipient, letterhead):
    long_story = "\n\n".join(f"Alinea {i}: " + "Dit is een lange zin. " * 30 for i in range(12))
    merge_data["case"]["omschrijving"] = long_story
    pages = pdf_pages_text(render("informeren_ouders_gepeste", merge_data, recipient, letterhead))
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        assert f"pagina {number} van {len(pages)}" in page
        assert "Wierdelaan 4, Alkmaar" in page
        assert "Scholengemeenschap De Wierde" in page
    assert "Kenmerk 2026-0017" in pages[1]  # continuation header


def test_contract_has_signature_lines_for_student_and_each_parent(
    merge_data, recipient, letterhead
):
    text = pdf_text(render("contract", merge_data, recipient, letterhead))
    for word in (
        "Ondertekening",
        "Leerling",
        "Ouder/verzorger",
        "Handtekening",
        "Datum",
        "Aylin Çelik",
        "Joost van den Brûle",
        "Namens de school",
    ):
        assert word in text
    assert text.count("Handtekening") == 4
    assert "Ik scheld niet, bedreig niemand en sluit niemand buiten." in text


def test_suspension_letter_states_inspectorate_only_for_more_than_one_day(
    merge_data, recipient, letterhead
):
    text = " ".join(pdf_text(render("schorsing", merge_data, recipient, letterhead)).split())
    assert "van woensdag 25 november 2026 tot en met donderdag 26 november 2026" in text
    assert "Inspectie van het Onderwijs" in text
    merge_data["sanction"].update(dagen=1, laatste_dag=merge_data["sanction"]["eerste_dag"])
    text = " ".join(pdf_text(render("schorsing", merge_data, recipient, letterhead)).split())
    assert "geldt voor woensdag 25 november 2026" in text
    assert "Inspectie" not in text


def test_cyber_advice_variant_follows_the_kind(merge_data, recipient, letterhead):
    merge_data["cyber"]["soort"] = "grooming"
    text = pdf_text(render("advies_cyber", merge_data, recipient, letterhead))
    assert "Blokkeer de persoon niet" in text and "politie" in text
    merge_data["cyber"]["soort"] = "discriminatie"
    text = pdf_text(render("advies_cyber", merge_data, recipient, letterhead))
    assert "Blokkeer de persoon niet" not in text and "discriminatie.nl" in text


def test_expulsion_decision_mentions_objection_term_and_dispute_committee(
    merge_data, recipient, letterhead
):
    merge_data["sanction"].pop("bezwaar")
    text = " ".join(pdf_text(render("verwijdering", merge_data, recipient, letterhead)).split())
    assert "binnen zes weken" in text
    assert "Geschillencommissie passend onderwijs" in text
    assert "Stichting Voortgezet Onderwijs Noord-Kennemerland" in text


def test_batch_reports_progress_and_can_be_cancelled(merge_data, recipient, letterhead):
    job = LetterJob(load_template("schorsing"), merge_data, recipient, letterhead, LETTER_DATE)
    seen = []
    out = render_batch([job] * 3, progress=lambda done, total: seen.append((done, total)))
    assert len(out) == 3 and seen == [(1, 3), (2, 3), (3, 3)]
    assert out[0] == out[2]
    assert len(render_batch([job] * 3, progress=lambda done, total: False)) == 1


def test_preflight_lists_missing_values_and_address_problems(letterhead):
    bad = Recipient(("Fam. Jansen",), "", "", "12", "Alkmaar")
    warnings = preflight(
        load_template("schorsing"),
        {"student": {"roepnaam": "Tim"}},
        bad,
        letterhead,
        letter_date=LETTER_DATE,
    )
    assert any("sanction.reden" in w for w in warnings)
    assert any("12" in w for w in warnings)  # bad postcode


def test_preflight_is_empty_for_complete_data(merge_data, recipient, letterhead):
    for template in shipped_templates():
        assert (
            preflight(template, merge_data, recipient, letterhead, letter_date=LETTER_DATE) == []
        ), template.code


def test_test_print_shows_the_sample_address_inside_the_window():
    window = WindowSettings(left_mm=15, top_mm=50, width_mm=95, height_mm=40)
    pdf = render_test_print(window)
    x0, y0, x1, y1 = window.rect_pt
    runs = text_runs(pdf)
    [(x, y)] = [(x, y) for t, x, y, _s in runs if t == "1811 LB  ALKMAAR"]
    assert x0 < x < x1 and y0 < y < y1
    assert "15 mm" in pdf_text(pdf)


def test_window_outside_the_page_is_refused(merge_data, recipient, letterhead):
    with pytest.raises(ValueError):
        render("schorsing", merge_data, recipient, letterhead, window=WindowSettings(left_mm=180))


def test_logo_is_drawn(tmp_path, merge_data, recipient, letterhead):
    from PIL import Image

    logo = tmp_path / "logo.png"
    Image.new("RGB", (200, 80), (31, 78, 121)).save(logo)
    with_logo = dataclasses.replace(letterhead, logo_path=logo)
    pdf = render("schorsing", merge_data, recipient, with_logo)
    assert b"/Subtype /Image" in pdf or b"/Image" in pdf
    assert pdf == render("schorsing", merge_data, recipient, with_logo)


def test_missing_template_language_is_refused(merge_data, recipient, letterhead):
    only_nl = Template.from_text(load_template("schorsing").to_text().split("\n[en]")[0])
    with pytest.raises(LookupError):
        render_letter(
            only_nl, merge_data, recipient, letterhead, lang="en", letter_date=dt.date(2026, 1, 1)
        )


def test_window_settings_default_matches_a_dutch_window_envelope():
    w = WindowSettings()
    assert (w.left_mm, w.top_mm, w.width_mm, w.height_mm) == (20, 45, 90, 35)
    x0, y0, x1, y1 = w.rect_pt
    assert round(x1 - x0) == round(90 * mm)


def test_cyber_advice_follows_the_police_report_and_the_blocking(merge_data, recipient,
                                                                 letterhead):
    merge_data["cyber"].update(soort="stalking", aangifte="gepland", blokkeren="wachten")
    text = " ".join(pdf_text(render("advies_cyber", merge_data, recipient, letterhead)).split())
    assert "Nog niet blokkeren" in text and "Er wordt aangifte gedaan" in text
    assert "Blokkeer de afzender en meld" not in text
    assert "Wij adviseren u aangifte te doen" not in text  # it is planned already
    merge_data["cyber"].update(aangifte="niet_gewenst", blokkeren="ja")
    text = " ".join(pdf_text(render("advies_cyber", merge_data, recipient, letterhead)).split())
    assert "Blokkeer de afzender en meld" in text and "Nog niet blokkeren" not in text
    merge_data["cyber"].update(soort="", aangifte="gedaan", blokkeren="wachten")
    text = " ".join(pdf_text(render("advies_cyber", merge_data, recipient, letterhead)).split())
    assert "Er is aangifte gedaan" in text and "Blokkeer de afzender en meld" not in text


@pytest.mark.parametrize("kind", ["sexting", "grooming"])
def test_no_screenshot_advice_for_sexting_and_grooming(merge_data, recipient, letterhead,
                                                       kind):
    merge_data["cyber"].update(soort=kind, aangifte="geen",
                               blokkeren="nee" if kind == "grooming" else "ja")
    text = " ".join(pdf_text(render("advies_cyber", merge_data, recipient, letterhead))
                    .split()).lower()
    assert "schermafbeelding" not in text and "schermafdruk" not in text
    assert "ook niet als bewijs" in text


@pytest.mark.parametrize("template", ["schorsing", "schorsing_verlengd"])
def test_the_suspension_letter_says_the_inspectorate_was_told_only_once_it_was(
        merge_data, recipient, letterhead, template):
    merge_data["sanction"].update(dagen=3, inspectie_gemeld="nee")
    text = " ".join(pdf_text(render(template, merge_data, recipient, letterhead)).split())
    assert "op de hoogte gesteld" not in text
    assert "melden wij de" in text and "Inspectie van het Onderwijs" in text
    merge_data["sanction"].update(inspectie_gemeld="ja")
    text = " ".join(pdf_text(render(template, merge_data, recipient, letterhead)).split())
    assert "op de hoogte gesteld" in text


def test_a_letter_just_too_long_is_set_tighter_instead_of_a_page_for_the_closing(
        merge_data, recipient, letterhead):
    from pestdesk.letters import render as R

    template = load_template("informeren_ouders_gepeste")
    sentence = "Wij hebben met uw kind gesproken over wat er in de klas gebeurde. "
    fitted = None
    for n in range(1, 60):
        merge_data["case"]["omschrijving"] = sentence * n
        args = (template, merge_data, recipient, letterhead, "nl", LETTER_DATE,
                WindowSettings())
        _pdf, loose = R._render_letter(*args, compact=False)
        if loose == 2:
            fitted = render("informeren_ouders_gepeste", merge_data, recipient, letterhead)
            break
    assert fitted is not None, "no length found that runs just onto a second page"
    pages = pdf_pages_text(fitted)
    assert len(pages) == 1 and "Met vriendelijke groet" in pages[0]  # one page, closing on it
    merge_data["case"]["omschrijving"] = sentence * 120  # really long: two pages stay
    assert len(pdf_pages_text(render("informeren_ouders_gepeste", merge_data, recipient,
                                     letterhead))) >= 2
