"""The protocol presets load, and a broken protocol file is refused with file, line and field."""

from __future__ import annotations

import pytest

from pestdesk.domain.protocol import (
    ProtocolError,
    UnknownProtocol,
    builtin_protocols,
    get_protocol,
    load_protocol,
    parse_protocol,
)
from pestdesk.domain.taxonomy import LETTERS, STANDARD_ROLES
from pestdesk.paths import PROTOCOLS_DIR

DOUL_SOURCE = (PROTOCOLS_DIR / "doultremont.toml").read_text(encoding="utf-8")


def replace_nth(text: str, old: str, new: str, nth: int = 1) -> str:
    """Replace the nth occurrence of ``old`` (1-based); fail loudly if there is none."""
    start = -1
    for _i in range(nth):
        start = text.index(old, start + 1)
    return text[:start] + new + text[start + len(old) :]


def line_of(text: str, snippet: str, nth: int = 1) -> int:
    start = -1
    for _i in range(nth):
        start = text.index(snippet, start + 1)
    return text.count("\n", 0, start) + 1


def refused(source: str) -> ProtocolError:
    with pytest.raises(ProtocolError) as info:
        parse_protocol(source, "school.toml")
    return info.value


def assert_points_at(error: ProtocolError, line: int, field: str) -> None:
    assert error.line == line, str(error)
    assert error.field == field, str(error)
    message = str(error)
    assert message.startswith("school.toml, "), message
    assert f" {line}:" in message
    assert field in message


# --- the presets -------------------------------------------------------------------------------


def test_both_presets_load():
    protocols = builtin_protocols()
    assert set(protocols) == {"doultremont", "dalton-alkmaar"}
    for protocol in protocols.values():
        assert protocol.stages[0].code == "mentor"
        assert protocol.stages[0].steps[0].code == "gesprek_gepeste"
        assert protocol.helplines and protocol.cyber.items


def test_doultremont_has_the_full_ladder_in_order():
    protocol = get_protocol("doultremont")
    assert [s.code for s in protocol.stages] == [
        "mentor",
        "afdelingscoordinator",
        "contract",
        "schorsing_1_dag",
        "schorsing_verlengd",
        "izo",
        "ot",
        "act_opdc",
        "schoolverwijdering",
    ]
    assert protocol.role_title("afdelingscoordinator") == "afdelingscoördinator"
    assert protocol.stage("schorsing_verlengd").role == "directie"
    assert len(protocol.contract.rules) == 8
    assert len(protocol.guide("pester").aims) == 3


def test_dalton_has_its_own_shorter_ladder_and_role_names():
    protocol = get_protocol("dalton-alkmaar")
    assert [s.code for s in protocol.stages] == ["mentor", "afdelingsleider", "ondersteuning"]
    assert protocol.role_title("afdelingscoordinator") == "afdelingsleider"
    assert len(protocol.cyber.items) == 6
    assert [i.title[:2] for i in protocol.cyber.items] == ["1.", "2.", "3.", "4.", "5.", "6."]
    assert protocol.contract is None


@pytest.mark.parametrize("code", ["doultremont", "dalton-alkmaar"])
def test_presets_use_known_letters_and_standard_roles(code):
    protocol = get_protocol(code)
    assert set(protocol.letters()) <= set(LETTERS)
    assert {r.code for r in protocol.roles} == set(STANDARD_ROLES)


def test_doultremont_uses_the_letters_of_the_ladder():
    letters = get_protocol("doultremont").letters()
    for code in (
        "uitnodiging_gesprek",
        "contract",
        "schorsing",
        "schorsing_verlengd",
        "voornemen_verwijdering",
        "verwijdering",
        "advies_cyber",
    ):
        assert code in letters


def test_grooming_track_says_report_at_once_and_do_not_block():
    for code in ("doultremont", "dalton-alkmaar"):
        track = get_protocol(code).cyber.track("grooming")
        assert track.police_report == "direct"
        assert track.block_sender is False
        assert "afzender_blokkeren" in track.skip


def test_helplines_carry_the_current_numbers():
    protocol = get_protocol("doultremont")
    phones = {h.code: h.phone for h in protocol.helplines}
    assert phones["kindertelefoon"] == "0800-0432"
    assert phones["ouders_onderwijs"] == "0800-5010"
    assert phones["discriminatie"] == "0800-0880"
    assert phones["politie"] == "0900-8844"


def test_get_protocol_by_version_and_unknown_code():
    assert get_protocol("doultremont", "2026.1").code == "doultremont"
    with pytest.raises(UnknownProtocol):
        get_protocol("doultremont", "1999.1")
    with pytest.raises(UnknownProtocol):
        get_protocol("nope")


def test_load_protocol_from_a_copied_file(tmp_path):
    copy = tmp_path / "eigen.toml"
    copy.write_text(DOUL_SOURCE.replace('code = "doultremont"', 'code = "eigen"'), "utf-8")
    protocol = load_protocol(copy)
    assert protocol.code == "eigen"
    assert protocol.source == str(copy)


# --- broken files --------------------------------------------------------------------------------


def test_syntax_error_names_line_and_key():
    source = DOUL_SOURCE.replace('version = "2026.1"', "version = 2026.1.1")
    assert_points_at(refused(source), line_of(source, "version = 2026.1.1"), "version")


def test_unknown_role_on_a_stage():
    old = 'role = "afdelingscoordinator"'
    source = replace_nth(DOUL_SOURCE, old, 'role = "afdelingscoordinatr"')
    error = refused(source)
    assert_points_at(error, line_of(source, "afdelingscoordinatr"), "stages[2].role")
    assert "afdelingscoordinatr" in str(error)


def test_duplicate_stage_code():
    source = replace_nth(DOUL_SOURCE, 'code = "afdelingscoordinator"', 'code = "mentor"')
    error = refused(source)
    assert_points_at(error, line_of(source, 'code = "mentor"', 2), "stages[2].code")
    assert "mentor" in str(error)


def test_missing_step_title_points_at_the_step():
    source = DOUL_SOURCE.replace('  title = "Apart gesprek met de pester"\n', "")
    error = refused(source)
    header = line_of(source, "[[stages.steps]]", 2)
    assert_points_at(error, header, "stages[1].steps[2].title")


def test_letter_that_is_not_text():
    source = DOUL_SOURCE.replace('letter = "informeren_ouders_pester"', "letter = 3")
    assert_points_at(refused(source), line_of(source, "letter = 3"), "stages[1].steps[5].letter")


def test_unknown_letter_template():
    source = DOUL_SOURCE.replace('letter = "contract"', 'letter = "contrakt"')
    error = refused(source)
    assert_points_at(error, line_of(source, "contrakt"), "stages[3].steps[3].letter")


def test_unknown_key_is_refused():
    old = '  guide = "pester"\n  due_days = 4'
    source = DOUL_SOURCE.replace(old, '  guide = "pester"\n  due_dayz = 4')
    error = refused(source)
    assert_points_at(error, line_of(source, "due_dayz"), "stages[1].steps[2].due_dayz")
    assert "due_days" in str(error)  # the allowed keys are listed


def test_unknown_top_level_key():
    source = DOUL_SOURCE.replace('student_system = "Magister"', 'leerlingvolgsysteem = "M"')
    assert_points_at(refused(source), line_of(source, "leerlingvolgsysteem"), "leerlingvolgsysteem")


def test_typo_in_a_cyber_track_key():
    source = DOUL_SOURCE.replace("block_sender = false", "block_sendr = false")
    error = refused(source)
    assert_points_at(error, line_of(source, "block_sendr"), "cyber.tracks.grooming.block_sendr")


def test_track_skipping_an_unknown_checklist_item():
    source = DOUL_SOURCE.replace('skip = ["afzender_blokkeren"]', 'skip = ["blokkeren"]')
    error = refused(source)
    assert error.line == line_of(source, 'skip = ["blokkeren"]')
    assert error.field == "cyber.tracks.grooming.skip[1]"


def test_negative_due_days():
    source = DOUL_SOURCE.replace("due_days = 42", "due_days = -1")
    error = refused(source)
    assert error.line == line_of(source, "due_days = -1")
    assert error.field.endswith(".due_days")


def test_helpline_without_phone_or_url():
    old = 'phone = "0800-0432"\nurl = "https://www.kindertelefoon.nl"\n'
    source = DOUL_SOURCE.replace(old, "")
    error = refused(source)
    assert error.field == "helplines[1].phone"
    assert error.line == line_of(source, 'code = "kindertelefoon"') - 1  # the [[helplines]] line


def test_missing_stages():
    start = DOUL_SOURCE.index("[[stages]]")
    end = DOUL_SOURCE.index("# --- cyberpesten")
    error = refused(DOUL_SOURCE[:start] + DOUL_SOURCE[end:])
    assert error.field == "stages"


def test_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes('code = "x"\nname = "coördinator"\n'.encode("latin-1"))
    with pytest.raises(ProtocolError) as info:
        load_protocol(path)
    assert info.value.line == 2
    assert "latin1.toml" in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(ProtocolError) as info:
        load_protocol(tmp_path / "weg.toml")
    assert "weg.toml" in str(info.value)


# --- declared kinds ---------------------------------------------------------------------------


def test_presets_declare_the_kinds_code_acts_on():
    doul = get_protocol("doultremont")
    assert {s.kind for s in doul.stages} >= {"contract", "suspension", "suspension_long", "izo",
                                             "ot", "act", "expulsion"}
    assert doul.stage_of_kind("suspension_long").step_of_kind("consultation") is not None
    assert doul.stage_of_kind("ot").step_of_kind("consent") is not None
    for code in ("doultremont", "dalton-alkmaar"):
        protocol = get_protocol(code)
        conversations = [s for st in protocol.stages for s in st.steps
                         if s.kind == "conversation"]
        assert conversations and all(s.partner for s in conversations)
        assert protocol.guide_with("victim") and protocol.guide_with("bully")


def test_unknown_stage_kind_points_at_the_field():
    source = replace_nth(DOUL_SOURCE, 'kind = "contract"', 'kind = "contrakt"')
    error = refused(source)
    assert_points_at(error, line_of(source, 'kind = "contrakt"'), "stages[3].kind")
    assert "contrakt" in error.message


def test_two_stages_of_one_kind_are_refused():
    source = replace_nth(DOUL_SOURCE, 'kind = "izo"', 'kind = "ot"')
    error = refused(source)
    assert_points_at(error, line_of(source, 'kind = "ot"', 2), "stages[7].kind")


def test_unknown_step_kind_points_at_the_step():
    source = replace_nth(DOUL_SOURCE, 'kind = "hearing"', 'kind = "hoorzitting"')
    error = refused(source)
    assert_points_at(error, line_of(source, 'kind = "hoorzitting"'), "stages[4].steps[1].kind")


def test_a_conversation_says_with_whom():
    source = replace_nth(DOUL_SOURCE, '  with = "victim"\n', "")
    error = refused(source)
    assert error.field == "stages[1].steps[1].with"
    source = replace_nth(DOUL_SOURCE, 'with = "victim"', 'with = "oma"')
    assert refused(source).field == "stages[1].steps[1].with"


def test_with_only_on_a_conversation():
    source = replace_nth(DOUL_SOURCE, '  kind = "hearing"\n',
                         '  kind = "hearing"\n  with = "bully"\n')
    assert refused(source).field == "stages[4].steps[1].with"


def test_a_decision_before_the_hearing_is_refused():
    source = replace_nth(DOUL_SOURCE, 'kind = "hearing"', 'kind = "decision"')
    source = replace_nth(source, 'kind = "decision"', 'kind = "hearing"', 2)
    error = refused(source)
    assert_points_at(error, line_of(source, 'kind = "decision"'), "stages[4].steps[1].kind")
    assert "'besluit'" in error.message  # names the hearing it must follow


def test_checklist_item_kinds_are_declared_and_checked():
    for code in ("doultremont", "dalton-alkmaar"):
        cyber = get_protocol(code).cyber
        assert cyber.item_of_kind("evidence") and cyber.item_of_kind("block_sender")
        assert cyber.item_of_kind("block_sender").waits_for_police
        assert {t.code for t in cyber.tracks if not t.keep_images} == {"sexting", "grooming"}
        assert "schermafdruk" not in cyber.item_of_kind("evidence").advice_no_images
    source = replace_nth(DOUL_SOURCE, 'kind = "evidence"', 'kind = "bewijs"')
    error = refused(source)
    assert_points_at(error, line_of(source, 'kind = "bewijs"'), "cyber.items[1].kind")
    source = replace_nth(DOUL_SOURCE, 'kind = "block_sender"', 'kind = "evidence"')
    assert refused(source).field == "cyber.items[2].kind"  # one item per kind
