"""Display texts for codes stored in the database (status, stage, role, forms)."""

from __future__ import annotations

from functools import lru_cache

from pestdesk.i18n import N_, _

STATUS = {"open": N_("open"), "closed": N_("closed"),
          "planned": N_("planned"), "held": N_("held")}  # a case's; a meeting's
ROLES = {"gepeste": N_("victim (gepeste)"), "pester": N_("bully (pester)"),
         "meeloper": N_("follower (meeloper)"), "middengroep": N_("bystander (middengroep)"),
         "getuige": N_("witness")}


def status_label(code: object) -> str:
    return _(STATUS.get(str(code), str(code)))


def role_label(code: object) -> str:
    return _(ROLES.get(str(code), str(code)))


@lru_cache(maxsize=8)
def _stage_titles(protocol_code: str) -> dict[str, str]:
    try:
        from pestdesk.domain.protocol import get_protocol

        protocol = get_protocol(protocol_code)
        return {stage.code: stage.title for stage in protocol.stages}
    except Exception:  # preset missing or invalid: fall back to the code itself
        return {}


def stage_label(code: object, protocol_code: str = "doultremont") -> str:
    text = str(code or "")
    return _stage_titles(protocol_code).get(text, text.replace("_", " "))
