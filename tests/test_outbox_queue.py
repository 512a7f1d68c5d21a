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
