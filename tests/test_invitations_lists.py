"""Building invitee lists: filters, skips counted, honorees, bulk speed; sends write one row per invitee."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import func, insert, select

from eventsapp.associations.models import AssociationKind
from eventsapp.contacts.models import Contact, ContactTag, contact_associations
from eventsapp.events.models import Honoree
from eventsapp.invitations import services
from eventsapp.invitations.models import Invitation
from eventsapp.mail.models import MessageKind, OutboxMessage
from eventsapp.timeutils import utcnow
from tests.factories import AssociationFactory, ContactFactory, EventFactory, InvitationFactory


def member(association, **kwargs):
    contact = ContactFactory(**kwargs)
    contact.associations.append(association)
    return contact


def test_association_with_and_without_branches_tags_country_language(db):
    parent = AssociationFactory()
    branch = AssociationFactory(parent=parent, kind=AssociationKind.BRANCH)
    a = member(parent, country="Nhật Bản", language="vi")
    b = member(branch, country="Nhật Bản", language="en")
    c = member(branch, country="Đức", language="vi")
    db.session.add(ContactTag(contact=c, tag="kiều bào"))
    db.session.commit()

    def invited(criteria):
        event = EventFactory()
        services.add_invitees(event, criteria, user=None)
        return set(db.session.scalars(select(Invitation.contact_id).where(Invitation.event_id == event.id)))

    assert invited(services.Criteria(association_id=parent.id)) == {a.id, b.id, c.id}
    assert invited(services.Criteria(association_id=parent.id, include_branches=False)) == {a.id}
    assert invited(services.Criteria(association_id=parent.id, country="nhật bản")) == {a.id, b.id}
    assert invited(services.Criteria(association_id=parent.id, language="en")) == {b.id}
    assert invited(services.Criteria(tags=["kiều bào"])) == {c.id}
    assert invited(services.Criteria(contact_ids=[a.id], emails=[c.email.upper()])) == {a.id, c.id}


def test_skipped_contacts_are_counted_and_honorees_flagged(db):
    event = EventFactory()
    already = InvitationFactory(event=event).contact
    opted_out = ContactFactory(opted_out_at=utcnow())
    archived = ContactFactory(archived_at=utcnow())
    honoured, plain = ContactFactory(), ContactFactory()
    db.session.add(Honoree(event=event, contact=honoured, award="Bằng khen"))
    db.session.commit()
    emails = [c.email for c in (already, opted_out, archived, honoured, plain)] + ["nobody@example.vn"]
    result = services.add_invitees(event, services.Criteria(emails=services.parse_emails("\n".join(emails))), user=None)
    db.session.commit()
    assert result.as_dict() == {"added": 2, "already_invited": 1, "opted_out": 1, "archived": 1, "no_address": 0,
                                "unknown_emails": ["nobody@example.vn"], "honorees": 1}
    flags = dict(db.session.execute(select(Invitation.contact_id, Invitation.is_honoree)
                                    .where(Invitation.event_id == event.id)).all())
    assert flags[honoured.id] is True and flags[plain.id] is False
    again = services.add_invitees(event, services.Criteria(emails=emails), user=None)
    assert (again.added, again.already_invited) == (0, 3)


@pytest.mark.slow
def test_ten_thousand_invitees_and_their_send_are_bulk_operations(db):
    association = AssociationFactory()
    now = utcnow()
    db.session.execute(insert(Contact), [
        {"full_name": f"Phạm Thị Kiều {n}", "email": f"kieu{n}@example.vn", "search_text": f"pham thi kieu {n}",
         "sort_key": "", "feed_token": f"f{n}", "unsubscribe_token": f"u{n}", "created_at": now, "updated_at": now,
         "timezone": "Asia/Ho_Chi_Minh", "language": "vi", "phone": "", "country": "", "place": "", "notes": ""}
        for n in range(10_000)])
    ids = db.session.scalars(select(Contact.id)).all()
    db.session.execute(insert(contact_associations), [{"contact_id": i, "association_id": association.id} for i in ids])
    event = EventFactory(association=association)
    db.session.commit()
    statements = []
    from sqlalchemy import event as sa_event

    def count(*args):
        statements.append(args[2])

    sa_event.listen(db.engine, "before_cursor_execute", count)
    try:
        started = time.perf_counter()
        result = services.add_invitees(event, services.Criteria(association_id=association.id), user=None)
        added_in = time.perf_counter() - started
        started = time.perf_counter()
        send_id, queued = services.send_invitations(event.id)
        sent_in = time.perf_counter() - started
        db.session.commit()
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", count)
    print(f"10,000 invitees added in {added_in:.2f} s, their send queued in {sent_in:.2f} s, {len(statements)} statements")
    assert result.added == 10_000 and queued == 10_000
    assert len(statements) < 40, f"{len(statements)} statements"
    assert added_in < 10 and sent_in < 10, (added_in, sent_in)
    assert db.session.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.send_id == send_id)) == 10_000
    assert services.send_progress(send_id)["queued"] == 10_000
    # a second send of the same version queues nothing
    assert services.send_invitations(event.id)[1] == 0


def test_send_skips_answered_revoked_and_unsubscribed(db):
    event = EventFactory(sequence=4)
    pending = InvitationFactory(event=event)
    InvitationFactory(event=event, status="accepted")
    InvitationFactory(event=event, revoked_at=utcnow())
    InvitationFactory(event=event, contact=ContactFactory(opted_out_at=utcnow()))
    send_id, queued = services.send_invitations(event.id)
    db.session.commit()
    assert queued == 1
    message = db.session.scalar(select(OutboxMessage))
    assert (message.kind, message.invitation_id, message.dedupe_key, message.send_id) == (
        MessageKind.INVITATION, pending.id, f"invitation:{pending.id}:seq:4", send_id)
    assert services.resend(pending) == 1
    db.session.commit()
    keys = db.session.scalars(select(OutboxMessage.dedupe_key).order_by(OutboxMessage.id)).all()
    assert keys[1].startswith(f"invitation:{pending.id}:seq:4:resend:")


def test_the_demo_seed_invites_members_once(db):
    from eventsapp.invitations import demo

    association = AssociationFactory()
    member(association)
    member(association)
    event = EventFactory(association=association)
    assert len(list(demo.seed())) == 1
    assert list(demo.seed()) == []
    statuses = db.session.scalars(select(Invitation.status).where(Invitation.event_id == event.id)).all()
    assert len(statuses) == 2 and "accepted" in {s.value for s in statuses}
