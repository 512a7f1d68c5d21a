"""The organiser's invitation pages and the API: permissions, adding, sending, export, resend, revoke."""
from __future__ import annotations

import csv
import io

from sqlalchemy import select

from eventsapp.invitations.models import Invitation
from eventsapp.mail.models import OutboxMessage
from tests.factories import AssociationFactory, CampaignFactory, ContactFactory, EventFactory, staff


def setup_event(db):
    association = AssociationFactory()
    event = EventFactory(association=association, max_guests=1)
    organiser = staff(association)
    return association, event, organiser


def test_an_organiser_of_another_association_is_refused(client, auth, api, db):
    _, event, _ = setup_event(db)
    stranger = staff(AssociationFactory())
    auth.login(stranger)
    assert client.get(f"/events/{event.id}/invitations").status_code == 403
    assert client.get(f"/events/{event.id}/invitations.csv").status_code == 403
    assert client.post(f"/events/{event.id}/invitations/send").status_code in (400, 403)
    caller = api(stranger)
    assert caller.get(f"/api/v1/events/{event.id}/invitations").status_code == 403
    assert caller.post(f"/api/v1/events/{event.id}/invitations", json={"emails": ["a@example.vn"]}).status_code == 403
    assert caller.post(f"/api/v1/events/{event.id}/invitations/send").status_code == 403
    assert db.session.scalar(select(Invitation.id)) is None


def test_the_organiser_adds_by_email_sends_filters_and_exports(client, auth, db):
    association, event, organiser = setup_event(db)
    huong = ContactFactory(full_name="Đỗ Thị Hương", email="huong@example.vn", associations=[association])
    ContactFactory(full_name="Vũ Văn Nam", email="nam@example.vn", associations=[association])
    auth.login(organiser)
    url = f"/events/{event.id}/invitations"
    page = client.get(url)
    assert page.status_code == 200 and "Thêm khách mời" in page.text
    response = auth.post(url, {"emails": "huong@example.vn\nnam@example.vn, ai-do@example.vn", "association_id": "0",
                               "language": ""}, follow_redirects=True)
    assert "Đã thêm 2 khách mời" in response.text and "ai-do@example.vn" in response.text
    response = auth.post(f"{url}/send", form_url=url, follow_redirects=True)
    assert "Đang gửi 2 thư mời" in response.text
    assert 'data-progress-url="/mail/sends/' in response.text and "js/progress.js" in response.text
    assert len(db.session.scalars(select(OutboxMessage)).all()) == 2
    found = client.get(f"{url}?q=huong")
    assert "Đỗ Thị Hương" in found.text and "Vũ Văn Nam" not in found.text
    export = client.get(f"/events/{event.id}/invitations.csv")
    assert export.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(export.data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Sự kiện", "Họ và tên", "Email"]
    assert {r[1] for r in rows[1:]} == {"Đỗ Thị Hương", "Vũ Văn Nam"}
    invitation = db.session.scalar(select(Invitation).where(Invitation.contact_id == huong.id))
    auth.post(f"{url}/{invitation.id}/resend", form_url=url)
    assert len(db.session.scalars(select(OutboxMessage)).all()) == 3
    old = invitation.token
    auth.post(f"{url}/{invitation.id}/revoke", form_url=url)
    assert client.get(f"/rsvp/{old}").status_code == 404
    auth.post(f"{url}/{invitation.id}/regenerate", form_url=url)
    db.session.expire_all()
    assert invitation.token != old and client.get(f"/rsvp/{invitation.token}").status_code == 200


def test_the_campaign_page_adds_to_every_event_and_sends_one_mail_per_contact(client, auth, db):
    association = AssociationFactory()
    campaign = CampaignFactory(association=association)
    EventFactory(association=association, campaign=campaign)
    EventFactory(association=association, campaign=campaign)
    contact = ContactFactory()
    contact.associations.append(association)
    db.session.commit()
    auth.login(staff(association))
    url = f"/campaigns/{campaign.id}/invitations"
    response = auth.post(url, {"association_id": str(association.id), "include_branches": "y"}, follow_redirects=True)
    assert "Đã thêm 2 khách mời" in response.text
    response = auth.post(f"{url}/send", form_url=url, follow_redirects=True)
    assert "Đang gửi 1 thư mời" in response.text


def test_the_api_adds_sends_reports_progress_and_lists(api, db):
    association, event, organiser = setup_event(db)
    contacts = [ContactFactory(associations=[association]) for _ in range(3)]
    caller = api(organiser)
    response = caller.post(f"/api/v1/events/{event.id}/invitations",
                           json={"contact_ids": [c.id for c in contacts[:2]], "emails": [contacts[2].email, "x@y.vn"]})
    assert response.status_code == 201
    assert response.json["added"] == 3 and response.json["unknown_emails"] == ["x@y.vn"]
    assert caller.post(f"/api/v1/events/{event.id}/invitations", json={}).status_code == 400
    assert caller.post(f"/api/v1/events/{event.id}/invitations", json={"tags": "x"}).status_code == 400
    sent = caller.post(f"/api/v1/events/{event.id}/invitations/send")
    assert sent.status_code == 202 and sent.json["queued"] == 3
    progress = caller.get(sent.json["progress_url"])
    assert progress.json == {"queued": 3, "sending": 0, "sent": 0, "failed": 0, "total": 3, "done": False,
                             "scheduled_for": None, "waiting_for_time": 0, "last_due_at": None,
                             "channels": {"email": {"queued": 3, "waiting_for_time": 0, "sending": 0, "sent": 0,
                                                    "delivered": None, "failed": 0, "total": 3}}}
    assert caller.get(f"/api/v1/events/{event.id}/invitations/sends/nope").status_code == 404
    listed = caller.get(f"/api/v1/events/{event.id}/invitations?status=pending")
    assert len(listed.json["items"]) == 3 and listed.json["counts"]["pending"] == 3
    spec = caller.get("/api/v1/openapi.json").json
    assert "/events/{event_id}/invitations" in spec["paths"]
    assert "post" in spec["paths"]["/events/{event_id}/invitations"]
    assert "/events/{event_id}/invitations/sends/{send_id}" in spec["paths"]


def test_resend_is_offered_only_once_something_was_sent(auth, client, db):
    """Before the first send there is nothing to send again: no "Gửi lại" on the invitee's row."""
    import re

    from eventsapp.invitations import services as invitation_services
    from tests.factories import ContactFactory, EventFactory, InvitationFactory, staff

    event = EventFactory()
    InvitationFactory(event=event, contact=ContactFactory(full_name="Chưa Gửi", email="chua.gui@example.vn"))
    auth.login(staff(event.association))

    def row_text() -> str:
        page = client.get(f"/events/{event.id}/invitations").text
        row = re.search(r"<tr>(?:(?!</tr>).)*chua\.gui@example\.vn.*?</tr>", page, re.S).group(0)
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row))

    assert "Gửi lại" not in row_text()
    invitation_services.send_invitations(event.id)
    db.session.commit()
    assert "Gửi lại" in row_text()
