"""Scheduled sending: the outbox holds a send's rows until its time; a scheduled send can be cancelled."""
from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select

from eventsapp.invitations import services
from eventsapp.mail import sender
from eventsapp.mail.models import OutboxMessage
from eventsapp.timeutils import utcnow, zone
from tests.factories import ContactFactory, EventFactory, InvitationFactory, staff
from tests.support.browser import sign_in


def states(db) -> list[str]:
    db.session.rollback()
    return sorted(state.value for state in db.session.scalars(select(OutboxMessage.state)))


def test_a_scheduled_send_waits_for_its_time_then_goes_out_through_the_worker(app, db, celery_worker, smtp_sink):
    event = EventFactory(starts_at=utcnow() + timedelta(days=30), ends_at=utcnow() + timedelta(days=30, hours=2))
    for n in range(3):
        InvitationFactory(event=event, contact=ContactFactory(email=f"hen-gio-{n}@example.vn"))
    at = utcnow() + timedelta(seconds=3)
    send_id, queued = services.send_invitations(event.id, not_before=at)
    db.session.commit()
    assert queued == 3
    assert sender.dispatch()["sent"] == 0  # claimed by nobody before its time
    assert states(db) == ["queued"] * 3 and smtp_sink.messages == []
    while utcnow() <= at:  # the clock, not the system under test
        time.sleep(0.1)
    app.extensions["celery"].send_task("mail.sweep")  # what beat runs every minute
    received = smtp_sink.wait_for(3, timeout=60)
    assert sorted(r.recipients[0] for r in received) == [f"hen-gio-{n}@example.vn" for n in range(3)]
    deadline = time.monotonic() + 30
    while states(db) != ["sent"] * 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert states(db) == ["sent"] * 3


def test_the_organiser_schedules_then_cancels_a_send(db, page, live_server):
    event = EventFactory(starts_at=utcnow() + timedelta(days=30), ends_at=utcnow() + timedelta(days=30, hours=2),
                         timezone="Asia/Ho_Chi_Minh")
    InvitationFactory(event=event, contact=ContactFactory(full_name="Ngô Thị Hoa"))
    organiser = staff(event.association, timezone="Asia/Ho_Chi_Minh")
    sign_in(page, live_server, organiser.email)
    page.goto(f"{live_server}/events/{event.id}/invitations")
    page.on("dialog", lambda dialog: dialog.accept())
    page.fill("#not_before", "2001-01-01T08:00")
    page.click("button:has-text('Gửi thư mời')")
    assert "Hãy chọn thời điểm gửi trong tương lai." in page.locator(".alert").first.inner_text()
    assert states(db) == []
    local = (utcnow() + timedelta(days=2)).astimezone(zone("Asia/Ho_Chi_Minh"))
    page.fill("#not_before", local.strftime("%Y-%m-%dT08:00"))
    page.click("button:has-text('Gửi thư mời')")
    assert "1 thư mời sẽ được gửi lúc" in page.locator(".alert").first.inner_text()
    scheduled = page.locator(".scheduled-send").inner_text()
    assert "08:00 · giờ Việt Nam (UTC+7)" in scheduled and str(local.year) in scheduled
    row = db.session.scalar(select(OutboxMessage))
    assert row.next_attempt_at == local.replace(hour=8, minute=0, second=0, microsecond=0)
    assert sender.dispatch()["sent"] == 0
    page.click(".scheduled-send button")
    assert "Đã hủy lần gửi đã hẹn giờ: 1 thư sẽ không được gửi." in page.locator(".alert").first.inner_text()
    assert states(db) == []
    assert page.locator(".scheduled-send").count() == 0
    # The invitee was never mailed: a send now includes them.
    assert services.send_invitations(event.id)[1] == 1


def test_a_started_send_cannot_be_cancelled_and_times_are_checked(db):
    event = EventFactory(starts_at=utcnow() + timedelta(days=3), ends_at=utcnow() + timedelta(days=3, hours=2))
    InvitationFactory(event=event)
    for wrong in (utcnow() - timedelta(minutes=1), event.starts_at + timedelta(minutes=1),
                  (utcnow() + timedelta(days=1)).replace(tzinfo=None)):
        try:
            services.send_invitations(event.id, not_before=wrong)
        except services.InvitationError:
            pass
        else:
            raise AssertionError(f"{wrong} accepted")
    send_id, _ = services.send_invitations(event.id)  # now: it has started
    db.session.commit()
    assert services.cancel_scheduled_send(event, send_id) == 0
    other = EventFactory()
    assert services.cancel_scheduled_send(other, send_id) == 0
    assert states(db) == ["queued"]


def test_the_api_schedules_a_send(db, api):
    event = EventFactory(starts_at=utcnow() + timedelta(days=3), ends_at=utcnow() + timedelta(days=3, hours=2))
    InvitationFactory(event=event)
    caller = api(staff(event.association))
    url = f"/api/v1/events/{event.id}/invitations/send"
    bad = caller.post(url, json={"not_before": "2027-01-20T08:00"})
    assert bad.status_code == 400 and "not_before" in bad.json["error"]["fields"]
    assert caller.post(url, json={"not_before": "2001-01-20T08:00+07:00"}).status_code == 409
    at = (utcnow() + timedelta(days=1)).replace(microsecond=0)
    response = caller.post(url, json={"not_before": at.isoformat()})
    assert response.status_code == 202 and response.json["queued"] == 1
    assert db.session.scalar(select(OutboxMessage.next_attempt_at)) == at
