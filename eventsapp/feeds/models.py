"""Stored iCal feeds: one row per feed (and per "with branches" variant), built by workers."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..dbtypes import EnumType, UTCDateTime
from ..extensions import db
from ..timeutils import utcnow


class FeedKind(str, enum.Enum):
    ASSOCIATION = "association"            # public events of an association; subject: association id
    ASSOCIATION_PRIVATE = "association_private"  # every event, invite-only too (staff); subject: association id
    CAMPAIGN = "campaign"                  # subject: campaign id
    PERSONAL = "personal"                  # a contact's accepted/tentative events; subject: contact id


class Feed(db.Model):
    """The last built body of a feed, its ETag, and whether a rebuild is due.

    `dirty`/`marked_at` say a change touched the feed; `queued_at` says a
    rebuild has been enqueued (so a burst of changes enqueues one build).
    """

    __tablename__ = "feeds"
    __table_args__ = (UniqueConstraint("kind", "subject_id", "branches"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[FeedKind] = mapped_column(EnumType(FeedKind))
    subject_id: Mapped[int] = mapped_column(index=True)
    branches: Mapped[bool] = mapped_column(default=False)  # association feeds: include the branches' events
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    etag: Mapped[str | None] = mapped_column(String(64))
    event_count: Mapped[int] = mapped_column(default=0)
    built_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    build_ms: Mapped[int | None]
    last_modified: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when the body last changed
    dirty: Mapped[bool] = mapped_column(default=True)
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def key(self) -> str:
        return f"{self.kind.value}:{self.subject_id}" + (":branches" if self.branches else "")

    def __repr__(self) -> str:
        return f"<Feed {self.key}>"
