"""Writing to the outbox: one row per purpose, and only after commit is the sender woken."""
from sqlalchemy import func, select

from eventsapp.mail.models import MessageKind, OutboxMessage
from eventsapp.mail.services import queue_messages
from tests.factories import InvitationFactory


def row(invitation, key):
    return {"kind": MessageKind.INVITATION, "dedupe_key": key, "recipient": invitation.contact.email,
            "contact_id": invitation.contact_id, "invitation_id": invitation.id, "event_id": invitation.event_id}


def test_a_second_row_for_the_same_purpose_is_skipped(db):
    invitation = InvitationFactory()
    assert queue_messages([row(invitation, f"invitation:{invitation.id}:0")], wake_sender=False) == 1
    assert queue_messages([row(invitation, f"invitation:{invitation.id}:0"),
                           row(invitation, f"invitation:{invitation.id}:1")], wake_sender=False) == 1
    db.session.commit()
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 2


def test_rows_written_in_a_rolled_back_transaction_disappear(db):
    invitation = InvitationFactory()
    queue_messages([row(invitation, "x")], wake_sender=False)
    db.session.rollback()
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_a_burst_of_changes_wakes_one_dispatcher_until_it_runs(app, db, redis_url, smtp_sink):
    """Each committed message wants a dispatcher woken; while one wake-up waits in the broker, more
    would only make workers look for work twice. Once the dispatcher runs, the next change wakes one
    again, and the dispatcher sends everything committed before it ran."""
    import redis

    from eventsapp.broker import release_wakeup
    from eventsapp.mail import tasks
    from eventsapp.mail.services import DISPATCH_WAKEUP

    broker = redis.Redis.from_url(redis_url)
    release_wakeup(DISPATCH_WAKEUP)  # whatever an earlier test left pending (no worker runs here)
    waiting = broker.llen("mail")
    invitation = InvitationFactory()
    for n in range(3):
        queue_messages([row(invitation, f"burst:{n}")])
        db.session.commit()
    assert broker.llen("mail") == waiting + 1
    assert tasks.dispatch.run()["sent"] == 3  # what a worker does with the wake-up
    assert len(smtp_sink.messages) == 3
    queue_messages([row(invitation, "burst:after")])
    db.session.commit()
    assert broker.llen("mail") == waiting + 2
