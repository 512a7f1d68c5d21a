"""Named guests and delegations (issue 27), shared by the door, the seating plan and the reports.

An `EventGuest` is one person at one event who is not an invitation's own contact: a guest named by an
invitee (`invitation_id`), or a member of a delegation (`delegation_id`). Each has their own check-in
token (QR code), line on the door list and protocol rank. A guest with an address may be linked to a
contact (`contact_id`) so that the event's messages can reach them; most have none.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import UTCDateTime
from ..extensions import db
from ..invitations.models import new_token
from ..timeutils import utcnow


class Delegation(db.Model):
    """A sending organisation's places at an event, filled by its leader through a secret link."""

    __tablename__ = "delegations"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    # The sending organisation: its name as introduced ("Hội người Bắc Giang tại Séc"), and the contact
    # that stands for it when there is one.
    name: Mapped[str] = mapped_column(String(300))
    organisation_contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    leader_contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    # The leader's own invitation to the event (the leader is a member of the delegation too).
    leader_invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id", ondelete="SET NULL"))
    quota: Mapped[int] = mapped_column(default=1)
    token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)  # the leader's link
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    protocol_rank: Mapped[int | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    event: Mapped["Event"] = relationship()  # noqa: F821
    organisation_contact: Mapped["Contact | None"] = relationship(foreign_keys=[organisation_contact_id])  # noqa: F821
    leader_contact: Mapped["Contact | None"] = relationship(foreign_keys=[leader_contact_id])  # noqa: F821
    leader_invitation: Mapped["Invitation | None"] = relationship()  # noqa: F821
    members: Mapped[list["EventGuest"]] = relationship(back_populates="delegation", order_by="EventGuest.id")


class EventGuest(db.Model):
    """A named person at an event: an invitee's guest or a delegation's member."""

    __tablename__ = "event_guests"
    __table_args__ = (Index("ix_event_guests_event_updated", "event_id", "updated_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"), index=True)
    delegation_id: Mapped[int | None] = mapped_column(ForeignKey("delegations.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    full_name: Mapped[str] = mapped_column(String(200))
    honorific: Mapped[str] = mapped_column(String(40), default="")
    position: Mapped[str] = mapped_column(String(300), default="")
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164
    language: Mapped[str] = mapped_column(String(5), default="vi")  # of their e-mails (a member with an address)
    timezone: Mapped[str | None] = mapped_column(String(64))  # IANA; their e-mails show the event's time in it too
    nationality: Mapped[str] = mapped_column(String(100), default="")
    passport_number: Mapped[str] = mapped_column(String(40), default="")
    passport_expires_on: Mapped[date | None] = mapped_column(Date)
    checkin_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
    protocol_rank: Mapped[int | None] = mapped_column()
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    event: Mapped["Event"] = relationship()  # noqa: F821
    invitation: Mapped["Invitation | None"] = relationship()  # noqa: F821
    delegation: Mapped[Delegation | None] = relationship(back_populates="members")
    contact: Mapped["Contact | None"] = relationship()  # noqa: F821

    def __repr__(self) -> str:
        return f"<EventGuest {self.id} event={self.event_id}>"
