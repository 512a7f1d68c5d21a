"""Feeds are rebuilt by the real Celery worker within seconds of a change."""
from __future__ import annotations

import time

from eventsapp import links, signals
from eventsapp.campaigns.models import CampaignStatus
from eventsapp.extensions import db
from eventsapp.feeds import services
from eventsapp.feeds.models import Feed, FeedKind
from eventsapp.invitations.models import InvitationStatus
from eventsapp.timeutils import utcnow
from tests.factories import AssociationFactory, CampaignFactory, ContactFactory, EventFactory, InvitationFactory
from tests.feeds_support import cancel_event, change_event


def path(url: str) -> str:
    return url.replace("http://eventsapp.test", "")


def wait_for_feed(client, url: str, predicate, timeout: float = 120.0):
    """GET `url` until `predicate(text)` holds; returns the response. (`timeout` only ends a stuck run:
    how fast a feed follows a change is bench/feeds_serve.py's business, not a test's.)"""
    started = time.monotonic()
    while True:
        db.session.rollback()
        response = client.get(url)
        text = response.data.decode("utf-8").replace("\r\n ", "")
        if response.status_code == 200 and predicate(text):
            return response
        if time.monotonic() - started > timeout:
            raise AssertionError(f"the feed at {url} did not change within {timeout} s")
        time.sleep(0.2)


def wait_until_idle(association) -> Feed:
    """Poll until the association's feed has no pending mark or queued build; returns it."""
    deadline = time.monotonic() + 120
    while True:
        db.session.rollback()
        feed = services.find(FeedKind.ASSOCIATION, association.id)
        if not feed.dirty and feed.queued_at is None:
            return feed
        assert time.monotonic() < deadline, "the feed never settled"
        time.sleep(0.2)


def test_a_feed_changes_within_seconds_of_an_event_change(celery_worker, client):
    association = AssociationFactory()
    campaign = CampaignFactory(association=association, status=CampaignStatus.PUBLISHED)
    event = EventFactory(association=association, campaign=campaign, title_vi="Gặp mặt cuối năm")
    urls = [path(links.association_feed_url(association)), path(links.association_private_feed_url(association)),
            path(links.campaign_feed_url(campaign))]
    before = {url: client.get(url) for url in urls}  # first requests build synchronously
    assert all("Gặp mặt cuối năm" in r.data.decode().replace("\r\n ", "") for r in before.values())

    change_event(event, bump_sequence=True, title_vi="Gặp mặt tất niên Xuân Đinh Mùi")

    for url in urls:
        response = wait_for_feed(client, url, lambda text: "Gặp mặt tất niên Xuân Đinh Mùi" in text)
        assert response.headers["ETag"] != before[url].headers["ETag"]
        assert "SEQUENCE:1" in response.data.decode()
    db.session.rollback()
    feed = services.find(FeedKind.ASSOCIATION, association.id)
    assert not feed.dirty and feed.built_at > feed.created_at


def test_a_burst_of_changes_ends_in_one_build_showing_the_last_one(celery_worker, client):
    association = AssociationFactory()
    event = EventFactory(association=association)
    url = path(links.association_feed_url(association))
    client.get(url)
    first_build = services.find(FeedKind.ASSOCIATION, association.id).built_at

    for n in range(6):
        change_event(event, title_vi=f"Lần sửa số {n}")
    wait_for_feed(client, url, lambda text: "Lần sửa số 5" in text)
    feed = wait_until_idle(association)  # a (wrong) second build, had one been queued, has landed too
    # One rebuild after the burst: its start came after every mark of the burst.
    assert feed.built_at > feed.marked_at > first_build


def test_cancellation_and_answers_reach_the_feeds_through_the_worker(celery_worker, client):
    association = AssociationFactory()
    contact = ContactFactory()
    event = EventFactory(association=association, title_vi="Hòa nhạc mùa xuân")
    invitation = InvitationFactory(event=event, contact=contact, status=InvitationStatus.PENDING)
    public_url, personal_url = path(links.association_feed_url(association)), path(links.personal_feed_url(contact))
    assert "Hòa nhạc" in client.get(public_url).data.decode().replace("\r\n ", "")
    assert event.uid not in client.get(personal_url).data.decode()  # pending: not in the personal feed

    previous = invitation.status
    invitation.status, invitation.answered_at = InvitationStatus.ACCEPTED, utcnow()
    signals.invitation_answered.send(invitation, previous_status=previous)
    db.session.commit()
    wait_for_feed(client, personal_url, lambda text: event.uid in text)

    cancel_event(event)
    wait_for_feed(client, public_url, lambda text: "STATUS:CANCELLED" in text and "[Đã hủy] Hòa nhạc mùa xuân" in text)
    wait_for_feed(client, personal_url, lambda text: "STATUS:CANCELLED" in text)
