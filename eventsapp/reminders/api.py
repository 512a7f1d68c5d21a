"""API: an event's reminder rules under /api/v1/events/<id>/reminders."""
from __future__ import annotations

from datetime import datetime

from flask import abort

from .. import validation
from ..api import api_error, bp, json_body
from ..api_helpers import Fields
from ..events.access import load_event
from ..extensions import db
from ..permissions import Action
from . import services
from .models import ReminderRule


def rule_json(rule: ReminderRule, sent: dict | None = None, left_out: dict | None = None) -> dict:
    return {
        "id": rule.id,
        "kind": rule.kind.value,
        "anchor": rule.anchor.value,
        "offset_minutes": rule.offset_minutes,
        "absolute_at": rule.absolute_at.isoformat() if rule.absolute_at else None,
        "audience": rule.audience,
        "message_vi": rule.message_vi,
        "message_en": rule.message_en,
        "inherited_from": rule.inherited_from or None,
        "fire_at": rule.fire_at.isoformat() if rule.fire_at else None,
        "fired_at": rule.fired_at.isoformat() if rule.fired_at else None,
        "skipped_at": rule.skipped_at.isoformat() if rule.skipped_at else None,
        "skip_reason": rule.skip_reason.value if rule.skip_reason else None,
        "sent_count": rule.sent_count,
        "messages": dict(sent or {}),
        "left_out": {reason.value: count for reason, count in (left_out or {}).items()},
    }


def _checked(data: dict) -> dict:
    """The body with its free text and fixed time checked by `eventsapp.validation` (the service checks the rule)."""
    fields = Fields()
    for name in ("message_vi", "message_en"):
        if isinstance(data.get(name), str):
            fields.check(name, validation.text, data[name], multiline=True)
    if isinstance(data.get("absolute_at"), str) and data["absolute_at"]:
        try:
            fields.check("absolute_at", validation.moment,
                         datetime.fromisoformat(data["absolute_at"].replace("Z", "+00:00")))
        except ValueError:
            pass  # not a time at all: the service says so
    fields.done()
    return data


def _refused(error: services.ReminderError):
    db.session.rollback()
    return api_error(400, "invalid_rule", str(error))


@bp.get("/events/<int:event_id>/reminders")
def list_reminders(event_id: int):
    """List an event's reminder rules, when each fires and what each sent.
    ---
    get:
      summary: List an event's reminder rules
      tags: [reminders]
      parameters:
        - {name: event_id, in: path, required: true, schema: {type: integer}}
      responses:
        200:
          schema: [ReminderRule]
          description: "The rules; a rule has kind (reminder|thank_you), anchor (start|end|absolute),
            offset_minutes (negative = before), absolute_at, audience, message_vi, message_en, fire_at (UTC),
            fired_at, skipped_at, skip_reason, sent_count, messages (outbox rows by state) and left_out
            (invitees the fired rule left out, by reason: not_invited, invited_late, superseded, recently_reminded)"
        403: {description: No role in the event's association}
        404: {description: Unknown event}
    """
    event = load_event(event_id, Action.VIEW)
    sent, skips = services.sent_by_rule(event), services.skips_by_rule(event)
    return {"items": [rule_json(rule, sent.get(rule.id), skips.get(rule.id)) for rule in services.event_rules(event)]}


@bp.post("/events/<int:event_id>/reminders")
def create_reminder(event_id: int):
    """Add a reminder rule to an event.
    ---
    post:
      summary: Add a reminder rule
      tags: [reminders]
      parameters:
        - {name: event_id, in: path, required: true, schema: {type: integer}}
      requestBody:
        required: true
        content:
          application/json:
            example: {kind: reminder, anchor: start, offset_minutes: -1440, audience: [accepted, tentative]}
            schema:
              type: object
              properties:
                kind: {type: string, enum: [reminder, thank_you], default: reminder}
                anchor: {type: string, enum: [start, end, absolute], default: start}
                offset_minutes: {type: integer, description: "minutes from the anchor; negative = before (-120 = 2 hours before)"}
                absolute_at: {type: string, format: date-time, description: "with anchor absolute"}
                audience: {type: array, items: {type: string, enum: [accepted, tentative, pending, attended]}}
                message_vi: {type: string}
                message_en: {type: string}
      responses:
        201: {description: The new rule, schema: ReminderRule}
        400: {description: The rule makes no sense (the message says why)}
        403: {description: May not manage the event's association}
    """
    event = load_event(event_id, Action.MANAGE)
    try:
        rule = services.create_rule(services.parse_values(_checked(json_body())), event=event)
    except services.ReminderError as error:
        return _refused(error)
    db.session.commit()
    return rule_json(rule), 201


def _rule_or_404(event_id: int, rule_id: int) -> ReminderRule:
    event = load_event(event_id, Action.MANAGE)
    rule = services.get_event_rule(event, rule_id)
    if rule is None:
        abort(404)
    return rule


@bp.route("/events/<int:event_id>/reminders/<int:rule_id>", methods=["PATCH", "PUT"])
def update_reminder(event_id: int, rule_id: int):
    """Change a rule that has not fired; fields left out keep their value.
    ---
    patch:
      summary: Change a reminder rule
      tags: [reminders]
      parameters:
        - {name: event_id, in: path, required: true, schema: {type: integer}}
        - {name: rule_id, in: path, required: true, schema: {type: integer}}
      requestBody:
        content:
          application/json:
            schema: {type: object, description: "the fields of POST /events/{event_id}/reminders"}
      responses:
        200: {description: The changed rule, schema: ReminderRule}
        400: {description: "Already sent, or the rule makes no sense"}
        404: {description: Unknown event or rule}
    put:
      summary: Change a reminder rule
      tags: [reminders]
      parameters:
        - {name: event_id, in: path, required: true, schema: {type: integer}}
        - {name: rule_id, in: path, required: true, schema: {type: integer}}
      responses:
        200: {description: The changed rule, schema: ReminderRule}
        400: {description: "Already sent, or the rule makes no sense"}
    """
    rule = _rule_or_404(event_id, rule_id)
    try:
        services.update_rule(rule, services.parse_values(_checked(json_body()), base=services.RuleValues.of(rule)))
    except services.ReminderError as error:
        return _refused(error)
    db.session.commit()
    return rule_json(rule)


@bp.delete("/events/<int:event_id>/reminders/<int:rule_id>")
def delete_reminder(event_id: int, rule_id: int):
    """Remove a rule (it will not fire; what it sent stays in the e-mail log).
    ---
    delete:
      summary: Remove a reminder rule
      tags: [reminders]
      parameters:
        - {name: event_id, in: path, required: true, schema: {type: integer}}
        - {name: rule_id, in: path, required: true, schema: {type: integer}}
      responses:
        204: {description: Removed}
        404: {description: Unknown event or rule}
    """
    services.remove_rule(_rule_or_404(event_id, rule_id))
    db.session.commit()
    return "", 204
