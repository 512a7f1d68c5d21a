"""The delegation's e-mails: the leader's link to the page where they name their delegation's members, and
each member's own messages (welcome, update, cancellation; queued by `member_mail`)."""
from __future__ import annotations

from email.utils import make_msgid
from types import SimpleNamespace

from flask_babel import force_locale
from sqlalchemy import select

from .. import links, salutations
from ..calendars.core import personal_event_ics
from ..contacts.models import Contact
from ..events.models import EventChange
from ..extensions import db
from ..i18n import gettext as _
from ..invitations.emails import (
    SUBJECTS,
    RecipientOptedOut,
    _address_headers,
    _check_recipient,
    describe_changes,
    intro,
    location_text,
    mail_locale,
    map_url,
    sender,
    times_for,
)
from ..mail.addresses import organizer_address
from ..mail.compose import Mail, Multipart, calendar_mail_body, text_part
from ..mail.models import MessageKind, OutboxMessage
from ..mail.renderers import batch_memo, renderer
from ..mail.transport import PermanentFailure
from ..markdown import markdown_to_text, render_markdown_email
from ..personalise import render_mail_template
from ..qr import qr_png
from ..reminders.models import ReminderRule
from ..timefmt import moment_text
from . import member_mail
from .models import Delegation, EventGuest


def delegation_url(delegation: Delegation) -> str:
    """guests: the leader's page of their delegation's members."""
    return links.absolute(f"/delegation/{delegation.token}")


@renderer(MessageKind.DELEGATION)
def render_delegation_link(message: OutboxMessage) -> Mail:
    delegation = db.session.get(Delegation, (message.payload or {}).get("delegation_id"))
    if delegation is None or delegation.revoked_at is not None:
        raise PermanentFailure("the delegation's link is no longer valid")
    contact, event = delegation.leader_contact, delegation.event
    _check_recipient(contact)
    association = event.association
    locale = mail_locale(contact)
    msg = Mail()
    with force_locale(locale):
        _address_headers(msg, association, contact, locale)
        title = event.title(locale)
        msg["Subject"] = _("Your delegation's list: %(title)s", title=title)
        context = {
            "title": title, "event": event, "contact": contact, "association": association,
            "association_name": association.name(locale), "locale": locale, "delegation": delegation,
            "url": delegation_url(delegation),
            "deadline": moment_text(delegation.deadline, contact.timezone, locale) if delegation.deadline else "",
            "unsubscribe_url": links.unsubscribe_url(contact), "feed_url": links.personal_feed_url(contact)}
        text = render_mail_template("emails/delegation.txt", **context)
        html = render_mail_template("emails/delegation.html", **context)
    msg.body = Multipart("alternative", [text_part(text), text_part(html, "html")])
    return msg


# ---------------------------------------------------------------- a delegation member's messages

MEMBER_KINDS = {member_mail.WELCOME: MessageKind.INVITATION, member_mail.UPDATE: MessageKind.UPDATE,
                member_mail.CANCELLATION: MessageKind.CANCELLATION, member_mail.REMINDER: MessageKind.REMINDER}


def _subject(kind: MessageKind, title: str, event, locale: str) -> str:
    if kind == MessageKind.REMINDER:  # as the invitees' reminder says it (reminders.emails)
        return _("Reminder: %(title)s, %(when)s", title=title,
                 when=moment_text(event.starts_at, event.timezone, locale, "full"))
    return SUBJECTS[kind](title)


def _intro(purpose: str, kind: MessageKind, title: str, delegation, context: dict) -> str:
    if purpose == member_mail.WELCOME:
        return _("You are a member of the delegation “%(delegation)s” at %(title)s, organised by %(association)s.",
                 delegation=delegation.name, title=title, association=context["association_name"])
    if purpose == member_mail.REMINDER:
        return _("A reminder: you are expected at %(title)s as a member of the delegation “%(delegation)s”.",
                 title=title, delegation=delegation.name)
    return intro(kind, title, context)


def _rule_message(message: OutboxMessage, locale: str) -> str:
    """A reminder's extra message from the organiser, in the member's language (else the other)."""
    rule_id = (message.payload or {}).get("rule_id")
    rule = db.session.get(ReminderRule, rule_id) if isinstance(rule_id, int) else None
    if rule is None:
        return ""
    return (rule.message_en if locale == "en" else rule.message_vi) or rule.message_vi or rule.message_en


def _member_of(message: OutboxMessage) -> EventGuest:
    """The member the message is for, still in a live delegation and still at the address it was queued for."""
    member = db.session.get(EventGuest, (message.payload or {}).get("guest_id"))
    if member is None or member.delegation_id is None:
        raise PermanentFailure("the member was removed from the delegation")
    if member.delegation.revoked_at is not None:
        raise PermanentFailure("the delegation is revoked")
    if not member.email or member.email.lower() != (message.recipient or "").lower():
        raise PermanentFailure("the member's address changed")
    # Someone who unsubscribed as a contact is not written to as a member either.
    if db.session.scalar(select(Contact.id).where(Contact.email == member.email.lower(),
                                                  Contact.opted_out_at.is_not(None)).limit(1)) is not None:
        raise RecipientOptedOut("recipient unsubscribed")
    return member


def _member_changes(message: OutboxMessage, event) -> list[EventChange]:
    ids = (message.payload or {}).get("change_ids") or []
    query = select(EventChange).where(EventChange.id.in_(ids)) if ids else \
        select(EventChange).where(EventChange.event_id == event.id, EventChange.sequence == event.sequence)
    return list(db.session.scalars(query.order_by(EventChange.id)))


@renderer(MessageKind.DELEGATION_MEMBER)
def render_member_mail(message: OutboxMessage) -> Mail:
    """A member's message (welcome, update, cancellation, reminder) in their language, the times in the event's
    zone and in theirs (the leader's when none was given), with their own check-in QR code (not on a cancellation),
    a reminder's extra message from the organiser, and
    a calendar invitation (REQUEST, or CANCEL)."""
    member = _member_of(message)
    purpose = (message.payload or {}).get("purpose")
    if purpose not in MEMBER_KINDS:
        raise PermanentFailure("unknown member message")
    kind = MEMBER_KINDS[purpose]
    delegation, event = member.delegation, member.event
    cancel = kind == MessageKind.CANCELLATION
    if event.is_cancelled and not cancel:
        raise PermanentFailure("the event is cancelled")
    association, leader = event.association, delegation.leader_contact
    locale = member.language if member.language in ("vi", "en") else "vi"
    reader = SimpleNamespace(timezone=member.timezone or (leader.timezone if leader is not None else None))
    sender_name, sender_address = sender(association)
    msg = Mail()
    with force_locale(locale):
        title = event.title(locale)
        msg["From"] = (association.name(locale) or sender_name, sender_address)
        msg["To"] = (member.full_name, member.email)
        msg["Subject"] = _subject(kind, title, event, locale)
        qr_cid = None if cancel else make_msgid(domain="eventsapp")
        context = {
            "title": title, "event": event, "association": association, "locale": locale,
            "association_name": association.name(locale), "delegation": delegation,
            "greeting": salutations.greeting(member, locale),
            "leader_name": leader.full_name if leader is not None else "",
            "description_html": "" if cancel else render_markdown_email(event.description(locale)),
            "description_text": "" if cancel else markdown_to_text(event.description(locale)),
            "times": times_for(event, reader, locale), "location": location_text(event), "map_url": map_url(event),
            "changes": describe_changes(_member_changes(message, event), event, locale)
            if kind == MessageKind.UPDATE else [],
            "qr_cid": qr_cid[1:-1] if qr_cid else None, "feed_url": "", "unsubscribe_url": "",
            "extra_message": _rule_message(message, locale) if purpose == member_mail.REMINDER else "",
        }
        context["intro"] = _intro(purpose, kind, title, delegation, context)
        text = render_mail_template("emails/delegation_member.txt", **context)
        html = render_mail_template("emails/delegation_member.html", **context)
    method = "CANCEL" if cancel else "REQUEST"
    ics = personal_event_ics(
        event, method=method, locale=locale, organizer_email=organizer_address(sender_address),
        organizer_name=association.name(locale) or sender_name,
        attendee=(member.email, member.full_name, "ACCEPTED"), cancelled=True if cancel else None,
        templates=batch_memo())
    msg["Auto-Submitted"] = "auto-generated"
    msg.body = calendar_mail_body(text, html, ics, method,
                                  inline_qr=(qr_png(links.checkin_url(member)), qr_cid) if qr_cid else None)
    return msg
