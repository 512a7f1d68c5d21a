"""The messages a delegation's members receive when they have an e-mail address, queued through the one outbox.

- `welcome`: when the leader (or an organiser) enters a member with an address, or changes it, and when an event
  whose members were entered as a draft is published (`welcome_all`): the event in the member's language and
  zone, their own check-in QR code and a calendar invitation. Keyed by the member and their address, so a member
  whose other details change is not welcomed twice.
- `queue_change_notices`: when the organiser changes the event's time, place or link, or cancels it (the
  `event_changed` signal): an update or a cancellation for every member with an address of a live delegation,
  keyed by the event's sequence like the invitees' own.
- the event's reminders: queued by the reminder engine when a rule fires (`member_reminders`).

Nothing goes to a member without an address, to one whose address is the leader's (the leader has their own
invitation and its messages), or after the member is removed or the delegation revoked: the renderer
(`emails.render_member_mail`) checks again when the message leaves.
"""
from __future__ import annotations

import hashlib

from sqlalchemy import select

from ..contacts.models import Contact
from ..events.models import EventStatus
from ..extensions import db
from ..mail.models import MessageKind, Priority
from ..mail.services import queue_messages
from ..timeutils import utcnow
from .models import Delegation, EventGuest

WELCOME, UPDATE, CANCELLATION, REMINDER = "welcome", "update", "cancellation", "reminder"


def _address_key(email: str) -> str:
    return hashlib.sha256(email.encode()).hexdigest()[:16]


def _leader_email(delegation: Delegation) -> str | None:
    leader = db.session.get(Contact, delegation.leader_contact_id) if delegation.leader_contact_id else None
    return leader.email.lower() if leader is not None and leader.email else None


def _row(member: EventGuest, purpose: str, key: str, priority: Priority, payload: dict | None = None) -> dict:
    return {"kind": MessageKind.DELEGATION_MEMBER, "dedupe_key": key, "recipient": member.email,
            "event_id": member.event_id, "priority": priority,
            "payload": {"guest_id": member.id, "purpose": purpose, **(payload or {})}}


def welcome(member: EventGuest) -> int:
    """Queue the member's personal message if they have an address it was not sent to yet (returns 0 or 1).
    Only for an event that is published, not cancelled and not over."""
    delegation, event = member.delegation, member.event
    if not member.email or delegation is None or delegation.revoked_at is not None:
        return 0
    if event.status != EventStatus.PUBLISHED or event.is_cancelled or event.ends_at <= utcnow():
        return 0
    if member.email.lower() == _leader_email(delegation):
        return 0
    key = f"member:{member.id}:welcome:{_address_key(member.email)}"
    return queue_messages([_row(member, WELCOME, key, Priority.NORMAL)])


def welcome_all(event) -> int:
    """The welcome of every member with an address of the event's live delegations who has not had it (members
    entered while the event was a draft, welcomed when it is published); returns how many were queued."""
    if event.status != EventStatus.PUBLISHED:
        return 0
    return sum(welcome(member) for member in db.session.scalars(
        select(EventGuest).join(Delegation, Delegation.id == EventGuest.delegation_id)
        .where(Delegation.event_id == event.id, Delegation.revoked_at.is_(None), EventGuest.email.is_not(None),
               EventGuest.email != "").order_by(EventGuest.id)))


def queue_change_notices(event, changes) -> int:
    """An update (or a cancellation) of `event` for each member with an address of its live delegations."""
    kinds = {getattr(change.kind, "value", change.kind) for change in changes}
    purpose = CANCELLATION if ("cancelled" in kinds or event.is_cancelled) else UPDATE
    change_ids = [change.id for change in changes if getattr(change, "id", None)]
    rows, leaders = [], {}
    for member in db.session.scalars(
            select(EventGuest).join(Delegation, Delegation.id == EventGuest.delegation_id)
            .where(Delegation.event_id == event.id, Delegation.revoked_at.is_(None), EventGuest.email.is_not(None),
                   EventGuest.email != "").order_by(EventGuest.id)):
        if member.delegation_id not in leaders:
            leaders[member.delegation_id] = _leader_email(member.delegation)
        if member.email.lower() == leaders[member.delegation_id]:
            continue
        rows.append(_row(member, purpose, f"member:{member.id}:{purpose}:seq:{event.sequence}", Priority.URGENT,
                         {"change_ids": change_ids}))
    return queue_messages(rows) if rows else 0
