"""The inbound pipeline: store → classify → one handler (calendar reply, bounce, auto-reply,
unsubscribe, human reply).

Every way in (`flask mail receive`, the IMAP poll, the embedded inbox folder) calls `store`, which
keeps the raw message once per Message-ID and has `inbound.process` run after commit. `process`
never raises for a bad message: it records what it did, or why it did nothing, in the row
(`state`, `kind`, `outcome`) and logs it, so a malformed message cannot become a crash loop.

What an inbound message may change is what its sender could change on the RSVP page, for the one
invitation it identifies, and only when it is authenticated (docs/operator-guide.md "Who may answer for whom"):
- a calendar REPLY: the invitation of the signed (tagged) address of a message sent to that invitee;
  else the invitation whose event has the REPLY's UID and whose invitee is its ATTENDEE, when the
  message comes From that address and the sender is authenticated (`authentication.verify_sender`);
- an unsubscribe request: the contact its tagged address names, else its authenticated sender;
- a bounce: the contact of the one outbox message its signed (VERP) address names.
An answer or opt-out that is not authenticated is kept as `unverified` with what it asked for (shown to
the organisers), and the invitee, at the address we hold, is asked once a day at most to confirm it.
Callers commit; `process` commits itself (it is the task's unit of work).
"""
from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from icalendar import Calendar
from sqlalchemy import func, select

from ..after_commit import enqueue_after_commit
from ..associations.models import Association, Membership, Role
from ..auth.models import User
from ..contacts.models import Contact
from ..events.models import Event
from ..extensions import db, dialect_insert
from ..invitations import services as invitations
from ..invitations.models import Invitation, InvitationStatus
from ..mail import addresses
from ..mail.models import MessageKind, MessageState, OutboxMessage
from ..mail.services import queue_messages
from ..timeutils import utcnow
from . import authentication, parsing
from .models import InboundKind, InboundMessage, InboundState

logger = logging.getLogger(__name__)

PROCESS_TASK = "inbound.process"
RECIPIENT_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "To", "Cc")
PARTSTATS = {"ACCEPTED": InvitationStatus.ACCEPTED, "TENTATIVE": InvitationStatus.TENTATIVE,
             "DECLINED": InvitationStatus.DECLINED}


def setting(name: str, default):
    return current_app.config.get(name, default)


# ------------------------------------------------------------------ store

def _message_key(head, raw: bytes) -> str:
    message_id = " ".join(str(head.get("Message-ID") or "").split())[:300]
    return message_id or f"sha256:{hashlib.sha256(raw).hexdigest()}"


def store(raw: bytes, source: str, envelope_recipient: str = "") -> tuple[int, bool]:
    """Keep a received message (at most MAIL_INBOUND_MAX_BYTES of it) and have it processed after
    commit; returns (row id, whether it was new). The same Message-ID twice is stored once."""
    limit = int(setting("MAIL_INBOUND_MAX_BYTES", 10 * 1024 * 1024))
    truncated = len(raw) > limit
    head = parsing.headers_only(raw)
    from_addresses = parsing.addresses(head, "From")
    values = {
        "message_key": _message_key(head, raw).replace("\x00", ""), "source": source[:16],
        "envelope_recipient": (envelope_recipient or "").strip()[:254],
        "from_address": (from_addresses[0] if from_addresses else "").replace("\x00", "")[:254],
        "subject": parsing.header_text(head, "Subject").replace("\x00", "")[:500], "size": len(raw), "raw": raw[:limit],
        "truncated": truncated, "state": InboundState.NEW.value, "outcome": "", "body_text": "",
        "received_at": utcnow(),
    }
    statement = dialect_insert(InboundMessage.__table__).on_conflict_do_nothing(index_elements=["message_key"])
    new_id = db.session.execute(statement.returning(InboundMessage.__table__.c.id), values).scalar()
    if new_id is None:
        existing = db.session.scalar(select(InboundMessage.id).where(InboundMessage.message_key == values["message_key"]))
        logger.info("inbound message %s already stored as %s", values["message_key"], existing)
        return existing, False
    enqueue_after_commit(current_app.extensions["celery"].signature(PROCESS_TASK, args=[new_id]))
    return new_id, True


def requeue_stale(older_than_seconds: int = 60) -> int:
    """Have the worker process stored messages still waiting after a while (a lost task, a broker
    that was down at commit time); run by every poll."""
    ids = db.session.scalars(select(InboundMessage.id).where(
        InboundMessage.state == InboundState.NEW,
        InboundMessage.received_at < utcnow() - timedelta(seconds=older_than_seconds)).limit(500)).all()
    celery = current_app.extensions["celery"]
    for inbound_id in ids:
        celery.send_task(PROCESS_TASK, args=[inbound_id])
    return len(ids)


# ------------------------------------------------------------------ process

@dataclass
class Context:
    """What the handlers know about one message."""

    row: InboundMessage
    message: object  # email.message.EmailMessage
    raw: bytes  # as received (DKIM signatures are checked over these bytes)
    recipients: list[str]
    tagged: OutboxMessage | None  # the message a verified tagged (signed) address names: a capability
    linked: OutboxMessage | None  # the message it answers (tagged, else by In-Reply-To): a hint only
    forged_tag: bool
    calendars: list = None  # its calendar parts, read once by classify()


class Ignore(Exception):
    """Nothing to do; the reason is logged and kept."""


class Unverified(Exception):
    """An answer or opt-out whose sender is not authenticated: kept with its claim, not applied."""


def _finish(row: InboundMessage, state: InboundState, kind: InboundKind | None, outcome: str) -> None:
    row.state, row.outcome, row.processed_at = state, outcome.replace("\x00", "")[:4000], utcnow()
    if kind is not None:
        row.kind = kind
    log = logger.warning if state == InboundState.FAILED else logger.info
    log("inbound message %s (%s): %s %s — %s", row.id, row.message_key, state.value,
        kind.value if kind else "", outcome)


def process(inbound_id: int) -> InboundMessage | None:
    """Classify and handle one stored message (once); commits."""
    row = db.session.get(InboundMessage, inbound_id, with_for_update={"skip_locked": True})
    if row is None or row.state != InboundState.NEW:
        db.session.rollback()
        return row
    kind = None
    try:
        if row.truncated:
            raise parsing.Malformed(f"larger than MAIL_INBOUND_MAX_BYTES ({row.size} bytes)")
        raw = bytes(row.raw)
        limit = int(setting("MAIL_INBOUND_MAX_PARTS", 100))
        if parsing.has_more_parts_than(raw, limit):
            raise parsing.Malformed(f"more than MAIL_INBOUND_MAX_PARTS ({limit}) MIME parts")
        message = parsing.parse(raw)
        if parsing.count_parts(message) > limit:  # what the scan above cannot see (parts inside odd types)
            raise parsing.Malformed(f"more than MAIL_INBOUND_MAX_PARTS ({limit}) MIME parts")
        context = _context(row, message, raw)
        kind, handler = classify(context)
        outcome = handler(context)
        _finish(row, InboundState.DONE, kind, outcome)
    except Ignore as reason:
        _finish(row, InboundState.IGNORED, kind, str(reason))
    except Unverified as reason:
        _finish(row, InboundState.UNVERIFIED, kind, str(reason))
    except Exception as error:  # a bad message is kept and skipped, never retried
        db.session.rollback()
        row = db.session.get(InboundMessage, inbound_id)
        if isinstance(error, parsing.Malformed | ValueError | LookupError | UnicodeError):
            kind = InboundKind.MALFORMED if kind is None else kind
            outcome = f"could not read the message: {error}"
        else:
            logger.exception("inbound message %s could not be processed", inbound_id)
            outcome = f"error: {type(error).__name__}: {error}"
        _finish(row, InboundState.FAILED, kind, outcome)
    db.session.commit()
    return row


def _context(row: InboundMessage, message, raw: bytes) -> Context:
    recipients = parsing.addresses(message, *RECIPIENT_HEADERS)
    if row.envelope_recipient:
        recipients.insert(0, row.envelope_recipient.lower())
    outbox_id, forged = addresses.tagged_recipient(recipients)
    tagged = db.session.get(OutboxMessage, outbox_id) if outbox_id is not None else None
    linked = tagged or (None if forged else _outbox_by_references(message))
    if linked is not None:
        row.outbox_message_id = linked.id
        row.event_id = row.event_id or linked.event_id
    return Context(row, message, raw, recipients, tagged, linked, forged)


def _outbox_by_references(message) -> OutboxMessage | None:
    """The message a reply answers, by In-Reply-To/References (our Message-IDs are unguessable): a hint
    for linking a person's reply to its event, never a licence to change anything."""
    rows = _referenced(message)
    return rows[0] if rows else None


def _referenced(message) -> list[OutboxMessage]:
    """Our messages named by In-Reply-To/References, newest first: only ids carrying their own secret count."""
    ids = re.findall(r"<[^<>\s]{1,300}>", " ".join(str(v) for v in
                                                  (message.get_all("In-Reply-To") or []) + (message.get_all("References") or [])))
    ids = [value for value in ids[-20:] if addresses.has_secret(value)]
    if not ids:
        return []
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.smtp_message_id.in_(ids))
                                   .order_by(OutboxMessage.id.desc())))


def classify(context: Context):
    """(kind, handler) for a message: the first rule that matches wins."""
    message = context.message
    if parsing.is_delivery_report(message):
        return InboundKind.BOUNCE, handle_bounce
    calendars = context.calendars = parsing.calendar_parts(message)
    if any(part.method == "REPLY" for part in calendars):
        return InboundKind.CALENDAR_REPLY, handle_calendar_reply
    if calendars:
        return InboundKind.CALENDAR_OTHER, handle_calendar_other
    if _looks_like_bounce(context):
        return InboundKind.BOUNCE, handle_bounce
    if parsing.auto_reply_reason(message):
        return InboundKind.AUTO_REPLY, handle_auto_reply
    if _is_unsubscribe(message):
        return InboundKind.UNSUBSCRIBE, handle_unsubscribe
    return InboundKind.HUMAN, handle_human


# ------------------------------------------------------------------ calendar answers

def _mailto(value) -> str:
    text = str(value or "").strip()
    return text[7:].strip().lower() if text.lower().startswith("mailto:") else text.lower()


def handle_calendar_reply(context: Context) -> str:
    part = next(part for part in context.calendars if part.method == "REPLY")
    try:
        calendar = Calendar.from_ical(part.data)
    except (ValueError, IndexError, KeyError) as error:
        raise parsing.Malformed(f"calendar data: {error}") from error
    vevents = list(calendar.walk("VEVENT"))
    if len(vevents) != 1:
        raise Ignore(f"the REPLY holds {len(vevents)} events, not one")
    vevent = vevents[0]
    uid = str(vevent.get("UID") or "").strip()
    event = db.session.scalar(select(Event).where(Event.uid == uid)) if uid else None
    if event is None:
        raise Ignore(f"unknown UID {uid[:120]!r}")
    context.row.event_id = event.id
    attendees = vevent.get("ATTENDEE")
    attendees = attendees if isinstance(attendees, list) else [attendees] if attendees is not None else []
    if len(attendees) != 1:
        raise Ignore(f"a REPLY names its one replying ATTENDEE; this one has {len(attendees)}")
    attendee = attendees[0]
    attendee_address = _mailto(attendee)
    partstat = str(attendee.params.get("PARTSTAT", "") if hasattr(attendee, "params") else "").upper()
    try:
        sequence = int(str(vevent.get("SEQUENCE", 0)))
    except ValueError:
        sequence = 0
    if sequence < event.sequence:
        raise Ignore(f"answers SEQUENCE {sequence}, the event is at {event.sequence}")

    invitation = _invitation_answered(context, event, attendee_address)
    context.row.invitation_id, context.row.contact_id = invitation.id, invitation.contact_id
    status = PARTSTATS.get(partstat)
    if status is None:
        raise Ignore(f"PARTSTAT {partstat[:40] or '(none)'} is not an answer")
    if invitation.status == status or (status == InvitationStatus.ACCEPTED
                                       and invitation.status == InvitationStatus.WAITLISTED):
        return f"{attendee_address} already answered {invitation.status.value}"
    if not _tagged_for(context, invitation):
        verdict = authentication.verify_sender(context.message, context.raw)
        if verdict.sender != attendee_address:
            context.row.claim = status.value
            senders = ", ".join(parsing.addresses(context.message, "From"))[:254]
            raise Unverified(f"{attendee_address} answered {partstat}, not applied: {verdict.reason} (From: {senders}); "
                             + ask_to_confirm(context.row, invitation.contact))
    _address_works(invitation.contact_id, attendee_address)
    comment = " ".join(str(vevent.get("COMMENT") or "").split())[:2000] or invitation.comment
    guests = invitation.guests if status == InvitationStatus.ACCEPTED else 0
    try:
        answered = invitations.answer(invitation, status, guests=guests, comment=comment)
    except invitations.InvitationError as error:
        raise Ignore(f"answer refused: {error}") from None
    return f"{attendee_address} answered {partstat} → {answered.status.value} (invitation {answered.id})"


def _tagged_for(context: Context, invitation: Invitation) -> bool:
    """Whether the message reached the signed address of a message we sent to this invitation: the same
    capability as the RSVP link, whatever address the invitee answers from (a forwarded work address)."""
    tagged = context.tagged
    return tagged is not None and tagged.invitation_id == invitation.id


def _invitation_answered(context: Context, event: Event, attendee_address: str) -> Invitation:
    """The one invitation this REPLY speaks for (the tagged one, else the ATTENDEE's), or Ignore."""
    tagged = context.tagged
    if tagged is not None and tagged.invitation_id is not None and tagged.event_id == event.id:
        invitation = db.session.get(Invitation, tagged.invitation_id)
        if invitation is not None:
            return invitation
    invitation = db.session.scalar(
        select(Invitation).join(Contact, Contact.id == Invitation.contact_id)
        .where(Invitation.event_id == event.id, func.lower(Contact.email) == attendee_address))
    if invitation is None:
        raise Ignore(f"ATTENDEE {attendee_address[:254]} is not an invitee of event {event.id}")
    return invitation


def ask_to_confirm(row: InboundMessage, contact: Contact) -> str:
    """Queue the mail asking `contact`, at the address we hold, to confirm what `row` asked in their name
    (at most one a day per contact, whatever arrives); returns what was done, for the outcome."""
    if contact.opted_out_at is not None or contact.archived_at is not None or contact.undeliverable_at is not None:
        return "the contact receives no mail: not asked to confirm"
    day = utcnow().date().isoformat()
    queued = queue_messages([{
        "kind": MessageKind.ANSWER_CHECK, "dedupe_key": f"answer-check:{contact.id}:{day}",
        "recipient": contact.email, "contact_id": contact.id, "event_id": row.event_id,
        "invitation_id": row.invitation_id, "payload": {"inbound_id": row.id}}])
    return (f"{contact.email} asked to confirm" if queued
            else f"{contact.email} was already asked to confirm today: not asked again")


def _address_works(contact_id: int, address: str) -> None:
    """An answer from the contact's own address ends a run of temporary failures."""
    contact = db.session.get(Contact, contact_id)
    if contact is not None and contact.email == address and contact.soft_bounces:
        contact.soft_bounces = 0


def handle_calendar_other(context: Context) -> str:
    methods = ", ".join(sorted({part.method or "(none)" for part in context.calendars}))
    raise Ignore(f"calendar {methods}: only REPLY changes an answer (COUNTER and REFRESH are logged)")


# ------------------------------------------------------------------ bounces

_BOUNCE_SENDER = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mdaemon)@", re.IGNORECASE)


def _looks_like_bounce(context: Context) -> bool:
    """A non-standard bounce: from a mailer daemon, to a tagged address (flufl.bounce reads it)."""
    senders = parsing.addresses(context.message, "From")
    return bool(senders and _BOUNCE_SENDER.match(senders[0]) and (context.tagged or context.forged_tag))


def handle_bounce(context: Context) -> str:
    if context.forged_tag:
        raise Ignore("bounce to a return address whose signature does not verify")
    outbox = context.tagged
    if outbox is None:
        raise Ignore("bounce without a verified return address (VERP): not tied to a message we sent")
    permanent, temporary, reason = _bounce_verdict(context.message, outbox.recipient)
    contact = db.session.get(Contact, outbox.contact_id) if outbox.contact_id else None
    context.row.contact_id = outbox.contact_id
    context.row.invitation_id = outbox.invitation_id
    if permanent:
        outbox.state, outbox.last_error = MessageState.FAILED, f"bounced: {reason}"[:2000]
        if contact is not None and contact.email == outbox.recipient.lower():
            mark_undeliverable(contact, reason)
        return f"permanent failure for {outbox.recipient}: {reason}"
    if temporary:
        outbox.last_error = f"delivery delayed: {reason}"[:2000]
        if contact is not None and contact.email == outbox.recipient.lower():
            contact.soft_bounces = (contact.soft_bounces or 0) + 1
            if contact.soft_bounces >= int(setting("MAIL_SOFT_BOUNCE_LIMIT", 3)):
                mark_undeliverable(contact, f"{contact.soft_bounces} temporary failures in a row; last: {reason}")
        return f"temporary failure for {outbox.recipient}: {reason}"
    raise Ignore(f"a delivery report without a failure for {outbox.recipient}")


def _bounce_verdict(message, recipient: str) -> tuple[bool, bool, str]:
    reports = parsing.deliveries(message)
    if reports:
        mine = [d for d in reports if d.recipient == recipient.lower()] or reports
        for delivery in mine:
            if delivery.permanent:
                return True, False, f"{delivery.status} {delivery.diagnostic}".strip()
        for delivery in mine:
            if delivery.temporary:
                return False, True, f"{delivery.status} {delivery.diagnostic}".strip()
        return False, False, ""
    from flufl.bounce import all_failures

    temporary, permanent = all_failures(message)
    if permanent:
        return True, False, "permanent failure (non-standard bounce)"
    if temporary:
        return False, True, "temporary failure (non-standard bounce)"
    return False, False, ""


def mark_undeliverable(contact: Contact, reason: str) -> None:
    """Sends skip this address (and count it) until it is edited."""
    if contact.undeliverable_at is None:
        contact.undeliverable_at = utcnow()
    contact.undeliverable_reason = reason[:500]
    db.session.execute(
        OutboxMessage.__table__.update()
        .where(OutboxMessage.contact_id == contact.id, OutboxMessage.state == MessageState.QUEUED)
        .values(state=MessageState.FAILED, last_error="address undeliverable", updated_at=utcnow()))


# ------------------------------------------------------------------ auto-replies, unsubscribe, people

def handle_auto_reply(context: Context) -> str:
    raise Ignore(f"automatic reply ({parsing.auto_reply_reason(context.message)})")


def _is_unsubscribe(message) -> bool:
    subject = parsing.header_text(message, "Subject").strip().lower()
    return subject in ("unsubscribe", "hủy đăng ký", "huy dang ky") or subject.startswith("unsubscribe ")


def handle_unsubscribe(context: Context) -> str:
    contact = None
    if context.tagged is not None and context.tagged.contact_id:
        contact = db.session.get(Contact, context.tagged.contact_id)
    if contact is None:
        senders = parsing.addresses(context.message, "From")
        contact = db.session.scalar(select(Contact).where(Contact.email == senders[0])) if senders else None
        if contact is None:
            raise Ignore("unsubscribe request from an address that is not a contact")
        context.row.contact_id = contact.id
        if contact.opted_out_at is not None:
            return f"{contact.email} had already opted out"
        verdict = authentication.verify_sender(context.message, context.raw)
        if verdict.sender != contact.email:
            context.row.claim = "unsubscribe"
            raise Unverified(f"unsubscribe request for {contact.email}, not applied: {verdict.reason}; "
                             + ask_to_confirm(context.row, contact))
    context.row.contact_id = contact.id
    invitations.unsubscribe(contact)
    return f"{contact.email} opted out by mail"


FORWARD_KIND = MessageKind.INBOUND_FORWARD


def handle_human(context: Context) -> str:
    """Keep the reply's text for the event page and forward the original to the organisers."""
    row = context.row
    row.body_text = parsing.reply_text(context.message)
    senders = parsing.addresses(context.message, "From")
    if senders:
        contact = db.session.scalar(select(Contact).where(Contact.email == senders[0]))
        row.contact_id = contact.id if contact else None
        if contact is not None and row.event_id is not None and row.invitation_id is None:
            row.invitation_id = db.session.scalar(select(Invitation.id).where(
                Invitation.event_id == row.event_id, Invitation.contact_id == contact.id))
    if row.event_id is None:
        # Not an answer to anything we sent: kept for the administrators (/mail/inbound), not forwarded,
        # so the reply address cannot relay spam to the staff.
        return "reply kept; not linked to a message we sent, so not forwarded"
    if _answers_a_forward(context):
        # Whatever answers a forward (an organiser's auto-responder, with or without Auto-Submitted) goes
        # no further: forwarding it would start a loop between their mailbox and ours.
        return "reply kept; it answers a reply we forwarded, so it is not forwarded again"
    recipients = forward_recipients(row)
    if not recipients:
        return "reply kept; no organiser address to forward it to"
    if set(senders) & {address.lower() for address in recipients}:
        return "reply kept; it comes from an address we forward to, so it is not forwarded back to it"
    queue_messages([{"kind": FORWARD_KIND, "dedupe_key": f"inbound-forward:{row.id}:{n}", "recipient": address,
                     "event_id": row.event_id, "payload": {"inbound_id": row.id}}
                    for n, address in enumerate(recipients)])
    return f"reply kept and forwarded to {', '.join(recipients)}"


def _answers_a_forward(context: Context) -> bool:
    """Whether the message came back to a forward's tagged address or names a forward it answers."""
    if context.tagged is not None and context.tagged.kind == FORWARD_KIND:
        return True
    return any(row.kind == FORWARD_KIND for row in _referenced(context.message))


def forward_recipients(row: InboundMessage) -> list[str]:
    """The association's contact address, else its organisers (and its parents' when it has none)."""
    event = db.session.get(Event, row.event_id)
    association = db.session.get(Association, event.association_id)
    for candidate in [association, *association.ancestors()]:
        if candidate.sender_email and not addresses.is_ours(candidate.sender_email):
            return [candidate.sender_email]
        organisers = db.session.scalars(
            select(User.email).join(Membership, Membership.user_id == User.id)
            .where(Membership.association_id == candidate.id, Membership.role == Role.ORGANISER)
            .order_by(User.id)).all()
        if organisers:
            return list(organisers)[:10]
    return []


REPLIES_PER_PAGE = 20
EXCERPT_CHARS = 2000  # of the text kept at intake; the forward carries the whole message


@dataclass(frozen=True)
class Excerpt:
    """What the event page shows of one received message (never its raw bytes)."""

    id: int
    sender: str  # the contact's name, else the From address
    from_address: str
    subject: str
    received_at: object
    text: str
    claim: str
    outcome: str


def _excerpts(conditions: list, page: int, per_page: int) -> tuple[list[Excerpt], bool]:
    """One page of received messages matching `conditions`, newest first, and whether more follow."""
    page = min(max(page, 1), 10_000)
    columns = (InboundMessage.id, func.coalesce(Contact.full_name, InboundMessage.from_address),
               InboundMessage.from_address, InboundMessage.subject, InboundMessage.received_at,
               func.substr(InboundMessage.body_text, 1, EXCERPT_CHARS), InboundMessage.claim, InboundMessage.outcome)
    rows = db.session.execute(
        select(*columns).outerjoin(Contact, Contact.id == InboundMessage.contact_id).where(*conditions)
        .order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc())
        .limit(per_page + 1).offset((page - 1) * per_page)).all()
    return [Excerpt(*row) for row in rows[:per_page]], len(rows) > per_page


def human_replies(event_id: int, page: int = 1, per_page: int = REPLIES_PER_PAGE) -> tuple[list[Excerpt], bool]:
    """People's replies about an event, newest first, one page (for its organisers' page)."""
    return _excerpts([InboundMessage.event_id == event_id, InboundMessage.kind == InboundKind.HUMAN], page, per_page)


def unverified_answers(event_id: int, page: int = 1, per_page: int = REPLIES_PER_PAGE) -> tuple[list[Excerpt], bool]:
    """Answers by mail about an event that were not applied because their sender is not authenticated."""
    return _excerpts([InboundMessage.event_id == event_id, InboundMessage.state == InboundState.UNVERIFIED],
                     page, per_page)


def unverified_opt_out(contact_id: int):
    """When the latest opt-out by mail in this contact's name, not applied (sender not verified), arrived; or None."""
    return db.session.scalar(select(func.max(InboundMessage.received_at)).where(
        InboundMessage.contact_id == contact_id, InboundMessage.state == InboundState.UNVERIFIED,
        InboundMessage.claim == "unsubscribe"))
