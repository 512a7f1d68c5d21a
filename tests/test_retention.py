"""Retention (issue 29 D): answers, received messages and message bodies purged N days after their event,
daily by beat, with a dry-run report."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from eventsapp.audit.models import AuditEntry
from eventsapp.inbound.models import InboundKind, InboundMessage, InboundState
from eventsapp.invitations.models import Invitation
from eventsapp.mail.models import MessageKind, OutboxMessage
from eventsapp.schedule import beat_schedule
from eventsapp.timeutils import utcnow
from tests.factories import EventFactory, InvitationFactory


def _event_with_traces(db, ended_days_ago: int, key: str):
    ends = utcnow() - timedelta(days=ended_days_ago)
    event = EventFactory(starts_at=ends - timedelta(hours=2), ends_at=ends, title_vi=f"Sự kiện {key}")
    invitation = InvitationFactory(event=event, comment=f"trả lời {key}")
    db.session.add(InboundMessage(message_key=key, source="test", envelope_recipient="", from_address="a@example.vn",
                                  subject="Re", size=1, raw=b"x", state=InboundState.DONE, kind=InboundKind.HUMAN,
                                  body_text=f"thư {key}", event_id=event.id, invitation_id=invitation.id))
    db.session.add(OutboxMessage(kind=MessageKind.INVITATION, dedupe_key=f"k:{key}", recipient="a@example.vn",
                                 contact_id=invitation.contact_id, invitation_id=invitation.id, event_id=event.id,
                                 payload={"note": key}, last_error="550 mailbox full"))
    db.session.commit()
    return event, invitation


def test_dry_run_reports_then_the_purge_removes_only_what_is_past_retention(app, db, runner, monkeypatch):
    monkeypatch.setitem(app.config, "RETENTION_DAYS_AFTER_EVENT", 30)
    old, old_invitation = _event_with_traces(db, 40, "old")
    recent, recent_invitation = _event_with_traces(db, 5, "recent")

    dry = runner.invoke(args=["privacy", "retention", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Would purge" in dry.output and f"event {old.id}: Sự kiện old" in dry.output
    assert f"event {recent.id}" not in dry.output
    assert "1 answers' comments, 1 received messages, 1 sent messages' bodies." in dry.output
    assert db.session.scalar(select(func.count()).select_from(InboundMessage)) == 2

    done = runner.invoke(args=["privacy", "retention"])
    assert done.exit_code == 0 and "Purged" in done.output
    db.session.expire_all()
    assert db.session.get(Invitation, old_invitation.id).comment == ""
    assert db.session.get(Invitation, old_invitation.id).status == old_invitation.status
    assert db.session.get(Invitation, recent_invitation.id).comment == "trả lời recent"
    assert [m.message_key for m in db.session.scalars(select(InboundMessage))] == ["recent"]
    bodies = {m.event_id: (m.payload, m.last_error) for m in db.session.scalars(select(OutboxMessage))}
    assert bodies == {old.id: ({}, ""), recent.id: ({"note": "recent"}, "550 mailbox full")}
    entry, = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "retention_purged"))
    assert entry.details["answers"] == 1 and entry.actor == "cli"
    again = runner.invoke(args=["privacy", "retention", "--dry-run"])
    assert "0 answers' comments, 0 received messages, 0 sent messages' bodies." in again.output


def test_beat_runs_the_purge_daily(app):
    entry = beat_schedule(app.config)["privacy.purge_expired"]
    assert entry["task"] == "privacy.purge_expired" and entry["schedule"] == timedelta(hours=24)
    from eventsapp.privacy import tasks

    assert tasks.purge_expired.name == "privacy.purge_expired"
