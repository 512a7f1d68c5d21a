"""The API does what the pages do: mail state per message, answers taken by phone, walk-ins, scanned codes,
feeds, event paging and creation, campaign Tết dates; and roles from the command line."""
from datetime import timedelta

import pytest

from eventsapp.associations.models import Membership, Role
from eventsapp.attendance.models import CheckIn
from eventsapp.events.models import Event
from eventsapp.invitations.models import InvitationStatus
from eventsapp.mail.models import MessageKind, MessageState, OutboxMessage
from eventsapp.timeutils import utcnow
from tests.attendance_factories import door, invite
from tests.factories import AssociationFactory, ContactFactory, EventFactory, UserFactory, staff

# ---------------------------------------------------------------- 6. mail state per message

def test_message_states_of_an_event_a_send_and_each_invitation(api, db, smtp_sink, celery_worker):
    association = AssociationFactory(slug="viet-nga")
    event = EventFactory(association=association)
    good, bad = invite(event, status=InvitationStatus.PENDING), invite(event, status=InvitationStatus.PENDING)
    db.session.commit()
    smtp_sink.handler.reject[bad.contact.email.lower()] = "550 5.1.1 No such mailbox"
    client = api(staff(association))
    send = client.post(f"/api/v1/events/{event.id}/invitations/send").json
    assert send["queued"] == 2

    def settled():
        db.session.expire_all()
        return db.session.query(OutboxMessage).filter(
            OutboxMessage.state.in_([MessageState.SENT, MessageState.FAILED])).count() == 2
    celery_worker.wait_until(settled, timeout=60)

    messages = client.get(f"/api/v1/events/{event.id}/messages").json
    by_recipient = {m["recipient"]: m for m in messages["items"]}
    assert by_recipient[good.contact.email]["state"] == "sent" and by_recipient[good.contact.email]["sent_at"]
    failed = by_recipient[bad.contact.email]
    assert failed["state"] == "failed" and "550" in failed["last_error"] and failed["attempts"] == 1
    assert failed["kind"] == "invitation" and messages["counts"]["sent"] == 1 and messages["counts"]["failed"] == 1
    of_send = client.get(f"/api/v1/events/{event.id}/invitations/sends/{send['send_id']}/messages?state=failed").json
    assert [m["recipient"] for m in of_send["items"]] == [bad.contact.email]
    items = {i["id"]: i for i in client.get(f"/api/v1/events/{event.id}/invitations").json["items"]}
    assert items[good.id]["mail"]["state"] == "sent" and items[good.id]["mail"]["delivered"] is True
    assert items[bad.id]["mail"]["state"] == "failed" and items[bad.id]["mail"]["delivered"] is False


def test_message_pages_follow_the_cursor_and_stay_in_the_callers_associations(api, db):
    association = AssociationFactory()
    event = EventFactory(association=association)
    for n in range(5):
        db.session.add(OutboxMessage(kind=MessageKind.CONFIRMATION, dedupe_key=f"c:{n}", recipient=f"k{n}@example.vn",
                                     event_id=event.id))
    db.session.commit()
    client = api(staff(association, Role.VIEWER))
    first = client.get(f"/api/v1/events/{event.id}/messages?limit=3").json
    second = client.get(f"/api/v1/events/{event.id}/messages?limit=3&cursor={first['next_cursor']}").json
    seen = [m["recipient"] for m in first["items"] + second["items"]]
    assert sorted(seen) == [f"k{n}@example.vn" for n in range(5)] and second["next_cursor"] is None
    outsider = api(staff(AssociationFactory()))
    assert outsider.get(f"/api/v1/events/{event.id}/messages").status_code == 403
    assert client.get(f"/api/v1/events/{event.id}/invitations/sends/nope/messages").status_code == 404


# ---------------------------------------------------------------- 7. answers taken by phone

def test_an_organiser_records_answers_by_the_rsvp_rules(api, db):
    association = AssociationFactory()
    event = EventFactory(association=association, capacity=1, max_guests=2)
    first, second = invite(event, status=InvitationStatus.PENDING), invite(event, status=InvitationStatus.PENDING)
    db.session.commit()
    client = api(staff(association))
    url = f"/api/v1/events/{event.id}/invitations/{{}}/answer"
    accepted = client.post(url.format(first.id), json={"status": "accepted", "comment": "Gọi điện lúc 9 giờ"})
    assert accepted.status_code == 200 and accepted.json["status"] == "accepted", accepted.json
    assert client.post(url.format(second.id), json={"status": "accepted"}).json["status"] == "waitlisted"
    too_many = client.post(url.format(second.id), json={"status": "accepted", "guests": 3})
    assert too_many.status_code == 400 and "guests" in too_many.json["error"]["fields"]
    assert client.post(url.format(second.id), json={"status": "maybe"}).status_code == 400
    declined = client.post(url.format(first.id), json={"status": "declined"}).json
    assert declined["status"] == "declined"
    db.session.expire_all()
    assert db.session.get(type(second), second.id).status == InvitationStatus.ACCEPTED  # promoted to the freed seat
    kinds = sorted(m.kind.value for m in db.session.query(OutboxMessage).filter_by(event_id=event.id))
    assert kinds.count("confirmation") == 3 and kinds.count("promotion") == 1
    viewer = api(staff(association, Role.VIEWER))
    assert viewer.post(url.format(first.id), json={"status": "accepted"}).status_code == 403
    other = EventFactory(association=association)
    assert client.post(f"/api/v1/events/{other.id}/invitations/{first.id}/answer",
                       json={"status": "accepted"}).status_code == 404


def test_answers_to_a_past_event_are_refused_with_409(api, db):
    association = AssociationFactory()
    start = utcnow() - timedelta(days=2)
    event = EventFactory(association=association, starts_at=start, ends_at=start + timedelta(hours=2))
    invitation = invite(event, status=InvitationStatus.PENDING)
    db.session.commit()
    answer = api(staff(association, locale="en")).post(
        f"/api/v1/events/{event.id}/invitations/{invitation.id}/answer", json={"status": "accepted"})
    assert answer.status_code == 409 and answer.json["error"]["message"] == "This event has already taken place."


# ---------------------------------------------------------------- 8. walk-ins and scanned codes

def test_walk_ins_new_and_known(api, db):
    event, user = door()
    known = ContactFactory(full_name="Lê Thị Hoa")
    known.associations.append(event.association)
    stranger = ContactFactory()
    db.session.commit()
    client = api(user)
    url = f"/api/v1/events/{event.id}/attendance/walk-ins"
    new = client.post(url, json={"full_name": "Phạm Văn Đức", "guests": 1})
    assert new.status_code == 201 and new.json["walk_in"] is True and new.json["guests"] == 1
    assert "email" not in new.json["contact"]  # check-in staff are given what the door needs, no address
    assert client.post(url, json={"contact_id": known.id}).json["contact"]["full_name"] == "Lê Thị Hoa"
    again = client.post(url, json={"contact_id": known.id})
    assert again.status_code == 409 and again.json["error"]["check_in"]["checked_in_by"] == "Trần Văn Nam"
    assert client.post(url, json={"contact_id": stranger.id}).status_code == 404  # not on this association's rolls
    assert client.post(url, json={"full_name": ""}).status_code == 422
    assert client.post(url, json={"full_name": "X", "guests": 10**12}).status_code == 400
    assert db.session.query(CheckIn).filter_by(event_id=event.id).count() == 2


def test_a_scanned_code_names_the_person_but_never_another_event(api, db):
    event, user = door()
    invitation = invite(event, full_name="Ngô Bảo Châu")
    secret = EventFactory(title_vi="Họp kín ban chấp hành")
    elsewhere = invite(secret)
    db.session.commit()
    client = api(user)
    found = client.get(f"/api/v1/events/{event.id}/attendance/scan",
                       query_string={"token": f"http://eventsapp.test/c/{invitation.checkin_token}"})
    assert found.status_code == 200 and found.json["contact"]["full_name"] == "Ngô Bảo Châu"
    assert "email" not in found.json["contact"]  # door staff get what the door needs, as the door page shows
    assert found.json["event_id"] == event.id and found.json["check_in"] is None
    for response in (client.get(f"/api/v1/events/{event.id}/attendance/scan",
                                query_string={"token": elsewhere.checkin_token}),
                     client.post(f"/api/v1/events/{event.id}/attendance/checkins",
                                 json={"token": elsewhere.checkin_token})):
        assert response.status_code == 422 and response.json["error"]["code"] == "other_event"
        assert "Họp kín" not in response.get_data(as_text=True)
    assert client.get(f"/api/v1/events/{event.id}/attendance/scan", query_string={"token": "x"}).status_code == 422
    viewer = api(staff(event.association, Role.VIEWER))
    assert viewer.get(f"/api/v1/events/{event.id}/attendance/scan",
                      query_string={"token": invitation.checkin_token}).status_code == 403


# ---------------------------------------------------------------- 9. feeds

def test_feed_urls_revoking_and_the_links_on_invitations(api, client, db):
    association = AssociationFactory(slug="viet-lao")
    event = EventFactory(association=association)
    invitation = invite(event)
    db.session.commit()
    organiser, viewer = api(staff(association)), api(staff(association, Role.VIEWER))
    feeds = viewer.get("/api/v1/associations/viet-lao/feeds").json
    assert feeds["public_url"] == "http://eventsapp.test/feeds/associations/viet-lao.ics"
    old_private = feeds["private_url"]
    assert client.get(old_private.replace("http://eventsapp.test", "")).status_code == 200
    assert viewer.post("/api/v1/associations/viet-lao/feeds/revoke").status_code == 403
    renewed = organiser.post("/api/v1/associations/viet-lao/feeds/revoke").json
    assert renewed["private_url"] != old_private
    assert client.get(old_private.replace("http://eventsapp.test", "")).status_code == 404
    assert client.get(renewed["private_url"].replace("http://eventsapp.test", "")).status_code == 200
    item = organiser.get(f"/api/v1/events/{event.id}/invitations").json["items"][0]
    assert item["rsvp_url"] == f"http://eventsapp.test/rsvp/{invitation.token}"
    assert item["personal_feed_url"] == f"http://eventsapp.test/feeds/personal/{invitation.contact.feed_token}.ics"
    assert "rsvp_url" not in viewer.get(f"/api/v1/events/{event.id}/invitations").json["items"][0]
    assert api(staff(AssociationFactory())).get("/api/v1/associations/viet-lao/feeds").status_code == 403


# ---------------------------------------------------------------- 10. events and campaigns

@pytest.mark.slow
def test_events_page_with_a_cursor_past_a_thousand(api, db):
    association = AssociationFactory()
    start = utcnow().replace(microsecond=0)
    db.session.add_all([Event(association_id=association.id, slug=f"e-{n}", title_vi=f"Sự kiện {n}",
                              starts_at=start + timedelta(hours=n % 7), ends_at=start + timedelta(hours=8))
                        for n in range(1005)])
    db.session.commit()
    client = api(staff(association))
    seen, cursor = [], None
    while True:
        page = client.get("/api/v1/events", query_string={"limit": 500, **({"cursor": cursor} if cursor else {})}).json
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 1005
    assert client.get("/api/v1/events?cursor=nonsense").status_code == 400
    assert client.get("/api/v1/events?limit=0").status_code == 400


def test_an_event_created_published_and_the_default_visibility(api, db):
    association = AssociationFactory(slug="viet-han")
    client = api(staff(association))
    body = {"association": "viet-han", "title_vi": "Gặp mặt", "starts_at": "2027-03-01T19:00",
            "ends_at": "2027-03-01T21:00"}
    draft = client.post("/api/v1/events", json=body).json
    assert draft["status"] == "draft" and draft["visibility"] == "invite_only"
    published = client.post("/api/v1/events", json=body | {"publish": True, "visibility": "public"})
    assert published.status_code == 201 and published.json["status"] == "published"
    assert published.json["published_at"]
    assert client.post("/api/v1/events", json=body | {"publish": "yes"}).status_code == 400


# ---------------------------------------------------------------- 13. roles from the command line

def test_users_grant_and_revoke(runner, api, db):
    association = AssociationFactory(slug="viet-cuba")
    event = EventFactory(association=association)
    user = UserFactory(email="lan@hoi.vn")
    db.session.commit()
    client = api(user)
    assert client.get(f"/api/v1/events/{event.id}").status_code == 403
    granted = runner.invoke(args=["users", "grant", "lan@hoi.vn", "viewer", "viet-cuba"])
    assert granted.exit_code == 0 and "viewer" in granted.output
    assert client.get(f"/api/v1/events/{event.id}").status_code == 200
    assert client.patch(f"/api/v1/events/{event.id}", json={"title_en": "X"}).status_code == 403
    assert runner.invoke(args=["users", "grant", "lan@hoi.vn", "organiser", "viet-cuba"]).exit_code == 0
    assert client.patch(f"/api/v1/events/{event.id}", json={"title_en": "X"}).status_code == 200
    assert db.session.query(Membership).filter_by(user_id=user.id).count() == 1
    wrong = runner.invoke(args=["users", "revoke", "lan@hoi.vn", "viewer", "viet-cuba"])
    assert wrong.exit_code != 0 and "organiser" in wrong.output
    assert runner.invoke(args=["users", "revoke", "lan@hoi.vn", "organiser", "viet-cuba"]).exit_code == 0
    assert client.get(f"/api/v1/events/{event.id}").status_code == 403
    for args, message in ((["nobody@hoi.vn", "viewer", "viet-cuba"], "No account"),
                          (["lan@hoi.vn", "boss", "viet-cuba"], "Unknown role"),
                          (["lan@hoi.vn", "viewer", "khong-co"], "No association")):
        result = runner.invoke(args=["users", "grant", *args])
        assert result.exit_code != 0 and message in result.output, result.output


# ---------------------------------------------------------------- 14. the undeliverable mark

def test_the_undeliverable_mark_is_seen_by_the_api_as_on_the_pages_and_cleared_with_the_address(
        api, auth, client, db, app, monkeypatch):
    from sqlalchemy import select

    from eventsapp.inbound import services as inbound
    from eventsapp.invitations import services as invitations
    from eventsapp.mail import addresses
    from tests import inbound_support as mails

    monkeypatch.setitem(app.config, "MAIL_REPLY_ADDRESS", "rsvp@eventsapp.test")
    association = AssociationFactory(slug="viet-nhat")
    event = EventFactory(association=association)
    invitation = invite(event, status=InvitationStatus.PENDING, email="giang@example.vn")
    organiser = staff(association, locale="vi")
    db.session.commit()
    invitations.send_invitations(event.id)
    db.session.commit()
    row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.invitation_id == invitation.id))
    row.state = MessageState.SENT
    db.session.commit()
    inbound_id, _ = inbound.store(mails.dsn(addresses.tagged_address(row.id), "giang@example.vn"), "pipe", "")
    db.session.commit()
    inbound.process(inbound_id)

    auth.login(organiser)
    contact_id = invitation.contact_id
    assert "Không gửi được" in client.get(f"/contacts/{contact_id}").text
    assert "Không gửi được" in client.get(f"/events/{event.id}/invitations").text
    calls = api(organiser)
    contact = calls.get(f"/api/v1/contacts/{contact_id}").json
    assert contact["undeliverable"]["at"] and "5.1.1" in contact["undeliverable"]["reason"], contact
    item = calls.get(f"/api/v1/events/{event.id}/invitations").json["items"][0]
    assert item["undeliverable"] == contact["undeliverable"]
    listed = calls.get("/api/v1/contacts").json["items"]
    assert [c["undeliverable"] for c in listed] == [contact["undeliverable"]]

    edited = calls.patch(f"/api/v1/contacts/{contact_id}", json={"email": "giang.moi@example.vn"})
    assert edited.status_code == 200 and edited.json["undeliverable"] is None, edited.json
    assert "Không gửi được" not in client.get(f"/contacts/{contact_id}").text
    assert calls.get(f"/api/v1/contacts/{contact_id}").json["undeliverable"] is None
    assert calls.get(f"/api/v1/events/{event.id}/invitations").json["items"][0]["undeliverable"] is None
