"""Fixed code lists of the domain, with English labels marked for translation.

These are the codes stored in the database (``Involvement.role``, ``Case.forms``,
``Case.location``, ``Case.reporter_kind``, ``Case.cyber_track``) and the codes a protocol
preset may use for letters and cyber tracks. Codes are Dutch where the glossary keeps the
Dutch term; labels are English source strings: show them with ``_(label)``.
"""

from __future__ import annotations

from pestdesk.i18n import N_

#: Roles a student can have in a case. Only pesters walk the escalation ladder.
CASE_ROLES: dict[str, str] = {
    "gepeste": N_("victim"),
    "pester": N_("bully"),
    "meeloper": N_("follower"),
    "middengroep": N_("bystander group"),
    "getuige": N_("witness"),
}

#: Forms of bullying (the protocols' list: words, physical, chasing, exclusion, theft,
#: extortion) plus the forms of cyberbullying.
FORMS: dict[str, str] = {
    "woorden": N_("with words (name-calling, threats, humiliation)"),
    "lichamelijk": N_("physical (pushing, hitting, kicking)"),
    "achtervolgen": N_("chasing, cornering, locking up"),
    "uitsluiting": N_("exclusion, ignoring"),
    "stelen_vernielen": N_("stealing or damaging belongings"),
    "afpersing": N_("extortion"),
    "haatmail": N_("hate mail or threatening messages"),
    "beeldpesten": N_("sharing humiliating images"),
    "stalking": N_("stalking"),
    "grooming": N_("grooming"),
    "sexting": N_("sexting"),
    "hacken": N_("hacking, posting in someone else's name"),
    "discriminatie": N_("discrimination"),
}

#: Forms that make a case a cyberbullying case.
CYBER_FORMS: frozenset[str] = frozenset(
    {"haatmail", "beeldpesten", "stalking", "grooming", "sexting", "hacken"}
)

#: Where the bullying happens.
LOCATIONS: dict[str, str] = {
    "klas": N_("in class"),
    "school": N_("elsewhere at school"),
    "onderweg": N_("on the way to or from school"),
    "buiten_school": N_("outside school"),
    "online": N_("online"),
}

#: Who reported it.
REPORTER_KINDS: dict[str, str] = {
    "gepeste": N_("the victim"),
    "medeleerling": N_("another student"),
    "ouder": N_("a parent or guardian"),
    "mentor": N_("the mentor"),
    "docent": N_("a teacher"),
    "medewerker": N_("other staff"),
    "vertrouwenspersoon": N_("the confidential counsellor"),
    "anoniem": N_("anonymous"),
}

#: Cyber tracks with their own advice (see the protocol preset's ``cyber.tracks``).
CYBER_TRACKS: dict[str, str] = {
    "stalking": N_("stalking"),
    "discriminatie": N_("discrimination"),
    "grooming": N_("grooming"),
    "sexting": N_("sexting"),
}

#: Letter templates a protocol step may produce.
LETTERS: dict[str, str] = {
    "uitnodiging_gesprek": N_("invitation to a meeting"),
    "informeren_ouders_gepeste": N_("informing the victim's parents"),
    "informeren_ouders_pester": N_("informing the bully's parents"),
    "vervolgtraject": N_("what follows if the bullying continues"),
    "recidive_ouders_gepeste": N_("the bullying happened again: the victim's parents"),
    "recidive_ouders_pester": N_("the bullying happened again: the bully's parents"),
    "contract": N_("anti-bullying contract"),
    "schorsing": N_("suspension of one day"),
    "schorsing_verlengd": N_("longer suspension"),
    "voornemen_verwijdering": N_("intention to expel"),
    "verwijdering": N_("expulsion"),
    "verwijzing": N_("referral"),
    "advies_cyber": N_("advice to parents on cyberbullying"),
}

#: Functional staff role codes; a protocol gives them its own display titles (Dalton calls
#: the afdelingscoordinator "afdelingsleider"). Staff records store these codes.
STANDARD_ROLES: dict[str, str] = {
    "mentor": N_("mentor"),
    "afdelingscoordinator": N_("head of department"),
    "ondersteuningscoordinator": N_("care coordinator"),
    "vertrouwenspersoon": N_("confidential counsellor"),
    "directie": N_("management"),
    "vakdocent": N_("subject teacher"),
}

#: What a cyber track says about reporting to the police.
POLICE_REPORT_LEVELS: dict[str, str] = {
    "": N_("no police report needed as a rule"),
    "overwegen": N_("a police report may be worthwhile"),
    "adviseren": N_("advise the parents to report it to the police"),
    "direct": N_("advise the parents to report it to the police at once"),
}

#: What a stage of the ladder is, when code acts on it (``kind`` in a preset's ``[[stages]]``;
#: at most one stage per kind). A stage without a kind is handled by its steps alone.
#: The meaning of each is documented in resources/protocols/README.md.
STAGE_KINDS: tuple[str, ...] = (
    "contract", "suspension", "suspension_long", "izo", "ot", "act", "expulsion",
)

#: The meeting kind that discusses the cases on a stage of this kind.
MEETING_STAGE_KINDS: dict[str, str] = {"IZO": "izo", "OT": "ot", "ACT": "act"}

#: What a step is, when code acts on it (``kind`` in a preset's ``[[stages.steps]]``).
STEP_KINDS: tuple[str, ...] = (
    "conversation", "letter", "contract_sign", "contract_evaluate", "consultation", "hearing",
    "decision", "inspectorate", "expulsion_intention", "other_school", "register", "discuss",
    "record_outcome", "consent",
)

#: What a cyber checklist item is, when code acts on it (``kind`` in ``[[cyber.items]]``; at
#: most one item per kind): keeping the evidence comes first once a police report is planned
#: or made, and blocking the sender waits for it. Documented in resources/protocols/README.md.
CYBER_ITEM_KINDS: tuple[str, ...] = ("evidence", "block_sender")

#: Where a report to the police stands in a case (recorded by ``cases.set_police_report``).
POLICE_REPORT_STATES: dict[str, str] = {
    "": N_("not decided"),
    "planned": N_("planned"),
    "made": N_("made"),
    "not_wanted": N_("not wanted"),
}

#: With whom a conversation step is held (``with`` of a step of kind ``conversation`` and of
#: a conversation guide); the codes of ``services.cases.CONVERSATION_WITH``.
CONVERSATION_PARTNERS: tuple[str, ...] = ("victim", "bully", "both", "class", "parents")
