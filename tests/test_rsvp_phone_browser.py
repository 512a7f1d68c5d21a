"""The RSVP page on a phone, in Chromium: the answer comes first, the details after; a waitlisted
invitee is told their place on the waiting list and what happens when a seat frees."""
from eventsapp.invitations import services
from eventsapp.invitations.models import InvitationStatus
from tests.factories import ContactFactory, EventFactory, InvitationFactory

LONG_DESCRIPTION = "\n\n".join(
    f"## Phần {n}\n\nChương trình giao lưu văn hóa, ẩm thực và văn nghệ của kiều bào, kéo dài cả buổi tối."
    for n in range(1, 9))


def test_the_answer_form_comes_before_the_description(live_server, phone_page, db):
    event = EventFactory(description_vi=LONG_DESCRIPTION)
    invitation = InvitationFactory(event=event)
    db.session.commit()
    page = phone_page
    page.goto(f"{live_server}/rsvp/{invitation.token}")
    form = page.locator("form#rsvp-form")
    confirm = page.get_by_role("button", name="Xác nhận câu trả lời")
    description = page.get_by_role("heading", name="Phần 1")
    assert form.bounding_box()["y"] < description.bounding_box()["y"]
    # The choices are on the first screen, without scrolling.
    assert page.get_by_label("Tôi sẽ tham dự").bounding_box()["y"] < 844
    assert confirm.bounding_box()["y"] < description.bounding_box()["y"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator("a[lang]").count() == 0  # the page speaks the invitee's language: no switch that does nothing

    page.get_by_label("Tôi sẽ tham dự").check()
    confirm.click()
    page.get_by_text("câu trả lời của Quý vị đã được ghi nhận").wait_for()


def test_a_waitlisted_invitee_learns_their_place_and_what_happens_next(live_server, phone_page, db):
    event = EventFactory(capacity=1)
    first, second, third = (InvitationFactory(event=event, contact=ContactFactory()) for _ in range(3))
    services.answer(first, "accepted", guests=0)
    services.answer(second, "accepted", guests=0)
    services.answer(third, "accepted", guests=0)
    db.session.commit()
    assert third.status == InvitationStatus.WAITLISTED
    page = phone_page
    page.goto(f"{live_server}/rsvp/{third.token}")
    notice = page.locator("#waitlist-notice")
    text = notice.inner_text()
    assert "vị trí thứ 2" in text
    assert "tự động" in text and "thư" in text  # a freed seat goes to the first waiter, who is e-mailed
    assert notice.bounding_box()["y"] < 844

    english = InvitationFactory(event=event, contact=ContactFactory(language="en"))
    services.answer(english, "accepted", guests=0)
    db.session.commit()
    page.goto(f"{live_server}/rsvp/{english.token}")
    assert "number 3 on the waiting list" in page.locator("#waitlist-notice").inner_text()
