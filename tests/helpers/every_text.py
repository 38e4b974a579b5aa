"""A case with a row of every kind people write free text into, and a way to write one text
into every such column (``services.names.FREE_TEXT``): for the AVG export and the purge."""

from __future__ import annotations

import datetime as dt
import json

from pestdesk.domain.sanctions import Hearing
from pestdesk.services import cases, contracts, meetings, names, sanctions
from pestdesk.services.base import write
from pestdesk.services.cases import AgreementInput
from pestdesk.store import models as m
from tests.helpers.casework import CaseSetup

D = dt.date


def fill_case(setup: CaseSetup) -> None:
    """Rows of every free-text kind in the set-up's case, made through the services."""
    cases.add_note(setup.actor, setup.case_id, "Notitie", on=D(2026, 9, 20))
    cases.add_agreement(setup.actor, setup.case_id, AgreementInput("Afspraak"))
    contracts.make_contract(setup.actor, setup.case_id, setup.pester_id, made_on=D(2026, 10, 1),
                            move_reason="Teruggevallen")
    sanctions.decide_suspension(
        setup.actor, setup.case_id, setup.pester_id, first_day=D(2026, 10, 13),
        decided_on=D(2026, 10, 12), school_days=1, reason="Bedreiging",
        decided_by=setup.staff_id, hearing=Hearing(D(2026, 10, 12), ("ouders",), "Gehoord."),
        consultation=sanctions.Consultation(D(2026, 10, 12), "adjunct-directeur"),
        move_reason="Ernstige bedreiging")
    meeting = meetings.plan_meeting(
        setup.actor, kind="OT", starts_at=dt.datetime(2026, 10, 20, 14, 0, tzinfo=dt.UTC),
        place="Kamer 1", externals=[meetings.External("K. Dekker", "other")])
    item = meetings.add_item(setup.actor, meeting.id, setup.case_id, "Hoe verder?")
    meetings.add_action(setup.actor, item.id, description="Bellen", owner_id=setup.staff_id,
                        due_on=D(2026, 10, 27))
    with write():
        for student in (setup.victim_id, setup.pester_id):
            m.Letter.create(case=setup.case_id, student=student, template_code="t",
                            recipient="Ouders", merge_data="{}", pdf=b"%PDF-1.4", sha256="x")
    cases.add_attachment(setup.actor, setup.case_id, "bewijs.txt", b"chat", "text/plain",
                         "Chat")


def write_everywhere(text: str) -> None:
    """``text`` into every free-text column of every row (JSON columns: as a JSON string)."""
    with write():
        for model, fields in names.FREE_TEXT.items():
            assert model.select().exists(), model  # else the check could not fail
            for field in fields:
                value = text
                if (model, field) in names.JSON_TEXT:
                    value = json.dumps([{"name": text, "role": "other"}] if model is m.Meeting
                                       else {"tekst": text, "lijst": [text]})
                model.update({getattr(model, field): value}).execute()
