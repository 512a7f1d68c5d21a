"""The API reads and writes delegation members' answers to the event's questions (issue 27): the delegation's GET
and list show each member's answers, the members' POST takes them, checked by the service the leader's page uses
(questions for members only, required ones, deadlines, values fitting their question); a refused answer is a 400
naming it, in the caller's language, and nothing is added, stored or queued. Another association's organiser
reaches nothing."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from eventsapp.associations.models import Role
from eventsapp.guests.models import Delegation, EventGuest
from eventsapp.mail.models import OutboxMessage
from eventsapp.questions import services
from eventsapp.questions.models import QuestionAnswer, QuestionKind
from eventsapp.timeutils import utcnow
from tests.conftest import csrf_token_from
from tests.factories import ContactFactory, EventFactory, staff

MEAL = services.QuestionValues(kind=QuestionKind.CHOICE, text_vi="Quý vị dùng món gì?", text_en="Which meal?",
                               options=[("Món chay", "Vegetarian"), ("Món mặn", "Regular")], required=True,
                               for_invitees=True, for_members=True)
ALLERGY = services.QuestionValues(kind=QuestionKind.TEXT, text_vi="Dị ứng thực phẩm", text_en="Food allergies",
                                  for_members=True)
NIGHTS = services.QuestionValues(kind=QuestionKind.NUMBER, text_vi="Số đêm lưu trú", text_en="Nights", for_members=True)
INVITEES_ONLY = services.QuestionValues(kind=QuestionKind.TEXT, text_vi="Số người đi cùng xe", for_invitees=True)


def _setup(db, api):
    event = EventFactory(title_vi="Gặp mặt Xuân Quê hương 2027", capacity=100)
    ContactFactory(full_name="Nguyễn Văn Hùng", email="hung@example.cz", associations=[event.association])
    organiser = staff(event.association, Role.ORGANISER, locale="en")
    created = api(organiser).post(f"/api/v1/events/{event.id}/delegations", json={
        "name": "Hội người Bắc Giang tại Séc", "leader_email": "hung@example.cz", "quota": 5})
    assert created.status_code == 201, created.json
    questions = [services.create_question(event, values) for values in (MEAL, ALLERGY, NIGHTS, INVITEES_ONLY)]
    db.session.commit()
    return event, db.session.get(Delegation, created.json["id"]), organiser, questions


def _key(question, vi: str) -> int:
    return next(option["key"] for option in question.options if option["vi"] == vi)


def _counts(db) -> tuple[int, int, int]:
    db.session.expire_all()
    return (db.session.scalar(select(func.count(EventGuest.id))), db.session.scalar(select(func.count(QuestionAnswer.id))),
            db.session.scalar(select(func.count(OutboxMessage.id))))


def test_the_api_adds_a_member_with_answers_and_reads_them_with_the_leaders(client, api, db):
    event, delegation, organiser, (meal, allergy, nights, _invitees_only) = _setup(db, api)
    url = f"/api/v1/events/{event.id}/delegations/{delegation.id}"
    added = api(organiser).post(f"{url}/members", json={
        "full_name": "Nguyễn Thị Lan", "honorific": "Bà", "email": "lan@example.cz",
        "answers": [{"question_id": meal.id, "value": _key(meal, "Món chay")},
                    {"question_id": allergy.id, "value": "  Đậu phộng  "}, {"question_id": nights.id, "value": 2}]})
    assert added.status_code == 201, added.json
    assert added.json["answers"] == [{"question_id": meal.id, "value": _key(meal, "Món chay")},
                                     {"question_id": allergy.id, "value": "Đậu phộng"},
                                     {"question_id": nights.id, "value": 2}]
    lan_id = added.json["id"]

    # The leader answers for another member on their page; the API reads both.
    page = client.get(f"/delegation/{delegation.token}")
    assert client.post(f"/delegation/{delegation.token}/members", data={
        "csrf_token": csrf_token_from(page.text), "full_name": "Trần Văn Minh",
        f"new-question-{meal.id}": str(_key(meal, "Món mặn"))}).status_code == 303
    read = api(organiser).get(url)
    assert read.status_code == 200
    members = {member["full_name"]: member for member in read.json["members"]}
    assert members["Nguyễn Thị Lan"]["answers"] == added.json["answers"]
    assert members["Trần Văn Minh"]["answers"] == [{"question_id": meal.id, "value": _key(meal, "Món mặn")}]
    listed = api(organiser).get(f"/api/v1/events/{event.id}/delegations").json["items"]
    assert {m["full_name"]: m["answers"] for m in listed[0]["members"]} == {
        name: member["answers"] for name, member in members.items()}
    # The leader's page shows what the API stored, the summary counts it.
    page = client.get(f"/delegation/{delegation.token}").text
    assert "Đậu phộng" in page
    summary = api(organiser).get(f"/api/v1/events/{event.id}/questions/summary").json["items"]
    meal_summary = next(item for item in summary if item["question_id"] == meal.id)
    assert sorted(line["everyone"] for line in meal_summary["lines"]) == [1, 1]
    assert lan_id in {member["id"] for member in read.json["members"]}


def test_a_required_question_left_out_is_refused_and_nothing_is_added(api, db):
    event, delegation, organiser, (meal, allergy, _nights, _invitees_only) = _setup(db, api)
    url = f"/api/v1/events/{event.id}/delegations/{delegation.id}/members"
    before = _counts(db)
    for answers in ([], [{"question_id": allergy.id, "value": "Không"}], [{"question_id": meal.id, "value": None}]):
        refused = api(organiser).post(url, json={"full_name": "Nguyễn Thị Lan", "email": "lan@example.cz",
                                                 "answers": answers})
        assert refused.status_code == 400, refused.json
        assert refused.json["error"]["fields"] == {f"answers.{meal.id}": "Please answer this question."}
        assert refused.json["error"]["message"] == f"answers.{meal.id}: Please answer this question."
        assert _counts(db) == before  # no member, no answer, no welcome queued
    # In Vietnamese for a Vietnamese-speaking organiser.
    refused = api(staff(event.association, Role.ORGANISER)).post(url, json={"full_name": "Nguyễn Thị Lan"})
    assert refused.status_code == 400 and refused.json["error"]["fields"] == {
        f"answers.{meal.id}": "Xin trả lời câu hỏi này."}
    # A member with no required question to answer: answers may be left out entirely.
    services.update_question(meal, services.QuestionValues(**{**vars(MEAL), "required": False}))
    db.session.commit()
    assert api(organiser).post(url, json={"full_name": "Trần Văn Minh"}).status_code == 201


def test_a_question_past_its_deadline_or_not_for_members_takes_no_answer(api, db):
    event, delegation, organiser, (meal, allergy, _nights, invitees_only) = _setup(db, api)
    services.update_question(allergy, services.QuestionValues(**{**vars(ALLERGY),
                                                                  "deadline": utcnow() - timedelta(hours=1)}))
    db.session.commit()
    url = f"/api/v1/events/{event.id}/delegations/{delegation.id}/members"
    before = _counts(db)
    choice = {"question_id": meal.id, "value": _key(meal, "Món chay")}
    late = api(organiser).post(url, json={"full_name": "Lan", "answers": [choice,
                                                                         {"question_id": allergy.id, "value": "Tôm"}]})
    assert late.status_code == 400
    assert late.json["error"]["fields"] == {f"answers.{allergy.id}": "Answers to this question are closed."}
    wrong = api(organiser).post(url, json={"full_name": "Lan", "answers": [
        choice, {"question_id": invitees_only.id, "value": "2"}]})
    assert wrong.status_code == 400
    assert wrong.json["error"]["fields"] == {f"answers.{invitees_only.id}": "No such question for this event."}
    other_event = EventFactory(association=event.association)
    elsewhere = services.create_question(other_event, ALLERGY)
    db.session.commit()
    foreign = api(organiser).post(url, json={"full_name": "Lan", "answers": [
        choice, {"question_id": elsewhere.id, "value": "Tôm"}]})
    assert foreign.status_code == 400 and f"answers.{elsewhere.id}" in foreign.json["error"]["fields"]
    assert _counts(db) == before


@pytest.mark.parametrize(("which", "value"), [
    ("allergy", "Tôm\r\nBcc: x@example.com"), ("allergy", "a\x00b"), ("allergy", "x" * 10_000), ("allergy", {}),
    ("allergy", ["a"]), ("nights", 2**63), ("nights", -1), ("nights", "3"), ("nights", True),
    ("meal", 2**63), ("meal", 999), ("meal", "javascript:alert(1)"), ("meal", [1]),
])
def test_hostile_answers_are_refused_naming_the_question_and_nothing_changes(api, db, which, value):
    event, delegation, organiser, (meal, allergy, nights, _invitees_only) = _setup(db, api)
    question = {"meal": meal, "allergy": allergy, "nights": nights}[which]
    url = f"/api/v1/events/{event.id}/delegations/{delegation.id}/members"
    before = _counts(db)
    answers = [{"question_id": question.id, "value": value}]
    if question is not meal:
        answers.insert(0, {"question_id": meal.id, "value": _key(meal, "Món chay")})
    refused = api(organiser).post(url, json={"full_name": "Nguyễn Thị Lan", "email": "lan@example.cz",
                                             "answers": answers})
    assert refused.status_code == 400, refused.json
    if value == "a\x00b":  # refused with the whole body, before any field is read
        assert refused.json["error"]["code"] == "invalid_characters"
    else:
        assert list(refused.json["error"]["fields"]) == [f"answers.{question.id}"]
        assert refused.json["error"]["message"].startswith(f"answers.{question.id}: ")
    assert _counts(db) == before


@pytest.mark.parametrize("answers", [{}, "=cmd|' /C calc'!A0", [{"question_id": 2**63, "value": 1}],
                                     [{"question_id": "1", "value": 1}], [{"value": 1}], [[]], [None]])
def test_a_malformed_list_of_answers_is_refused(api, db, answers):
    event, delegation, organiser, _questions = _setup(db, api)
    before = _counts(db)
    refused = api(organiser).post(f"/api/v1/events/{event.id}/delegations/{delegation.id}/members",
                                  json={"full_name": "Nguyễn Thị Lan", "answers": answers})
    assert refused.status_code == 400, refused.json
    assert any(name.startswith("answers") for name in refused.json["error"]["fields"])
    assert _counts(db) == before


def test_another_associations_organiser_reads_and_writes_no_member_or_answer(api, db):
    event, delegation, organiser, (meal, _allergy, _nights, _invitees_only) = _setup(db, api)
    url = f"/api/v1/events/{event.id}/delegations/{delegation.id}"
    choice = {"question_id": meal.id, "value": _key(meal, "Món chay")}
    assert api(organiser).post(f"{url}/members", json={"full_name": "Lan", "answers": [choice]}).status_code == 201
    before = _counts(db)
    stranger = api(staff(EventFactory().association, Role.ORGANISER))
    assert stranger.get(url).status_code in (403, 404)
    assert stranger.get(f"/api/v1/events/{event.id}/delegations").status_code in (403, 404)
    assert stranger.post(f"{url}/members", json={"full_name": "X", "answers": [choice]}).status_code in (403, 404)
    # A viewer of the association reads the answers but adds no member.
    viewer = api(staff(event.association, Role.VIEWER))
    assert viewer.get(url).json["members"][0]["answers"] == [choice]
    assert viewer.post(f"{url}/members", json={"full_name": "X", "answers": [choice]}).status_code == 403
    assert _counts(db) == before


def test_the_openapi_document_describes_the_members_answers_once(client, db):
    document = client.get("/api/v1/openapi.json").json
    schemas = document["components"]["schemas"]
    answers = schemas["DelegationMember"]["properties"]["answers"]
    assert answers["type"] == "array" and "required question" in answers["description"]
    # The same answer item as an invitee's answers, not a second definition.
    assert answers["items"] == schemas["Answers"]["properties"]["answers"]["items"]
    assert schemas["Delegation"]["properties"]["members"]["items"]["$ref"].endswith("/DelegationMember")
    post = document["paths"]["/events/{event_id}/delegations/{delegation_id}/members"]["post"]
    assert "answers.<question id>" in post["responses"]["400"]["description"]
