"""Questions and open registration in Chromium on a phone (390 px), in Vietnamese and English: the organiser's
pages, the RSVP page answered with the questions, and the public page's registration form."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from eventsapp.events.models import EventStatus, Visibility
from eventsapp.questions import services as questions
from eventsapp.questions.models import QuestionKind
from eventsapp.registration.models import Registration, RegistrationSettings
from tests.factories import ContactFactory, EventFactory, InvitationFactory, staff
from tests.support.browser import sign_in

WORDS = {
    "vi": {"questions": "Câu hỏi", "add": "Thêm câu hỏi", "confirm": "Xác nhận câu trả lời", "attend": "Tôi sẽ tham dự",
           "meal": "Món chay", "thanks": "Xin cảm ơn", "register": "Đăng ký", "sent": "Xin kiểm tra email.",
           "name": "Họ và tên", "registration": "Mở đăng ký trên trang công khai"},
    "en": {"questions": "Questions", "add": "Add a question", "confirm": "Confirm my answer", "attend": "I will attend",
           "meal": "Vegetarian", "thanks": "Thank you", "register": "Register", "sent": "Please check your e-mail.",
           "name": "Full name", "registration": "Open for registration on the public page"},
}


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.mark.parametrize("language", ["vi", "en"])
def test_questions_and_registration_on_a_phone(db, live_server, browser, language):
    words = WORDS[language]
    event = EventFactory(status=EventStatus.PUBLISHED, visibility=Visibility.PUBLIC, max_guests=2)
    meal = questions.create_question(event, questions.QuestionValues(
        kind=QuestionKind.CHOICE, text_vi="Quý vị dùng món gì?", text_en="Which meal?", required=True,
        options=[("Món chay", "Vegetarian"), ("Món mặn", "Regular")]))
    questions.create_question(event, questions.QuestionValues(kind=QuestionKind.NUMBER, text_vi="Số trẻ em",
                                                              text_en="Children"))
    db.session.add(RegistrationSettings(event_id=event.id, is_open=True, needs_approval=False))
    invitation = InvitationFactory(event=event, contact=ContactFactory(language=language))
    organiser = staff(event.association, email=f"to-chuc-{language}@example.vn")
    db.session.commit()
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        # The invitee answers the questions on the RSVP page.
        page.goto(f"{live_server}/rsvp/{invitation.token}")
        page.get_by_label(words["attend"]).check()
        page.get_by_label(words["meal"]).check()
        no_sideways_scroll(page)
        page.get_by_role("button", name=words["confirm"]).click()
        page.get_by_text(words["thanks"]).first.wait_for()
        db.session.expire_all()
        assert questions.stored(questions.Person(invitation_id=invitation.id)) == {
            meal.id: str(meal.options[0]["key"])}

        # The public page's form, in the reader's language.
        if language == "en":
            page.goto(f"{live_server}/lang/en?next=/e/{event.slug}")
        page.goto(f"{live_server}/e/{event.slug}")
        page.get_by_label(words["name"]).fill("Phạm Thị Lan")
        page.locator("#registration-form input[name=email]").fill(f"lan-{language}@example.vn")
        page.locator(f"#registration-form input[name=question-{meal.id}]").first.check()
        no_sideways_scroll(page)
        page.locator("#registration-form button[type=submit]").click()
        page.get_by_text(words["sent"]).wait_for()
        no_sideways_scroll(page)
        db.session.expire_all()
        registration = db.session.scalar(select(Registration).where(Registration.email == f"lan-{language}@example.vn"))
        assert registration.language == language

        # The organiser's pages.
        sign_in(page, live_server, organiser.email)
        page.goto(f"{live_server}/events/{event.id}/questions")
        page.get_by_role("link", name=words["add"]).wait_for()
        assert "<strong>1</strong>" in page.content()  # one vegetarian meal among the people coming
        no_sideways_scroll(page)
        page.goto(f"{live_server}/events/{event.id}/questions/new")
        no_sideways_scroll(page)
        page.goto(f"{live_server}/events/{event.id}/registration")
        page.get_by_label(words["registration"]).wait_for()
        no_sideways_scroll(page)
        page.goto(f"{live_server}/events/{event.id}/invitations/{invitation.id}/answers")
        no_sideways_scroll(page)
    finally:
        context.close()
    assert errors == []
