"""The message log's lists as organisers read them, now that its totals come from one count by state and
channel, its pages are found by id first and its latest sends by an index probe per send (bench/
channels_send.py measures them at 100,000 messages): the same rows, totals, pages and sends as before."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import update

from eventsapp.extensions import db
from eventsapp.invitations import services as invitations
from eventsapp.mail import services
from eventsapp.mail.models import Channel, MessageKind, MessageState, OutboxMessage
from eventsapp.timeutils import utcnow
from tests.factories import CampaignFactory, ContactFactory, EventFactory, staff
from tests.mail_factories import queue_staff


def queue_sms(event_id: int, send_id: str, count: int, *, contact=None) -> None:
    services.queue_messages([{"kind": MessageKind.REMINDER, "dedupe_key": f"sms:{send_id}:{n}",
                              "recipient": f"+8491234{n:04d}", "channel": Channel.SMS, "send_id": send_id,
                              "event_id": event_id, "contact_id": contact.id if contact else None}
                             for n in range(count)], wake_sender=False)
    db.session.commit()


def started(send_id: str, minutes_ago: int) -> None:
    db.session.execute(update(OutboxMessage).where(OutboxMessage.send_id == send_id)
                       .values(created_at=utcnow() - timedelta(minutes=minutes_ago)))
    db.session.commit()


def listed(html: str) -> list[str]:
    return re.findall(r'<span class="text-muted small">([^<]+)</span>', html)


def test_totals_and_pages_follow_the_filters(client, auth, db):
    event = EventFactory()
    send = queue_staff(60, event_id=event.id)
    db.session.execute(update(OutboxMessage).values(state=MessageState.SENT)
                       .where(OutboxMessage.send_id == send, OutboxMessage.dedupe_key != f"test:{send}:7"))
    db.session.execute(update(OutboxMessage).where(OutboxMessage.dedupe_key == f"test:{send}:7")
                       .values(state=MessageState.FAILED, last_error="550 User unknown"))
    db.session.commit()
    person = ContactFactory(full_name="Trần Thị Nhắn Tin")
    queue_sms(event.id, "nhac-lich", 3, contact=person)
    queue_staff(4, event_id=EventFactory().id)  # another event's messages are counted nowhere here
    auth.login(staff(event.association))

    first = client.get(f"/events/{event.id}/mail")
    assert first.status_code == 200 and len(listed(first.text)) == 50
    assert "Trần Thị Nhắn Tin" in first.text  # the newest: the SMS, with the person's name
    assert re.search(r"Đã gửi: 59", first.text) and re.search(r"Lỗi: 1", first.text)
    assert f'/events/{event.id}/mail?page=2"' in first.text and "page=3" not in first.text
    assert len(listed(client.get(f"/events/{event.id}/mail?page=2").text)) == 13
    assert listed(client.get(f"/events/{event.id}/mail?page=3").text) == []

    sms = client.get(f"/events/{event.id}/mail?channel=sms")
    assert listed(sms.text) == ["+84912340002", "+84912340001", "+84912340000"] and "page=2" not in sms.text
    failed = client.get(f"/events/{event.id}/mail?state=failed&channel=email")
    assert [address.startswith("khach7.") for address in listed(failed.text)] == [True]
    assert listed(client.get(f"/events/{event.id}/mail?state=failed&channel=sms").text) == []
    by_kind = client.get(f"/events/{event.id}/mail?kind=reminder")
    assert len(listed(by_kind.text)) == 3 and "page=2" not in by_kind.text
    # Unknown values filter nothing, as before; a hostile page number changes nothing either.
    for query in ("state=nonsense&channel=%7B%7D", "channel=javascript:alert(1)", "state=%0D%0Asent", "page=abc"):
        answer = client.get(f"/events/{event.id}/mail?{query}")
        assert answer.status_code == 200 and len(listed(answer.text)) == 50, query
    assert client.get(f"/events/{event.id}/mail?page={2**63}").status_code == 400


def test_the_latest_five_sends_newest_first_by_their_first_message(client, auth, db):
    event = EventFactory()
    sends = []
    for age in range(7):  # send 0 started 70 minutes ago … send 6 ten minutes ago
        send = queue_staff(2, event_id=event.id)
        started(send, 70 - 10 * age)
        sends.append(send)
    # A fallback SMS queued just now in the oldest send does not make it a new send.
    queue_sms(event.id, sends[0], 1)
    other = queue_staff(3, event_id=EventFactory().id)  # another event's send, newer than all
    auth.login(staff(event.association))
    page = client.get(f"/events/{event.id}/mail").text
    shown = re.findall(r'class="mb-3 send-progress" data-progress-url="/mail/sends/(\w+)/progress"', page)
    assert shown == list(reversed(sends[2:])) and other not in page
    recent = services.recent_sends(event_ids=[event.id], limit=10)
    assert [send["send_id"] for send in recent] == list(reversed(sends))
    assert recent[-1]["channels"]["sms"]["total"] == 1 and recent[-1]["total"] == 3


def test_a_campaign_lists_its_own_sends(db):
    campaign = CampaignFactory()
    event = EventFactory(association=campaign.association)
    send = queue_staff(2, event_id=event.id)
    db.session.execute(update(OutboxMessage).where(OutboxMessage.send_id == send).values(campaign_id=campaign.id))
    db.session.commit()
    queue_staff(2, event_id=event.id)  # the event's own send, not the campaign's
    assert [s["send_id"] for s in invitations.recent_sends(campaign_id=campaign.id)] == [send]
    assert invitations.recent_sends(campaign_id=CampaignFactory().id) == []
    assert len(invitations.recent_sends([event.id])) == 2


def test_a_search_finds_a_recipient_by_the_start_of_their_number_or_address(client, auth, db):
    event = EventFactory()
    send = queue_staff(60, event_id=event.id)
    queue_sms(event.id, "nhac-lich", 3)
    auth.login(staff(event.association))

    def found(search: str) -> list[str]:
        answer = client.get(f"/events/{event.id}/mail", query_string={"q": search})
        assert answer.status_code == 200, search
        return listed(answer.text)

    assert found("0912 340 001") == ["+84912340001"]  # as dialled at home
    assert found("+84 91234") == ["+84912340002", "+84912340001", "+84912340000"]
    assert found("0084912340002") == ["+84912340002"]
    assert found(f"KHACH7.{send}".upper()) == [f"khach7.{send}@vi.example.test"]  # any case
    many = client.get(f"/events/{event.id}/mail", query_string={"q": "khach"})
    assert len(listed(many.text)) == 50
    assert ["q=khach" in link for link in re.findall(r'href="([^"]*page=2[^"]*)"', many.text)] == [True]
    assert len(listed(client.get(f"/events/{event.id}/mail", query_string={"q": "khach", "page": 2}).text)) == 10
    # What people might type, or someone hostile: nothing matches, nothing breaks, nothing is echoed raw.
    assert client.get(f"/events/{event.id}/mail", query_string={"q": "khach\x00"}).status_code == 400  # refused app-wide
    for hostile in ("%", "_", "\\", "=cmd|' /C calc'!A0", "javascript:alert(1)", "x" * 10_000,
                    "١٢٣", str(2**63), "{}", "<script>alert(1)</script>"):
        assert found(hostile) == [], hostile
    page = client.get(f"/events/{event.id}/mail", query_string={"q": "<script>alert(1)</script>"}).text
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page
    assert found("  ") == found("") and len(found("")) == 50  # an empty search is no search


def test_the_search_speaks_both_languages(client, auth, db):
    event = EventFactory()
    auth.login(staff(event.association))
    page = client.get(f"/events/{event.id}/mail").text
    assert "Địa chỉ email hoặc số điện thoại" in page and "Chỉ cần gõ mấy chữ hoặc mấy số đầu" in page
    client.get("/lang/en")
    page = client.get(f"/events/{event.id}/mail").text
    assert "E-mail address or phone number" in page and "The first letters or digits are enough" in page
