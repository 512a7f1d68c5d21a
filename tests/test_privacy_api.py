"""Issue 29: administrators export or erase a person on request through the API — the same document as the
person's own download, the same erasure and audit entry as the pages; anyone else is refused and nothing changes."""
from __future__ import annotations

from sqlalchemy import select

from eventsapp.associations.models import Role
from eventsapp.attendance.models import OnlineJoin, Printable
from eventsapp.audit.models import AuditEntry
from eventsapp.contacts.models import Contact
from eventsapp.feedback.models import FeedbackAnswer
from eventsapp.guests.models import Delegation
from eventsapp.privacy import schemas
from eventsapp.questions.models import Question, QuestionAnswer, QuestionKind
from eventsapp.registration.models import Registration, RegistrationState
from tests.conftest import csrf_token_from
from tests.factories import AssociationFactory, ContactFactory, EventFactory, InvitationFactory, UserFactory, staff

NAME, EMAIL = "Phạm Thị Yêu Cầu", "yeu.cau@example.vn"


def _entries(db):
    db.session.expire_all()
    return [(e.action, e.actor, e.target_type, e.target_id, e.details)
            for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def _person(db, name=NAME, email=EMAIL):
    association = AssociationFactory()
    event = EventFactory(association=association, title_vi="Gặp mặt Tết")
    person = ContactFactory(full_name=name, email=email, associations=[association])
    invitation = InvitationFactory(event=event, contact=person, comment="Tôi đi cùng chồng")
    question = Question(event_id=event.id, kind=QuestionKind.TEXT, text_vi="Quý vị ăn chay không?")
    db.session.add(question)
    db.session.flush()
    db.session.add_all([
        QuestionAnswer(question_id=question.id, invitation_id=invitation.id, value="Có, ăn chay"),
        FeedbackAnswer(event_id=event.id, invitation_id=invitation.id, marker="m1", rating=5, better="Âm thanh to hơn"),
        Registration(event_id=event.id, full_name=name, email=email, phone="0912345678", contact_id=person.id,
                     state=RegistrationState.ACCEPTED, message="Chào mừng"),
        Delegation(event_id=event.id, name="Đoàn Hà Nội", leader_contact_id=person.id, quota=4),
        OnlineJoin(event_id=event.id, invitation_id=invitation.id, contact_id=person.id),
        Printable(event_id=event.id, kind="place_cards", state="done", content=f"%PDF {name}".encode(),
                  options={"locale": "vi"}),
        Printable(event_id=event.id, kind="badges", state="done", content=f"%PDF {name}".encode(), options={}),
    ])
    db.session.commit()
    return association, event, person


def test_an_administrator_exports_the_same_document_as_the_person_downloads(app, db, client, api):
    admin = UserFactory(is_admin=True, email="quan-tri@example.vn")
    _, _, person = _person(db)
    page = client.get(f"/privacy/{person.unsubscribe_token}").text
    assert "Câu trả lời của Quý vị cho các câu hỏi của sự kiện" in page and "Có, ăn chay" in page
    assert "Đoàn Hà Nội" in page and "Âm thanh to hơn" in page and "Các lần đăng ký của Quý vị" in page
    assert "Các sự kiện Quý vị tham dự trực tuyến" in page
    own = client.get(f"/privacy/{person.unsubscribe_token}/data.json")
    response = api(admin).get(f"/api/v1/contacts/{person.id}/personal-data")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert response.json == own.json
    data = response.json
    assert data["contact"]["full_name"] == NAME
    # What the other issues added is in it: registrations, answers to questions, feedback, delegations led.
    assert data["registrations"][0]["phone"] == "0912345678" and data["registrations"][0]["state"] == "accepted"
    assert data["answers"] == [{"event": "Gặp mặt Tết", "question": "Quý vị ăn chay không?", "value": "Có, ăn chay",
                                "for_guest": False, "updated_at": data["answers"][0]["updated_at"]}]
    assert data["feedback"][0]["better"] == "Âm thanh to hơn" and data["delegations"][0]["name"] == "Đoàn Hà Nội"
    assert [row["event"] for row in data["online"]] == ["Gặp mặt Tết"]
    # One definition: the document's keys are the schema's, every level.
    assert schemas.PersonalData().validate(data) == {}
    assert set(data) == {f.data_key or name for name, f in schemas.PersonalData().fields.items()}
    for key, field in schemas.PersonalData().fields.items():
        rows = data[key] if isinstance(data[key], list) else [data[key]]
        nested = field.inner.schema if hasattr(field, "inner") else field.schema
        for row in rows:
            assert set(row) == {f.data_key or n for n, f in nested.fields.items()}, key
    staff_entries = [e for e in _entries(db) if e[0] == "person_exported"]
    assert [(e[1], e[3], e[4]) for e in staff_entries] == [
        ("anonymous", str(person.id), {"requested_by": "person"}),
        ("quan-tri@example.vn", str(person.id), {"requested_by": "staff"})]


def test_an_administrator_erases_through_the_api_as_through_the_page(app, db, client, auth, api):
    admin = UserFactory(is_admin=True, email="quan-tri@example.vn")
    _, event, person = _person(db)
    _, _, by_page = _person(db, "Người Xóa Qua Trang", "trang@example.vn")

    refused = api(admin).post(f"/api/v1/contacts/{person.id}/erasure", json={"confirm": False})
    assert refused.status_code == 400 and refused.json["error"]["fields"]["confirm"]
    assert api(admin).post(f"/api/v1/contacts/{person.id}/erasure", json={"confirm": "yes"}).status_code == 400
    assert api(admin).post(f"/api/v1/contacts/{person.id}/erasure", json=["confirm"]).status_code == 400
    db.session.expire_all()
    assert db.session.get(Contact, person.id).erased_at is None

    response = api(admin).post(f"/api/v1/contacts/{person.id}/erasure", json={"confirm": True})
    assert response.status_code == 200
    assert response.json == {"contact_id": person.id, "invitations": 1, "guests": 0, "answers": 1, "messages": 0,
                             "received": 0, "printables": 2, "files": 0}
    auth.login(admin)
    form = client.get(f"/contacts/{by_page.id}/erase")
    assert client.post(f"/contacts/{by_page.id}/erase",
                       data={"confirm": "y", "csrf_token": csrf_token_from(form.text)}).status_code == 303

    db.session.expire_all()
    person = db.session.get(Contact, person.id)
    assert person.erased_at is not None and person.full_name == "—" and person.email is None
    for column in (Registration.full_name, FeedbackAnswer.better, QuestionAnswer.value):
        assert all(NAME not in str(v) and "Âm thanh" not in str(v) and "ăn chay" not in str(v)
                   for v in db.session.scalars(select(column)))
    assert db.session.scalars(select(Printable).where(Printable.event_id == event.id)).all() == []
    erased = [e for e in _entries(db) if e[0] == "person_erased"]
    # Same effects, same entry, whichever way it came: only the contact's id differs.
    (_, api_actor, api_type, api_id, api_details), (_, page_actor, page_type, page_id, page_details) = erased
    assert (api_actor, api_type, api_id) == ("quan-tri@example.vn", "contacts", str(person.id))
    assert (page_actor, page_type, page_id) == ("quan-tri@example.vn", "contacts", str(by_page.id))
    assert api_details == page_details == {"requested_by": "staff", "invitations": 1, "guests": 0, "answers": 1,
                                           "messages": 0, "received": 0, "printables": 2, "files": 0}
    assert NAME not in str(erased) and EMAIL not in str(erased)
    # Erased already: 404 for both operations.
    assert api(admin).get(f"/api/v1/contacts/{person.id}/personal-data").status_code == 404
    assert api(admin).post(f"/api/v1/contacts/{person.id}/erasure", json={"confirm": True}).status_code == 404


def test_organisers_and_viewers_are_refused_and_nothing_changes(app, db, api):
    association, _, person = _person(db)
    own_organiser = staff(association, Role.ORGANISER)
    other = staff(AssociationFactory(), Role.ORGANISER)
    viewer = staff(association, Role.VIEWER)
    before = _entries(db)
    refused = api(own_organiser).get(f"/api/v1/contacts/{person.id}/personal-data")
    assert refused.json["error"]["message"] == "Chỉ quản trị viên mới được xuất hoặc xóa dữ liệu của một người."
    own_organiser.locale = "en"
    db.session.commit()
    refused = api(own_organiser).post(f"/api/v1/contacts/{person.id}/erasure", json={"confirm": True})
    assert refused.json["error"]["message"] == "Only an administrator can export or erase a person's data."
    for user in (own_organiser, other, viewer):
        assert api(user).get(f"/api/v1/contacts/{person.id}/personal-data").status_code == 403
        assert api(user).post(f"/api/v1/contacts/{person.id}/erasure", json={"confirm": True}).status_code == 403
        assert api(user).get("/api/v1/contacts/999999/personal-data").status_code == 403  # existence not revealed
    assert _entries(db) == before
    db.session.expire_all()
    assert db.session.get(Contact, person.id).full_name == NAME
    admin = UserFactory(is_admin=True)
    assert api(admin).get(f"/api/v1/contacts/{2**63}/personal-data").status_code == 404
    assert api(admin).post("/api/v1/contacts/999999/erasure", json={"confirm": True}).status_code == 404


def test_the_openapi_document_describes_both_operations(client, db):
    document = client.get("/api/v1/openapi.json").json
    export = document["paths"]["/contacts/{contact_id}/personal-data"]["get"]
    erase = document["paths"]["/contacts/{contact_id}/erasure"]["post"]
    assert export["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PersonalData"}
    assert erase["responses"]["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Erasure"}
    assert {"400", "401", "403", "404"} <= set(erase["responses"]) and {"403", "404"} <= set(export["responses"])
    received = document["components"]["schemas"]["PersonalData"]["properties"]["messages_received"]["items"]
    assert "from" in received["properties"] and "from" in received["required"]


def test_erasure_removes_the_printed_pdfs_naming_the_person_and_new_ones_do_not_name_them(app, db, api, tmp_path):
    """Badges, invitation cards and place cards are kept on the server (printables) until downloaded again:
    erasing a person deletes those of their events; drawn again, they no longer name them."""
    from eventsapp.attendance import printables as door_printables
    from eventsapp.ceremony import printables as ceremony_printables
    from eventsapp.ceremony import seating
    from tests.ceremony_support import ceremony
    from tests.test_attendance_printables import pdf_text

    world = ceremony(invitees=6, tables=1, capacity=10, delegation_sizes=())
    event, invitation = world.event, world.invitations[2]
    person = invitation.contact
    name = person.full_name
    seating.assign(event)
    rows = [door_printables.request_printable(event, kind, {"paper": "A4", "columns": 2, "rows": 5, "audience": "all"})
            for kind in ("badges", "invitation_cards")]
    rows.append(ceremony_printables.request_printable(event, "place_cards", "vi"))
    db.session.commit()
    ids = [row.id for row in rows]
    for row in rows:
        (ceremony_printables if row.kind == "place_cards" else door_printables).render(row.id)
    db.session.expire_all()
    for printable_id in ids:
        assert name in pdf_text(db.session.get(Printable, printable_id).content, tmp_path), printable_id

    admin = UserFactory(is_admin=True)
    erased = api(admin).post(f"/api/v1/contacts/{person.id}/erasure", json={"confirm": True})
    assert erased.status_code == 200 and erased.json["printables"] == 3
    db.session.expire_all()
    assert db.session.scalars(select(Printable).where(Printable.event_id == event.id)).all() == []
    again = door_printables.request_printable(event, "badges", {"paper": "A4", "columns": 2, "rows": 5,
                                                                "audience": "all"})
    db.session.commit()
    door_printables.render(again.id)
    db.session.expire_all()
    text = pdf_text(db.session.get(Printable, again.id).content, tmp_path)
    assert name not in text and world.invitations[3].contact.full_name in text
