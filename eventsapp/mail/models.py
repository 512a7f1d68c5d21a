"""The outbox: one row per e-mail, the source of truth for everything sent.

A domain change writes its rows in the same transaction; `dedupe_key` makes a
second row for the same purpose impossible (e.g. "invitation:<id>:seq:<n>",
"reminder:<rule>:<invitation>"); workers claim, send and record each row.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import EnumType, UTCDateTime
from ..extensions import db
from ..timeutils import utcnow


class MessageKind(str, enum.Enum):
    INVITATION = "invitation"
    CAMPAIGN_INVITATION = "campaign_invitation"
    UPDATE = "update"
    CANCELLATION = "cancellation"
    CONFIRMATION = "confirmation"
    PROMOTION = "promotion"  # moved from the waitlist to accepted
    REMINDER = "reminder"
    THANK_YOU = "thank_you"
    STAFF = "staff"  # messages to staff accounts (e.g. tests of the mail setup)
    INBOUND_FORWARD = "inbound_forward"  # a person's reply, forwarded to the organisers (eventsapp.inbound)
    # An answer or opt-out by mail whose sender is not authenticated: the invitee is asked to confirm it.
    ANSWER_CHECK = "answer_check"
    DELEGATION = "delegation"  # a delegation leader's link to their members' page (eventsapp.guests)
    # A delegation member's message (eventsapp.guests.member_mail): welcome, update or cancellation (payload).
    DELEGATION_MEMBER = "delegation_member"
    REGISTRATION = "registration"  # the link confirming a registration on a public page (eventsapp.registration)
    REGISTRATION_DECISION = "registration_decision"  # an organiser's decision on a registration, with a message
    TEST = "test"  # an organiser's test of an invitee's e-mail, sent to the organiser (invitations.previews)


class Channel(str, enum.Enum):
    """How a message reaches its person; `recipient` is an e-mail address, or a phone number in E.164."""

    EMAIL = "email"
    SMS = "sms"
    ZALO = "zalo"
    PRINTED = "printed"  # a card handed over or posted: recorded, never transmitted


class Priority(enum.IntEnum):
    """The order in which due messages are claimed (lower first): what a person waits for now goes
    before the bulk of a large send."""

    URGENT = 0  # updates, cancellations, confirmations, test copies: one person waits for them
    NORMAL = 5  # reminders and thank-yous
    BULK = 9  # invitations of a send, which may be thousands


URGENT_KINDS = frozenset({"update", "cancellation", "confirmation", "promotion", "test", "staff",
                          "answer_check", "inbound_forward"})
BULK_KINDS = frozenset({"invitation", "campaign_invitation"})


def priority_of(kind) -> int:
    """The claim priority of a message of `kind` (a MessageKind or its value)."""
    value = getattr(kind, "value", kind)
    if value in URGENT_KINDS:
        return Priority.URGENT
    return Priority.BULK if value in BULK_KINDS else Priority.NORMAL


def _default_priority(context) -> int:
    return priority_of(context.get_current_parameters().get("kind"))


class MessageState(str, enum.Enum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        # The claim query: queued rows that are due, the most urgent first, then oldest first.
        Index("ix_outbox_state_due", "state", "next_attempt_at"),
        Index("ix_outbox_state_priority_due", "state", "priority", "next_attempt_at"),
        Index("ix_outbox_event_kind", "event_id", "kind"),
        # The message log (newest first) and its counts by state and channel, without reading the table
        # (eventsapp.channels: an event of SMS, Zalo and e-mail reaches 100,000 rows).
        Index("ix_outbox_event_created", "event_id", "created_at", "id"),
        Index("ix_outbox_event_state_channel", "event_id", "state", "channel"),
        # The log's search: an event's recipients starting with what was typed (LIKE 'q%', any collation).
        Index("ix_outbox_event_recipient", "event_id", "recipient", postgresql_ops={"recipient": "varchar_pattern_ops"}),
        # A send's messages that wait for their time (a scheduled send, each invitee's hour): few once it runs.
        Index("ix_outbox_send_waiting", "send_id", "next_attempt_at",
              postgresql_where=text("state = 'queued' AND attempts = 0"),
              sqlite_where=text("state = 'queued' AND attempts = 0")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[MessageKind] = mapped_column(EnumType(MessageKind))
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    channel: Mapped[Channel] = mapped_column(EnumType(Channel), default=Channel.EMAIL, server_default="email")
    recipient: Mapped[str] = mapped_column(String(254))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("invitations.id", ondelete="SET NULL"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="SET NULL"), index=True)
    send_id: Mapped[str | None] = mapped_column(String(64), index=True)  # groups one "send" for progress bars
    payload: Mapped[dict] = mapped_column(JSON, default=dict)  # what the renderer needs beyond the ids
    state: Mapped[MessageState] = mapped_column(EnumType(MessageState), default=MessageState.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    priority: Mapped[int] = mapped_column(default=_default_priority, server_default=str(int(Priority.NORMAL)))
    last_error: Mapped[str] = mapped_column(Text, default="")
    smtp_message_id: Mapped[str] = mapped_column(String(300), default="")
    subject: Mapped[str] = mapped_column(String(500), default="")  # as sent, for the e-mail log
    # SMS and Zalo (eventsapp.channels): the gateway, its id for the message (delivery receipts find the
    # row by it), the receipt's status, and the segments and cost (VND) estimated before sending.
    provider: Mapped[str] = mapped_column(String(20), default="", server_default="")
    provider_message_id: Mapped[str] = mapped_column(String(100), default="", server_default="", index=True)
    delivery_status: Mapped[str] = mapped_column(String(20), default="", server_default="")
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    segments: Mapped[int] = mapped_column(default=0, server_default="0")
    cost: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # while sending
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    contact: Mapped["Contact | None"] = relationship()  # noqa: F821
    invitation: Mapped["Invitation | None"] = relationship()  # noqa: F821
    event: Mapped["Event | None"] = relationship()  # noqa: F821


class OutboxTally(db.Model):
    """How many outbox rows are in each (event, campaign, send, kind, channel, state, delivered): a ledger of
    changes that PostgreSQL triggers on outbox_messages append to (migration mail_02_outbox_tallies), one row per change of
    each statement, summed when read and compacted by the sweeper (mail.services.compact_tallies).

    It is what lets the message log and a send's progress count 100,000 messages without reading them.
    Append-only, so that concurrent senders never wait on each other's counters. On SQLite (the embedded
    default) nothing fills it and the same questions are asked of outbox_messages itself (mail.services)."""

    __tablename__ = "outbox_tallies"
    __table_args__ = (
        Index("ix_outbox_tallies_event", "event_id"),
        Index("ix_outbox_tallies_campaign", "campaign_id"),
        Index("ix_outbox_tallies_send", "send_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    event_id: Mapped[int | None]
    campaign_id: Mapped[int | None]
    send_id: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(32))
    delivered: Mapped[bool]
    first_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the earliest created_at among the rows
    n: Mapped[int]  # rows added (negative: removed)
