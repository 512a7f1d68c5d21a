"""Which channel a person gets a message by, and which one comes next when that one fails for good.

An event's order ("zalo,sms,email"; event_channel_orders) lists the channels its messages try; the
contact's preferred channel, when it is in the list and not the default (e-mail), goes first. A channel counts only when the contact can
be reached on it (an e-mail address for e-mail, a mobile number in E.164 for SMS and Zalo, a name for a
printed card). Each channel's message has its own dedupe key: the e-mail's is the purpose's key as before,
the others' add ":via:<channel>", so a fallback is queued once however often it is asked for.
"""
from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from ..after_commit import enqueue_after_commit
from ..contacts.models import Contact, lacks_email
from ..extensions import db
from ..mail.models import Channel
from ..mail.services import queue_messages
from .models import EventChannelOrder

DISPATCH_TASK = "channels.dispatch"
VIA = ":via:"
EMAIL_ONLY = (Channel.EMAIL,)


def parse_order(text: str | None) -> tuple[Channel, ...]:
    """"zalo,sms,email" → (ZALO, SMS, EMAIL); unknown names and repeats dropped; empty: e-mail only."""
    seen: list[Channel] = []
    for name in (text or "").split(","):
        try:
            channel = Channel(name.strip())
        except ValueError:
            continue
        if channel not in seen:
            seen.append(channel)
    return tuple(seen) or EMAIL_ONLY


def order_of(event_id: int | None) -> tuple[Channel, ...]:
    if event_id is None:
        return EMAIL_ONLY
    return parse_order(db.session.scalar(select(EventChannelOrder.channels)
                                         .where(EventChannelOrder.event_id == event_id)))


def set_order(event_id: int, channels: list[Channel]) -> None:
    row = db.session.get(EventChannelOrder, event_id) or EventChannelOrder(event_id=event_id)
    row.channels = ",".join(channel.value for channel in channels) or Channel.EMAIL.value
    db.session.add(row)


def address(contact, channel: Channel) -> str | None:
    """Where `contact` gets a message by `channel`, or None when they cannot."""
    if channel == Channel.EMAIL:
        email = (contact.email or "").strip()
        return None if lacks_email(email) else email
    if channel in (Channel.SMS, Channel.ZALO):
        phone = (contact.phone or "").strip()
        return phone if phone.startswith("+") and phone[1:].isdigit() and len(phone) >= 8 else None
    return (contact.full_name or "")[:254] or None  # a printed card: handed to the person by name


def candidates(contact, order: tuple[Channel, ...]) -> list[tuple[Channel, str]]:
    """The channels `contact` can be reached on, in the order they are tried."""
    # Every contact starts with "email" as their preferred channel, so only another choice says something.
    preferred = contact.preferred_channel if contact.preferred_channel != Channel.EMAIL.value else None
    ordered = sorted(order, key=lambda channel: 0 if channel.value == preferred else 1)  # stable
    return [(channel, found) for channel in ordered if (found := address(contact, channel)) is not None]


def key_for(root: str, channel: Channel) -> str:
    return root if channel == Channel.EMAIL else f"{root}{VIA}{channel.value}"


def root_of(dedupe_key: str) -> str:
    return dedupe_key.split(VIA)[0]


def next_channel(contact, order: tuple[Channel, ...], failed: Channel) -> tuple[Channel, str] | None:
    """The channel after `failed` in the contact's order, or None."""
    reachable = candidates(contact, order)
    channels = [channel for channel, _ in reachable]
    if failed not in channels:
        return reachable[0] if reachable and failed not in order else None
    later = reachable[channels.index(failed) + 1:]
    return later[0] if later else None


def queue_by_channel(rows: list[dict], order: tuple[Channel, ...]) -> int:
    """Outbox rows (as mail.services.queue_messages takes them, each with `contact_id` and the purpose's
    `dedupe_key`), each sent by the first channel its contact can be reached on; returns how many are new."""
    contacts = {contact.id: contact for contact in db.session.scalars(
        select(Contact).where(Contact.id.in_({row["contact_id"] for row in rows})))}
    routed, woken = [], set()
    for row in rows:
        contact = contacts.get(row["contact_id"])
        reachable = candidates(contact, order) if contact is not None else []
        if not reachable:
            continue
        channel, recipient = reachable[0]
        routed.append({**row, "channel": channel, "recipient": recipient,
                       "dedupe_key": key_for(row["dedupe_key"], channel)})
        woken.add(channel)
    count = queue_messages(routed, wake_sender=Channel.EMAIL in woken)
    if count:
        for channel in woken - {Channel.EMAIL}:
            wake_after_commit(channel)
    return count


def wake_after_commit(channel: Channel) -> None:
    """Ask a worker to send `channel`'s due messages once this transaction commits."""
    celery = current_app.extensions["celery"]
    enqueue_after_commit(celery.signature(DISPATCH_TASK, args=[channel.value]), coalesce=wakeup_name(channel))


def wakeup_name(channel: Channel) -> str:
    return f"channels-dispatch-{channel.value}"
