"""The inbound table: every message received, raw (size-limited), kept with what was done with it.

One row per Message-ID (a message without one is keyed by the hash of its bytes), so the same
message polled twice, or delivered by the MTA and found in the mailbox, is processed once.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..contacts.models import Contact
from ..dbtypes import EnumType, UTCDateTime
from ..extensions import db
from ..timeutils import utcnow


class InboundState(str, enum.Enum):
    NEW = "new"  # stored, waiting for the worker
    DONE = "done"  # acted upon (an answer recorded, an address marked, a reply forwarded…)
    IGNORED = "ignored"  # read and deliberately left alone (the reason is in `outcome`)
    FAILED = "failed"  # could not be read (malformed, too large): stored and logged, never retried
    UNVERIFIED = "unverified"  # an answer or opt-out whose sender is not authenticated: kept, not applied


class InboundKind(str, enum.Enum):
    CALENDAR_REPLY = "calendar_reply"  # iTIP REPLY from a calendar app
    CALENDAR_OTHER = "calendar_other"  # COUNTER, REFRESH, … (logged)
    BOUNCE = "bounce"  # delivery status notification
    AUTO_REPLY = "auto_reply"  # vacation and other automatic answers
    UNSUBSCRIBE = "unsubscribe"  # our List-Unsubscribe mailto
    HUMAN = "human"  # a person's reply: forwarded to the organisers and listed on the event
    MALFORMED = "malformed"


class InboundMessage(db.Model):
    __tablename__ = "inbound_messages"
    __table_args__ = (Index("ix_inbound_event_kind", "event_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_key: Mapped[str] = mapped_column(String(300), unique=True)  # Message-ID, or sha256:<hex>
    source: Mapped[str] = mapped_column(String(16))  # imap, pipe, folder
    envelope_recipient: Mapped[str] = mapped_column(String(254), default="")
    from_address: Mapped[str] = mapped_column(String(254), default="")
    subject: Mapped[str] = mapped_column(String(500), default="")
    size: Mapped[int] = mapped_column(default=0)
    # The whole message, or its first MAIL_INBOUND_MAX_BYTES: deferred, so that lists never load it.
    raw: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    truncated: Mapped[bool] = mapped_column(default=False)
    state: Mapped[InboundState] = mapped_column(EnumType(InboundState), default=InboundState.NEW, index=True)
    kind: Mapped[InboundKind | None] = mapped_column(EnumType(InboundKind))
    outcome: Mapped[str] = mapped_column(Text, default="")  # what was done, or why nothing was
    body_text: Mapped[str] = mapped_column(Text, default="")  # a human reply as plain text, quotes removed
    # What an unverified message asked for ("accepted", "declined", "tentative", "unsubscribe"): not applied.
    claim: Mapped[str] = mapped_column(String(32), default="", server_default="")
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id", ondelete="SET NULL"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    outbox_message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id", ondelete="SET NULL"),
                                                          index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    invitation: Mapped["Invitation | None"] = relationship()  # noqa: F821
    event: Mapped["Event | None"] = relationship()  # noqa: F821
    contact: Mapped[Contact | None] = relationship()


@event.listens_for(Contact.email, "set", active_history=True)  # the old value even when not loaded yet
def _new_address_clears_the_mark(contact: Contact, value, previous, initiator) -> None:
    """Editing a contact's address lifts its undeliverable mark: the new address gets its chance."""
    if isinstance(previous, str) and previous and (value or "").strip().lower() != previous.strip().lower():
        contact.undeliverable_at = None
        contact.undeliverable_reason = ""
        contact.soft_bounces = 0
