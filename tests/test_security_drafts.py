"""Issue 13, item 9: drafts are never public (feeds, event page, .ics, invitations)."""
from __future__ import annotations

import pytest

from eventsapp.campaigns import services as campaign_services
from eventsapp.campaigns.models import CampaignStatus
from eventsapp.events.models import EventStatus, Visibility
from eventsapp.invitations import services as invitation_services
from eventsapp.invitations.models import Invitation
from tests.factories import AssociationFactory, CampaignFactory, ContactFactory, EventFactory, InvitationFactory
from tests.support.icaljs import assert_valid_ics


def test_a_draft_campaigns_feed_is_not_found_until_published(client, db):
    association = AssociationFactory()
    campaign = CampaignFactory(association=association, status=CampaignStatus.DRAFT, title_vi="Kế hoạch bí mật 2027")
    EventFactory(association=association, campaign=campaign, visibility=Visibility.PUBLIC, title_vi="Đêm nhạc")
    url = f"/feeds/campaigns/{campaign.slug}.ics"
    for _ in range(2):  # the first answer (built on request) and the stored one (the fast WSGI path)
        response = client.get(url)
        assert response.status_code == 404
        assert "Kế hoạch bí mật" not in response.get_data(as_text=True)
    campaign_services.publish(campaign)
    db.session.commit()
    published = client.get(url)
    assert published.status_code == 200 and "Kế hoạch bí mật 2027" in published.get_data(as_text=True)
    assert_valid_ics(published.data)


def test_a_campaign_feed_built_while_published_disappears_when_back_to_draft(client, db):
    campaign = CampaignFactory(status=CampaignStatus.PUBLISHED, title_vi="Từng công bố")
    url = f"/feeds/campaigns/{campaign.slug}.ics"
    assert client.get(url).status_code == 200
    campaign.status = CampaignStatus.DRAFT
    db.session.commit()
    from eventsapp.feeds.cache import lookups

    lookups.clear()  # the 2-second lookup cache of public feeds; a later request would see the same
    assert client.get(url).status_code == 404


def test_a_draft_event_has_no_public_page_ics_rsvp_or_invitation_mail(client, db):
    event = EventFactory(status=EventStatus.DRAFT, visibility=Visibility.PUBLIC, title_vi="Nháp chưa duyệt")
    invitation = InvitationFactory(event=event, contact=ContactFactory())
    for url in (f"/e/{event.slug}", f"/e/{event.slug}.ics", f"/rsvp/{invitation.token}",
                f"/rsvp/{invitation.token}/event.ics"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Nháp chưa duyệt" not in response.get_data(as_text=True), url
    with pytest.raises(invitation_services.InvitationError):
        invitation_services.send_invitations(event.id)
    db.session.rollback()


def test_a_campaign_send_leaves_out_its_draft_events(db):
    campaign = CampaignFactory(status=CampaignStatus.PUBLISHED)
    public = EventFactory(association=campaign.association, campaign=campaign)
    draft = EventFactory(association=campaign.association, campaign=campaign, status=EventStatus.DRAFT)
    contact = ContactFactory()
    for event in (public, draft):
        InvitationFactory(event=event, contact=contact)
    invitation_services.send_campaign_invitations(campaign.id)
    db.session.commit()
    from eventsapp.mail.models import OutboxMessage

    payloads = [m.payload for m in db.session.scalars(db.select(OutboxMessage))]
    draft_invitation = db.session.scalar(db.select(Invitation.id).where(Invitation.event_id == draft.id))
    assert payloads and all(draft_invitation not in p["invitation_ids"] for p in payloads)
