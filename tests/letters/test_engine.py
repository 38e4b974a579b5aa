"""The placeholder language: conditions, loops, filters, and rendering that never fails."""

from __future__ import annotations

import datetime as dt

from pestdesk.letters import engine


def fill(text: str, data: dict, lang: str = "nl") -> str:
    parsed = engine.parse(text)
    assert parsed.problems == []
    return engine.render(parsed.nodes, data, lang)


def test_field_is_filled_in_and_missing_field_prints_nothing():
    assert fill("Beste {{ student.roepnaam }}!", {"student": {"roepnaam": "Zoë"}}) == "Beste Zoë!"
    assert fill("Beste {{ student.roepnaam }}!", {}) == "Beste !"


def test_dates_are_long_in_the_letter_language():
    data = {"meeting": {"datum": dt.date(2026, 11, 24)}}
    assert fill("{{ meeting.datum }}", data) == "24 november 2026"
    assert fill("{{ meeting.datum }}", data, "en") == "24 November 2026"
    assert fill("{{ meeting.datum | weekday }}", data) == "dinsdag 24 november 2026"


def test_if_elif_else_picks_the_first_true_branch():
    text = (
        '{% if cyber.soort == "grooming" %}G{% elif cyber.soort == "stalking" %}S'
        "{% else %}O{% endif %}"
    )
    assert fill(text, {"cyber": {"soort": "stalking"}}) == "S"
    assert fill(text, {"cyber": {"soort": "Grooming"}}) == "G"
    assert fill(text, {}) == "O"


def test_numeric_comparison_and_not():
    text = "{% if sanction.dagen > 1 %}meer{% endif %}{% if not sanction.reden %}-{% endif %}"
    assert fill(text, {"sanction": {"dagen": 2}}) == "meer-"
    assert fill(text, {"sanction": {"dagen": "x", "reden": "r"}}) == ""


def test_loop_over_list_and_block_tags_leave_no_empty_lines():
    text = "Lijst:\n{% for h in helplines %}\n- {{ h.naam }}\n{% endfor %}\nEinde"
    data = {"helplines": [{"naam": "A"}, {"naam": "B"}]}
    assert fill(text, data) == "Lijst:\n- A\n- B\nEinde"


def test_loop_over_plain_text_list():
    text = "{% for regel in contract.regels %}[{{ regel }}]{% endfor %}"
    assert fill(text, {"contract": {"regels": ["a", "b"]}}) == "[a][b]"
    assert fill(text, {"contract": {"regels": None}}) == ""


def test_flat_dotted_keys_are_accepted():
    assert fill("{{ student.klas }}", {"student.klas": "2H3"}) == "2H3"


def test_used_fields_are_collected():
    parsed = engine.parse("{{ student.roepnaam }} {% if case.nummer %}x{% endif %}")
    assert parsed.used_fields == {"student.roepnaam", "case.nummer"}


def test_tag_at_the_end_of_a_text_line_keeps_that_lines_newline():
    text = (
        "{% for h in helplines %}\n"
        "- {{ h.naam }}{% if h.telefoon %}, {{ h.telefoon }}{% endif %}\n"
        "{% endfor %}"
    )
    data = {"helplines": [{"naam": "A", "telefoon": "1"}, {"naam": "B"}]}
    assert fill(text, data) == "- A, 1\n- B\n"


def test_indented_standalone_tags_vanish_with_their_line():
    text = "a\n  {% if case.nummer %}\n  b\n  {% endif %}\nc"
    assert fill(text, {}) == "a\nc"
