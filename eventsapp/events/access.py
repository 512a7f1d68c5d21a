"""Loading an event for the current user, with the permission check every route needs."""
from __future__ import annotations

from flask import abort

from ..extensions import db
from ..permissions import Action, authorize
from .models import Event


def load_event(event_id: int, action: Action | str | tuple = Action.VIEW) -> Event:
    """The event, or 404; 403 unless the current user may do `action` (one of a tuple) in its association."""
    event = db.session.get(Event, event_id)
    if event is None:
        abort(404)
    authorize(action, event.association_id)
    return event


def load_of_event(model, row_id: int, event: Event):
    """The `model` row `row_id` when it belongs to `event` (its `event_id`), or 404: a route under one
    event never reaches another event's rows by id."""
    row = db.session.get(model, row_id)
    if row is None or row.event_id != event.id:
        abort(404)
    return row
