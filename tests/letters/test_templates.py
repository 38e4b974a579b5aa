"""Template file format, save-time validation with positions, shipped templates."""

from __future__ import annotations

import pytest

from pestdesk.letters import (
    MERGE_FIELDS,
    Template,
    TemplateError,
    TemplateNotFound,
    load_template,
    shipped_templates,
    validate_template,
)

EXPECTED_CODES = {
    "uitnodiging_gesprek",
    "informeren_ouders_gepeste",
    "informeren_ouders_pester",
    "vervolgtraject",
    "contract",
    "schorsing",
    "schorsing_verlengd",
    "voornemen_verwijdering",
    "verwijdering",
    "verwijzing",
    "advies_cyber",
    "recidive_ouders_gepeste",
    "recidive_ouders_pester",
}

GOOD = """code = "proef"
version = 2

[nl]
title = "Proef"
subject = "Over {{ student.roepnaam }}"
body = \'\'\'
Eerste alinea over {{ student.volledige_naam }}.

{% if sanction.reden %}
Reden: {{ sanction.reden }}
{% endif %}
\'\'\'
"""


def test_good_template_has_no_problems_and_loads():
    assert validate_template(GOOD) == []
    template = Template.from_text(GOOD)
    assert template.code == "proef" and template.version == 2
    assert template.languages == ("nl",)
    assert template.variant("nl").subject == "Over {{ student.roepnaam }}"


def test_unknown_field_is_refused_with_line_and_column():
    text = GOOD.replace("{{ student.volledige_naam }}", "{{ student.voornaam }}")
    problems = validate_template(text)
    assert len(problems) == 1
    p = problems[0]
    assert (p.line, p.column) == (8, 23)  # the field name after "Eerste alinea over {{ "
    assert "student.voornaam" in p.message
    assert p.part == "nl.body"
    with pytest.raises(TemplateError) as info:
        Template.from_text(text)
    assert info.value.problems == problems


def test_unknown_field_in_single_line_string_has_its_column():
    text = GOOD.replace('"Over {{ student.roepnaam }}"', '"Over {{ leerling.naam }}"')
    [p] = validate_template(text)
    assert (p.line, p.column) == (6, 20)


def test_unknown_field_message_suggests_the_close_name():
    text = GOOD.replace("student.roepnaam", "student.roepnam")
    [p] = validate_template(text)
    assert "student.roepnaam" in p.message.split(".", 1)[1]


def test_unclosed_placeholder_is_refused_at_its_opening():
    text = GOOD.replace("{{ student.volledige_naam }}", "{{ student.volledige_naam")
    [p] = validate_template(text)
    assert (p.line, p.column) == (8, 20)
    assert "{{" in p.message and "}}" in p.message


def test_unclosed_block_is_refused_at_the_if():
    text = GOOD.replace("{% endif %}\n", "")
    [p] = validate_template(text)
    assert (p.line, p.column) == (10, 1)
    assert "endif" in p.message


def test_stray_endif_and_unknown_tag_are_refused():
    assert validate_template(GOOD.replace("{% if sanction.reden %}", ""))[0].line == 12
    assert validate_template(GOOD.replace("{% if sanction.reden %}", "{% iff x %}"))


def test_toml_syntax_error_has_its_position():
    text = GOOD.replace("version = 2", "version 2")
    [p] = validate_template(text)
    assert p.line == 2


def test_missing_required_parts_and_unknown_keys_are_reported():
    text = GOOD.replace('title = "Proef"\n', 'titel = "Proef"\n')
    messages = [p.message for p in validate_template(text)]
    assert any("titel" in m for m in messages)
    assert any("title" in m for m in messages)
    assert validate_template(GOOD.replace('code = "proef"', 'code = "Proef Brief"'))


def test_bad_signatures_are_reported():
    text = GOOD.replace("version = 2", 'version = 2\nsignatures = ["oma"]')
    assert [p.line for p in validate_template(text)] == [3]


def test_template_object_is_validated_per_part():
    template = Template.from_text(GOOD)
    assert validate_template(template) == []
    broken = Template(
        template.code,
        1,
        {"nl": template.variant("nl").__class__(title="t", subject="s", body="a\nb {{ x.y }}")},
    )
    [p] = validate_template(broken)
    assert (p.line, p.column, p.part) == (2, 6, "nl.body")


def test_to_text_round_trips():
    for template in shipped_templates():
        again = Template.from_text(template.to_text())
        assert again == template
    odd = Template(
        "x",
        1,
        {
            "nl": Template.from_text(GOOD)
            .variant("nl")
            .__class__(
                title='Met "aanhalingstekens" \\ en', subject="s", body="a '''\nb'", closing=""
            )
        },
    )
    assert Template.from_text(odd.to_text()) == odd


def test_every_expected_template_is_shipped_in_dutch_and_english():
    templates = {t.code: t for t in shipped_templates()}
    assert set(templates) == EXPECTED_CODES
    for template in templates.values():
        assert template.languages == ("nl", "en")
        assert template.used_fields("nl") <= set(MERGE_FIELDS)


@pytest.mark.parametrize("code", sorted(EXPECTED_CODES))
def test_every_shipped_template_file_validates(code):
    from pestdesk.paths import TEMPLATES_DIR

    assert validate_template((TEMPLATES_DIR / f"{code}.toml").read_text("utf-8")) == []


def test_load_template_finds_school_copy_first(tmp_path):
    school = GOOD.replace('"proef"', '"schorsing"').replace("version = 2", "version = 90")
    (tmp_path / "schorsing.toml").write_text(school, "utf-8")
    assert load_template("schorsing", "nl", search_dirs=[tmp_path]).version == 90
    assert load_template("schorsing", "nl").version < 90  # the shipped one


def test_load_template_refuses_unknown_code_and_language():
    with pytest.raises(TemplateNotFound):
        load_template("bestaat_niet")
    with pytest.raises(TemplateNotFound):
        load_template("../etc/passwd")
    with pytest.raises(TemplateNotFound):
        load_template("schorsing", "de")


def test_suspension_templates_cover_the_required_elements():
    for code in ("schorsing", "schorsing_verlengd"):
        for lang in ("nl", "en"):
            used = load_template(code, lang).used_fields(lang)
            assert {
                "sanction.reden",
                "sanction.eerste_dag",
                "sanction.laatste_dag",
                "sanction.schoolwerk",
                "sanction.bezwaar",
                "meeting.datum",
            } <= used


def test_every_merge_field_has_a_description():
    assert all(isinstance(d, str) and d for d in MERGE_FIELDS.values())


def test_readme_documents_every_merge_field_and_filter():
    from pestdesk.letters import FILTERS
    from pestdesk.paths import TEMPLATES_DIR

    readme = (TEMPLATES_DIR / "README.md").read_text("utf-8")
    for name in [*MERGE_FIELDS, *FILTERS]:
        assert f"`{name}`" in readme, name
    for code in EXPECTED_CODES:
        assert f"`{code}`" in readme, code
