"""Reactions to other domains' signals (connected when the package is imported)."""
from __future__ import annotations

from .. import signals


@signals.event_changed.connect
def notify_members(event, changes=(), **_):
    """Time, place, link or cancellation: an update or cancellation for each delegation member with an address."""
    # Receivers connect when the package is imported; the outbox and the models load on the first signal.
    from .member_mail import queue_change_notices

    queue_change_notices(event, list(changes))


@signals.event_saved.connect
def welcome_members(event, **_):
    """An event published: the members entered while it was a draft get their welcome (once: keyed per address)."""
    # As above: loaded on the first signal.
    from .member_mail import welcome_all

    welcome_all(event)


@signals.reminder_planned.connect
def remind_members(plan, rule, event, later=(), window=None, **_):
    """A reminder rule due: its message for each delegation member with an address, in the same plan (and so the
    same claim and transaction) as the invitees'."""
    # As above: loaded on the first signal.
    from .member_reminders import add_members

    add_members(plan, rule=rule, event=event, later=later, window=window)
