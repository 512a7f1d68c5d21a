"""Reactions to other domains' signals (connected when the package is imported)."""
from __future__ import annotations

from .. import signals


@signals.event_changed.connect
def notify_invitees(event, changes=(), **_):
    """Time, place, link or cancellation: an UPDATE or CANCELLATION for every invitee who has not declined."""
    from .services import queue_change_notices

    queue_change_notices(event, list(changes))
