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
- A person who gives a phone number and no e-mail confirms with a code sent by SMS instead of the link
  (`register` queues it through the one outbox, channel `sms`, when a gateway is configured for the number;
  `confirm_code` checks it: see `codes`). The contact is then the one of that number, or a new one.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .. import audit, links, signals
from ..channels import providers, routing
from ..contacts.models import Contact
from ..events.models import Event, EventStatus, Visibility
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..invitations import services as invitations
from ..invitations.models import Invitation, InvitationStatus
from ..mail.models import Channel, MessageKind
from ..mail.services import queue_messages
from ..questions import services as questions
from ..timeutils import utcnow
from . import codes
from .models import Registration, RegistrationSettings, RegistrationState

TOKEN_SALT = "registration-confirm"
TOKEN_MAX_AGE = 3 * 24 * 3600  # seconds a confirmation link works
CODE_PAGE_SALT = "registration-code-page"


class RegistrationError(Exception):
    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class CodeRefused(RegistrationError):
    """A code that is wrong, expired or tried too often (one message for all: the page tells nothing more)."""

    def __init__(self):
        super().__init__(_l("This code is not right or no longer works. Check the SMS and type the 6 digits again; "
                            "after 5 wrong tries, or 15 minutes, please register again to get a new code."))


def sms_possible() -> bool:
    """Whether some SMS gateway is configured (the form then offers a mobile number instead of an e-mail)."""
    return providers.configured("esms") or providers.configured("twilio")


def sms_available(phone: str) -> bool:
    """Whether a registration with this number (E.164) alone can be confirmed by an SMS code here."""
    return bool(phone) and providers.reaches(Channel.SMS, phone)


def _queue(registration: Registration, kind: MessageKind, key: str, **links) -> None:
    """The registration's message to the person: by e-mail, or by SMS to a registration made by phone."""
    row = {"kind": kind, "event_id": registration.event_id, "payload": {"registration_id": registration.id}, **links}
    if registration.email:
        queue_messages([{**row, "dedupe_key": key, "recipient": registration.email}])
    elif registration.phone:
        if queue_messages([{**row, "dedupe_key": routing.key_for(key, Channel.SMS), "recipient": registration.phone,
                            "channel": Channel.SMS}], wake_sender=False):
            routing.wake_after_commit(Channel.SMS)


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
    """Keep an unconfirmed registration and queue what confirms it: the link to `person.email`, or, without
    one, a code by SMS to `person.phone` (RegistrationError when no SMS gateway can reach it)."""
    reason = closed_reason(event)
    if reason:
        raise RegistrationError(reason)
    email = person.email.strip().lower()
    if not email and not sms_available(person.phone):
        raise RegistrationError(_l("Please give an e-mail address: we cannot send a code by SMS to confirm it."))
    registration = Registration(event_id=event.id, full_name=person.full_name, email=email,
                                phone=person.phone, language=person.language, guests=person.guests,
                                answers=person.answers, state=RegistrationState.UNCONFIRMED, message="",
                                code_sent_at=None if email else utcnow(), code_attempts=0)
    db.session.add(registration)
    db.session.flush()
    _queue(registration, MessageKind.REGISTRATION, f"registration:{registration.id}")
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
    """The contact of the registration's address (or, registered by phone, of its number): the one that exists,
    unchanged, or a new one held by the event's association."""
    query = (select(Contact).where(func.lower(Contact.email) == registration.email) if registration.email
             else select(Contact).where(Contact.phone == registration.phone))
    contact = db.session.scalar(query)
    if contact is not None:
        return contact
    contact = Contact(full_name=registration.full_name, email=registration.email or None, phone=registration.phone,
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


def code_token_for(registration: Registration) -> str:
    """The key of the page where the SMS code is typed (another salt: it confirms nothing by itself)."""
    return URLSafeTimedSerializer(current_app.secret_key, salt=CODE_PAGE_SALT).dumps(registration.id)


def by_code_token(token: str, event: Event) -> Registration | None:
    """The phone registration of a code page's key for `event`, or None (altered, expired, another event's)."""
    if not token or len(token) > 200:
        return None
    try:
        registration_id = URLSafeTimedSerializer(current_app.secret_key, salt=CODE_PAGE_SALT).loads(
            token, max_age=TOKEN_MAX_AGE)
    except BadSignature:
        return None
    registration = db.session.get(Registration, registration_id) if isinstance(registration_id, int) else None
    if registration is None or registration.event_id != event.id or registration.email:
        return None
    return registration


def confirm_code(registration: Registration, typed: str) -> Registration:
    """Confirm a phone registration with the code of its SMS: what its link does for an e-mail registration.
    A wrong try is counted (the caller commits it too) and refused like an expired or used-up code."""
    _lock_event(registration.event)  # tries on one code are counted one after another
    db.session.refresh(registration)
    if registration.state != RegistrationState.UNCONFIRMED:
        return registration  # confirmed already: the code did its one job
    if not codes.usable(registration.code_sent_at, registration.code_attempts):
        raise CodeRefused()
    if not codes.matches(registration.id, registration.code_sent_at, typed):
        registration.code_attempts += 1
        db.session.flush()
        raise CodeRefused()
    return confirm(registration)


def decide(registration: Registration, accept: bool, message: str = "") -> Registration:
    """An organiser's decision on a registration waiting for it (the page and the API alike); the person is
    told, with `message`, and the audit log records who decided (ids only: never the name or the message)."""
    _lock_event(registration.event)
    db.session.refresh(registration)  # two organisers deciding at once: the second finds it decided
    if registration.state != RegistrationState.PENDING:
        raise RegistrationError(_l("This registration is not waiting for a decision."))
    registration.message, registration.decided_at = message, utcnow()
    if accept:
        _accept(registration, registration.event)
    else:
        registration.state = RegistrationState.DECLINED
    told = not accept or bool(message) or not registration.email  # by phone: the SMS is how they learn they are in
    if told:
        _queue(registration, MessageKind.REGISTRATION_DECISION, f"registration-decision:{registration.id}",
               contact_id=registration.contact_id, invitation_id=registration.invitation_id)
    db.session.flush()
    audit.record("registration_decided", registration, association_id=registration.event.association_id,
                 event_id=registration.event_id, decision=registration.state.value, with_message=bool(message),
                 told=told, invitation_id=registration.invitation_id)
    return registration


def registrations(event_id: int, state: RegistrationState | None = None) -> list[Registration]:
    """The event's confirmed registrations (or those in `state`), those waiting for a decision first, then
    the latest."""
    query = select(Registration).where(Registration.event_id == event_id,
                                       Registration.state != RegistrationState.UNCONFIRMED)
    if state is not None:
        query = query.where(Registration.state == state)
    return list(db.session.scalars(
        query.order_by((Registration.state == RegistrationState.PENDING).desc(), Registration.id.desc()).limit(500)))


def unconfirmed_count(event_id: int) -> int:
    return db.session.scalar(select(func.count()).where(Registration.event_id == event_id,
                                                        Registration.state == RegistrationState.UNCONFIRMED))
