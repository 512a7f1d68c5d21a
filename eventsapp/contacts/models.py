"""Contacts: the member and overseas rolls of each association."""
from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import JSON, Column, ForeignKey, Index, String, Table, Text, event, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..dbtypes import UTCDateTime
from ..extensions import db
from ..text import SORT_KEY_LENGTH, fold, nfc, sort_key
from ..timeutils import utcnow

contact_associations = Table(
    "contact_associations",
    db.metadata,
    Column("contact_id", ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True),
    Column("association_id", ForeignKey("associations.id", ondelete="CASCADE"), primary_key=True, index=True),
)


def lacks_email(address: str | None) -> bool:
    """True when there is no address mail can reach: none at all, or a reserved ".invalid" domain
    (RFC 2606; the placeholders walk-ins once got, should a stray one come back from an old export)."""
    address = (address or "").strip().lower()
    return not address or address.endswith(".invalid")


# The ways a contact may be reached first (mail/channels: one outbox for every channel).
CHANNELS = ("email", "sms", "zalo", "printed")
# Forms of address a Vietnamese official letter uses (the form offers them; any other may be typed).
HONORIFICS = ("Ông", "Bà", "Anh", "Chị", "Đồng chí", "Ngài", "Giáo sư", "Tiến sĩ", "Bác sĩ", "Thầy", "Cô")


def new_contact_token() -> str:
    return secrets.token_urlsafe(24)


class Contact(db.Model):
    __tablename__ = "contacts"
    __table_args__ = (
        Index("ix_contacts_sort_key_id", "sort_key", "id"),
        # A mobile number is one person's, like an e-mail address; most contacts have none ("").
        Index("uq_contacts_phone", "phone", unique=True, postgresql_where=text("phone <> ''"),
              sqlite_where=text("phone <> ''")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(200))
    # Normalised (trimmed, lower-case); NULL for a person without e-mail (reached by phone or post).
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    # E.164 ("+84912345678", validation.phone) or "" for none; unique when present (uq_contacts_phone).
    phone: Mapped[str] = mapped_column(String(50), default="")
    # How a Vietnamese official letter greets them: "Đồng chí" / "Ông" / "Bà"…, and their office
    # ("Phó Chủ tịch Hội hữu nghị Việt Nam – Nhật Bản tỉnh"); both optional (issue 26).
    honorific: Mapped[str] = mapped_column(String(40), default="", server_default="")
    position: Mapped[str] = mapped_column(String(300), default="", server_default="")
    postal_address: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The channel messages go by first: email | sms | zalo | printed (mail/channels).
    preferred_channel: Mapped[str] = mapped_column(String(10), default="email", server_default="email")
    country: Mapped[str] = mapped_column(String(100), default="")
    place: Mapped[str] = mapped_column(String(200), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Ho_Chi_Minh")
    language: Mapped[str] = mapped_column(String(5), default="vi")
    notes: Mapped[str] = mapped_column(Text, default="")
    # Derived from full_name/email on every save: search without diacritics, Vietnamese order.
    search_text: Mapped[str] = mapped_column(Text, default="")
    sort_key: Mapped[str] = mapped_column(String(SORT_KEY_LENGTH), default="")
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set by a permanent bounce (or several temporary ones in a row, counted in soft_bounces);
    # sends skip the address until it is edited (eventsapp.inbound).
    undeliverable_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undeliverable_reason: Mapped[str] = mapped_column(String(500), default="", server_default="")
    soft_bounces: Mapped[int] = mapped_column(default=0, server_default="0")
    # Set when the person's data was erased (eventsapp.privacy): the row stays, anonymised, for the counts.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Personal calendar feed and unsubscribe links; rotating revokes them.
    feed_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_contact_token)
    unsubscribe_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_contact_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    associations: Mapped[list["Association"]] = relationship(secondary=contact_associations)  # noqa: F821
    tags: Mapped[list[ContactTag]] = relationship(
        back_populates="contact", cascade="all, delete-orphan", order_by="ContactTag.tag"
    )

    @classmethod
    def has_address(cls):
        """SQL: the contact has an e-mail address mail can reach."""
        return cls.email.is_not(None) & ~cls.email.like("%.invalid")

    @property
    def has_email(self) -> bool:
        return not lacks_email(self.email)

    @property
    def reachable(self) -> bool:
        """Some way to reach the person: an e-mail, a phone number or a postal address."""
        return self.has_email or bool(self.phone) or bool((self.postal_address or "").strip())

    @property
    def tag_names(self) -> list[str]:
        return [t.tag for t in self.tags]

    def __repr__(self) -> str:
        return f"<Contact {self.id} {self.email or self.phone}>"


class ContactTag(db.Model):
    __tablename__ = "contact_tags"

    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(60), primary_key=True, index=True)

    contact: Mapped[Contact] = relationship(back_populates="tags")


@event.listens_for(Contact, "before_insert")
@event.listens_for(Contact, "before_update")
def _derive_search_fields(mapper, connection, contact: Contact) -> None:
    """Keep the diacritic-free search text and the Vietnamese sort key in step with the name."""
    contact.full_name = nfc(contact.full_name).strip()
    contact.email = (contact.email or "").strip().lower() or None
    contact.phone = contact.phone or ""
    contact.search_text = f"{fold(contact.full_name)} {contact.email or ''}"
    contact.sort_key = sort_key(contact.full_name)


class ImportBatch(db.Model):
    """An uploaded spreadsheet kept between preview and confirmation (owned by one user, expiring)."""

    __tablename__ = "contact_import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True, default=new_contact_token)  # in URLs
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    association_id: Mapped[int | None] = mapped_column(ForeignKey("associations.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(255), default="")
    headers: Mapped[list] = mapped_column(JSON, default=list)
    rows: Mapped[list] = mapped_column(JSON, default=list)  # the parsed cells, as strings
    mapping: Mapped[dict] = mapped_column(JSON, default=dict)  # column index (str) → field name
    summary: Mapped[dict | None] = mapped_column(JSON)  # set once imported
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    association: Mapped["Association | None"] = relationship()  # noqa: F821
