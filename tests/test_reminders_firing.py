"""Reminders reach the right people, at the right time, once — time moved by a test clock."""
from __future__ import annotations

import logging
import threading

import pytest
from sqlalchemy import func, select

from eventsapp.invitations.models import InvitationStatus
from eventsapp.mail.models import MessageKind, OutboxMessage
from eventsapp.reminders import services
from eventsapp.reminders.models import ReminderRule, SkipReason
from eventsapp.timeutils import utcnow
from tests.reminders_helpers import (
    DAY,
    HOUR,
    MINUTE,
    START,
    cancel_event,
    invite,
    make_event,
    move_event,
    reload,
    reminders_to,
    rule,
)


def test_a_one_day_rule_fires_once_for_accepted_and_pending_and_never_for_declined(db):
    event = make_event()
    invite(event, InvitationStatus.ACCEPTED, email="an@example.vn")
    invite(event, InvitationStatus.PENDING, email="binh@example.vn")
    invite(event, InvitationStatus.DECLINED, email="chi@example.vn")
    invite(event, InvitationStatus.ACCEPTED, email="dung@example.vn", opted_out_at=START - 5 * DAY)
    one_day = rule(event, offset=-DAY, audience=("accepted", "pending"))

    assert services.fire_due(now=START - DAY - MINUTE).fired == 0
    assert reminders_to(event) == []

    result = services.fire_due(now=START - DAY + MINUTE)
    assert (result.fired, result.messages) == (1, 2)
    assert reminders_to(event) == ["an@example.vn", "binh@example.vn"]
    assert reload(one_day).sent_count == 2

    # The next beats, a minute and an hour later: nothing more.
    assert services.fire_due(now=START - DAY + 2 * MINUTE).messages == 0
    assert services.fire_due(now=START - HOUR).messages == 0
    assert reminders_to(event) == ["an@example.vn", "binh@example.vn"]


@pytest.mark.slow
def test_two_concurrent_runs_send_nothing_twice(app, db):
    """Two beats at once, each in its own thread, app context and database session."""
    events = [make_event(starts_at=START + n * MINUTE) for n in range(6)]
    expected = 0
    for event in events:
        statuses = (InvitationStatus.ACCEPTED, InvitationStatus.TENTATIVE, InvitationStatus.PENDING)
        for n in range(15):
            invite(event, statuses[n % 3])
        # Three rules due at once, to different people (so none supersedes another): 5 messages each.
        for offset, audience in ((-7 * DAY, ("pending",)), (-DAY, ("accepted",)), (-2 * HOUR, ("tentative",))):
            rule(event, offset=offset, audience=audience)
            expected += 5
    barrier = threading.Barrier(2)
    results, errors = [], []

    def beat():
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                results.append(services.fire_due(now=START - HOUR, limit=5))
            except Exception as error:  # surfaced below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert sum(r.messages for r in results) == expected, "a message was queued twice (or lost)"
    assert sum(r.fired for r in results) == 18
    db.session.expire_all()
    assert db.session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.kind == MessageKind.REMINDER)) \
        == expected
    assert db.session.scalar(select(func.sum(ReminderRule.sent_count))) == expected


def test_moving_the_event_re_times_unfired_rules_and_does_not_resend_fired_ones(db):
    event = make_event()
    invite(event, InvitationStatus.ACCEPTED, email="an@example.vn")
    week, day = rule(event, offset=-7 * DAY), rule(event, offset=-DAY)
    assert services.fire_due(now=START - 7 * DAY).messages == 1

    later = START + 3 * DAY
    move_event(event, later)
    assert reload(day).fire_at == later - DAY
    assert reload(week).fire_at == START - 7 * DAY, "a fired rule keeps the time it fired for"

    # The week rule's new time passes: it does not fire again; the day rule fires at its new time only.
    assert services.fire_due(now=later - 7 * DAY + MINUTE).messages == 0
    assert services.fire_due(now=START - DAY + MINUTE).messages == 0
    assert services.fire_due(now=later - DAY + MINUTE).messages == 1
    assert reminders_to(event, week.id) == ["an@example.vn"]
    assert reminders_to(event, day.id) == ["an@example.vn"]


def test_cancelling_the_event_stops_its_rules(db):
    event = make_event()
    invite(event, InvitationStatus.ACCEPTED)
    day = rule(event, offset=-DAY)
    cancel_event(event)
    assert services.fire_due(now=START - HOUR).messages == 0
    assert reminders_to(event) == []
    assert reload(day).skip_reason == SkipReason.CANCELLED
    assert services.due_rule_ids(START - HOUR) == []


def test_a_rule_missed_while_down_fires_late_once_if_the_event_has_not_started(db):
    event = make_event()
    invite(event, InvitationStatus.ACCEPTED, email="an@example.vn")
    rule(event, offset=-DAY)
    # Down from two days before until an hour before the start.
    assert services.fire_due(now=START - HOUR).messages == 1
    assert services.fire_due(now=START - HOUR + MINUTE).messages == 0
    assert reminders_to(event) == ["an@example.vn"]


def test_a_rule_missed_while_down_is_skipped_and_logged_if_the_event_has_started(db, caplog):
    event = make_event()
    invite(event, InvitationStatus.ACCEPTED)
    day = rule(event, offset=-DAY)
    with caplog.at_level(logging.WARNING, logger="eventsapp.reminders.services"):
        result = services.fire_due(now=START + HOUR)
    assert (result.fired, result.skipped, result.messages) == (0, 1, 0)
    assert reminders_to(event) == []
    day = reload(day)
    assert day.skip_reason == SkipReason.STARTED and day.skipped_at == START + HOUR and day.fired_at is None
    assert f"reminder rule {day.id}" in caplog.text and "started" in caplog.text


def test_tentative_invitees_only_when_the_rule_says_so(db):
    event = make_event()
    invite(event, InvitationStatus.TENTATIVE, email="tam@example.vn")
    rule(event, offset=-2 * DAY, audience=("accepted",))
    rule(event, offset=-DAY, audience=("tentative",))
    assert services.fire_due(now=START - 2 * DAY).messages == 0
    assert services.fire_due(now=START - DAY).messages == 1


def test_a_draft_holds_its_reminders_back_until_it_is_published(db):
    from eventsapp.events.models import EventStatus
    from tests.reminders_helpers import save_event

    event = make_event(status=EventStatus.DRAFT)
    invite(event, InvitationStatus.PENDING, email="an@example.vn")
    day = rule(event, offset=-DAY)
    services.fire_due(now=START - DAY)
    assert reload(day).skip_reason == SkipReason.NOT_PUBLISHED
    event.status = EventStatus.PUBLISHED
    save_event(event)
    assert reload(day).is_pending
    assert services.fire_due(now=START - 2 * HOUR).messages == 1


def test_thank_you_after_the_end_goes_to_accepted_invitees_with_the_message(db):
    from eventsapp.mail.models import MessageKind
    from eventsapp.reminders.models import Anchor, RuleKind

    event = make_event()
    invite(event, InvitationStatus.ACCEPTED, email="an@example.vn")
    invite(event, InvitationStatus.PENDING, email="binh@example.vn")
    invite(event, InvitationStatus.TENTATIVE, email="chi@example.vn")
    thanks = rule(event, kind=RuleKind.THANK_YOU, anchor=Anchor.END, offset=DAY, audience=("accepted",),
                  message_vi="Cảm ơn quý vị đã đến dự!")
    assert services.fire_due(now=event.ends_at + HOUR).messages == 0
    assert services.fire_due(now=event.ends_at + DAY).messages == 1
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == MessageKind.THANK_YOU))
    assert (message.kind, message.recipient) == (MessageKind.THANK_YOU, "an@example.vn")
    assert reload(thanks).sent_count == 1


def test_rules_that_make_no_sense_are_refused_in_vietnamese(app, db):
    from flask_babel import force_locale

    event = make_event()
    with pytest.raises(services.ReminderError) as error:
        services.create_rule(services.RuleValues(audience=["declined"]), event=event, now=START - 5 * DAY)
    with force_locale("vi"):
        assert "không" in str(error.value).lower() or "từ chối" in str(error.value)
    with pytest.raises(services.ReminderError):
        services.create_rule(services.RuleValues(offset_minutes=60), event=event, now=START - 5 * DAY)
    with pytest.raises(services.ReminderError):
        services.create_rule(services.RuleValues(), event=event, now=START + HOUR)
    with pytest.raises(services.ReminderError):
        services.create_rule(services.RuleValues(audience=[]), event=event, now=START - 5 * DAY)


def test_the_real_clock_is_the_default(db):
    event = make_event(starts_at=utcnow() + 12 * HOUR)
    invite(event, InvitationStatus.ACCEPTED, sent_at=utcnow() - 3 * DAY)
    rule(event, offset=-DAY)
    assert services.fire_due().messages == 1


def test_a_crash_while_queueing_leaves_the_rule_pending_and_the_next_run_sends_it_once(db, monkeypatch):
    event = make_event()
    invite(event, InvitationStatus.ACCEPTED, email="an@example.vn")
    day = rule(event, offset=-DAY)
    original = services.queue_messages

    def crash(rows, **kwargs):
        original(rows, **kwargs)
        raise RuntimeError("worker lost its database connection")

    monkeypatch.setattr(services, "queue_messages", crash)
    assert services.fire_due(now=START - DAY).fired == 0
    assert reminders_to(event) == [] and reload(day).is_pending  # the claim rolled back with the rows

    monkeypatch.setattr(services, "queue_messages", original)
    assert services.fire_due(now=START - DAY + MINUTE).messages == 1
    assert services.fire_due(now=START - DAY + 2 * MINUTE).messages == 0
    assert reminders_to(event) == ["an@example.vn"]


def test_revoked_invitations_get_no_reminder(db):
    event = make_event()
    invite(event, InvitationStatus.ACCEPTED, email="an@example.vn")
    invite(event, InvitationStatus.ACCEPTED, email="revoked@example.vn").revoked_at = START - 3 * DAY
    db.session.commit()
    rule(event, offset=-DAY)
    services.fire_due(now=START - DAY)
    assert reminders_to(event) == ["an@example.vn"]


def test_after_downtime_only_the_latest_due_reminder_goes_out(db):
    event = make_event()
    invite(event, InvitationStatus.ACCEPTED, email="an@example.vn")
    invite(event, InvitationStatus.PENDING, email="binh@example.vn")
    week = rule(event, offset=-7 * DAY)
    day = rule(event, offset=-DAY, audience=("accepted",))  # fewer people: the week rule still goes to Bình
    two_hours = rule(event, offset=-2 * HOUR, audience=("accepted", "tentative", "pending"))
    # Down from 8 days before until 90 minutes before: all three are due; only the last goes out.
    result = services.fire_due(now=START - 90 * MINUTE)
    assert (result.fired, result.skipped, result.messages) == (1, 2, 2)
    assert reload(two_hours).fired_at is not None
    assert reload(week).skip_reason == reload(day).skip_reason == SkipReason.SUPERSEDED
    assert reminders_to(event) == ["an@example.vn", "binh@example.vn"]


def test_a_late_reminder_to_more_people_is_not_superseded(db):
    event = make_event()
    invite(event, InvitationStatus.PENDING, email="binh@example.vn")
    rule(event, offset=-7 * DAY)
    rule(event, offset=-DAY, audience=("accepted",))
    result = services.fire_due(now=START - 20 * HOUR)
    assert result.fired == 2 and reminders_to(event) == ["binh@example.vn"]


def test_a_thank_you_to_attended_invitees_without_attendance_records_goes_to_accepted(db):
    from eventsapp.reminders.models import Anchor, RuleKind

    event = make_event()
    invite(event, InvitationStatus.ACCEPTED, email="an@example.vn")
    invite(event, InvitationStatus.TENTATIVE, email="tam@example.vn")
    rule(event, kind=RuleKind.THANK_YOU, anchor=Anchor.END, offset=DAY, audience=("attended",))
    services.fire_due(now=event.ends_at + DAY)
    if services._attended_invitation_ids() is None:
        assert reminders_to(event) == ["an@example.vn"]
    else:  # the attendance domain records check-ins: nobody checked in here
        assert reminders_to(event) == []
