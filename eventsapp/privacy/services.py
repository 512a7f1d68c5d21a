"""What the product holds about a person, its download, its correction and its erasure.

`erase(contact)` applies `registry.ERASURE_RULES` to every table holding the person: the contact row stays
(anonymised, its country, language and associations kept, so past events' counts do not move), every secret
link is replaced, messages' bodies, headers and recipients are emptied, their own feed, the printables of their
events and the `.eml` files naming them on the server are deleted. The audit entry names the contact's id only.
"""
from __future__ import annotations

import json
import secrets
from pathlib import Path

from flask import current_app
from sqlalchemy import String, cast, delete, or_, select, update

from .. import audit, spreadsheets
from ..attendance.models import CheckIn, OnlineJoin, Printable
from ..channels.models import ShortLink
from ..contacts.models import Contact, ContactTag, ImportBatch
from ..events.models import Event, Honoree
from ..extensions import db
from ..feedback.models import FeedbackAnswer
from ..feeds.models import Feed, FeedKind
from ..guests.models import Delegation, EventGuest
from ..i18n import lazy_gettext as _l
from ..inbound.models import InboundMessage
from ..invitations.models import CheckinCode, Invitation, new_token
from ..mail.models import OutboxMessage
from ..questions.models import Question, QuestionAnswer
from ..registration.models import Registration
from ..text import nfc
from ..timeutils import is_valid_timezone, utcnow
from .models import ContactConsent

ERASED_NAME = "—"


class PrivacyError(ValueError):
    """A correction was refused; the message is shown to the person."""


def contact_by_token(token: str) -> Contact | None:
    """The (not erased) contact whose secret link this is."""
    if not token or len(token) > 64:
        return None
    contact = db.session.scalar(select(Contact).where(Contact.unsubscribe_token == token))
    return None if contact is None or contact.erased_at is not None else contact


def _moment(value) -> str | None:
    return value.isoformat() if value is not None else None


def _invitation_ids(contact_id: int):
    return select(Invitation.id).where(Invitation.contact_id == contact_id)


def collect(contact: Contact) -> dict:
    """Everything held about the person, as plain values (the page, the JSON and the spreadsheet)."""
    invitations = list(db.session.execute(
        select(Invitation, Event).join(Event, Event.id == Invitation.event_id)
        .where(Invitation.contact_id == contact.id).order_by(Event.starts_at)).all())
    online = db.session.execute(select(OnlineJoin, Event).join(Event, Event.id == OnlineJoin.event_id)
                                .where(OnlineJoin.contact_id == contact.id).order_by(OnlineJoin.joined_at)).all()
    check_ins = db.session.execute(select(CheckIn, Event).join(Event, Event.id == CheckIn.event_id)
                                   .where(CheckIn.contact_id == contact.id).order_by(CheckIn.checked_in_at)).all()
    guests = db.session.scalars(select(EventGuest).where(or_(
        EventGuest.contact_id == contact.id, EventGuest.invitation_id.in_(_invitation_ids(contact.id))))
        .order_by(EventGuest.id)).all()
    messages = db.session.scalars(select(OutboxMessage).where(OutboxMessage.contact_id == contact.id)
                                  .order_by(OutboxMessage.id)).all()
    inbound = db.session.scalars(select(InboundMessage).where(InboundMessage.contact_id == contact.id)
                                 .order_by(InboundMessage.id)).all()
    honours = db.session.execute(select(Honoree, Event).join(Event, Event.id == Honoree.event_id)
                                 .where(Honoree.contact_id == contact.id)).all()
    registered = [Registration.contact_id == contact.id] + ([Registration.email == contact.email] if contact.email else [])
    registrations = db.session.execute(select(Registration, Event).join(Event, Event.id == Registration.event_id)
                                       .where(or_(*registered)).order_by(Registration.id)).all()
    guest_ids = [g.id for g in guests]
    answers = db.session.execute(
        select(QuestionAnswer, Question, Event).join(Question, Question.id == QuestionAnswer.question_id)
        .join(Event, Event.id == Question.event_id)
        .where(or_(QuestionAnswer.invitation_id.in_(_invitation_ids(contact.id)),
                   QuestionAnswer.guest_id.in_(guest_ids or [-1])))
        .order_by(Event.starts_at, Question.position, QuestionAnswer.id)).all()
    feedback = db.session.execute(
        select(FeedbackAnswer, Event).join(Event, Event.id == FeedbackAnswer.event_id)
        .where(FeedbackAnswer.invitation_id.in_(_invitation_ids(contact.id))).order_by(FeedbackAnswer.id)).all()
    delegations = db.session.execute(select(Delegation, Event).join(Event, Event.id == Delegation.event_id)
                                     .where(Delegation.leader_contact_id == contact.id).order_by(Delegation.id)).all()
    consents = db.session.scalars(select(ContactConsent).where(ContactConsent.contact_id == contact.id)
                                  .order_by(ContactConsent.id)).all()
    return {
        "contact": {
            "full_name": contact.full_name, "email": contact.email if contact.has_email else "",
            "phone": contact.phone, "honorific": contact.honorific, "position": contact.position,
            "postal_address": contact.postal_address, "country": contact.country, "place": contact.place,
            "timezone": contact.timezone, "language": contact.language, "notes": contact.notes,
            "preferred_channel": contact.preferred_channel, "tags": contact.tag_names,
            "associations": [a.name_vi for a in contact.associations],
            "opted_out_at": _moment(contact.opted_out_at), "created_at": _moment(contact.created_at),
        },
        "consents": [{"purpose": c.purpose.value, "channel": c.channel, "granted": c.granted,
                      "source": c.source.value, "basis": c.basis.value, "wording_version": c.wording_version,
                      "at": _moment(c.at)} for c in consents],
        "invitations": [{"event": event.title_vi, "starts_at": _moment(event.starts_at),
                         "status": invitation.status.value, "guests": invitation.guests,
                         "comment": invitation.comment, "answered_at": _moment(invitation.answered_at)}
                        for invitation, event in invitations],
        "check_ins": [{"event": event.title_vi, "at": _moment(row.checked_in_at), "guests": row.guests,
                       "undone_at": _moment(row.undone_at)} for row, event in check_ins],
        "online": [{"event": event.title_vi, "joined_at": _moment(row.joined_at)} for row, event in online],
        "guests": [{"full_name": g.full_name, "honorific": g.honorific, "position": g.position,
                    "email": g.email or "", "phone": g.phone, "language": g.language, "nationality": g.nationality,
                    "passport_number": g.passport_number, "event_id": g.event_id} for g in guests],
        "honours": [{"event": event.title_vi, "award": h.award, "citation": h.citation} for h, event in honours],
        "registrations": [{"event": event.title_vi, "full_name": r.full_name, "email": r.email, "phone": r.phone,
                           "language": r.language, "state": r.state.value, "message": r.message, "guests": r.guests,
                           "answers": r.answers or {}, "created_at": _moment(r.created_at)}
                          for r, event in registrations],
        "answers": [{"event": event.title_vi, "question": question.text_vi, "value": a.value,
                     "for_guest": a.guest_id is not None, "updated_at": _moment(a.updated_at)}
                    for a, question, event in answers],
        "feedback": [{"event": event.title_vi, "rating": f.rating, "better": f.better, "answer": f.answer,
                      "created_at": _moment(f.created_at)} for f, event in feedback],
        "delegations": [{"event": event.title_vi, "name": d.name, "quota": d.quota} for d, event in delegations],
        "messages_sent": [{"kind": m.kind.value, "recipient": m.recipient, "subject": m.subject,
                           "state": m.state.value, "sent_at": _moment(m.sent_at)} for m in messages],
        "messages_received": [{"from": m.from_address, "subject": m.subject, "text": m.body_text,
                               "received_at": _moment(m.received_at)} for m in inbound],
    }


def export_json(contact: Contact) -> bytes:
    return json.dumps(collect(contact), ensure_ascii=False, indent=2).encode()


def export_xlsx(contact: Contact) -> bytes:
    """A readable workbook: one sheet per kind of data, a header row of the field names."""
    from openpyxl import Workbook

    data = collect(contact)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "contact"
    for key, value in data["contact"].items():
        spreadsheets.append_row(sheet, [key, ", ".join(value) if isinstance(value, list) else value or ""])
    for name in ("consents", "invitations", "check_ins", "online", "guests", "honours", "registrations", "answers", "feedback",
                 "delegations", "messages_sent", "messages_received"):
        rows = data[name]
        sheet = workbook.create_sheet(name)
        if rows:
            spreadsheets.append_row(sheet, list(rows[0]))
            for row in rows:
                spreadsheets.append_row(sheet, ["" if v is None else str(v) for v in row.values()])
    return spreadsheets.save(workbook)


def record_export(contact: Contact, *, by_self: bool) -> None:
    audit.record_for("person_exported", contact, [a.id for a in contact.associations],
                     requested_by="person" if by_self else "staff")


def correct(contact: Contact, *, full_name: str, language: str, timezone: str) -> None:
    """The person corrects their name, language and time zone; the caller commits."""
    from ..contacts import services as contacts

    name = nfc(full_name or "").strip()
    if not name or len(name) > 200:
        raise PrivacyError(_l("Please enter your name (at most 200 characters)."))
    if language not in current_app.config["LANGUAGES"]:
        raise PrivacyError(_l("Choose a language from the list."))
    if not is_valid_timezone(timezone):
        raise PrivacyError(_l("Choose a time zone from the list."))
    data = contacts.ContactData(
        full_name=name, email=contact.email, phone=contact.phone, country=contact.country, place=contact.place,
        timezone=timezone, language=language, notes=contact.notes, tags=contact.tag_names,
        association_ids=[a.id for a in contact.associations])
    contacts.save_contact(contact, data, audit_action="person_corrected")  # by the person, not by staff


def _erased_address(contact_id: int) -> str:
    return f"erased-{contact_id}@erased.invalid"


def _files_naming(needles: list[bytes]) -> list[Path]:
    """The `.eml` files kept on the server (the development outbox, the dropped inbox) naming the person."""
    found = []
    for setting in ("MAIL_OUTBOX_DIR", "MAIL_INBOX_DIR"):
        folder = current_app.config.get(setting)
        if not folder or not Path(folder).is_dir():
            continue
        for path in Path(folder).rglob("*"):
            if path.is_file():
                content = path.read_bytes()
                if any(needle and needle in content for needle in needles):
                    found.append(path)
    return found


def erase(contact: Contact, *, by_self: bool = False) -> dict:
    """Remove or anonymise the person everywhere (registry.ERASURE_RULES); returns counts. Caller commits."""
    cid, email, name, phone = contact.id, contact.email, contact.full_name, contact.phone
    association_ids = [a.id for a in contact.associations]
    invitation_ids = [i for i in db.session.scalars(_invitation_ids(cid))]
    event_ids = set(db.session.scalars(select(Invitation.event_id).where(Invitation.contact_id == cid)))
    event_ids |= set(db.session.scalars(select(CheckIn.event_id).where(CheckIn.contact_id == cid)))
    guests_of = or_(EventGuest.contact_id == cid, EventGuest.invitation_id.in_(invitation_ids or [-1]))
    event_ids |= set(db.session.scalars(select(EventGuest.event_id).where(guests_of)))
    counts: dict[str, int] = {}

    placeholder = _erased_address(cid)
    contact.full_name = ERASED_NAME
    contact.email = None  # no address at all (never a placeholder: contacts.models.lacks_email)
    for column in ("phone", "honorific", "position", "postal_address", "place", "notes", "undeliverable_reason"):
        setattr(contact, column, "")
    contact.feed_token = secrets.token_urlsafe(24)
    contact.unsubscribe_token = secrets.token_urlsafe(24)
    now = utcnow()
    contact.opted_out_at = contact.opted_out_at or now
    contact.archived_at = contact.archived_at or now
    contact.erased_at = now
    db.session.execute(delete(ContactTag).where(ContactTag.contact_id == cid))
    db.session.execute(update(ContactConsent).where(ContactConsent.contact_id == cid).values(note=""))

    for invitation_id in invitation_ids:  # each its own new tokens (unique columns)
        db.session.execute(update(Invitation).where(Invitation.id == invitation_id)
                           .values(comment="", token=new_token(), checkin_token=new_token(), join_token=new_token()))
    counts["invitations"] = len(invitation_ids)
    db.session.execute(delete(CheckinCode).where(CheckinCode.invitation_id.in_(invitation_ids or [-1])))
    db.session.execute(delete(ShortLink).where(ShortLink.invitation_id.in_(invitation_ids or [-1])))
    db.session.execute(update(FeedbackAnswer).where(FeedbackAnswer.invitation_id.in_(invitation_ids or [-1]))
                       .values(better="", answer=""))
    registered = [Registration.contact_id == cid] + ([Registration.email == email] if email else []) + (
        [Registration.phone == phone] if phone else [])  # registrations by phone not yet confirmed too
    db.session.execute(update(Registration).where(or_(*registered))
                       .values(full_name=ERASED_NAME, email="", phone="", answers={}, message=""))
    db.session.execute(update(Honoree).where(Honoree.contact_id == cid).values(citation=""))
    guest_ids = list(db.session.scalars(select(EventGuest.id).where(guests_of)))
    for guest_id in guest_ids:
        db.session.execute(update(EventGuest).where(EventGuest.id == guest_id).values(
            full_name=ERASED_NAME, honorific="", position="", email=None, phone="", passport_number="",
            passport_expires_on=None, notes="", checkin_token=new_token()))
    counts["guests"] = len(guest_ids)
    counts["answers"] = db.session.execute(delete(QuestionAnswer).where(or_(
        QuestionAnswer.invitation_id.in_(invitation_ids or [-1]), QuestionAnswer.guest_id.in_(guest_ids or [-1])))
    ).rowcount
    for delegation_id in db.session.scalars(select(Delegation.id).where(Delegation.leader_contact_id == cid)).all():
        db.session.execute(update(Delegation).where(Delegation.id == delegation_id).values(token=new_token()))

    counts["messages"] = db.session.execute(
        update(OutboxMessage).where(or_(OutboxMessage.contact_id == cid,
                                        OutboxMessage.invitation_id.in_(invitation_ids or [-1]),
                                        *([OutboxMessage.recipient == email] if email else []),
                                        *([OutboxMessage.recipient == phone] if phone else [])))
        .values(recipient=placeholder, payload={}, subject="", last_error="")).rowcount
    counts["received"] = db.session.execute(
        update(InboundMessage).where(or_(InboundMessage.contact_id == cid,
                                         *([InboundMessage.from_address == email] if email else []),
                                         InboundMessage.invitation_id.in_(invitation_ids or [-1])))
        .values(from_address="", subject="", raw=b"", body_text="", envelope_recipient="", outcome="", claim="")
    ).rowcount
    db.session.execute(delete(Feed).where(Feed.kind == FeedKind.PERSONAL, Feed.subject_id == cid))
    counts["printables"] = db.session.execute(
        delete(Printable).where(Printable.event_id.in_(event_ids or {-1}))).rowcount
    held = [value for value in (email, phone) if value]
    for batch in db.session.scalars(select(ImportBatch).where(or_(*(
            cast(column, String).contains(value) for value in held
            for column in (ImportBatch.rows, ImportBatch.summary))) if held else False)).all():
        batch.rows = []
        batch.summary = {**(batch.summary or {}), "error_report": ""} if batch.summary else None
        batch.filename = ""
    files = _files_naming([email.encode() if email else b"", name.encode() if len(name) > 5 else b"", phone.encode() if phone else b""])
    for path in files:
        path.unlink(missing_ok=True)
    counts["files"] = len(files)
    db.session.flush()
    audit.record_for("person_erased", ("contacts", cid), association_ids,
                     requested_by="person" if by_self else "staff", **counts)
    return counts
