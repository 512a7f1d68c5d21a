"""The protocol table of an association, and an event's seating plan: tables (or theatre rows) and seats.

Protocol ranks themselves live on the people (`Invitation.protocol_rank`, `Delegation.protocol_rank`,
`EventGuest.protocol_rank`): set when an organiser moves someone in the event's order, derived from
the protocol table otherwise (`eventsapp/ceremony/protocol.py`).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import UTCDateTime
from ..extensions import db
from ..timeutils import utcnow


class ProtocolPosition(db.Model):
    """One line of an association's order of precedence: who ranks here, matched by the words that begin
    (or appear in) a person's position, folded without diacritics ("Phó Chủ tịch UBND tỉnh")."""

    __tablename__ = "protocol_positions"

    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id", ondelete="CASCADE"), index=True)
    order: Mapped[int] = mapped_column(default=1)  # 1 first
    label: Mapped[str] = mapped_column(String(200))  # "Lãnh đạo tỉnh"
    # Positions that rank here, one a line or separated by ";": "Chủ tịch UBND tỉnh; Bí thư Tỉnh ủy".
    keywords: Mapped[str] = mapped_column(String(2000), default="")
    # The place of delegations (foreign guests come by delegation): their members rank here together.
    delegations: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SeatTable(db.Model):
    """A round or long table, or a row of theatre seats, at a place on the drawn plan of the hall."""

    __tablename__ = "seat_tables"
    __table_args__ = (UniqueConstraint("event_id", "number", name="uq_seat_tables_event_number"),
                      CheckConstraint("capacity >= 1", name="ck_seat_tables_capacity"))

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column()  # table 1 is the first (the highest ranks)
    name: Mapped[str] = mapped_column(String(100), default="")  # "Bàn chủ tọa"
    shape: Mapped[str] = mapped_column(String(10), default="round")  # round | long | row
    capacity: Mapped[int] = mapped_column(default=10)
    x: Mapped[int] = mapped_column(default=100)  # on the plan: 0–1000 across, 0–700 down
    y: Mapped[int] = mapped_column(default=100)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    seats: Mapped[list["SeatAssignment"]] = relationship(back_populates="table", cascade="all, delete-orphan",
                                                         order_by="SeatAssignment.seat")


class SeatAssignment(db.Model):
    """Who sits where: an invitee (their invitation) or a named guest or delegation member."""

    __tablename__ = "seat_assignments"
    __table_args__ = (
        UniqueConstraint("table_id", "seat", name="uq_seat_assignments_seat"),
        UniqueConstraint("event_id", "invitation_id", name="uq_seat_assignments_invitation"),
        UniqueConstraint("event_id", "guest_id", name="uq_seat_assignments_guest"),
        CheckConstraint("(invitation_id IS NULL) <> (guest_id IS NULL)", name="ck_seat_assignments_person"),
        Index("ix_seat_assignments_event_updated", "event_id", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    table_id: Mapped[int] = mapped_column(ForeignKey("seat_tables.id", ondelete="CASCADE"), index=True)
    seat: Mapped[int] = mapped_column()  # 1 … the table's capacity
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"))
    guest_id: Mapped[int | None] = mapped_column(ForeignKey("event_guests.id", ondelete="CASCADE"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    table: Mapped[SeatTable] = relationship(back_populates="seats")


class SeatingState(db.Model):
    """When the place cards of an event were last printed: a seat changed after that is flagged."""

    __tablename__ = "seating_states"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    cards_printed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
