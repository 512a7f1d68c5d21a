"""Invitations: one per (event, contact), answered through an unguessable token."""
from __future__ import annotations

import enum
import secrets
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import EnumType, UTCDateTime
from ..extensions import db
from ..timeutils import utcnow


class InvitationStatus(str, enum.Enum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    TENTATIVE = "tentative"
    DECLINED = "declined"
    WAITLISTED = "waitlisted"


# The answers in Vietnamese, as the exported spreadsheets write them (invitee lists, attendance).
STATUS_VI = {
    InvitationStatus.PENDING: "Chưa trả lời",
    InvitationStatus.ACCEPTED: "Nhận lời",
    InvitationStatus.TENTATIVE: "Có thể",
    InvitationStatus.DECLINED: "Từ chối",
    InvitationStatus.WAITLISTED: "Danh sách chờ",
}


# How a staff member heard an answer (Invitation.answer_source).
ANSWER_SOURCES = ("phone", "in_person")


def new_token() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


class Invitation(db.Model):
    __tablename__ = "invitations"
    __table_args__ = (
        UniqueConstraint("event_id", "contact_id"),
        Index("ix_invitations_event_status", "event_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="RESTRICT"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)  # RSVP link
    checkin_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)  # QR code at the door
    # The personal join link of an online event (/j/<token>): counts the person as attending online.
    join_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
    status: Mapped[InvitationStatus] = mapped_column(EnumType(InvitationStatus), default=InvitationStatus.PENDING)
    guests: Mapped[int] = mapped_column(default=0)
    comment: Mapped[str] = mapped_column(Text, default="")
    is_honoree: Mapped[bool] = mapped_column(default=False)
    # Order of precedence at the ceremony (1 first); None: derived from the contact's position (issue 28).
    protocol_rank: Mapped[int | None] = mapped_column()
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # An answer a staff member recorded (given by phone or in person): who, and how it came (ANSWER_SOURCES);
    # NULL for an answer the invitee gave themselves (their link, a reply by mail).
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answer_source: Mapped[str | None] = mapped_column(String(16))
    # The printed card was handed over (or posted): when, and by whom.
    card_handed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    card_handed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    waitlisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # queue order for promotion
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # a revoked token answers 404
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    event: Mapped["Event"] = relationship()  # noqa: F821
    contact: Mapped["Contact"] = relationship()  # noqa: F821
    answered_by: Mapped["User | None"] = relationship(foreign_keys=[answered_by_id])  # noqa: F821
    card_handed_by: Mapped["User | None"] = relationship(foreign_keys=[card_handed_by_id])  # noqa: F821
    # Loaded only where asked for (the mail sender's batches): a PNG per row is no list page's business.
    checkin_code: Mapped["CheckinCode | None"] = relationship(lazy="select", viewonly=True)


class CheckinCode(db.Model):
    """An invitation's door QR code as the PNG its e-mails carry, made once (eventsapp/invitations/checkin_codes.py).

    `url` is what the PNG encodes: a code whose URL is no longer the invitation's check-in link (another
    base URL, a new check-in token) is not used, and is made again.
    """

    __tablename__ = "checkin_codes"

    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"), primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    png: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
