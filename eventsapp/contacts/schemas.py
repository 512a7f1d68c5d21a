"""The API's contact: its fields, their rules and their documentation, written once (see eventsapp.api.resources)."""
from __future__ import annotations

from flask import g
from flask_login import current_user
from marshmallow import ValidationError, fields

from ..api import fields as api
from ..api.resources import Schema
from ..api.schemas import component
from ..i18n import lazy_gettext as _l
from ..mail.models import Channel
from ..permissions import Action, association_ids_for
from . import services
from .forms import TEXT_LIMITS


@component("Undeliverable")
class Undeliverable(Schema):
    """The mark a permanent bounce (or several temporary ones in a row) puts on an address: sends skip it
    until the address is edited, which lifts the mark."""

    at = api.Moment(attribute="undeliverable_at", required=True, allow_none=False, metadata={
        "description": "when the address was marked (ISO 8601 with offset)"})
    reason = fields.String(attribute="undeliverable_reason", required=True, metadata={
        "description": "the receiving server's words, e.g. 550 5.1.1 user unknown"})


class UndeliverableMark(fields.Nested):
    """A contact's undeliverable mark, or null when the address is not marked; `of` names the contact
    from the object dumped (`"contact"` on an invitation, nothing on a contact)."""

    def __init__(self, of: str | None = None, **kwargs):
        self.of = of
        kwargs.setdefault("metadata", {"description": "null unless mail to the address bounced; the pages show "
                                                      "it as 'Undeliverable'"})
        super().__init__(Undeliverable, allow_none=True, dump_only=True, required=True, **kwargs)

    def serialize(self, attr, obj, accessor=None, **kwargs):
        contact = getattr(obj, self.of) if self.of else obj
        return None if contact.undeliverable_at is None else self.schema.dump(contact)


class Tags(fields.Field):
    """Tags: a list of words (or one string of them, split at ; and ,), each at most 500 characters."""

    default_error_messages = api.MESSAGES

    def __init__(self, **kwargs):
        super().__init__(metadata={"type": "array", "items": {"type": "string", "maxLength": TEXT_LIMITS["tags"]}},
                         **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return value

    def _deserialize(self, value, attr, data, **kwargs):
        """The list, or the one string (services.clean_tags splits "a; b, c")."""
        if not isinstance(value, (list, str)) or isinstance(value, list) and not all(isinstance(t, str) for t in value):
            raise ValidationError(_l("tags must be a list of strings."))
        check = api.Text(TEXT_LIMITS["tags"])
        return check.deserialize(value) if isinstance(value, str) else [check.deserialize(tag) for tag in value]


class Cursor(api.Text):
    """The `next_cursor` of the previous page; one not made by the directory is refused."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if value and services.decode_cursor(value) is None:
            raise ValidationError(_l("This cursor is not valid; start again without one."))
        return value


def _visible_slugs(contact) -> list[str]:
    """The contact's associations that the caller may see (the set is read once per request)."""
    if "api_visible_associations" not in g:
        g.api_visible_associations = association_ids_for(current_user, Action.VIEW)
    visible = g.api_visible_associations
    return sorted(a.slug for a in contact.associations if visible is None or a.id in visible)


class VisibleAssociations(api.Items):
    """A contact's associations: sent as slugs, answered as the slugs of those the caller may see."""

    def serialize(self, attr, obj, accessor=None, **kwargs):
        return _visible_slugs(obj)


@component("Contact")
class Contact(Schema):
    """A person in the directory. Sent: only the fields given change on a PATCH."""

    id = fields.Integer(dump_only=True, required=True)
    full_name = api.Text(TEXT_LIMITS["full_name"])
    email = api.Text(TEXT_LIMITS["email"], metadata={
        "description": "null or empty: no e-mail (the contact is reached by phone or post)"})
    phone = api.Phone(metadata={"description": "answered in E.164 (+84912345678); sent as people write it "
                                               "(0912 345 678 is Vietnamese, +420 601 234 567); empty: none"})
    honorific = api.Text(TEXT_LIMITS["honorific"], metadata={
        "description": "Form of address: Ông, Bà, Anh, Chị, Đồng chí, Ngài… or any other", "example": "Đồng chí"})
    position = api.Text(TEXT_LIMITS["position"], metadata={"example": "Phó Chủ tịch Hội"})
    postal_address = api.Text(TEXT_LIMITS["postal_address"], multiline=True)
    preferred_channel = api.Choice(Channel, metadata={"description": "How to reach them first"})
    country = api.Text(TEXT_LIMITS["country"])
    place = api.Text(TEXT_LIMITS["place"])
    timezone = api.Text(TEXT_LIMITS["timezone"], metadata={"example": "Europe/Berlin"})
    language = api.Text(TEXT_LIMITS["language"], metadata={"enum": list(services.LANGUAGES)})
    notes = api.Text(TEXT_LIMITS["notes"], multiline=True)
    tags = Tags(attribute="tag_names")
    associations = VisibleAssociations(api.Text(200), metadata={
        "description": "Slugs (answered: the ones the caller may see; sent: ones the caller manages)"})
    opted_out_at = api.Moment(dump_only=True)
    archived_at = api.Moment(dump_only=True)
    updated_at = api.Moment(dump_only=True)
    undeliverable = UndeliverableMark()


class ContactQuery(Schema):
    """Filters of the directory (unknown values of language, opted_out and archived are no filter)."""

    q = api.Text(200, metadata={"description": "Name or e-mail; diacritics and case ignored"})
    association = api.Text(200, metadata={"description": "Slug; its branches included"})
    tag = api.Text(TEXT_LIMITS["tags"])
    country = api.Text(TEXT_LIMITS["country"])
    language = api.Text(TEXT_LIMITS["language"], metadata={"enum": list(services.LANGUAGES)})
    opted_out = api.Text(3, metadata={"enum": ["yes", "no"]})
    archived = api.Text(3, metadata={"enum": ["no", "yes", "all"]})
    cursor = Cursor(metadata={"description": "next_cursor of the previous page"})
    limit = api.QueryNumber(1, 500, clamp=True, load_default=services.PAGE_SIZE)
