"""The e-mails of invitations: invitation, campaign invitation, update, cancellation,
confirmation and promotion, each in the contact's language.

Structure (what Gmail, Outlook and Apple Mail look for, calendar-notes.md):
multipart/mixed
  multipart/alternative
    text/plain
    multipart/related (text/html + the door QR code as an inline CID image)
    text/calendar; method=REQUEST|CANCEL (base64)
  application/ics "invite.ics" (the same object, for clients that only read attachments)
"""
from __future__ import annotations

import functools
from datetime import datetime
from email.utils import make_msgid, parseaddr
from types import SimpleNamespace
from urllib.parse import quote, urlencode

from flask import current_app
from flask_babel import force_locale
from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import links, salutations
from ..calendars.core import add_timezones, event_component, new_calendar, personal_event_ics, to_ics
from ..events.models import Event, EventChange
from ..extensions import db
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..i18n import ngettext
from ..mail.addresses import organizer_address, reply_address
from ..mail.compose import Mail, Multipart, attachment, calendar_mail_body, text_part
from ..mail.models import MessageKind, OutboxMessage
from ..mail.renderers import batch_memo, renderer
from ..mail.transport import PermanentFailure
from ..markdown import markdown_to_text, render_markdown_email
from ..personalise import render_mail_template, shared, stand_in
from ..timefmt import event_span, moment_text
from ..timeutils import UTC, zone
from .checkin_codes import checkin_png
from .models import Invitation, InvitationStatus

PARTSTAT = {
    InvitationStatus.PENDING: "NEEDS-ACTION",
    InvitationStatus.WAITLISTED: "NEEDS-ACTION",
    InvitationStatus.ACCEPTED: "ACCEPTED",
    InvitationStatus.TENTATIVE: "TENTATIVE",
    InvitationStatus.DECLINED: "DECLINED",
}


class RecipientOptedOut(PermanentFailure):
    """The contact unsubscribed after the row was queued: the message must not go out."""


# ------------------------------------------------------------------ helpers

def mail_locale(contact) -> str:
    return contact.language if contact.language in current_app.config["LANGUAGES"] else "vi"


@functools.lru_cache(maxsize=8)
def _parsed_address(value: str) -> tuple[str, str]:
    return parseaddr(value)  # several times a message otherwise: a full RFC 5322 parse each time


def sender(association) -> tuple[str, str]:
    """(display name, address) of the association's mail: its sending address, else the app's."""
    name, address = _parsed_address(current_app.config["MAIL_DEFAULT_SENDER"])
    return name, (association.sender_email or address)


def answer_terms(event: Event, contact, locale: str) -> list[str]:
    """What the RSVP page states beside the answer buttons: until when to answer (in the reader's zone)
    and how many guests the invitee may bring."""
    terms = []
    if event.rsvp_deadline:
        when = moment_text(event.rsvp_deadline, contact.timezone or event.timezone, locale, fmt="full")
        terms.append(_("Please answer by %(when)s.", when=when))
    if event.max_guests:
        terms.append(ngettext("You may bring one guest.", "You may bring up to %(num)s guests.", event.max_guests))
    return terms


def times_for(event: Event, contact, locale: str) -> list[str]:
    """The event's zone first; the invitee's own zone too when its wall time differs (`timefmt.event_span`)."""
    shown = [event_span(event, event.timezone, locale)]
    own = contact.timezone
    if own and own != event.timezone and not event.all_day:
        if event.starts_at.astimezone(zone(own)).utcoffset() != event.starts_at.astimezone(zone(event.timezone)).utcoffset():
            shown.append(event_span(event, own, locale))
    return shown


def _utc_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def location_text(event: Event) -> str:
    return ", ".join(part for part in (event.venue_name, event.venue_address) if part)


def map_url(event: Event) -> str:
    place = location_text(event)
    return f"https://www.google.com/maps/search/?api=1&{urlencode({'query': place})}" if place else ""


def calendar_links(event: Event, invitation: Invitation, locale: str) -> dict[str, str]:
    """Add-to-calendar links: Google, Outlook.com and the invitee's .ics download."""
    title = event.title(locale)
    details = f"{links.rsvp_url(invitation)}"
    location = location_text(event) or (links.join_url(invitation) if event.online_url else "")
    if event.all_day:
        from ..calendars.core import local_dates

        first, end = local_dates(event)
        dates = f"{first:%Y%m%d}/{end:%Y%m%d}"
        start_iso, end_iso = first.isoformat(), end.isoformat()
    else:
        dates = f"{_utc_stamp(event.starts_at)}/{_utc_stamp(event.ends_at)}"
        start_iso = event.starts_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        end_iso = event.ends_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    google = "https://calendar.google.com/calendar/render?" + urlencode(
        {"action": "TEMPLATE", "text": title, "dates": dates, "details": details, "location": location,
         "ctz": event.timezone}, quote_via=quote)
    outlook = "https://outlook.live.com/calendar/0/deeplink/compose?" + urlencode(
        {"path": "/calendar/action/compose", "rru": "addevent", "subject": title, "startdt": start_iso,
         "enddt": end_iso, "body": details, "location": location, "allday": "true" if event.all_day else "false"},
        quote_via=quote)
    return {"google": google, "outlook": outlook, "ics": links.invitation_ics_url(invitation)}


def describe_changes(changes: list[EventChange], event: Event, locale: str) -> list[dict]:
    """Before → after of each change, readable (ISO times shown in the event's zone)."""
    labels = {"time": _("Time"), "place": _("Venue"), "online": _("Online link"), "cancelled": _("Cancelled")}

    def readable(value) -> str:
        if isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                return value
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return moment_text(moment, event.timezone, locale, "full")
        if isinstance(value, dict):
            return ", ".join(readable(v) for v in value.values() if v)
        return "" if value is None else str(value)

    described = []
    for change in changes:
        kind = getattr(change.kind, "value", change.kind)
        keys = list(dict.fromkeys([*(change.before or {}), *(change.after or {})]))
        rows = [{"field": key, "before": readable((change.before or {}).get(key)),
                 "after": readable((change.after or {}).get(key))} for key in keys]
        described.append({"label": labels.get(kind, kind), "rows": rows})
    return described


def _address_headers(msg: Mail, association, contact, locale: str) -> tuple[str, str]:
    sender_name, sender_address = sender(association)
    msg["From"] = (association.name(locale) or sender_name, sender_address)
    msg["To"] = (contact.full_name, contact.email)
    unsubscribe_mailbox = reply_address() or sender_address  # the inbound pipeline reads the reply address
    msg["List-Unsubscribe"] = f"<mailto:{unsubscribe_mailbox}?subject=unsubscribe>, <{links.unsubscribe_url(contact)}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return sender_name, sender_address


def _check_recipient(contact) -> None:
    if contact is None or contact.opted_out_at is not None or contact.archived_at is not None:
        raise RecipientOptedOut("recipient unsubscribed or archived")


def _invitation_of(message: OutboxMessage) -> Invitation:
    invitation = message.invitation
    if invitation is None:
        invitation = db.session.get(Invitation, message.invitation_id)
    if invitation is None:
        raise PermanentFailure("the invitation no longer exists")
    return invitation


SUBJECTS = {
    MessageKind.INVITATION: lambda title: _("Invitation: %(title)s", title=title),
    MessageKind.UPDATE: lambda title: _("Updated: %(title)s", title=title),
    MessageKind.CANCELLATION: lambda title: _("Cancelled: %(title)s", title=title),
    MessageKind.CONFIRMATION: lambda title: _("Your answer: %(title)s", title=title),
    MessageKind.PROMOTION: lambda title: _("A place is yours: %(title)s", title=title),
}


STATUS_LABELS = {
    InvitationStatus.PENDING: _l("Not answered yet"),
    InvitationStatus.ACCEPTED: _l("Attending"),
    InvitationStatus.TENTATIVE: _l("Maybe"),
    InvitationStatus.DECLINED: _l("Not attending"),
    InvitationStatus.WAITLISTED: _l("On the waiting list"),
}


def status_label(status: InvitationStatus) -> str:
    """The answer's label in the current language (only that one is translated)."""
    return str(STATUS_LABELS[InvitationStatus(status)])


# ------------------------------------------------------------------ one event

def intro(kind: MessageKind, title: str, context: dict) -> str:
    if kind == MessageKind.INVITATION:
        return _("%(association)s invites you to %(title)s.", association=context["association_name"], title=title)
    if kind == MessageKind.UPDATE:
        return _("%(title)s has changed. Please check the new details.", title=title)
    if kind == MessageKind.CANCELLATION:
        return _("We are sorry: %(title)s has been cancelled.", title=title)
    if kind == MessageKind.PROMOTION:
        return _("Good news: a place has become free and you are now registered for %(title)s.", title=title)
    text = _("Thank you, your answer is recorded: %(answer)s.", answer=context["status_label"])
    if context["guests"]:
        text += " " + _("Guests: %(n)s.", n=context["guests"])
    return text


def _changes(message: OutboxMessage, event: Event, locale: str) -> list[dict]:
    """For an update: the changes it announces (the payload's, else those of the event's current sequence)."""
    ids = (message.payload or {}).get("change_ids") or []
    query = select(EventChange).where(EventChange.id.in_(ids)) if ids else \
        select(EventChange).where(EventChange.event_id == event.id, EventChange.sequence == event.sequence)
    return describe_changes(list(db.session.scalars(query.order_by(EventChange.id))), event, locale)


def _render_bodies(message: OutboxMessage, kind: MessageKind, event: Event, invitation, contact, locale: str,
                   qr_cid: str | None) -> tuple[str, str]:
    """The text and HTML parts (inside force_locale(locale))."""
    cancel = kind == MessageKind.CANCELLATION
    title = event.title(locale)
    context = {
        "kind": kind.value, "event": event, "invitation": invitation, "contact": contact, "title": title,
        # A batch's shared render carries the greeting's stand-in (personalise.py); a reader's, the greeting.
        "greeting": contact.greeting if isinstance(contact, SimpleNamespace) else salutations.greeting(contact, locale),
        "association_name": event.association.name(locale), "locale": locale,
        "description_html": render_markdown_email(event.description(locale)),
        "description_text": markdown_to_text(event.description(locale)), "times": times_for(event, contact, locale),
        "location": location_text(event), "map_url": map_url(event),
        "online_url": links.join_url(invitation) if event.online_url else "",  # personal (attendance.online)
        "answers": None if cancel else {a: links.rsvp_url(invitation, a) for a in ("accepted", "tentative", "declined")},
        "rsvp_url": links.rsvp_url(invitation), "calendar_links": None if cancel else calendar_links(event, invitation, locale),
        "status_label": status_label(invitation.status), "guests": invitation.guests,
        "terms": [] if cancel else answer_terms(event, contact, locale),
        "changes": _changes(message, event, locale) if kind == MessageKind.UPDATE else [],
        "qr_cid": qr_cid[1:-1] if qr_cid else None,
        "unsubscribe_url": links.unsubscribe_url(contact), "feed_url": links.personal_feed_url(contact),
    }
    context["intro"] = intro(kind, title, context)
    return (render_mail_template("emails/event_mail.txt", **context),
            render_mail_template("emails/event_mail.html", **context))


def _bodies(message: OutboxMessage, kind: MessageKind, event: Event, invitation, contact, locale: str,
            qr_cid: str | None) -> tuple[str, str]:
    """The text and HTML parts; within a send batch, one shared render per kind of reader with the
    reader's name, tokens and Content-ID spliced in (the rule: eventsapp/personalise.py)."""
    key = ("event_mail", kind, event.id, event.sequence, event.updated_at, event.association.updated_at, locale,
           contact.timezone,
           invitation.status, invitation.guests, qr_cid is not None, tuple((message.payload or {}).get("change_ids") or ()))

    def render_shared() -> tuple[str, str]:
        stand_in_invitation = SimpleNamespace(token=stand_in("TOKEN"), join_token=stand_in("JOIN"),
                                              status=invitation.status, guests=invitation.guests)
        stand_in_contact = SimpleNamespace(full_name=stand_in("NAME"), unsubscribe_token=stand_in("UNSUB"),
                                           feed_token=stand_in("FEED"), timezone=contact.timezone,
                                           greeting=stand_in("GREETING"))
        return _render_bodies(message, kind, event, stand_in_invitation, stand_in_contact, locale,
                              f"<{stand_in('CID')}>" if qr_cid else None)

    parts = shared(batch_memo(), key, render_shared)
    if parts is None:
        return _render_bodies(message, kind, event, invitation, contact, locale, qr_cid)
    text, html = parts
    values = {"TOKEN": invitation.token, "JOIN": invitation.join_token, "UNSUB": contact.unsubscribe_token,
              "FEED": contact.feed_token,
              "CID": qr_cid[1:-1] if qr_cid else ""}
    greeting = salutations.greeting(contact, locale)
    return (text.fill({**values, "NAME": contact.full_name, "GREETING": greeting}),
            html.fill({**values, "NAME": str(escape(contact.full_name)), "GREETING": str(escape(greeting))}))


def render_event_mail(message: OutboxMessage) -> Mail:
    invitation = _invitation_of(message)
    contact, event = invitation.contact, invitation.event
    _check_recipient(contact)
    association = event.association
    locale = mail_locale(contact)
    kind = MessageKind(message.kind)
    cancel = kind == MessageKind.CANCELLATION
    method = "CANCEL" if cancel else "REQUEST"
    msg = Mail()
    with force_locale(locale):
        sender_name, sender_address = _address_headers(msg, association, contact, locale)
        msg["Subject"] = SUBJECTS[kind](event.title(locale))
        show_qr = not cancel and invitation.status not in (InvitationStatus.DECLINED, InvitationStatus.WAITLISTED)
        qr_cid = make_msgid(domain="eventsapp") if show_qr else None
        text, html = _bodies(message, kind, event, invitation, contact, locale, qr_cid)
        rsvp_line = _("Answer here: %(url)s", url=links.rsvp_url(invitation))
    ics = personal_event_ics(
        event, method=method, locale=locale, url=links.rsvp_url(invitation), extra_description=rsvp_line,
        organizer_email=organizer_address(sender_address), organizer_name=association.name(locale) or sender_name,
        attendee=(contact.email, contact.full_name, PARTSTAT[InvitationStatus(invitation.status)]),
        cancelled=True if cancel else None, templates=batch_memo(),
        online_url=links.join_url(invitation) if event.online_url else None,
    )
    # The MIME method equals the calendar's METHOD property.
    msg.body = calendar_mail_body(text, html, ics, method,
                                  inline_qr=(checkin_png(invitation), qr_cid) if qr_cid else None)
    return msg


for _kind in (MessageKind.INVITATION, MessageKind.UPDATE, MessageKind.CANCELLATION,
              MessageKind.CONFIRMATION, MessageKind.PROMOTION):
    renderer(_kind)(render_event_mail)


# ------------------------------------------------------------------ a whole campaign

@renderer(MessageKind.CAMPAIGN_INVITATION)
def render_campaign_invitation(message: OutboxMessage) -> Mail:
    """One e-mail listing the campaign's events, each with its own answer links; a PUBLISH .ics of them all
    (iTIP allows one UID per REQUEST, so the per-event invitations come with each answer's confirmation)."""
    ids = (message.payload or {}).get("invitation_ids") or []
    invitations = list(db.session.scalars(
        select(Invitation).options(joinedload(Invitation.event).joinedload(Event.association), joinedload(Invitation.contact))
        .join(Event, Event.id == Invitation.event_id)
        .where(Invitation.id.in_(ids), Invitation.revoked_at.is_(None)).order_by(Event.starts_at, Event.id)
    ))
    invitations = [i for i in invitations if not i.event.is_cancelled]
    if not invitations:
        raise PermanentFailure("no open invitation left in this campaign message")
    contact = invitations[0].contact
    _check_recipient(contact)
    campaign = invitations[0].event.campaign
    association = campaign.association if campaign else invitations[0].event.association
    locale = mail_locale(contact)
    msg = Mail()
    with force_locale(locale):
        sender_name, sender_address = _address_headers(msg, association, contact, locale)
        title = campaign.title(locale) if campaign else invitations[0].event.title(locale)
        description = (campaign.description_en if campaign and locale == "en" and campaign.description_en
                       else (campaign.description_vi if campaign else ""))
        msg["Subject"] = SUBJECTS[MessageKind.INVITATION](title)
        items = [{
            "title": inv.event.title(locale), "times": times_for(inv.event, contact, locale),
            "location": location_text(inv.event), "map_url": map_url(inv.event),
            "online_url": links.join_url(inv) if inv.event.online_url else "",
            "answers": {a: links.rsvp_url(inv, a) for a in ("accepted", "tentative", "declined")},
            "calendar_links": calendar_links(inv.event, inv, locale), "terms": answer_terms(inv.event, contact, locale),
        } for inv in invitations]
        context = {"title": title, "items": items, "contact": contact, "association": association,
                   "greeting": salutations.greeting(contact, locale),
                   "association_name": association.name(locale), "locale": locale,
                   "description_html": render_markdown_email(description), "description_text": markdown_to_text(description),
                   "unsubscribe_url": links.unsubscribe_url(contact), "feed_url": links.personal_feed_url(contact)}
        text = render_mail_template("emails/campaign_invitation.txt", **context)
        html = render_mail_template("emails/campaign_invitation.html", **context)
    cal = new_calendar("PUBLISH")
    events = [inv.event for inv in invitations]
    add_timezones(cal, events)
    for inv in invitations:
        cal.add_component(event_component(inv.event, locale=locale, url=links.rsvp_url(inv),
                                          online_url=links.join_url(inv) if inv.event.online_url else None,
                                          organizer_email=sender_address,
                                          organizer_name=association.name(locale) or sender_name))
    msg.body = Multipart("mixed", [Multipart("alternative", [text_part(text), text_part(html, "html")]),
                                   attachment(to_ics(cal), "application/ics", "events.ics")])
    return msg


# ------------------------------------------------------------------ an organiser's test copy

TEST_TOKEN = links.TEST_COPY_TOKEN


@renderer(MessageKind.TEST)
def render_test_mail(message: OutboxMessage) -> Mail:
    """The invitee's e-mail (their language, zone, answer) sent to the organiser, the subject marked as a test;
    every link or code that acts (answers, .ics, unsubscribe, feed, the door's QR code) leads nowhere."""
    payload = message.payload or {}
    invitation = db.session.get(Invitation, payload.get("invitation_id"))
    if invitation is None:
        raise PermanentFailure("the invitation no longer exists")
    contact = invitation.contact
    stand_in_contact = SimpleNamespace(
        full_name=contact.full_name, email=message.recipient, language=contact.language, timezone=contact.timezone,
        unsubscribe_token=TEST_TOKEN, feed_token=TEST_TOKEN, opted_out_at=None, archived_at=None)
    stand_in = SimpleNamespace(token=TEST_TOKEN, checkin_token=TEST_TOKEN, join_token=TEST_TOKEN, status=invitation.status,
                               guests=invitation.guests, event=invitation.event, contact=stand_in_contact)
    kind = MessageKind(payload.get("kind") or MessageKind.INVITATION)
    msg = render_event_mail(SimpleNamespace(kind=kind, invitation=stand_in, invitation_id=None, payload={}))
    locale = mail_locale(contact)
    with force_locale(locale):
        subject = _("[TEST] %(subject)s", subject=msg.get("Subject"))
    del msg["Subject"]
    msg["Subject"] = subject
    return msg
