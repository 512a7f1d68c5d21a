"""A reminder rule shows the e-mail its recipients will get, as the invitations' preview does."""
from __future__ import annotations

from sqlalchemy import select

from eventsapp.invitations.models import InvitationStatus
from eventsapp.mail.models import OutboxMessage
from tests.factories import staff
from tests.reminders_helpers import invite, make_event, rule
from tests.support.browser import sign_in


def test_the_organiser_sees_the_reminder_as_each_recipient_gets_it(db, page, live_server):
    event = make_event(title_vi="Gặp mặt đón Tết", title_en="Tết gathering")
    vi = invite(event, InvitationStatus.ACCEPTED, full_name="An Văn Bình", language="vi")
    en = invite(event, InvitationStatus.PENDING, full_name="Berta Klein", language="en", timezone="Europe/Berlin")
    invite(event, InvitationStatus.DECLINED, full_name="Không Đến")  # outside the audience
    reminder = rule(event, message_vi="Xin mang theo giấy mời.", message_en="Please bring your invitation.")
    organiser = staff(event.association)
    db.session.commit()
    sign_in(page, live_server, organiser.email)
    page.goto(f"{live_server}/events/{event.id}/reminders")
    page.get_by_role("link", name="Xem thư sẽ gửi").first.click()
    assert "Gặp mặt đón Tết" in page.locator("#preview-headers").inner_text()
    frame = page.frame_locator("#preview-html")
    body = frame.locator("body").inner_text()
    assert "An Văn Bình" in body and "Xin mang theo giấy mời." in body
    names = page.locator("#p-invitation option").all_inner_texts()
    assert any("Berta Klein" in name for name in names) and not any("Không Đến" in name for name in names)
    page.select_option("#p-invitation", str(en.id))
    page.click("#preview-choice button[type=submit]")
    body = page.frame_locator("#preview-html").locator("body").inner_text()
    assert "Berta Klein" in body and "Please bring your invitation." in body and "Germany (Berlin) Time" in body
    assert page.locator("#preview-html").get_attribute("sandbox") == ""
    assert db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.kind == "reminder")) is None
    assert vi and reminder


def test_only_the_events_organisers_see_a_rules_preview(db, client, auth):
    from tests.factories import AssociationFactory

    event = make_event()
    invite(event, InvitationStatus.ACCEPTED)
    reminder = rule(event)
    auth.login(staff(AssociationFactory()))
    assert client.get(f"/events/{event.id}/reminders/{reminder.id}/preview").status_code == 403
