"""The association tree (union → associations → branches) and staff memberships."""
from __future__ import annotations

import enum
import secrets
from datetime import date, datetime, time

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import EnumType, UTCDateTime
from ..extensions import db
from ..timeutils import utcnow


class AssociationKind(str, enum.Enum):
    UNION = "union"
    ASSOCIATION = "association"
    BRANCH = "branch"


class Role(str, enum.Enum):
    """A staff member's role in an association, inherited by its branches."""

    ORGANISER = "organiser"
    CHECKIN = "checkin"
    VIEWER = "viewer"


def new_feed_token() -> str:
    return secrets.token_urlsafe(24)


class Association(db.Model):
    __tablename__ = "associations"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("associations.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[AssociationKind] = mapped_column(EnumType(AssociationKind))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    founded_on: Mapped[date | None]
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Ho_Chi_Minh")
    sender_email: Mapped[str | None] = mapped_column(String(254))
    # Reminders and thank-yous wait out the night [quiet_from, quiet_until) in each reader's zone (hours.py).
    quiet_from: Mapped[time] = mapped_column(default=time(21, 0), server_default="21:00:00")
    quiet_until: Mapped[time] = mapped_column(default=time(7, 0), server_default="07:00:00")
    # The private feed URL carries invite-only events; rotating the token revokes it.
    private_feed_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_feed_token)
    # Identity on public pages and in e-mails (associations/branding.py): a logo re-encoded as PNG by
    # the app (deferred: pages read only its version), and a colour "#rrggbb".
    logo_png: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    logo_version: Mapped[str | None] = mapped_column(String(16))
    brand_color: Mapped[str | None] = mapped_column(String(7))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    parent: Mapped[Association | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Association]] = relationship(back_populates="parent", order_by="Association.name_vi")
    memberships: Mapped[list[Membership]] = relationship(back_populates="association", cascade="all, delete-orphan")

    def name(self, locale: str = "vi") -> str:
        return self.name_en if locale == "en" and self.name_en else self.name_vi

    def ancestors(self) -> list[Association]:
        """This association's parents, nearest first."""
        chain, node = [], self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain

    def __repr__(self) -> str:
        return f"<Association {self.slug}>"


class Membership(db.Model):
    """Gives a user a role in an association and, by inheritance, its branches."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "association_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(EnumType(Role))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped["User"] = relationship(back_populates="memberships")  # noqa: F821
    association: Mapped[Association] = relationship(back_populates="memberships")
