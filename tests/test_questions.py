"""Questions of an event: the organiser's page, the RSVP page, the staff's page, the API, lists, exports and the
summary; hostile values refused with a clear message, changing nothing."""
from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import func, select

from eventsapp.associations.models import Role
from eventsapp.guests.models import Delegation, EventGuest
from eventsapp.invitations.models import Invitation, InvitationStatus
from eventsapp.questions import services
from eventsapp.questions.models import Audience, Question, QuestionAnswer, QuestionKind
from eventsapp.timeutils import utcnow
from tests.conftest import csrf_token_from
from tests.factories import EventFactory, InvitationFactory, staff

MEAL = services.QuestionValues(kind=QuestionKind.CHOICE, text_vi="Quý vị dùng món gì?", text_en="Which meal?",
                               options=[("Món chay", "Vegetarian"), ("Món mặn", "Regular")], required=True,
                               for_guests=True, for_members=True)


def make(db, event, values=MEAL) -> Question:
    question = services.create_question(event, values)
    db.session.commit()
    return question


def answers_of(db, invitation) -> dict:
    db.session.expire_all()
    return services.stored(services.Person(invitation_id=invitation.id))


def rsvp_post(client, invitation, **data):
    page = client.get(f"/rsvp/{invitation.token}")
    return client.post(f"/rsvp/{invitation.token}", data={"csrf_token": csrf_token_from(page.text), **data})


def option_key(question: Question, vi: str) -> int:
    return next(option["key"] for option in question.options if option["vi"] == vi)


# ------------------------------------------------------------------ the organiser's page

def test_an_organiser_adds_edits_reorders_and_removes_questions_on_the_page(client, auth, db):
    event = EventFactory()
    organiser = staff(event.association)
    auth.login(organiser)
    url = f"/events/{event.id}/questions/new"
    response = auth.post(url, {"kind": "choice", "text_vi": "Quý vị dùng món gì?", "text_en": "Which meal?",
                               "options": "Món chay | Vegetarian\nMón mặn | Regular", "required": "y",
                               "for_invitees": "y"})
    assert response.status_code == 303
    auth.post(url, {"kind": "yes_no", "text_vi": "Quý vị cần xe đón không?", "for_invitees": "y",
                    "deadline": "2030-01-02T18:00"})
    auth.post(url, {"kind": "number", "text_vi": "Số trẻ em đi cùng", "for_invitees": "y", "for_guests": "y"})
    questions = services.event_questions(event.id)
    assert [q.text_vi for q in questions] == ["Quý vị dùng món gì?", "Quý vị cần xe đón không?", "Số trẻ em đi cùng"]
    meal, car, children = questions
    assert [o["en"] for o in meal.options] == ["Vegetarian", "Regular"] and meal.required
    assert car.deadline.isoformat() == "2030-01-02T11:00:00+00:00"  # 18:00 in Hanoi
    page = client.get(f"/events/{event.id}/questions").text
    assert "Quý vị dùng món gì?" in page and "Thêm câu hỏi" in page

    # Edit: a corrected wording keeps the option's key, so its answers keep their meaning.
    vegetarian = option_key(meal, "Món chay")
    edit = f"/events/{event.id}/questions/{meal.id}/edit"
    assert "Món chay | Vegetarian" in client.get(edit).text
    auth.post(edit, {"kind": "choice", "text_vi": "Quý vị dùng món gì?", "text_en": "Which meal?",
                     "options": "Món mặn | Regular meal\nMón chay | Vegetarian meal\nKhông ăn | No meal",
                     "for_invitees": "y"})
    db.session.expire_all()
    assert option_key(db.session.get(Question, meal.id), "Món chay") == vegetarian
    assert not db.session.get(Question, meal.id).required

    # Reorder, remove.
    auth.post(f"/events/{event.id}/questions/{children.id}/move", {"direction": "up"},
              form_url=f"/events/{event.id}/questions")
    assert [q.id for q in services.event_questions(event.id)] == [meal.id, children.id, car.id]
    auth.post(f"/events/{event.id}/questions/{car.id}/remove", {}, form_url=f"/events/{event.id}/questions")
    assert [q.id for q in services.event_questions(event.id)] == [meal.id, children.id]


def test_an_event_has_at_most_ten_questions(client, auth, db):
    event = EventFactory()
    for n in range(10):
        make(db, event, services.QuestionValues(kind=QuestionKind.TEXT, text_vi=f"Câu hỏi {n}"))
    auth.login(staff(event.association))
    page = client.get(f"/events/{event.id}/questions").text
    assert "Thêm câu hỏi" not in page and "10 câu hỏi" in page
    response = auth.post(f"/events/{event.id}/questions/new", {"kind": "text", "text_vi": "Câu thứ mười một",
                                                                "for_invitees": "y"})
    assert response.status_code == 200 and "tối đa 10 câu hỏi" in response.text
    assert db.session.scalar(select(func.count(Question.id))) == 10


@pytest.mark.parametrize(("data", "message"), [
    ({"text_vi": "x" * 10_000}, "Tối đa 300 ký tự"),
    ({"text_vi": "Câu hỏi", "text_en": "a\u2028b"}, "một dòng"),
    ({"text_vi": "Câu hỏi", "options": "Món chay\n" + "y" * 10_000}, "Tối đa"),
    ({"text_vi": "Câu hỏi", "options": "Chỉ một lựa chọn"}, "ít nhất hai lựa chọn"),
    ({"text_vi": "Câu hỏi", "options": "Chay\nchay"}, "giống nhau"),
    ({"text_vi": "Câu hỏi", "deadline": "2" * 60}, "ngày và giờ"),
    ({"text_vi": "Câu hỏi", "options": "A\nB", "for_invitees": ""}, "Chọn người được hỏi"),
])
def test_the_question_form_refuses_hostile_values_and_saves_nothing(client, auth, db, data, message):
    event = EventFactory()
    auth.login(staff(event.association))
    values = {"kind": "choice", "for_invitees": "y", **data}
    values = {key: value for key, value in values.items() if value != ""}
    response = auth.post(f"/events/{event.id}/questions/new", values)
    assert response.status_code in (200, 400) and message in response.text
    assert db.session.scalar(select(func.count(Question.id))) == 0


def test_a_nul_in_the_question_form_is_refused_before_any_view(client, auth, db):
    event = EventFactory()
    auth.login(staff(event.association))
    response = auth.post(f"/events/{event.id}/questions/new", {"kind": "text", "text_vi": "a\x00b",
                                                                "for_invitees": "y"})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count(Question.id))) == 0


def test_a_viewer_sees_the_questions_but_no_buttons(client, auth, db):
    event = EventFactory()
    make(db, event)
    auth.login(staff(event.association, Role.VIEWER))
    page = client.get(f"/events/{event.id}/questions").text
    assert "Quý vị dùng món gì?" in page and "Thêm câu hỏi" not in page and "Sửa" not in page


# ------------------------------------------------------------------ the RSVP page

def test_an_invitee_answers_the_questions_on_the_rsvp_page(client, db):
    event = EventFactory()
    meal = make(db, event)
    date = make(db, event, services.QuestionValues(kind=QuestionKind.DATE, text_vi="Ngày đến"))
    choices = make(db, event, services.QuestionValues(kind=QuestionKind.CHOICES, text_vi="Quý vị tham gia phần nào?",
                                                      options=[("Lễ", "Ceremony"), ("Tiệc", "Dinner"), ("Tham quan", "Tour")]))
    invitation = InvitationFactory(event=event)
    page = client.get(f"/rsvp/{invitation.token}").text
    assert "Quý vị dùng món gì?" in page and "Món chay" in page and 'type="date"' in page

    # A required question left unanswered by someone attending: the page says so, nothing is recorded.
    refused = rsvp_post(client, invitation, status="accepted")
    assert refused.status_code == 400 and "Xin trả lời câu hỏi này." in refused.text
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).status == InvitationStatus.PENDING

    vegetarian = option_key(meal, "Món chay")
    done = client.post(f"/rsvp/{invitation.token}", data={
        "csrf_token": csrf_token_from(refused.text), "status": "accepted", f"question-{meal.id}": str(vegetarian),
        f"question-{date.id}": "2027-02-05", f"question-{choices.id}": [str(choices.options[0]["key"]),
                                                                         str(choices.options[1]["key"])]})
    assert done.status_code == 303
    assert answers_of(db, invitation) == {meal.id: str(vegetarian), date.id: "2027-02-05",
                                          choices.id: f"{choices.options[0]['key']},{choices.options[1]['key']}"}
    again = client.get(f"/rsvp/{invitation.token}").text
    assert f'id="question-{meal.id}-{vegetarian}" value="{vegetarian}" checked' in again

    # Declining: the required question may stay unanswered.
    assert rsvp_post(client, invitation, status="declined", **{f"question-{meal.id}": ""}).status_code == 303
    assert meal.id not in answers_of(db, invitation)


def test_the_rsvp_page_shows_the_questions_in_the_invitees_language(client, db):
    event = EventFactory()
    make(db, event)
    invitation = InvitationFactory(event=event, contact__language="en")
    page = client.get(f"/rsvp/{invitation.token}").text
    assert "Which meal?" in page and "Vegetarian" in page and "Món chay" not in page


@pytest.mark.parametrize(("kind", "value", "message"), [
    (QuestionKind.TEXT, "x" * 10_000, "Tối đa 500 ký tự"),
    (QuestionKind.TEXT, "a\u2028b", "một dòng"),
    (QuestionKind.NUMBER, str(2**63), "Phải nằm trong khoảng 0 đến 1000000"),
    (QuestionKind.NUMBER, "-3", "số nguyên"),
    (QuestionKind.NUMBER, "{}", "số nguyên"),
    (QuestionKind.DATE, "2027-02-30", "Nhập một ngày"),
    (QuestionKind.DATE, "9999-01-01", "1900"),
    (QuestionKind.CHOICE, "999", "Chọn một trong các lựa chọn"),
    (QuestionKind.CHOICE, "{}", "Chọn một trong các lựa chọn"),
    (QuestionKind.YES_NO, "maybe", "có hoặc không"),
])
def test_hostile_answers_on_the_rsvp_page_are_refused_and_change_nothing(client, db, kind, value, message):
    event = EventFactory()
    options = [("A", "A"), ("B", "B")] if kind == QuestionKind.CHOICE else []
    question = make(db, event, services.QuestionValues(kind=kind, text_vi="Câu hỏi", options=options))
    invitation = InvitationFactory(event=event)
    response = rsvp_post(client, invitation, status="accepted", **{f"question-{question.id}": value})
    assert response.status_code == 400 and message in response.text
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).status == InvitationStatus.PENDING
    assert db.session.scalar(select(func.count(QuestionAnswer.id))) == 0


def test_after_its_deadline_a_question_is_closed_to_invitees_but_not_to_staff(client, auth, db):
    event = EventFactory()
    closed = make(db, event, services.QuestionValues(kind=QuestionKind.TEXT, text_vi="Số chuyến bay",
                                                     deadline=utcnow() - timedelta(hours=1)))
    invitation = InvitationFactory(event=event)
    page = client.get(f"/rsvp/{invitation.token}").text
    assert "Câu hỏi này đã hết hạn trả lời." in page
    assert rsvp_post(client, invitation, status="accepted", **{f"question-{closed.id}": "VN55"}).status_code == 303
    assert answers_of(db, invitation) == {}  # the answer to a closed question is ignored

    auth.login(staff(event.association))
    url = f"/events/{event.id}/invitations/{invitation.id}/answers"
    assert auth.post(url, {f"question-{closed.id}": "VN55"}).status_code == 303
    assert answers_of(db, invitation) == {closed.id: "VN55"}
    assert "VN55" in client.get(f"/events/{event.id}/invitations").text


def test_a_viewer_reads_the_answers_page_and_may_not_post(client, auth, db):
    event = EventFactory()
    question = make(db, event, services.QuestionValues(kind=QuestionKind.YES_NO, text_vi="Cần xe đón?"))
    invitation = InvitationFactory(event=event)
    services.record_form(event.id, Audience.INVITEE, _Form({f"question-{question.id}": ["yes"]}),
                         services.Person(invitation_id=invitation.id))
    db.session.commit()
    auth.login(staff(event.association, Role.VIEWER))
    page = client.get(f"/events/{event.id}/invitations/{invitation.id}/answers")
    assert page.status_code == 200 and "Cần xe đón?" in page.text and "Có" in page.text
    assert 'id="answers-form"' not in page.text


class _Form(dict):
    """A submitted form as the services read it (`getlist`)."""

    def getlist(self, name):
        return self.get(name, [])


# ------------------------------------------------------------------ summaries, lists, exports

def _answer(db, event, question, value, status=InvitationStatus.ACCEPTED, **invitation):
    person = InvitationFactory(event=event, status=status, **invitation)
    errors = services.record_form(event.id, Audience.INVITEE, _Form({f"question-{question.id}": [value]}),
                                  services.Person(invitation_id=person.id), staff=True)
    assert errors == {}
    db.session.commit()
    return person


def test_the_summary_counts_the_people_coming_guests_and_members_included(client, auth, db):
    event = EventFactory()
    meal = make(db, event)
    children = make(db, event, services.QuestionValues(kind=QuestionKind.NUMBER, text_vi="Số trẻ em"))
    vegetarian, regular = str(option_key(meal, "Món chay")), str(option_key(meal, "Món mặn"))
    hosts = [_answer(db, event, meal, vegetarian) for _ in range(3)]
    _answer(db, event, meal, regular)
    _answer(db, event, meal, vegetarian, status=InvitationStatus.DECLINED)
    _answer(db, event, children, "2")
    _answer(db, event, children, "1")
    # A guest named by an accepted invitee and a delegation member answer for themselves.
    guest = EventGuest(event_id=event.id, invitation_id=hosts[0].id, full_name="Trần Thị Khách")
    delegation = Delegation(event_id=event.id, name="Hội người Bắc Giang tại Séc", quota=3)
    db.session.add_all([guest, delegation])
    db.session.flush()
    member = EventGuest(event_id=event.id, delegation_id=delegation.id, full_name="Lê Văn Đoàn")
    db.session.add(member)
    db.session.flush()
    for person, audience in ((guest, Audience.GUEST), (member, Audience.MEMBER)):
        assert services.record_form(event.id, audience, _Form({f"question-{meal.id}": [vegetarian]}),
                                    services.Person(guest_id=person.id)) == {}
    db.session.commit()

    summary = {s.question.id: s for s in services.summaries(event.id, "vi")}
    assert summary[meal.id].lines == [("Món chay", 5, 6), ("Món mặn", 1, 1)]
    assert (summary[meal.id].answered, summary[meal.id].coming) == (7, 6)
    assert summary[children.id].total_coming == 3

    auth.login(staff(event.association, Role.VIEWER))
    page = client.get(f"/events/{event.id}/questions").text
    assert "<strong>5</strong> Món chay" in page and "Tổng số của những người đến dự: 3" in page

    invitations_page = client.get(f"/events/{event.id}/invitations").text
    assert "Quý vị dùng món gì?: <strong>Món chay</strong>" in invitations_page

    csv_text = client.get(f"/events/{event.id}/invitations.csv").data.decode("utf-8-sig")
    header = csv_text.splitlines()[0].split(",")
    assert header[-2:] == ["Quý vị dùng món gì?", "Số trẻ em"]
    assert csv_text.count(",Món chay,") == 4

    sheet = openpyxl.load_workbook(io.BytesIO(client.get(f"/events/{event.id}/questions/answers.xlsx").data)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == ["Loại", "Họ và tên", "Email", "Đoàn", "Trạng thái", "Quý vị dùng món gì?", "Số trẻ em"]
    assert ["Khách đi cùng", "Trần Thị Khách", None, None, "Nhận lời", "Món chay", None] in rows
    assert ["Thành viên đoàn", "Lê Văn Đoàn", None, "Hội người Bắc Giang tại Séc", None, "Món chay", None] in rows
    answers_csv = client.get(f"/events/{event.id}/questions/answers.csv")
    assert answers_csv.status_code == 200 and "Lê Văn Đoàn" in answers_csv.data.decode("utf-8-sig")


def test_answers_in_exports_are_guarded_against_formulas(client, auth, db):
    event = EventFactory()
    question = make(db, event, services.QuestionValues(kind=QuestionKind.TEXT, text_vi="Ghi chú"))
    _answer(db, event, question, "=cmd|' /C calc'!A0")
    auth.login(staff(event.association))
    csv_text = client.get(f"/events/{event.id}/questions/answers.csv").data.decode("utf-8-sig")
    assert ",'=cmd|" in csv_text or "\"'=cmd|" in csv_text


def test_the_questions_a_guest_is_asked_come_from_the_service_the_delegation_page_calls(db):
    event = EventFactory()
    make(db, event)
    only_invitees = make(db, event, services.QuestionValues(kind=QuestionKind.TEXT, text_vi="Chức vụ"))
    delegation = Delegation(event_id=event.id, name="Đoàn Nhật Bản", quota=2)
    db.session.add(delegation)
    db.session.flush()
    member = EventGuest(event_id=event.id, delegation_id=delegation.id, full_name="Sato")
    db.session.add(member)
    db.session.commit()
    fields = services.fields(event.id, Audience.MEMBER, services.Person(guest_id=member.id), prefix=f"m{member.id}-")
    assert [f.question.text_vi for f in fields] == ["Quý vị dùng món gì?"]
    assert fields[0].name.startswith(f"m{member.id}-")
    errors = services.record_form(event.id, Audience.MEMBER, _Form(), services.Person(guest_id=member.id),
                                  prefix=f"m{member.id}-")
    assert errors == {fields[0].name: "Xin trả lời câu hỏi này."}
    assert only_invitees.id not in {f.question.id for f in fields}


# ------------------------------------------------------------------ the API

def test_the_api_manages_questions_and_records_answers(api, db):
    event = EventFactory()
    organiser = api(staff(event.association))
    created = organiser.post(f"/api/v1/events/{event.id}/questions", json={
        "kind": "choice", "text_vi": "Quý vị dùng món gì?", "text_en": "Which meal?", "required": True,
        "options": [{"vi": "Món chay", "en": "Vegetarian"}, {"vi": "Món mặn", "en": "Regular"}]})
    assert created.status_code == 201, created.json
    question = created.json
    assert [o["vi"] for o in question["options"]] == ["Món chay", "Món mặn"] and question["position"] == 1
    second = organiser.post(f"/api/v1/events/{event.id}/questions", json={
        "kind": "number", "text_vi": "Số trẻ em", "position": 1}).json
    listed = organiser.get(f"/api/v1/events/{event.id}/questions").json["items"]
    assert [q["id"] for q in listed] == [second["id"], question["id"]]
    patched = organiser.patch(f"/api/v1/events/{event.id}/questions/{second['id']}",
                              json={"text_en": "Children", "position": 2})
    assert patched.status_code == 200 and patched.json["text_en"] == "Children" and patched.json["position"] == 2

    invitation = InvitationFactory(event=event, status=InvitationStatus.ACCEPTED)
    vegetarian = question["options"][0]["key"]
    url = f"/api/v1/events/{event.id}/invitations/{invitation.id}/answers"
    put = organiser.put(url, json={"answers": [{"question_id": question["id"], "value": vegetarian},
                                               {"question_id": second["id"], "value": 2}]})
    assert put.status_code == 200, put.json
    assert sorted(put.json["answers"], key=lambda a: a["question_id"]) == sorted(
        [{"question_id": question["id"], "value": vegetarian}, {"question_id": second["id"], "value": 2}],
        key=lambda a: a["question_id"])
    summary = organiser.get(f"/api/v1/events/{event.id}/questions/summary").json["items"]
    meal = next(s for s in summary if s["question_id"] == question["id"])
    assert meal["lines"][0] == {"answer": "Món chay", "coming": 1, "everyone": 1}
    assert next(s for s in summary if s["question_id"] == second["id"])["total_coming"] == 2

    assert organiser.delete(f"/api/v1/events/{event.id}/questions/{second['id']}").status_code == 204
    assert organiser.get(url).json["answers"] == [{"question_id": question["id"], "value": vegetarian}]


@pytest.mark.parametrize(("body", "field"), [
    ({"kind": "text", "text_vi": {}}, "text_vi"),
    ({"kind": "text", "text_vi": "x" * 10_000}, "text_vi"),
    ({"kind": "text", "text_vi": "ok", "position": 2**63}, "position"),
    ({"kind": "text", "text_vi": "ok", "required": "yes"}, "required"),
    ({"kind": {}, "text_vi": "ok"}, "kind"),
    ({"kind": "choice", "text_vi": "ok", "options": [{"vi": {}}]}, "options"),
    ({"kind": "choice", "text_vi": "ok", "options": "A,B"}, "options"),
    ({"kind": "text", "text_vi": "ok", "deadline": "2027-02-03T19:00:00"}, "deadline"),
])
def test_the_api_refuses_hostile_questions_naming_the_field(api, db, body, field):
    event = EventFactory()
    response = api(staff(event.association)).post(f"/api/v1/events/{event.id}/questions", json=body)
    assert response.status_code == 400
    assert field in response.json["error"]["fields"]
    assert db.session.scalar(select(func.count(Question.id))) == 0


def test_the_api_refuses_a_lone_surrogate_and_a_nul(api, db):
    event = EventFactory()
    client = api(staff(event.association))
    for raw in ('{"kind": "text", "text_vi": "\\ud800"}', '{"kind": "text", "text_vi": "a\\u0000b"}'):
        response = client.post(f"/api/v1/events/{event.id}/questions", data=raw,
                               headers={"Content-Type": "application/json"})
        assert response.status_code == 400 and response.json["error"]["code"] == "invalid_characters"
    assert db.session.scalar(select(func.count(Question.id))) == 0


@pytest.mark.parametrize(("kind", "value"), [
    (QuestionKind.NUMBER, 2**63), (QuestionKind.NUMBER, True), (QuestionKind.NUMBER, "3"),
    (QuestionKind.TEXT, {}), (QuestionKind.TEXT, "x" * 10_000), (QuestionKind.TEXT, ["a"]),
    (QuestionKind.CHOICE, 999), (QuestionKind.CHOICE, [1]), (QuestionKind.CHOICES, 1),
    (QuestionKind.YES_NO, "yes"), (QuestionKind.DATE, "2027-13-01"), (QuestionKind.DATE, 20270101),
])
def test_the_api_refuses_hostile_answers_and_records_none(api, db, kind, value):
    event = EventFactory()
    options = [("A", "A"), ("B", "B")] if kind in (QuestionKind.CHOICE, QuestionKind.CHOICES) else []
    question = make(db, event, services.QuestionValues(kind=kind, text_vi="Câu hỏi", options=options))
    other = make(db, event, services.QuestionValues(kind=QuestionKind.TEXT, text_vi="Khác"))
    invitation = InvitationFactory(event=event)
    response = api(staff(event.association)).put(
        f"/api/v1/events/{event.id}/invitations/{invitation.id}/answers",
        json={"answers": [{"question_id": other.id, "value": "ok"}, {"question_id": question.id, "value": value}]})
    assert response.status_code == 400
    assert f"answers.{question.id}" in response.json["error"]["fields"]
    assert db.session.scalar(select(func.count(QuestionAnswer.id))) == 0


def test_the_api_does_not_reach_another_events_question_or_invitation(api, db):
    event, other = EventFactory(), EventFactory()
    question = make(db, other)
    invitation = InvitationFactory(event=other)
    client = api(staff(event.association))
    assert client.patch(f"/api/v1/events/{event.id}/questions/{question.id}", json={}).status_code == 404
    assert client.get(f"/api/v1/events/{event.id}/invitations/{invitation.id}/answers").status_code == 404
    mine = make(db, event)
    response = client.put(f"/api/v1/events/{event.id}/invitations/{InvitationFactory(event=event).id}/answers",
                          json={"answers": [{"question_id": question.id, "value": 1}]})
    assert response.status_code == 400 and str(question.id) in response.json["error"]["message"]
    assert mine.id != question.id
