"""The outbox's tallies (kept by PostgreSQL triggers, summed by the message log and a send's progress)
always add up to what the outbox holds: through every way the product writes, changes and deletes
outbox rows, and after the sweeper compacts them."""
from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select, text, update

from eventsapp.events.models import Event
from eventsapp.extensions import db
from eventsapp.invitations.services import cancel_scheduled_send, send_invitations
from eventsapp.mail import sender, services
from eventsapp.mail.models import Channel, MessageState, OutboxMessage, OutboxTally
from eventsapp.timeutils import utcnow
from tests.factories import ContactFactory, EventFactory, InvitationFactory
from tests.mail_factories import queue_staff
from tests.test_send_progress_channels import three_channel_send

KEY = "event_id, campaign_id, send_id, kind, channel, state"


def tallied() -> dict:
    db.session.expire_all()
    return {tuple(row[:-1]): row[-1] for row in db.session.execute(text(
        f"SELECT {KEY}, delivered, sum(n) FROM outbox_tallies GROUP BY {KEY}, delivered HAVING sum(n) <> 0"))}


def held() -> dict:
    return {tuple(row[:-1]): row[-1] for row in db.session.execute(text(
        f"SELECT {KEY}, delivery_status = 'delivered', count(*) FROM outbox_messages "
        f"GROUP BY {KEY}, delivery_status = 'delivered'"))}


def agree() -> None:
    db.session.commit()
    assert tallied() == held()


def test_every_write_path_keeps_the_tallies_right(app, db, auth, gateways, smtp_sink):
    event, send_id = three_channel_send(gateways)  # queued, claimed, sent, refused, fallen back, delivered
    agree()
    assert services.progress(send_id)["total"] == 4
    db.session.execute(update(OutboxMessage).where(OutboxMessage.channel == Channel.EMAIL)
                       .values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    sender.dispatch()  # the e-mail, over SMTP
    agree()
    assert services.progress(send_id)["sent"] == 3

    failed = queue_staff(4, event_id=event.id)
    db.session.execute(update(OutboxMessage).where(OutboxMessage.send_id == failed)
                       .values(state=MessageState.FAILED, attempts=5))
    agree()
    assert services.retry_failed(send_id=failed) == 4
    agree()
    copy = services.resend(db.session.scalars(select(OutboxMessage).where(OutboxMessage.send_id == failed)).first(),
                           send_id="mot-nguoi")
    agree()
    assert copy.send_id == "mot-nguoi" and services.progress("mot-nguoi")["queued"] == 1

    later = EventFactory(association=event.association)
    InvitationFactory(event=later, contact=ContactFactory(email="hen.gio@example.vn"))
    scheduled, _queued = send_invitations(later.id, not_before=utcnow() + timedelta(days=1))
    db.session.commit()
    agree()
    assert services.progress(scheduled)["scheduled_for"] is not None
    assert cancel_scheduled_send(later, scheduled) == 1  # a DELETE
    agree()
    assert services.progress(scheduled)["total"] == 0
    assert services.recent_sends(event_ids=[later.id]) == []

    db.session.delete(db.session.get(Event, later.id))  # its messages lose their event (ON DELETE SET NULL)
    db.session.delete(db.session.get(Event, event.id))
    agree()
    assert services.event_counts(event.id)["total"] == 0


def test_the_sweeper_compacts_the_tallies_into_one_row_a_key(app, db):
    event = EventFactory()
    send_id = queue_staff(30, event_id=event.id)
    for message_id in db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.send_id == send_id)):
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                           .values(state=MessageState.SENT))  # one statement a row, as the sender records
    db.session.commit()
    before = tallied()
    assert db.session.scalar(select(func.count()).select_from(OutboxTally)) > 30
    assert sender.sweep()["compacted"] > 30
    assert tallied() == before == held()
    assert db.session.scalar(select(func.count()).select_from(OutboxTally)) == len(before) == 1
    assert services.progress(send_id)["sent"] == 30 and services.recent_sends(event_ids=[event.id])[0]["total"] == 30
    assert sender.sweep()["compacted"] == 0  # nothing left to compact


def test_concurrent_senders_and_a_compaction_lose_no_change(app, db):
    event = EventFactory()
    send_id = queue_staff(200, event_id=event.id)
    ids = list(db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.send_id == send_id)))
    errors = []

    def record(chunk: list[int], state: MessageState) -> None:
        try:
            with app.app_context():
                for message_id in chunk:
                    db.session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                                       .values(state=state))
                    db.session.commit()
                    if message_id % 25 == 0:
                        services.compact_tallies()
                db.session.remove()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=record, args=(ids[n::4], [MessageState.SENT, MessageState.FAILED][n % 2]))
               for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    services.compact_tallies()
    agree()
    progress = services.progress(send_id)
    assert (progress["sent"], progress["failed"], progress["queued"]) == (100, 100, 0)


def test_one_compaction_at_a_time(app, db):
    event = EventFactory()
    queue_staff(3, event_id=event.id)
    queue_staff(3, event_id=event.id, send_id=db.session.scalar(select(OutboxMessage.send_id).limit(1)), start=3)
    with db.engine.connect() as other:  # another worker compacting
        other.execute(text(f"SELECT pg_advisory_lock({services.TALLY_COMPACTION_LOCK})"))
        assert services.compact_tallies() == 0
        other.execute(text(f"SELECT pg_advisory_unlock({services.TALLY_COMPACTION_LOCK})"))
    assert services.compact_tallies() == 2
    agree()
