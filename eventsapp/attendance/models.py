"""Check-ins at the door: one active check-in per person and event, undoable."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import UTCDateTime
from ..extensions import db
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
        Index("ix_check_ins_event_time", "event_id", "checked_in_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id", ondelete="SET NULL"), index=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="RESTRICT"), index=True)
    guests: Mapped[int] = mapped_column(default=0)
    walk_in: Mapped[bool] = mapped_column(default=False)
    checked_in_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    checked_in_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    event: Mapped["Event"] = relationship()  # noqa: F821
    invitation: Mapped["Invitation | None"] = relationship()  # noqa: F821
    contact: Mapped["Contact"] = relationship()  # noqa: F821
    checked_in_by: Mapped["User | None"] = relationship(foreign_keys=[checked_in_by_id])  # noqa: F821
    undone_by: Mapped["User | None"] = relationship(foreign_keys=[undone_by_id])  # noqa: F821

    @property
    def is_active(self) -> bool:
        return self.undone_at is None

    def __repr__(self) -> str:
        return f"<CheckIn event={self.event_id} contact={self.contact_id}{' undone' if self.undone_at else ''}>"
