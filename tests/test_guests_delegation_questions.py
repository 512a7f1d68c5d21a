"""The delegation page asks each member the event's questions meant for delegation members (issue 27): checked and
stored like the RSVP page's answers (required ones, deadlines, hostile values refused in the reader's language,
nothing changed), shown where the other answers are (invitation list, guests tab, summary, export)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from eventsapp.associations.models import Role
from eventsapp.guests.models import Delegation, EventGuest
from eventsapp.questions import services
from eventsapp.questions.models import QuestionAnswer, QuestionKind
from eventsapp.timeutils import utcnow
from tests.conftest import csrf_token_from
from tests.factories import ContactFactory, EventFactory, staff

MEAL = services.QuestionValues(kind=QuestionKind.CHOICE, text_vi="Quý vị dùng món gì?", text_en="Which meal?",
                               options=[("Món chay", "Vegetarian"), ("Món mặn", "Regular")], required=True,
                               for_invitees=True, for_members=True)
ALLERGY = services.QuestionValues(kind=QuestionKind.TEXT, text_vi="Dị ứng thực phẩm", text_en="Food allergies",
                                  for_invitees=False, for_members=True)
INVITEES_ONLY = services.QuestionValues(kind=QuestionKind.TEXT, text_vi="Số người đi cùng xe", for_invitees=True)


def _setup(db, client, auth, *, leader_language="vi", name="Hội người Bắc Giang tại Séc", event=None):
    event = event or EventFactory(title_vi="Gặp mặt Xuân Quê hương 2027")
    email = f"truong-doan-{leader_language}-{event.id}-{len(name)}@example.cz"
    ContactFactory(full_name="Nguyễn Văn Hùng", email=email, language=leader_language,
                   associations=[event.association])
    auth.login(staff(event.association, Role.ORGANISER))
    assert auth.post(f"/events/{event.id}/delegations", {"name": name, "leader_email": email, "quota": "5"},
                     form_url=f"/events/{event.id}/guests").status_code == 303
    client.get("/logout")
    delegation = db.session.scalar(select(Delegation).where(Delegation.event_id == event.id, Delegation.name == name))
    return event, delegation


def _questions(db, event):
    made = [services.create_question(event, values) for values in (MEAL, ALLERGY, INVITEES_ONLY)]
    db.session.commit()
    return made


def _key(question, vi: str) -> int:
    return next(option["key"] for option in question.options if option["vi"] == vi)


def _post(client, token, path="members", **values):
    page = client.get(f"/delegation/{token}")
    return client.post(f"/delegation/{token}/{path}", data={"csrf_token": csrf_token_from(page.text), **values})


def _answers(db, member_id) -> dict:
    db.session.expire_all()
    return services.stored(services.Person(guest_id=member_id))


def _member(db, name):
    db.session.expire_all()
    return db.session.scalar(select(EventGuest).where(EventGuest.full_name == name))


def test_each_member_answers_the_members_questions_on_the_delegation_page(client, auth, db):
    event, delegation = _setup(db, client, auth)
    meal, allergy, invitees_only = _questions(db, event)
    page = client.get(f"/delegation/{delegation.token}").text
    new_form = page.split('id="add-member"')[1]
    assert "Quý vị dùng món gì?" in new_form and "Dị ứng thực phẩm" in new_form
    assert "Số người đi cùng xe" not in page  # asked of invitees only
    assert f'name="new-question-{meal.id}"' in new_form

    # The required question unanswered: refused in Vietnamese, nobody added.
    refused = _post(client, delegation.token, full_name="Nguyễn Thị Lan")
    assert refused.status_code == 400
    assert "Xin sửa lại các câu trả lời được đánh dấu bên dưới." in refused.text
    assert "Xin trả lời câu hỏi này." in refused.text and 'value="Nguyễn Thị Lan"' in refused.text
    assert _member(db, "Nguyễn Thị Lan") is None

    assert _post(client, delegation.token, full_name="Nguyễn Thị Lan", **{
        f"new-question-{meal.id}": str(_key(meal, "Món chay")),
        f"new-question-{allergy.id}": "Hải sản"}).status_code == 303
    lan = _member(db, "Nguyễn Thị Lan")
    assert _answers(db, lan.id) == {meal.id: str(_key(meal, "Món chay")), allergy.id: "Hải sản"}
    page = client.get(f"/delegation/{delegation.token}").text
    lan_form = page.split('id="member-1"')[1].split('id="add-member"')[0]
    assert f'id="m{lan.id}-question-{meal.id}-{_key(meal, "Món chay")}" value="{_key(meal, "Món chay")}" checked' \
        in lan_form and 'value="Hải sản"' in lan_form

    # Her answers changed with her details; an emptied optional answer is removed.
    assert _post(client, delegation.token, f"members/{lan.id}", full_name="Nguyễn Thị Lan", **{
        f"m{lan.id}-question-{meal.id}": str(_key(meal, "Món mặn")),
        f"m{lan.id}-question-{allergy.id}": ""}).status_code == 303
    assert _answers(db, lan.id) == {meal.id: str(_key(meal, "Món mặn"))}

    # Where the other answers are: the invitation list's delegations, the guests tab, the summary, the export.
    auth.login(staff(event.association, Role.VIEWER))
    listed = client.get(f"/events/{event.id}/invitations").text.split('id="delegations"')[1]
    assert "Nguyễn Thị Lan" in listed and "Quý vị dùng món gì?: <strong>Món mặn</strong>" in listed
    tab = client.get(f"/events/{event.id}/guests").text
    assert "Quý vị dùng món gì?: <strong>Món mặn</strong>" in tab
    summary = services.summaries(event.id, "vi")[0]
    assert (summary.answered, summary.coming) == (1, 1)
    export = client.get(f"/events/{event.id}/questions/answers.csv").data.decode("utf-8-sig")
    assert "Thành viên đoàn,Nguyễn Thị Lan" in export and "Món mặn" in export


@pytest.mark.parametrize(("field", "value", "message"), [
    ("allergy", "x" * 10_000, "Tối đa 500 ký tự"),
    ("allergy", "a\u2028b", "một dòng"),
    ("meal", "999", "Chọn một trong các lựa chọn"),
    ("meal", str(2**63), "Chọn một trong các lựa chọn"),
    ("meal", "{}", "Chọn một trong các lựa chọn"),
    ("meal", "javascript:alert(1)", "Chọn một trong các lựa chọn"),
])
def test_hostile_answers_are_refused_in_the_readers_language_and_change_nothing(client, auth, db, field, value,
                                                                                message):
    event, delegation = _setup(db, client, auth)
    meal, allergy, _invitees_only = _questions(db, event)
    assert _post(client, delegation.token, full_name="Trần Văn Minh", **{
        f"new-question-{meal.id}": str(_key(meal, "Món chay"))}).status_code == 303
    minh = _member(db, "Trần Văn Minh")
    before = _answers(db, minh.id)
    question = meal if field == "meal" else allergy
    sent = {f"m{minh.id}-question-{meal.id}": str(_key(meal, "Món mặn")), f"m{minh.id}-question-{question.id}": value}
    refused = _post(client, delegation.token, f"members/{minh.id}", full_name="Trần Văn Minh Tuấn", **sent)
    assert refused.status_code == 400 and message in refused.text
    assert _answers(db, minh.id) == before and _member(db, "Trần Văn Minh") is not None  # the name unchanged too
    # The same on the new member's form: nobody added.
    refused = _post(client, delegation.token, full_name="Lê Thị Hoa", **{
        f"new-question-{meal.id}": str(_key(meal, "Món chay")), f"new-question-{question.id}": value})
    assert refused.status_code == 400 and message in refused.text
    assert _member(db, "Lê Thị Hoa") is None


def test_a_nul_or_a_line_break_in_an_answer_is_refused_before_the_page(client, auth, db):
    event, delegation = _setup(db, client, auth)
    meal, allergy, _invitees_only = _questions(db, event)
    for value in ("a\x00b", "a\r\nb"):
        refused = _post(client, delegation.token, full_name="Phạm Văn Đức", **{
            f"new-question-{meal.id}": str(_key(meal, "Món chay")), f"new-question-{allergy.id}": value})
        assert refused.status_code == 400
    assert db.session.scalar(select(func.count(EventGuest.id))) == 0


def test_the_messages_are_in_english_for_an_english_speaking_leader(client, auth, db):
    event, delegation = _setup(db, client, auth, leader_language="en")
    meal, _allergy, _invitees_only = _questions(db, event)
    page = client.get(f"/delegation/{delegation.token}").text
    assert "Which meal?" in page and "Vegetarian" in page and "Food allergies" in page
    refused = _post(client, delegation.token, full_name="John Smith")
    assert refused.status_code == 400
    assert "Please correct the answers marked below." in refused.text and "Please answer this question." in refused.text
    refused = _post(client, delegation.token, full_name="John Smith", **{f"new-question-{meal.id}": "7"})
    assert "Choose one of the options." in refused.text


def test_after_its_deadline_a_members_question_is_closed_and_its_answer_ignored(client, auth, db):
    event, delegation = _setup(db, client, auth)
    flight = services.create_question(event, services.QuestionValues(
        kind=QuestionKind.TEXT, text_vi="Số hiệu chuyến bay", for_invitees=False, for_members=True, required=True,
        deadline=utcnow() - timedelta(hours=1)))
    db.session.commit()
    page = client.get(f"/delegation/{delegation.token}").text
    assert "Câu hỏi này đã hết hạn trả lời." in page
    # Closed: the required question binds nobody any more, and what is sent for it is not kept.
    assert _post(client, delegation.token, full_name="Vũ Thị Mai", **{
        f"new-question-{flight.id}": "VN55"}).status_code == 303
    assert _answers(db, _member(db, "Vũ Thị Mai").id) == {}


def test_csrf_and_another_delegations_link_change_no_answer(client, auth, db):
    event, mine = _setup(db, client, auth)
    meal, allergy, _invitees_only = _questions(db, event)
    _event, theirs = _setup(db, client, auth, name="Hội người Việt Nam tại Ukraina", event=event)
    assert _post(client, theirs.token, full_name="Olena Kovalenko", **{
        f"new-question-{meal.id}": str(_key(meal, "Món chay")), f"new-question-{allergy.id}": "Không"}).status_code == 303
    olena = _member(db, "Olena Kovalenko")
    theirs_answers = _answers(db, olena.id)

    # Without the form's token: refused, nothing stored.
    forged = client.post(f"/delegation/{mine.token}/members", data={
        "full_name": "Kẻ giả mạo", f"new-question-{meal.id}": str(_key(meal, "Món mặn"))})
    assert forged.status_code == 400 and _member(db, "Kẻ giả mạo") is None
    forged = client.post(f"/delegation/{theirs.token}/members/{olena.id}", data={
        "full_name": "Olena Kovalenko", f"m{olena.id}-question-{meal.id}": str(_key(meal, "Món mặn"))})
    assert forged.status_code == 400 and _answers(db, olena.id) == theirs_answers

    # My link does not reach their member: 404, their answers unchanged.
    for path in (f"members/{olena.id}", f"members/{olena.id}/remove"):
        response = _post(client, mine.token, path, full_name="Olena Kovalenko", **{
            f"m{olena.id}-question-{meal.id}": str(_key(meal, "Món mặn")),
            f"m{olena.id}-question-{allergy.id}": "Đã đổi"})
        assert response.status_code == 404
    assert _answers(db, olena.id) == theirs_answers
    assert "Olena" not in client.get(f"/delegation/{mine.token}").text
    assert db.session.scalar(select(func.count(QuestionAnswer.id))) == 2


def test_after_the_delegations_deadline_the_answers_are_shown_and_no_longer_changed(client, auth, db):
    event, delegation = _setup(db, client, auth)
    meal, _allergy, _invitees_only = _questions(db, event)
    assert _post(client, delegation.token, full_name="Đỗ Văn Nam", **{
        f"new-question-{meal.id}": str(_key(meal, "Món chay"))}).status_code == 303
    nam = _member(db, "Đỗ Văn Nam")
    csrf = csrf_token_from(client.get(f"/delegation/{delegation.token}").text)
    found = db.session.get(Delegation, delegation.id)
    found.deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    page = client.get(f"/delegation/{delegation.token}").text
    assert "Quý vị dùng món gì?: <strong>Món chay</strong>" in page and f"m{nam.id}-question-" not in page
    refused = client.post(f"/delegation/{delegation.token}/members/{nam.id}", data={
        "csrf_token": csrf, "full_name": "Đỗ Văn Nam", f"m{nam.id}-question-{meal.id}": str(_key(meal, "Món mặn"))})
    assert refused.status_code == 400 and "Đã hết hạn nhập danh sách đoàn." in refused.text
    assert _answers(db, nam.id) == {meal.id: str(_key(meal, "Món chay"))}
