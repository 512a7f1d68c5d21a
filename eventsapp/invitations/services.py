"""Invitee lists, sends, RSVP answers (capacity under a row lock), opt-outs.

Every function works in the caller's transaction and never commits: views, the
API and tasks commit. Outbox rows are written in the same transaction as the
change that causes them (eventsapp.mail.services.queue_messages).
"""
from __future__ import annotations

import functools
import hashlib
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, time

from sqlalchemy import JSON, Integer, String, and_, bindparam, case, cast, exists, func, literal, or_, select, update
from sqlalchemy.orm import aliased, contains_eager, joinedload

from .. import audit, signals
from ..associations.models import Association
from ..campaigns.models import Campaign
from ..channels import routing
from ..contacts.models import Contact, ContactTag, contact_associations
from ..contacts.services import visible_filter
from ..countries import country_code
from ..dbtypes import UTCDateTime
from ..events.models import Event, EventStatus, Honoree
from ..extensions import db, dialect_insert
from ..guests import counting
from ..hours import next_wall_time, zone_of
from ..i18n import lazy_gettext as _l
from ..mail.models import MessageKind, MessageState, OutboxMessage
from ..mail.services import estimated_finish, queue_from_select, queue_messages
from ..mail.services import progress as mail_progress
from ..mail.services import recent_sends as mail_recent_sends
from ..permissions import Action, association_ids_for, descendant_ids
from ..privacy import consent
from ..privacy.models import Purpose, Source
from ..text import fold
from ..timeutils import utcnow
from .models import ANSWER_SOURCES, Invitation, InvitationStatus, new_token

ANSWERS = (InvitationStatus.ACCEPTED, InvitationStatus.TENTATIVE, InvitationStatus.DECLINED)


class SendWouldFinishLate(Exception):
    """At the provider's limits a send would not all go out before its event starts (`finishes_at`)."""

    def __init__(self, finishes_at: datetime):
        super().__init__(finishes_at.isoformat())
        self.finishes_at = finishes_at


class InvitationError(Exception):
    """A rule was broken; the message is shown to the user (lazy translated)."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


# ------------------------------------------------------------------ invitee lists

@dataclass
class Criteria:
    """Which contacts to invite. Filters combine with AND; ids and e-mails are added to them."""

    association_id: int | None = None
    include_branches: bool = True
    tags: list[str] = field(default_factory=list)
    country: str = ""
    language: str = ""
    contact_ids: list[int] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)

    @property
    def has_filters(self) -> bool:
        return bool(self.association_id or self.tags or self.country or self.language)

    @property
    def is_empty(self) -> bool:
        return not (self.has_filters or self.contact_ids or self.emails)


def parse_emails(text: str) -> list[str]:
    """Addresses from pasted text: one per line, or separated by commas, semicolons or spaces."""
    for separator in ",;\t\r":
        text = text.replace(separator, "\n")
    found = []
    for word in text.replace(" ", "\n").split("\n"):
        word = word.strip().strip("<>").lower()
        if word and word not in found:
            found.append(word)
    return found


@dataclass
class AddResult:
    added: int = 0
    already_invited: int = 0
    opted_out: int = 0
    archived: int = 0
    no_address: int = 0  # contacts without an e-mail address (Contact.has_address: walk-ins, members reached by phone)
    unknown_emails: list[str] = field(default_factory=list)
    honorees: int = 0
    invitation_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"added": self.added, "already_invited": self.already_invited, "opted_out": self.opted_out,
                "archived": self.archived, "no_address": self.no_address, "unknown_emails": self.unknown_emails,
                "honorees": self.honorees}


def _matching(criteria: Criteria, user):
    """The SQL condition selecting the contacts `criteria` names among those `user` may see
    (contacts.services.visible_filter, as the directory; `user` None: every contact, for the
    system itself); None when it names nobody."""
    conditions = []
    if criteria.has_filters:
        parts = []
        if criteria.association_id:
            ids = (descendant_ids([criteria.association_id]) if criteria.include_branches
                   else {criteria.association_id})
            # Memberships of an association the user may not see are not theirs to filter on.
            allowed = association_ids_for(user, Action.VIEW) if user is not None else None
            if allowed is not None:
                ids &= allowed
            parts.append(Contact.id.in_(select(contact_associations.c.contact_id)
                                        .where(contact_associations.c.association_id.in_(ids))))
        for tag in criteria.tags:
            parts.append(Contact.id.in_(select(ContactTag.contact_id).where(ContactTag.tag == tag.strip())))
        if criteria.country:
            parts.append(func.lower(Contact.country).in_(_country_spellings(criteria.country)))
        if criteria.language:
            parts.append(Contact.language == criteria.language)
        conditions.append(and_(*parts))
    if criteria.contact_ids:
        conditions.append(Contact.id.in_(criteria.contact_ids))
    if criteria.emails:
        conditions.append(Contact.email.in_([e.strip().lower() for e in criteria.emails if e.strip()]))
    if not conditions:
        return None
    visible = visible_filter(user) if user is not None else None
    return or_(*conditions) if visible is None else and_(visible, or_(*conditions))


def _country_spellings(country: str) -> list[str]:
    """The stored spellings (lower case) of the country `country` names: "Japan" finds "Nhật Bản" too."""
    wanted = country.strip().lower()
    code = country_code(wanted)
    if code is None:
        return [wanted]
    stored = db.session.scalars(select(func.lower(Contact.country)).where(Contact.country != "").distinct())
    return [wanted, *(spelling for spelling in stored if country_code(spelling) == code)]


def _count_matching(condition, criteria: Criteria, result: AddResult, user) -> int:
    """Count the skipped (aggregated in SQL) and list unknown e-mails; returns how many are mailable.
    An address `user` may not see is unknown, exactly as one nobody has."""
    reachable = and_(Contact.opted_out_at.is_(None), Contact.archived_at.is_(None))
    row = db.session.execute(select(
        func.count(Contact.id),
        func.count(Contact.opted_out_at),
        func.sum(case((and_(Contact.opted_out_at.is_(None), Contact.archived_at.is_not(None)), 1), else_=0)),
        func.sum(case((and_(reachable, ~Contact.has_address()), 1), else_=0)),
    ).where(condition)).one()
    result.opted_out, result.archived, result.no_address = row[1], int(row[2] or 0), int(row[3] or 0)
    emails = [e.strip().lower() for e in criteria.emails if e.strip()]
    if emails:
        query = select(Contact.email).where(Contact.email.in_(emails))
        visible = visible_filter(user) if user is not None else None
        known = set(db.session.scalars(query if visible is None else query.where(visible)))
        result.unknown_emails = [e for e in dict.fromkeys(emails) if e not in known]
    return row[0] - row[1] - result.archived - result.no_address


def _random_token():
    """64 hex characters drawn by the database: on PostgreSQL two v4 UUIDs from its strong random source
    (244 random bits), on SQLite 256 bits of randomblob."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.replace(cast(func.gen_random_uuid(), String) + cast(func.gen_random_uuid(), String), "-", "")
    return func.lower(func.hex(func.randomblob(32)))


def _invite_to_event(event: Event, condition, mailable: int, result: AddResult) -> None:
    """INSERT … SELECT: one statement invites every matching, mailable, not yet invited contact."""
    now = utcnow()
    honoree = exists().where(Honoree.event_id == event.id, Honoree.contact_id == Contact.id)
    columns = {
        "event_id": literal(event.id), "contact_id": Contact.id, "token": _random_token(),
        "checkin_token": _random_token(), "join_token": _random_token(),
        "status": literal(InvitationStatus.PENDING.value), "guests": literal(0),
        "comment": literal(""), "is_honoree": honoree, "created_at": literal(now, UTCDateTime),
        "updated_at": literal(now, UTCDateTime),
    }
    query = (select(*[value.label(name) for name, value in columns.items()])
             .where(condition, _mailable()).order_by(Contact.sort_key, Contact.id))
    table = Invitation.__table__
    statement = (dialect_insert(table).from_select(list(columns), query)
                 .on_conflict_do_nothing(index_elements=["event_id", "contact_id"])
                 .returning(table.c.id, table.c.is_honoree))
    rows = db.session.execute(statement).all()
    ids = [row[0] for row in rows]
    result.added += len(ids)
    result.already_invited += mailable - len(ids)
    result.honorees += sum(1 for row in rows if row[1])
    result.invitation_ids += ids
    if ids:
        signals.invitations_created.send(event, invitation_ids=ids)


def add_invitees(event: Event, criteria: Criteria, *, user) -> AddResult:
    """Invite the matching contacts `user` may see to `event`; opted-out, archived and already invited
    are skipped and counted. `user` is required: None (every contact) only for the system itself."""
    if event.is_cancelled:
        raise InvitationError(_l("This event is cancelled."))
    result = AddResult()
    condition = _matching(criteria, user)
    if condition is not None:
        _invite_to_event(event, condition, _count_matching(condition, criteria, result, user), result)
    _audit_added(event, result)
    return result


def _audit_added(target, result: AddResult) -> None:
    """Invitees added, counted (how many were left out and why; never who, nor the addresses typed)."""
    audit.record("invitation_changed", target, association_id=target.association_id, change="invitees_added",
                 added=result.added, already_invited=result.already_invited, opted_out=result.opted_out,
                 archived=result.archived, no_address=result.no_address, unknown=len(result.unknown_emails))


def count_invitees(event: Event, criteria: Criteria, *, user) -> AddResult:
    """What `add_invitees` would do, without doing it: `added` is how many would be invited, the skipped
    are counted the same way (for the organiser to see before adding)."""
    result = AddResult()
    condition = _matching(criteria, user)
    if condition is None:
        return result
    mailable = _count_matching(condition, criteria, result, user)
    invited = exists().where(Invitation.event_id == event.id, Invitation.contact_id == Contact.id)
    result.already_invited = db.session.scalar(
        select(func.count(Contact.id)).where(condition, _mailable(), invited)) or 0
    result.added = mailable - result.already_invited
    return result


def add_campaign_invitees(campaign: Campaign, criteria: Criteria, *, user) -> AddResult:
    """One invitation per event of the campaign for each matching contact `user` may see (counts summed)."""
    result = AddResult()
    condition = _matching(criteria, user)
    if condition is not None:
        mailable = _count_matching(condition, criteria, result, user)
        for event in campaign.events:
            if not event.is_cancelled:
                _invite_to_event(event, condition, mailable, result)
    _audit_added(campaign, result)
    return result


# ------------------------------------------------------------------ sending

def _mailable():
    """Contacts who may get mail: not opted out, not archived, with a real address (not a walk-in's placeholder)."""
    return and_(Contact.opted_out_at.is_(None), Contact.archived_at.is_(None), Contact.has_address())


def _sendable():
    """Mailable contacts whose consent to the association's invitations allows sending (privacy.consent):
    they may be on an invitee list, but nothing is sent to them while their consent is withdrawn."""
    return and_(_mailable(), consent.may_send(Purpose.INVITATIONS))


def consent_before_send(event: Event) -> consent.ConsentCounts:
    """Before sending: how many pending invitees are held back by their consent, and how many have none recorded."""
    return consent.counts(
        select(Invitation.contact_id).join(Contact, Contact.id == Invitation.contact_id)
        .where(Invitation.event_id == event.id, Invitation.status == InvitationStatus.PENDING,
               Invitation.revoked_at.is_(None), Contact.opted_out_at.is_(None), Contact.archived_at.is_(None),
               Contact.has_address()))


def invitation_key(invitation_id: int, sequence: int) -> str:
    return f"invitation:{invitation_id}:seq:{sequence}"


def send_invitations(event_id: int, not_before: datetime | None = None,
                     local_time: time | None = None, accept_late: bool = False) -> tuple[str, int]:
    """Queue the invitation e-mail of every pending invitee; returns (send_id, rows queued).

    With `not_before` (aware), the rows wait in the outbox until then (their `next_attempt_at`, which the
    sender's claim honours; `mail.sweep` wakes a dispatcher within a minute of it), and the send can be
    cancelled until it starts (`cancel_scheduled_send`). With `local_time` (a wall time, e.g. 09:00), each
    row waits for the next time the clocks show it in its contact's zone (the association's when the
    contact has none); a person whose hour would come only after the event starts gets it straight away.

    When the provider's limits (mail.ratelimit) mean the send would not all go out before the event starts,
    SendWouldFinishLate says when it would finish (the caller rolls back), unless `accept_late`."""
    event = db.session.get(Event, event_id)
    if event is None or event.is_cancelled:
        raise InvitationError(_l("This event is cancelled."))
    if event.status == EventStatus.DRAFT:  # a draft is never shown outside: publish it first
        raise InvitationError(_l("Publish the event before sending its invitations."))
    now = utcnow()
    if event.ends_at <= now:
        raise InvitationError(_l("This event is over."))
    if not_before is not None and local_time is not None:
        raise InvitationError(_l("Choose either a sending time or an hour in each invitee's zone, not both."))
    if not_before is not None:
        if not_before.tzinfo is None:
            raise InvitationError(_l("Give the sending time with its time zone."))
        if not_before <= now:
            raise InvitationError(_l("Choose a sending time in the future."))
        if not_before >= event.starts_at:
            raise InvitationError(_l("Choose a sending time before the event starts."))
    send_id = uuid.uuid4().hex
    conditions = (Invitation.event_id == event_id, Invitation.status == InvitationStatus.PENDING,
                  Invitation.revoked_at.is_(None), _sendable())
    order = routing.order_of(event_id)
    if order != routing.EMAIL_ONLY:  # the event's channels (Zalo, SMS, card…): each invitee's first one,
        # whether or not they have an e-mail address (routing skips whoever no channel reaches)
        reachable = (*conditions[:3], Contact.opted_out_at.is_(None), Contact.archived_at.is_(None),
                     consent.may_send(Purpose.INVITATIONS))
        queued = _queue_by_channel(event, send_id, reachable, order, not_before, local_time, now)
    else:
        due = None if local_time is None else _due_at_local_time(event, conditions, local_time, now)
        queued = _queue_from_select(MessageKind.INVITATION, event, send_id, _dedupe("invitation", event.sequence),
                                    conditions, not_before=not_before, due=due)
    if queued and not accept_late:
        finishes_at = estimated_finish(0, start=not_before)  # the rows just queued are among those waiting
        if finishes_at is not None and finishes_at >= event.starts_at:
            raise SendWouldFinishLate(finishes_at)
    audit.record("send_started", event, association_id=event.association_id, send_id=send_id, messages=queued,
                 kind=MessageKind.INVITATION.value, not_before=not_before.isoformat() if not_before else None)
    return send_id, queued


def _queue_by_channel(event: Event, send_id: str, conditions, order, not_before: datetime | None,
                      local_time: time | None, now: datetime) -> int:
    """The invitations of a send, each by the first channel of the event's order its invitee can be reached on,
    due at once, at `not_before`, or at `local_time` in each invitee's zone."""
    fallback = event.association.timezone
    rows = []
    for invitation_id, contact_id, zone_name in db.session.execute(
            select(Invitation.id, Invitation.contact_id, Contact.timezone)
            .join(Contact, Contact.id == Invitation.contact_id).where(*conditions).order_by(Invitation.id)):
        if local_time is not None:
            extra = {"next_attempt_at": _due_in(event, local_time, now, zone_name or fallback)}
        else:
            extra = {"next_attempt_at": max(utcnow(), not_before)} if not_before is not None else {}
        rows.append({"kind": MessageKind.INVITATION, "dedupe_key": invitation_key(invitation_id, event.sequence),
                     "contact_id": contact_id, "invitation_id": invitation_id, "event_id": event.id,
                     "campaign_id": event.campaign_id, "send_id": send_id, **extra})
    return routing.queue_by_channel(rows, order)


def send_estimate(event: Event) -> datetime | None:
    """When a send of the event's pending invitations would finish at the provider's limits, if that is
    after the event starts (for the organiser to see before sending); else None."""
    if estimated_finish(0) is None:  # no limit set: nothing to estimate
        return None
    pending = db.session.scalar(
        select(func.count(Invitation.id)).join(Contact, Contact.id == Invitation.contact_id)
        .where(Invitation.event_id == event.id, Invitation.status == InvitationStatus.PENDING,
               Invitation.revoked_at.is_(None), _sendable())) or 0
    finishes_at = estimated_finish(pending) if pending else None
    return finishes_at if finishes_at is not None and finishes_at >= event.starts_at else None


def _due_in(event: Event, wall: time, now: datetime, zone_name: str) -> datetime:
    """The next `wall` clock time in `zone_name` (now when that is after the event starts: no use then)."""
    moment = next_wall_time(now, wall, zone_of(zone_name, event.association.timezone))
    return now if moment >= event.starts_at else moment


def _due_at_local_time(event: Event, conditions, wall: time, now: datetime):
    """A SQL expression giving each row its due moment: the next `wall` in the contact's zone (one CASE
    over the few zones the invitees live in, so the send stays one INSERT … SELECT)."""
    fallback = event.association.timezone
    zones = db.session.scalars(
        select(Contact.timezone).distinct().select_from(Invitation)
        .join(Contact, Contact.id == Invitation.contact_id).where(*conditions)).all()
    whens = {name: literal(_due_in(event, wall, now, name), UTCDateTime) for name in zones if name is not None}
    default = literal(_due_in(event, wall, now, fallback), UTCDateTime)
    if not whens:
        return default
    return case(whens, value=Contact.timezone, else_=default)


def cancel_scheduled_send(event: Event, send_id: str) -> int:
    """Withdraw the rows of a scheduled send of `event` that have not started; returns how many.

    Deleted, so the invitees count as not mailed and a later send includes them. A row a worker has
    claimed meanwhile is no longer `queued` and goes out (the DELETE re-checks its state under the lock)."""
    now = utcnow()
    statement = (OutboxMessage.__table__.delete()
                 .where(OutboxMessage.send_id == send_id, OutboxMessage.event_id == event.id,
                        OutboxMessage.state == MessageState.QUEUED, OutboxMessage.attempts == 0,
                        OutboxMessage.next_attempt_at > now)
                 .returning(OutboxMessage.id))
    withdrawn = len(db.session.execute(statement).all())
    audit.record("send_cancelled", event, association_id=event.association_id, send_id=send_id, messages=withdrawn)
    return withdrawn


def _dedupe(prefix: str, sequence: int):
    """f"{prefix}:{invitation id}:seq:{sequence}" computed by the database."""
    return literal(f"{prefix}:") + cast(Invitation.id, String) + literal(f":seq:{sequence}")


def _queue_from_select(kind: MessageKind, event: Event, send_id: str, dedupe_key, conditions, payload=None,
                       not_before: datetime | None = None, due=None) -> int:
    """Outbox rows for the matching invitations in ONE statement (INSERT … SELECT, duplicates skipped);
    the rows mail.services.queue_messages would write, without a Python round trip per invitee; with
    `not_before` they wait in the outbox until then (a scheduled send); `due` (an SQL expression) gives
    each row its own time instead."""
    columns = {
        "kind": literal(kind.value), "dedupe_key": dedupe_key, "recipient": Contact.email,
        "contact_id": Invitation.contact_id, "invitation_id": Invitation.id, "event_id": literal(event.id),
        "campaign_id": literal(event.campaign_id, Integer), "send_id": literal(send_id),
        "payload": literal(payload or {}, JSON),
    }
    if not_before is not None:
        columns["next_attempt_at"] = literal(max(utcnow(), not_before), UTCDateTime)
    if due is not None:
        columns["next_attempt_at"] = due
    query = (select(Invitation.id).select_from(Invitation).join(Contact, Contact.id == Invitation.contact_id)
             .where(*conditions).order_by(Invitation.id))
    return queue_from_select(columns, query)


def send_campaign_invitations(campaign_id: int) -> tuple[str, int]:
    """One e-mail per contact listing all of the campaign's events they are invited to and have not answered."""
    send_id = uuid.uuid4().hex
    rows = db.session.execute(
        select(Invitation.id, Invitation.contact_id, Contact.email)
        .join(Contact, Contact.id == Invitation.contact_id)
        .join(Event, Event.id == Invitation.event_id)
        .where(Event.campaign_id == campaign_id, Event.status == EventStatus.PUBLISHED, Event.ends_at > utcnow(),
               Invitation.status == InvitationStatus.PENDING, Invitation.revoked_at.is_(None), _sendable())
        .order_by(Event.starts_at, Invitation.id)
    ).all()
    by_contact: dict[int, tuple[str, list[int]]] = {}
    for row in rows:
        by_contact.setdefault(row.contact_id, (row.email, []))[1].append(row.id)
    queued = queue_messages([
        {"kind": MessageKind.CAMPAIGN_INVITATION,
         "dedupe_key": f"campaign:{campaign_id}:contact:{contact_id}:"
                       + hashlib.sha1(",".join(map(str, ids)).encode()).hexdigest()[:16],
         "recipient": email, "contact_id": contact_id, "campaign_id": campaign_id, "send_id": send_id,
         "payload": {"invitation_ids": ids}}
        for contact_id, (email, ids) in by_contact.items()
    ])
    campaign = db.session.get(Campaign, campaign_id)
    audit.record("send_started", campaign, association_id=campaign.association_id if campaign else None,
                 send_id=send_id, messages=queued, kind=MessageKind.CAMPAIGN_INVITATION.value)
    return send_id, queued


def resend(invitation: Invitation) -> int:
    """A new copy of the invitation for one person (a fresh dedupe key)."""
    contact = invitation.contact
    if contact.opted_out_at is not None:
        raise InvitationError(_l("This contact has unsubscribed."))
    if not consent.allows(contact, Purpose.INVITATIONS):
        raise InvitationError(_l("This person has not agreed to receive invitations (or withdrew their consent)."))
    if invitation.revoked_at is not None:
        raise InvitationError(_l("This invitation is revoked."))
    event = invitation.event
    key = f"{invitation_key(invitation.id, event.sequence)}:resend:{secrets.token_hex(6)}"
    send_id = uuid.uuid4().hex  # its own progress bar
    queued = queue_messages([{"kind": MessageKind.INVITATION, "dedupe_key": key, "recipient": contact.email,
                              "contact_id": contact.id, "invitation_id": invitation.id, "event_id": event.id,
                              "campaign_id": event.campaign_id, "send_id": send_id}])
    audit.record("send_started", event, association_id=event.association_id, send_id=send_id, messages=queued,
                 kind=MessageKind.INVITATION.value, invitation_id=invitation.id, resend=True)
    return queued


def inviting_association(contact: Contact):
    """The association of the contact's latest invitation, else the first of their associations; or None."""
    latest = db.session.scalar(select(Event.association_id).join(Invitation, Invitation.event_id == Event.id)
                               .where(Invitation.contact_id == contact.id).order_by(Invitation.id.desc()).limit(1))
    if latest is None:
        latest = db.session.scalar(select(contact_associations.c.association_id)
                                   .where(contact_associations.c.contact_id == contact.id)
                                   .order_by(contact_associations.c.association_id).limit(1))
    return db.session.get(Association, latest) if latest is not None else None


def waitlist_position(invitation_id: int) -> int | None:
    """1 for the first waiter of the invitation's event (promotion order: waitlisted_at, id); None if not waiting."""
    me = db.session.execute(select(Invitation.event_id, Invitation.waitlisted_at).where(
        Invitation.id == invitation_id, Invitation.status == InvitationStatus.WAITLISTED)).first()
    if me is None or me.waitlisted_at is None:
        return None
    return db.session.scalar(select(func.count(Invitation.id)).where(
        Invitation.event_id == me.event_id, Invitation.status == InvitationStatus.WAITLISTED,
        or_(Invitation.waitlisted_at < me.waitlisted_at,
            and_(Invitation.waitlisted_at == me.waitlisted_at, Invitation.id <= invitation_id))))


def revoke(invitation: Invitation) -> None:
    invitation.revoked_at = utcnow()
    audit.for_event("invitation_changed", invitation, invitation.event_id, change="revoked")


def regenerate_token(invitation: Invitation) -> None:
    """A new RSVP link and join link (the old ones answer 404); the invitation is active again."""
    invitation.token = new_token()
    invitation.join_token = new_token()  # the old join link stays revoked too
    invitation.revoked_at = None
    audit.for_event("invitation_changed", invitation, invitation.event_id, change="new_link")


def send_progress(send_id: str) -> dict:
    """Counts by outbox state for one send, and how many wait for their time (mail.services.progress)."""
    return mail_progress(send_id)


def status_counts(event_ids: list[int]) -> dict[str, int]:
    counts = {status.value: 0 for status in InvitationStatus}
    for status, count in db.session.execute(
        select(Invitation.status, func.count()).where(Invitation.event_id.in_(event_ids), Invitation.revoked_at.is_(None))
        .group_by(Invitation.status)
    ):
        counts[status.value] = count
    counts["total"] = sum(counts.values())
    counts["seats"] = seats_taken(event_ids)
    return counts


def seats_taken(event_ids: list[int]) -> int:
    """People holding a seat: accepted invitees with their guests, and delegation members (eventsapp.guests)."""
    invitees = (select(func.coalesce(func.sum(1 + Invitation.guests), 0))
                .where(Invitation.event_id.in_(event_ids), Invitation.status == InvitationStatus.ACCEPTED,
                       Invitation.revoked_at.is_(None))
                .scalar_subquery())
    return db.session.scalar(select(invitees + counting.members_of_events(event_ids))) or 0


# ------------------------------------------------------------------ the RSVP

@functools.cache
def _by_token_query():
    """The lookup of an active invitation by its `token` parameter, built once: building the
    statement with its eager loads costs as much as executing it from SQLAlchemy's cache."""
    return (select(Invitation)
            .options(joinedload(Invitation.event).joinedload(Event.association), joinedload(Invitation.contact))
            .where(Invitation.token == bindparam("token"), Invitation.revoked_at.is_(None)))


def by_token(token: str) -> Invitation | None:
    """The active invitation with exactly this token (with its event, contact and association), in the
    request's session (the .ics download; the RSVP page and its answers find it with `reading.by_token`)."""
    if not token or len(token) > 64:
        return None
    return db.session.scalar(_by_token_query(), {"token": token})


def answer_closed_reason(event: Event, now: datetime | None = None):
    """Why answers are no longer taken, or None."""
    now = now or utcnow()
    if event.is_cancelled:
        return _l("This event has been cancelled.")
    if event.ends_at <= now or event.starts_at <= now:
        return _l("This event has already taken place.")
    if event.rsvp_deadline is not None and event.rsvp_deadline <= now:
        return _l("The deadline for answers has passed.")
    return None


def _queue_personal(kind: MessageKind, invitation: Invitation, key: str) -> None:
    contact = invitation.contact
    if contact.opted_out_at is not None or contact.archived_at is not None:
        return
    queue_messages([{"kind": kind, "dedupe_key": key, "recipient": contact.email, "contact_id": contact.id,
                     "invitation_id": invitation.id, "event_id": invitation.event_id,
                     "campaign_id": invitation.event.campaign_id}])


@functools.cache
def _lock_event_statement(by_token: bool = False):
    """The lock on the row of an event, by its `event_id` parameter, or (`by_token`) of the event of the
    invitation whose token is the `token` parameter (an invitation never moves to another event)."""
    wanted = (select(Invitation.event_id).where(Invitation.token == bindparam("token")).scalar_subquery()
              if by_token else bindparam("event_id"))
    return select(Event.id).where(Event.id == wanted).with_for_update()


def _found_by(by_token: bool):
    return Invitation.token == bindparam("token") if by_token else Invitation.id == bindparam("id")


@functools.cache
def _answering_query(by_token: bool = False):
    """The invitation by its `id` (or `token`) parameter with its contact and event, read afresh."""
    return (select(Invitation)
            .join(Invitation.event).join(Invitation.contact)
            .options(contains_eager(Invitation.event), contains_eager(Invitation.contact))
            .where(_found_by(by_token))
            .execution_options(populate_existing=True))


@functools.cache
def _answering_seated_query(by_token: bool = False):
    """`_answering_query` with the seats the event's other accepted invitees take, in the same statement
    (read once the event's lock is held, so the count stays true until commit)."""
    other = aliased(Invitation)
    others = (select(func.coalesce(func.sum(1 + other.guests), 0))
              .where(other.event_id == Invitation.event_id, other.status == InvitationStatus.ACCEPTED,
                     other.revoked_at.is_(None), other.id != Invitation.id)
              .scalar_subquery())
    return _answering_query(by_token).add_columns(others + counting.members_statement(Invitation.event_id),
                                                  counting.named_statement(Invitation.id))


@functools.cache
def _answering_seatless_query(by_token: bool = False):
    """`_answering_query` locking the invitation's row, unless it holds a seat. PostgreSQL checks the
    condition again on the row a concurrent answer committed, so no row comes back (and none is
    locked) when it was accepted meanwhile."""
    return (_answering_query(by_token).where(Invitation.status != InvitationStatus.ACCEPTED)
            .with_for_update(of=Invitation.__table__))


def _locked_for_answer(found: dict, seats_at_stake: bool) -> tuple[Invitation | None, int, int]:
    """The invitation `found` ({"id": …, "event_id": …} or {"token": …}) read afresh under the lock its
    answer needs, the seats the event's other invitees (and delegation members) take, and the guests it
    has named (both 0 when it holds no seat and asks for none: not counted, and no guest comes with such
    an answer).

    An answer that takes or gives back seats (an acceptance, or a change from one) locks the event's row:
    those answers are serialised, so the seats each one counts stay true until it commits. Any other
    answer only locks the invitation's row, which is enough while the invitation holds no seat: those
    answers do not wait for each other. The event is always locked before an invitation, as everywhere.
    """
    by_token = "token" in found
    if not seats_at_stake:
        invitation = db.session.scalar(_answering_seatless_query(by_token), found)
        if invitation is not None:
            return invitation, 0, 0
        # Accepted meanwhile (or gone): its seat is at stake after all. Nothing is locked yet.
    db.session.execute(_lock_event_statement(by_token), found)
    row = db.session.execute(_answering_seated_query(by_token), found).first()
    return (row[0], row[1], row[2]) if row else (None, 0, 0)


def answer(invitation, status: InvitationStatus | str, guests: int = 0, comment: str = "") -> Invitation:
    """Record an answer to `invitation` (an Invitation, or the RSVP page's InvitationView: only its
    `id`, `event_id` and `status` are read, the last as a hint). Capacity is checked under a lock on
    the event row, taken by the answers that take or give back seats, so that simultaneous acceptances
    never overbook (those that do not fit are waitlisted) while other answers do not queue behind them."""
    status = _answer_status(status)
    # Everything below reads fresh rows (the invitation, its contact and its event, in one statement
    # once the lock is held); the caller's status only tells which lock to ask for first.
    seats_at_stake = InvitationStatus.ACCEPTED in (status, invitation.status)
    found, others_seats, named = _locked_for_answer({"id": invitation.id, "event_id": invitation.event_id},
                                                    seats_at_stake)
    return _record(found, others_seats, named, status, guests, comment)


def answer_by_token(token: str, status: InvitationStatus | str, guests: int = 0, comment: str = "") -> Invitation | None:
    """`answer` to the invitation whose link holds `token` (None when there is none), for the RSVP page's
    POST: the first read is the one under the answer's lock, no read of the invitation before it (each
    statement is a round trip to the database, and answers to one event queue on its lock). An answer
    other than an acceptance tries the invitation's own lock first: it falls back to the event's when the
    invitation holds a seat."""
    status = _answer_status(status)
    if not token or len(token) > 64:
        return None
    found, others_seats, named = _locked_for_answer({"token": token}, status == InvitationStatus.ACCEPTED)
    if found is None:
        return None
    return _record(found, others_seats, named, status, guests, comment)


def _answer_status(status: InvitationStatus | str) -> InvitationStatus:
    status = InvitationStatus(status)
    if status not in ANSWERS:
        raise InvitationError(_l("Please choose an answer."))
    return status


def _record(invitation: Invitation | None, others_seats: int, named: int, status: InvitationStatus, guests: int,
            comment: str) -> Invitation:
    """The answer written to `invitation`, read afresh under its lock with the `others_seats` counted and
    the guests it has `named`."""
    if invitation is None or invitation.revoked_at is not None:  # (None: deleted with its event meanwhile)
        raise InvitationError(_l("This invitation is revoked."))
    event = invitation.event
    reason = answer_closed_reason(event)
    if reason:
        raise InvitationError(reason)
    guests = int(guests or 0)
    if event.guests_must_be_named:
        guests = named  # the guests are the names given (eventsapp/guests): their number is no separate answer
    if status != InvitationStatus.ACCEPTED:
        guests = 0
    if guests < 0 or guests > event.max_guests:
        raise InvitationError(_l("You may bring at most %(n)s guests.", n=event.max_guests))
    if status == InvitationStatus.ACCEPTED and guests < named:
        raise InvitationError(_l("You have named %(n)s guests: remove names on the guests' page first.", n=named))
    previous, previous_guests = invitation.status, invitation.guests
    now = utcnow()
    if status == InvitationStatus.ACCEPTED:
        status = _place(event, invitation, previous, guests, now, others_seats)
    else:
        invitation.waitlisted_at = None
    invitation.status = status
    invitation.guests = guests
    invitation.comment = (comment or "").strip()[:2000]
    invitation.answered_at = now
    invitation.answered_by_id = invitation.answer_source = None  # the invitee's own (record_answer sets them)
    db.session.flush()
    if previous == InvitationStatus.ACCEPTED and (status != InvitationStatus.ACCEPTED or guests < previous_guests):
        promote_waiters(event)  # seats were freed
    _queue_personal(MessageKind.CONFIRMATION, invitation,
                    f"confirmation:{invitation.id}:{now.strftime('%Y%m%dT%H%M%S%f')}")
    signals.invitation_answered.send(invitation, previous_status=previous)
    return invitation


def record_answer(invitation: Invitation, status: InvitationStatus | str, *, source: str, by, guests: int | None = None,
                  comment: str | None = None) -> Invitation:
    """An answer given to a staff member (`source`: "phone" or "in_person"), by `answer`'s rules; who recorded it,
    how and when (answered_at) are kept. Guests and comment stay as they were unless given."""
    if source not in ANSWER_SOURCES:
        raise InvitationError(_l("Choose how the answer was given: by phone or in person."))
    answered = answer(invitation, status, invitation.guests if guests is None else guests,
                      invitation.comment if comment is None else comment)
    answered.answered_by_id = by.id if by is not None else None
    answered.answer_source = source
    db.session.flush()
    audit.for_event("invitation_changed", answered, answered.event_id, change="answer_recorded", source=source,
                    status=answered.status.value, guests=answered.guests, comment_changed=comment is not None)
    return answered


def hand_card(invitation: Invitation, *, by) -> Invitation:
    """Mark the printed invitation card as handed over (or posted) now, by `by`; a second mark keeps the first."""
    if invitation.card_handed_at is None:
        invitation.card_handed_at = utcnow()
        invitation.card_handed_by_id = by.id if by is not None else None
        db.session.flush()
    return invitation


def _place(event: Event, invitation: Invitation, previous: InvitationStatus, guests: int, now,
           others: int) -> InvitationStatus:
    """Accepted when the party fits beside the `others` seats taken (counted under the event's lock)."""
    if event.capacity is None:
        invitation.waitlisted_at = None
        return InvitationStatus.ACCEPTED
    free = event.capacity - others
    if 1 + guests <= free:
        invitation.waitlisted_at = None
        return InvitationStatus.ACCEPTED
    if previous == InvitationStatus.ACCEPTED:
        # Someone with a seat asking for more guests than fit keeps the seat they had.
        raise InvitationError(_l("Only %(n)s places are left for you and your guests.", n=max(free, 0)))
    if invitation.waitlisted_at is None:
        invitation.waitlisted_at = now
    return InvitationStatus.WAITLISTED


def promote_waiters(event: Event) -> list[Invitation]:
    """Move waiters into freed seats, first come first served (skipping those whose party does not fit).
    The caller holds the event row lock."""
    if event.capacity is None:
        waiters = []
    else:
        free = event.capacity - seats_taken([event.id])
        if free <= 0:
            return []
        waiters = list(db.session.scalars(
            select(Invitation).options(joinedload(Invitation.contact))
            .where(Invitation.event_id == event.id, Invitation.status == InvitationStatus.WAITLISTED,
                   Invitation.revoked_at.is_(None))
            .order_by(Invitation.waitlisted_at, Invitation.id)
        ))
    promoted = []
    for waiter in waiters:
        if 1 + waiter.guests > free:
            continue
        free -= 1 + waiter.guests
        waiter.status = InvitationStatus.ACCEPTED
        waiter.waitlisted_at = None
        promoted.append(waiter)
        _queue_personal(MessageKind.PROMOTION, waiter,
                        f"promotion:{waiter.id}:{utcnow().strftime('%Y%m%dT%H%M%S%f')}")
        signals.invitation_answered.send(waiter, previous_status=InvitationStatus.WAITLISTED)
        if free <= 0:
            break
    return promoted


# ------------------------------------------------------------------ opting out

def contact_by_unsubscribe_token(token: str) -> Contact | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(Contact).where(Contact.unsubscribe_token == token))


def unsubscribe(contact: Contact) -> None:
    """Never mail this contact again: mark them and fail what is still queued for them."""
    if contact.opted_out_at is None:
        contact.opted_out_at = utcnow()
        consent.withdraw_all(contact, Source.UNSUBSCRIBE)
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.contact_id == contact.id, OutboxMessage.state == MessageState.QUEUED)
        .values(state=MessageState.FAILED, last_error="recipient unsubscribed", updated_at=utcnow())
    )
    signals.contact_saved.send(contact)


# ------------------------------------------------------------------ event changes

def _informed(event: Event):
    """Conditions: invitees who have heard of the event (mailed, or answered) and not declined; mailable."""
    mailed = exists().where(OutboxMessage.invitation_id == Invitation.id)
    heard = [mailed, Invitation.status != InvitationStatus.PENDING]
    if event.campaign_id:
        heard.append(exists().where(OutboxMessage.campaign_id == event.campaign_id,
                                    OutboxMessage.kind == MessageKind.CAMPAIGN_INVITATION,
                                    OutboxMessage.contact_id == Invitation.contact_id))
    return (Invitation.event_id == event.id, Invitation.status != InvitationStatus.DECLINED,
            Invitation.revoked_at.is_(None), _sendable(), or_(*heard))


def queue_change_notices(event: Event, changes) -> int:
    """An UPDATE (or CANCELLATION) for every informed invitee who has not declined, in one statement."""
    kinds = {getattr(c.kind, "value", c.kind) for c in changes}
    kind = MessageKind.CANCELLATION if ("cancelled" in kinds or event.is_cancelled) else MessageKind.UPDATE
    change_ids = [c.id for c in changes if getattr(c, "id", None)]
    return _queue_from_select(kind, event, uuid.uuid4().hex, _dedupe(kind.value, event.sequence), _informed(event),
                              payload={"change_ids": change_ids})


# ------------------------------------------------------------------ listing

def invitation_query(event_ids: list[int], *, status: str = "", honoree: str = "", search: str = ""):
    query = (select(Invitation).join(Contact, Contact.id == Invitation.contact_id)
             .options(joinedload(Invitation.contact), joinedload(Invitation.answered_by),
                      joinedload(Invitation.card_handed_by))
             .where(Invitation.event_id.in_(event_ids)))
    if status in {s.value for s in InvitationStatus}:
        query = query.where(Invitation.status == status)
    elif status == "revoked":
        query = query.where(Invitation.revoked_at.is_not(None))
    if honoree == "yes":
        query = query.where(Invitation.is_honoree.is_(True))
    elif honoree == "no":
        query = query.where(Invitation.is_honoree.is_(False))
    if search.strip():
        for word in fold(search).split():
            query = query.where(Contact.search_text.contains(word, autoescape=True))
    return query.order_by(Contact.sort_key, Contact.id, Invitation.event_id)


def last_messages(invitation_ids: list[int], kinds: tuple[MessageKind, ...] = ()) -> dict[int, OutboxMessage]:
    """The latest outbox row of each invitation (of one of `kinds`, if given), one query."""
    if not invitation_ids:
        return {}
    latest = select(func.max(OutboxMessage.id)).where(OutboxMessage.invitation_id.in_(invitation_ids))
    if kinds:
        latest = latest.where(OutboxMessage.kind.in_(kinds))
    latest = latest.group_by(OutboxMessage.invitation_id)
    result: dict[int, OutboxMessage] = {}
    for message in db.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(latest))):
        result[message.invitation_id] = message
    return result


def recent_sends(event_ids: list[int] | None = None, campaign_id: int | None = None, limit: int = 5) -> list[dict]:
    """The latest sends of these events (or this campaign) with their counts, for the progress bars."""
    if campaign_id:
        return mail_recent_sends(campaign_id=campaign_id, limit=limit)
    return mail_recent_sends(event_ids=event_ids or [], limit=limit)
