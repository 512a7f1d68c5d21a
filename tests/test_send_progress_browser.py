"""Every send shows a live bar that reaches its total without a reload — with the real worker
and SMTP server: an event's send, a resend, a retry of failed messages and a campaign's send."""
from datetime import timedelta

from eventsapp.campaigns.models import Campaign, CampaignKind, CampaignStatus
from eventsapp.invitations.models import InvitationStatus
from tests.attendance_factories import invite
from tests.factories import EventFactory, staff
from tests.support.browser import sign_in

DONE = "Đã gửi {sent}, lỗi {failed}, đang chờ 0 trên tổng số {total}"


def bar_of(page, text: str):
    """The progress box whose label reads `text`, once it does (polled by the page, not reloaded)."""
    box = page.locator("[data-progress-url]", has=page.locator("[data-progress-label]", has_text=text))
    box.first.wait_for(timeout=60_000)
    return box.first


def widths(box) -> dict:
    return box.evaluate("""box => Object.fromEntries([...box.querySelectorAll('[data-progress-part]')]
        .map(bar => [bar.dataset.progressPart, bar.style.width]))""")


def test_an_event_send_and_a_resend_fill_their_bars(live_server, page, db, celery_worker, smtp_sink):
    event = EventFactory()
    organiser = staff(event.association)
    for n in range(3):
        invite(event, status=InvitationStatus.PENDING, email=f"khach.tien.do.{n}@example.vn")
    db.session.commit()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, live_server, organiser.email)
    page.goto(f"{live_server}/events/{event.id}/invitations")

    page.get_by_role("button", name="Gửi thư mời").click()
    box = bar_of(page, DONE.format(sent=3, failed=0, total=3))
    assert widths(box)["sent"] == "100%"
    assert box.locator("[role=progressbar]").get_attribute("aria-valuenow") == "100"
    assert len(smtp_sink.wait_for(3)) == 3

    page.reload()  # after a reload the bar is full at once
    box = bar_of(page, DONE.format(sent=3, failed=0, total=3))
    assert widths(box)["sent"] == "100%"

    smtp_sink.clear()
    page.locator("#invitations tr", has_text="khach.tien.do.1@example.vn").get_by_role("button", name="Gửi lại").click()
    box = bar_of(page, DONE.format(sent=1, failed=0, total=1))
    assert widths(box)["sent"] == "100%"
    assert [m.recipients for m in smtp_sink.wait_for(1)] == [["khach.tien.do.1@example.vn"]]
    assert errors == []


def test_a_retry_of_failed_messages_fills_the_bar_again(live_server, page, db, celery_worker, smtp_sink):
    event = EventFactory()
    organiser = staff(event.association)
    invite(event, status=InvitationStatus.PENDING, email="ok.tien.do@example.vn")
    invite(event, status=InvitationStatus.PENDING, email="hong.tien.do@example.vn")
    db.session.commit()
    smtp_sink.handler.reject["hong.tien.do@example.vn"] = "550 mailbox unavailable"
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, live_server, organiser.email)
    page.goto(f"{live_server}/events/{event.id}/invitations")
    page.get_by_role("button", name="Gửi thư mời").click()
    box = bar_of(page, DONE.format(sent=1, failed=1, total=2))
    assert widths(box) | {"sending": None} == {"sent": "50%", "failed": "50%", "sending": None}

    smtp_sink.handler.reject.clear()  # the mailbox is back
    page.goto(f"{live_server}/events/{event.id}/mail")
    page.get_by_role("button", name="Gửi lại các thư lỗi").click()
    box = bar_of(page, DONE.format(sent=2, failed=0, total=2))
    assert widths(box)["sent"] == "100%"


def test_a_campaign_send_fills_its_bar(live_server, page, db, celery_worker, smtp_sink):
    first = EventFactory()
    campaign = Campaign(association=first.association, kind=CampaignKind.TET_WEEK, slug="tuan-le-tien-do", status=CampaignStatus.PUBLISHED,
                        title_vi="Tuần lễ Tết Việt", title_en="Tết Việt week",
                        starts_on=first.starts_at.date(), ends_on=(first.starts_at + timedelta(days=6)).date())
    db.session.add(campaign)
    first.campaign = campaign
    second = EventFactory(association=first.association, campaign=campaign,
                          starts_at=first.starts_at + timedelta(days=2), ends_at=first.ends_at + timedelta(days=2))
    organiser = staff(first.association)
    for n in range(2):
        invitation = invite(first, status=InvitationStatus.PENDING, email=f"tuan.le.{n}@example.vn")
        invite(second, status=InvitationStatus.PENDING, email=f"tuan.le.khac.{n}@example.vn")
        assert invitation
    db.session.commit()
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, live_server, organiser.email)
    page.goto(f"{live_server}/campaigns/{campaign.id}/invitations")
    page.get_by_role("button", name="Gửi thư mời").click()
    box = bar_of(page, DONE.format(sent=4, failed=0, total=4))
    assert widths(box)["sent"] == "100%"


def test_a_scheduled_send_turns_into_a_bar_when_its_time_comes(live_server, page, db, celery_worker, smtp_sink, app):
    """The page opened before the time says when the send starts; at that time the line becomes the
    live bar by itself, which then fills as the worker sends (no reload)."""
    from eventsapp.invitations import services
    from eventsapp.timeutils import utcnow

    event = EventFactory(starts_at=utcnow() + timedelta(days=30), ends_at=utcnow() + timedelta(days=30, hours=2))
    organiser = staff(event.association)
    for n in range(2):
        invite(event, status=InvitationStatus.PENDING, email=f"hen.gio.{n}@example.vn")
    at = utcnow() + timedelta(seconds=6)
    services.send_invitations(event.id, not_before=at)
    db.session.commit()
    sign_in(page, live_server, organiser.email)
    page.goto(f"{live_server}/events/{event.id}/invitations")
    scheduled = page.locator(".scheduled-send")
    assert "Đã hẹn giờ: 2 thư" in scheduled.inner_text()
    assert page.locator("[data-progress-label]:visible").count() == 0
    scheduled.wait_for(state="hidden", timeout=30_000)  # its time has come: the line gives way to the bar
    app.extensions["celery"].send_task("mail.sweep")  # what beat does every minute
    box = bar_of(page, DONE.format(sent=2, failed=0, total=2))
    assert box.is_visible() and widths(box)["sent"] == "100%"
