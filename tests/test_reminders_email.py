"""The reminder e-mail: the invitee's language and zone, answer links, .ics, QR code, changes."""
from __future__ import annotations

from email import message_from_bytes, policy

from icalendar import Calendar
from sqlalchemy import select

from eventsapp.events.models import ChangeKind, EventChange
from eventsapp.invitations.models import InvitationStatus
from eventsapp.mail.models import MessageKind, MessageState, OutboxMessage
from eventsapp.mail.renderers import render
from eventsapp.mail.services import queue_messages
from eventsapp.reminders import services
from tests.reminders_helpers import DAY, HOUR, START, invite, make_event, move_event, rule


def fired_message(db, invitation) -> OutboxMessage:
    services.fire_due(now=START - DAY)
    db.session.expire_all()
    return db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.invitation_id == invitation.id, OutboxMessage.kind.in_((MessageKind.REMINDER, MessageKind.THANK_YOU))))


def parts(email):
    parsed = message_from_bytes(bytes(email), policy=policy.default)
    text = parsed.get_body(preferencelist=("plain",)).get_content()
    html = parsed.get_body(preferencelist=("html",)).get_content()
    return parsed, text, html


def test_an_invitee_in_berlin_sees_the_time_in_berlin_and_in_hanoi(db):
    event = make_event(title_en="Tết gathering in Bắc Giang")
    invitation = invite(event, InvitationStatus.ACCEPTED, full_name="Klaus Müller", email="klaus@example.de",
                        timezone="Europe/Berlin", language="en")
    rule(event, offset=-DAY, message_en="Please bring your membership card.")
    parsed, text, html = parts(render(fired_message(db, invitation)))

    assert "7:00 PM · Vietnam Time (UTC+7)" in text  # the event's zone: Hà Nội time
    assert "1:00 PM · Germany (Berlin) Time (UTC+1)" in text     # the invitee's zone
    assert "Saturday" in text and "This is a reminder of Tết gathering in Bắc Giang." in text
    assert "Please bring your membership card." in text and "Please bring your membership card." in html
    assert parsed["Subject"].startswith("Reminder: Tết gathering in Bắc Giang")
    assert f"/rsvp/{invitation.token}" in text
    assert parsed["List-Unsubscribe"].strip() == f"<http://eventsapp.test/unsubscribe/{invitation.contact.unsubscribe_token}>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_the_reminder_carries_the_calendar_request_and_the_qr_code_for_the_door(db):
    event = make_event()
    invitation = invite(event, InvitationStatus.ACCEPTED, email="an@example.vn")
    rule(event, offset=-DAY)
    parsed, text, html = parts(render(fired_message(db, invitation)))

    calendar_parts = [p for p in parsed.walk() if p.get_content_type() == "text/calendar"]
    assert len(calendar_parts) == 1 and calendar_parts[0].get_param("method") == "REQUEST"
    attachment = next(p for p in parsed.iter_attachments() if p.get_filename() == "invite.ics")
    calendar = Calendar.from_ical(attachment.get_content())
    assert calendar["METHOD"] == "REQUEST"
    vevent = calendar.walk("VEVENT")[0]
    assert str(vevent["UID"]) == event.uid
    assert "mailto:an@example.vn" in str(vevent["ATTENDEE"]) and vevent["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"
    image = next(p for p in parsed.walk() if p.get_content_type() == "image/png")
    assert image.get_content()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f'src="cid:{image["Content-ID"].strip("<>")}"' in html


def test_a_pending_invitee_is_asked_to_answer_in_vietnamese(db):
    event = make_event(title_vi="Gặp mặt Xuân Quê hương")
    invitation = invite(event, InvitationStatus.PENDING, full_name="Trần Thị Bình", language="vi")
    rule(event, offset=-DAY)
    parsed, text, html = parts(render(fired_message(db, invitation)))
    assert parsed["Subject"] == "Xin trả lời: Gặp mặt Xuân Quê hương"
    assert "Kính gửi: Trần Thị Bình" in text
    assert "Thứ Bảy, 30 tháng 1, 2027, 19:00 · giờ Việt Nam (UTC+7)" in text
    assert text.count("giờ ") == 2  # one zone when the invitee's is the event's (the start and the end)
    for answer in ("accepted", "tentative", "declined"):
        assert f"/rsvp/{invitation.token}?answer={answer}" in text


def test_the_reminder_says_what_changed_since_the_invitation(db):
    event = make_event()
    told = invite(event, InvitationStatus.ACCEPTED, email="an@example.vn", language="en")
    queue_messages([{"kind": MessageKind.INVITATION, "dedupe_key": f"invitation:{told.id}:seq:0",
                     "recipient": "an@example.vn", "invitation_id": told.id, "event_id": event.id,
                     "state": MessageState.SENT, "payload": {"sequence": 0}}], wake_sender=False)
    db.session.commit()
    rule(event, offset=-DAY)
    move_event(event, START + 2 * HOUR)  # 21:00 in Hà Nội
    services.fire_due(now=START + 2 * HOUR - DAY)
    db.session.expire_all()
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == MessageKind.REMINDER))
    assert message.payload["since_sequence"] == 0 and message.payload["sequence"] == 1
    parsed, text, html = parts(render(message))
    assert "What changed since your invitation:" in text
    assert "The time has changed: it now starts Saturday, January 30, 2027, 9:00 PM · Vietnam Time (UTC+7)." in text


def test_no_changes_section_when_nothing_changed(db):
    event = make_event()
    invitation = invite(event, InvitationStatus.ACCEPTED, language="en")
    rule(event, offset=-DAY)
    db.session.add(EventChange(event=event, sequence=0, kind=ChangeKind.PLACE))
    db.session.commit()
    parsed, text, html = parts(render(fired_message(db, invitation)))
    assert "What changed" not in text


def test_the_thank_you_is_in_the_invitees_language_with_the_message(db):
    from eventsapp.reminders.models import Anchor, RuleKind

    event = make_event(title_vi="Lễ trao Bằng khen")
    invitation = invite(event, InvitationStatus.ACCEPTED, full_name="Lê Văn Cường", language="vi")
    rule(event, kind=RuleKind.THANK_YOU, anchor=Anchor.END, offset=DAY, audience=("accepted",),
         message_vi="Hẹn gặp lại quý vị năm sau.", message_en="See you next year.")
    services.fire_due(now=event.ends_at + DAY)
    db.session.expire_all()
    message = db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.invitation_id == invitation.id, OutboxMessage.kind.in_((MessageKind.REMINDER, MessageKind.THANK_YOU))))
    parsed, text, html = parts(render(message))
    assert parsed["Subject"] == "Cảm ơn Quý vị đã tham dự Lễ trao Bằng khen"
    assert "Hẹn gặp lại quý vị năm sau." in text and "See you next year." not in text
