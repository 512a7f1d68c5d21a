"""Open registration: the rules; the caller commits.

- `register` keeps what a person typed as an unconfirmed `Registration` and queues the confirmation link to
  the address (one outbox). It never looks at the contacts: whether the address is known or not, the same
  statements run and the same page answers, so nobody learns from it who is on an association's rolls.
- `confirm` (the link, signed: nothing secret is stored) finds the contact of that address or creates one
  (only now: no contact for an address nobody confirmed). A contact that exists is used as it is — its
  name, phone and associations are not changed, and nothing of it is shown to the person. With automatic
  acceptance the person then becomes an accepted invitee at once (`invitations.services.answer`: seats
  counted as people, under the event's lock; waitlisted when full); with approval they wait for `decide`.
- The invitee has their own RSVP link, check-in code and reminders, like every invitee.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .. import audit, links, signals
from ..contacts.models import Contact
from ..events.models import Event, EventStatus, Visibility
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..invitations import services as invitations
from ..invitations.models import Invitation, InvitationStatus
from ..mail.models import MessageKind
from ..mail.services import queue_messages
from ..questions import services as questions
from ..timeutils import utcnow
from .models import Registration, RegistrationSettings, RegistrationState

TOKEN_SALT = "registration-confirm"
TOKEN_MAX_AGE = 3 * 24 * 3600  # seconds a confirmation link works


class RegistrationError(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def settings_of(event_id: int) -> RegistrationSettings:
    """The event's settings (closed, automatic acceptance, when never set)."""
    return db.session.get(RegistrationSettings, event_id) or RegistrationSettings(
        event_id=event_id, is_open=False, needs_approval=False)


def save_settings(event: Event, *, is_open: bool, needs_approval: bool) -> RegistrationSettings:
    settings = db.session.get(RegistrationSettings, event.id)
    if settings is None:
        settings = RegistrationSettings(event_id=event.id)
        db.session.add(settings)
    settings.is_open, settings.needs_approval = is_open, needs_approval
    fields = audit.changed(settings, ("is_open", "needs_approval"))
    db.session.flush()
    audit.record("settings_changed", event, association_id=event.association_id, what="registration", fields=fields,
                 is_open=is_open, needs_approval=needs_approval)
    return settings


def closed_reason(event: Event, settings: RegistrationSettings | None = None):
    """Why `event` takes no registration now, or None."""
    settings = settings or settings_of(event.id)
    if not settings.is_open or event.status != EventStatus.PUBLISHED or event.visibility != Visibility.PUBLIC:
        return _l("This event does not take registrations.")
    return invitations.answer_closed_reason(event)


@dataclass
class Person:
    full_name: str
    email: str
    phone: str
    language: str
    guests: int
    answers: dict  # {question id (str): canonical text}


def register(event: Event, person: Person) -> Registration:
    """Keep an unconfirmed registration and queue the link that confirms it to `person.email`."""
    reason = closed_reason(event)
    if reason:
        raise RegistrationError(reason)
    registration = Registration(event_id=event.id, full_name=person.full_name, email=person.email.strip().lower(),
                                phone=person.phone, language=person.language, guests=person.guests,
                                answers=person.answers, state=RegistrationState.UNCONFIRMED, message="")
    db.session.add(registration)
    db.session.flush()
    queue_messages([{"kind": MessageKind.REGISTRATION, "dedupe_key": f"registration:{registration.id}",
                     "recipient": registration.email, "event_id": event.id,
                     "payload": {"registration_id": registration.id}}])
    return registration


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=TOKEN_SALT)


def token_for(registration: Registration) -> str:
    return _serializer().dumps(registration.id)


def confirm_url(registration: Registration) -> str:
    return links.absolute(f"/e/{registration.event.slug}/register/confirm/{token_for(registration)}")


def by_token(token: str, event: Event) -> Registration | None:
    """The registration of a confirmation link for `event`, or None (altered, expired or another event's)."""
    if not token or len(token) > 200:
        return None
    try:
        registration_id = _serializer().loads(token, max_age=TOKEN_MAX_AGE)
    except BadSignature:
        return None
    registration = db.session.get(Registration, registration_id) if isinstance(registration_id, int) else None
    return registration if registration is not None and registration.event_id == event.id else None


def _contact_for(registration: Registration, event: Event) -> Contact:
    """The contact of the registration's address: the one that exists, unchanged, or a new one held by the
    event's association."""
    query = select(Contact).where(func.lower(Contact.email) == registration.email)
    contact = db.session.scalar(query)
    if contact is not None:
        return contact
    contact = Contact(full_name=registration.full_name, email=registration.email, phone=registration.phone,
                      language=registration.language, timezone=event.timezone)
    contact.associations.append(event.association)
    try:
        with db.session.begin_nested():  # two confirmations of one new address at once: the second finds the first's
            db.session.add(contact)
            db.session.flush()
    except IntegrityError:
        contact = db.session.scalar(query)
    return contact


def _invitation_for(registration: Registration, event: Event, contact: Contact) -> tuple[Invitation, bool]:
    """(the contact's invitation to the event, whether it was made now)."""
    query = select(Invitation).where(Invitation.event_id == event.id, Invitation.contact_id == contact.id)
    invitation = db.session.scalar(query)
    if invitation is not None:
        return invitation, False
    invitation = Invitation(event_id=event.id, contact_id=contact.id, status=InvitationStatus.PENDING, guests=0,
                            comment="")
    try:
        with db.session.begin_nested():
            db.session.add(invitation)
            db.session.flush()
    except IntegrityError:
        return db.session.scalar(query), False
    signals.invitations_created.send(event, invitation_ids=[invitation.id])
    return invitation, True


def _lock_event(event: Event) -> None:
    """Take the event's row first, as `invitations.services.answer` will: a new contact or invitation row
    holds a key-share lock on it, and two confirmations each holding one while asking for the update lock
    would deadlock. Confirmations of one event queue here instead, briefly."""
    db.session.execute(select(Event.id).where(Event.id == event.id).with_for_update())


def _accept(registration: Registration, event: Event) -> None:
    """Make the registrant an invitee who has accepted (waitlisted when the seats are taken)."""
    invitation, new = _invitation_for(registration, event, registration.contact)
    registration.invitation_id = invitation.id
    registration.state = RegistrationState.ACCEPTED
    if new:  # an invitation that existed keeps its answers: the invitee answers on their own RSVP page
        questions.restore(event.id, questions.Person(invitation_id=invitation.id), registration.answers or {})
        invitations.answer(invitation, InvitationStatus.ACCEPTED, min(registration.guests, event.max_guests or 0))


def confirm(registration: Registration) -> Registration:
    """Confirm a registration (its link was followed); confirming twice changes nothing."""
    if registration.state != RegistrationState.UNCONFIRMED:
        return registration
    event = registration.event
    reason = invitations.answer_closed_reason(event)
    if reason:
        raise RegistrationError(reason)
    _lock_event(event)
    db.session.refresh(registration)  # another click on the same link may have confirmed it meanwhile
    if registration.state != RegistrationState.UNCONFIRMED:
        return registration
    registration.contact = _contact_for(registration, event)
    registration.confirmed_at = utcnow()
    if settings_of(event.id).needs_approval:
        registration.state = RegistrationState.PENDING
    else:
        _accept(registration, event)
    db.session.flush()
    return registration


def decide(registration: Registration, accept: bool, message: str = "") -> Registration:
    """An organiser's decision on a registration waiting for it; the person is told, with `message`."""
    if registration.state != RegistrationState.PENDING:
        raise RegistrationError(_l("This registration is not waiting for a decision."))
    registration.message, registration.decided_at = message, utcnow()
    _lock_event(registration.event)
    if accept:
        _accept(registration, registration.event)
    else:
        registration.state = RegistrationState.DECLINED
    if not accept or message:
        queue_messages([{"kind": MessageKind.REGISTRATION_DECISION, "dedupe_key": f"registration-decision:{registration.id}",
                         "recipient": registration.email, "event_id": registration.event_id,
                         "contact_id": registration.contact_id, "invitation_id": registration.invitation_id,
                         "payload": {"registration_id": registration.id}}])
    db.session.flush()
    audit.record("registration_decided", registration, association_id=registration.event.association_id,
                 event_id=registration.event_id, decision=registration.state.value, told=bool(not accept or message),
                 invitation_id=registration.invitation_id)
    return registration


def registrations(event_id: int) -> list[Registration]:
    """The event's confirmed registrations, those waiting for a decision first, then the latest."""
    return list(db.session.scalars(
        select(Registration).where(Registration.event_id == event_id,
                                   Registration.state != RegistrationState.UNCONFIRMED)
        .order_by((Registration.state == RegistrationState.PENDING).desc(), Registration.id.desc()).limit(500)))


def unconfirmed_count(event_id: int) -> int:
    return db.session.scalar(select(func.count()).where(Registration.event_id == event_id,
                                                        Registration.state == RegistrationState.UNCONFIRMED))
