"""Check-ins at the door: one active check-in per person and event, undoable."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..contacts.models import Contact
from ..dbtypes import UTCDateTime
from ..extensions import db
from ..invitations.models import Invitation
from ..timeutils import utcnow

ACTIVE = text("undone_at IS NULL")


class CheckIn(db.Model):
    """Someone came in: an invitee (by QR code or search) or a walk-in.

    The partial unique index lets exactly one *active* (not undone) check-in
    exist per (event, contact), so two devices scanning the same code at the
    same moment cannot both count; an undone check-in stays as history.
    """

    __tablename__ = "check_ins"
    __table_args__ = (
        Index("uq_check_ins_active_contact", "event_id", "contact_id", unique=True,
              postgresql_where=ACTIVE, sqlite_where=ACTIVE),
        # A named guest or delegation member (eventsapp.guests) is checked in by their own row.
        Index("uq_check_ins_active_guest", "event_id", "guest_id", unique=True,
              postgresql_where=ACTIVE, sqlite_where=ACTIVE),
        Index("ix_check_ins_event_time", "event_id", "checked_in_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id", ondelete="SET NULL"), index=True)
    # The person: a contact, or (contact_id None) a named guest who is no contact.
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="RESTRICT"), index=True)
    guest_id: Mapped[int | None] = mapped_column(ForeignKey("event_guests.id", ondelete="CASCADE"), index=True)
    guests: Mapped[int] = mapped_column(default=0)
    walk_in: Mapped[bool] = mapped_column(default=False)
    checked_in_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    checked_in_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The id an offline door phone gave the check-in: a queued check-in sent twice is applied once.
    client_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Any change (undo, a time moved earlier by another phone's sync) dates the row: the door list's version.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow,
                                                 server_default=func.current_timestamp())

    event: Mapped["Event"] = relationship()  # noqa: F821
    invitation: Mapped["Invitation | None"] = relationship()  # noqa: F821
    contact: Mapped["Contact | None"] = relationship()  # noqa: F821
    guest: Mapped["EventGuest | None"] = relationship()  # noqa: F821
    checked_in_by: Mapped["User | None"] = relationship(foreign_keys=[checked_in_by_id])  # noqa: F821
    undone_by: Mapped["User | None"] = relationship(foreign_keys=[undone_by_id])  # noqa: F821

    @property
    def is_active(self) -> bool:
        return self.undone_at is None

    def __repr__(self) -> str:
        return f"<CheckIn event={self.event_id} contact={self.contact_id}{' undone' if self.undone_at else ''}>"


class DoorSyncOp(db.Model):
    """A phone's queued check-in that met someone already checked in: its id is kept, so that the same
    operation sent again (a lost answer, or a forged earlier time under the same id) changes nothing.
    (An operation that made the check-in is known by `check_ins.client_id`.)"""

    __tablename__ = "door_sync_ops"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    check_in_id: Mapped[int] = mapped_column(ForeignKey("check_ins.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# What the door list's version reads (attendance/doorlist.py: fingerprint): the latest change of an
# event's invitations and check-ins, and of any contact, each found in its index without a scan.
Index("ix_invitations_event_updated", Invitation.event_id, Invitation.updated_at)
Index("ix_check_ins_event_updated", CheckIn.event_id, CheckIn.updated_at)
Index("ix_contacts_updated_at", Contact.updated_at)


class Printable(db.Model):
    """A PDF made by a worker for an event (badges, door list, certificates, invitation cards, address labels),
    kept for download."""

    __tablename__ = "printables"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # badges | door_list | certificates | invitation_cards | address_labels
    options: Mapped[dict] = mapped_column(db.JSON, default=dict)
    state: Mapped[str] = mapped_column(String(10), default="queued")  # queued | running | done | failed
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    item_count: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)

    event: Mapped["Event"] = relationship()  # noqa: F821
    requested_by: Mapped["User | None"] = relationship()  # noqa: F821


class CertificateTemplate(db.Model):
    """How an association's certificates look: title, place, signature block and logo."""

    __tablename__ = "certificate_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id", ondelete="CASCADE"), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    place: Mapped[str] = mapped_column(String(100), default="")
    intro: Mapped[str] = mapped_column(String(300), default="")
    signer_title: Mapped[str] = mapped_column(String(200), default="")
    signer_name: Mapped[str] = mapped_column(String(200), default="")
    logo_png: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class OnlineJoin(db.Model):
    """An invitee joined an online event through their personal link (/j/<token>): counted once."""

    __tablename__ = "online_joins"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"), unique=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    contact: Mapped[Contact | None] = relationship()
