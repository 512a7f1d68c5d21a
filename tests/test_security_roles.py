"""Issue 13, item 8: check-in staff get the door, check-in and the attendance counts — nothing else."""
from __future__ import annotations

import pytest

from eventsapp.associations.models import Role
from eventsapp.events.models import EventStatus
from eventsapp.invitations.models import InvitationStatus
from eventsapp.mail.models import MessageKind, OutboxMessage
from tests.factories import AssociationFactory, ContactFactory, EventFactory, InvitationFactory, staff


@pytest.fixture
def door(db):
    association = AssociationFactory(slug="hoi-a", name_vi="Hội hữu nghị A")
    event = EventFactory(association=association)
    draft = EventFactory(association=association, status=EventStatus.DRAFT, title_vi="Bản nháp kín")
    contact = ContactFactory(full_name="Đặng Thị Cửa", email="cua@example.vn", phone="+84 912 345 678",
                             associations=[association])
    invitation = InvitationFactory(event=event, contact=contact, status=InvitationStatus.ACCEPTED, guests=2,
                                   comment="Tôi đến muộn")
    db.session.add(OutboxMessage(kind=MessageKind.INVITATION, dedupe_key="x", recipient=contact.email,
                                 contact_id=contact.id, event_id=event.id, invitation_id=invitation.id))
    db.session.commit()
    return {"association": association, "event": event, "draft": draft, "contact": contact,
            "invitation": invitation, "user": staff(association, Role.CHECKIN)}


def test_check_in_staff_cannot_open_directory_lists_logs_or_drafts(auth, client, api, door):
    event, draft, contact = door["event"], door["draft"], door["contact"]
    auth.login(door["user"])
    for url in ("/contacts/", "/contacts/export.csv", "/contacts/export.xlsx", f"/events/{event.id}/invitations",
                f"/events/{event.id}/invitations.csv", f"/events/{event.id}/mail", f"/events/{draft.id}",
                f"/events/{event.id}", f"/events/{event.id}/attendance", f"/events/{event.id}/attendance.csv",
                f"/events/{event.id}/honorees.csv", "/associations/hoi-a/calendar-feeds"):
        response = client.get(url)
        assert response.status_code in (403, 404), url
        assert "cua@example.vn" not in response.get_data(as_text=True), url
    assert client.get(f"/contacts/{contact.id}").status_code == 404
    caller = api(door["user"])
    for url in ("/api/v1/contacts", f"/api/v1/contacts/{contact.id}", f"/api/v1/events/{event.id}/invitations",
                f"/api/v1/events/{draft.id}", f"/api/v1/events/{event.id}/attendance/checkins"):
        response = caller.get(url)
        assert response.status_code in (403, 404), url
        assert "cua@example.vn" not in response.get_data(as_text=True), url


def test_check_in_staff_get_the_door_with_what_it_needs(auth, client, api, door):
    event = door["event"]
    auth.login(door["user"])
    assert client.get(f"/events/{event.id}/checkin").status_code == 200
    found = client.get(f"/events/{event.id}/checkin/search?q=dang thi cua").text
    assert "Đặng Thị Cửa" in found and "Hội hữu nghị A" in found and "2" in found
    assert "cua@example.vn" not in found and "912 345 678" not in found and "Tôi đến muộn" not in found
    assert client.get(f"/events/{event.id}/checkin/counts").json["expected"] == 1
    assert api(door["user"]).get(f"/api/v1/events/{event.id}/attendance").json["counts"]["expected"] == 1
    page = f"/events/{event.id}/checkin"
    scanned = auth.post(f"{page}/scan", {"code": door["invitation"].checkin_token}, form_url=page,
                        headers={"Accept": "application/json"})
    assert scanned.status_code == 200 and "Đặng Thị Cửa" in scanned.json["message"]
