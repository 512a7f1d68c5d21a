"""How many people named guests and delegations add to an event: capacity, the door and the reports
count people, and these are people too (an invitee's named guests are already in `Invitation.guests`).

Imports only models: the invitations' capacity lock and the door read it without reaching up to the
guests' services.
"""
from __future__ import annotations

from sqlalchemy import func, select

from ..extensions import db
from .models import Delegation, EventGuest


def members_statement(event_id_column):
    """The number of members of an event's live delegations, as a scalar subquery over `event_id_column`."""
    return (select(func.count(EventGuest.id))
            .join(Delegation, Delegation.id == EventGuest.delegation_id)
            .where(Delegation.event_id == event_id_column, Delegation.revoked_at.is_(None))
            .scalar_subquery())


def members_of_events(event_ids: list[int]):
    """The number of members of these events' live delegations, as a scalar subquery (each takes a seat)."""
    return (select(func.count(EventGuest.id))
            .join(Delegation, Delegation.id == EventGuest.delegation_id)
            .where(Delegation.event_id.in_(event_ids), Delegation.revoked_at.is_(None))
            .scalar_subquery())


def delegation_members(event_ids: list[int], connection=None) -> int:
    """The members of the live delegations of these events: each takes a seat."""
    return (connection or db.session).execute(select(members_of_events(event_ids))).scalar() or 0


def named_statement(invitation_id_column):
    """The number of guests an invitation has named, as a scalar subquery over `invitation_id_column`."""
    return (select(func.count(EventGuest.id)).where(EventGuest.invitation_id == invitation_id_column)
            .scalar_subquery())


def named_count(invitation_id: int) -> int:
    """The guests an invitation has named."""
    return db.session.scalar(select(func.count(EventGuest.id)).where(EventGuest.invitation_id == invitation_id)) or 0
