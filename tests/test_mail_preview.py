"""Before a bulk send: the e-mail as a chosen invitee gets it, and a test copy to the organiser."""
from __future__ import annotations

import email
from email import policy

from sqlalchemy import select

from eventsapp.invitations.models import InvitationStatus
from eventsapp.mail.models import MessageKind, OutboxMessage
from tests.factories import AssociationFactory, ContactFactory, EventFactory, InvitationFactory, staff
from tests.support.browser import sign_in
from tests.test_mail_content import tet_gathering


def setting(db):
    association = AssociationFactory(name_vi="Hội hữu nghị Việt – Nhật", name_en="Vietnam–Japan Friendship Association")
    event = tet_gathering(association)
    vi = InvitationFactory(event=event, contact=ContactFactory(full_name="An Văn Bình", language="vi"))
    en = InvitationFactory(event=event, contact=ContactFactory(full_name="Berta Klein", language="en",
                                                               timezone="Europe/Berlin"))
    return event, vi, en, staff(association, email="to-chuc@example.vn")


def test_the_organiser_previews_the_email_as_each_invitee_gets_it(db, page, live_server):
    event, vi, en, organiser = setting(db)
    sign_in(page, live_server, organiser.email)
    page.goto(f"{live_server}/events/{event.id}/invitations")
    page.click("#preview-link")
    assert page.locator("#preview-headers").inner_text().count("Thư mời: Gặp mặt đón Tết") == 1
    frame = page.frame_locator("#preview-html")
    body = frame.locator("body").inner_text()
    assert "Kính gửi: An Văn Bình" in body and "Chương trình" in body and "##" not in body
    assert frame.locator(f"a[href$='/rsvp/{vi.token}?answer=accepted']").count() == 1
    # Another invitee: their language, their zone, their links.
    page.select_option("#p-invitation", str(en.id))
    page.click("#preview-choice button[type=submit]")
    frame = page.frame_locator("#preview-html")
    body = frame.locator("body").inner_text()
    assert "Dear Berta Klein" in body and "Germany (Berlin) Time (UTC+1)" in body and "Programme" in body
    assert frame.locator(f"a[href$='/rsvp/{en.token}?answer=declined']").count() == 1
    # The inline QR code is shown (cid: resolved) and the frame runs under its own strict policy.
    assert frame.locator("img[src^='data:image/png;base64,']").count() == 1
    response = page.request.get(f"{live_server}/events/{event.id}/invitations/{en.id}/preview.html")
    policy_header = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy_header and "script-src" not in policy_header
    assert page.locator("#preview-html").get_attribute("sandbox") == ""
    assert db.session.scalar(select(OutboxMessage.id)) is None  # a preview queues nothing


def test_a_test_copy_goes_to_the_organiser_through_the_worker_and_answers_nothing(db, page, live_server,
                                                                                  celery_worker, smtp_sink, client):
    event, vi, en, organiser = setting(db)
    sign_in(page, live_server, organiser.email)
    page.goto(f"{live_server}/events/{event.id}/invitations/preview?invitation={en.id}")
    page.click("#send-test button[type=submit]")
    assert "to-chuc@example.vn" in page.locator(".alert").first.inner_text()
    [received] = smtp_sink.wait_for(1, timeout=60)
    assert received.recipients == ["to-chuc@example.vn"]
    message = email.message_from_bytes(received.data, policy=policy.default)
    assert message["Subject"] == "[TEST] Invitation: Tết gathering"
    assert "Berta Klein" not in str(message["To"]) or "to-chuc@example.vn" in str(message["To"])
    html = message.get_body(("html",)).get_content()
    page.set_content(html)
    assert "Dear Berta Klein" in page.inner_text("body")
    assert en.token not in received.data.decode("ascii", "replace")
    assert en.contact.unsubscribe_token not in received.data.decode("ascii", "replace")
    # Each stand-in link opens a page that says it is a test copy and what the invitee would see there.
    # The organiser reads that page in her own language (Vietnamese), whatever the copy's.
    stand_ins = {"Accept": "mở trang trả lời của họ, chọn sẵn “Tôi sẽ tham dự”",
                 ".ics file": "tải sự kiện về để thêm vào lịch của họ",
                 "personal calendar": "lịch riêng của họ, gồm các sự kiện họ được mời",
                 "Unsubscribe": "thôi nhận thư của hội"}
    for text, expected in stand_ins.items():
        link = page.locator("a", has_text=text).first.get_attribute("href").replace("http://eventsapp.test", "")
        response = client.get(link, follow_redirects=True)
        seen = response.text
        assert response.status_code == 200, link
        assert "Đây là thư gửi thử" in seen and expected in seen and "Không tìm thấy" not in seen, link
        assert "Không có gì được ghi nhận" in seen
    assert client.get("/unsubscribe/test-copy").status_code == 200
    db.session.expire_all()
    assert en.status == InvitationStatus.PENDING
    row = db.session.scalar(select(OutboxMessage))
    assert row.kind == MessageKind.TEST and row.event_id is None and row.invitation_id is None


def test_only_the_events_organisers_may_preview(db, client, auth):
    event, vi, en, organiser = setting(db)
    other = staff(AssociationFactory())
    auth.login(other)
    assert client.get(f"/events/{event.id}/invitations/preview").status_code == 403
    assert client.get(f"/events/{event.id}/invitations/{vi.id}/preview.html").status_code == 403
    auth.login(organiser)
    stranger = InvitationFactory(event=EventFactory(association=other.memberships[0].association))
    assert client.get(f"/events/{event.id}/invitations/{stranger.id}/preview.html").status_code == 404
    assert client.get(f"/events/{event.id}/invitations/preview?kind=reminder").status_code == 404
