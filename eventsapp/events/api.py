"""API: events (list, create, read, update, publish, cancel). Times are ISO 8601 with offset, plus the IANA zone."""
from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from flask import request
from flask_login import current_user
from marshmallow import fields
from sqlalchemy import select, tuple_
from sqlalchemy.orm import configure_mappers, selectinload

from .. import validation
from ..api import bp, json_body
from ..api.resources import Extended, load, operation, page_of
from ..api_helpers import bad_request, commit_or_400, managed_association
from ..associations.models import Association
from ..campaigns.models import Campaign
from ..extensions import db
from ..guests import services as guests
from ..i18n import gettext as _
from ..permissions import Action, association_ids_for, authorize
from ..registration import services as registration
from ..timeutils import utcnow
from . import schemas, services
from .access import load_event
from .models import Event


def _check_campaign(values: dict, association_id: int) -> None:
    campaign_id = values.get("campaign_id")
    if campaign_id is not None:
        campaign = db.session.get(Campaign, campaign_id)
        if campaign is None:
            bad_request(_("Unknown campaign."), "campaign_id")
        authorize(Action.MANAGE, campaign.association_id)



def _pop_settings(values: dict) -> dict:
    """Take the settings kept outside the event's own fields out of `values` (what the schema read)."""
    return {key: values.pop(key) for key in ("guests_must_be_named", "delegations_ask_passport",
                                             "registration_settings") if key in values}


def _save_settings(event: Event, settings: dict) -> None:
    """Save the guests' and registration settings sent (the rest stays as it was), by the services the
    event's pages use."""
    if "guests_must_be_named" in settings or "delegations_ask_passport" in settings:
        guests.set_options(event, must_be_named=settings.get("guests_must_be_named", event.guests_must_be_named),
                           ask_passport=settings.get("delegations_ask_passport", event.delegations_ask_passport))
    sent = settings.get("registration_settings")
    if sent:
        current = registration.settings_of(event.id)
        registration.save_settings(event, is_open=sent.get("is_open", current.is_open),
                                   needs_approval=sent.get("needs_approval", current.needs_approval))


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
@operation(tags=["events"], query=schemas.EventQuery, responses={200: (
    "A page of events (times in ISO 8601 with offset, plus the IANA zone); next_cursor is null on the last page",
    page_of(schemas.Event, next_cursor=fields.String(required=True, allow_none=True)))})
def list_events():
    """List the events the caller may see, latest start first, page by page (`cursor` = the last page's `next_cursor`)."""
    args = load(schemas.EventQuery(), request.args)
    configure_mappers()  # Event.registration_settings is a backref of eventsapp.registration's model
    query = select(Event).options(selectinload(Event.registration_settings)).order_by(
        Event.starts_at.desc(), Event.id.desc())
    ids = association_ids_for(current_user, Action.VIEW)
    if ids is not None:
        query = query.where(Event.association_id.in_(ids or [-1]))
    if args.get("association"):
        query = query.join(Association, Event.association_id == Association.id).where(
            Association.slug == args["association"])
    if args["upcoming"]:
        query = query.where(Event.ends_at >= utcnow())
    if args.get("cursor"):
        starts_at, event_id = _decode_cursor(args["cursor"])
        query = query.where(tuple_(Event.starts_at, Event.id) < tuple_(starts_at, event_id))
    limit = args["limit"]
    rows = list(db.session.scalars(query.limit(limit + 1)))
    next_cursor = _encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return {"items": rows[:limit], "next_cursor": next_cursor}


@bp.post("/events")
@operation(tags=["events"], body=schemas.Event, example={
    "association": "viet-nhat", "title_vi": "Gặp mặt kiều bào", "starts_at": "2027-02-10T18:00",
    "ends_at": "2027-02-10T21:00", "visibility": "public", "publish": True}, responses={
    201: ("The event", schemas.Event), 400: "Invalid values (error.fields says which)",
    403: "The caller may not manage this association"})
def create_event():
    """Create an event: a draft, or published at once with `"publish": true`."""
    data = json_body()
    association = managed_association(data)
    values = load(schemas.Event(), data)
    del values["association"]
    publish = values.pop("publish")
    settings = _pop_settings(values)
    _check_campaign(values, association.id)
    try:
        event = services.create_event(association, user=current_user, **values)
        _save_settings(event, settings)
        if publish:
            services.publish(event, user=current_user)
    except services.EventError as error:
        db.session.rollback()
        bad_request(str(error))
    db.session.commit()
    return event, 201


@bp.get("/events/<int:event_id>")
@operation(tags=["events"], responses={200: ("The event", schemas.Event), 403: "No role in its association",
                                       404: "Unknown event"})
def get_event(event_id: int):
    """Read an event."""
    return load_event(event_id, Action.VIEW)


@bp.patch("/events/<int:event_id>")
@operation(tags=["events"], body=schemas.Event(partial=True, exclude=("association", "publish")),
           example={"venue_name": "Nhà văn hóa tỉnh", "capacity": 200, "registration_open": True,
                    "registration_acceptance": "approval"}, responses={
    200: ("The event, with `changes`: the kinds of change recorded", schemas.Event), 400: "Invalid values",
    403: "The caller may not manage this event"})
def update_event(event_id: int):
    """Change an event: only the fields sent change.
    Changes of time, place or online link bump `sequence` and are told to invitees. The guests' and
    registration settings (`guests_must_be_named`, `delegations_ask_passport`, `registration_open`,
    `registration_acceptance`) are the ones the event's pages set."""
    event = load_event(event_id, Action.MANAGE)
    values = load(schemas.for_update(event), json_body())
    settings = _pop_settings(values)
    _check_campaign(values, event.association_id)

    def update() -> list:
        changes = services.update_event(event, user=current_user, **values)
        _save_settings(event, settings)
        return changes
    changes = commit_or_400(services.EventError, update)
    return Extended(event, recorded_changes=[c.kind.value for c in changes])


@bp.post("/events/<int:event_id>/publish")
@operation(tags=["events"], responses={200: ("The event", schemas.Event),
                                       400: "Cancelled events cannot be published",
                                       403: "The caller may not manage this event"})
def publish_event(event_id: int):
    """Publish a draft event."""
    event = load_event(event_id, Action.MANAGE)
    commit_or_400(services.EventError, services.publish, event, user=current_user)
    return event


@bp.post("/events/<int:event_id>/cancel")
@operation(tags=["events"], body=schemas.Cancellation, example={"reason": "Bão số 3"}, responses={
    200: ("The event", schemas.Event), 403: "The caller may not manage this event"})
def cancel_event(event_id: int):
    """Cancel an event; invitees are told (sequence bumped)."""
    event = load_event(event_id, Action.MANAGE)
    reason = load(schemas.Cancellation(), json_body() if request.content_length else {})["reason"]
    services.cancel(event, user=current_user, reason=reason)
    db.session.commit()
    return event
