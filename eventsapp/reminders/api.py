"""API: an event's reminder rules under /api/v1/events/<id>/reminders."""
from __future__ import annotations

from flask import abort

from ..api import api_error, bp, json_body
from ..api.resources import Extended, load, operation, page_of
from ..events.access import load_event
from ..extensions import db
from ..permissions import Action
from . import schemas, services
from .models import ReminderRule


def _rule(rule: ReminderRule, sent: dict | None = None, left_out: dict | None = None) -> Extended:
    """A rule with what it sent (outbox rows by state) and whom it left out (by reason)."""
    return Extended(rule, messages=dict(sent or {}),
                    left_out={reason.value: count for reason, count in (left_out or {}).items()})


def _values(base: services.RuleValues | None = None) -> services.RuleValues:
    """The body read by the schema, as a rule's values (the service checks the rule as a whole)."""
    return services.parse_values(load(schemas.ReminderRule(partial=True), json_body()), base=base)


def _refused(error: services.ReminderError):
    db.session.rollback()
    return api_error(400, "invalid_rule", str(error))


@bp.get("/events/<int:event_id>/reminders")
@operation(tags=["reminders"], responses={200: ("The rules", page_of(schemas.ReminderRule)),
                                          403: "No role in the event's association", 404: "Unknown event"})
def list_reminders(event_id: int):
    """List an event's reminder rules, when each fires and what each sent."""
    event = load_event(event_id, Action.VIEW)
    sent, skips = services.sent_by_rule(event), services.skips_by_rule(event)
    return {"items": [_rule(rule, sent.get(rule.id), skips.get(rule.id)) for rule in services.event_rules(event)]}


@bp.post("/events/<int:event_id>/reminders")
@operation(tags=["reminders"], body=schemas.ReminderRule, example={
    "kind": "reminder", "anchor": "start", "offset_minutes": -1440, "audience": ["accepted", "tentative"]},
    responses={201: ("The new rule", schemas.ReminderRule), 400: "The rule makes no sense (the message says why)",
               403: "May not manage the event's association"})
def create_reminder(event_id: int):
    """Add a reminder rule to an event."""
    event = load_event(event_id, Action.MANAGE)
    try:
        rule = services.create_rule(_values(), event=event)
    except services.ReminderError as error:
        return _refused(error)
    db.session.commit()
    return _rule(rule), 201


def _rule_or_404(event_id: int, rule_id: int) -> ReminderRule:
    event = load_event(event_id, Action.MANAGE)
    rule = services.get_event_rule(event, rule_id)
    if rule is None:
        abort(404)
    return rule


@bp.route("/events/<int:event_id>/reminders/<int:rule_id>", methods=["PATCH", "PUT"])
@operation(tags=["reminders"], body=schemas.ReminderRule(partial=True), responses={
    200: ("The changed rule", schemas.ReminderRule), 400: "Already sent, or the rule makes no sense",
    404: "Unknown event or rule"})
def update_reminder(event_id: int, rule_id: int):
    """Change a rule that has not fired; fields left out keep their value."""
    rule = _rule_or_404(event_id, rule_id)
    try:
        services.update_rule(rule, _values(base=services.RuleValues.of(rule)))
    except services.ReminderError as error:
        return _refused(error)
    db.session.commit()
    return _rule(rule)


@bp.delete("/events/<int:event_id>/reminders/<int:rule_id>")
@operation(tags=["reminders"], responses={204: "Removed", 404: "Unknown event or rule"})
def delete_reminder(event_id: int, rule_id: int):
    """Remove a rule (it will not fire; what it sent stays in the e-mail log)."""
    services.remove_rule(_rule_or_404(event_id, rule_id))
    db.session.commit()
    return "", 204
