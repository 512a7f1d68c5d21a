"""An event's registration settings and the registrations made on its public page.

A registration holds what the person typed until they confirm it by the link sent to their address; only
then is a contact found or created (`contact_id`), and, once accepted (at once, or by an organiser), an
invitation with its own RSVP link, check-in code and reminders (`invitation_id`).
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from ..dbtypes import EnumType, UTCDateTime
from ..extensions import db
from ..timeutils import utcnow


class RegistrationSettings(db.Model):
    """Whether an event takes registrations on its public page, and whether an organiser approves each."""

    __tablename__ = "registration_settings"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    is_open: Mapped[bool] = mapped_column(default=False)
    needs_approval: Mapped[bool] = mapped_column(default=False)  # False: accepted at once while seats remain
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    # `event.registration_settings` (None when never set): the API's event reads its settings there.
    event: Mapped["Event"] = relationship(  # noqa: F821
        backref=backref("registration_settings", uselist=False, passive_deletes=True))

    @property
    def acceptance(self) -> "Acceptance":
        return Acceptance.APPROVAL if self.needs_approval else Acceptance.AUTOMATIC


class Acceptance(str, enum.Enum):
    """How a confirmed registration is accepted (the API's words for `needs_approval`)."""

    AUTOMATIC = "automatic"  # at once, while seats remain
    APPROVAL = "approval"    # an organiser approves or declines each


class RegistrationState(str, enum.Enum):
    UNCONFIRMED = "unconfirmed"  # the link sent to the address has not been followed
    PENDING = "pending"          # confirmed, waiting for an organiser's decision
    ACCEPTED = "accepted"        # an invitation (accepted, or waitlisted when the event was full)
    DECLINED = "declined"        # by an organiser, with a message


class Registration(db.Model):
    __tablename__ = "registrations"
    __table_args__ = (Index("ix_registrations_event_state", "event_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))  # normalised: trimmed, lower-case; "" when registered by phone
    phone: Mapped[str] = mapped_column(String(50), default="")  # E.164, or ""
    language: Mapped[str] = mapped_column(String(5), default="vi")
    guests: Mapped[int] = mapped_column(default=0)
    answers: Mapped[dict] = mapped_column(JSON, default=dict)  # {question id (str): typed value}, kept until confirmed
    state: Mapped[RegistrationState] = mapped_column(EnumType(RegistrationState), default=RegistrationState.UNCONFIRMED)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id", ondelete="SET NULL"))
    message: Mapped[str] = mapped_column(Text, default="")  # the organiser's words with the decision
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Registration by phone (no e-mail): when the SMS code was issued (the code is derived from it, see
    # registration/codes.py) and the wrong tries on it.
    code_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    code_attempts: Mapped[int] = mapped_column(default=0)

    event: Mapped["Event"] = relationship()  # noqa: F821
    contact: Mapped["Contact | None"] = relationship()  # noqa: F821
    invitation: Mapped["Invitation | None"] = relationship()  # noqa: F821
