"""The reminder and thank-you e-mails, built from their outbox rows in the sender's worker.

A reminder is in the invitee's language and zone (the event's time in the event's
zone and in theirs, zones named), carries the answer links, the event as an iTIP
REQUEST (a text/calendar part and an invite.ics attachment), the QR code for the
door as an inline image, the changes made since the invitee was last told, and
the organiser's extra message. Pending invitees are asked to answer.
"""
from __future__ import annotations

from email.utils import make_msgid

from flask import current_app
from flask_babel import force_locale

from .. import links, salutations
from ..calendars.core import single_event_calendar, to_ics
from ..events.models import ChangeKind
from ..extensions import db
from ..i18n import gettext as _
from ..invitations.checkin_codes import checkin_png
from ..invitations.emails import sender
from ..invitations.models import Invitation, InvitationStatus
from ..mail.addresses import organizer_address
from ..mail.compose import Mail, Multipart, calendar_mail_body, text_part
from ..mail.models import MessageKind, OutboxMessage
from ..mail.renderers import renderer
from ..personalise import render_mail_template
from ..timefmt import format_in_zone
from . import services
from .models import ReminderRule

WHEN_FORMAT = "full"  # the weekday and the month written out (timefmt.moment_text)
PARTSTAT = {InvitationStatus.ACCEPTED: "ACCEPTED", InvitationStatus.TENTATIVE: "TENTATIVE"}


def language_of(contact) -> str:
    return contact.language if contact.language in current_app.config["LANGUAGES"] else "vi"


def when(moment, zone_name: str) -> str:
    """A moment as wall time in `zone_name`, the zone named."""
    return format_in_zone(moment, zone_name, WHEN_FORMAT)


def _load(message: OutboxMessage):
    invitation = db.session.get(Invitation, message.invitation_id) if message.invitation_id else None
    if invitation is None:
        raise LookupError(f"outbox message {message.id}: its invitation no longer exists")
    rule_id = services.rule_id_of(message)
    rule = db.session.get(ReminderRule, rule_id) if rule_id else None
    return invitation, rule


def sender_address(association, locale: str) -> tuple[str, str]:
    """`invitations.emails.sender`, named after the association when it has its own sending address."""
    name, address = sender(association)
    return (association.name(locale) if association.sender_email else name), address


def extra_message(rule: ReminderRule | None, locale: str) -> str:
    if rule is None:
        return ""
    return (rule.message_en if locale == "en" else rule.message_vi) or rule.message_vi or rule.message_en


def change_lines(event, changes, online_url: str | None = None) -> list[str]:
    """What changed, told with the event's current details (already in the invitee's language); the online
    link is the reader's personal one when given."""
    lines = []
    for kind in dict.fromkeys(change.kind for change in changes):
        if kind == ChangeKind.TIME:
            lines.append(_("The time has changed: it now starts %(when)s.", when=when(event.starts_at, event.timezone)))
        elif kind == ChangeKind.PLACE:
            place = ", ".join(p for p in (event.venue_name, event.venue_address) if p)
            lines.append(_("The place has changed: %(place)s.", place=place))
        elif kind == ChangeKind.ONLINE:
            lines.append(_("The online link has changed: %(url)s", url=online_url or event.online_url))
    return lines


def _base_message(invitation, subject: str, locale: str, body: Multipart) -> Mail:
    email = Mail(body)
    email["Subject"] = subject
    email["From"] = sender_address(invitation.event.association, locale)
    email["To"] = (invitation.contact.full_name, invitation.contact.email)
    email["List-Unsubscribe"] = f"<{links.unsubscribe_url(invitation.contact)}>"
    email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email["Content-Language"] = locale
    return email


def reminder_context(message: OutboxMessage, invitation, rule, locale: str) -> dict:
    event, contact = invitation.event, invitation.contact
    payload = message.payload or {}
    changes = services.changes_since(event, payload.get("since_sequence"), payload.get("sequence"))
    status = invitation.status
    return {
        "event": event, "contact": contact, "invitation": invitation, "locale": locale,
        "greeting": salutations.greeting(contact, locale),
        "title": event.title(locale),
        "association_name": event.association.name(locale),
        "starts_in_event_zone": when(event.starts_at, event.timezone),
        "ends_in_event_zone": when(event.ends_at, event.timezone),
        "starts_in_contact_zone": when(event.starts_at, contact.timezone) if contact.timezone != event.timezone else "",
        "place": ", ".join(p for p in (event.venue_name, event.venue_address) if p),
        "is_pending": status == InvitationStatus.PENDING,
        "is_tentative": status == InvitationStatus.TENTATIVE,
        "answer_urls": {answer: links.rsvp_url(invitation, answer) for answer in ("accepted", "tentative", "declined")},
        "rsvp_url": links.rsvp_url(invitation),
        "unsubscribe_url": links.unsubscribe_url(contact),
        "feed_url": links.personal_feed_url(contact),
        "changes": change_lines(event, changes, links.join_url(invitation) if event.online_url else None),
        "extra_message": extra_message(rule, locale),
        # The personal join link (attendance.online), never the shared meeting address.
        "online_url": links.join_url(invitation) if event.online_url else "",
    }


@renderer(MessageKind.REMINDER)
def render_reminder(message: OutboxMessage) -> Mail:
    invitation, rule = _load(message)
    event, contact = invitation.event, invitation.contact
    locale = language_of(contact)
    with force_locale(locale):
        context = reminder_context(message, invitation, rule, locale)
        if context["is_pending"]:
            subject = _("Please answer: %(title)s", title=context["title"])
        else:
            subject = _("Reminder: %(title)s, %(when)s", title=context["title"], when=context["starts_in_event_zone"])
        qr_cid = make_msgid(domain="eventsapp")
        context["qr_cid"] = qr_cid[1:-1]
        text = render_mail_template("emails/reminder.txt", **context)
        html = render_mail_template("emails/reminder.html", **context)
        organizer = sender_address(event.association, locale)
        calendar = single_event_calendar(
            event, method="REQUEST", locale=locale, url=links.rsvp_url(invitation),
            organizer_email=organizer_address(organizer[1]), organizer_name=event.association.name(locale),
            attendees=[(contact.email, contact.full_name, PARTSTAT.get(invitation.status, "NEEDS-ACTION"))],
            online_url=links.join_url(invitation) if event.online_url else None,
        )
    body = calendar_mail_body(text, html, to_ics(calendar), "REQUEST", inline_qr=(checkin_png(invitation), qr_cid))
    return _base_message(invitation, subject, locale, body)


@renderer(MessageKind.THANK_YOU)
def render_thank_you(message: OutboxMessage) -> Mail:
    invitation, rule = _load(message)
    event = invitation.event
    locale = language_of(invitation.contact)
    with force_locale(locale):
        context = {
            "event": event, "contact": invitation.contact, "title": event.title(locale), "locale": locale,
            "greeting": salutations.greeting(invitation.contact, locale),
            "association_name": event.association.name(locale),
            "extra_message": extra_message(rule, locale),
            "unsubscribe_url": links.unsubscribe_url(invitation.contact),
            "feed_url": links.personal_feed_url(invitation.contact),
            "feedback_url": links.feedback_url(invitation),  # a plain link: no pixel, no rewriting
        }
        subject = _("Thank you for joining %(title)s", title=context["title"])
        text = render_mail_template("emails/thank_you.txt", **context)
        html = render_mail_template("emails/thank_you.html", **context)
    return _base_message(invitation, subject, locale,
                         Multipart("alternative", [text_part(text), text_part(html, "html")]))
