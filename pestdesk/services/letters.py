"""Letters to parents: merge data from the dossier, the school's templates, issuing and the
archive.

The flow for one letter (or a batch)::

    plan = prepare(actor, case_id, student_id, "schorsing")   # merge data + addressees
    plan.problems, plan.warnings(r)                           # shown BEFORE printing
    pdf = plan.render(plan.recipients[0])                      # preview (not archived)
    issued = issue(actor, [(plan, r) for r in plan.usable])    # render + archive

``issue`` renders every letter first (the slow part, safe off the GUI thread) and then
stores them all in ONE short write transaction: per letter a ``Letter`` row (the PDF bytes,
template code and version, addressee, merge data as JSON, who, when, SHA-256) and an
``Event(kind="letter")`` in the case's timeline, both audited. A stored letter is reprinted
from its bytes (:func:`letter_pdf` checks the SHA-256), so it comes out exactly as sent even
after its template changed.

Templates: the school's own version of a template lives in the ``setting`` table under
``letter_template:<code>`` (the TOML text; the row's ``version`` counts the school's
revisions and guards against two people saving at once). :func:`save_template` refuses a
template with a mistake, with its line and column, so a broken template can never reach
printing; :func:`restore_shipped` deletes the school version. The envelope window is the
setting ``letter_window``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from .. import clock
from ..domain.protocol import Protocol, UnknownProtocol, get_protocol
from ..i18n import N_, _
from ..letters import (
    MERGE_FIELDS,
    AddressDoesNotFit,
    Letterhead,
    Template,
    TemplateError,
    TemplateNotFound,
    TemplateProblem,
    WindowSettings,
    load_template,
    merge_context,
    preflight,
    printed_text,
    render_letter,
    sample_merge_data,
    shipped_templates,
    validate_template,
)
from ..letters import fields as letter_fields
from ..paths import TEMPLATES_DIR
from ..store.models import (
    Case,
    ClassMentor,
    Contract,
    Event,
    Guardian,
    Helpline,
    Involvement,
    Letter,
    Sanction,
    SchoolClass,
    Setting,
    Staff,
    Student,
    StudentGuardian,
    utcnow,
)
from . import access, lengths, names
from . import recipients as rcp
from .base import Actor, Conflict, ServiceError, audit, create, write
from .settings import SchoolProfile, get_value, school_profile, set_value

TEMPLATE_KEY = "letter_template:"
WINDOW_KEY = "letter_window"

# --------------------------------------------------------------------------- school settings


def letterhead(profile: SchoolProfile | None = None) -> Letterhead:
    """The letterhead from the school profile (Administration → School details)."""
    p = profile or school_profile()
    town = " ".join(x for x in (p.postcode.strip(), p.city.strip()) if x)
    town = f"{p.postcode.strip()}  {p.city.strip()}" if p.postcode.strip() else town
    address = tuple(x for x in (p.street.strip(), town) if x)
    return Letterhead(
        school_name=p.name.strip() or _("(school name not set up)"),
        address_lines=address,
        contact_line=" · ".join(x for x in (p.phone, p.email, p.website) if x.strip()),
        footer_text=p.footer.strip(),
        place=p.city.strip(),
        return_address=("Retouradres: " + ", ".join(address)) if address else "",
    )


#: who may change the school's letter templates and envelope settings
LETTER_ADMIN_ROLES = ("ondersteuningscoordinator", "zorgcoordinator", "directie", "beheerder")


#: who may edit a template's raw file (TOML with its placeholders and conditions); the
#: others among LETTER_ADMIN_ROLES edit its texts in the form (``save_template_texts``)
TEMPLATE_SOURCE_ROLES = ("beheerder",)


def can_edit_templates(actor: Actor) -> bool:
    """May change the school's letter texts (the form) and envelope settings."""
    return access.is_system(actor) or actor.has_role(*LETTER_ADMIN_ROLES)


def can_edit_template_source(actor: Actor) -> bool:
    """May read and change a template's raw file (the beheerder)."""
    return access.is_system(actor) or actor.has_role(*TEMPLATE_SOURCE_ROLES)


def require_letter_admin(actor: Actor) -> None:
    if not can_edit_templates(actor):
        raise ServiceError(_("You do not have the rights to do this."))


def require_template_source(actor: Actor) -> None:
    if not can_edit_template_source(actor):
        raise ServiceError(_("Only an administrator may edit a template's source file; "
                             "edit the letter's texts in the form instead."))


def window_settings() -> WindowSettings:
    """The school's envelope window (default: the common Dutch window envelope)."""
    data = get_value(WINDOW_KEY) or {}
    try:
        window = WindowSettings(**{k: float(v) for k, v in data.items()})
        window.check()
    except (TypeError, ValueError):
        return WindowSettings()
    return window


def save_window_settings(actor: Actor, window: WindowSettings) -> None:
    """Store the envelope window; refused when it is no usable area on an A4 page."""
    require_letter_admin(actor)
    try:
        window.check()
    except ValueError as exc:
        raise ServiceError(str(exc)) from None
    set_value(actor, WINDOW_KEY, asdict(window))


# --------------------------------------------------------------------------- templates


@dataclass(frozen=True)
class TemplateSource:
    """The text a user edits: the school's version when there is one, else the shipped one."""

    code: str
    text: str
    read_version: int  # the setting row's version; 0 = no school version yet
    is_school: bool


class TemplateRefused(ServiceError):
    """A template with mistakes: ``problems`` carry line and column."""

    def __init__(self, problems: list[TemplateProblem]) -> None:
        self.problems = problems
        lines = "\n".join(str(p) for p in problems[:8])
        super().__init__(_("The template was not saved:\n{problems}").format(problems=lines))


_template_cache: dict[tuple[str, int, str], Template] = {}


def _school_row(code: str) -> Setting | None:
    return Setting.get_or_none(Setting.key == TEMPLATE_KEY + code)


def template_source(code: str) -> TemplateSource:
    row = _school_row(code)
    if row is not None:
        return TemplateSource(code, json.loads(row.value)["text"], row.version, True)
    path = TEMPLATES_DIR / f"{code}.toml"
    if not path.is_file():
        raise ServiceError(_("No letter template “{code}”.").format(code=code))
    return TemplateSource(code, path.read_text(encoding="utf-8"), 0, False)


def template_for(code: str, lang: str = "nl") -> tuple[Template, str]:
    """The template used for printing and its version label for the archive.

    The school's version wins; its label is ``<version>+school.<revision>``."""
    row = _school_row(code)
    if row is None:
        try:
            template = load_template(code, lang)
        except TemplateNotFound as exc:
            raise ServiceError(str(exc)) from None
        return template, str(template.version)
    cache_key = (code, row.version, row.value)
    template = _template_cache.get(cache_key)
    if template is None:
        template = Template.from_text(json.loads(row.value)["text"])
        _template_cache.clear()  # tiny cache: the school versions in use right now
        _template_cache[cache_key] = template
    if lang not in template.variants:
        raise ServiceError(
            _("Template “{code}” has no “{lang}” version.").format(code=code, lang=lang)
        )
    return template, f"{template.version}+school.{row.version}"


def template_choices(lang: str = "nl") -> list[tuple[str, str, bool]]:
    """(code, title, is the school's version) of every template, sorted by title."""
    out = []
    for shipped in shipped_templates():
        try:
            template, label = template_for(shipped.code, lang)
        except (ServiceError, TemplateError):
            template, label = shipped, ""
        variant = template.variants.get(lang) or next(iter(template.variants.values()))
        out.append((shipped.code, variant.title, "school" in label))
    return sorted(out, key=lambda t: t[1].lower())


def check_template(code: str, text: str) -> list[TemplateProblem]:
    """Every mistake in ``text`` as the template ``code`` (line/column); [] when valid."""
    problems = validate_template(text)
    if problems:
        return problems
    template = Template.from_text(text)
    if template.code != code:
        lines = enumerate(text.splitlines(), 1)
        line = next((i for i, t in lines if t.lstrip().startswith("code")), 1)
        return [
            TemplateProblem(
                line, 1,
                _("The code must stay “{code}”: the protocol refers to this letter by it.").format(
                    code=code
                ),
                "code",
            )
        ]
    return []


def save_template(actor: Actor, code: str, text: str, read_version: int) -> int:
    """Store the school's version of template ``code``; returns the new revision.

    Refused (:class:`TemplateRefused`, with line and column) when the text has a mistake;
    :class:`Conflict` when someone else saved this template after ``read_version``. The raw
    file is the beheerder's (``can_edit_template_source``); the others save the texts
    through :func:`save_template_texts`."""
    require_template_source(actor)
    problems = check_template(code, text)
    if problems:
        raise TemplateRefused(problems)
    return _store_template(actor, code, text, read_version)


def _store_template(actor: Actor, code: str, text: str, read_version: int) -> int:
    key = TEMPLATE_KEY + code
    value = json.dumps({"text": text}, ensure_ascii=False)
    lengths.require("setting", {"value": value})
    with write():
        row = Setting.get_or_none(Setting.key == key)
        if row is None and read_version == 0:
            Setting.create(key=key, value=value, version=1)
            new_version = 1
        else:
            rows = 0
            if row is not None:
                rows = (
                    Setting.update(value=value, version=read_version + 1)
                    .where((Setting.key == key) & (Setting.version == read_version))
                    .execute()
                )
            if rows == 0:
                raise Conflict("setting", 0)
            new_version = read_version + 1
        audit(actor, "update", "setting", None, f"{key},revision={new_version}")
    return new_version


# -- the texts of a template, as the form edits them ---------------------------------------

#: the parts the form shows (the body is split into its paragraphs)
PART_LABELS = {"title": N_("Title (in lists)"), "subject": N_("Subject"),
               "salutation": N_("Salutation"), "body": N_("Paragraph"),
               "closing": N_("Closing")}
BLOCK_SEPARATOR = "\n\n"


@dataclass(frozen=True)
class TemplateTexts:
    """The texts of one language of a template: what a coordinator edits in the form. The
    body comes as its paragraphs (``blocks``, split at blank lines, never inside a
    condition or loop; joined again they give the body)."""

    code: str
    lang: str
    title: str
    subject: str
    salutation: str
    blocks: tuple[str, ...]
    closing: str
    read_version: int = 0
    is_school: bool = False

    def body(self) -> str:
        """The paragraphs joined again (an emptied box is a paragraph taken out)."""
        return BLOCK_SEPARATOR.join(b.strip("\n") for b in self.blocks if b.strip()) + "\n"


def template_texts(code: str, lang: str = "nl") -> TemplateTexts:
    """The texts the form shows: the school's version when there is one, else the shipped
    one."""
    source = template_source(code)
    template = Template.from_text(source.text)
    variant = template.variant(lang)
    return TemplateTexts(code, lang, variant.title, variant.subject, variant.salutation or "",
                         _blocks(variant.body), variant.closing or "",
                         source.read_version, source.is_school)


_OPENS = re.compile(r"{%-?\s*(if|for)\b")
_CLOSES = re.compile(r"{%-?\s*end(if|for)\b")


def _blocks(body: str) -> tuple[str, ...]:
    """The body's paragraphs, split at blank lines but never inside an ``{% if %}`` or
    ``{% for %}`` (a condition stays in one box with what it governs)."""
    out: list[str] = []
    depth = 0
    for chunk in body.split(BLOCK_SEPARATOR):
        if depth > 0 and out:
            out[-1] += BLOCK_SEPARATOR + chunk
        else:
            out.append(chunk)
        depth += len(_OPENS.findall(chunk)) - len(_CLOSES.findall(chunk))
    return tuple(b.strip("\n") for b in out)


def insertable_fields() -> list[tuple[str, str]]:
    """(field, translated description) of every merge field a text may print, for the form's
    buttons (list fields are for the raw file: they need a loop)."""
    return [(name, _(label)) for name, label in MERGE_FIELDS.items() if "[]" not in name]


def check_template_texts(texts: TemplateTexts) -> list[str]:
    """Every mistake in the form's texts, in the user's language and named by the box it
    is in (an unknown merge field, a placeholder or condition that is not closed, an empty
    title, subject or letter); [] when they may be saved."""
    from ..letters import engine

    out: list[str] = []
    for part in ("title", "subject"):
        if not getattr(texts, part).strip():
            out.append(_("{part}: may not be empty.").format(part=_(PART_LABELS[part])))
    if not texts.body().strip():
        out.append(_("The letter needs at least one paragraph."))
    for part in ("title", "subject", "salutation", "closing"):
        for problem in engine.parse(getattr(texts, part)).problems:
            out.append(_("{part}: {problem}").format(part=_(PART_LABELS[part]),
                                                     problem=problem.message))
    body = BLOCK_SEPARATOR.join(texts.blocks)
    starts, at = [], 0
    for block in texts.blocks:
        starts.append(at)
        at += len(block) + len(BLOCK_SEPARATOR)
    for problem in engine.parse(body).problems:
        number = max(i for i, start in enumerate(starts) if start <= problem.offset) + 1
        out.append(_("{part} {number}: {problem}").format(
            part=_(PART_LABELS["body"]), number=number, problem=problem.message))
    return out


def _texts_as_template(texts: TemplateTexts) -> str:
    """The template's file with ``texts`` in place of its ``lang`` variant (the other
    languages and the signature lines stay as they are)."""
    import dataclasses

    template = Template.from_text(template_source(texts.code).text)
    before = template.variant(texts.lang)
    variant = dataclasses.replace(
        before, title=texts.title.strip(), subject=texts.subject.strip(),
        salutation=texts.salutation.strip() or None, body=texts.body(),
        closing=texts.closing.strip() if texts.closing.strip() or before.closing is not None
        else None)
    return dataclasses.replace(template, variants={**template.variants, texts.lang: variant},
                               _parsed={}).to_text()


def save_template_texts(actor: Actor, texts: TemplateTexts) -> int:
    """Store the form's texts as the school's version of the template; the new revision.

    Refused whole (``ServiceError`` naming every mistake and the box it is in; nothing is
    stored) when a text has a mistake; :class:`Conflict` when someone else saved the
    template after ``texts.read_version``."""
    require_letter_admin(actor)
    problems = check_template_texts(texts)
    if problems:
        raise ServiceError(_("The texts were not saved:\n{problems}").format(
            problems="\n".join(problems)))
    text = _texts_as_template(texts)
    refused = check_template(texts.code, text)
    if refused:  # pragma: no cover - the checks above find every mistake first
        raise TemplateRefused(refused)
    return _store_template(actor, texts.code, text, texts.read_version)


def preview_template_texts(texts: TemplateTexts, today: dt.date | None = None) -> bytes:
    """The form's texts rendered with sample data (the live preview); ``ServiceError`` with
    the mistakes while there are any."""
    problems = check_template_texts(texts)
    if problems:
        raise ServiceError("\n".join(problems))
    return preview_template(_texts_as_template(texts), texts.lang, today)


def restore_shipped(actor: Actor, code: str) -> None:
    """Delete the school's version: the template pestdesk ships is used again."""
    require_letter_admin(actor)
    key = TEMPLATE_KEY + code
    with write():
        if Setting.delete().where(Setting.key == key).execute():
            audit(actor, "delete", "setting", None, key)


def preview_template(text: str, lang: str = "nl", today: dt.date | None = None) -> bytes:
    """A template's text rendered with sample data (the editor's live preview).

    Raises :class:`TemplateError` when the text has mistakes."""
    template = Template.from_text(text)
    if lang not in template.variants:
        lang = template.languages[0]
    sample = sample_merge_data()
    return render_letter(
        template,
        sample,
        rcp.Recipient(
            name_lines=(rcp.TOGETHER.get(lang, rcp.TOGETHER["nl"]), "Zoë Çelik-van den Brûle"),
            street="Kanaalkade",
            house_number="112 A",
            postcode="1811 LB",
            city="Alkmaar",
        ),
        letterhead(),
        lang=lang,
        letter_date=today or clock.today(),
        window=window_settings(),
    )


# --------------------------------------------------------------------------- protocol


def case_protocol(case: Case) -> Protocol:
    """The protocol the case runs under (the school's preset when the case names none)."""
    code = case.protocol_code or school_profile().protocol_code or "doultremont"
    try:
        return get_protocol(code, case.protocol_version or None)
    except UnknownProtocol:
        try:
            return get_protocol(code)
        except UnknownProtocol:
            return get_protocol("doultremont")


def letters_for_step(case_id: int, step_code: str, stage_code: str | None = None) -> list[str]:
    """Every letter template the case's protocol attaches to ``step_code`` ([]: no letter):
    a step may produce several, e.g. one version for the victim's parents and one for the
    bully's ("Alle betrokken ouders informeren").

    Step codes may repeat across stages (the suspension letter's step in the one-day and in
    the longer suspension), so the step is looked up in ``stage_code``, else in the case's
    current stage, else in the first stage that has it."""
    case = Case.get_by_id(case_id)
    protocol = case_protocol(case)
    for code in (stage_code, case.stage_code):
        stage = protocol.stage(code) if code else None
        step = stage.step(step_code) if stage else None
        if step is not None:
            return list(step.letters)
    for stage in protocol.stages:
        step = stage.step(step_code)
        if step is not None:
            return list(step.letters)
    item = protocol.cyber.item(step_code)
    return [item.letter] if item and item.letter else []


def letter_for_step(case_id: int, step_code: str, stage_code: str | None = None) -> str | None:
    """The (first) letter template of ``step_code`` (None: no letter); see
    ``letters_for_step``."""
    found = letters_for_step(case_id, step_code, stage_code)
    return found[0] if found else None


@dataclass(frozen=True)
class ComposeStudent:
    """A student involved in the case, as the compose dialog lists them."""

    student_id: int
    name: str
    role: str


@dataclass(frozen=True)
class ComposeCase:
    """What the compose dialog shows of a case: its heading, protocol and students."""

    number: str
    summary: str
    protocol: Protocol
    students: tuple[ComposeStudent, ...]


def compose_case(actor: Actor, case_id: int) -> ComposeCase:
    """The case a letter is composed for; ``access.NotFound`` when hidden from ``actor``."""
    case = access.visible_case(actor, case_id)
    query = (Involvement.select(Involvement, Student).join(Student)
             .where(Involvement.case == case.id).order_by(Involvement.id))
    students = tuple(
        ComposeStudent(inv.student_id, rcp.student_name(inv.student), inv.role)
        for inv in query)
    return ComposeCase(case.number, case.summary, case_protocol(case), students)


def unfit_reason(template_code: str, case_id: int) -> str:
    """Why a letter does not fit this case ("" when it does): a letter with cyberbullying
    fields (the cyber advice) is for a case with cyberbullying; elsewhere it would only
    ask for a 'kind of cyber case' that does not exist. Checked by ``prepare`` and shown
    by the letters dialog before anyone fills anything in."""
    template, _version = template_for(template_code)
    groups = {name.split(".")[0] for lang in template.languages
              for name in template.used_fields(lang)}
    case = Case.get_or_none(Case.id == case_id)
    if "cyber" in groups and case is not None and not case.is_cyber:
        return _("This letter is about cyberbullying, and this case has none.")
    return ""


def students_for_letter(case_id: int, template_code: str) -> list[int]:
    """The involved students a letter is about: the victim(s) for letters to the victim's
    parents, the pester(s) for the rest."""
    role = "gepeste" if "gepeste" in template_code else "pester"
    if template_code == "advies_cyber":
        role = "gepeste"
    query = (
        Involvement.select(Involvement.student)
        .where((Involvement.case == case_id) & (Involvement.role == role))
        .order_by(Involvement.id)
    )
    return [row.student_id for row in query]


# --------------------------------------------------------------------------- merge data

_ROLE_PRIORITY = (
    "ondersteuningscoordinator",
    "afdelingscoordinator",
    "afdelingsleider",
    "directie",
    "vertrouwenspersoon",
    "zorgteam",
    "mentor",
    "vakdocent",
)
_ROLE_FALLBACK = {
    "ondersteuningscoordinator": "ondersteuningscoördinator",
    "afdelingscoordinator": "afdelingscoördinator",
    "afdelingsleider": "afdelingsleider",
    "directie": "directie",
    "vertrouwenspersoon": "vertrouwenspersoon",
    "zorgteam": "zorgteam",
    "mentor": "mentor",
    "vakdocent": "docent",
}

OBJECTION = {
    ("openbaar", "nl"): (
        "Bent u het niet eens met dit besluit, dan kunt u binnen zes weken na de datum van "
        "deze brief schriftelijk bezwaar maken bij het bevoegd gezag van de school "
        "(Algemene wet bestuursrecht). Vermeld in uw bezwaarschrift uw naam en adres, de "
        "datum, dit besluit en waarom u het er niet mee eens bent, en onderteken het."
    ),
    ("bijzonder", "nl"): (
        "Bent u het niet eens met dit besluit, dan kunt u binnen zes weken na de datum van "
        "deze brief het bevoegd gezag van de school schriftelijk vragen het besluit te "
        "heroverwegen, volgens de bezwaarregeling van het schoolbestuur. Daarna staat de "
        "weg naar de burgerlijke rechter open."
    ),
    ("openbaar", "en"): (
        "If you disagree with this decision, you may lodge a written objection with the "
        "school's competent authority within six weeks of the date of this letter (General "
        "Administrative Law Act). State your name and address, the date, this decision and "
        "why you disagree, and sign it."
    ),
    ("bijzonder", "en"): (
        "If you disagree with this decision, you may ask the school's competent authority in "
        "writing, within six weeks of the date of this letter, to reconsider it under the "
        "school board's objection procedure. After that you may go to the civil court."
    ),
}


def _staff_name(staff: Staff) -> str:
    parts = (staff.first_name, staff.tussenvoegsel, staff.last_name)
    return " ".join(p.strip() for p in parts if p and p.strip())


def signatory(actor: Actor | None, protocol: Protocol, lang: str = "nl") -> dict[str, str]:
    """The signed-in user's staff name and the title of their highest role."""
    staff = Staff.get_or_none(Staff.id == actor.staff_id) if actor and actor.staff_id else None
    if staff is None:
        return {}
    roles = [r.strip() for r in staff.roles.split(",") if r.strip()]
    code = next((r for r in _ROLE_PRIORITY if r in roles), roles[0] if roles else "")
    role = protocol.role(code)
    if role is not None:
        title = role.title_en if lang == "en" and role.title_en else role.title
    else:
        title = _ROLE_FALLBACK.get(code, code)
    return {"naam": _staff_name(staff), "functie": title}


def _mentors(student: Student) -> dict[str, str]:
    if student.school_class_id is None:
        return {}
    staff = list(
        Staff.select()
        .join(ClassMentor)
        .where(ClassMentor.school_class == student.school_class_id)
        .order_by(ClassMentor.id)
    )
    if not staff:
        return {}
    names = [_staff_name(s) for s in staff]
    joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " en " + names[-1]
    return {"naam": joined, "email": staff[0].email or ""}


def _guardians(student_id: int) -> list[dict[str, str]]:
    query = (
        StudentGuardian.select(StudentGuardian, Guardian)
        .join(Guardian)
        .where((StudentGuardian.student == student_id) & StudentGuardian.has_authority)
        .order_by(StudentGuardian.id)
    )
    return [{"naam": rcp.guardian_full_name(sg.guardian), "relatie": sg.relation} for sg in query]


def _helplines(protocol: Protocol, case: Case) -> list[dict[str, str]]:
    rows = list(Helpline.select().order_by(Helpline.id))
    if rows:
        return [
            {"naam": h.name, "telefoon": h.phone, "website": h.url,
             "omschrijving": h.description or h.topic}
            for h in rows
        ]
    lines = list(protocol.helplines)
    track = protocol.cyber.track(case.cyber_track) if case.cyber_track else None
    if track and track.helplines:  # the track's own helplines first
        first = [h for h in lines if h.code in track.helplines]
        lines = first + [h for h in lines if h.code not in track.helplines]
    return [
        {"naam": h.name, "telefoon": h.phone, "website": h.url.removeprefix("https://"),
         "omschrijving": h.topic}
        for h in lines
    ]


_SANCTION_KINDS = {
    "schorsing": ("schorsing", "interne_schorsing"),
    "schorsing_verlengd": ("schorsing", "interne_schorsing"),
    "voornemen_verwijdering": ("voornemen_verwijdering",),
    "verwijdering": ("verwijdering",),
}


def _sanction(case_id: int, student_id: int, template_code: str, profile, lang) -> dict:
    kinds = _SANCTION_KINDS.get(template_code)
    if not kinds:
        return {}
    found = list(
        Sanction.select()
        .where(
            (Sanction.case == case_id)
            & (Sanction.student == student_id)
            & Sanction.kind.in_(kinds)
        )
        .order_by(Sanction.first_day.desc(nulls="LAST"), Sanction.id.desc())
    )
    bezwaar = OBJECTION.get((profile.denomination, lang)) or OBJECTION[("openbaar", lang)]
    if not found:
        return {"bezwaar": bezwaar}
    s = found[0]
    data: dict[str, Any] = {
        "eerste_dag": s.first_day,
        "laatste_dag": s.last_day,
        "dagen": s.school_days or None,
        "reden": s.reason,
        "bezwaar": bezwaar,
        # the letter says the inspectorate was told only once that is recorded
        "inspectie_gemeld": "ja" if s.inspectie_reported_on else "nee",
    }
    if template_code == "verwijdering":
        data["ingangsdatum"] = s.first_day
    if template_code == "schorsing_verlengd" and len(found) > 1:
        data["vorige_laatste_dag"] = found[1].last_day
    return data


def _contract(case_id: int, student_id: int, protocol: Protocol) -> dict:
    c = (
        Contract.select()
        .where((Contract.case == case_id) & (Contract.student == student_id))
        .order_by(Contract.made_on.desc(), Contract.id.desc())
        .first()
    )
    preset = protocol.contract
    from .contracts import rules_of  # stored as JSON by the contracts service

    rules = [r.strip() for r in (rules_of(c) if c is not None else []) if r.strip()]
    if not rules and preset is not None:
        rules = list(preset.rules)
    data: dict[str, Any] = {"regels": rules}
    if preset is not None and preset.closing:
        data["gevolgen"] = preset.closing
    if c is not None:
        data["ingangsdatum"] = c.made_on
        data["evaluatiedatum"] = c.evaluate_on
    return data


def _school(profile: SchoolProfile) -> dict[str, str]:
    town = f"{profile.postcode.strip()}  {profile.city.strip()}".strip()
    return {
        "naam": profile.name,
        "plaats": profile.city,
        "adres": ", ".join(x for x in (profile.street.strip(), town) if x),
        "telefoon": profile.phone,
        "email": profile.email,
        "website": profile.website,
    }


#: the neutral text a letter tells the parents about what was reported, until the user writes
#: one for them (by the student's role in the case; the letter's language, not the screen's)
PARENT_TEXT = {
    ("gepeste", "nl"): (
        "Bij de school is gemeld dat uw kind door een of meer medeleerlingen wordt gepest. "
        "Om de privacy van alle betrokken leerlingen te beschermen, noemen wij in deze brief "
        "geen namen of details over anderen. In een gesprek vertellen wij u graag meer."),
    ("pester", "nl"): (
        "Bij de school is gemeld dat uw kind betrokken is bij het pesten van een of meer "
        "medeleerlingen. Om de privacy van alle betrokken leerlingen te beschermen, noemen "
        "wij in deze brief geen namen of details over anderen. In een gesprek vertellen wij "
        "u graag meer."),
    ("gepeste", "en"): (
        "The school has received a report that your child is being bullied by one or more "
        "fellow students. To protect the privacy of every student involved, this letter "
        "names no one else and gives no details about others. We are happy to tell you more "
        "in a conversation."),
    ("pester", "en"): (
        "The school has received a report that your child is involved in bullying one or "
        "more fellow students. To protect the privacy of every student involved, this letter "
        "names no one else and gives no details about others. We are happy to tell you more "
        "in a conversation."),
}


def default_parent_text(case_id: int, student_id: int, lang: str = "nl") -> str:
    """The neutral parent text for a letter about ``student_id`` (never the case's own
    description, which is written for the care team and names other children)."""
    inv = Involvement.get_or_none((Involvement.case == case_id)
                                  & (Involvement.student == student_id))
    role = "gepeste" if inv is not None and inv.role == "gepeste" else "pester"
    return PARENT_TEXT.get((role, lang)) or PARENT_TEXT[(role, "nl")]


def merge_data_for(
    case_id: int,
    student_id: int,
    template_code: str,
    extra: Mapping[str, Any] | None = None,
    *,
    actor: Actor,
    lang: str = "nl",
    parent_text: str | None = None,
) -> dict[str, Any]:
    """The merge data for one letter about ``student_id`` in case ``case_id``, from the DB.

    A letter never pulls the case's internal free text: ``case.omschrijving`` is the parent
    text (``parent_text``, else :func:`default_parent_text`) and ``cyber.omschrijving`` is
    left for the user to write. ``extra`` (e.g. a meeting's date typed in the compose
    dialog) is merged in per group: ``{"meeting": {"datum": ...}}`` fills or overrides only
    those fields."""
    case = Case.get_by_id(case_id)
    student = Student.get_by_id(student_id)
    protocol = case_protocol(case)
    profile = school_profile()
    klass = SchoolClass.get_or_none(SchoolClass.id == student.school_class_id)
    data: dict[str, Any] = {
        "school": _school(profile),
        "student": {
            "roepnaam": student.first_name,
            "tussenvoegsel": student.tussenvoegsel,
            "achternaam": student.last_name,
            "klas": klass.name if klass else "",
            "geboortedatum": student.birth_date,
        },
        "mentor": _mentors(student),
        "guardians": _guardians(student_id),
        "case": {
            "nummer": case.number,
            "datum_melding": case.reported_on,
            "omschrijving": (default_parent_text(case_id, student_id, lang)
                             if parent_text is None else parent_text.strip()),
        },
        "sanction": _sanction(case_id, student_id, template_code, profile, lang),
        "contract": _contract(case_id, student_id, protocol),
        "helplines": _helplines(protocol, case),
        "signatory": signatory(actor, protocol, lang),
    }
    if case.is_cyber:
        data["cyber"] = _cyber(case)
    for key, value in (extra or {}).items():
        if isinstance(value, Mapping) and isinstance(data.get(key), dict):
            data[key].update(value)
        else:
            data[key] = value
    return data


_POLICE_WORDS = {"": "geen", "planned": "gepland", "made": "gedaan",
                 "not_wanted": "niet_gewenst"}
_BLOCK_WORDS = {"yes": "ja", "wait": "wachten", "no": "nee"}


def _cyber(case: Case) -> dict[str, str]:
    """The cyber fields: the track, and what the checklist says of the police report and
    of blocking the sender (one rule: the engine's, so letter and checklist agree)."""
    from .cases import case_cyber_checklist

    checklist = case_cyber_checklist(case)
    police = checklist.police_report if checklist else ""
    block = checklist.block if checklist else "yes"
    return {"soort": case.cyber_track, "omschrijving": "",
            "aangifte": _POLICE_WORDS.get(police, "geen"),
            "blokkeren": _BLOCK_WORDS.get(block, "ja")}


def to_json(data: Mapping[str, Any]) -> str:
    """Merge data as JSON for the archive (dates as ISO text)."""

    def default(value: Any) -> str:
        if isinstance(value, dt.date | dt.datetime):
            return value.isoformat()
        return str(value)

    return json.dumps(data, ensure_ascii=False, sort_keys=True, default=default)


# --------------------------------------------------------------------------- planning


#: the merge fields the dossier fills with text people wrote (free text), per group (None:
#: all fields): checked by the name detector before a letter goes out, together with every
#: value typed in the compose dialog (``LetterPlan.typed``, any group, any field)
FREE_TEXT_FIELDS: dict[str, tuple[str, ...] | None] = {
    "case": ("omschrijving",),
    "sanction": ("reden", "schoolwerk", "nieuwe_school"),
    "contract": ("regels", "gevolgen"),
    "meeting": None, "vervolg": None, "verwijzing": None,
    "cyber": ("omschrijving",),
}
#: the legal parts (``resources/legal``) a letter must show in its printed text; None: the
#: suspension letter's parts from the legal rules
LEGAL_PARTS: dict[str, tuple[str, ...] | None] = {
    "schorsing": None, "schorsing_verlengd": None, "verwijdering": ("bezwaar",),
}
#: a legal part -> the merge field that carries it, and words that show it when the school's
#: template gives its own sentence instead of a value (None: the value itself must show)
_PART_FIELDS = {
    "reden": ("sanction.reden", None),
    "periode": ("sanction.eerste_dag", None),
    "schoolwerk": ("sanction.schoolwerk", {"nl": "schoolwerk", "en": "schoolwork"}),
    "terugkeergesprek": ("meeting.datum", None),
    "bezwaar": ("sanction.bezwaar", {"nl": "bezwaar", "en": "objection"}),
}


def _field_label(name: str) -> str:
    description = MERGE_FIELDS.get(name)
    return f"{_(description)} ({name})" if description else name


def empty_fields_refusal(empty: Iterable[str]) -> str:
    """The one message that names every merge field a letter would print without a value."""
    return _("Merge fields without a value: {fields}. Fill them in, or remove the sentence "
             "from the school's template.").format(
        fields="; ".join(_field_label(n) for n in empty))


def render_complete(template: Template, merge_data: Mapping[str, Any], recipient,
                    head: Letterhead, *, lang: str, letter_date: dt.date,
                    window: WindowSettings | None = None) -> bytes:
    """A letter that is handed out without being archived (the contract for signature):
    the same rule as :func:`issue`, no merge field printed without a value, checked on the
    text as it will be printed; ``ServiceError`` naming every such field."""
    _text, empty = printed_text(template, merge_data, recipient, head, lang=lang,
                                letter_date=letter_date)
    if empty:
        raise ServiceError(empty_fields_refusal(empty))
    try:
        return render_letter(template, merge_data, recipient, head, lang=lang,
                             letter_date=letter_date, window=window or window_settings())
    except AddressDoesNotFit as exc:
        raise ServiceError(str(exc)) from None


@dataclass
class LetterPlan:
    """One letter about one student, ready to preview and issue to its addressees."""

    case_id: int
    student_id: int
    template: Template
    template_version: str
    merge_data: dict[str, Any]
    recipients: list[rcp.PlannedRecipient]
    problems: list[str]
    letterhead: Letterhead
    window: WindowSettings
    letter_date: dt.date
    lang: str = "nl"
    title: str = ""
    student_name: str = ""
    #: what the user typed in the compose dialog (``prepare``'s ``extra``): every value of it
    #: is checked for names, whatever its group or field
    typed: Mapping[str, Any] = field(default_factory=dict)
    _warnings: dict[str, list[str]] = field(default_factory=dict, repr=False)
    _checked: dict[str, list[str]] = field(default_factory=dict, repr=False)

    @property
    def usable(self) -> list[rcp.PlannedRecipient]:
        return [r for r in self.recipients if r.usable]

    def warnings(self, recipient: rcp.PlannedRecipient) -> list[str]:
        """Preflight warnings (address, window fit, missing merge values) for one letter."""
        if recipient.key not in self._warnings:
            self._warnings[recipient.key] = preflight(
                self.template, self.merge_data, recipient.recipient, self.letterhead,
                lang=self.lang, letter_date=self.letter_date, window=self.window,
            )
        return self._warnings[recipient.key]

    def _printed(self) -> tuple[str, list[str]]:
        first = self.usable[0].recipient if self.usable else None
        return printed_text(self.template, self.merge_data, first, self.letterhead,
                            lang=self.lang, letter_date=self.letter_date)

    def empty_fields(self) -> list[str]:
        """The merge fields the letter prints without a value ("Wij verwachten u op ."):
        fill them in, or take the sentence out of the school's template."""
        if "empty" not in self._checked:
            self._checked["empty"] = self._printed()[1]
        return self._checked["empty"]

    def _free_texts(self) -> dict[str, str]:
        """Field name -> text, for every field people write: the dossier's free text
        (``FREE_TEXT_FIELDS``) and everything typed in the compose dialog."""
        out: dict[str, str] = {}

        def add(name: str, value: Any) -> None:
            texts = value if isinstance(value, list | tuple) else [value]
            text = "\n".join(str(t) for t in texts if isinstance(t, str | int | float))
            if text.strip():
                out[name] = "\n".join(x for x in (out.get(name, ""), text) if x)

        for group, wanted in FREE_TEXT_FIELDS.items():
            values = self.merge_data.get(group)
            if isinstance(values, Mapping):
                for key, value in values.items():
                    if wanted is None or key in wanted:
                        add(f"{group}.{key}", value)
        for group, values in self.typed.items():
            if isinstance(values, Mapping):
                for key, value in values.items():
                    if f"{group}.{key}" not in out:
                        add(f"{group}.{key}", value)
            else:
                add(group, values)
        return out

    def foreign_names(self) -> list[tuple[str, list[names.ForeignName]]]:
        """Per free-text field (label, names): the people of the school named in it who do not
        belong in this letter: anyone but the student it is about and their own guardians."""
        allowed = names.own_keys([self.student_id])
        index = names.school_index()
        out = []
        for name, text in self._free_texts().items():
            found = names.foreign_names(text, allowed, index=index)
            if found:
                out.append((_field_label(name), found))
        return out

    def missing_legal_parts(self) -> list[str]:
        """The parts the law wants in this letter (``resources/legal``) that its printed text
        does not show (translated names)."""
        if "legal" in self._checked:
            return self._checked["legal"]
        code = self.template.code
        missing: list[str] = []
        if code in LEGAL_PARTS:
            from ..domain import sanctions as rules_mod
            from .sanctions import legal_rules

            parts = LEGAL_PARTS[code]
            parts = legal_rules().letter_parts if parts is None else parts
            text = self._printed()[0]
            first = self.usable[0].recipient if self.usable else None
            data = merge_context(self.merge_data, first, self.letterhead, self.letter_date)
            for part in parts:
                path, words = _PART_FIELDS.get(part, (None, None))
                value = letter_fields.format_value(letter_fields.lookup(data, path), self.lang) \
                    if path else ""
                value = " ".join(value.split())
                if value:
                    shown = value in text
                else:
                    shown = bool(words) and words.get(self.lang, "") in text.lower()
                if not shown:
                    missing.append(_(rules_mod.LETTER_PARTS.get(part, part)))
        self._checked["legal"] = missing
        return missing

    def blocking(self) -> list[str]:
        """Why this letter may not be issued yet (empty: it may), in the user's language."""
        out = []
        empty = self.empty_fields()
        if empty:
            out.append(empty_fields_refusal(empty))
        for label, found in self.foreign_names():
            out.append(_("{field} names someone who does not belong in this letter: {names}. "
                         "Only the student it is about and their own parents may be named.")
                       .format(field=label, names=names.describe_all(found)))
        missing = self.missing_legal_parts()
        if missing:
            out.append(_("The letter does not show what the law requires: {parts}.").format(
                parts=", ".join(missing)))
        return out

    def render(self, recipient: rcp.PlannedRecipient) -> bytes:
        """The PDF for one addressee (nothing is stored)."""
        try:
            return render_letter(
                self.template, self.merge_data, recipient.recipient, self.letterhead,
                lang=self.lang, letter_date=self.letter_date, window=self.window,
            )
        except AddressDoesNotFit as exc:
            raise ServiceError(str(exc)) from None


def prepare(
    actor: Actor,
    case_id: int,
    student_id: int,
    template_code: str,
    *,
    letter_date: dt.date | None = None,
    lang: str = "nl",
    extra: Mapping[str, Any] | None = None,
    parent_text: str | None = None,
) -> LetterPlan:
    """Everything needed to preview and issue ``template_code`` about ``student_id``.

    ``parent_text`` is what the letter tells the parents about what happened (None: the
    neutral default); it is checked with the rest of the letter by ``LetterPlan.blocking``."""
    access.visible_case(actor, case_id)
    if not Involvement.select().where((Involvement.case == case_id)
                                      & (Involvement.student == student_id)).exists():
        # a letter is about a student of its case: no other child's parents and address
        raise access.NotFound(_("This student is not involved in this case."))
    unfit = unfit_reason(template_code, case_id)
    if unfit:
        raise ServiceError(unfit)
    today = letter_date or clock.today()
    template, version = template_for(template_code, lang)
    planned = rcp.recipients_for(actor, student_id, today, lang)
    student = Student.get_by_id(student_id)
    return LetterPlan(
        case_id=case_id,
        student_id=student_id,
        template=template,
        template_version=version,
        merge_data=merge_data_for(case_id, student_id, template_code, extra, actor=actor,
                                  lang=lang, parent_text=parent_text),
        recipients=planned,
        problems=rcp.plan_problems(student_id, planned),
        letterhead=letterhead(),
        window=window_settings(),
        letter_date=today,
        lang=lang,
        title=template.variant(lang).title,
        student_name=rcp.student_name(student),
        typed=dict(extra or {}),
    )


def prepare_step(
    actor: Actor,
    case_id: int,
    step_code: str,
    stage_code: str | None = None,
    *,
    letter_date: dt.date | None = None,
    lang: str = "nl",
    extra: Mapping[str, Any] | None = None,
) -> list[LetterPlan]:
    """One plan per letter of the step and per student it is about (e.g. the recidive letter
    to the victim's parents and its version to every pester's parents)."""
    codes = letters_for_step(case_id, step_code, stage_code)
    if not codes:
        raise ServiceError(_("This protocol step has no letter."))
    return [
        prepare(actor, case_id, sid, code, letter_date=letter_date, lang=lang, extra=extra)
        for code in codes
        for sid in students_for_letter(case_id, code)
    ]


# --------------------------------------------------------------------------- issuing


@dataclass(frozen=True)
class IssuedLetter:
    letter_id: int
    event_id: int
    recipient: str
    pdf: bytes
    sha256: str


Progress = Callable[[int, int], Any]


def issue(
    actor: Actor,
    letters: Iterable[tuple[LetterPlan, rcp.PlannedRecipient]],
    progress: Progress | None = None,
) -> list[IssuedLetter]:
    """Render and archive letters: all stored in one transaction, or none.

    Refused (nothing stored) when an addressee has an address problem, or when a letter
    prints a merge field without a value, names someone who does not belong in it, or
    lacks a part the law requires (``LetterPlan.blocking``). ``progress(done,
    total)`` is called after each rendered letter; returning ``False`` cancels the batch
    before anything is stored (and returns [])."""
    todo = list(letters)
    blocked = [p for plan, r in todo for p in r.problems]
    if blocked:
        raise ServiceError(
            _("Fix these addresses first; nothing was printed:\n{problems}").format(
                problems="\n".join(blocked)
            )
        )
    if not todo:
        raise ServiceError(_("No letters chosen."))
    for case_id in {plan.case_id for plan, _r in todo}:
        access.require_edit(actor, case_id)
    refused = []
    for plan in {id(plan): plan for plan, _r in todo}.values():
        refused += [f"{plan.student_name}: {why}" for why in plan.blocking()]
    if refused:
        raise ServiceError(_("Nothing was issued:\n{problems}").format(
            problems="\n".join(refused)))
    rendered: list[bytes] = []
    for i, (plan, r) in enumerate(todo, start=1):
        rendered.append(plan.render(r))
        if progress is not None and progress(i, len(todo) + 1) is False:
            return []
    out = _archive(actor, todo, rendered)
    if progress is not None:
        progress(len(todo) + 1, len(todo) + 1)
    return out


def _archive(actor: Actor, todo, rendered: list[bytes]) -> list[IssuedLetter]:
    out: list[IssuedLetter] = []
    now = utcnow()
    with write():
        for (plan, r), pdf in zip(todo, rendered, strict=True):
            digest = hashlib.sha256(pdf).hexdigest()
            letter = Letter.create(
                case=plan.case_id,
                student=plan.student_id,
                template_code=plan.template.code,
                template_version=plan.template_version,
                recipient=r.recipient.name,
                merge_data=to_json(
                    {**plan.merge_data, "recipient": {"naam": r.recipient.name,
                                                      "adres": list(r.recipient.name_lines)},
                     "datum": plan.letter_date, "lang": plan.lang}
                ),
                pdf=pdf,
                sha256=digest,
                created_by=actor.user_id,
                created_at=now,
            )
            audit(actor, "create", "letter", letter.id,
                  f"template={plan.template.code},version={plan.template_version}")
            involvement = Involvement.get_or_none(
                (Involvement.case == plan.case_id) & (Involvement.student == plan.student_id)
            )
            event = create(
                actor, Event,
                case=plan.case_id,
                involvement=involvement,
                kind="letter",
                occurred_on=plan.letter_date,
                title=plan.title,
                body=_("To: {recipient}").format(recipient=r.recipient.name),
                data=json.dumps({"letter_id": letter.id, "template": plan.template.code,
                                 "sha256": digest}),
                author=actor.user_id,
            )
            out.append(IssuedLetter(letter.id, event.id, r.recipient.name, pdf, digest))
    return out


# --------------------------------------------------------------------------- the archive


@dataclass(frozen=True)
class ArchivedLetter:
    letter_id: int
    case_id: int | None
    case_number: str
    student_id: int | None
    template_code: str
    template_version: str
    recipient: str
    created_at: dt.datetime
    sha256: str
    has_pdf: bool


def letter_info(letter_id: int, actor: Actor) -> ArchivedLetter:
    """What the archive shows of one letter; ``access.NotFound`` (same message as a missing
    letter) when its case is hidden from ``actor``."""
    query = Letter.select().where((Letter.id == letter_id) & access.letter_visibility(actor))
    row = query.first()
    if row is None:
        raise access.NotFound(_("This letter no longer exists."))
    case = Case.get_or_none(Case.id == row.case_id) if row.case_id else None
    return ArchivedLetter(
        row.id, row.case_id, case.number if case else "", row.student_id, row.template_code,
        row.template_version, row.recipient, row.created_at, row.sha256, row.pdf is not None,
    )


def letter_pdf(actor: Actor, letter_id: int, action: str = "view") -> bytes:
    """The stored PDF, exactly as sent; its SHA-256 is checked first.

    ``action`` is audited: ``view`` (preview), ``print`` (reprint) or ``export`` (save)."""
    row = Letter.select().where(
        (Letter.id == letter_id) & access.letter_visibility(actor)).first()
    if row is None:
        raise access.NotFound(_("This letter no longer exists."))
    if row.pdf is None:
        raise ServiceError(_("No PDF was stored with this letter."))
    pdf = bytes(row.pdf)
    if hashlib.sha256(pdf).hexdigest() != row.sha256:
        raise ServiceError(
            _("The stored letter does not match its fingerprint (SHA-256); it may be damaged. "
              "Restore the database from a backup.")
        )
    with write():
        audit(actor, action, "letter", letter_id, f"template={row.template_code}")
    return pdf


def record_output(actor: Actor, letter_ids: Iterable[int], action: str) -> None:
    """Audit that freshly issued letters were printed (``print``) or saved (``export``)."""
    ids = list(letter_ids)
    with write():
        for letter_id in ids:
            audit(actor, action, "letter", letter_id, "")


def template_title(code: str, lang: str = "nl") -> str:
    """The title of a template for lists (the code when it is unknown)."""
    try:
        template, _v = template_for(code, lang)
    except (ServiceError, TemplateError):
        return code
    variant = template.variants.get(lang)
    return variant.title if variant else code
