"""End to end: the beat task, run by the real Celery worker, writes the reminders to the outbox."""
from __future__ import annotations

from sqlalchemy import select

from eventsapp.invitations.models import InvitationStatus
from eventsapp.mail.models import MessageKind, OutboxMessage
from eventsapp.reminders.models import ReminderRule
from eventsapp.timeutils import utcnow
from tests.reminders_helpers import DAY, HOUR, invite, make_event, rule


def test_the_beat_task_run_by_the_worker_queues_one_reminder_per_invitee(app, db, celery_worker):
    event = make_event(starts_at=utcnow() + 12 * HOUR)  # its 1-day reminder is due (late, once)
    invite(event, InvitationStatus.ACCEPTED, email="an@example.vn", sent_at=utcnow() - DAY)
    invite(event, InvitationStatus.PENDING, email="binh@example.vn", sent_at=utcnow() - DAY)
    invite(event, InvitationStatus.DECLINED, email="chi@example.vn", sent_at=utcnow() - DAY)
    day = rule(event, offset=-DAY)
    celery = app.extensions["celery"]
    entry = celery.conf.beat_schedule["reminders.fire_due"]

    def recipients():
        db.session.expire_all()
        return sorted(db.session.scalars(select(OutboxMessage.recipient).where(OutboxMessage.kind == MessageKind.REMINDER)))

    # Two beats at once (the worker runs two processes), then a third a moment later.
    beats = [celery.send_task(entry["task"]) for _ in range(2)]
    celery_worker.wait_until(lambda: len(recipients()) == 2, timeout=60)
    beats.append(celery.send_task(entry["task"]))

    def all_beats_done():
        log = celery_worker.log_path.read_text(errors="replace")
        return all(f"{beat.id}] succeeded" in log for beat in beats)

    celery_worker.wait_until(all_beats_done, timeout=60)
    assert recipients() == ["an@example.vn", "binh@example.vn"]
    db.session.expire_all()
    assert db.session.get(ReminderRule, day.id).sent_count == 2
