"""The API's event: its fields, their rules and their documentation, written once (see eventsapp.api.resources)."""
from __future__ import annotations

from marshmallow import fields, post_load

from .. import validation
from ..api import fields as api
from ..api.resources import Schema
from ..api.schemas import component
from ..i18n import lazy_gettext as _l
from ..registration.models import Acceptance
from ..timeutils import zone
from .forms import DESCRIPTION_MAX
from .models import Event as EventModel
from .models import EventKind, EventStatus, Visibility
from .services import local_to_utc

DEFAULT_ZONE = "Asia/Ho_Chi_Minh"
PAGE_SIZE, PAGE_MAX = 100, 500
TIMES = ("starts_at", "ends_at", "rsvp_deadline")


class AcceptanceChoice(api.Choice):
    """How registrations are accepted, `automatic` or `approval`: the settings' `needs_approval` (a bool)."""

    def __init__(self, **kwargs):
        super().__init__(Acceptance, message=_l("Acceptance is automatic or approval."), **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if isinstance(value, bool):
            value = Acceptance.APPROVAL if value else Acceptance.AUTOMATIC
        return super()._serialize(value, attr, obj, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs) == Acceptance.APPROVAL.value


@component("Honoree")
class Honoree(Schema):
    contact_id = fields.Integer(required=True)
    full_name = fields.String(required=True, attribute="contact.full_name")
    award = fields.String(required=True)
    citation = fields.String(required=True)


@component("Event")
class Event(Schema):
    """An event; times in ISO 8601 with the offset of the event's zone (`timezone`, IANA).

    Read with `partial=True` for a PATCH (only the fields sent change); `default_zone` is the zone of a wall
    time sent without an offset when the body names none (the event's own on a PATCH)."""

    id = fields.Integer(dump_only=True, required=True)
    slug = fields.String(dump_only=True, required=True)
    uid = fields.String(dump_only=True, required=True)
    sequence = fields.Integer(dump_only=True, required=True)
    association = api.Slug(required=True, metadata={"description": "slug of the host association"})
    campaign_id = api.Identifier(allow_none=True)
    kind = api.Choice(EventKind, message=_l("Unknown kind."), load_default=EventKind.OTHER.value)
    title_vi = api.Text(api.column_length(EventModel.title_vi), required=True)
    title_en = api.Text(api.column_length(EventModel.title_en))
    description_vi = api.Text(DESCRIPTION_MAX, multiline=True, metadata={"description": "Markdown"})
    description_en = api.Text(DESCRIPTION_MAX, multiline=True, metadata={"description": "Markdown"})
    timezone = api.TimeZone(load_default=DEFAULT_ZONE)
    starts_at = api.Moment("timezone", required=True, metadata={
        "description": "ISO 8601; without offset: wall time in timezone"})
    ends_at = api.Moment("timezone", required=True)
    all_day = api.Flag(load_default=False)
    venue_name = api.Text(api.column_length(EventModel.venue_name))
    venue_address = api.Text(api.column_length(EventModel.venue_address))
    online_url = api.Url()
    capacity = api.WholeNumber(1, validation.MAX_CAPACITY, allow_none=True, metadata={
        "description": "null: no limit"})
    max_guests = api.WholeNumber(0, validation.MAX_GUESTS, allow_none=True, load_default=0)
    guests_must_be_named = api.Flag(metadata={
        "description": "each guest needs a name: the number of guests is the number of names"})
    delegations_ask_passport = api.Flag(metadata={
        "description": "delegation members are asked their nationality and passport"})
    # The registration settings live in their own table (eventsapp.registration); never set: closed, automatic.
    registration_open = api.Flag(attribute="registration_settings.is_open", dump_default=False, metadata={
        "description": "the public page takes registrations (when the event is published and public)"})
    registration_acceptance = AcceptanceChoice(
        attribute="registration_settings.needs_approval", dump_default=Acceptance.AUTOMATIC.value, metadata={
            "description": "automatic: a confirmed registration is accepted while seats remain; "
                           "approval: an organiser approves or declines each"})
    rsvp_deadline = api.Moment("timezone")
    visibility = api.Choice(Visibility, message=_l("Visibility is public or invite_only."),
                            load_default=Visibility.INVITE_ONLY.value, metadata={
        "description": "default invite_only: the event is in no public feed or page until made public"})
    status = api.Choice(EventStatus, dump_only=True, required=True)
    published_at = api.Moment(dump_only=True)
    cancelled_at = api.Moment(dump_only=True)
    honorees = fields.List(fields.Nested(Honoree), dump_only=True)
    # Only PATCH answers carry it (an event object has no `recorded_changes`; see eventsapp.api.resources.Extended)
    changes = fields.List(fields.String(), dump_only=True, attribute="recorded_changes",
                          metadata={"description": "PATCH only: the kinds of change recorded"})
    publish = api.Flag(load_only=True, load_default=False, metadata={
        "description": "publish at once instead of keeping a draft"})

    def __init__(self, *args, default_zone: str = DEFAULT_ZONE, **kwargs):
        super().__init__(*args, **kwargs)
        self.default_zone = default_zone

    @post_load
    def place_wall_times(self, values: dict, **kwargs) -> dict:
        """A time sent without an offset is a wall time in the event's zone; null guests mean none."""
        values["timezone"] = values.get("timezone") or self.default_zone
        for key in TIMES:
            moment = values.get(key)
            if moment is not None and moment.tzinfo is None:
                values[key] = local_to_utc(moment, values["timezone"])
            elif moment is not None:
                values[key] = moment.astimezone(zone("UTC"))
        if "max_guests" in values and values["max_guests"] is None:
            values["max_guests"] = 0
        return values


def for_update(event) -> Event:
    """The schema that reads a PATCH of `event`: every field optional, wall times in its zone."""
    return Event(partial=True, exclude=("association", "publish"), default_zone=event.timezone)


class EventQuery(Schema):
    """The events list: filters and pages (`cursor` = the previous page's `next_cursor`)."""

    association = api.Text(200, metadata={"description": "association slug"})
    upcoming = api.QueryFlag(load_default=False)
    cursor = api.Text(200, metadata={"description": "next_cursor of the previous page"})
    limit = api.QueryNumber(1, PAGE_MAX, load_default=PAGE_SIZE)


class Cancellation(Schema):
    """Why an event is cancelled (told to the invitees)."""

    reason = api.Text(300, load_default="")
