"""An invitation-sized renderer for bench/mail_send.py (text + HTML + iTIP .ics, about 8 KB).

Loaded into the bench's workers with `celery worker -I bench.mail_renderer`; it registers
for MessageKind.INVITATION after the app's own renderers, so the bench measures the
pipeline with a message of realistic size and cost (a calendar built per recipient).
"""
from __future__ import annotations

from email.message import EmailMessage
from html import escape

from flask import current_app

from eventsapp.calendars.core import personal_event_ics
from eventsapp.mail.models import MessageKind, OutboxMessage
from eventsapp.mail.renderers import load_all, renderer
from eventsapp.timeutils import zone

PARAGRAPH = ("Nhân dịp Xuân Quê hương, Hội hữu nghị trân trọng kính mời Quý vị cùng gia đình đến dự buổi gặp mặt "
             "thân mật với kiều bào, bạn bè quốc tế và các hội viên. Chương trình gồm văn nghệ dân tộc, gói bánh "
             "chưng, trao tặng bằng khen cho các cá nhân có nhiều đóng góp cho tình hữu nghị giữa các dân tộc.")


def build(message: OutboxMessage) -> EmailMessage:
    event, contact = message.event, message.contact
    base = current_app.config["BASE_URL"]
    token = f"{message.id:08d}{message.dedupe_key[-8:]}"
    when = event.starts_at.astimezone(zone(event.timezone)).strftime("%H:%M ngày %d/%m/%Y")
    links = {answer: f"{base}/rsvp/{token}?answer={answer}" for answer in ("accept", "tentative", "decline")}
    text = (f"Kính gửi {contact.full_name},\n\n" + (PARAGRAPH + "\n\n") * 3 +
            f"Thời gian: {when} ({event.timezone})\nĐịa điểm: {event.venue_name}, {event.venue_address}\n\n" +
            "\n".join(f"{k}: {v}" for k, v in links.items()) +
            f"\n\nHủy nhận thư: {base}/unsubscribe/{token}\n")
    html = ("<!doctype html><html><body style=\"font-family:sans-serif\">"
            f"<p>Kính gửi <strong>{escape(contact.full_name)}</strong>,</p>" +
            f"<p>{escape(PARAGRAPH)}</p>" * 3 +
            f"<table><tr><th>Thời gian</th><td>{when} ({event.timezone})</td></tr>"
            f"<tr><th>Địa điểm</th><td>{escape(event.venue_name)}, {escape(event.venue_address)}</td></tr></table>" +
            "".join(f'<a class="button" href="{v}" style="padding:8px 16px;margin:4px;border-radius:4px">{k}</a>'
                    for k, v in links.items()) +
            f'<p><a href="{base}/unsubscribe/{token}">Hủy nhận thư</a></p></body></html>')
    # As the app's invitation renderer: the calendar is serialised once per event of a batch
    # (calendars.core.ics_template_cache, opened by the sender); outside a batch it is built directly.
    ics = personal_event_ics(
        event, method="REQUEST", organizer_email="no-reply@eventsapp.example.vn", organizer_name="Hội hữu nghị",
        attendee=(contact.email, contact.full_name, "NEEDS-ACTION"))
    email = EmailMessage()
    email["Subject"] = f"Thư mời: {event.title_vi}"
    email["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    email["To"] = message.recipient
    email["List-Unsubscribe"] = f"<{base}/unsubscribe/{token}>"
    email.set_content(text)
    email.add_alternative(html, subtype="html")
    email.add_attachment(ics, maintype="text", subtype="calendar", filename="invite.ics",
                         params={"method": "REQUEST"})
    return email


load_all()  # the app's renderers first, so this one wins for the bench
renderer(MessageKind.INVITATION)(build)
