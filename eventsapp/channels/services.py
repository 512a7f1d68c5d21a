"""The channel settings organisers change: an event's channel order, an association's Zalo templates."""
from __future__ import annotations

from sqlalchemy import select

from .. import audit
from ..events.models import Event
from ..extensions import db
from . import routing
from .forms import parse_params
from .models import ZaloTemplate


def order_names(event_id: int) -> str:
    return ",".join(channel.value for channel in routing.order_of(event_id))


def save_order(event_id: int, names: str) -> None:
    channels = list(routing.parse_order(names))
    routing.set_order(event_id, channels)
    event = db.session.get(Event, event_id)
    audit.record("settings_changed", ("events", event_id), association_id=event.association_id if event else None,
                 what="channels", order=[channel.value for channel in channels])


def templates_of(association_id: int) -> list[ZaloTemplate]:
    return list(db.session.scalars(select(ZaloTemplate).where(ZaloTemplate.association_id == association_id)
                                   .order_by(ZaloTemplate.kind)))


def save_template(association_id: int, form) -> ZaloTemplate:
    """Create or replace the association's template for the form's kind of message."""
    template = db.session.scalar(select(ZaloTemplate).where(ZaloTemplate.association_id == association_id,
                                                            ZaloTemplate.kind == form.kind.data))
    if template is None:
        template = ZaloTemplate(association_id=association_id, kind=form.kind.data)
        db.session.add(template)
    template.template_id = form.template_id.data.strip()
    template.params = parse_params(form.params.data)
    template.text = (form.text.data or "").strip()
    template.approved = bool(form.approved.data)
    fields = audit.changed(template, ("template_id", "params", "text", "approved"))
    audit.record("template_changed", template, association_id=association_id, what="zalo", kind=template.kind,
                 fields=fields, approved=template.approved)
    return template
