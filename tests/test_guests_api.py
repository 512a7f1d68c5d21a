"""The API of named guests and delegations: the same rules as the pages, one error shape, hostile values refused."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from eventsapp.associations.models import Role
from eventsapp.guests.models import Delegation, EventGuest
from eventsapp.invitations.models import Invitation, InvitationStatus
from eventsapp.mail.models import MessageKind, OutboxMessage
from tests.factories import AssociationFactory, ContactFactory, EventFactory, InvitationFactory, staff

HOSTILE = ["x\r\ny", "x\x00", "x\ud800", "L" * 10_000, {}, [], 2**63, True]


def organiser_event(**kwargs):
    event = EventFactory(**kwargs)
    return event, staff(event.association, Role.ORGANISER)


def test_an_organiser_names_guests_by_phone_and_reads_them_back(api, db):
    event, user = organiser_event(max_guests=2, capacity=10)
    invitation = InvitationFactory(event=event, status=InvitationStatus.ACCEPTED, guests=0)
    url = f"/api/v1/events/{event.id}/invitations/{invitation.id}/guests"
    response = api(user).put(url, json={"guests": [{"full_name": "Trần Thị Bình", "honorific": "Bà",
                                                    "phone": "+84 912 345 678"}, {"full_name": "Nguyễn Minh Châu"}]})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["guests_count"] == 2
    assert [(g["full_name"], g["phone"]) for g in body["items"]] == [
        ("Trần Thị Bình", "+84912345678"), ("Nguyễn Minh Châu", None)]
    first = body["items"][0]["id"]
    renamed = api(user).put(url, json={"guests": [{"id": first, "full_name": "Trần Thị Bình An"}]}).get_json()
    assert [(g["id"], g["full_name"]) for g in renamed["items"]] == [(first, "Trần Thị Bình An")]
    assert renamed["guests_count"] == 2  # names are optional at this event: the number stays as answered
    viewer = staff(event.association, Role.VIEWER)
    assert api(viewer).get(url).get_json()["items"][0]["full_name"] == "Trần Thị Bình An"
    assert api(viewer).put(url, json={"guests": []}).status_code == 403
    other = staff(AssociationFactory(), Role.ORGANISER)
    assert api(other).get(url).status_code == 403
    elsewhere = InvitationFactory(event=EventFactory(association=event.association))
    assert api(user).get(f"/api/v1/events/{event.id}/invitations/{elsewhere.id}/guests").status_code == 404


def test_hostile_values_in_named_guests_get_the_one_error_shape_and_change_nothing(api, db):
    event, user = organiser_event(max_guests=2)
    invitation = InvitationFactory(event=event, status=InvitationStatus.ACCEPTED)
    url = f"/api/v1/events/{event.id}/invitations/{invitation.id}/guests"
    for field in ("full_name", "honorific", "email", "phone", "id"):
        for value in HOSTILE:
            guest = {"full_name": "Trần Thị Bình", field: value}
            response = api(user).put(url, json={"guests": [guest]})
            assert response.status_code == 400, (field, repr(value)[:20], response.status_code)
            error = response.get_json()["error"]
            assert isinstance(error["code"], str) and error["message"], (field, value)
    for body in ({"guests": {}}, {"guests": "x"}, {}, {"guests": [1]}, {"guests": [{"full_name": "A", "email": "javascript:x"}]},
                 {"guests": [{"full_name": "A", "phone": "=cmd"}]}):
        assert api(user).put(url, json=body).status_code == 400, body
    too_many = {"guests": [{"full_name": f"Khách {n}"} for n in range(3)]}
    assert api(user).put(url, json=too_many).status_code == 409
    assert db.session.scalar(select(func.count(EventGuest.id))) == 0


def test_delegations_by_the_api_with_members_and_a_leaders_message(api, db):
    event, user = organiser_event(capacity=100, delegations_ask_passport=True)
    ContactFactory(email="hung@example.cz", associations=[event.association])
    url = f"/api/v1/events/{event.id}/delegations"
    created = api(user).post(url, json={"name": "Hội người Bắc Giang tại Séc", "leader_email": "hung@example.cz",
                                        "quota": 6, "deadline": (event.starts_at - timedelta(days=1)).isoformat()})
    assert created.status_code == 201, created.get_json()
    delegation = created.get_json()
    assert (delegation["quota"], delegation["revoked"], delegation["members"]) == (6, False, [])
    assert db.session.scalar(select(OutboxMessage.kind).where(OutboxMessage.event_id == event.id)) == \
        MessageKind.DELEGATION
    members = f"{url}/{delegation['id']}/members"
    added = api(user).post(members, json={"full_name": "Nguyễn Thị Lan", "nationality": "Séc",
                                          "passport_number": "C1234567", "passport_expires_on": "2031-05-01"})
    assert added.status_code == 201, added.get_json()
    member = added.get_json()
    assert member["passport_expires_on"] == "2031-05-01"
    listed = api(user).get(url).get_json()["items"][0]
    assert [m["full_name"] for m in listed["members"]] == ["Nguyễn Thị Lan"]
    assert "token" not in listed  # the leader's link is the leader's key
    assert api(user).delete(f"{members}/{member['id']}").status_code == 204
    assert api(user).get(f"{url}/{delegation['id']}").get_json()["members"] == []
    other_event = EventFactory(association=event.association)
    assert api(user).get(f"/api/v1/events/{other_event.id}/delegations/{delegation['id']}").status_code == 404


def test_hostile_values_in_delegations_are_refused(api, db):
    event, user = organiser_event()
    ContactFactory(email="hung@example.cz", associations=[event.association])
    url = f"/api/v1/events/{event.id}/delegations"
    base = {"name": "Đoàn", "leader_email": "hung@example.cz", "quota": 3}
    for field in ("name", "leader_email", "organisation_email", "quota", "deadline"):
        for value in HOSTILE + ([0, -1, 501] if field == "quota" else []) + (
                ["2027-01-01T00:00:00"] if field == "deadline" else []):
            response = api(user).post(url, json={**base, field: value})
            assert response.status_code == 400, (field, repr(value)[:20], response.status_code)
    assert api(user).post(url, json={**base, "leader_email": "khong-ai@example.vn"}).status_code == 400
    # A leader outside the caller's associations is answered as unknown.
    ContactFactory(email="ngoai@example.vn", associations=[AssociationFactory()])
    refused = api(user).post(url, json={**base, "leader_email": "ngoai@example.vn"})
    assert refused.status_code == 400 and "leader_email" in refused.get_json()["error"]["fields"]
    assert db.session.scalar(select(func.count(Delegation.id))) == 0
    assert db.session.scalar(select(func.count(Invitation.id))) == 0
