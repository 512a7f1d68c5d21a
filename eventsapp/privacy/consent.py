"""Consent per purpose and channel: recording decisions (one row each, never changed) and reading who may
be written to.

A contact may be sent a purpose's messages unless their latest decision for it (any channel, or the message's
channel) is a withdrawal or was recorded without a basis. Contacts with no decision at all (rolls kept before
consent was recorded) are sent to unless `CONSENT_REQUIRED` is set; every send page says how many they are.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import and_, exists, func, insert, not_, or_, select, text
from sqlalchemy.orm import aliased

from .. import audit
from ..contacts.models import Contact
from ..extensions import db
from ..timeutils import utcnow
from .models import ANY_CHANNEL, WORDING_VERSION, Basis, ContactConsent, Purpose, Source

# What the basis of an imported roll is recorded for: invitations. Reminders follow a contact's invitations
# decision until they decide about reminders themselves (FALLS_BACK), so a roll costs one row per person.
ROLL_PURPOSES = (Purpose.INVITATIONS,)
FALLS_BACK = {Purpose.REMINDERS: Purpose.INVITATIONS}


def record(contact_ids, purposes, *, granted: bool, source: Source, basis: Basis, channel: str = ANY_CHANNEL,
           note: str = "", by=None, wording_version: str = WORDING_VERSION) -> int:
    """One decision per contact and purpose, set-based (one statement on PostgreSQL); the caller commits."""
    contact_ids = list(contact_ids)
    purposes = [Purpose(p) for p in purposes]
    if not contact_ids or not purposes:
        return 0
    values = {"granted": granted, "source": source.value, "basis": basis.value, "channel": channel,
              "wording_version": wording_version, "note": note, "at": utcnow(), "by": getattr(by, "id", None)}
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text(
            "INSERT INTO contact_consents (contact_id, purpose, channel, granted, source, basis, wording_version,"
            " note, at, recorded_by_id)"
            " SELECT c, p, :channel, :granted, :source, :basis, :wording_version, :note, :at, :by"
            " FROM unnest(CAST(:ids AS integer[])) AS c CROSS JOIN unnest(CAST(:purposes AS text[])) AS p"),
            {**values, "ids": contact_ids, "purposes": [p.value for p in purposes]})
    else:
        db.session.execute(insert(ContactConsent), [
            {"contact_id": c, "purpose": p, "channel": channel, "granted": granted, "source": source,
             "basis": basis, "wording_version": wording_version, "note": note, "at": values["at"],
             "recorded_by_id": values["by"]} for c in contact_ids for p in purposes])
    return len(contact_ids) * len(purposes)


def record_one(contact: Contact, purposes, *, granted: bool, source: Source, basis: Basis = Basis.CONSENT,
               channel: str = ANY_CHANNEL, note: str = "", by=None) -> None:
    """A single person's decision (the RSVP page, their data page, the unsubscribe link, staff by phone)."""
    record([contact.id], purposes, granted=granted, source=source, basis=basis, channel=channel, note=note, by=by)
    audit.record_for("consent_changed", contact, [a.id for a in contact.associations], granted=granted,
                     source=source.value, purposes=[Purpose(p).value for p in purposes], channel=channel)


def withdraw_all(contact: Contact, source: Source) -> None:
    """Unsubscribing, STOP, an opt-out: a withdrawal for every purpose and channel."""
    record_one(contact, list(Purpose), granted=False, source=source, basis=Basis.CONSENT)


def _latest_of(purpose: Purpose, channel: str):
    other = aliased(ContactConsent)
    return (select(func.max(other.id))
            .where(other.contact_id == Contact.id, other.purpose == purpose, other.channel.in_((ANY_CHANNEL, channel)))
            .correlate(Contact).scalar_subquery())


def _latest(purpose: Purpose, channel: str):
    """The id of a contact's latest decision for `purpose` on `channel` (or every channel); for a purpose that
    falls back (reminders), the latest invitations decision while there is none of its own."""
    if purpose in FALLS_BACK:
        return func.coalesce(_latest_of(purpose, channel), _latest_of(FALLS_BACK[purpose], channel))
    return _latest_of(purpose, channel)


def refused(purpose: Purpose, channel: str = "email"):
    """SQL condition on `Contact`: the latest decision withdraws consent or has no basis."""
    return exists().where(ContactConsent.contact_id == Contact.id, ContactConsent.id == _latest(purpose, channel),
                          or_(ContactConsent.granted.is_(False), ContactConsent.basis == Basis.NONE))


def unrecorded(purpose: Purpose, channel: str = "email"):
    """SQL condition on `Contact`: no decision recorded for `purpose`."""
    purposes = (purpose, FALLS_BACK[purpose]) if purpose in FALLS_BACK else (purpose,)
    return not_(exists().where(ContactConsent.contact_id == Contact.id, ContactConsent.purpose.in_(purposes),
                               ContactConsent.channel.in_((ANY_CHANNEL, channel))))


def may_send(purpose: Purpose, channel: str = "email"):
    """SQL condition on `Contact`: consent allows sending `purpose` on `channel`."""
    allowed = not_(refused(purpose, channel))
    if current_app.config.get("CONSENT_REQUIRED"):
        allowed = and_(allowed, not_(unrecorded(purpose, channel)))
    return allowed


def allows(contact: Contact, purpose: Purpose, channel: str = "email") -> bool:
    """Whether consent allows sending `purpose` to this one contact (a resend, a single message)."""
    return db.session.scalar(select(Contact.id).where(Contact.id == contact.id, may_send(purpose, channel))) is not None


@dataclass
class ConsentCounts:
    """Before a send: how many of the people it would reach have withdrawn (or have no basis), and how many
    have no decision recorded."""

    withdrawn: int = 0
    unrecorded: int = 0
    required: bool = False

    @property
    def held_back(self) -> int:
        return self.withdrawn + (self.unrecorded if self.required else 0)


def counts(contact_query, purpose: Purpose = Purpose.INVITATIONS, channel: str = "email") -> ConsentCounts:
    """`contact_query`: a select of Contact.id (the people a send would reach)."""
    ids = contact_query.subquery()
    base = select(func.count()).select_from(Contact).where(Contact.id.in_(select(ids)))
    return ConsentCounts(withdrawn=db.session.scalar(base.where(refused(purpose, channel))) or 0,
                         unrecorded=db.session.scalar(base.where(unrecorded(purpose, channel))) or 0,
                         required=bool(current_app.config.get("CONSENT_REQUIRED")))


def current(contact: Contact) -> dict[tuple[str, str], ContactConsent]:
    """The latest decision per (purpose, channel) of a contact."""
    latest: dict[tuple[str, str], ContactConsent] = {}
    for row in db.session.scalars(select(ContactConsent).where(ContactConsent.contact_id == contact.id)
                                  .order_by(ContactConsent.id)):
        latest[(row.purpose.value, row.channel)] = row
    return latest
