"""The live progress bar of a send, in Chromium: it fills in as messages go out."""
from sqlalchemy import update

from eventsapp.extensions import db as _db
from eventsapp.mail.models import MessageState, OutboxMessage
from tests.factories import EventFactory, staff
from tests.mail_factories import queue_staff
from tests.support.browser import sign_in


def test_the_progress_bar_follows_a_send(live_server, page, db):
    event = EventFactory()
    organiser = staff(event.association, email="lan@example.vn")
    send = queue_staff(4, event_id=event.id)
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    sign_in(page, live_server, organiser.email)
    page.goto(f"{live_server}/events/{event.id}/mail")
    label = page.locator("[data-progress-label]")
    label.filter(has_text="Đã gửi 0, lỗi 0, đang chờ 4 trên tổng số 4").wait_for()
    _db.session.execute(update(OutboxMessage).where(OutboxMessage.send_id == send).values(state=MessageState.SENT))
    _db.session.commit()
    label.filter(has_text="Đã gửi 4, lỗi 0, đang chờ 0 trên tổng số 4").wait_for(timeout=10000)
    width = page.evaluate("document.querySelector('[data-progress-part=sent]').style.width")
    assert width == "100%"
    assert errors == []
