"""A realistic, reproducible demo school (fictional people) for trying pestdesk out.

Dutch names with tussenvoegsels and diacritics, classes per leerjaar with mentors, guardians
(some at two addresses), staff in every role, and years of cases in every stage of the
ladder with conversations, agreements, contracts, suspensions, meetings and letters.
Built with bulk inserts in one transaction: ``--students 2000 --years 10`` (about 12,000
cases and 150,000 timeline entries) takes well under a minute.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import random
from collections.abc import Iterable

from .. import clock
from ..store import models as m
from ..store.dialect import after_explicit_ids
from ..store.models import database, utcnow
from .accounts import DEMO_PASSWORD
from .base import SYSTEM, audit, write
from .people import sort_name_for
from .settings import PROFILE_KEY

AGREEMENTS = (
    "{p} laat {v} met rust in de pauze; de mentor vraagt {v} elke week hoe het gaat.",
    "{v} meldt elk voorval meteen bij de mentor; vervolggesprek over twee weken.",
    "Klassengesprek over de omgangsregels; de mentor evalueert met de klas.",
    "{p} verwijdert de berichten over {v} en plaatst niets meer in de groepsapp.",
    "{v} en {p} zitten niet meer naast elkaar; evaluatie na drie weken.",
    "De ouders van {p} worden elke vrijdag kort op de hoogte gebracht.",
    "{p} biedt {v} excuses aan in bijzijn van de mentor.",
)
MINUTES = (
    "Besproken wat de school al deed; de ouders zijn betrokken en werken mee.",
    "Het pesten is minder geworden maar niet gestopt; leerling voelt zich nog onveilig.",
    "Leerplicht en jeugdarts lichten toe wat zij kunnen bieden.",
)
DECISIONS = (
    "Aanmelden bij schoolmaatschappelijk werk.",
    "Gesprek met ouders en leerling over een sociale vaardigheidstraining.",
    "Over zes weken terug op de agenda.",
)
ACTIONS = (
    "Ouders bellen over het besluit van het overleg",
    "Aanmelding schoolmaatschappelijk werk versturen",
    "Terugkoppeling aan de mentor",
    "Verslag delen met de afdelingsleider",
)
FIRST_NAMES = (
    "Daan Sem Levi Lucas Finn Milan Bram Thijs Jesse Noah Luuk Sven Ruben Daniël Raphaël Joël "
    "Mohammed Ayoub Youssef Mehmet Emre Ömer Tim Niels Stijn Gijs Teun Koen Jurre Mats Siem "
    "Emma Julia Sophie Tess Zoë Sanne Fleur Eline Anouk Lotte Noor Chloë Anaïs Maud Isa Femke "
    "Lieke Roos Yasmina Fatima Aya Elif Çağla Özlem Mila Nina Sara Jasmijn Floor Mirte Benthe"
).split()
LAST_NAMES = [
    ("", "Jansen"),
    ("de", "Vries"),
    ("van den", "Berg"),
    ("van der", "Meer"),
    ("de", "Jong"),
    ("", "Bakker"),
    ("", "Visser"),
    ("", "Smit"),
    ("", "Meijer"),
    ("de", "Boer"),
    ("", "Mulder"),
    ("de", "Groot"),
    ("", "Bos"),
    ("", "Vos"),
    ("", "Peters"),
    ("", "Hendriks"),
    ("van", "Leeuwen"),
    ("", "Dekker"),
    ("", "Brouwer"),
    ("de", "Wit"),
    ("", "Dijkstra"),
    ("", "Smits"),
    ("de", "Graaf"),
    ("van der", "Linden"),
    ("", "Kok"),
    ("", "Jacobs"),
    ("de", "Haan"),
    ("", "Vermeulen"),
    ("van den", "Heuvel"),
    ("van der", "Veen"),
    ("van den", "Broek"),
    ("de", "Bruijn"),
    ("van der", "Heijden"),
    ("", "Schouten"),
    ("van", "Beek"),
    ("", "Willems"),
    ("van", "Vliet"),
    ("van de", "Ven"),
    ("", "Hoekstra"),
    ("", "Maas"),
    ("", "Verhoeven"),
    ("", "Koster"),
    ("van", "Dam"),
    ("van der", "Wal"),
    ("", "Prins"),
    ("", "Blom"),
    ("", "Huisman"),
    ("el", "Amrani"),
    ("", "Yılmaz"),
    ("", "Kaya"),
    ("", "Öztürk"),
    ("", "Şahin"),
    ("", "Çelik"),
    ("", "Nguyễn"),
    ("", "Boukhari"),
    ("", "Kowalski"),
    ("", "Wiśniewski"),
    ("", "Sánchez"),
    ("ter", "Horst"),
    ("in 't", "Veld"),
    ("van 't", "Hof"),
    ("", "Brûlé"),
    ("", "Ärnström"),
]
ADULT_FIRST = (
    "Marieke Sandra Esther Petra Linda Monique Wendy Ingrid Fatma Hülya Naima Karin Anja "
    "Mark Peter Erik Jeroen Dennis Martijn Hasan Mustafa Rachid Bas Frank Sjoerd René André"
).split()
STREETS = [
    "Kerkstraat",
    "Schoolstraat",
    "Molenweg",
    "Dorpsstraat",
    "Julianalaan",
    "Beatrixstraat",
    "Stationsweg",
    "Lindelaan",
    "Eikenlaan",
    "Berkenhof",
    "Vondelstraat",
    "Spoorsingel",
    "Nieuwe Gracht",
    "Oude Gracht",
    "Havenkade",
    "Rijksstraatweg",
    "Kennemerstraatweg",
    "Helderseweg",
    "Zeglis",
    "Laat",
]
TOWNS = [
    ("Alkmaar", "18"),
    ("Heiloo", "18"),
    ("Bergen", "18"),
    ("Castricum", "19"),
    ("Heerhugowaard", "17"),
    ("Schagen", "17"),
    ("Langedijk", "17"),
]
FORMS = [
    "woorden",
    "lichamelijk",
    "achtervolgen",
    "uitsluiting",
    "stelen_vernielen",
    "afpersing",
    "haatmail",
    "beeldpesten",
    "stalking",
    "grooming",
    "sexting",
    "hacken",
    "discriminatie",
]
CYBER_FORMS = {"haatmail", "beeldpesten", "stalking", "grooming", "sexting", "hacken"}
LOCATIONS = ["klas", "school", "buiten_school", "online"]
# taxonomy.REPORTER_KINDS codes (the protocols have the bullied student report to the mentor,
# "meldt de leerling dit bij zijn mentor": "gepeste"); five codes, so a seed gives the same school
REPORTERS = ["gepeste", "ouder", "docent", "anoniem", "vertrouwenspersoon"]
# How often a demo pester ends at each stage of the d'Oultremont ladder (in preset order):
# most cases stop with the mentor.
STAGE_WEIGHTS = (55, 20, 9, 6, 4, 3, 1.5, 1, 0.5)
PROTOCOL = "doultremont"
STAFF_ROLES = [
    "ondersteuningscoordinator",
    "vertrouwenspersoon",
    "vertrouwenspersoon",
    "directie",
    "directie",
    "beheerder",
    "zorgteam",
]
CHUNK = 400


def _chunks(rows: list, size: int = CHUNK) -> Iterable[list]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def _insert(model: type[m.BaseModel], fields: list, rows: list[tuple]) -> None:
    size = max(1, 30_000 // max(1, len(fields)))
    for chunk in _chunks(rows, min(size, 2000)):
        model.insert_many(chunk, fields=fields).execute()
    after_explicit_ids(model)  # the rows carry their ids: automatic ones follow them


class _Demo:
    def __init__(self, students: int, years: int, seed: int, today: dt.date):
        from ..domain.protocol import get_protocol

        self.protocol = get_protocol(PROTOCOL)
        self.stages = self.protocol.stages
        self.rng = random.Random(seed)
        self.agreement_rng = random.Random(seed * 7919 + 1)
        # what was added later draws from its own stream: the main one stays as it was, so
        # the same seed keeps giving the same cases, students and steps
        self.extra_rng = random.Random(seed * 104_729 + 3)
        self.n_students = students
        self.years = years
        self.today = today
        self.now = utcnow()
        self.school_year_start = dt.date(today.year if today.month >= 8 else today.year - 1, 8, 20)
        self.counts = {"students": 0, "cases": 0, "events": 0}

    # -- people ------------------------------------------------------------------------
    def person(self) -> tuple[str, str, str]:
        first = self.rng.choice(FIRST_NAMES)
        tv, last = self.rng.choice(LAST_NAMES)
        return first, tv, last

    def staff(self, n_classes: int) -> None:
        rows, self.staff_roles = [], {}
        used_codes = set()
        total = n_classes + 14 + max(10, n_classes // 2)
        for i in range(1, total + 1):
            first, tv, last = self.rng.choice(ADULT_FIRST), *self.rng.choice(LAST_NAMES)
            code = (last[:3] + first[:1]).upper().replace(" ", "")
            while code in used_codes:
                code = code[:3] + str(self.rng.randint(1, 9))
            used_codes.add(code)
            if i <= n_classes:
                roles = "mentor,vakdocent"
            elif i <= n_classes + 2:
                roles = "afdelingscoordinator"
            elif i <= n_classes + 2 + len(STAFF_ROLES):
                roles = STAFF_ROLES[i - n_classes - 3]
            else:
                roles = "vakdocent"
            self.staff_roles[i] = roles
            email = f"{first.lower()}.{last.lower()}@demo-college.nl".replace(" ", "")
            # the two afdelingscoordinatoren look after onder- and bovenbouw
            departments = {n_classes + 1: "Onderbouw", n_classes + 2: "Bovenbouw"}.get(i, "")
            rows.append((i, code, first, tv, last, email, roles, departments, True))
        _insert(
            m.Staff,
            [
                m.Staff.id,
                m.Staff.code,
                m.Staff.first_name,
                m.Staff.tussenvoegsel,
                m.Staff.last_name,
                m.Staff.email,
                m.Staff.roles,
                m.Staff.departments,
                m.Staff.active,
            ],
            rows,
        )
        self.mentor_ids = list(range(1, n_classes + 1))
        self.coordinator_ids = [n_classes + 1, n_classes + 2]
        self.zorg_id = n_classes + 3
        self.directie_id = n_classes + 6
        self.beheerder_id = n_classes + 3 + STAFF_ROLES.index("beheerder")

    def classes(self) -> None:
        per_class = 26
        n_classes = max(6, round(self.n_students / per_class))
        per_year = max(1, n_classes // 6)
        self.class_rows = []
        cid = 0
        for leerjaar in range(1, 7):
            count = per_year + (1 if leerjaar <= n_classes - per_year * 6 else 0)
            for letter in "ABCDEFGHJKLMNPQRSTUVWXYZ"[:count]:
                cid += 1
                dept = "Onderbouw" if leerjaar <= 3 else "Bovenbouw"
                self.class_rows.append((cid, f"{leerjaar}{letter}", leerjaar, dept))
        self.staff(len(self.class_rows))
        _insert(
            m.SchoolClass,
            [
                m.SchoolClass.id,
                m.SchoolClass.name,
                m.SchoolClass.leerjaar,
                m.SchoolClass.department,
            ],
            self.class_rows,
        )
        links = [(c[0], c[0]) for c in self.class_rows]
        for cid, *_ in self.class_rows[::4]:  # some classes have a second mentor
            links.append(
                (cid, self.rng.choice(range(len(self.class_rows) + 15, len(self.staff_roles) + 1)))
            )
        _insert(m.ClassMentor, [m.ClassMentor.school_class, m.ClassMentor.staff], links)

    def students(self) -> None:
        current = self.n_students
        left = current * (self.years - 1) // 5
        rows, self.active_students, self.left_students = [], [], []
        self.student_class: dict[int, int] = {}
        numbers = self.rng.sample(range(1000, 999_999), current + left)
        for sid in range(1, current + left + 1):
            first, tv, last = self.person()
            klass = self.class_rows[(sid - 1) % len(self.class_rows)]
            age = 11 + klass[2] + self.rng.choice((0, 0, 0, 1))
            birth = dt.date(self.today.year - age, self.rng.randint(1, 12), self.rng.randint(1, 28))
            left_on = None
            if sid > current:
                years_ago = self.rng.randint(1, max(1, self.years - 1))
                left_on = dt.date(self.today.year - years_ago, 7, self.rng.randint(1, 20))
                birth = birth.replace(year=birth.year - years_ago)
                self.left_students.append((sid, left_on))
            else:
                self.active_students.append(sid)
            self.student_class[sid] = klass[0]
            initials = ".".join(p[0] for p in first.split()) + "."
            sort_name = sort_name_for(first, tv, last)
            rows.append(
                (
                    sid,
                    f"{numbers[sid - 1]:06d}",
                    first,
                    initials,
                    tv,
                    last,
                    birth,
                    klass[0] if left_on is None else None,
                    left_on,
                    sort_name,
                )
            )
        _insert(
            m.Student,
            [
                m.Student.id,
                m.Student.number,
                m.Student.first_name,
                m.Student.initials,
                m.Student.tussenvoegsel,
                m.Student.last_name,
                m.Student.birth_date,
                m.Student.school_class,
                m.Student.left_on,
                m.Student.sort_name,
            ],
            rows,
        )
        self.counts["students"] = current
        self.student_names = {r[0]: (r[2], r[4], r[5]) for r in rows}
        self.guardians()

    def address(self) -> tuple[str, str, str, str]:
        town, prefix = self.rng.choice(TOWNS)
        digits = self.rng.randint(10, 99)  # same draw order as before: same demo school
        pair = self.rng.choice("ABCDEGHJKLMNPRST") + self.rng.choice("ABCDEGHJKLMNPRSTVWXZ")
        postcode = f"{prefix}{digits} {pair}"
        number = str(self.rng.randint(1, 180)) + self.rng.choice(["", "", "", "a", "-2"])
        return self.rng.choice(STREETS), number, postcode, town

    def guardians(self) -> None:
        g_rows, links = [], []
        gid = 0
        for sid, (_first, tv, last) in self.student_names.items():
            street, number, postcode, town = self.address()
            two = self.rng.random() < 0.55
            separate = two and self.rng.random() < 0.3
            for k in range(2 if two else 1):
                gid += 1
                mother = k == 0
                g_first = self.rng.choice(ADULT_FIRST[:13] if mother else ADULT_FIRST[13:])
                g_tv, g_last = (
                    (tv, last)
                    if (not mother or self.rng.random() < 0.6)
                    else self.rng.choice(LAST_NAMES)
                )
                if separate and k == 1:
                    street, number, postcode, town = self.address()
                email = f"{g_first.lower()}{gid}@voorbeeldmail.nl"
                phone = f"06-{self.rng.randint(10_000_000, 99_999_999)}"
                g_rows.append(
                    (
                        gid,
                        g_first,
                        g_first[0] + ".",
                        g_tv,
                        g_last,
                        "mevrouw" if mother else "de heer",
                        street,
                        number,
                        postcode,
                        town,
                        email,
                        phone,
                    )
                )
                authority = not (separate and k == 1 and self.rng.random() < 0.2)
                links.append(
                    (
                        sid,
                        gid,
                        "moeder" if mother else "vader",
                        authority,
                        authority,
                        not authority and self.rng.random() < 0.5,
                    )
                )
        G = m.Guardian
        _insert(
            G,
            [
                G.id,
                G.first_name,
                G.initials,
                G.tussenvoegsel,
                G.last_name,
                G.salutation,
                G.street,
                G.house_number,
                G.postcode,
                G.city,
                G.email,
                G.phone,
            ],
            g_rows,
        )
        L = m.StudentGuardian
        _insert(
            L,
            [L.student, L.guardian, L.relation, L.has_authority, L.receives_mail, L.info_granted],
            links,
        )

    # -- cases -------------------------------------------------------------------------
    def pick_stage(self) -> int:
        weights = STAGE_WEIGHTS[: len(self.stages)]
        return self.rng.choices(range(len(weights)), weights=weights)[0]

    def cases(self) -> None:
        per_year = round(self.n_students * 0.6)
        total = per_year * self.years
        start = self.today - dt.timedelta(days=365 * self.years)
        span = (self.today - start).days
        case_rows, inv_rows, ev_rows, agr_rows, con_rows, san_rows = [], [], [], [], [], []
        self.case_ids_by_stage: dict[int, list[int]] = {}
        inv_id = 0
        active = self.active_students
        past_pesters: dict[int, int] = {}
        for cid in range(1, total + 1):
            reported = start + dt.timedelta(days=round(span * (cid - 0.5) / total))
            if reported.month in (7, 8):
                reported = reported.replace(day=min(reported.day, 28), month=9)
            if reported > self.today:
                reported = self.today
            age_days = (self.today - reported).days
            pool = (
                active
                if age_days < 300 or not self.left_students
                else (active + [s for s, _ in self.left_students])
            )
            victim = self.rng.choice(pool)
            klass = self.student_class[victim]
            classmates = [s for s in pool if self.student_class[s] == klass and s != victim] or pool
            n_pesters = self.rng.choices((1, 2, 3), weights=(70, 24, 6))[0]
            pesters = self.rng.sample(classmates, min(n_pesters, len(classmates)))
            others = [s for s in classmates if s not in pesters]
            extra = self.rng.sample(others, min(self.rng.randint(0, 3), len(others)))
            if not all(self._at_school(s, reported) for s in (victim, *pesters, *extra)):
                # a first-year has no case from before the year they came: the same kind
                # of case, in a class that was at school then
                victim, pesters, extra = self._regroup(pool, reported, len(pesters),
                                                       len(extra))
                klass = self.student_class[victim]
            stage_idx = self.pick_stage()
            status = (
                "open"
                if age_days < 75 or (age_days < 200 and self.rng.random() < 0.15)
                else "closed"
            )
            forms = self.rng.sample(FORMS, self.rng.choice((1, 1, 2, 3)))
            cyber = bool(CYBER_FORMS.intersection(forms))
            track = next(
                (f for f in ("grooming", "stalking", "sexting", "discriminatie") if f in forms), ""
            )
            owner = (
                self.coordinator_ids[0 if self.class_rows[klass - 1][2] <= 3 else 1]
                if stage_idx
                else klass
            )
            closed_on = (
                reported + dt.timedelta(days=self.rng.randint(14, 70))
                if status == "closed"
                else None
            )
            next_due = (
                (
                    max(reported, self.today - dt.timedelta(days=self.rng.choice((0, 2, 5, 9))))
                    + dt.timedelta(days=self.rng.randint(0, 21))
                )
                if status == "open"
                else None
            )
            number = f"{reported.year}-{cid:05d}"
            summary = self.rng.choice(
                [
                    "Uitschelden en buitensluiten in de klas",
                    "Berichten in groepsapp",
                    "Duwen en trekken bij de fietsenstalling",
                    "Spullen afgepakt en vernield",
                    "Beschamende foto gedeeld",
                    "Bedreigd na schooltijd",
                    "Genegeerd bij groepswerk",
                    "Gemene bijnamen",
                    "Nepaccount op sociale media",
                    "Discriminerende opmerkingen",
                ]
            )
            case_rows.append(
                (
                    cid,
                    number,
                    status,
                    reported,
                    self.rng.choice(REPORTERS),
                    summary,
                    "Fictieve demomelding. " + summary + ".",
                    self.rng.choice(LOCATIONS if not cyber else ["online"]),
                    ",".join(forms),
                    cyber,
                    track,
                    PROTOCOL,
                    str(self.protocol.version),
                    owner,
                    closed_on,
                    "Pesten is gestopt; afspraken nagekomen." if closed_on else "",
                    self.stages[stage_idx].code,
                    next_due,
                    # registered on the day it was reported, changed when last worked on
                    self._moment(reported),
                    self._moment(closed_on or min(self.today,
                                                  reported + dt.timedelta(days=10))),
                )
            )
            self.case_ids_by_stage.setdefault(stage_idx, []).append(cid)
            inv_id += 1
            inv_rows.append((inv_id, cid, victim, "gepeste", "", None))
            pester_invs = []
            for p in pesters:
                inv_id += 1
                relapse = past_pesters.get(p)
                inv_rows.append((inv_id, cid, p, "pester", self.stages[stage_idx].code, relapse))
                pester_invs.append(inv_id)
                past_pesters[p] = cid
            for s in extra:
                inv_id += 1
                inv_rows.append(
                    (inv_id, cid, s, self.rng.choice(("meeloper", "middengroep")), "", None)
                )
            self._people = (victim, pesters, owner)  # for the agreement's words
            self.case_events(
                cid, reported, stage_idx, status, closed_on, pester_invs, ev_rows, agr_rows
            )
            if stage_idx >= 2:
                con_rows.append(
                    (
                        cid,
                        pesters[0],
                        reported + dt.timedelta(days=20),
                        reported + dt.timedelta(days=22),
                        reported + dt.timedelta(days=23),
                        reported + dt.timedelta(days=60),
                        "broken" if stage_idx >= 3 else ("kept" if status == "closed" else ""),
                    )
                )
            if stage_idx >= 3:
                first = reported + dt.timedelta(days=35)
                days = 1 if stage_idx == 3 else self.rng.randint(2, 5)
                san_rows.append(
                    (
                        cid,
                        pesters[0],
                        "schorsing",
                        first,
                        first + dt.timedelta(days=days - 1 + (2 if days > 1 else 0)),
                        days,
                        "Herhaald pestgedrag na verbroken contract.",
                        self.directie_id,
                        first - dt.timedelta(days=2),
                        first - dt.timedelta(days=3),
                        "leerling, ouders, mentor",
                        "Leerling en ouders gehoord.",
                        first + dt.timedelta(days=2) if days > 1 else None,
                        # reported the day after, except in the last fortnight: those few
                        # are the notifications still to make on the overview
                        first + dt.timedelta(days=1)
                        if days > 1 and (status == "closed"
                                         or first < self.today - dt.timedelta(days=14))
                        else None,
                    )
                )
        C = m.Case
        _insert(
            C,
            [
                C.id,
                C.number,
                C.status,
                C.reported_on,
                C.reporter_kind,
                C.summary,
                C.description,
                C.location,
                C.forms,
                C.is_cyber,
                C.cyber_track,
                C.protocol_code,
                C.protocol_version,
                C.owner,
                C.closed_on,
                C.close_reason,
                C.stage_code,
                C.next_due_on,
                C.created_at,
                C.updated_at,
            ],
            case_rows,
        )
        Inv = m.Involvement
        _insert(
            Inv, [Inv.id, Inv.case, Inv.student, Inv.role, Inv.stage_code, Inv.relapse_of], inv_rows
        )
        E = m.Event
        _insert(
            E,
            [
                E.case,
                E.involvement,
                E.kind,
                E.occurred_on,
                E.title,
                E.body,
                E.step_code,
                E.stage_code,
                E.author,
                E.confidential,
            ],
            ev_rows,
        )
        A = m.Agreement
        _insert(A, [A.case, A.description, A.owner, A.evaluate_on, A.done_on], agr_rows)
        # a conversation about the whole case was held with its victim (the screen's
        # Leerling column reads the students from the entry's data)
        victims = {case: student for _i, case, student, role, _s, _r in inv_rows
                   if role == "gepeste"}
        for case_id, student_id in victims.items():
            E.update(data=json.dumps({"with": "victim", "students": [student_id]})).where(
                (E.case == case_id) & (E.kind == "conversation")
                & E.involvement.is_null()).execute()
        K = m.Contract
        _insert(
            K,
            [
                K.case,
                K.student,
                K.made_on,
                K.signed_student_on,
                K.signed_parent_on,
                K.evaluate_on,
                K.outcome,
            ],
            con_rows,
        )
        S = m.Sanction
        _insert(
            S,
            [
                S.case,
                S.student,
                S.kind,
                S.first_day,
                S.last_day,
                S.school_days,
                S.reason,
                S.decided_by,
                S.decided_on,
                S.hearing_on,
                S.hearing_who,
                S.hearing_summary,
                S.inspectie_due_on,
                S.inspectie_reported_on,
            ],
            san_rows,
        )
        self.counts["cases"] = total
        self.counts["events"] = len(ev_rows)

    def _entered(self, student_id: int) -> dt.date:
        """When a student came to the school: the start of the year of their first class."""
        leerjaar = self.class_rows[self.student_class[student_id] - 1][2]
        start = self.school_year_start
        return start.replace(year=start.year - (leerjaar - 1))

    def _at_school(self, student_id: int, day: dt.date) -> bool:
        if not hasattr(self, "_left_ids"):
            self._left_ids = {s for s, _left in self.left_students}
        return student_id in self._left_ids or self._entered(student_id) <= day

    def _regroup(self, pool: list[int], day: dt.date, n_pesters: int, n_extra: int
                 ) -> tuple[int, list[int], list[int]]:
        """Victim, bullies and others from one class that was at school on ``day``."""
        rng = self.extra_rng
        eligible = [s for s in pool if self._at_school(s, day)]
        victim = rng.choice(eligible)
        klass = self.student_class[victim]
        mates = [s for s in eligible if self.student_class[s] == klass and s != victim] \
            or [s for s in eligible if s != victim]
        pesters = rng.sample(mates, min(n_pesters, len(mates)))
        rest = [s for s in mates if s not in pesters]
        return victim, pesters, rng.sample(rest, min(n_extra, len(rest)))

    def _moment(self, day: dt.date) -> dt.datetime:
        """A believable moment on a school day (stored as UTC, like every time)."""
        local = dt.datetime.combine(day, dt.time(self.extra_rng.randint(8, 15),
                                                 self.extra_rng.randint(0, 59)))
        return local.astimezone(dt.UTC).replace(tzinfo=None)

    def _evaluate_on(self, reported: dt.date, status: str) -> dt.date:
        """An agreement's evaluation: two weeks after the report; in an open case the
        mentor has kept it current, so it falls around today rather than months ago."""
        if status == "closed":
            return reported + dt.timedelta(days=14)
        # its own random stream: the main one stays as it was (tests pin demo cases)
        near_today = self.today + dt.timedelta(days=self.agreement_rng.randint(-4, 21))
        return max(reported + dt.timedelta(days=7), near_today)

    def case_events(
        self, cid, reported, stage_idx, status, closed_on, pester_invs, ev, agr
    ) -> None:
        """Timeline of a demo case: the steps of every stage reached, escalations between
        them, and for an open case only part of the last stage done."""
        day = reported
        ev.append((cid, None, "report", day, "Melding geregistreerd", "", "", "", 1, False))
        for s_i, stage in enumerate(self.stages[: stage_idx + 1]):
            last = s_i == stage_idx
            steps = list(stage.steps)
            if last and status == "open":
                steps = steps[: self.rng.randint(0, len(steps) - 1)]
            for step in steps:
                if not step.required and self.rng.random() < 0.5:
                    continue
                day = min(self.today, day + dt.timedelta(days=self.rng.randint(0, 3)))
                kind = "conversation" if step.kind == "conversation" else "step"
                for inv in pester_invs if step.scope == "pester" else [None]:
                    ev.append(
                        (
                            cid,
                            inv,
                            kind,
                            day,
                            step.title,
                            "Fictief verslag.",
                            step.code,
                            stage.code,
                            1,
                            False,
                        )
                    )
            if not last:
                day = min(self.today, day + dt.timedelta(days=self.rng.randint(5, 15)))
                for inv in pester_invs:
                    ev.append(
                        (
                            cid,
                            inv,
                            "escalate",
                            day,
                            "Opgeschaald",
                            "Pesten herhaalde zich.",
                            "",
                            self.stages[s_i + 1].code,
                            1,
                            False,
                        )
                    )
        if self.rng.random() < 0.05:
            ev.append(
                (cid, None, "note", day, "Vertrouwelijke notitie", "Fictief.", "", "", 1, True)
            )
        victim, pesters, owner = self._people
        names = {"v": self.student_names[victim][0],
                 "p": self.student_names[pesters[0]][0] if pesters else "de klas"}
        agr.append(
            (
                cid,
                self.extra_rng.choice(AGREEMENTS).format(**names),
                owner,
                self._evaluate_on(reported, status),
                reported + dt.timedelta(days=15) if status == "closed" else None,
            )
        )
        if status == "closed":
            ev.append(
                (
                    cid,
                    None,
                    "close",
                    closed_on,
                    "Melding afgesloten",
                    "Pesten is gestopt.",
                    "",
                    "",
                    1,
                    False,
                )
            )

    # -- meetings and letters ----------------------------------------------------------
    def meetings(self) -> None:
        rows, items, mid = [], [], 0
        actions: list[tuple] = []
        consents: list[tuple] = []
        start = self.today - dt.timedelta(days=365 * self.years)
        day = start
        while day < self.today + dt.timedelta(days=42):
            for kind, every in (("IZO", 14), ("OT", 42)):
                if (day - start).days % every == 0 and day.month not in (7, 8):
                    mid += 1
                    at = dt.datetime.combine(day, dt.time(13 if kind == "IZO" else 9, 30))
                    rows.append(
                        (
                            mid,
                            kind,
                            at,
                            90 if kind == "OT" else 60,
                            "Kamer zorgteam",
                            self.zorg_id,
                            json.dumps(
                                [
                                    {"name": "J. de Leeuw", "role": "leerplichtambtenaar"},
                                    {"name": "A. Smit (GGD)", "role": "jeugdarts"},
                                ]
                            )
                            if kind == "OT"
                            else "[]",
                        )
                    )
                    stage_idx = 5 if kind == "IZO" else 6
                    pool = self.case_ids_by_stage.get(stage_idx, [])
                    for pos, cid in enumerate(self.rng.sample(pool, min(2, len(pool)))):
                        held = day < self.today
                        items.append(
                            (
                                len(items) + 1,
                                mid,
                                cid,
                                pos + 1,  # agenda items are numbered from 1
                                "Welke ondersteuning is nodig?",
                                "consent" if kind == "OT" else "",
                                self.extra_rng.choice(MINUTES) if held else "",
                                self.extra_rng.choice(DECISIONS) if held else "",
                            )
                        )
                        if held:
                            actions.append(self._action(len(items), cid, day))
                        if kind == "OT":
                            consents.extend(self._consents(cid, day))
            day += dt.timedelta(days=7)
        M = m.Meeting
        _insert(
            M, [M.id, M.kind, M.starts_at, M.duration_minutes, M.place, M.chair, M.externals], rows
        )
        A = m.AgendaItem
        _insert(A, [A.id, A.meeting, A.case, A.position, A.question, A.consent_basis,
                    A.minutes, A.decision], items)
        Act = m.Action
        _insert(Act, [Act.case, Act.agenda_item, Act.description, Act.owner, Act.due_on,
                      Act.done_on], actions)
        C = m.Consent
        _insert(C, [C.student, C.given_by, C.given_on, C.scope], list(dict.fromkeys(consents)))

    def _action(self, item_id: int, case_id: int, day: dt.date) -> tuple:
        """What a held meeting decided someone should do; done when its date is long past."""
        due = day + dt.timedelta(days=self.extra_rng.choice((7, 14, 21)))
        owner = self.extra_rng.choice((self.zorg_id, *self.coordinator_ids))
        done = due if due < self.today - dt.timedelta(days=7) else None
        return (case_id, item_id, self.extra_rng.choice(ACTIONS), owner, due, done)

    def _consents(self, case_id: int, day: dt.date) -> list[tuple]:
        """Consent to discuss the case's students by name in the OT, given a week before:
        by the student from 16, else by a parent with authority (as the service asks)."""
        out = []
        Inv, S, SG, G = m.Involvement, m.Student, m.StudentGuardian, m.Guardian
        for sid, birth in (Inv.select(Inv.student, S.birth_date).join(S)
                           .where((Inv.case == case_id)
                                  & (Inv.role.in_(("gepeste", "pester"))))
                           .tuples()):
            given_on = day - dt.timedelta(days=7)
            age = given_on.year - birth.year - ((given_on.month, given_on.day)
                                                 < (birth.month, birth.day))
            if age >= 16:
                out.append((sid, "leerling", given_on, "OT"))
                continue
            parent = (G.select(G.first_name, G.tussenvoegsel, G.last_name).join(SG)
                      .where((SG.student == sid) & (SG.has_authority == True))  # noqa: E712
                      .tuples().first())
            if parent:
                out.append((sid, " ".join(p for p in parent if p), given_on, "OT"))
        return out

    def letters(self) -> None:
        """The letters to the bullies' parents of the latest cases past the mentor's stage,
        rendered and archived as the letters screen does, so each opens as it was sent.
        (Rendering costs ~0.1 s a letter: a demo keeps a couple of dozen.)"""
        from . import letters as letter_service

        cases = sorted((cid for stage_idx, cids in self.case_ids_by_stage.items()
                        if stage_idx for cid in cids), reverse=True)
        wanted = max(2, min(24, self.n_students // 25))
        rows, events = [], []
        Inv, C = m.Involvement, m.Case
        for cid in cases:
            if len(rows) >= wanted:
                break
            case = C.get_by_id(cid)
            pester = (Inv.select().where((Inv.case == cid) & (Inv.role == "pester"))
                      .order_by(Inv.id).first())
            if pester is None:
                continue
            sent = min(self.today, case.reported_on + dt.timedelta(days=3))
            plan = letter_service.prepare(SYSTEM, cid, pester.student_id,
                                          "informeren_ouders_pester", letter_date=sent)
            recipient = next((r for r in plan.recipients if not r.problems), None)
            if recipient is None:
                continue
            pdf = plan.render(recipient)
            data = {**plan.merge_data, "recipient": {"naam": recipient.recipient.name,
                                                     "adres": list(recipient.recipient
                                                                   .name_lines)},
                    "datum": sent, "lang": plan.lang}
            rows.append((cid, pester.student_id, plan.template.code, plan.template_version,
                         recipient.recipient.name, letter_service.to_json(data), pdf,
                         hashlib.sha256(pdf).hexdigest(), 1, self._moment(sent)))
            events.append((cid, pester.id, "letter", sent, plan.title,
                           f"Brief aan {recipient.recipient.name}", "", "", 1, False))
        L = m.Letter
        _insert(L, [L.case, L.student, L.template_code, L.template_version, L.recipient,
                    L.merge_data, L.pdf, L.sha256, L.created_by, L.created_at], rows)
        E = m.Event
        _insert(E, [E.case, E.involvement, E.kind, E.occurred_on, E.title, E.body, E.step_code,
                    E.stage_code, E.author, E.confidential], events)

    def evidence(self) -> None:
        """Evidence in the cyberbullying cases: a (fictitious) screenshot report as PDF."""
        from reportlab.lib.pagesizes import A4
        from reportlab.pdfgen.canvas import Canvas

        C = m.Case
        cyber = list(C.select(C.id, C.reported_on, C.summary).where(C.is_cyber == True)  # noqa: E712
                     .order_by(C.id.desc()).limit(max(2, min(12, self.n_students // 50)))
                     .tuples())
        rows = []
        for cid, reported, summary in cyber:
            buffer = io.BytesIO()
            canvas = Canvas(buffer, pagesize=A4, invariant=1)
            canvas.setTitle("Schermafdrukken (fictief)")
            canvas.setFont("Helvetica-Bold", 14)
            canvas.drawString(60, 780, "Schermafdrukken groepsapp (fictief demobestand)")
            canvas.setFont("Helvetica", 11)
            for i, line in enumerate((f"Melding: {summary}", f"Gezien op: {reported:%d-%m-%Y}",
                                      "Berichten: zes berichten met scheldwoorden,",
                                      "gestuurd tussen 21.10 en 21.40 uur.")):
                canvas.drawString(60, 750 - 18 * i, line)
            canvas.showPage()
            canvas.save()
            data = buffer.getvalue()
            rows.append((cid, f"schermafdrukken-{reported:%Y%m%d}.pdf", "application/pdf",
                         "Schermafdrukken van de berichten, door de mentor bewaard.", data,
                         hashlib.sha256(data).hexdigest(), len(data), 1,
                         self._moment(min(self.today, reported + dt.timedelta(days=1)))))
        A = m.Attachment
        _insert(A, [A.case, A.filename, A.mime_type, A.description, A.data, A.sha256, A.size,
                    A.added_by, A.added_at], rows)

    def settings_and_users(self) -> None:
        profile = {
            "name": "Demo College (fictief)",
            "street": "Schoolweg 1",
            "postcode": "1811 AB",
            "city": "Alkmaar",
            "phone": "072-0000000",
            "email": "zorgteam@demo-college.nl",
            "website": "www.demo-college.nl",
            "denomination": "openbaar",
            "protocol_code": "doultremont",
            "brin": "99XX",
            "footer": "Demo College · fictieve school voor demonstratie",
        }
        m.Setting.create(key=PROFILE_KEY, value=json.dumps(profile, ensure_ascii=False))
        m.Setting.create(key="demo", value="true")
        from .accounts import hash_password

        pw = hash_password(DEMO_PASSWORD)
        rows = [
            (1, self.zorg_id, "zorg", pw),
            (2, self.mentor_ids[0], "mentor", pw),
            (3, self.coordinator_ids[0], "afdeling", pw),
            (4, self.zorg_id + 1, "vertrouwen", pw),
            (5, self.directie_id, "directie", pw),
            (6, self.beheerder_id, "beheer", pw),
        ]
        U = m.User
        _insert(U, [U.id, U.staff, U.username, U.password_hash], rows)


def generate_demo(
    students: int = 600, years: int = 2, seed: int = 1, today: dt.date | None = None
) -> dict[str, int]:
    """Fill the (empty, bound) database with a demo school; returns counts."""
    demo = _Demo(students, years, seed, today or clock.today())
    with write():
        demo.classes()
        demo.students()
        demo.settings_and_users()
        demo.cases()
        demo.meetings()
        demo.letters()
        demo.evidence()
        audit(SYSTEM, "demo", "", None, f"students={students},years={years},seed={seed}")
    database.obj.execute_sql("ANALYZE")
    return demo.counts
