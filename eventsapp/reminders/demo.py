"""Demo: default reminders for the Vietnam–Japan association, rules for every demo event."""
from __future__ import annotations

from sqlalchemy import func, select

from ..associations.services import get_by_slug
from ..events.models import Event
from ..extensions import db
from . import services
from .models import Anchor, ReminderRule, RuleKind

ASSOCIATION_DEFAULTS = [
    services.RuleValues(offset_minutes=-7 * 24 * 60),
    services.RuleValues(offset_minutes=-24 * 60, message_vi="Xin quý vị mang theo mã QR trong thư này để điểm danh.",
                        message_en="Please bring the QR code in this e-mail to check in."),
    services.RuleValues(offset_minutes=-2 * 60, audience=["accepted"]),
    services.RuleValues(kind=RuleKind.THANK_YOU, anchor=Anchor.END, offset_minutes=24 * 60, audience=["accepted", "attended"],
                        message_vi="Cảm ơn quý vị đã đến chung vui cùng Hội.",
                        message_en="Thank you for celebrating with the association."),
]


def seed():
    association = get_by_slug("viet-nhat")
    if association is not None and not services.default_rules(association=association):
        for values in ASSOCIATION_DEFAULTS:
            services.create_rule(values, association=association)
    events = db.session.scalars(select(Event).order_by(Event.starts_at)).all()
    for event in events:
        services.ensure_default_rules(event)
        services.sync_event_rules(event)
    db.session.flush()
    count = db.session.scalar(select(func.count(ReminderRule.id)).where(ReminderRule.event_id.is_not(None)))
    yield f"Reminders: {count} rules on {len(events)} events; Vietnam–Japan association defaults: 7 days, 1 day, 2 hours before, thank-you 1 day after."
