"""Open registration end to end with the real worker and SMTP: a person registers on the public page, the
worker mails the confirmation link, the link confirms, an organiser approves, the worker mails the invitee's
own answer page and check-in code, the invitee answers the event's questions there, the answers are
summarised, and the invitee is checked in at the door."""
from __future__ import annotations

import re

from sqlalchemy import select

from eventsapp.events.models import EventStatus, Visibility
from eventsapp.invitations.models import Invitation, InvitationStatus
from eventsapp.questions import services as questions
from eventsapp.questions.models import QuestionKind
from eventsapp.registration.models import Registration, RegistrationSettings, RegistrationState
from tests.conftest import csrf_token_from
from tests.factories import EventFactory, staff


def text_of(received) -> str:
    message = received.message
    part = message.get_body(preferencelist=("plain",)) if message.is_multipart() else message
    return part.get_content()


def test_register_confirm_approve_answer_and_check_in(client, auth, api, db, smtp_sink, celery_worker):
    event = EventFactory(status=EventStatus.PUBLISHED, visibility=Visibility.PUBLIC, title_vi="Xuân Quê hương 2027",
                         capacity=100)
    meal = questions.create_question(event, questions.QuestionValues(
        kind=QuestionKind.CHOICE, text_vi="Quý vị dùng món gì?", options=[("Món chay", ""), ("Món mặn", "")]))
    db.session.add(RegistrationSettings(event_id=event.id, is_open=True, needs_approval=True))
    organiser = staff(event.association)
    db.session.commit()
    address = "hoa.tran@example.vn"

    page = client.get(f"/e/{event.slug}")
    sent = client.post(f"/e/{event.slug}/register", data={
        "csrf_token": csrf_token_from(page.text), "full_name": "Trần Thị Hoa", "email": address, "guests": "0"})
    assert sent.status_code == 200

    celery_worker.wait_until(lambda: smtp_sink.to(address), timeout=90)
    link_mail = smtp_sink.to(address)[0]
    assert "Xin xác nhận đăng ký: Xuân Quê hương 2027" in link_mail.header("Subject")
    link = re.search(r"http://eventsapp\.test(/e/\S+/register/confirm/\S+)", text_of(link_mail)).group(1)
    confirm_page = client.get(link)
    done = client.post(link, data={"csrf_token": csrf_token_from(confirm_page.text)})
    assert "Ban tổ chức sẽ xem xét" in done.text

    auth.login(organiser)
    registration = db.session.scalar(select(Registration).where(Registration.email == address))
    auth.post(f"/events/{event.id}/registrations/{registration.id}/accept", {"message": "Hẹn gặp Quý vị."},
              form_url=f"/events/{event.id}/registration")
    db.session.expire_all()
    registration = db.session.get(Registration, registration.id)
    assert registration.state == RegistrationState.ACCEPTED
    invitation = db.session.get(Invitation, registration.invitation_id)
    assert invitation.status == InvitationStatus.ACCEPTED

    # The worker mails the decision (with the message) and the invitee's confirmation with their own RSVP link.
    celery_worker.wait_until(lambda: len(smtp_sink.to(address)) >= 3, timeout=90)
    texts = [text_of(m) for m in smtp_sink.to(address)]
    assert any("Hẹn gặp Quý vị." in t for t in texts)
    rsvp = next(re.search(r"http://eventsapp\.test(/rsvp/[A-Za-z0-9_-]+)", t) for t in texts
                if re.search(r"/rsvp/[A-Za-z0-9_-]+", t)).group(1)
    assert rsvp == f"/rsvp/{invitation.token}"

    client.get("/logout")
    answer_page = client.get(rsvp)
    vegetarian = str(meal.options[0]["key"])
    answered = client.post(rsvp, data={"csrf_token": csrf_token_from(answer_page.text), "status": "accepted",
                                       f"question-{meal.id}": vegetarian})
    assert answered.status_code == 303
    summary = {s.question.id: s for s in questions.summaries(event.id, "vi")}[meal.id]
    assert summary.lines[0] == ("Món chay", 1, 1)

    checked = api(organiser).post(f"/api/v1/events/{event.id}/attendance/checkins",
                                  json={"token": invitation.checkin_token})
    assert checked.status_code == 201 and checked.json["contact"]["full_name"] == "Trần Thị Hoa"
