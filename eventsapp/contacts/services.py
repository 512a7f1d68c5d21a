"""Contacts: the rules (create, update, merge, delete/archive, opt-out) and the directory query.

Used by the pages, the API, the CLI and the importer alike. Functions change the
session and send `signals.contact_saved`; the caller commits.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field

from sqlalchemy import exists, func, select, tuple_, update

from .. import audit, query_args, signals, validation
from ..associations.models import Association
from ..events.models import Honoree
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..invitations.models import Invitation, InvitationStatus
from ..mail.models import OutboxMessage
from ..permissions import Action, association_ids_for, descendant_ids
from ..privacy import consent
from ..privacy.models import Source
from ..text import SORT_KEY_LENGTH, fold, has_control_characters, nfc
from ..timeutils import is_valid_timezone, utcnow
from .models import CHANNELS, Contact, ContactTag, contact_associations

LANGUAGES = ("vi", "en")
EMAIL_RE = re.compile(r"^[^@\s,;<>()\[\]\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
PAGE_SIZE = 50
# Fields whose change other domains care about (mail language, reminder zones, feeds).
SIGNALLED_FIELDS = ("full_name", "language", "timezone")


class ContactError(ValueError):
    """A rule about contacts was broken; the message is shown to the user."""


# Said when an address belongs to a contact the user's associations do not hold: the same words whether or not
# anyone holds it, naming no one (docs/architecture.md, "Contact sharing").
NOT_YOURS = _l("This address cannot be added from here. If this person belongs in your association, ask the "
               "union's administrator to add them to it.")


def normalise_email(email: str | None) -> str:
    return (email or "").strip().lower()


def is_valid_email(email: str) -> bool:
    return bool(EMAIL_RE.match(email)) and len(email) <= 254


def clean_tags(tags) -> list[str]:
    """Tags from a list or a 'a; b, c' string: trimmed, NFC, unique, at most 60 characters."""
    if isinstance(tags, str):
        tags = re.split(r"[;,]", tags)
    seen: dict[str, None] = {}
    for tag in tags or ():
        tag = nfc(str(tag)).strip()[:60]
        if tag:
            seen.setdefault(tag, None)
    return list(seen)


def find_by_email(email: str) -> Contact | None:
    email = normalise_email(email)
    return db.session.scalar(select(Contact).where(Contact.email == email)) if email else None


def find_by_phone(phone: str) -> Contact | None:
    """The contact with this number (E.164, as `validation.phone` writes it)."""
    return db.session.scalar(select(Contact).where(Contact.phone == phone)) if phone else None


def find_by_email_or_phone(text: str) -> Contact | None:
    """The contact an e-mail address or a phone number (as people write it) names, if any."""
    text = (text or "").strip()
    if "@" in text:
        return find_by_email(text)
    try:
        return find_by_phone(validation.phone(text))
    except validation.Invalid:
        return None


# ---------------------------------------------------------------- permissions

def manageable_association_ids(user) -> set[int] | None:
    """Associations (with branches) whose contacts `user` may change; None = all (admin)."""
    return association_ids_for(user, Action.MANAGE)


def visible_filter(user, action: Action = Action.VIEW):
    """A WHERE clause limiting contacts to those linked to an association `user` may act on."""
    ids = association_ids_for(user, action)
    if ids is None:
        return None
    return exists().where(contact_associations.c.contact_id == Contact.id,
                          contact_associations.c.association_id.in_(ids or [-1]))


def zones_in_use(user, limit: int = 12) -> list[str]:
    """The time zones of the contacts `user` may see, most used first (a time-zone picker lists them first)."""
    count = func.count(Contact.id)
    query = select(Contact.timezone).where(Contact.timezone != "").group_by(Contact.timezone) \
        .order_by(count.desc(), Contact.timezone).limit(limit)
    clause = visible_filter(user)
    if clause is not None:
        query = query.where(clause)
    return list(db.session.scalars(query))


def find_visible_by_email(user, email: str) -> Contact | None:
    """The contact with this address if `user` may see it; otherwise None, as for an address nobody has."""
    query = select(Contact).where(Contact.email == normalise_email(email))
    visible = visible_filter(user)
    return db.session.scalar(query if visible is None else query.where(visible))


def people_named(user, text: str, limit: int = 20) -> list[Contact]:
    """The contacts `user` may see that `text` names: by e-mail when it has an "@", else by name as the
    directory searches (every word, without diacritics); a single exact name (folded) wins over the
    longer names that contain it. Archived contacts are left out."""
    text = (text or "").strip()
    if "@" in text:
        contact = find_visible_by_email(user, text)
        return [contact] if contact is not None else []
    if not fold(text).split():
        return []
    found = list(db.session.scalars(directory_query(user, DirectoryFilter(q=text)).limit(limit)))
    exact = [contact for contact in found if fold(contact.full_name) == fold(text)]
    return exact if len(exact) == 1 else found


def visible_contact(user, contact_id) -> Contact | None:
    """The contact with this id if `user` may see it, else None (as for an id nobody has)."""
    if not str(contact_id or "").isdigit():
        return None
    query = select(Contact).where(Contact.id == int(contact_id))
    visible = visible_filter(user)
    return db.session.scalar(query if visible is None else query.where(visible))


def can_access(user, contact: Contact, action: Action = Action.VIEW) -> bool:
    ids = association_ids_for(user, action)
    if ids is None:
        return True
    return any(a.id in ids for a in contact.associations)


# ---------------------------------------------------------------- create / update

@dataclass
class ContactData:
    full_name: str
    email: str = ""
    phone: str = ""
    honorific: str = ""
    position: str = ""
    postal_address: str = ""
    preferred_channel: str = "email"
    country: str = ""
    place: str = ""
    timezone: str = "Asia/Ho_Chi_Minh"
    language: str = "vi"
    notes: str = ""
    tags: list[str] = field(default_factory=list)
    association_ids: list[int] = field(default_factory=list)


NO_WAY_TO_REACH = _l("Give at least one way to reach this person: an e-mail address, a phone number or a "
                     "postal address.")


def _check_text(value, name: str, max_length: int, *, multiline: bool = False) -> str:
    try:
        return nfc(validation.text(value, max_length=max_length, multiline=multiline)).strip()
    except validation.Invalid as error:
        raise ContactError(f"{FIELD_NAMES[name]}: {error.message}") from None


FIELD_NAMES = {"honorific": _l("Form of address"), "position": _l("Position"),
               "postal_address": _l("Postal address"), "phone": _l("Phone")}
TEXT_MAX = {"honorific": 40, "position": 300, "postal_address": 1000}


def _validate_reach(data: ContactData, contact: Contact | None, user) -> None:
    """The e-mail, phone, address, form of address and preferred channel: read, checked, and not another's."""
    for name, limit in TEXT_MAX.items():
        setattr(data, name, _check_text(getattr(data, name), name, limit, multiline=name == "postal_address"))
    try:
        data.phone = validation.phone(data.phone)
    except validation.Invalid as error:
        raise ContactError(f"{FIELD_NAMES['phone']}: {error.message}") from None
    if data.preferred_channel not in CHANNELS:
        raise ContactError(_l("Choose how to reach this person first: e-mail, SMS, Zalo or printed card."))
    if data.email and not is_valid_email(data.email):
        raise ContactError(_l("This is not a valid e-mail address: %(email)s", email=data.email))
    if not (data.email or data.phone or data.postal_address):
        raise ContactError(NO_WAY_TO_REACH)
    for existing, taken in ((find_by_email(data.email), _l("A contact with the e-mail %(email)s already exists.",
                                                           email=data.email)),
                            (find_by_phone(data.phone), _l("A contact with the phone number %(phone)s already "
                                                           "exists.", phone=data.phone))):
        if existing is not None and existing is not contact:
            # Held by none of the user's associations: the same words as for anyone's address, naming no one.
            if user is not None and not can_access(user, existing, Action.VIEW):
                raise ContactError(NOT_YOURS)
            raise ContactError(taken)


def _validate(data: ContactData, contact: Contact | None, user) -> None:
    data.full_name = nfc(data.full_name).strip()
    data.email = normalise_email(data.email)
    if not data.full_name:
        raise ContactError(_l("Enter the full name."))
    if has_control_characters(data.full_name):
        raise ContactError(_l("The name cannot contain line breaks or control characters."))
    _validate_reach(data, contact, user)
    if not is_valid_timezone(data.timezone):
        raise ContactError(_l("This time zone does not exist: %(zone)s", zone=data.timezone))
    if data.language not in LANGUAGES:
        raise ContactError(_l("Unsupported language: %(language)s (use vi or en)", language=data.language))
    allowed = manageable_association_ids(user) if user is not None else None
    if allowed is not None:
        if any(a not in allowed for a in data.association_ids):
            raise ContactError(_l("You may only add associations you manage."))
        if not data.association_ids and not (contact and any(a.id not in allowed for a in contact.associations)):
            raise ContactError(_l("Choose at least one association."))


SAVED_FIELDS = ("full_name", "email", "phone", "honorific", "position", "postal_address", "preferred_channel",
                "country", "place", "timezone", "language", "notes")


def save_contact(contact: Contact | None, data: ContactData, user=None, *, audit_action: str = "contact_edited") -> Contact:
    """Create (`contact` None) or update a contact; `user` limits the associations it may set."""
    _validate(data, contact, user)
    creating = contact is None
    if creating:
        contact = Contact()
        db.session.add(contact)
    before = {name: getattr(contact, name) for name in SAVED_FIELDS}
    for name in SAVED_FIELDS:
        value = getattr(data, name)
        setattr(contact, name, nfc(value).strip() if isinstance(value, str) else value)
    # Associations the user cannot see stay as they are; the ones they manage follow the form.
    allowed = manageable_association_ids(user) if user is not None else None
    kept = [a for a in contact.associations if allowed is not None and a.id not in allowed]
    chosen = list(db.session.scalars(select(Association).where(Association.id.in_(data.association_ids or [-1]))))
    contact.associations = kept + [a for a in chosen if a not in kept]
    wanted = clean_tags(data.tags)
    contact.tags = [t for t in contact.tags if t.tag in wanted] + [
        ContactTag(tag=t) for t in wanted if t not in contact.tag_names]
    db.session.flush()
    if creating or any(before[name] != getattr(contact, name) for name in SIGNALLED_FIELDS):
        signals.contact_saved.send(contact)
    changed = sorted(name for name in before if before[name] != getattr(contact, name))
    audit.record_for("contact_created" if creating else audit_action, contact,
                     [a.id for a in contact.associations], fields=changed)
    return contact


def _stamp(contact: Contact, column: str, on: bool) -> None:
    """Set (now) or clear a date column such as opted_out_at; signal when it changes."""
    if (getattr(contact, column) is not None) != on:
        setattr(contact, column, utcnow() if on else None)
        db.session.flush()
        signals.contact_saved.send(contact)


def opt_out(contact: Contact) -> None:
    """The contact asked not to be e-mailed again (staff record it: a withdrawal of every consent)."""
    if contact.opted_out_at is None:
        consent.withdraw_all(contact, Source.STAFF_PHONE)
    _stamp(contact, "opted_out_at", True)


def opt_in(contact: Contact) -> None:
    _stamp(contact, "opted_out_at", False)


def archive(contact: Contact) -> None:
    """Hide the contact from the directory (kept for its invitations' history)."""
    _stamp(contact, "archived_at", True)


def unarchive(contact: Contact) -> None:
    _stamp(contact, "archived_at", False)


def has_history(contact: Contact) -> bool:
    """Invitations or honours point at the contact: it can be archived, not deleted."""
    return bool(db.session.scalar(select(
        exists().where(Invitation.contact_id == contact.id) | exists().where(Honoree.contact_id == contact.id))))


def delete_contact(contact: Contact) -> None:
    if has_history(contact):
        raise ContactError(_l("This contact has invitations and cannot be deleted. Archive it instead."))
    audit.record_for("contact_deleted", contact, [a.id for a in contact.associations])
    db.session.delete(contact)
    db.session.flush()


# ---------------------------------------------------------------- merge

_ANSWERED_FIRST = {InvitationStatus.ACCEPTED: 0, InvitationStatus.TENTATIVE: 1, InvitationStatus.DECLINED: 2,
                   InvitationStatus.WAITLISTED: 3, InvitationStatus.PENDING: 4}


def holds_only_managed(user, contact: Contact) -> bool:
    """Every association holding `contact` is one `user` manages (no other association's record is touched)."""
    allowed = manageable_association_ids(user)
    return allowed is None or all(a.id in allowed for a in contact.associations)


def merge(keep: Contact, other: Contact, user=None) -> Contact:
    """Fold the duplicate `other` into `keep`, then delete `other`.

    Associations and tags are united; invitations, honours and outbox rows move to
    `keep` (one invitation per event is kept: the more definite answer, else `keep`'s);
    empty fields of `keep` are filled from `other`; an opt-out of either wins.
    `user` (None: no limit) must manage every association holding either contact:
    a merge deletes one record and re-links the other, which no other association may suffer.
    """
    if keep.id == other.id:
        raise ContactError(_l("Choose two different contacts."))
    if user is not None and not (holds_only_managed(user, keep) and holds_only_managed(user, other)):
        raise ContactError(_l("One of these contacts is also kept by an association you do not manage, so they "
                              "cannot be merged here. Ask the union's administrator to merge them."))
    # Addresses are unique: `other`'s move to `keep` once `other` is gone (below).
    moved = {name: getattr(other, name) for name in ("email", "phone")
             if not getattr(keep, name) and getattr(other, name)}
    for name in ("honorific", "position", "postal_address", "country", "place", "notes"):
        if not getattr(keep, name) and getattr(other, name):
            setattr(keep, name, getattr(other, name))
    if other.opted_out_at and not keep.opted_out_at:
        keep.opted_out_at = other.opted_out_at
    keep.associations = keep.associations + [a for a in other.associations if a not in keep.associations]
    for tag in other.tag_names:
        if tag not in keep.tag_names:
            keep.tags.append(ContactTag(tag=tag))

    kept_invitations = {i.event_id: i for i in db.session.scalars(select(Invitation).where(Invitation.contact_id == keep.id))}
    for invitation in db.session.scalars(select(Invitation).where(Invitation.contact_id == other.id)).all():
        mine = kept_invitations.get(invitation.event_id)
        if mine is None:
            invitation.contact_id = keep.id
        elif _ANSWERED_FIRST[invitation.status] < _ANSWERED_FIRST[mine.status]:
            db.session.execute(update(OutboxMessage).where(OutboxMessage.invitation_id == mine.id)
                               .values(invitation_id=invitation.id))
            db.session.delete(mine)
            db.session.flush()
            invitation.contact_id = keep.id
        else:
            db.session.execute(update(OutboxMessage).where(OutboxMessage.invitation_id == invitation.id)
                               .values(invitation_id=mine.id))
            db.session.delete(invitation)
    db.session.flush()

    kept_honours = {(h.event_id, h.award) for h in db.session.scalars(select(Honoree).where(Honoree.contact_id == keep.id))}
    for honour in db.session.scalars(select(Honoree).where(Honoree.contact_id == other.id)).all():
        if (honour.event_id, honour.award) in kept_honours:
            db.session.delete(honour)
        else:
            honour.contact_id = keep.id
    db.session.execute(update(OutboxMessage).where(OutboxMessage.contact_id == other.id).values(contact_id=keep.id))
    db.session.flush()
    merged_id = other.id
    db.session.delete(other)
    db.session.flush()
    if moved:
        for name, value in moved.items():
            setattr(keep, name, value)
        db.session.flush()
    signals.contact_saved.send(keep)
    audit.record_for("contacts_merged", keep, [a.id for a in keep.associations], removed_contact_id=merged_id)
    return keep


# ---------------------------------------------------------------- the directory

@dataclass
class DirectoryFilter:
    q: str = ""
    association_id: int | None = None
    tag: str = ""
    country: str = ""
    language: str = ""
    opted_out: str = ""  # "", "yes", "no"
    archived: str = "no"  # "no", "yes", "all"

    @classmethod
    def from_args(cls, args) -> DirectoryFilter:
        association = args.get("association", "")
        return cls(
            q=args.get("q", "").strip(),
            association_id=query_args.id_value(association) or None,
            tag=args.get("tag", "").strip(),
            country=args.get("country", "").strip(),
            language=args.get("language", "") if args.get("language", "") in LANGUAGES else "",
            opted_out=args.get("opted_out", "") if args.get("opted_out", "") in ("yes", "no") else "",
            archived=args.get("archived", "no") if args.get("archived", "no") in ("no", "yes", "all") else "no",
        )

    def as_args(self) -> dict:
        args = {"q": self.q, "association": self.association_id or "", "tag": self.tag, "country": self.country,
                "language": self.language, "opted_out": self.opted_out, "archived": self.archived}
        return {k: v for k, v in args.items() if v not in ("", None) and not (k == "archived" and v == "no")}


def directory_query(user, flt: DirectoryFilter):
    """select(Contact) with the user's permissions and the filters, in Vietnamese order."""
    query = select(Contact)
    visible = visible_filter(user)
    if visible is not None:
        query = query.where(visible)
    if flt.association_id:
        branch_ids = descendant_ids([flt.association_id])
        allowed = association_ids_for(user, Action.VIEW)
        if allowed is not None:
            # Memberships in an association the user may not see reveal nothing: they match no one.
            branch_ids &= allowed
        query = query.where(exists().where(contact_associations.c.contact_id == Contact.id,
                                           contact_associations.c.association_id.in_(branch_ids or [-1])))
    if flt.q:
        words = fold(flt.q).split()
        for word in words:
            escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(Contact.search_text.like(f"%{escaped}%", escape="\\"))
    if flt.tag:
        query = query.where(exists().where(ContactTag.contact_id == Contact.id, ContactTag.tag == flt.tag))
    if flt.country:
        query = query.where(func.lower(Contact.country) == flt.country.lower())
    if flt.language:
        query = query.where(Contact.language == flt.language)
    if flt.opted_out == "yes":
        query = query.where(Contact.opted_out_at.is_not(None))
    elif flt.opted_out == "no":
        query = query.where(Contact.opted_out_at.is_(None))
    if flt.archived == "no":
        query = query.where(Contact.archived_at.is_(None))
    elif flt.archived == "yes":
        query = query.where(Contact.archived_at.is_not(None))
    return query.order_by(Contact.sort_key, Contact.id)


def encode_cursor(contact: Contact) -> str:
    raw = json.dumps([contact.sort_key, contact.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# The longest cursor `encode_cursor` makes: JSON writes a character of the sort key in at most 12 (an
# escaped surrogate pair), base64 adds a third. A longer one was not made here.
CURSOR_MAX_LENGTH = (12 * SORT_KEY_LENGTH + 64) * 4 // 3


def decode_cursor(cursor: str | None) -> tuple[str, int] | None:
    """The (sort key, id) a cursor made by `encode_cursor` holds, or None for none or one not made there
    (a crafted one may hold anything: a key PostgreSQL cannot store or compare, an id beyond its integers)."""
    if not cursor or len(cursor) > CURSOR_MAX_LENGTH:
        return None
    try:
        key, contact_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return validation.text(key, max_length=SORT_KEY_LENGTH), validation.identifier(contact_id)
    except (ValueError, binascii.Error, TypeError):  # validation.Invalid is a ValueError
        return None


def page(user, flt: DirectoryFilter, cursor: str | None = None, size: int = PAGE_SIZE) -> tuple[list[Contact], str | None]:
    """One page of the directory after `cursor` (keyset on sort_key, id) and the next page's cursor."""
    query = directory_query(user, flt)
    after = decode_cursor(cursor)
    if after is not None:
        query = query.where(tuple_(Contact.sort_key, Contact.id) > tuple_(*after))
    rows = list(db.session.scalars(query.limit(size + 1)))
    next_cursor = encode_cursor(rows[size - 1]) if len(rows) > size else None
    return rows[:size], next_cursor


def count(user, flt: DirectoryFilter) -> int:
    query = directory_query(user, flt).order_by(None)
    return db.session.scalar(select(func.count()).select_from(query.subquery()))


def filter_choices(user) -> dict:
    """Values for the filter boxes: tags and countries among the visible contacts."""
    visible = visible_filter(user)
    tags = select(ContactTag.tag).distinct().order_by(ContactTag.tag)
    countries = select(Contact.country).where(Contact.country != "").distinct().order_by(Contact.country)
    if visible is not None:
        tags = tags.join(Contact, Contact.id == ContactTag.contact_id).where(visible)
        countries = countries.where(visible)
    return {"tags": list(db.session.scalars(tags)), "countries": list(db.session.scalars(countries))}



def can_access_association(user, association: Association) -> bool:
    allowed = manageable_association_ids(user)
    return allowed is None or association.id in allowed
