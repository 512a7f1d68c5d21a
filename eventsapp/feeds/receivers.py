"""Domain signals → feed marks, in the sender's transaction (never committing)."""
from __future__ import annotations

from sqlalchemy import event as orm_event
from sqlalchemy import inspect, select

from .. import signals
from ..campaigns.models import Campaign
from ..extensions import db
from ..invitations.models import Invitation
from . import services


def _previous(obj, attribute: str):
    """The value `attribute` had before this unflushed change, if any."""
    history = inspect(obj).attrs[attribute].history
    return history.deleted[0] if history.deleted else None


@signals.event_saved.connect
@signals.event_changed.connect
def on_event_saved(event, **extra) -> None:
    previous_campaign = _previous(event, "campaign_id")
    previous_association = _previous(event, "association_id")
    if event.id is None:
        db.session.flush()
    services.mark(services.event_conditions(event, previous_campaign, previous_association))


@signals.invitation_answered.connect
def on_invitation_answered(invitation, **extra) -> None:
    services.mark(services.personal_conditions([invitation.contact_id]))


@signals.invitations_created.connect
def on_invitations_created(event, invitation_ids=(), **extra) -> None:
    if invitation_ids:
        contacts = select(Invitation.contact_id).where(Invitation.id.in_(list(invitation_ids)))
        services.mark(services.personal_conditions(contacts))


@signals.association_saved.connect
def on_association_saved(association, **extra) -> None:
    if association.id is not None:
        services.mark(services.association_conditions(association))


@signals.contact_saved.connect
def on_contact_saved(contact, **extra) -> None:
    if contact.id is not None:
        services.mark(services.personal_conditions([contact.id]))


@signals.contacts_imported.connect
def on_contacts_imported(sender, contact_ids=(), **extra) -> None:
    """One UPDATE for the personal feeds among `contact_ids` (few contacts have one), not one per contact."""
    with_feeds = services.personal_feed_subjects(contact_ids)
    for start in range(0, len(with_feeds), 10_000):  # bound the statement's parameters
        services.mark(services.personal_conditions(with_feeds[start:start + 10_000]))


@orm_event.listens_for(Campaign, "after_update")
def on_campaign_updated(mapper, connection, campaign) -> None:
    """No campaign signal exists: a renamed campaign's feed name changes too."""
    services.mark(services.campaign_conditions(campaign.id), connection=connection)
