"""Helpers of the channel tests: the app pointed at the fake gateways, and people reachable by phone."""
from __future__ import annotations

from sqlalchemy import select

from eventsapp.channels import routing
from eventsapp.channels.models import ZaloTemplate
from eventsapp.extensions import db
from eventsapp.mail.models import Channel, OutboxMessage
from tests.factories import ContactFactory, EventFactory, InvitationFactory

ZALO_PARAMS = {"customer_name": "name", "event_name": "event", "start": "time", "reply": "link"}


def invitee(*, phone: str = "+84912345678", email: str = "", order: str = "zalo,sms,email", template: bool = True,
            language: str = "vi", **contact):
    """An invitation to a published event whose channel order is `order`, of a contact with `phone`
    (and no e-mail unless given); the association has an approved Zalo invitation template if `template`."""
    email = email or None  # no e-mail address at all
    person = ContactFactory(phone=phone, email=email, language=language, honorific="Ông", **contact)
    invitation = InvitationFactory(contact=person, event=EventFactory())
    routing.set_order(invitation.event_id, routing.parse_order(order))
    if template:
        db.session.add(ZaloTemplate(association_id=invitation.event.association_id, kind="invitation",
                                    template_id="231456", params=dict(ZALO_PARAMS), approved=True,
                                    text="Kính mời <customer_name> dự <event_name> lúc <start>. Trả lời: <reply>"))
    db.session.commit()
    return invitation


def rows(invitation_id: int | None = None) -> list[OutboxMessage]:
    db.session.expire_all()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if invitation_id is not None:
        query = query.where(OutboxMessage.invitation_id == invitation_id)
    return list(db.session.scalars(query))


def by_channel(channel: Channel, invitation_id: int | None = None) -> list[OutboxMessage]:
    return [row for row in rows(invitation_id) if row.channel == channel]
