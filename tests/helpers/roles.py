"""Confirming role grants in tests, as a directie member would in the app."""

from __future__ import annotations

from pestdesk.services import grants
from pestdesk.services.base import Actor
from pestdesk.store.models import RoleGrant

# a directie member who asked for nothing and receives nothing: may confirm every grant
DIRECTOR = Actor(user_id=999_999, username="directie-test", roles=frozenset({"directie"}))


def confirm_all_grants() -> int:
    """Confirm every pending grant; returns how many."""
    ids = [row[0] for row in RoleGrant.select(RoleGrant.id)
           .where(RoleGrant.status == grants.PENDING).tuples()]
    return grants.decide(DIRECTOR, ids, True)
