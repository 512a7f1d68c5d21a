"""Reactions to other domains' signals (connected when the package is imported)."""
from __future__ import annotations

from .. import signals
from ..after_commit import enqueue_after_commit


@signals.event_changed.connect
def notify_invitees(event, changes=(), **_):
    """Time, place, link or cancellation: an UPDATE or CANCELLATION for every invitee who has not declined."""
    # Receivers connect when the package is imported; the services (and the domains they import) load on the first signal.
    from .services import queue_change_notices

    queue_change_notices(event, list(changes))


@signals.invitations_created.connect
def prepare_checkin_codes(event, invitation_ids=(), **_):
    """New invitees: their door QR codes are made on a worker now, not by the send (checkin_codes)."""
    # As above: the task module loads on the first signal, not with the package.
    from .tasks import prepare_checkin_codes as task

    if invitation_ids:
        enqueue_after_commit(task, event.id)
