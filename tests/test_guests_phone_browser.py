"""The guests' and the delegation leader's pages on a phone (390 px), in Chromium, in both languages: an
invitee names two guests, a leader adds and changes members, without sideways scrolling."""
from __future__ import annotations

from sqlalchemy import select

from eventsapp.guests.models import Delegation, EventGuest
from eventsapp.invitations.models import InvitationStatus
from eventsapp.questions import services as questions
from eventsapp.questions.models import QuestionKind
from tests.conftest import ARTIFACTS
from tests.factories import ContactFactory, EventFactory, InvitationFactory

MEMBERS_MEAL = questions.QuestionValues(kind=QuestionKind.CHOICE, text_vi="Quý vị dùng món gì?", text_en="Which meal?",
                                        options=[("Món chay", "Vegetarian"), ("Món mặn", "Regular")], required=True,
                                        for_invitees=False, for_members=True)



def test_an_invitee_names_two_guests_on_a_phone(live_server, phone_page, db):
    event = EventFactory(max_guests=2, guests_must_be_named=True)
    invitation = InvitationFactory(event=event, contact=ContactFactory(full_name="Nguyễn Văn An"))
    db.session.commit()
    page = phone_page
    page.goto(f"{live_server}/rsvp/{invitation.token}")
    page.get_by_label("Tôi sẽ tham dự").check()
    page.get_by_role("button", name="Xác nhận câu trả lời").click()
    page.get_by_role("link", name="Ghi tên hoặc sửa khách đi cùng").click()
    page.locator("#guest-0-honorific").fill("Bà")
    page.locator("#guest-0-full_name").fill("Trần Thị Bình")
    page.locator("#guest-1-full_name").fill("Nguyễn Minh Châu")
    page.locator("#guest-1-phone").fill("+84 912 345 678")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "guests-named-phone.png"), full_page=True)
    page.get_by_role("button", name="Lưu tên khách").click()
    page.get_by_text("Đã lưu tên khách đi cùng.").wait_for()
    assert "Khách đi cùng: 2." in page.locator("#guest-count").inner_text()
    page.get_by_role("link", name="Quay lại").click()
    assert "Bà Trần Thị Bình" in page.locator("#rsvp-named-guests").inner_text()
    db.session.expire_all()
    assert db.session.get(type(invitation), invitation.id).status == InvitationStatus.ACCEPTED


def test_a_leader_fills_their_delegation_on_a_phone_in_english(live_server, phone_page, db):
    event = EventFactory(delegations_ask_passport=True)
    leader = ContactFactory(full_name="Tanaka Hiroshi", language="en")
    delegation = Delegation(event_id=event.id, name="Japan–Vietnam Friendship Society, Osaka", quota=2,
                            leader_contact_id=leader.id)
    db.session.add(delegation)
    meal = questions.create_question(event, MEMBERS_MEAL)
    db.session.commit()
    page = phone_page
    page.goto(f"{live_server}/delegation/{delegation.token}")
    assert "0 of 2 places filled." in page.locator("#quota").inner_text()
    form = page.locator("#add-member")
    form.get_by_label("Full name").fill("Sato Yuki")
    form.get_by_label("Position").fill("Secretary")
    form.get_by_label("Vegetarian").check()
    form.get_by_label("Nationality").fill("Japanese")
    form.get_by_label("Passport number").fill("TZ1234567")
    form.get_by_label("Passport valid until").fill("2031-05-01")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    form.get_by_role("button", name="Add this member").click()
    page.get_by_text("Sato Yuki is added to the delegation.").wait_for()
    page.locator("#add-member").get_by_label("Full name").fill("Ito Ken")
    page.locator("#add-member").get_by_role("button", name="Add this member").click()
    page.get_by_text("Please answer this question.").wait_for()  # the meal, required of members
    page.locator("#add-member").get_by_label("Regular").check()
    page.locator("#add-member").get_by_role("button", name="Add this member").click()
    page.get_by_text("All places are filled.").wait_for()
    card = page.locator("#member-2")
    card.get_by_label("Full name").fill("Ito Kenji")
    card.get_by_role("button", name="Save").click()
    page.get_by_text("The details of Ito Kenji are saved.").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "delegation-phone.png"), full_page=True)
    db.session.expire_all()
    names = db.session.scalars(select(EventGuest.full_name).where(EventGuest.delegation_id == delegation.id)
                               .order_by(EventGuest.id)).all()
    assert names == ["Sato Yuki", "Ito Kenji"]
    chosen = [questions.stored(questions.Person(guest_id=guest_id)).get(meal.id) for guest_id in db.session.scalars(
        select(EventGuest.id).where(EventGuest.delegation_id == delegation.id).order_by(EventGuest.id))]
    assert chosen == [str(key) for key in (meal.options[0]["key"], meal.options[1]["key"])]


def test_the_guests_and_delegation_pages_have_no_serious_accessibility_violation(live_server, browser, db):
    from tests.test_accessibility_browser import PHONE, serious_violations

    event = EventFactory(max_guests=2, delegations_ask_passport=True)
    invitation = InvitationFactory(event=event, status=InvitationStatus.ACCEPTED, guests=1)
    db.session.add(EventGuest(event_id=event.id, invitation_id=invitation.id, full_name="Trần Thị Bình"))
    leader = ContactFactory()
    delegation = Delegation(event_id=event.id, name="Đoàn Osaka", quota=3, leader_contact_id=leader.id)
    delegation.members.append(EventGuest(event_id=event.id, full_name="Sato Yuki"))
    db.session.add(delegation)
    questions.create_question(event, MEMBERS_MEAL)  # asked in each member's form and the new member's
    db.session.commit()
    context = browser.new_context(bypass_csp=True, **PHONE)
    page = context.new_page()
    try:
        for path in (f"/rsvp/{invitation.token}", f"/rsvp/{invitation.token}/guests", f"/delegation/{delegation.token}"):
            page.goto(f"{live_server}{path}")
            assert serious_violations(page) == [], path
    finally:
        context.close()
