"""API: events (list, create, read, update, publish, cancel). Times are ISO 8601 with offset, plus the IANA zone."""
from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from flask import request
from flask_login import current_user
from sqlalchemy import select, tuple_

from .. import validation
from ..api import bp, json_body
from ..api_helpers import Fields, bad_request, commit_or_400, managed_association
from ..associations.models import Association
from ..campaigns.models import Campaign
from ..extensions import db
from ..i18n import gettext as _
from ..permissions import Action, association_ids_for, authorize
from ..timeutils import is_valid_timezone, utcnow, zone
from . import services
from .access import load_event
from .forms import DESCRIPTION_MAX
from .models import Event, EventKind, Visibility


def _iso(moment: datetime | None, zone_name: str) -> str | None:
    return moment.astimezone(zone(zone_name)).isoformat() if moment else None


def event_json(event: Event) -> dict:
    return {
        "id": event.id, "slug": event.slug, "uid": event.uid, "sequence": event.sequence,
        "association": event.association.slug, "campaign_id": event.campaign_id,
        "title_vi": event.title_vi, "title_en": event.title_en,
        "description_vi": event.description_vi, "description_en": event.description_en,
        "kind": event.kind.value, "timezone": event.timezone,
        "starts_at": _iso(event.starts_at, event.timezone), "ends_at": _iso(event.ends_at, event.timezone),
        "all_day": event.all_day, "venue_name": event.venue_name, "venue_address": event.venue_address,
        "online_url": event.online_url, "capacity": event.capacity, "max_guests": event.max_guests,
        "rsvp_deadline": _iso(event.rsvp_deadline, event.timezone), "visibility": event.visibility.value,
        "status": event.status.value, "published_at": _iso(event.published_at, "UTC"),
        "cancelled_at": _iso(event.cancelled_at, "UTC"),
        "honorees": [{"contact_id": h.contact_id, "full_name": h.contact.full_name, "award": h.award,
                      "citation": h.citation} for h in event.honorees],
    }


TEXT_FIELDS = {"title_vi": (300, False), "title_en": (300, False), "description_vi": (None, True),
               "description_en": (None, True), "venue_name": (300, False), "venue_address": (500, False)}


def _parse_time(value, zone_name: str) -> datetime | None:
    """ISO 8601; with an offset it is taken as is, without one as wall time in the event's zone."""
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > 40:
        raise validation.Invalid(_("Not an ISO 8601 time, e.g. 2027-02-03T19:00:00+07:00."))
    try:
        moment = validation.moment(datetime.fromisoformat(value))
    except ValueError as error:
        if isinstance(error, validation.Invalid):
            raise
        raise validation.Invalid(_("Not an ISO 8601 time, e.g. 2027-02-03T19:00:00+07:00.")) from None
    if moment.tzinfo is None:
        return services.local_to_utc(moment, zone_name)
    return moment.astimezone(zone("UTC"))


def _values(data: dict, event: Event | None) -> dict:
    """The event fields sent in `data`, each checked by `eventsapp.validation`; a 400 naming every bad one."""
    fields = Fields()
    zone_name = data.get("timezone") or (event.timezone if event else None) or "Asia/Ho_Chi_Minh"
    if not isinstance(zone_name, str) or len(zone_name) > 64 or not is_valid_timezone(zone_name):
        fields.refuse("timezone", _("Unknown time zone: %(zone)s", zone=str(zone_name)[:64]))
        zone_name = "UTC"
    values = {}
    for key, (max_length, multiline) in TEXT_FIELDS.items():
        if key in data:
            values[key] = fields.check(key, validation.text, data[key], max_length=max_length or DESCRIPTION_MAX,
                                       multiline=multiline)
    if "online_url" in data:
        values["online_url"] = fields.check("online_url", validation.url, data["online_url"])
    if "kind" in data:
        if data["kind"] not in EventKind._value2member_map_:
            fields.refuse("kind", _("Unknown kind."))
        values["kind"] = data["kind"]
    if "visibility" in data:
        if data["visibility"] not in Visibility._value2member_map_:
            fields.refuse("visibility", _("Visibility is public or invite_only."))
        values["visibility"] = data["visibility"]
    if "capacity" in data:
        values["capacity"] = None if data["capacity"] is None else fields.check(
            "capacity", validation.integer, data["capacity"], minimum=1, maximum=validation.MAX_CAPACITY)
    if "max_guests" in data:
        values["max_guests"] = 0 if data["max_guests"] is None else fields.check(
            "max_guests", validation.integer, data["max_guests"], minimum=0, maximum=validation.MAX_GUESTS)
    if "all_day" in data:
        if not isinstance(data["all_day"], bool):
            fields.refuse("all_day", _("Must be true or false."))
        values["all_day"] = bool(data["all_day"])
    if "campaign_id" in data:
        values["campaign_id"] = None if data["campaign_id"] is None else fields.check(
            "campaign_id", validation.identifier, data["campaign_id"])
    values["timezone"] = zone_name
    for key in ("starts_at", "ends_at", "rsvp_deadline"):
        if key in data:
            values[key] = fields.check(key, _parse_time, data[key], zone_name=zone_name)
    fields.done()
    return values


def _check_campaign(values: dict, association_id: int) -> None:
    campaign_id = values.get("campaign_id")
    if campaign_id is not None:
        campaign = db.session.get(Campaign, campaign_id)
        if campaign is None:
            bad_request(_("Unknown campaign."), "campaign_id")
        authorize(Action.MANAGE, campaign.association_id)


PAGE_SIZE, PAGE_MAX = 100, 500


def _encode_cursor(event: Event) -> str:
    raw = json.dumps([event.starts_at.isoformat(), event.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        starts_at, event_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return datetime.fromisoformat(starts_at), validation.identifier(event_id)
    except (ValueError, TypeError, binascii.Error):
        bad_request(_("This cursor is not valid; start again without one."), "cursor")


@bp.get("/events")
def list_events():
    """List the events the caller may see, latest start first, page by page (`cursor` = the last page's `next_cursor`).
    ---
    get:
      summary: List events
      tags: [events]
      parameters:
        - {name: association, in: query, required: false, schema: {type: string}, description: association slug}
        - {name: upcoming, in: query, required: false, schema: {type: boolean}}
        - {name: cursor, in: query, required: false, schema: {type: string}, description: "next_cursor of the previous page"}
        - {name: limit, in: query, required: false, schema: {type: integer, minimum: 1, maximum: 500, default: 100}}
      responses:
        200:
          description: "A page of events (times in ISO 8601 with offset, plus the IANA zone); next_cursor is null on the last page"
          content:
            application/json:
              schema:
                type: object
                required: [items, next_cursor]
                properties:
                  items: {type: array, items: {$ref: "#/components/schemas/Event"}}
                  next_cursor: {type: string, nullable: true}
    """
    query = select(Event).order_by(Event.starts_at.desc(), Event.id.desc())
    ids = association_ids_for(current_user, Action.VIEW)
    if ids is not None:
        query = query.where(Event.association_id.in_(ids or [-1]))
    slug = request.args.get("association")
    if slug:
        query = query.join(Association, Event.association_id == Association.id).where(Association.slug == slug)
    if request.args.get("upcoming") in ("1", "true"):
        query = query.where(Event.ends_at >= utcnow())
    cursor = request.args.get("cursor")
    if cursor:
        starts_at, event_id = _decode_cursor(cursor)
        query = query.where(tuple_(Event.starts_at, Event.id) < tuple_(starts_at, event_id))
    limit = request.args.get("limit", PAGE_SIZE, type=int)
    if limit is None or not 1 <= limit <= PAGE_MAX:
        bad_request(_("limit must be between 1 and %(maximum)s.", maximum=PAGE_MAX), "limit")
    rows = list(db.session.scalars(query.limit(limit + 1)))
    next_cursor = _encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return {"items": [event_json(e) for e in rows[:limit]], "next_cursor": next_cursor}


@bp.post("/events")
def create_event():
    """Create an event: a draft, or published at once with `"publish": true`.
    ---
    post:
      summary: Create an event
      tags: [events]
      requestBody:
        required: true
        content:
          application/json:
            example: {association: viet-nhat, title_vi: "Gặp mặt kiều bào", starts_at: "2027-02-10T18:00", ends_at: "2027-02-10T21:00", visibility: public, publish: true}
            schema:
              type: object
              required: [association, title_vi, starts_at, ends_at]
              properties:
                association: {type: string, description: slug of the host association}
                campaign_id: {type: integer, minimum: 1, nullable: true}
                kind: {type: string, enum: [tet_week, xuan_que_huong, anniversary, award_ceremony, charity, friendship, meeting, other], default: meeting}
                title_vi: {type: string, maxLength: 300}
                title_en: {type: string, maxLength: 300}
                description_vi: {type: string, description: Markdown}
                description_en: {type: string, description: Markdown}
                timezone: {type: string, example: Asia/Ho_Chi_Minh, default: Asia/Ho_Chi_Minh}
                starts_at: {type: string, description: "ISO 8601; without offset: wall time in timezone"}
                ends_at: {type: string}
                all_day: {type: boolean, default: false}
                venue_name: {type: string, maxLength: 300}
                venue_address: {type: string, maxLength: 500}
                online_url: {type: string, maxLength: 500, description: "http:// or https:// only"}
                capacity: {type: integer, minimum: 1, maximum: 100000, nullable: true, description: "null: no limit"}
                max_guests: {type: integer, minimum: 0, maximum: 20, default: 0}
                rsvp_deadline: {type: string, nullable: true}
                visibility: {type: string, enum: [public, invite_only], default: invite_only, description: "default invite_only: the event is in no public feed or page until made public"}
                publish: {type: boolean, default: false, description: "publish at once instead of keeping a draft"}
      responses:
        201: {description: The event, schema: Event}
        400: {description: "Invalid values (error.fields says which)"}
        403: {description: The caller may not manage this association}
    """
    data = json_body()
    association = managed_association(data)
    values = _values(data, None)
    publish = data.get("publish", False)
    if not isinstance(publish, bool):
        bad_request(_("Must be true or false."), "publish")
    _check_campaign(values, association.id)
    try:
        event = services.create_event(association, user=current_user, **values)
        if publish:
            services.publish(event, user=current_user)
    except services.EventError as error:
        db.session.rollback()
        bad_request(str(error))
    db.session.commit()
    return event_json(event), 201


@bp.get("/events/<int:event_id>")
def get_event(event_id: int):
    """Read an event.
    ---
    get:
      summary: Read an event
      tags: [events]
      parameters:
        - {name: event_id, in: path, required: true, schema: {type: integer}}
      responses:
        200: {description: The event, schema: Event}
        403: {description: No role in its association}
        404: {description: Unknown event}
    """
    return event_json(load_event(event_id, Action.VIEW))


@bp.patch("/events/<int:event_id>")
def update_event(event_id: int):
    """Change an event. Changes of time, place or online link bump `sequence` and are told to invitees.
    ---
    patch:
      summary: Update an event
      tags: [events]
      parameters:
        - {name: event_id, in: path, required: true, schema: {type: integer}}
      requestBody:
        content:
          application/json:
            example: {venue_name: "Nhà văn hóa tỉnh", capacity: 200}
            schema: {type: object, description: "any of the fields of POST /events (except association and publish)"}
      responses:
        200: {description: "The event, with `changes`: the kinds of change recorded", schema: Event}
        400: {description: Invalid values}
        403: {description: The caller may not manage this event}
    """
    event = load_event(event_id, Action.MANAGE)
    values = _values(json_body(), event)
    _check_campaign(values, event.association_id)
    changes = commit_or_400(services.EventError, services.update_event, event, user=current_user, **values)
    return event_json(event) | {"changes": [c.kind.value for c in changes]}


@bp.post("/events/<int:event_id>/publish")
def publish_event(event_id: int):
    """Publish a draft event.
    ---
    post:
      summary: Publish an event
      tags: [events]
      parameters:
        - {name: event_id, in: path, required: true, schema: {type: integer}}
      responses:
        200: {description: The event, schema: Event}
        400: {description: Cancelled events cannot be published}
        403: {description: The caller may not manage this event}
    """
    event = load_event(event_id, Action.MANAGE)
    commit_or_400(services.EventError, services.publish, event, user=current_user)
    return event_json(event)


@bp.post("/events/<int:event_id>/cancel")
def cancel_event(event_id: int):
    """Cancel an event; invitees are told (sequence bumped).
    ---
    post:
      summary: Cancel an event
      tags: [events]
      parameters:
        - {name: event_id, in: path, required: true, schema: {type: integer}}
      requestBody:
        content:
          application/json:
            example: {reason: "Bão số 3"}
            schema: {type: object, properties: {reason: {type: string}}}
      responses:
        200: {description: The event, schema: Event}
        403: {description: The caller may not manage this event}
    """
    event = load_event(event_id, Action.MANAGE)
    data = json_body() if request.content_length else {}
    fields = Fields()
    reason = fields.check("reason", validation.text, data.get("reason", ""), max_length=300)
    fields.done()
    services.cancel(event, user=current_user, reason=reason)
    db.session.commit()
    return event_json(event)
