"""Online attendance: each invitee's personal join link (/j/<token>) of an event with an online link.

The link opens the event's own stored meeting address — never one taken from the request — from
JOIN_OPENS_BEFORE the start until the end, and records the person as attending online (once: a unique
row per invitation). Before or after, it says when the meeting opens or that it is over. A revoked
invitation's link is gone (404), as its RSVP link is. The shared address appears nowhere an invitee reads.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import func, select

from ..events.models import Event, EventStatus
from ..extensions import db, dialect_insert
from ..invitations.models import Invitation
from ..text import has_control_characters
from ..timeutils import utcnow
from .models import OnlineJoin

JOIN_OPENS_BEFORE = timedelta(minutes=30)


def meeting_address(event: Event) -> str | None:
    """The event's stored online link when it is a plain http(s) address with a host; else None
    (a `javascript:` or other scheme is never followed, whatever was stored)."""
    url = (event.online_url or "").strip()
    if not url or len(url) > 500 or has_control_characters(url):
        return None
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def invitation_by_join_token(token: str) -> Invitation | None:
    """The active invitation of a join link, of a published event with an online link; None otherwise."""
    if not token or len(token) > 64:
        return None
    invitation = db.session.scalar(select(Invitation).where(Invitation.join_token == token,
                                                           Invitation.revoked_at.is_(None)))
    if invitation is None or invitation.event.status == EventStatus.DRAFT or not meeting_address(invitation.event):
        return None
    return invitation


@dataclass(frozen=True)
class JoinState:
    """What the join link does now: `url` to redirect to, or the reason it does not (`too_early`, `over`,
    `cancelled`) with the moment it opens."""

    url: str | None
    reason: str = ""
    opens_at: datetime | None = None


def join_state(event: Event, now: datetime | None = None) -> JoinState:
    now = now or utcnow()
    opens_at = event.starts_at - JOIN_OPENS_BEFORE
    if event.is_cancelled:
        return JoinState(None, "cancelled", opens_at)
    if now < opens_at:
        return JoinState(None, "too_early", opens_at)
    if now > event.ends_at:
        return JoinState(None, "over", opens_at)
    return JoinState(meeting_address(event), "", opens_at)


def record_join(invitation: Invitation, now: datetime | None = None) -> bool:
    """Count the invitee as attending online; False when they were counted already. The caller commits."""
    statement = (dialect_insert(OnlineJoin.__table__)
                 .values(event_id=invitation.event_id, invitation_id=invitation.id, contact_id=invitation.contact_id,
                         joined_at=now or utcnow())
                 .on_conflict_do_nothing(index_elements=["invitation_id"]))
    return db.session.execute(statement).rowcount == 1


def online_count(event_id: int) -> int:
    return db.session.scalar(select(func.count(OnlineJoin.id)).where(OnlineJoin.event_id == event_id)) or 0


def recent_joins(event_id: int, limit: int = 20) -> list[OnlineJoin]:
    """The latest online arrivals, newest first (the board)."""
    return list(db.session.scalars(select(OnlineJoin).where(OnlineJoin.event_id == event_id)
                                   .order_by(OnlineJoin.joined_at.desc(), OnlineJoin.id.desc()).limit(limit)))
