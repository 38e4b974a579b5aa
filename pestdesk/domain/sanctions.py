"""The legal rules for suspension (schorsing) and expulsion (verwijdering), checked in code.

The rules themselves are data: ``resources/legal/nl-wvo.toml`` names the limits, the terms
and the articles (with what was and was not verified). This module reads that file and
answers: may this suspension be decided, how many school days is it, must the inspectorate
be told and by when, who gets the letter, which steps of an expulsion are open and when is
each due. A refusal raises ``SanctionRefused`` with a translated reason and the article.

Pure Python: no Qt, no database.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pestdesk.i18n import N_, _, format_date
from pestdesk.paths import RESOURCES_DIR

from .schooldays import SchoolCalendar

LEGAL_FILE = RESOURCES_DIR / "legal" / "nl-wvo.toml"

SCHORSING = "schorsing"
INTERNE_SCHORSING = "interne_schorsing"
VOORNEMEN = "voornemen_verwijdering"
VERWIJDERING = "verwijdering"
SUSPENSION_KINDS = (SCHORSING, INTERNE_SCHORSING)
EXPULSION_KINDS = (VOORNEMEN, VERWIJDERING)
KIND_LABELS = {
    SCHORSING: N_("suspension"),
    INTERNE_SCHORSING: N_("internal suspension"),
    VOORNEMEN: N_("intention to expel"),
    VERWIJDERING: N_("expulsion"),
}
HEARD_GROUPS = {
    "leerling": N_("student"),
    "ouders": N_("parents"),
    "leraren": N_("teachers"),
}
LETTER_PARTS = {
    "reden": N_("facts and reasons"),
    "periode": N_("the period"),
    "schoolwerk": N_("arrangements for schoolwork"),
    "terugkeergesprek": N_("the return meeting"),
    "bezwaar": N_("how to object"),
}


class LegalRulesError(ValueError):
    """The legal rules file cannot be used."""


class SanctionRefused(Exception):
    """The law (or the protocol) does not allow this now; ``message`` says why."""

    def __init__(self, message: str, code: str = "", article: str = "") -> None:
        full = f"{message} ({article})" if article else message
        super().__init__(full)
        self.message = full
        self.code = code
        self.article = article


@dataclass(frozen=True)
class LegalRules:
    version: str
    articles: dict[str, str]
    max_school_days: int
    report_over_days: int
    suspension_inspectie_due_school_days: int
    suspension_hearing_required: bool
    letter_parts: tuple[str, ...]
    expulsion_hear: tuple[str, ...]
    report_intention: bool
    expulsion_inspectie_due_school_days: int
    search_weeks: int
    objection_weeks: int
    objection_decision_weeks: int
    gc_weeks: int
    gc_opinion_weeks: int
    adult_age: int
    suspension_deciding_roles: tuple[str, ...] = ()
    expulsion_deciding_roles: tuple[str, ...] = ()
    objection_texts: dict[tuple[str, str], str] = field(default_factory=dict)
    gc_texts: dict[str, str] = field(default_factory=dict)

    def article(self, key: str) -> str:
        return self.articles.get(key, "")

    def deciding_roles(self, kind: str) -> tuple[str, ...]:
        """The roles (protocol role codes) that may take the decision on a measure of
        ``kind`` by law ('' none declared: the protocol alone decides)."""
        if kind in SUSPENSION_KINDS:
            return self.suspension_deciding_roles
        return self.expulsion_deciding_roles

    def objection_text(self, denomination: str, lang: str = "nl") -> str:
        """How to object: differs for an openbare and a bijzondere school."""
        key = "bijzonder" if denomination == "bijzonder" else "openbaar"
        return self.objection_texts.get((key, lang)) or self.objection_texts.get((key, "nl"), "")

    def geschillencommissie_text(self, lang: str = "nl") -> str:
        return self.gc_texts.get(lang) or self.gc_texts.get("nl", "")


def _int(table: dict, key: str, where: str) -> int:
    value = table.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise LegalRulesError(f"{where}.{key}: a whole number of 0 or more is required")
    return value


def _roles(table: dict, where: str, name: str) -> tuple[str, ...]:
    roles = table.get("deciding_roles", [])
    if not isinstance(roles, list) or not all(isinstance(r, str) and r for r in roles):
        raise LegalRulesError(f"{name}: {where}.deciding_roles: a list of role codes is "
                              "required")
    return tuple(roles)


def parse_legal_rules(text: str, name: str = "<text>") -> LegalRules:
    """Read the rules from TOML text; a missing or wrong value is refused, naming it."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LegalRulesError(f"{name}: {exc}") from None
    if data.get("format") != 1:
        raise LegalRulesError(f"{name}: format 1 expected")
    try:
        sus, exp = data["suspension"], data["expulsion"]
        texts = {}
        for denomination in ("openbaar", "bijzonder"):
            body = data["objection"][denomination]
            texts[(denomination, "nl")] = body["text"].strip()
            texts[(denomination, "en")] = body.get("text_en", "").strip()
        gc = data.get("geschillencommissie", {})
        hear = tuple(exp.get("hear", ()))
        unknown = [h for h in hear if h not in HEARD_GROUPS]
        parts = tuple(sus.get("letter_parts", ()))
        unknown += [p for p in parts if p not in LETTER_PARTS]
        if unknown:
            raise LegalRulesError(f"{name}: unknown codes {unknown}")
        return LegalRules(
            version=str(data.get("version", "")),
            articles={k: str(v) for k, v in data.get("articles", {}).items()},
            max_school_days=_int(sus, "max_school_days", "suspension"),
            report_over_days=_int(sus, "report_inspectie_over_days", "suspension"),
            suspension_inspectie_due_school_days=_int(sus, "inspectie_due_school_days",
                                                      "suspension"),
            suspension_hearing_required=bool(sus.get("hearing_required", True)),
            letter_parts=parts,
            expulsion_hear=hear,
            report_intention=bool(exp.get("report_intention", True)),
            expulsion_inspectie_due_school_days=_int(exp, "inspectie_due_school_days",
                                                     "expulsion"),
            search_weeks=_int(exp, "search_weeks", "expulsion"),
            objection_weeks=_int(exp, "objection_weeks", "expulsion"),
            objection_decision_weeks=_int(exp, "objection_decision_weeks", "expulsion"),
            gc_weeks=_int(exp, "geschillencommissie_weeks", "expulsion"),
            gc_opinion_weeks=_int(exp, "geschillencommissie_opinion_weeks", "expulsion"),
            adult_age=_int(data["adult"], "age", "adult"),
            suspension_deciding_roles=_roles(sus, "suspension", name),
            expulsion_deciding_roles=_roles(exp, "expulsion", name),
            objection_texts=texts,
            gc_texts={"nl": gc.get("text", "").strip(), "en": gc.get("text_en", "").strip()},
        )
    except KeyError as exc:
        raise LegalRulesError(f"{name}: missing {exc.args[0]}") from None


def load_legal_rules(path: str | Path | None = None) -> LegalRules:
    """The rules in ``path`` (default: the shipped ``nl-wvo.toml``, read once)."""
    if path is None:
        return _shipped()
    path = Path(path)
    return parse_legal_rules(path.read_text(encoding="utf-8"), path.name)


@lru_cache(maxsize=1)
def _shipped() -> LegalRules:
    return parse_legal_rules(LEGAL_FILE.read_text(encoding="utf-8"), LEGAL_FILE.name)


# ---------------------------------------------------------------------------------------------
# suspension


@dataclass(frozen=True)
class Hearing:
    """Who was heard before the decision, when, and what they said (a short summary)."""

    on: dt.date
    who: tuple[str, ...]
    summary: str = ""


@dataclass(frozen=True)
class SuspensionPlan:
    kind: str
    first_day: dt.date
    last_day: dt.date
    school_days: int
    inspectie_required: bool
    free_days: tuple[tuple[dt.date, str], ...] = ()


def plan_suspension(rules: LegalRules, calendar: SchoolCalendar, kind: str,
                    first_day: dt.date, school_days: int | None = None,
                    last_day: dt.date | None = None) -> SuspensionPlan:
    """The suspension's period in school days; refuses one longer than the law allows.

    Give either ``school_days`` (the last day is computed) or ``last_day`` (the school days
    are counted). Weekends, public holidays and the school's free periods do not count.
    """
    if kind not in SUSPENSION_KINDS:
        raise ValueError(f"not a suspension: {kind!r}")
    if not calendar.is_school_day(first_day):
        raise SanctionRefused(_("The first day of a suspension must be a school day."),
                              "first_day_not_school_day")
    if school_days is None and last_day is None:
        raise ValueError("give school_days or last_day")
    if school_days is not None:
        if school_days < 1:
            raise SanctionRefused(_("A suspension lasts at least one school day."), "too_short")
        if school_days > rules.max_school_days:
            _refuse_too_long(rules, school_days)
        last_day = calendar.last_day_for(first_day, school_days)
    else:
        if last_day < first_day:
            raise SanctionRefused(_("The last day lies before the first day."), "order")
        school_days = calendar.school_days_between(first_day, last_day)
        if school_days > rules.max_school_days:
            _refuse_too_long(rules, school_days)
    return SuspensionPlan(
        kind=kind, first_day=first_day, last_day=last_day, school_days=school_days,
        inspectie_required=school_days > rules.report_over_days,
        free_days=tuple(calendar.free_days_within(first_day, last_day)),
    )


def _refuse_too_long(rules: LegalRules, school_days: int) -> None:
    raise SanctionRefused(
        _("A suspension may last at most {max} school days (one week); {n} school days is "
          "not allowed. For a longer measure start an expulsion procedure.").format(
            max=rules.max_school_days, n=school_days),
        "too_long", rules.article("schorsing"))


def check_hearing(rules: LegalRules, kind: str, hearing: Hearing | None,
                  decided_on: dt.date) -> None:
    """No decision without a recorded hearing before it (and, for expulsion, of everyone)."""
    required = (rules.suspension_hearing_required if kind in SUSPENSION_KINDS else True)
    article = rules.article("schorsing" if kind in SUSPENSION_KINDS else "verwijdering")
    if not required:
        return
    if hearing is None or not hearing.who:
        raise SanctionRefused(
            _("Record the hearing first (date, who was heard, summary): no decision without "
              "hearing the student and the parents."), "no_hearing", article)
    if hearing.on > decided_on:
        raise SanctionRefused(_("The hearing must take place before the decision."),
                              "hearing_after_decision", article)
    if kind == VERWIJDERING:
        missing = [g for g in rules.expulsion_hear if g not in hearing.who]
        if missing:
            raise SanctionRefused(
                _("Before an expulsion these must be heard as well: {who}.").format(
                    who=", ".join(_(HEARD_GROUPS[g]) for g in missing)),
                "hearing_incomplete", article)


def inspectie_due_on(rules: LegalRules, calendar: SchoolCalendar, kind: str,
                     decided_on: dt.date) -> dt.date:
    """When the notification to the inspectorate is due (school policy; see the TOML)."""
    days = (rules.suspension_inspectie_due_school_days if kind in SUSPENSION_KINDS
            else rules.expulsion_inspectie_due_school_days)
    return calendar.add_school_days(decided_on, days)


def age_on(birth_date: dt.date, on: dt.date) -> int:
    years = on.year - birth_date.year
    if (on.month, on.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def addressee(rules: LegalRules, birth_date: dt.date | None, on: dt.date) -> str:
    """``"student"`` for an adult student (addressed directly), else ``"guardians"``."""
    if birth_date is not None and age_on(birth_date, on) >= rules.adult_age:
        return "student"
    return "guardians"


def missing_letter_parts(rules: LegalRules, parts: dict[str, object]) -> list[str]:
    """The letter parts the law asks for that are still empty (codes; see LETTER_PARTS)."""
    return [p for p in rules.letter_parts if not parts.get(p)]


# ---------------------------------------------------------------------------------------------
# expulsion procedure


@dataclass(frozen=True)
class SchoolApproached:
    on: dt.date
    school: str
    outcome: str = ""  # "", "admitted", "refused"


@dataclass(frozen=True)
class ExpulsionState:
    """What has happened so far in an expulsion procedure (all dates; None = not yet)."""

    intention_on: dt.date
    hearing: Hearing | None = None
    inspectie_on: dt.date | None = None
    leerplicht_on: dt.date | None = None
    decided_on: dt.date | None = None
    letter_on: dt.date | None = None
    schools: tuple[SchoolApproached, ...] = ()
    objection_on: dt.date | None = None
    objection_decided_on: dt.date | None = None
    geschillencommissie_on: dt.date | None = None
    decision_reported_on: dt.date | None = None

    @property
    def admitted(self) -> SchoolApproached | None:
        return next((s for s in self.schools if s.outcome == "admitted"), None)


@dataclass(frozen=True)
class Deadline:
    code: str
    title: str  # translated
    due_on: dt.date | None
    done_on: dt.date | None
    article: str = ""

    def overdue(self, today: dt.date) -> bool:
        return self.done_on is None and self.due_on is not None and self.due_on < today


def check_expulsion_step(rules: LegalRules, state: ExpulsionState, step: str,
                         on: dt.date) -> None:
    """Refuse a step of the expulsion procedure that comes too early."""
    article = rules.article("verwijdering")
    if step == "besluit":
        check_hearing(rules, VERWIJDERING, state.hearing, on)
        if state.inspectie_on is None:
            raise SanctionRefused(
                _("Consult the inspectorate about the intended expulsion before deciding."),
                "no_inspectie", article)
    elif step == "brief" and state.decided_on is None:
        raise SanctionRefused(_("There is no decision to expel yet."), "no_decision", article)
    elif step == "bezwaar" and state.letter_on is None:
        raise SanctionRefused(_("The decision has not been sent in writing yet."),
                              "no_letter", article)
    elif step == "beslissing_bezwaar" and state.objection_on is None:
        raise SanctionRefused(_("No objection has been received."), "no_objection", article)
    if step in ("besluit", "brief", "bezwaar", "beslissing_bezwaar") and on < state.intention_on:
        raise SanctionRefused(_("This date lies before the intention to expel."), "order")


def expulsion_deadlines(rules: LegalRules, calendar: SchoolCalendar,
                        state: ExpulsionState) -> list[Deadline]:
    """Every step of the procedure with its due date (None: no legal term) and done date.

    A term counted in weeks that ends on a day the school is closed (a weekend, a holiday,
    the school's vacation) ends on the next school day."""
    week = dt.timedelta(weeks=1)
    art = rules.article("verwijdering")
    start_search = state.decided_on or state.intention_on

    def school_day(day: dt.date) -> dt.date:
        return calendar.next_school_day(day)

    out = [
        Deadline("horen", _("Hear student, parents and teachers"), None,
                 state.hearing.on if state.hearing else None, art),
        Deadline("inspectie", _("Inform and consult the inspectorate (Internet Schooldossier)"),
                 inspectie_due_on(rules, calendar, VOORNEMEN, state.intention_on),
                 state.inspectie_on, rules.article("melding_inspectie")),
        Deadline("leerplicht", _("Inform the compulsory-education officer"),
                 inspectie_due_on(rules, calendar, VOORNEMEN, state.intention_on),
                 state.leerplicht_on, art),
        Deadline("besluit", _("Decide on the expulsion"), None, state.decided_on, art),
        Deadline("brief", _("Send the decision in writing, with how to object"), None,
                 state.letter_on, art),
        Deadline("andere_school", _("Find another school (at least {n} weeks of "
                                    "demonstrable search)").format(n=rules.search_weeks),
                 school_day(start_search + rules.search_weeks * week),
                 state.admitted.on if state.admitted else None, art),
    ]
    if state.decided_on:
        out.append(Deadline("inspectie_besluit", _("Report the decision to the inspectorate"),
                            inspectie_due_on(rules, calendar, VERWIJDERING, state.decided_on),
                            state.decision_reported_on, rules.article("melding_inspectie")))
    if state.letter_on:
        out.append(Deadline("bezwaar", _("End of the objection term"),
                            school_day(state.letter_on + rules.objection_weeks * week),
                            state.objection_on, rules.article("bezwaar")))
        out.append(Deadline("geschillencommissie",
                            _("Submit the dispute to the Geschillencommissie passend onderwijs"),
                            school_day(state.letter_on + rules.gc_weeks * week),
                            state.geschillencommissie_on, rules.article("geschillencommissie")))
    if state.objection_on:
        due = state.objection_on + rules.objection_decision_weeks * week
        if state.geschillencommissie_on:  # the term is suspended while the committee looks
            due += rules.gc_opinion_weeks * week
        out.append(Deadline("beslissing_bezwaar", _("Decide on the objection"), school_day(due),
                            state.objection_decided_on, rules.article("bezwaar")))
    return out


def expulsion_may_take_effect(rules: LegalRules, state: ExpulsionState, today: dt.date,
                              calendar: SchoolCalendar | None = None) -> tuple[bool, str]:
    """An expulsion takes effect only once another school admits the student, or after the
    full search term with schools demonstrably approached."""
    if state.decided_on is None:
        return False, _("There is no decision to expel yet.")
    if state.admitted:
        return True, _("Another school admits the student.")
    end = (state.decided_on or state.intention_on) + dt.timedelta(weeks=rules.search_weeks)
    end = (calendar or SchoolCalendar()).next_school_day(end)
    if today >= end and state.schools:
        return True, _("The school searched for {n} weeks without success.").format(
            n=rules.search_weeks)
    return False, _("The student stays enrolled until another school is found or the "
                    "search term ends on {date}.").format(date=format_date(end))
