"""A send's progress by channel (issue 26): what went by e-mail, SMS and Zalo, what the gateways confirmed
delivered, what failed and what waits for its time — in the progress JSON, the API and on the pages."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from eventsapp.channels import dispatch, receipts
from eventsapp.extensions import db
from eventsapp.invitations.services import send_invitations
from eventsapp.mail.models import Channel, OutboxMessage
from eventsapp.timeutils import utcnow
from tests.channels_support import by_channel, invitee
from tests.factories import ContactFactory, EventFactory, InvitationFactory, staff

NOTHING = {"queued": 0, "waiting_for_time": 0, "sending": 0, "sent": 0, "failed": 0}


def three_channel_send(gateways):
    """An event ordered "zalo, sms, e-mail": a Zalo message delivered, a person without Zalo reached by
    SMS instead, and an e-mail that waits for its hour. Returns (event, send id)."""
    zalo_person = invitee()
    event = zalo_person.event
    InvitationFactory(event=event, contact=ContactFactory(phone="+84987654321", email=None))
    InvitationFactory(event=event, contact=ContactFactory(email="thu.ky@example.vn"))
    gateways.zalo.answer_next("ok", "refuse")  # the second person has no Zalo: the SMS goes instead
    send_id, queued = send_invitations(event.id)
    db.session.commit()
    assert queued == 3
    dispatch.dispatch(Channel.ZALO)
    dispatch.dispatch(Channel.SMS)
    [delivered] = [row for row in by_channel(Channel.ZALO) if row.provider_message_id]
    assert receipts.apply(delivered, receipts.DELIVERED)
    # The e-mail waits for its hour in the invitee's zone (a send "at 9:00 their time").
    db.session.execute(update(OutboxMessage).where(OutboxMessage.channel == Channel.EMAIL)
                       .values(next_attempt_at=utcnow() + timedelta(hours=5)))
    db.session.commit()
    return event, send_id


def test_the_progress_of_a_send_is_split_by_channel(app, db, auth, api, gateways):
    event, send_id = three_channel_send(gateways)
    organiser = staff(event.association)
    auth.login(organiser)
    body = auth.client.get(f"/mail/sends/{send_id}/progress").json
    assert body["channels"] == {
        "email": {**NOTHING, "queued": 1, "waiting_for_time": 1, "delivered": None, "total": 1},
        "sms": {**NOTHING, "sent": 1, "delivered": 0, "total": 1},
        "zalo": {**NOTHING, "sent": 1, "delivered": 1, "failed": 1, "total": 2},
    }
    assert list(body["channels"]) == ["email", "sms", "zalo"]  # always in the same order
    assert (body["sent"], body["failed"], body["queued"], body["total"]) == (2, 1, 1, 4)
    assert body["waiting_for_time"] == 1 and body["done"] is False and body["scheduled_for"] is None
    # The API gives the same figures.
    assert api(organiser).get(f"/api/v1/events/{event.id}/invitations/sends/{send_id}").json == body
    spec = api(organiser).get("/api/v1/openapi.json").json
    assert "delivered" in spec["components"]["schemas"]["ChannelProgress"]["properties"]


@pytest.mark.parametrize("language, words", [
    ("vi", ("Theo kênh gửi", "Chờ đến giờ gửi", "Đã đến máy", "Kênh gửi", "kênh này không báo tin đã đến")),
    ("en", ("By channel", "Waiting for their time", "Delivered", "Channel", "no delivery receipts")),
])
def test_the_pages_show_the_send_by_channel(app, db, auth, gateways, language, words):
    event, send_id = three_channel_send(gateways)
    auth.login(staff(event.association))
    auth.client.get(f"/lang/{language}")
    for url in (f"/events/{event.id}/invitations", f"/events/{event.id}/mail"):
        page = auth.client.get(url)
        assert page.status_code == 200
        table = channel_table(page.text, send_id)
        assert 'data-progress-channels hidden' not in table  # shown: the send uses SMS and Zalo
        for word in words:
            assert word in table, (url, word)
        # sent, delivered, failed, queued, waiting for their time
        assert channel_rows(table) == {"email": ["0", "–", "0", "0", "1"], "sms": ["1", "0", "0", "0", "0"],
                                       "zalo": ["1", "1", "1", "0", "0"]}
    page = auth.client.get(f"/events/{event.id}/channels")
    assert page.status_code == 200


def test_an_email_only_send_keeps_its_single_bar(app, db, auth):
    event = EventFactory()
    InvitationFactory(event=event, contact=ContactFactory(email="hoi.vien@example.vn"))
    send_id, _queued = send_invitations(event.id)
    db.session.commit()
    auth.login(staff(event.association))
    assert auth.client.get(f"/mail/sends/{send_id}/progress").json["channels"] == {
        "email": {**NOTHING, "queued": 1, "delivered": None, "total": 1}}
    table = channel_table(auth.client.get(f"/events/{event.id}/invitations").text, send_id)
    assert "data-progress-channels hidden" in table  # nothing more to say than the bar says


def test_another_association_s_organiser_sees_no_send_by_channel(app, db, auth, gateways):
    event, send_id = three_channel_send(gateways)
    auth.login(staff(EventFactory().association))
    answer = auth.client.get(f"/mail/sends/{send_id}/progress")
    assert answer.status_code in (403, 404) and "channels" not in answer.text
    assert db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.send_id == send_id).limit(1))


def channel_table(html: str, send_id: str) -> str:
    """The channel table inside the progress box of `send_id` (the first one shown on the page)."""
    start = html.index(f'data-progress-url="/mail/sends/{send_id}/progress"')
    table = html.index("data-progress-channels", start)
    return html[table - 40: html.index("</table>", table)]


def channel_rows(table: str) -> dict[str, list[str]]:
    rows = {}
    for match in re.finditer(r'<tr data-channel="(\w+)"(?! hidden)[^>]*>(.*?)</tr>', table, re.S):
        cells = re.findall(r'<td class="text-end" data-channel-count="\w+">(.*?)</td>', match.group(2), re.S)
        rows[match.group(1)] = [re.sub(r"<span class=\"visually-hidden\">.*?</span>|<[^>]+>", "", cell).strip()
                                for cell in cells]
    return rows


def test_the_table_by_channel_follows_the_send_without_a_reload(live_server, page, db, gateways):
    """In Chromium: the table under the bar shows the SMS and Zalo queued, then sent, as the gateways take
    them (progress.js polls; nobody reloads)."""
    from tests.support.browser import sign_in

    zalo_person = invitee()
    event = zalo_person.event
    InvitationFactory(event=event, contact=ContactFactory(phone="+84987654321", email=None, preferred_channel="sms"))
    send_id, _queued = send_invitations(event.id)
    db.session.commit()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, live_server, staff(event.association).email)
    page.goto(f"{live_server}/events/{event.id}/invitations")
    box = page.locator(f'[data-progress-url="/mail/sends/{send_id}/progress"]')
    table = box.locator("[data-progress-channels]")
    assert table.is_visible() and "Theo kênh gửi" in table.inner_text()

    def cell(channel: str, count: str):
        return table.locator(f'tr[data-channel="{channel}"] [data-channel-count="{count}"]')

    assert cell("zalo", "queued").inner_text() == "1" and cell("sms", "queued").inner_text() == "1"
    assert not table.locator('tr[data-channel="email"]').is_visible()
    dispatch.dispatch(Channel.ZALO)
    dispatch.dispatch(Channel.SMS)
    for channel in ("zalo", "sms"):
        cell(channel, "sent").filter(has_text="1").wait_for(timeout=20_000)
        assert cell(channel, "queued").inner_text() == "0"
    assert errors == []
