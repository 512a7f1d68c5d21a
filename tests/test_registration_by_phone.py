"""Registration with a phone number alone (issue 27): a code by SMS through the one outbox, typed on a page; the
code expires, works once, allows few tries, is rate-limited and tells nobody anything; confirming it does what
the e-mail link does. Without an SMS gateway the person is told plainly to give an e-mail address."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from eventsapp.channels import dispatch
from eventsapp.contacts.models import Contact
from eventsapp.invitations.models import Invitation, InvitationStatus
from eventsapp.mail.models import Channel, MessageKind, MessageState, OutboxMessage
from eventsapp.registration import codes, services
from eventsapp.registration.models import Registration, RegistrationState
from eventsapp.timeutils import utcnow
from tests.conftest import csrf_token_from
from tests.factories import ContactFactory, staff
from tests.test_registration import count, last_registration, limits, open_event, register

PHONE = "+84912345678"


def register_by_phone(client, event, phone="0912 345 678", **data):
    return register(client, event, email="", phone=phone, **data)


def code_page(client, response) -> str:
    assert response.status_code == 303, response.text[:500]
    return response.headers["Location"].removeprefix("http://localhost")


def sms_rows() -> list[OutboxMessage]:
    from eventsapp.extensions import db

    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == Channel.SMS)
                                   .order_by(OutboxMessage.id)))


def sent_code(gateways) -> str:
    """The code in the last SMS the fake eSMS gateway received."""
    dispatch.dispatch(Channel.SMS)
    content = gateways.esms.sends()[-1]["body"]["Content"]
    return re.search(r"\b(\d{6})\b", content).group(1)


def type_code(client, url, code, **extra):
    page = client.get(url)
    if 'name="csrf_token"' not in page.text:  # confirmed already: the session's token from the event's page
        page = client.get(url.split("/register/")[0])
    return client.post(url, data={"csrf_token": csrf_token_from(page.text), "code": code, **extra})


def test_without_an_sms_gateway_a_phone_only_registration_is_told_to_give_an_e_mail(client, db):
    event = open_event(db)
    assert "mã qua SMS" not in client.get(f"/e/{event.slug}").text  # the form offers no SMS
    refused = register_by_phone(client, event)
    assert refused.status_code == 409
    assert "Xin cho địa chỉ email: chúng tôi không gửi được mã qua SMS để xác nhận." in refused.text
    neither = register(client, event, email="", phone="")
    assert neither.status_code == 400 and "Hãy nhập địa chỉ email, hoặc số di động để nhận mã qua SMS." in neither.text
    assert count(db, Registration) == 0 and count(db, OutboxMessage) == 0


def test_a_phone_registration_is_confirmed_by_the_sms_code_and_becomes_an_invitee(client, db, gateways):
    event = open_event(db, max_guests=2, title_vi="Gặp mặt Xuân Quê hương 2027")
    assert "mã qua SMS" in client.get(f"/e/{event.slug}").text
    url = code_page(client, register_by_phone(client, event, guests="1"))
    registration = last_registration(db)
    assert (registration.email, registration.phone, registration.state) == ("", PHONE, RegistrationState.UNCONFIRMED)
    assert count(db, Contact) == 0 and count(db, Invitation) == 0  # nothing before the code is typed
    [row] = sms_rows()
    assert (row.kind, row.recipient) == (MessageKind.REGISTRATION, PHONE)
    page = client.get(url)
    assert page.status_code == 200 and "+84••••••678" in page.text and PHONE not in page.text
    assert "mã gồm 6 chữ số" in page.text

    code = sent_code(gateways)
    [request] = gateways.esms.sends()
    assert request["body"]["Phone"] == "0912345678"
    # eSMS sends without accents (one segment is 160 characters, not 70).
    assert request["body"]["Content"] == f"{code} la ma xac nhan dang ky du Gap mat Xuan Que huong 2027. " \
                                         "Ma dung duoc trong 15 phut."
    assert sms_rows()[0].state == MessageState.SENT
    assert code == codes.code_for(registration.id, registration.code_sent_at)

    wrong = type_code(client, url, "000000" if code != "000000" else "111111")
    assert wrong.status_code == 400 and "Mã này không đúng hoặc không còn dùng được" in wrong.text
    assert last_registration(db).code_attempts == 1
    done = type_code(client, url, f"{code[:3]} {code[3:]}")  # people type spaces
    assert done.status_code == 200 and 'id="answer-page"' in done.text
    registration = last_registration(db)
    assert registration.state == RegistrationState.ACCEPTED
    invitation = db.session.get(Invitation, registration.invitation_id)
    assert (invitation.status, invitation.guests) == (InvitationStatus.ACCEPTED, 1)
    assert (invitation.contact.phone, invitation.contact.email) == (PHONE, None)
    assert f"/rsvp/{invitation.token}" in done.text
    # Once: the same code again changes nothing; the page says the registration is confirmed.
    again = type_code(client, url, code)
    assert again.status_code == 200 and 'id="registration-state"' in again.text
    assert count(db, Invitation) == 1 and count(db, Contact) == 1


def test_a_code_expires_after_15_minutes(client, db, gateways, travel):
    event = open_event(db)
    url = code_page(client, register_by_phone(client, event))
    code = sent_code(gateways)
    travel(utcnow() + codes.CODE_MAX_AGE + timedelta(seconds=5))
    late = type_code(client, url, code)
    assert late.status_code == 400 and "Mã này không đúng hoặc không còn dùng được" in late.text
    assert last_registration(db).state == RegistrationState.UNCONFIRMED and count(db, Contact) == 0


def test_after_five_wrong_tries_even_the_right_code_is_refused_the_same_way(client, db, gateways):
    event = open_event(db)
    url = code_page(client, register_by_phone(client, event))
    code = sent_code(gateways)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    answers = [type_code(client, url, wrong) for _ in range(codes.MAX_ATTEMPTS)]
    assert {a.status_code for a in answers} == {400}
    right = type_code(client, url, code)
    assert right.status_code == 400
    # The same words for a wrong, an expired and a used-up code: the page tells nothing more.
    message = "Mã này không đúng hoặc không còn dùng được"
    assert message in answers[0].text and message in right.text
    assert last_registration(db).state == RegistrationState.UNCONFIRMED and count(db, Invitation) == 0


def test_tries_are_rate_limited_per_client(app, client, db, gateways):
    event = open_event(db)
    with limits(app, REGISTRATION_CODE_RATE_LIMIT_PER_CLIENT="3 per hour"):
        client.environ_base["REMOTE_ADDR"] = "198.51.100.21"
        url = code_page(client, register_by_phone(client, event))
        statuses = [type_code(client, url, "12345" + str(n)).status_code for n in range(4)]
        assert statuses[-1] == 429 and 429 not in statuses[:3]
    assert last_registration(db).code_attempts <= 3


@pytest.mark.parametrize("value", ["x" * 10_000, "=cmd", "12\r\n34", "{}", "javascript:alert(1)", "１２３４５６", ""])
def test_hostile_codes_are_refused_and_confirm_nothing(client, db, gateways, value):
    event = open_event(db)
    url = code_page(client, register_by_phone(client, event))
    response = type_code(client, url, value)
    assert response.status_code == 400
    assert last_registration(db).state == RegistrationState.UNCONFIRMED and count(db, Contact) == 0


def test_without_a_csrf_token_no_try_is_counted(client, db, gateways):
    event = open_event(db)
    url = code_page(client, register_by_phone(client, event))
    code = sent_code(gateways)
    assert client.post(url, data={"code": code}).status_code == 400
    registration = last_registration(db)
    assert (registration.state, registration.code_attempts) == (RegistrationState.UNCONFIRMED, 0)


def test_no_oracle_a_known_and_an_unknown_number_get_the_same_answer(client, db, gateways):
    event = open_event(db)
    ContactFactory(full_name="Người Đã Có", email=None, phone="+84987654321")
    db.session.commit()
    known = register_by_phone(client, event, phone="0987 654 321")
    unknown = register_by_phone(client, event, phone="0911 222 333")
    assert known.status_code == unknown.status_code == 303
    known_page, unknown_page = client.get(code_page(client, known)), client.get(code_page(client, unknown))
    assert known_page.status_code == unknown_page.status_code == 200
    assert "Người Đã Có" not in known_page.text
    assert known_page.text.replace("987", "911").replace("321", "333").count("\n") == unknown_page.text.count("\n")
    # A key that was altered, or the e-mail link's key, opens no code page; the code page's key confirms nothing.
    altered = code_page(client, register_by_phone(client, event, phone="0911 444 555"))
    assert client.get(altered[:-3] + "xyz").status_code == 404
    registration = last_registration(db)
    assert client.get(f"/e/{event.slug}/register/code/{services.token_for(registration)}").status_code == 404
    token = altered.rsplit("/", 1)[1]
    assert client.get(f"/e/{event.slug}/register/confirm/{token}").status_code == 404


def test_with_approval_the_decision_goes_by_sms_and_the_person_reads_it_in_english(client, auth, db, gateways):
    event = open_event(db, approval=True, title_en="Spring gathering 2027")
    client.get("/lang/en")
    url = code_page(client, register_by_phone(client, event, phone="+420 601 234 567", full_name="Jana Nováková"))
    assert "6 digits" in client.get(url).text
    dispatch.dispatch(Channel.SMS)
    [request] = gateways.twilio.sends()  # not a Vietnamese number: Twilio
    text = request["body"]["Body"]
    code = re.search(r"\b(\d{6})\b", text).group(1)
    assert "is your code to confirm the registration for Spring gathering 2027" in text
    done = type_code(client, url, code)
    assert "tell you by SMS" in done.text
    registration = last_registration(db)
    assert registration.state == RegistrationState.PENDING

    organiser = staff(event.association)
    auth.login(organiser)
    auth.post(f"/events/{event.id}/registrations/{registration.id}/accept", {"message": ""},
              form_url=f"/events/{event.id}/registration")
    decision = [row for row in sms_rows() if row.kind == MessageKind.REGISTRATION_DECISION]
    assert [row.recipient for row in decision] == ["+420601234567"]
    dispatch.dispatch(Channel.SMS)
    accepted = gateways.twilio.sends()[-1]["body"]["Body"]
    assert "Your registration for Spring gathering 2027 is accepted. Your answer page: http" in accepted


def test_end_to_end_the_real_worker_sends_the_code_and_the_person_types_it(client, db, gateways, celery_worker):
    """The web app queues the SMS row and wakes the dispatcher after commit; the real worker sends it through
    the fake eSMS gateway; the code read from that SMS confirms the registration."""
    import time

    event = open_event(db, title_vi="Đêm hội Trăng rằm")
    url = code_page(client, register_by_phone(client, event, phone="0913 579 246"))
    deadline = time.monotonic() + 90
    while not gateways.esms.sends() and time.monotonic() < deadline:
        time.sleep(0.3)
    [request] = gateways.esms.sends()
    assert request["body"]["Phone"] == "0913579246"
    code = re.search(r"\b(\d{6})\b", request["body"]["Content"]).group(1)
    done = type_code(client, url, code)
    assert done.status_code == 200 and 'id="answer-page"' in done.text
    registration = last_registration(db)
    assert registration.state == RegistrationState.ACCEPTED
    assert db.session.get(Invitation, registration.invitation_id).contact.phone == "+84913579246"
    assert [row.state for row in sms_rows()] == [MessageState.SENT]


def test_erasing_a_person_clears_their_phone_registrations_not_yet_confirmed(client, db, gateways):
    from eventsapp.privacy import services as privacy

    event = open_event(db)
    person = ContactFactory(full_name="Đỗ Văn Xoá", email=None, phone=PHONE)
    db.session.commit()
    code_page(client, register_by_phone(client, event, full_name="Đỗ Văn Xoá"))
    privacy.erase(db.session.get(Contact, person.id))
    db.session.commit()
    registration = last_registration(db)
    assert (registration.phone, registration.email) == ("", "") and "Xoá" not in registration.full_name
