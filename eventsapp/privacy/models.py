"""Consents: what each contact agreed to (or withdrew), per purpose and channel, from which source, when.

Rows are never changed: a new decision is a new row, and a contact's consent for a purpose and channel is
the latest row (`consent.current`). `channel` "any" covers every channel."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..dbtypes import EnumType, UTCDateTime
from ..extensions import db
from ..timeutils import utcnow


class Purpose(str, enum.Enum):
    INVITATIONS = "invitations"  # invitations from the association (and their updates, confirmations)
    REMINDERS = "reminders"
    NEWSLETTER = "newsletter"


class Source(str, enum.Enum):
    IMPORT = "import"              # a roll imported with a stated basis
    REGISTRATION = "registration"  # a registration form
    RSVP = "rsvp"                  # the RSVP page
    STAFF_PHONE = "staff_phone"    # staff, told by phone or in person
    UNSUBSCRIBE = "unsubscribe"    # the unsubscribe link, one-click or STOP by mail
    PRIVACY_PAGE = "privacy_page"  # the person's own data page


class Basis(str, enum.Enum):
    """Why the association may write to the people of a roll (Decree 13/2023, GDPR art. 6)."""

    CONSENT = "consent"          # they agreed (in writing, a form, by phone)
    MEMBERSHIP = "membership"    # members of the association, in its charter
    CONTRACT = "contract"        # they registered for the event
    NONE = "none"                # no basis stated: nothing is sent until they agree


ANY_CHANNEL = "any"
WORDING_VERSION = "2026-12"  # the wording of the consent text shown on the pages (bump when it changes)


class ContactConsent(db.Model):
    __tablename__ = "contact_consents"
    __table_args__ = (Index("ix_contact_consents_contact_purpose", "contact_id", "purpose", "channel", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    purpose: Mapped[Purpose] = mapped_column(EnumType(Purpose))
    channel: Mapped[str] = mapped_column(String(10), default=ANY_CHANNEL)
    granted: Mapped[bool] = mapped_column()
    source: Mapped[Source] = mapped_column(EnumType(Source))
    basis: Mapped[Basis] = mapped_column(EnumType(Basis))
    wording_version: Mapped[str] = mapped_column(String(40), default=WORDING_VERSION)
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
