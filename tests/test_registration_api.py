"""The API of issue 27's settings and registrations: the event's guests' and registration settings read and
written with the event (one schema), and an organiser listing, approving and declining registrations — with
the same e-mail to the person and the same audit entry as the page, hostile values refused, other
associations refused."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from eventsapp.associations.models import Role
from eventsapp.audit.models import AuditEntry
from eventsapp.events.models import Event, EventStatus, Visibility
from eventsapp.invitations.models import Invitation, InvitationStatus
from eventsapp.mail.models import MessageKind, OutboxMessage
from eventsapp.questions import services as questions
from eventsapp.questions.models import QuestionKind
from eventsapp.registration.models import Registration, RegistrationSettings, RegistrationState
from tests.factories import AssociationFactory, EventFactory, staff
from tests.test_registration import confirm, last_registration, open_event, register

SETTINGS = ("guests_must_be_named", "delegations_ask_passport", "registration_open", "registration_acceptance")
HOSTILE = ["yes", "true", 1, 0, None, {}, [], 2**63, "x\r\ny", "L" * 10_000, "=cmd", "javascript:alert(1)"]


def settings_of(body: dict) -> dict:
    return {key: body[key] for key in SETTINGS}


def stored_settings(db, event_id: int) -> tuple:
    db.session.expire_all()
    event = db.session.get(Event, event_id)
    registration = db.session.get(RegistrationSettings, event_id)
    return (event.guests_must_be_named, event.delegations_ask_passport,
            registration.is_open if registration else False, registration.needs_approval if registration else False)


# ---------------------------------------------------------------- 1. the event's settings

def test_an_organiser_reads_and_sets_the_settings_with_the_event_and_the_page_follows(api, client, db):
    event = EventFactory(status=EventStatus.PUBLISHED, visibility=Visibility.PUBLIC, max_guests=0)
    organiser = staff(event.association, Role.ORGANISER)
    url = f"/api/v1/events/{event.id}"
    assert settings_of(api(organiser).get(url).json) == {
        "guests_must_be_named": False, "delegations_ask_passport": False, "registration_open": False,
        "registration_acceptance": "automatic"}
    assert 'id="registration-form"' not in client.get(f"/e/{event.slug}").text

    changed = api(organiser).patch(url, json={"guests_must_be_named": True, "delegations_ask_passport": True,
                                              "max_guests": 3, "registration_open": True,
                                              "registration_acceptance": "approval"})
    assert changed.status_code == 200, changed.json
    assert settings_of(changed.json) == {"guests_must_be_named": True, "delegations_ask_passport": True,
                                         "registration_open": True, "registration_acceptance": "approval"}
    assert changed.json["max_guests"] == 3 and changed.json["changes"] == []
    assert stored_settings(db, event.id) == (True, True, True, True)
    assert 'id="registration-form"' in client.get(f"/e/{event.slug}").text  # the public page takes registrations

    # Only the fields sent change; the page's settings form shows what the API set.
    back = api(organiser).patch(url, json={"registration_acceptance": "automatic", "guests_must_be_named": False})
    assert settings_of(back.json) == {"guests_must_be_named": False, "delegations_ask_passport": True,
                                      "registration_open": True, "registration_acceptance": "automatic"}
    assert stored_settings(db, event.id) == (False, True, True, False)
    listed = api(organiser).get("/api/v1/events").json["items"]
    assert [settings_of(item) for item in listed] == [settings_of(back.json)]


def test_an_event_is_created_with_its_settings(api, db):
    association = AssociationFactory(slug="viet-han")
    created = api(staff(association)).post("/api/v1/events", json={
        "association": "viet-han", "title_vi": "Ngày hội văn hóa Hàn", "starts_at": "2027-03-01T09:00",
        "ends_at": "2027-03-01T12:00", "visibility": "public", "publish": True, "registration_open": True,
        "guests_must_be_named": True})
    assert created.status_code == 201, created.json
    assert settings_of(created.json) == {"guests_must_be_named": True, "delegations_ask_passport": False,
                                         "registration_open": True, "registration_acceptance": "automatic"}
    assert stored_settings(db, created.json["id"]) == (True, False, True, False)


@pytest.mark.parametrize("field", SETTINGS)
def test_hostile_settings_get_a_400_naming_the_field_and_change_nothing(api, db, field):
    event = EventFactory()
    organiser = staff(event.association)
    before = stored_settings(db, event.id)
    for value in HOSTILE + ([True, "approval "] if field == "registration_acceptance" else ["false"]):
        response = api(organiser).patch(f"/api/v1/events/{event.id}", json={field: value, "title_vi": "Đổi tên"})
        assert response.status_code == 400, (field, repr(value)[:30], response.status_code)
        error = response.json["error"]
        assert error["code"] == "invalid" and field in error["fields"] and error["message"]
        assert "\r" not in error["message"] and len(error["message"]) < 300
    assert stored_settings(db, event.id) == before
    assert db.session.get(Event, event.id).title_vi != "Đổi tên"


def test_a_rule_broken_elsewhere_in_the_patch_keeps_the_settings_unchanged(api, db):
    event = EventFactory()
    response = api(staff(event.association)).patch(f"/api/v1/events/{event.id}", json={
        "registration_open": True, "guests_must_be_named": True, "ends_at": "2000-01-01T00:00:00+07:00"})
    assert response.status_code == 400
    assert stored_settings(db, event.id) == (False, False, False, False)


def test_the_message_is_in_the_users_language_vietnamese_first(api, db):
    event = EventFactory()
    organiser = staff(event.association)
    vi = api(organiser).patch(f"/api/v1/events/{event.id}", json={"registration_acceptance": "tự động"}).json
    assert "automatic" in vi["error"]["fields"]["registration_acceptance"]
    assert "Cách nhận" in vi["error"]["fields"]["registration_acceptance"]
    english = staff(event.association, locale="en")
    en = api(english).patch(f"/api/v1/events/{event.id}", json={"registration_open": "yes"}).json
    assert en["error"]["fields"]["registration_open"] == "Must be true or false."


def test_only_organisers_of_the_events_association_change_the_settings(api, db):
    event = EventFactory()
    other = staff(AssociationFactory(), Role.ORGANISER)
    viewer = staff(event.association, Role.VIEWER)
    body = {"registration_open": True, "guests_must_be_named": True}
    assert api(other).get(f"/api/v1/events/{event.id}").status_code == 403
    assert api(other).patch(f"/api/v1/events/{event.id}", json=body).status_code == 403
    assert api(viewer).patch(f"/api/v1/events/{event.id}", json=body).status_code == 403
    assert api(viewer).get(f"/api/v1/events/{event.id}").json["registration_open"] is False
    assert stored_settings(db, event.id) == (False, False, False, False)


def test_the_openapi_document_describes_the_settings(client, db):
    document = client.get("/api/v1/openapi.json").json
    event = document["components"]["schemas"]["Event"]["properties"]
    for name in ("guests_must_be_named", "delegations_ask_passport", "registration_open"):
        assert event[name]["type"] == "boolean" and event[name]["description"]
    assert event["registration_acceptance"]["enum"] == ["automatic", "approval"]
    assert "max_guests" in event
    paths = document["paths"]
    assert "/events/{event_id}/registrations" in paths
    assert set(paths["/events/{event_id}/registrations/{registration_id}/approve"]["post"]["responses"]) >= {
        "200", "400", "403", "404", "409"}
    assert document["components"]["schemas"]["Registration"]["properties"]["state"]["enum"] == [
        "pending", "accepted", "declined"]


# ---------------------------------------------------------------- 2. registrations for organisers

def two_pending(client, db, **fields):
    event = open_event(db, approval=True, **fields)
    meal = questions.create_question(event, questions.QuestionValues(
        kind=QuestionKind.CHOICE, text_vi="Quý vị dùng món gì?", options=[("Món chay", "Vegetarian"), ("Món mặn", "")],
        required=True))
    db.session.commit()
    vegetarian = meal.options[0]["key"]
    for name, address in (("Trần Văn An", "an@example.vn"), ("Lê Thị Bình", "binh@example.vn")):
        register(client, event, full_name=name, email=address, **{f"question-{meal.id}": str(vegetarian)})
        confirm(client, event, last_registration(db))
    register(client, event, full_name="Chưa Xác Nhận", email="chua@example.vn",
             **{f"question-{meal.id}": str(vegetarian)})
    by_address = {r.email: r.id for r in db.session.scalars(select(Registration))}
    return event, meal, vegetarian, by_address


def audit_entries(db) -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "registration_decided")
                                   .order_by(AuditEntry.id)))


def test_an_organiser_lists_approves_and_declines_registrations_with_a_message(api, client, db):
    event, meal, vegetarian, ids = two_pending(client, db, max_guests=1)
    organiser = staff(event.association, Role.ORGANISER)
    base = f"/api/v1/events/{event.id}/registrations"
    listed = api(organiser).get(base).json["items"]
    assert sorted(item["email"] for item in listed) == ["an@example.vn", "binh@example.vn"]  # not the unconfirmed one
    assert {item["state"] for item in listed} == {"pending"}
    assert listed[0]["answers"] == [{"question_id": meal.id, "value": vegetarian}]
    assert api(organiser).get(f"{base}/{ids['chua@example.vn']}").status_code == 404

    approved = api(organiser).post(f"{base}/{ids['an@example.vn']}/approve",
                                   json={"message": "Kính mời Quý vị đến trước 18 giờ.\nBan tổ chức"})
    assert approved.status_code == 200, approved.json
    assert approved.json["state"] == "accepted" and approved.json["invitation_id"]
    assert approved.json["message"] == "Kính mời Quý vị đến trước 18 giờ.\nBan tổ chức"
    invitation = db.session.get(Invitation, approved.json["invitation_id"])
    assert invitation.status == InvitationStatus.ACCEPTED and invitation.contact.email == "an@example.vn"
    assert questions.stored(questions.Person(invitation_id=invitation.id)) == {meal.id: str(vegetarian)}
    declined = api(organiser).post(f"{base}/{ids['binh@example.vn']}/decline",
                                   json={"message": "Rất tiếc hội trường đã kín chỗ."})
    assert declined.status_code == 200 and declined.json["state"] == "declined"
    assert declined.json["invitation_id"] is None

    # The person hears by the page's path: one decision e-mail each, with the message.
    decisions = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == MessageKind.REGISTRATION_DECISION)).all()
    assert sorted(m.recipient for m in decisions) == ["an@example.vn", "binh@example.vn"]
    # Audited like the page: who decided what, no name or message in the entry.
    entries = audit_entries(db)
    assert [(e.actor, e.target_id, e.details["decision"]) for e in entries] == [
        (organiser.email, str(ids["an@example.vn"]), "accepted"), (organiser.email, str(ids["binh@example.vn"]), "declined")]
    assert all(e.association_id == event.association_id for e in entries)
    assert "Rất tiếc" not in str([e.details for e in entries]) and "Bình" not in str([e.details for e in entries])

    # Decided once: a second decision is refused and changes nothing.
    again = api(organiser).post(f"{base}/{ids['binh@example.vn']}/approve")
    assert again.status_code == 409 and again.json["error"]["message"]
    assert len(audit_entries(db)) == 2
    assert [item["email"] for item in api(organiser).get(f"{base}?state=declined").json["items"]] == ["binh@example.vn"]
    assert api(organiser).get(f"{base}?state=unconfirmed").status_code == 400


def test_the_pages_decision_is_audited_too(client, auth, db):
    event, _, _, ids = two_pending(client, db)
    organiser = staff(event.association)
    auth.login(organiser)
    auth.post(f"/events/{event.id}/registrations/{ids['an@example.vn']}/decline", {"message": ""},
              form_url=f"/events/{event.id}/registration")
    assert [(e.actor, e.details["decision"], e.details["with_message"]) for e in audit_entries(db)] == [
        (organiser.email, "declined", False)]


def test_other_associations_viewers_and_other_events_change_nothing(api, client, db):
    event, _, _, ids = two_pending(client, db)
    other_event = EventFactory(association=event.association)
    base = f"/api/v1/events/{event.id}/registrations"
    outsider = staff(AssociationFactory(), Role.ORGANISER)
    viewer = staff(event.association, Role.VIEWER)
    an = ids["an@example.vn"]
    assert api(outsider).get(base).status_code == 403
    assert api(outsider).get(f"{base}/{an}").status_code == 403
    assert api(outsider).post(f"{base}/{an}/approve", json={}).status_code == 403
    assert api(viewer).get(base).status_code == 200
    assert api(viewer).post(f"{base}/{an}/decline", json={}).status_code == 403
    organiser = staff(event.association)
    assert api(organiser).post(f"/api/v1/events/{other_event.id}/registrations/{an}/approve").status_code == 404
    assert api(organiser).post(f"{base}/{2**63}/approve").status_code == 404
    db.session.expire_all()
    assert {r.state for r in db.session.scalars(select(Registration).where(Registration.id.in_(list(ids.values()))))} == {
        RegistrationState.PENDING, RegistrationState.UNCONFIRMED}
    assert audit_entries(db) == [] and db.session.scalar(select(func.count()).select_from(Invitation)) == 0


@pytest.mark.parametrize("message", [{}, [], 12, "x\x00y", "x\x1bz", "M" * 10_000])
def test_a_hostile_message_is_refused_and_nothing_is_decided(api, client, db, message):
    event, _, _, ids = two_pending(client, db)
    response = api(staff(event.association)).post(
        f"/api/v1/events/{event.id}/registrations/{ids['an@example.vn']}/approve", json={"message": message})
    assert response.status_code == 400 and response.json["error"]["message"]
    db.session.expire_all()
    assert db.session.get(Registration, ids["an@example.vn"]).state == RegistrationState.PENDING
    assert audit_entries(db) == []
