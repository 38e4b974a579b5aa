"""The school's helplines: seeded once from its protocol, then the school's own list."""

from __future__ import annotations

import pytest

from pestdesk.domain.protocol import get_protocol
from pestdesk.services import helplines
from pestdesk.services.base import SYSTEM, Actor, Conflict, ServiceError
from pestdesk.services.settings import SchoolProfile, save_school_profile
from pestdesk.store.models import AuditLog, Helpline

ADMIN = Actor(None, "beheer", None, frozenset({"beheerder"}))


def names() -> list[str]:
    return [h.name for h in helplines.list_helplines()]


def test_seeded_on_first_use_from_the_schools_protocol(db):
    save_school_profile(SYSTEM, SchoolProfile(name="Dalton", protocol_code="dalton-alkmaar"))
    preset = get_protocol("dalton-alkmaar").helplines
    assert names() == [h.name for h in preset]
    assert names() == [h.name for h in preset]  # not seeded twice
    kinder = Helpline.get(Helpline.name == "De Kindertelefoon")
    assert kinder.phone == "0800-0432" and kinder.url.startswith("https://")
    seed = AuditLog.get(AuditLog.action == "seed")
    assert seed.detail == f"protocol=dalton-alkmaar,count={len(preset)}"


def test_add_edit_remove_are_versioned_and_audited(db):
    before = len(names())
    line = helplines.add_helpline(ADMIN, "Jeugdteam Alkmaar", "jeugdhulp in de gemeente",
                                  phone="072 - 548 88 00", url="jeugdteam.alkmaar.nl")
    assert line.url == "https://jeugdteam.alkmaar.nl"
    assert len(names()) == before + 1
    edited = helplines.edit_helpline(ADMIN, line.id, line.version, phone="072-5488800")
    assert (edited.phone, edited.version) == ("072-5488800", 2)
    with pytest.raises(Conflict):
        helplines.edit_helpline(ADMIN, line.id, line.version, topic="oud scherm")
    with pytest.raises(Conflict):
        helplines.remove_helpline(ADMIN, line.id, line.version)
    helplines.remove_helpline(ADMIN, line.id, edited.version)
    assert "Jeugdteam Alkmaar" not in names()
    actions = [(a.action, a.table) for a in AuditLog.select().order_by(AuditLog.id)
               if a.table == "helpline"]
    assert actions == [("seed", "helpline"), ("create", "helpline"), ("update", "helpline"),
                       ("delete", "helpline")]


def test_get_helpline_reads_the_stored_version_and_refuses_a_removed_line(db):
    line = helplines.add_helpline(ADMIN, "Jeugdteam", phone="072-5488800")
    helplines.edit_helpline(ADMIN, line.id, line.version, topic="jeugdhulp")
    read = helplines.get_helpline(line.id)
    assert (read.topic, read.version) == ("jeugdhulp", 2)
    helplines.remove_helpline(ADMIN, line.id, read.version)
    with pytest.raises(ServiceError):
        helplines.get_helpline(line.id)


def test_removing_every_line_does_not_bring_the_preset_back(db):
    for line in list(helplines.list_helplines()):
        helplines.remove_helpline(ADMIN, line.id, line.version)
    assert names() == []


def test_only_the_care_coordinator_or_beheerder_keeps_the_list(db):
    mentor = Actor(None, "mentor", None, frozenset({"mentor"}))
    line = next(iter(helplines.list_helplines()))
    with pytest.raises(ServiceError):
        helplines.add_helpline(mentor, "Eigen lijn", phone="0800-1234")
    with pytest.raises(ServiceError):
        helplines.edit_helpline(mentor, line.id, line.version, phone="0800-1234")
    with pytest.raises(ServiceError):
        helplines.remove_helpline(mentor, line.id, line.version)
    assert Helpline.get_by_id(line.id).phone == line.phone
    coordinator = Actor(None, "zorg", None, frozenset({"ondersteuningscoordinator"}))
    helplines.add_helpline(coordinator, "Eigen lijn", phone="0800-1234")
    assert "Eigen lijn" in names()


def test_bad_input_is_refused_with_field_messages(db):
    with pytest.raises(helplines.HelplineError) as info:
        helplines.add_helpline(ADMIN, " ", phone="", url="")
    assert set(info.value.problems) == {"name", "phone"}
    with pytest.raises(helplines.HelplineError) as info:
        helplines.add_helpline(ADMIN, "Iets", phone="bel maar", url="geen adres")
    assert set(info.value.problems) == {"phone", "url"}
    line = next(iter(helplines.list_helplines()))
    with pytest.raises(helplines.HelplineError):
        helplines.edit_helpline(ADMIN, line.id, line.version, name="")
    assert Helpline.get_by_id(line.id).name == line.name
