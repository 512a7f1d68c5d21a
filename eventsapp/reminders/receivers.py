"""Keeping an event's reminder rules in step with the event (domain signals).

Receivers write in the sender's session and never commit.
- event_saved: an event with no rules gets its inherited defaults; unfired rules follow
  its times; a draft's held-back rules are re-armed when it is published.
- event_changed: a TIME change re-times unfired rules (fired ones are not repeated);
  a cancellation stops them.
"""
from __future__ import annotations

from ..events.models import Event
from ..signals import event_changed, event_saved
from . import services


def _event_of(sender, kwargs) -> Event | None:
    event = kwargs.get("event", sender)
    return event if isinstance(event, Event) else None


def on_event_saved(sender, **kwargs) -> None:
    event = _event_of(sender, kwargs)
    if event is None:
        return
    services.ensure_default_rules(event)
    services.sync_event_rules(event)


def on_event_changed(sender, **kwargs) -> None:
    event = _event_of(sender, kwargs)
    if event is None:
        return
    services.sync_event_rules(event)


event_saved.connect(on_event_saved)
event_changed.connect(on_event_changed)
