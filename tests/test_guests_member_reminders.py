"""Delegation members with an address receive the event's reminders (issue 27), queued by the reminder engine's one
path (the rule's claim, its rows, its commit) and sent by the real worker: once per rule, in their language, at
the end of their night in their zone, with their own check-in code; nothing extra for a member whose address is
the leader's, nothing for a removed member or a revoked delegation."""
from __future__ import annotations

import time as clock_time
from datetime import datetime, timedelta

from sqlalchemy import select, update

from eventsapp import links
from eventsapp.associations.models import Role
from eventsapp.extensions import db as _db
from eventsapp.guests import member_mail
from eventsapp.guests.models import Delegation, EventGuest
from eventsapp.invitations.models import Invitation, InvitationStatus
from eventsapp.mail.models import MessageKind, MessageState, OutboxMessage
from eventsapp.mail.renderers import render
from eventsapp.qr import qr_png
from eventsapp.reminders import services as reminders
from eventsapp.reminders.models import ReminderRule, RuleKind, SkipReason
from eventsapp.timefmt import moment_text
from eventsapp.timeutils import UTC
from tests.factories import ContactFactory, EventFactory, InvitationFactory, staff
from tests.reminders_helpers import DAY, HOUR, MINUTE, invite, mark_invitation_sent, rule
from tests.test_guests_delegation_members import _calendar, _html, _member, _plain, _post, _qr, _wait_to

TITLE_VI, TITLE_EN = "Gặp mặt Xuân Quê hương 2027", "Homeland Spring Gathering 2027"
# Thursday 11 March 2027, 17:00 UTC: 18:00 in Prague, 02:00 the next night in Seoul.
STARTS = datetime(2027, 3, 11, 17, 0, tzinfo=UTC)
DAY_BEFORE = STARTS - DAY                                 # 18:00 in Prague, 02:00 in Seoul: her night
SEOUL_MORNING = datetime(2027, 3, 10, 22, 0, tzinfo=UTC)  # 07:00 in Seoul, the association's night is over


def _reminders_to_members(db):
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == MessageKind.DELEGATION_MEMBER, OutboxMessage.dedupe_key.startswith("reminder:"))
        .order_by(OutboxMessage.recipient)).all()


def _wait_recorded(db, timeout=30):
    """Until no outbox row is being sent (before the clock jumps: a row "sending" would look lost)."""
    deadline = clock_time.monotonic() + timeout
    while clock_time.monotonic() < deadline:
        db.session.expire_all()
        if db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.state == MessageState.SENDING)
                             .limit(1)) is None:
            return
        clock_time.sleep(0.1)
    raise AssertionError("a message is still being sent")


def test_members_get_each_reminder_once_in_their_language_and_zone_with_their_own_code(
        app, client, auth, db, celery_worker, smtp_sink, travel):
    smtp_sink.clear()
    travel(STARTS - 10 * DAY)
    event = EventFactory(title_vi=TITLE_VI, title_en=TITLE_EN, capacity=100, timezone="Europe/Prague",
                         starts_at=STARTS, ends_at=STARTS + 3 * HOUR)
    ContactFactory(full_name="Nguyễn Văn Hùng", email="hung@example.cz", language="vi", timezone="Europe/Prague",
                   associations=[event.association])
    auth.login(staff(event.association, Role.ORGANISER))
    assert auth.post(f"/events/{event.id}/delegations", {
        "name": "Hội người Bắc Giang tại Séc", "leader_email": "hung@example.cz", "quota": "8"},
        form_url=f"/events/{event.id}/guests").status_code == 303
    client.get("/logout")
    delegation = db.session.scalar(select(Delegation).where(Delegation.event_id == event.id))
    # The leader is an invitee who accepted and was sent the invitation: his reminder is his invitation's.
    leader_invitation = db.session.get(Invitation, delegation.leader_invitation_id)
    leader_invitation.status = InvitationStatus.ACCEPTED
    db.session.commit()
    mark_invitation_sent(leader_invitation, STARTS - 10 * DAY)

    token = delegation.token
    assert _post(client, token, full_name="Nguyễn Thị Lan", honorific="Bà", position="Phó Chủ tịch Hội",
                 email="lan@example.cz", language="vi", timezone="Asia/Seoul").status_code == 303
    assert _post(client, token, full_name="Jana Nováková", honorific="Bà", email="jana@example.cz",
                 language="en").status_code == 303
    assert _post(client, token, full_name="Trần Văn Minh", honorific="Ông").status_code == 303  # no address
    assert _post(client, token, full_name="Nguyễn Văn Hùng", honorific="Ông",
                 email="Hung@Example.cz").status_code == 303  # the leader lists himself
    assert _post(client, token, full_name="Phạm Văn Đức", honorific="Ông", email="duc@example.cz").status_code == 303
    _wait_to(smtp_sink, "lan@example.cz", 1)
    _wait_to(smtp_sink, "jana@example.cz", 1)
    _wait_to(smtp_sink, "duc@example.cz", 1)
    _wait_recorded(db)
    # Đức is taken off the list before the reminder.
    assert _post(client, token, f"members/{_member(db, 'Phạm Văn Đức').id}/remove").status_code == 303
    lan, jana = _member(db, "Nguyễn Thị Lan"), _member(db, "Jana Nováková")
    day = rule(event, offset=-DAY, audience=("accepted",), message_vi="Xin mang theo hộ chiếu.",
               message_en="Please bring your passport.")
    smtp_sink.clear()

    # The day before, 18:00 in Prague: the beat the worker runs every minute.
    travel(DAY_BEFORE + MINUTE)
    celery = app.extensions["celery"]
    celery.send_task("reminders.fire_due")
    to_jana = _wait_to(smtp_sink, "jana@example.cz", 1)
    _wait_to(smtp_sink, "hung@example.cz", 1)
    _wait_recorded(db)
    rows = _reminders_to_members(db)
    assert [row.recipient for row in rows] == ["jana@example.cz", "lan@example.cz"]
    # It is 02:00 in Seoul: Lan's waits for her morning (the association's quiet hours end at 07:00).
    assert rows[1].state == MessageState.QUEUED and rows[1].next_attempt_at == SEOUL_MORNING
    assert smtp_sink.to("lan@example.cz") == []
    db.session.expire_all()
    assert db.session.get(ReminderRule, day.id).sent_count == 3  # the leader, Jana and Lan
    assert reminders.sent_by_rule(event)[day.id]["sent"] == 2

    # English, her own door code, the organiser's message, the event in her calendar.
    [mail] = to_jana
    assert mail.header("Subject") == f"Reminder: {TITLE_EN}, {moment_text(STARTS, 'Europe/Prague', 'en', 'full')}"
    text = _plain(mail)
    assert text.startswith("Dear Ms Jana Nováková,")
    assert "A reminder: you are expected at Homeland Spring Gathering 2027 as a member of the delegation" in text
    assert "Please bring your passport." in text and "Please bring your passport." in _html(mail)
    assert _qr(mail) == qr_png(links.checkin_url(jana))
    assert "METHOD:REQUEST" in _calendar(mail)

    # Seoul's morning: Lan's goes, in Vietnamese, with her time and her own code.
    travel(SEOUL_MORNING + 20 * timedelta(seconds=1))
    celery.send_task("mail.sweep")
    [mail] = _wait_to(smtp_sink, "lan@example.cz", 1)
    assert mail.header("Subject") == f"Nhắc lịch: {TITLE_VI}, {moment_text(STARTS, 'Europe/Prague', 'vi', 'full')}"
    text = _plain(mail)
    assert text.startswith("Kính gửi: Bà Nguyễn Thị Lan, Phó Chủ tịch Hội")
    assert "Xin trân trọng nhắc Quý vị: Quý vị có tên trong đoàn “Hội người Bắc Giang tại Séc” dự " + TITLE_VI in text
    assert "Xin mang theo hộ chiếu." in text and "Please bring your passport." not in text
    assert _qr(mail) == qr_png(links.checkin_url(lan))

    # Another beat, and the sweeps after it: nothing more. The leader had one reminder, his invitation's.
    celery.send_task("reminders.fire_due")
    celery.send_task("mail.sweep")
    clock_time.sleep(2)
    _wait_recorded(db)
    assert len(smtp_sink.to("jana@example.cz")) == 1 and len(smtp_sink.to("lan@example.cz")) == 1
    assert len(smtp_sink.to("hung@example.cz")) == 1
    ours = [m for m in smtp_sink.messages if m.recipients[0].endswith("@example.cz")]  # not an earlier test's
    assert smtp_sink.to("duc@example.cz") == [] and len(ours) == 3
    assert len(_reminders_to_members(db)) == 2


# ---------------------------------------------------------------- who is left out, without the worker

def _welcomed(event, leader, *members, sent_at, revoked=False):
    """A delegation of `event` whose leader is `leader`'s contact, with these members (name, e-mail), each
    welcomed at `sent_at` as the worker leaves it."""
    invitation = InvitationFactory(event=event, contact=leader, status=InvitationStatus.ACCEPTED)
    delegation = Delegation(event=event, name="Hội hữu nghị Việt – Séc", leader_contact_id=leader.id,
                            leader_invitation_id=invitation.id, quota=10)
    _db.session.add(delegation)
    made = []
    for name, email in members:
        member = EventGuest(event=event, delegation=delegation, full_name=name, email=email, language="vi")
        _db.session.add(member)
        _db.session.flush()
        member_mail.welcome(member)
        made.append(member)
    _db.session.execute(update(OutboxMessage).where(
        OutboxMessage.kind == MessageKind.DELEGATION_MEMBER,
        OutboxMessage.payload["guest_id"].as_integer().in_([member.id for member in made]))
        .values(state=MessageState.SENT, sent_at=sent_at))
    if revoked:
        delegation.revoked_at = sent_at
    _db.session.commit()
    return delegation, made


def _planned(event, now):
    [plan] = [p for p in reminders.preview(now) if p.rule.event_id == event.id]
    return plan


def test_removed_members_revoked_delegations_and_shared_addresses_get_nothing(app, db, travel):
    travel(STARTS - 20 * DAY)
    event = EventFactory(starts_at=STARTS, ends_at=STARTS + 3 * HOUR, timezone="Europe/Prague")
    leader = ContactFactory(email="leader@example.cz")
    an = invite(event, InvitationStatus.ACCEPTED, email="an@example.cz", sent_at=STARTS - 20 * DAY)
    assert an.contact.email == "an@example.cz"
    delegation, (kept, removed, same_as_invitee, _twice) = _welcomed(
        event, leader, ("Kept", "kept@example.cz"), ("Removed", "removed@example.cz"),
        ("Invitee", "AN@example.cz"), ("Twice", "kept@example.cz"), sent_at=STARTS - 15 * DAY)
    _welcomed(event, ContactFactory(email="other-leader@example.cz"), ("Revoked", "revoked@example.cz"),
              sent_at=STARTS - 15 * DAY, revoked=True)
    removed.delegation_id = None  # what removing a member from the list does
    db.session.commit()
    day = rule(event, offset=-DAY, audience=("accepted",))
    at = DAY_BEFORE + MINUTE
    plan = _planned(event, at)
    assert sorted(row["recipient"] for row in plan.rows) == ["an@example.cz", "kept@example.cz"]
    assert reminders.fire_due(now=at).messages == 2
    db.session.commit()
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key.startswith("reminder:"))).all()
    member_row = next(row for row in rows if row.kind == MessageKind.DELEGATION_MEMBER)
    assert member_row.dedupe_key == f"reminder:{day.id}:m{kept.id}"
    assert member_row.payload == {"guest_id": kept.id, "purpose": "reminder", "rule_id": day.id,
                                  "sequence": event.sequence}
    # Fired once: another beat finds nothing.
    assert reminders.fire_due(now=at + MINUTE).messages == 0
    # Removed after it was queued: the renderer refuses at the last moment (as for every member message).
    kept.delegation_id = None
    db.session.commit()
    try:
        render(member_row)
        raise AssertionError("rendered for a removed member")
    except Exception as error:  # PermanentFailure
        assert "removed" in str(error)


def test_members_follow_the_invitees_rules_late_welcome_superseded_recent_and_the_audience(app, db, travel):
    travel(STARTS - 20 * DAY)
    event = EventFactory(starts_at=STARTS, ends_at=STARTS + 3 * HOUR, timezone="Europe/Prague")
    leader = ContactFactory(email="leader@example.cz")
    _welcomed(event, leader, ("Early", "early@example.cz"), sent_at=STARTS - 15 * DAY)
    _welcomed(event, ContactFactory(email="l2@example.cz"), ("Late", "late@example.cz"), sent_at=STARTS - 12 * HOUR)
    # Entered but not welcomed yet (the welcome still queued): not told of the event, not reminded of it.
    delegation = db.session.scalar(select(Delegation).where(Delegation.leader_contact_id == leader.id))
    waiting = EventGuest(event=event, delegation=delegation, full_name="Waiting", email="waiting@example.cz")
    db.session.add(waiting)
    db.session.flush()
    assert member_mail.welcome(waiting) == 1
    db.session.commit()

    # Pending and tentative invitees only: members (who count as accepted) are not in the audience.
    pending_only = rule(event, offset=-3 * DAY, audience=("pending", "tentative"))
    plan = _planned(event, STARTS - 3 * DAY + MINUTE)
    assert plan.rule.id == pending_only.id and plan.rows == []
    reminders.fire_due(now=STARTS - 3 * DAY + MINUTE)

    # The 7-day reminder is late (downtime) and the 1-day one is due too: only the later one goes.
    week, day = rule(event, offset=-7 * DAY, audience=("accepted",)), rule(event, offset=-DAY, audience=("accepted",))
    at = DAY_BEFORE + MINUTE
    plans = {p.rule.id: p for p in reminders.preview(at)}
    assert plans[week.id].reason == SkipReason.SUPERSEDED
    day_plan = plans[day.id]
    assert [row["recipient"] for row in day_plan.rows] == ["early@example.cz"]
    assert day_plan.other_skips == {SkipReason.INVITED_LATE: 1, SkipReason.NOT_INVITED: 1}
    # Counted with the invitees left out (the two leaders, never sent their invitation), as the page shows them.
    assert day_plan.skip_counts == {SkipReason.INVITED_LATE: 1, SkipReason.NOT_INVITED: 3}

    # A second reminder an hour later, within the window: the members just reminded are left out.
    reminders.fire_due(now=at)
    soon = rule(event, offset=-23 * HOUR, audience=("accepted",))
    plan = _planned(event, STARTS - 23 * HOUR + MINUTE)
    assert plan.rule.id == soon.id and plan.rows == []
    assert plan.skip_counts[SkipReason.RECENTLY_REMINDED] == 1
    reminders.fire_due(now=STARTS - 23 * HOUR + MINUTE)

    # A thank-you is for invitees who came: no member's address is on it.
    thanks = reminders.create_rule(reminders.RuleValues(kind=RuleKind.THANK_YOU, anchor=reminders.Anchor.END,
                                                        offset_minutes=60, audience=["accepted"]),
                                   event=event, now=STARTS - DAY)
    db.session.commit()
    plan = _planned(event, event.ends_at + 61 * MINUTE)
    assert plan.rule.id == thanks.id
    assert not any(row["kind"] == MessageKind.DELEGATION_MEMBER for row in plan.rows)


def test_the_organiser_sees_the_members_reminders_counted_with_the_rule(app, db, api, travel):
    travel(STARTS - 20 * DAY)
    event = EventFactory(starts_at=STARTS, ends_at=STARTS + 3 * HOUR, timezone="Europe/Prague")
    _welcomed(event, ContactFactory(email="leader@example.cz"), ("Hoa", "hoa@example.cz"),
              ("Mai", "mai@example.cz"), sent_at=STARTS - 15 * DAY)
    day = rule(event, offset=-DAY, audience=("accepted",))
    reminders.fire_due(now=DAY_BEFORE + MINUTE)
    db.session.commit()
    listed = api(staff(event.association)).get(f"/api/v1/events/{event.id}/reminders")
    assert listed.status_code == 200
    [item] = [item for item in listed.json["items"] if item["id"] == day.id]
    assert item["messages"] == {"queued": 2}, item


def test_the_reminders_tab_expects_and_logs_the_members_reminders_in_both_languages(app, db, client, auth, travel):
    travel(STARTS - 20 * DAY)
    event = EventFactory(starts_at=STARTS, ends_at=STARTS + 3 * HOUR, timezone="Europe/Prague")
    _welcomed(event, ContactFactory(email="leader@example.cz"), ("Hoa", "hoa@example.cz"), sent_at=STARTS - 15 * DAY)
    rule(event, offset=-DAY, audience=("accepted",))
    auth.login(staff(event.association))
    page = client.get(f"/events/{event.id}/reminders").get_data(as_text=True)
    assert "Dự kiến gửi tới: 1 người" in page  # Hoa; the leader was never sent the invitation
    reminders.fire_due(now=DAY_BEFORE + MINUTE)
    db.session.commit()
    page = client.get(f"/events/{event.id}/reminders").get_data(as_text=True)
    log = page.split('id="reminder-log"')[1]
    assert "hoa@example.cz" in log and "Thư nhắc gửi thành viên đoàn" in log
    auth.login(staff(event.association, locale="en"))
    log = client.get(f"/events/{event.id}/reminders").get_data(as_text=True).split('id="reminder-log"')[1]
    assert "hoa@example.cz" in log and "Reminder to a delegation member" in log
