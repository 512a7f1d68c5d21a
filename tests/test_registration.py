"""Open registration: the form on the public page, the confirmation link, automatic acceptance and approval,
no existence oracle, rate limits, CSRF, the merge with a known contact, and capacity under concurrency."""
from __future__ import annotations

import re
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from http.cookiejar import CookieJar

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from eventsapp.contacts.models import Contact
from eventsapp.events.models import EventStatus, Visibility
from eventsapp.invitations.models import Invitation, InvitationStatus
from eventsapp.mail.models import MessageKind, OutboxMessage
from eventsapp.questions import services as questions
from eventsapp.questions.models import QuestionKind
from eventsapp.registration import services
from eventsapp.registration.models import Registration, RegistrationSettings, RegistrationState
from tests.conftest import csrf_token_from
from tests.factories import AssociationFactory, ContactFactory, EventFactory, InvitationFactory, staff


def open_event(db, *, approval=False, **fields):
    event = EventFactory(**{"status": EventStatus.PUBLISHED, "visibility": Visibility.PUBLIC, **fields})
    db.session.add(RegistrationSettings(event_id=event.id, is_open=True, needs_approval=approval))
    db.session.commit()
    return event


def register(client, event, **data):
    page = client.get(f"/e/{event.slug}")
    values = {"full_name": "Phạm Thị Lan", "email": "lan@example.vn", "phone": "", "guests": "0", **data}
    return client.post(f"/e/{event.slug}/register", data={"csrf_token": csrf_token_from(page.text), **values})


def last_registration(db) -> Registration:
    db.session.expire_all()
    return db.session.scalars(select(Registration).order_by(Registration.id.desc())).first()


def confirm(client, event, registration):
    url = f"/e/{event.slug}/register/confirm/{services.token_for(registration)}"
    page = client.get(url)
    assert page.status_code == 200
    return client.post(url, data={"csrf_token": csrf_token_from(page.text)})


def count(db, model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def test_an_organiser_opens_registration_and_the_public_page_shows_the_form(client, auth, db):
    event = EventFactory(status=EventStatus.PUBLISHED, visibility=Visibility.PUBLIC)
    assert 'id="registration-form"' not in client.get(f"/e/{event.slug}").text
    auth.login(staff(event.association))
    page = client.get(f"/events/{event.id}/registration")
    assert "Mở đăng ký trên trang công khai" in page.text
    assert auth.post(f"/events/{event.id}/registration", {"is_open": "y"}).status_code == 303
    client.get("/logout")
    public = client.get(f"/e/{event.slug}").text
    assert 'id="registration-form"' in public and "Đăng ký" in public
    client.get("/lang/en")
    assert "Register" in client.get(f"/e/{event.slug}").text


def test_a_registration_is_confirmed_by_its_link_and_becomes_an_accepted_invitee(client, db):
    event = open_event(db, max_guests=2)
    meal = questions.create_question(event, questions.QuestionValues(
        kind=QuestionKind.CHOICE, text_vi="Quý vị dùng món gì?", options=[("Món chay", "Vegetarian"), ("Món mặn", "")],
        required=True))
    db.session.commit()
    vegetarian = meal.options[0]["key"]
    refused = register(client, event, guests="1")
    assert refused.status_code == 400 and "Xin trả lời câu hỏi này." in refused.text
    sent = register(client, event, guests="1", **{f"question-{meal.id}": str(vegetarian)})
    assert sent.status_code == 200 and "Xin kiểm tra email" in sent.text
    # Nothing but the registration and its link: no contact before the address is confirmed.
    assert count(db, Contact) == 0 and count(db, Invitation) == 0
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == MessageKind.REGISTRATION))
    assert message.recipient == "lan@example.vn"

    registration = last_registration(db)
    url = f"/e/{event.slug}/register/confirm/{services.token_for(registration)}"
    assert "Xác nhận đăng ký" in client.get(url).text
    assert last_registration(db).state == RegistrationState.UNCONFIRMED  # a link scanner's GET confirms nothing
    done = confirm(client, event, registration)
    assert done.status_code == 200 and "đăng ký của Quý vị đã được xác nhận" in done.text
    registration = last_registration(db)
    assert registration.state == RegistrationState.ACCEPTED
    invitation = db.session.get(Invitation, registration.invitation_id)
    assert (invitation.status, invitation.guests) == (InvitationStatus.ACCEPTED, 1)
    contact = invitation.contact
    assert (contact.full_name, contact.email) == ("Phạm Thị Lan", "lan@example.vn")
    assert event.association in contact.associations
    assert questions.stored(questions.Person(invitation_id=invitation.id)) == {meal.id: str(vegetarian)}
    kinds = db.session.scalars(select(OutboxMessage.kind).where(OutboxMessage.invitation_id == invitation.id)).all()
    assert MessageKind.CONFIRMATION in kinds  # their RSVP link and check-in code
    # The link again: it says so, and nothing changes.
    again = client.get(f"/e/{event.slug}/register/confirm/{services.token_for(registration)}")
    assert again.status_code == 200 and 'id="registration-state"' in again.text
    assert count(db, Invitation) == 1 and count(db, Contact) == 1


def test_the_answer_and_the_statements_are_the_same_whether_or_not_the_address_is_known(app, client, db):
    event = open_event(db)
    ContactFactory(email="known@example.vn", full_name="Người Đã Có", associations=[AssociationFactory()])
    db.session.commit()

    def attempt(address):
        page = client.get(f"/e/{event.slug}")
        data = {"csrf_token": csrf_token_from(page.text), "full_name": "Khách Lạ", "email": address, "guests": "0"}
        statements = []

        def record(conn, cursor, statement, *args):
            statements.append(re.sub(r"\d+", "N", statement))
        sa_event.listen(db.engine, "before_cursor_execute", record)
        try:
            response = client.post(f"/e/{event.slug}/register", data=data)
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", record)
        return response, statements

    known, known_statements = attempt("known@example.vn")
    unknown, unknown_statements = attempt("nobody@example.vn")
    assert known.status_code == unknown.status_code == 200
    assert known.text.replace("known@example.vn", "X") == unknown.text.replace("nobody@example.vn", "X")
    assert "Người Đã Có" not in known.text
    assert known_statements == unknown_statements
    assert not any("contacts" in statement for statement in known_statements)


def test_a_known_address_is_merged_without_changing_or_showing_the_contact(client, db):
    event = open_event(db)
    other = AssociationFactory()
    contact = ContactFactory(email="cu@example.vn", full_name="Nguyễn Thị Cũ", phone="+420 111", associations=[other])
    db.session.commit()
    register(client, event, email="CU@example.vn ", full_name="Tên Khác", phone="+84 999")
    registration = last_registration(db)
    done = confirm(client, event, registration)
    assert "Nguyễn Thị Cũ" not in done.text and "+420" not in done.text
    db.session.expire_all()
    kept = db.session.get(Contact, contact.id)
    assert (kept.full_name, kept.phone, [a.id for a in kept.associations]) == ("Nguyễn Thị Cũ", "+420 111", [other.id])
    assert count(db, Contact) == 1
    invitation = db.session.get(Invitation, last_registration(db).invitation_id)
    assert invitation.contact_id == contact.id and invitation.status == InvitationStatus.ACCEPTED


def test_with_approval_an_organiser_accepts_or_declines_with_a_message_and_the_registrant_checks_in(
        client, auth, api, db):
    event = open_event(db, approval=True)
    for name, address in (("Trần Văn An", "an@example.vn"), ("Lê Thị Bình", "binh@example.vn")):
        register(client, event, full_name=name, email=address)
        confirm(client, event, last_registration(db))
    registrations = {r.email: r for r in db.session.scalars(select(Registration))}
    assert {r.state for r in registrations.values()} == {RegistrationState.PENDING}
    assert count(db, Invitation) == 0

    organiser = staff(event.association)
    auth.login(organiser)
    page = client.get(f"/events/{event.id}/registration").text
    assert "Trần Văn An" in page and "Chờ duyệt" in page
    url = f"/events/{event.id}/registrations/{{}}/{{}}"
    auth.post(url.format(registrations["an@example.vn"].id, "accept"), {"message": "Hẹn gặp Quý vị lúc 18:30."},
              form_url=f"/events/{event.id}/registration")
    auth.post(url.format(registrations["binh@example.vn"].id, "decline"), {"message": "Rất tiếc, đã hết chỗ."},
              form_url=f"/events/{event.id}/registration")
    db.session.expire_all()
    accepted, declined = registrations["an@example.vn"], registrations["binh@example.vn"]
    db.session.refresh(accepted)
    db.session.refresh(declined)
    assert accepted.state == RegistrationState.ACCEPTED and declined.state == RegistrationState.DECLINED
    decisions = db.session.scalars(select(OutboxMessage.recipient).where(
        OutboxMessage.kind == MessageKind.REGISTRATION_DECISION)).all()
    assert sorted(decisions) == ["an@example.vn", "binh@example.vn"]
    invitation = db.session.get(Invitation, accepted.invitation_id)
    assert invitation.status == InvitationStatus.ACCEPTED and invitation.token and invitation.checkin_token

    checked = api(organiser).post(f"/api/v1/events/{event.id}/attendance/checkins",
                                  json={"token": invitation.checkin_token})
    assert checked.status_code == 201, checked.json
    assert checked.json["contact"]["full_name"] == "Trần Văn An"


def test_without_a_csrf_token_nothing_is_registered(client, db):
    event = open_event(db)
    response = client.post(f"/e/{event.slug}/register", data={"full_name": "A", "email": "a@example.vn"})
    assert response.status_code == 400
    assert count(db, Registration) == 0


@pytest.mark.parametrize(("data", "message"), [
    ({"full_name": "x" * 10_000}, "Tối đa 200 ký tự"),
    ({"full_name": "a\u2028b"}, "một dòng"),
    ({"email": "không-phải-email"}, "Địa chỉ email không hợp lệ"),
    ({"email": "a@b.vn" + "x" * 10_000}, "Tối đa 254 ký tự"),
    ({"guests": str(2**63)}, "Tối đa 2"),
    ({"guests": "{}"}, "Nhập một số nguyên"),
    ({"full_name": ""}, "Hãy nhập họ và tên"),
])
def test_hostile_registrations_are_refused_and_record_nothing(client, db, data, message):
    event = open_event(db, max_guests=2)
    response = register(client, event, **data)
    assert response.status_code == 400 and message in response.text
    assert count(db, Registration) == 0 and count(db, OutboxMessage) == 0


def test_a_nul_is_refused_before_any_view(client, db):
    event = open_event(db)
    assert register(client, event, full_name="a\x00b").status_code == 400
    assert count(db, Registration) == 0


def test_a_closed_or_invite_only_event_takes_no_registration(client, db):
    closed = EventFactory(status=EventStatus.PUBLISHED, visibility=Visibility.PUBLIC)
    token = csrf_token_from(client.get(f"/e/{open_event(db).slug}").text)
    response = client.post(f"/e/{closed.slug}/register", data={"csrf_token": token, "full_name": "Lan",
                                                               "email": "lan@example.vn"})
    assert response.status_code == 409 and "Sự kiện này không nhận đăng ký." in response.text
    assert count(db, Registration) == 0
    private = open_event(db, visibility=Visibility.INVITE_ONLY)
    assert client.post(f"/e/{private.slug}/register", data={"csrf_token": token}).status_code == 404


def test_an_altered_or_foreign_confirmation_link_shows_nothing(client, db):
    event, other = open_event(db), open_event(db)
    register(client, event)
    registration = last_registration(db)
    token = services.token_for(registration)
    assert client.get(f"/e/{event.slug}/register/confirm/{token[:-2]}xx").status_code == 404
    assert client.get(f"/e/{other.slug}/register/confirm/{token}").status_code == 404


@contextmanager
def limits(app, **values):
    saved = {key: app.config[key] for key in values}
    app.config.update(values)
    try:
        yield
    finally:
        app.config.update(saved)


def test_registrations_are_rate_limited_per_address_from_any_client(app, client, db):
    event = open_event(db)
    with limits(app, REGISTRATION_RATE_LIMIT_PER_ADDRESS="2 per hour"):
        client.environ_base["REMOTE_ADDR"] = "198.51.100.7"
        assert register(client, event, email="flood@example.vn").status_code == 200
        assert register(client, event, email="flood@example.vn").status_code == 200
        client.environ_base["REMOTE_ADDR"] = "198.51.100.8"
        assert register(client, event, email="flood@example.vn").status_code == 429
        assert register(client, event, email="someone-else@example.vn").status_code == 200
    assert count(db, Registration) == 3


def test_registrations_are_rate_limited_per_client(app, client, db):
    event = open_event(db)
    with limits(app, REGISTRATION_RATE_LIMIT_PER_CLIENT="2 per hour"):
        client.environ_base["REMOTE_ADDR"] = "198.51.100.9"
        assert register(client, event, email="a1@example.vn").status_code == 200
        assert register(client, event, email="a2@example.vn").status_code == 200
        assert register(client, event, email="a3@example.vn").status_code == 429
        client.environ_base["REMOTE_ADDR"] = "198.51.100.10"
        assert register(client, event, email="a3@example.vn").status_code == 200
    assert count(db, Registration) == 3


def _confirm_over_http(base: str, slug: str, token: str) -> int:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    url = f"{base}/e/{slug}/register/confirm/{token}"
    page = opener.open(url, timeout=120).read().decode()
    body = urllib.parse.urlencode({"csrf_token": csrf_token_from(page)}).encode()
    return opener.open(urllib.request.Request(url, data=body), timeout=120).status


def _register_over_http(base: str, slug: str, n: int) -> int:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    page = opener.open(f"{base}/e/{slug}", timeout=120).read().decode()
    body = urllib.parse.urlencode({"csrf_token": csrf_token_from(page), "full_name": f"Khách {n}",
                                   "email": f"gia-dinh{n}@example.vn", "guests": "1"}).encode()
    return opener.open(urllib.request.Request(f"{base}/e/{slug}/register", data=body), timeout=120).status


@pytest.mark.slow
def test_50_simultaneous_registrations_and_confirmations_for_the_last_seats_never_overbook(db, live_server):
    """Seats count people: 50 people registering with one guest each, all at once, then all confirming at once,
    for the last 9 seats of an event: 4 couples fit (8 people), the others wait; nobody's confirmation fails."""
    event = open_event(db, capacity=20, max_guests=1)
    for _ in range(11):
        InvitationFactory(event=event, status=InvitationStatus.ACCEPTED)
    slug = event.slug  # the threads have no app context to load it in
    with ThreadPoolExecutor(max_workers=25) as pool:
        statuses = list(pool.map(lambda n: _register_over_http(live_server, slug, n), range(50)))
    assert statuses == [200] * 50
    tokens = [services.token_for(r) for r in db.session.scalars(select(Registration))]
    assert len(tokens) == 50
    with ThreadPoolExecutor(max_workers=25) as pool:
        statuses = list(pool.map(lambda t: _confirm_over_http(live_server, slug, t), tokens))
    assert statuses == [200] * 50
    db.session.expire_all()
    people = db.session.scalar(select(func.sum(1 + Invitation.guests)).where(
        Invitation.event_id == event.id, Invitation.status == InvitationStatus.ACCEPTED))
    assert people == 19  # 11 seated + 4 couples; one seat stays: a couple does not fit in it
    counts = dict(db.session.execute(select(Invitation.status, func.count()).where(Invitation.event_id == event.id)
                                     .group_by(Invitation.status)).all())
    assert counts == {InvitationStatus.ACCEPTED: 15, InvitationStatus.WAITLISTED: 46}
    assert count(db, Contact) == 50 + 11
