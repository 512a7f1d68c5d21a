"""Issue 15, items 1–3: no reminder to people never invited, none sent late after a late
invitation or a late publication, at most one per invitee within the window (the latest
rule wins), every skip recorded and shown, and a preview of what would fire."""
from __future__ import annotations

import re

from sqlalchemy import select

from eventsapp.events.models import EventStatus
from eventsapp.extensions import db
from eventsapp.invitations.models import InvitationStatus
from eventsapp.reminders import services
from eventsapp.reminders.models import Anchor, ReminderSkip, RuleKind, SkipReason
from eventsapp.timeutils import utcnow
from tests.factories import staff
from tests.reminders_helpers import DAY, HOUR, MINUTE, START, invite, make_event, reload, reminders_to, rule

EVERYONE = ("accepted", "tentative", "pending")


def skips_of(rule_row) -> dict[str, str]:
    """{invitee e-mail: reason} recorded for a rule."""
    from eventsapp.contacts.models import Contact
    from eventsapp.invitations.models import Invitation

    db.session.expire_all()
    rows = db.session.execute(
        select(Contact.email, ReminderSkip.reason).join(Invitation, Invitation.contact_id == Contact.id)
        .join(ReminderSkip, ReminderSkip.invitation_id == Invitation.id).where(ReminderSkip.rule_id == rule_row.id))
    return {email: reason.value for email, reason in rows}


# ---------------------------------------------------------------- item 2: never invited

def test_invitees_whose_invitation_was_never_sent_get_no_reminder_and_no_thank_you(db):
    event = make_event()
    invite(event, InvitationStatus.ACCEPTED, email="sent@example.vn")
    invite(event, InvitationStatus.PENDING, email="listed@example.vn", sent_at=None)
    invite(event, InvitationStatus.ACCEPTED, email="accepted-unsent@example.vn", sent_at=None)
    day = rule(event, offset=-DAY, audience=EVERYONE)
    thanks = rule(event, kind=RuleKind.THANK_YOU, anchor=Anchor.END, offset=DAY, audience=("accepted",))

    assert services.fire_due(now=START - DAY).messages == 1
    assert reminders_to(event, day.id) == ["sent@example.vn"]
    assert skips_of(day) == {"listed@example.vn": "not_invited", "accepted-unsent@example.vn": "not_invited"}

    services.fire_due(now=event.ends_at + DAY)
    assert reminders_to(event, thanks.id) == ["sent@example.vn"]
    assert skips_of(thanks) == {"accepted-unsent@example.vn": "not_invited"}


def test_an_invitation_that_failed_to_send_counts_as_never_sent(db):
    from eventsapp.mail.models import MessageState, OutboxMessage

    event = make_event()
    failed = invite(event, InvitationStatus.PENDING, email="bounced@example.vn")
    db.session.execute(OutboxMessage.__table__.update().where(OutboxMessage.invitation_id == failed.id)
                       .values(state=MessageState.FAILED.value, sent_at=None))
    db.session.commit()
    day = rule(event, offset=-DAY)
    services.fire_due(now=START - DAY)
    assert reminders_to(event) == [] and skips_of(day) == {"bounced@example.vn": "not_invited"}


def test_a_campaign_invitation_that_listed_the_event_counts_as_the_invitation(db):
    from eventsapp.mail.models import MessageKind, MessageState, OutboxMessage
    from tests.factories import CampaignFactory

    campaign = CampaignFactory()
    event = make_event(campaign=campaign, association=campaign.association)
    for email, state in (("listed@example.vn", MessageState.SENT), ("bounced@example.vn", MessageState.FAILED)):
        invitation = invite(event, InvitationStatus.PENDING, email=email, sent_at=None)
        db.session.add(OutboxMessage(
            kind=MessageKind.CAMPAIGN_INVITATION, dedupe_key=f"campaign:{campaign.id}:contact:{invitation.contact_id}",
            recipient=email, contact_id=invitation.contact_id, campaign_id=campaign.id, state=state,
            sent_at=START - 20 * DAY if state == MessageState.SENT else None, payload={"invitation_ids": [invitation.id]}))
    db.session.commit()
    day = rule(event, offset=-DAY)
    services.fire_due(now=START - DAY)
    assert reminders_to(event) == ["listed@example.vn"]
    assert skips_of(day) == {"bounced@example.vn": "not_invited"}


def test_the_api_lists_who_each_rule_left_out(api, db):
    event = make_event()
    invite(event, InvitationStatus.ACCEPTED, email="an@example.vn")
    invite(event, InvitationStatus.PENDING, email="listed@example.vn", sent_at=None)
    day = rule(event, offset=-DAY)
    services.fire_due(now=START - DAY)
    body = api(staff(event.association)).get(f"/api/v1/events/{event.id}/reminders").get_json()
    (item,) = [i for i in body["items"] if i["id"] == day.id]
    assert item["sent_count"] == 1 and item["left_out"] == {"not_invited": 1}


# ---------------------------------------------------------------- item 1: late invitations, late publication, window

def test_a_late_invitee_does_not_get_the_reminder_whose_moment_had_passed(db):
    event = make_event()
    invite(event, InvitationStatus.ACCEPTED, email="early@example.vn")
    invite(event, InvitationStatus.ACCEPTED, email="late@example.vn", sent_at=START - 20 * HOUR)
    day = rule(event, offset=-DAY, audience=EVERYONE)
    two_hours = rule(event, offset=-2 * HOUR, audience=EVERYONE)

    # The beat was down at the 1-day moment; it runs 19 hours before the start.
    services.fire_due(now=START - 19 * HOUR)
    assert reminders_to(event, day.id) == ["early@example.vn"]
    assert skips_of(day) == {"late@example.vn": "invited_late"}

    services.fire_due(now=START - 2 * HOUR)
    assert reminders_to(event, two_hours.id) == ["early@example.vn", "late@example.vn"]


def test_an_event_published_on_its_own_day_sends_no_reminder_whose_moment_had_passed(db):
    """pretix #3757: published at 10:30 for 19:00 the same day with the 7-day, 1-day and
    2-hour rules: before, the 1-day and 2-hour reminders both went at the next beat."""
    event = make_event(status=EventStatus.PUBLISHED, published_at=START - 8 * HOUR - 30 * MINUTE)
    invite(event, InvitationStatus.ACCEPTED, email="an@example.vn", sent_at=START - 8 * HOUR)
    week = rule(event, offset=-7 * DAY, audience=EVERYONE)
    day = rule(event, offset=-DAY, audience=EVERYONE)
    two_hours = rule(event, offset=-2 * HOUR, audience=("accepted",))

    result = services.fire_due(now=START - 8 * HOUR + MINUTE)  # the next beat
    assert (result.fired, result.skipped, result.messages) == (0, 2, 0)
    assert reload(week).skip_reason == reload(day).skip_reason == SkipReason.PUBLISHED_LATE
    assert reminders_to(event) == []

    services.fire_due(now=START - 2 * HOUR)
    assert reminders_to(event) == ["an@example.vn"]  # exactly one reminder, the 2-hour one
    assert reload(two_hours).sent_count == 1


def test_published_within_two_hours_of_the_start_nobody_gets_a_late_reminder(db):
    event = make_event(published_at=START - 90 * MINUTE)
    invite(event, InvitationStatus.ACCEPTED, email="an@example.vn", sent_at=START - 85 * MINUTE)
    rule(event, offset=-DAY, audience=EVERYONE)
    rule(event, offset=-2 * HOUR, audience=("accepted",))
    assert services.fire_due(now=START - 84 * MINUTE).skipped == 2
    assert reminders_to(event) == []


def test_within_the_window_only_the_latest_rule_reaches_an_invitee(db):
    event = make_event()
    invite(event, InvitationStatus.ACCEPTED, email="an@example.vn")
    invite(event, InvitationStatus.PENDING, email="binh@example.vn")
    three_hours = rule(event, offset=-3 * HOUR, audience=EVERYONE)
    two_hours = rule(event, offset=-2 * HOUR, audience=("accepted",))

    services.fire_due(now=START - 3 * HOUR)
    # Bình is not in the 2-hour rule's audience: the 3-hour reminder is theirs.
    assert reminders_to(event, three_hours.id) == ["binh@example.vn"]
    assert skips_of(three_hours) == {"an@example.vn": "superseded"}
    services.fire_due(now=START - 2 * HOUR)
    assert reminders_to(event, two_hours.id) == ["an@example.vn"]
    assert reminders_to(event) == ["an@example.vn", "binh@example.vn"]


def test_a_rule_added_after_a_reminder_went_out_skips_those_reminded_within_the_window(db):
    event = make_event()
    invite(event, InvitationStatus.ACCEPTED, email="an@example.vn")
    rule(event, offset=-3 * HOUR, audience=("accepted",))
    services.fire_due(now=START - 3 * HOUR)
    added = services.create_rule(services.RuleValues(offset_minutes=-120, audience=["accepted"]), event=event,
                                 now=START - 150 * MINUTE)
    db.session.commit()
    services.fire_due(now=START - 2 * HOUR)
    assert reminders_to(event) == ["an@example.vn"]
    assert skips_of(added) == {"an@example.vn": "recently_reminded"}


def test_the_window_is_configurable(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "REMINDER_WINDOW_MINUTES", 30)
    event = make_event()
    invite(event, InvitationStatus.ACCEPTED, email="an@example.vn")
    rule(event, offset=-3 * HOUR, audience=("accepted",))
    rule(event, offset=-2 * HOUR, audience=("accepted",))
    services.fire_due(now=START - 3 * HOUR)
    services.fire_due(now=START - 2 * HOUR)
    assert reminders_to(event) == ["an@example.vn", "an@example.vn"]


# ---------------------------------------------------------------- the reminders tab and the preview

def test_the_reminders_tab_shows_skips_with_their_reasons_and_a_preview(client, auth, db):
    event = make_event(published_at=START - 8 * HOUR)
    invite(event, InvitationStatus.ACCEPTED, email="an@example.vn")
    invite(event, InvitationStatus.PENDING, email="listed@example.vn", sent_at=None)
    rule(event, offset=-DAY, audience=EVERYONE)
    rule(event, offset=-3 * HOUR, audience=EVERYONE)
    rule(event, offset=-2 * HOUR, audience=EVERYONE)
    services.fire_due(now=START - 3 * HOUR)
    auth.login(staff(event.association))
    html = client.get(f"/events/{event.id}/reminders?lang=en").text
    assert "Skipped: its time had passed when the event was published" in html  # the 1-day rule
    assert "Left out: 1 (invitation never sent); 1 (a later reminder reaches them)" in html  # the 3-hour rule
    # The 2-hour rule has not fired: what it will do, one sentence a line.
    lines = [" ".join(line.split()) for line in re.sub(r"<(?!/?div)[^>]+>", " ", html).replace("</div>", "\n")
             .replace("<div", "\n<div").split("\n")]
    lines = [re.sub(r"<div[^>]*>", "", line).strip() for line in lines]
    assert "Expected recipients: 1." in lines and "Left out: 1 (invitation never sent)" in lines
    vi = client.get(f"/events/{event.id}/reminders?lang=vi").text
    assert "Không gửi cho: 1 người (chưa từng được gửi thư mời)" in vi
    assert "Dự kiến gửi tới: 1 người." in vi


def test_the_preview_command_lists_what_would_fire_and_what_is_skipped_without_sending(app, db, runner):
    event = make_event(slug="gap-mat-xuan", published_at=START - 8 * HOUR)
    invite(event, InvitationStatus.ACCEPTED, email="an@example.vn")
    invite(event, InvitationStatus.PENDING, email="listed@example.vn", sent_at=None)
    day = rule(event, offset=-DAY, audience=EVERYONE)
    two_hours = rule(event, offset=-2 * HOUR, audience=EVERYONE)

    at = (START - 2 * HOUR).isoformat()
    result = runner.invoke(args=["reminders", "preview", "--at", at])
    assert result.exit_code == 0, result.output
    assert f"rule {day.id}  reminder start-1440min  event {event.id} (gap-mat-xuan): skipped (published_late)" \
        in result.output
    assert f"rule {two_hours.id}  reminder start-120min  event {event.id} (gap-mat-xuan): 1 recipient(s); " \
           "left out: not_invited 1" in result.output
    assert "1 rule(s) would fire to 1 people; 1 rule(s) would be skipped." in result.output
    assert reminders_to(event) == [] and reload(day).is_pending and reload(two_hours).is_pending

    # Wall time without an offset is read in EVENTSAPP_TIMEZONE (Hà Nội, UTC+7): 17:00 there is 10:00 UTC.
    assert "due by 2027-01-30 10:00 UTC" in runner.invoke(args=["reminders", "preview", "--at",
                                                                "2027-01-30T17:00"]).output
    early = runner.invoke(args=["reminders", "preview", "--at", (START - 2 * DAY).isoformat()])
    assert "0 rule(s) would fire to 0 people; 0 rule(s) would be skipped." in early.output
    bad = runner.invoke(args=["reminders", "preview", "--at", "tomorrow\r\n=cmd"])
    assert bad.exit_code == 2 and "is not an ISO 8601 date and time" in bad.output


def test_the_preview_and_the_beat_agree(db):
    event = make_event(published_at=START - 8 * HOUR)
    invite(event, InvitationStatus.ACCEPTED, email="an@example.vn")
    invite(event, InvitationStatus.ACCEPTED, email="late@example.vn", sent_at=START - 150 * MINUTE)
    rule(event, offset=-3 * HOUR, audience=EVERYONE)
    plans = services.preview(START - 2 * HOUR)
    result = services.fire_due(now=START - 2 * HOUR)
    assert [len(p.rows) for p in plans] == [1] and result.messages == 1
    assert [dict(p.skip_counts) for p in plans] == [{SkipReason.INVITED_LATE: 1}]


# ---------------------------------------------------------------- end to end: the real worker and SMTP

def test_a_same_day_event_sends_one_reminder_through_the_worker_and_none_to_the_uninvited(
        app, db, celery_worker, smtp_sink):
    now = utcnow()
    event = make_event(starts_at=(now + 100 * MINUTE).replace(microsecond=0), published_at=now - 30 * MINUTE)
    invite(event, InvitationStatus.ACCEPTED, email="an@example.vn", sent_at=now - 25 * MINUTE)
    invite(event, InvitationStatus.ACCEPTED, email="listed@example.vn", sent_at=None)
    rule(event, offset=-7 * DAY, audience=EVERYONE)
    rule(event, offset=-DAY, audience=EVERYONE)
    two_hours = rule(event, offset=-2 * HOUR, audience=("accepted",))  # due 20 minutes ago, after publishing
    celery = app.extensions["celery"]
    task = celery.conf.beat_schedule["reminders.fire_due"]["task"]
    beats = [celery.send_task(task) for _ in range(2)]

    smtp_sink.wait_for(1, timeout=60)

    def beats_done():
        log = celery_worker.log_path.read_text(errors="replace")
        return all(f"{beat.id}] succeeded" in log for beat in beats)

    celery_worker.wait_until(beats_done, timeout=60)
    celery_worker.wait_until(lambda: reload(two_hours).fired_at is not None, timeout=30)
    received = [m for m in smtp_sink.messages if "an@example.vn" in m.recipients or "listed@example.vn" in m.recipients]
    assert [m.recipients for m in received] == [["an@example.vn"]]
    assert skips_of(two_hours) == {"listed@example.vn": "not_invited"}
