"""The RSVP page in Chromium: follow the Accept button of the e-mail, add a guest, confirm."""
from __future__ import annotations

from sqlalchemy import select

from eventsapp.invitations.models import Invitation, InvitationStatus
from tests.factories import ContactFactory, EventFactory, InvitationFactory


def test_accept_with_one_guest_in_the_browser(db, live_server, page):
    invitation = InvitationFactory(event=EventFactory(max_guests=2, title_vi="Đêm hội Xuân Quê hương"),
                                   contact=ContactFactory(full_name="Hoàng Minh Đức"))
    page.goto(f"{live_server}/rsvp/{invitation.token}?answer=accepted")
    assert page.get_by_role("heading", name="Đêm hội Xuân Quê hương").is_visible()
    assert page.get_by_label("Tôi sẽ tham dự").is_checked()
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).status == InvitationStatus.PENDING
    page.get_by_label("Số khách đi cùng").fill("1")
    page.get_by_label("Ghi chú").fill("Tôi sẽ đến cùng bạn đời")
    page.get_by_role("button", name="Xác nhận câu trả lời").click()
    page.get_by_text("Xin cảm ơn, câu trả lời của Quý vị đã được ghi nhận: Tham dự.").wait_for()
    assert "Khách đi cùng: 1." in page.locator("#current-status").inner_text()
    db.session.expire_all()
    saved = db.session.scalar(select(Invitation).where(Invitation.id == invitation.id))
    assert (saved.status, saved.guests, saved.comment) == (InvitationStatus.ACCEPTED, 1, "Tôi sẽ đến cùng bạn đời")
