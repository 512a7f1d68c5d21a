"""A reminder rule's e-mail as one of its recipients will get it: the real renderer on an unsaved
outbox row (as `invitations.previews` does for invitations), nothing queued."""
from __future__ import annotations

from sqlalchemy import select

from ..contacts.models import Contact
from ..events.models import Event
from ..extensions import db
from ..invitations.models import Invitation
from ..invitations.previews import parse
from ..mail.models import MessageKind, OutboxMessage
from ..mail.renderers import render
from . import services
from .models import ReminderRule, RuleKind


def recipients(rule: ReminderRule, event: Event, limit: int = 200) -> list[Invitation]:
    """The invitees the rule's audience covers (who may get it), in Vietnamese order of their names."""
    ids = [row.id for row in db.session.execute(services.recipients_query(rule, event))]
    if not ids:
        return []
    return list(db.session.scalars(select(Invitation).join(Contact, Contact.id == Invitation.contact_id)
                                   .where(Invitation.id.in_(ids)).order_by(Contact.sort_key, Invitation.id)
                                   .limit(limit)))


def preview(rule: ReminderRule, invitation: Invitation) -> dict:
    """Subject, from, to, text and HTML (inline images as data: URIs) of the rule's e-mail to `invitation`'s
    invitee; raises the renderer's PermanentFailure when it would not be sent."""
    kind = MessageKind.REMINDER if rule.kind == RuleKind.REMINDER else MessageKind.THANK_YOU
    row = OutboxMessage(kind=kind, invitation_id=invitation.id, event_id=invitation.event_id,
                        recipient=invitation.contact.email,
                        payload={"rule_id": rule.id, "sequence": invitation.event.sequence,
                                 "since_sequence": None, "status": invitation.status.value})
    return parse(bytes(render(row)))
