"""What the channels keep besides the outbox rows: short links, Zalo templates, OAuth tokens, channel orders."""
from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..dbtypes import UTCDateTime
from ..extensions import db
from ..timeutils import utcnow


def new_short_code() -> str:
    """12 URL-safe characters: 72 bits from the system's random source (unguessable enough for a link
    that only opens one invitation's RSVP page)."""
    return secrets.token_urlsafe(9)


class ShortLink(db.Model):
    """`/r/<code>` on our own domain: the RSVP page of one invitation, short enough for an SMS."""

    __tablename__ = "short_links"

    code: Mapped[str] = mapped_column(String(24), primary_key=True, default=new_short_code)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ZaloTemplate(db.Model):
    """A ZNS template an association had approved by Zalo, for one kind of message.

    `params` maps each of the template's parameter names to what fills it (texts.ZALO_SOURCES)."""

    __tablename__ = "zalo_templates"
    __table_args__ = (UniqueConstraint("association_id", "kind", name="uq_zalo_templates_association_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    template_id: Mapped[str] = mapped_column(String(40), default="")
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    text: Mapped[str] = mapped_column(String(400), default="")  # the approved wording, for the organisers
    approved: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ProviderToken(db.Model):
    """An OAuth token pair a provider rotates (Zalo's refresh token is good for one use only)."""

    __tablename__ = "provider_tokens"

    provider: Mapped[str] = mapped_column(String(20), primary_key=True)
    access_token: Mapped[str] = mapped_column(Text, default="")
    refresh_token: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class EventChannelOrder(db.Model):
    """The channels an event's messages try, in order ("zalo,sms,email"); none: e-mail only, as before."""

    __tablename__ = "event_channel_orders"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    channels: Mapped[str] = mapped_column(String(60), default="email")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
