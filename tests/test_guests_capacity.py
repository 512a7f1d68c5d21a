"""Capacity counts people: named guests and delegation members take seats like invitees, and simultaneous
requests for the last seats (over HTTP, from threads) never overbook."""
from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import CookieJar

import pytest
from sqlalchemy import func, select

from eventsapp.guests.models import Delegation, EventGuest
from eventsapp.invitations import services as invitation_services
from eventsapp.invitations.models import Invitation, InvitationStatus
from tests.conftest import csrf_token_from
from tests.factories import ContactFactory, EventFactory, InvitationFactory


def _post_over_http(page_url: str, post_url: str, fields: dict) -> int:
    """GET the page (for its CSRF token), then POST the form; the status (a refusal is a 400)."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    page = opener.open(page_url, timeout=60).read().decode()
    body = urllib.parse.urlencode({"csrf_token": csrf_token_from(page), **fields}).encode()
    try:
        return opener.open(urllib.request.Request(post_url, data=body), timeout=60).status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.slow
def test_named_guests_and_delegation_members_racing_for_the_last_seats_never_overbook(db, live_server):
    event = EventFactory(capacity=20, max_guests=1)
    for _ in range(12):
        InvitationFactory(event=event, status=InvitationStatus.ACCEPTED)
    hosts = [InvitationFactory(event=event, status=InvitationStatus.ACCEPTED) for _ in range(5)]
    leader = ContactFactory(associations=[event.association])
    delegation = Delegation(event_id=event.id, name="Đoàn Nhật Bản", leader_contact_id=leader.id, quota=10)
    db.session.add(delegation)
    db.session.commit()
    assert invitation_services.seats_taken([event.id]) == 17  # three seats left

    requests = [(f"{live_server}/rsvp/{host.token}/guests", f"{live_server}/rsvp/{host.token}/guests",
                 {"guest-0-full_name": f"Khách của {n}"}) for n, host in enumerate(hosts)]
    link = f"{live_server}/delegation/{delegation.token}"
    requests += [(link, f"{link}/members", {"full_name": f"Thành viên {n}"}) for n in range(5)]
    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(lambda request: _post_over_http(*request), requests))
    assert sorted(statuses) == [200] * 3 + [400] * 7  # three fit (a saved form lands on its page again)

    db.session.expire_all()
    assert invitation_services.seats_taken([event.id]) == 20
    named = db.session.scalar(select(func.count(EventGuest.id)).where(EventGuest.invitation_id.is_not(None)))
    members = db.session.scalar(select(func.count(EventGuest.id)).where(EventGuest.delegation_id == delegation.id))
    counted = db.session.scalar(select(func.sum(Invitation.guests)).where(Invitation.event_id == event.id))
    assert named + members == 3 and counted == named  # each invitation's number follows its names


def test_a_full_event_waitlists_an_acceptance_that_brings_named_guests(client, db):
    event = EventFactory(capacity=3, max_guests=2, guests_must_be_named=True)
    InvitationFactory(event=event, status=InvitationStatus.ACCEPTED)
    family = InvitationFactory(event=event, status=InvitationStatus.DECLINED)
    for name in ("Trần Thị Bình", "Nguyễn Minh Châu"):
        db.session.add(EventGuest(event_id=event.id, invitation_id=family.id, full_name=name))
    db.session.commit()
    page = client.get(f"/rsvp/{family.token}")
    client.post(f"/rsvp/{family.token}", data={"csrf_token": csrf_token_from(page.text), "status": "accepted"})
    db.session.expire_all()
    saved = db.session.get(Invitation, family.id)
    # Three people (the invitee and two named guests) do not fit in the two seats left: they wait together.
    assert (saved.status, saved.guests) == (InvitationStatus.WAITLISTED, 2)
    assert invitation_services.seats_taken([event.id]) == 1
