"""Delegation members with an address receive the event's messages (issue 27), through the one outbox, the real
worker and a real SMTP server: a personal message when the leader enters them (their language, the delegation's
zone, their own check-in code, a calendar invitation), the event's update and cancellation; nothing doubled,
nothing for a member without an address, nothing more once removed."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from eventsapp import links
from eventsapp.associations.models import Role
from eventsapp.guests.models import Delegation, EventGuest
from eventsapp.mail.models import MessageKind, MessageState, OutboxMessage
from eventsapp.qr import qr_png
from eventsapp.timefmt import event_span
from tests.conftest import csrf_token_from
from tests.factories import ContactFactory, EventFactory, staff

TITLE_VI, TITLE_EN = "Gặp mặt Xuân Quê hương 2027", "Homeland Spring Gathering 2027"


def _delegation(client, auth, db, smtp_sink, *, leader_language="vi"):
    event = EventFactory(title_vi=TITLE_VI, title_en=TITLE_EN, capacity=100)
    ContactFactory(full_name="Nguyễn Văn Hùng", email="hung@example.cz", language=leader_language,
                   timezone="Europe/Prague", associations=[event.association])
    auth.login(staff(event.association, Role.ORGANISER))
    response = auth.post(f"/events/{event.id}/delegations", {
        "name": "Hội người Bắc Giang tại Séc", "leader_email": "hung@example.cz", "quota": "6"},
        form_url=f"/events/{event.id}/guests")
    assert response.status_code == 303
    if smtp_sink is not None:
        assert _wait_to(smtp_sink, "hung@example.cz", 1)  # the leader's link (a late message of an earlier test may come too)
    client.get("/logout")
    return event, db.session.scalar(select(Delegation).where(Delegation.event_id == event.id))


def _post(client, token, path="members", **values):
    page = client.get(f"/delegation/{token}")
    return client.post(f"/delegation/{token}/{path}", data={"csrf_token": csrf_token_from(page.text), **values})


def _member(db, name) -> EventGuest:
    db.session.expire_all()
    return db.session.scalar(select(EventGuest).where(EventGuest.full_name == name))


def _plain(mail) -> str:
    return mail.message.get_body(("plain",)).get_content()


def _html(mail) -> str:
    return mail.message.get_body(("html",)).get_content()


def _calendar(mail) -> str:
    for part in mail.message.walk():
        if part.get_content_type() == "text/calendar":
            return part.get_content() if isinstance(part.get_content(), str) else part.get_content().decode()
    raise AssertionError("no calendar part")


def _qr(mail) -> bytes | None:
    for part in mail.message.walk():
        if part.get_content_type() == "image/png":
            return part.get_content()
    return None


def _wait_to(smtp_sink, address: str, count: int, timeout=30):
    """Poll until `count` messages have reached `address`; returns them."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(found := smtp_sink.to(address)) >= count:
            return found
        time.sleep(0.05)
    raise AssertionError(f"{count} messages to {address} never arrived")


def _wait_outbox_done(db, timeout=30):
    """Poll until every member message has left or failed (the worker records each)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        waiting = db.session.scalar(select(OutboxMessage.id).where(
            OutboxMessage.state.in_([MessageState.QUEUED, MessageState.SENDING])).limit(1))
        if waiting is None:
            return
        time.sleep(0.1)
    raise AssertionError("outbox not drained")


def test_members_with_an_address_get_their_welcome_updates_and_cancellation_once_each(
        client, auth, api, db, celery_worker, smtp_sink):
    event, delegation = _delegation(client, auth, db, smtp_sink)
    token = delegation.token
    assert _post(client, token, full_name="Nguyễn Thị Lan", honorific="Bà", position="Phó Chủ tịch Hội",
                 email="Lan@Example.cz", language="vi", timezone="Asia/Seoul").status_code == 303
    assert _post(client, token, full_name="Jana Nováková", honorific="Bà", email="jana@example.cz",
                 language="en").status_code == 303
    assert _post(client, token, full_name="Trần Văn Minh", honorific="Ông").status_code == 303  # no address
    _wait_to(smtp_sink, "lan@example.cz", 1)
    _wait_to(smtp_sink, "jana@example.cz", 1)
    lan, jana = _member(db, "Nguyễn Thị Lan"), _member(db, "Jana Nováková")

    # Vietnamese: the formal greeting, the delegation, the event in the event's zone and the delegation's.
    [to_lan] = smtp_sink.to("lan@example.cz")
    assert to_lan.header("Subject") == f"Thư mời: {TITLE_VI}"
    text = _plain(to_lan)
    assert text.startswith("Kính gửi: Bà Nguyễn Thị Lan, Phó Chủ tịch Hội")
    assert "Quý vị có tên trong đoàn “Hội người Bắc Giang tại Séc” dự Gặp mặt Xuân Quê hương 2027" in text
    # The event's clock, then hers (she lives in Seoul, her delegation's leader in Prague).
    assert f"Thời gian: {event_span(event, event.timezone, 'vi')}" in text
    assert f"Giờ của Quý vị: {event_span(event, 'Asia/Seoul', 'vi')}" in text
    assert "Mã QR trong thư này là mã vào cửa riêng của Quý vị" in text
    assert "Nguyễn Văn Hùng, trưởng đoàn" in text
    assert "Xin xuất trình mã này khi vào cửa:" in _html(to_lan)
    # Their own check-in code (the door's link with their token), and a calendar invitation for them.
    assert _qr(to_lan) == qr_png(links.checkin_url(lan))
    calendar = _calendar(to_lan)
    assert "METHOD:REQUEST" in calendar and "lan@example.cz" in calendar.lower().replace("\r\n ", "")
    assert "unsubscribe" not in text.lower()

    # English, as the leader chose for her: "Dear Ms …".
    [to_jana] = smtp_sink.to("jana@example.cz")
    assert to_jana.header("Subject") == f"Invitation: {TITLE_EN}"
    text = _plain(to_jana)
    assert text.startswith("Dear Ms Jana Nováková,")
    assert "You are a member of the delegation “Hội người Bắc Giang tại Séc” at Homeland Spring Gathering 2027" in text
    assert jana.timezone == "Europe/Prague"  # none given: her leader's
    assert f"Your time: {event_span(event, 'Europe/Prague', 'en')}" in text
    assert _qr(to_jana) == qr_png(links.checkin_url(jana))
    ours = [m for m in smtp_sink.messages if m.recipients[0].endswith("@example.cz")]  # not an earlier test's
    assert smtp_sink.to("hung@example.cz") and len(ours) == 3  # the member without an address: nothing

    # A change of position does not welcome Lan again; a new address for Jana does (at the new address).
    assert _post(client, token, f"members/{lan.id}", full_name="Nguyễn Thị Lan", honorific="Bà",
                 position="Chủ tịch Hội", email="lan@example.cz", language="vi").status_code == 303
    assert _post(client, token, f"members/{jana.id}", full_name="Jana Nováková", honorific="Bà",
                 email="jana.novakova@example.cz", language="en").status_code == 303
    _wait_to(smtp_sink, "jana.novakova@example.cz", 1)
    # Lan is removed: she hears nothing more.
    assert _post(client, token, f"members/{lan.id}/remove").status_code == 303

    # The organiser moves the event: the update reaches Jana (and the leader as an invitee), not Lan nor Minh.
    organiser = staff(event.association, Role.ORGANISER)
    new_start = (event.starts_at + timedelta(hours=2)).isoformat()
    moved = api(organiser).patch(f"/api/v1/events/{event.id}", json={"starts_at": new_start,
                                                                    "ends_at": (event.ends_at + timedelta(hours=2)).isoformat()})
    assert moved.status_code == 200, moved.json
    update = _wait_to(smtp_sink, "jana.novakova@example.cz", 2)[1]
    assert update.header("Subject") == f"Updated: {TITLE_EN}"
    assert "has changed. Please check the new details." in _plain(update)
    assert "METHOD:REQUEST" in _calendar(update) and _qr(update) is not None

    # And cancels it: a cancellation, with the calendar's CANCEL and no door code.
    auth.login(organiser)
    assert auth.post(f"/events/{event.id}/cancel", {"reason": "Bão"}, form_url=f"/events/{event.id}").status_code < 400
    _wait_outbox_done(db)
    to_jana = smtp_sink.to("jana.novakova@example.cz")
    assert [m.header("Subject") for m in to_jana] == [f"Invitation: {TITLE_EN}", f"Updated: {TITLE_EN}",
                                                      f"Cancelled: {TITLE_EN}"]
    assert "METHOD:CANCEL" in _calendar(to_jana[2]) and _qr(to_jana[2]) is None
    assert "We are sorry" in _plain(to_jana[2])
    # Nothing doubled, nothing for the removed member or the one without an address.
    assert len(smtp_sink.to("lan@example.cz")) == 1 and len(smtp_sink.to("jana@example.cz")) == 1
    kinds = db.session.scalars(select(OutboxMessage.payload).where(
        OutboxMessage.kind == MessageKind.DELEGATION_MEMBER)).all()
    assert sorted(p["purpose"] for p in kinds) == ["cancellation", "update", "welcome", "welcome", "welcome"]


def test_a_members_update_in_vietnamese_and_no_message_after_the_delegation_is_revoked(
        client, auth, api, db, celery_worker, smtp_sink):
    event, delegation = _delegation(client, auth, db, smtp_sink)
    assert _post(client, delegation.token, full_name="Lê Thị Hoa", honorific="Bà", email="hoa@example.cz",
                 language="vi").status_code == 303
    # The leader lists themselves too: they have their invitation's messages, not a second copy.
    assert _post(client, delegation.token, full_name="Nguyễn Văn Hùng", honorific="Ông",
                 email="hung@example.cz").status_code == 303
    smtp_sink.wait_for(2)
    organiser = staff(event.association, Role.ORGANISER)
    moved = api(organiser).patch(f"/api/v1/events/{event.id}", json={"venue_name": "Đại sứ quán Việt Nam tại Praha"})
    assert moved.status_code == 200
    _wait_outbox_done(db)
    to_hoa = smtp_sink.to("hoa@example.cz")
    assert [m.header("Subject") for m in to_hoa] == [f"Thư mời: {TITLE_VI}", f"Cập nhật: {TITLE_VI}"]
    text = _plain(to_hoa[1])
    assert text.startswith("Kính gửi: Bà Lê Thị Hoa") and "Đại sứ quán Việt Nam tại Praha" in text
    assert len(smtp_sink.to("hung@example.cz")) == 2  # the link, then the update of his own invitation

    auth.login(organiser)
    assert auth.post(f"/events/{event.id}/delegations/{delegation.id}/revoke", {},
                     form_url=f"/events/{event.id}/guests").status_code == 303
    moved = api(organiser).patch(f"/api/v1/events/{event.id}", json={"venue_name": "Nhà văn hóa tỉnh"})
    assert moved.status_code == 200
    _wait_outbox_done(db)
    assert len(smtp_sink.to("hoa@example.cz")) == 2


def test_a_queued_message_for_a_member_removed_meanwhile_never_leaves(client, auth, db, app):
    """The renderer checks again when the message leaves: a removed member, or a changed address, fails it."""
    from eventsapp.mail.renderers import render
    from eventsapp.mail.transport import PermanentFailure

    _event, delegation = _delegation(client, auth, db, None)
    _post(client, delegation.token, full_name="Phạm Văn Đức", email="duc@example.cz")
    duc = _member(db, "Phạm Văn Đức")
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == MessageKind.DELEGATION_MEMBER))
    assert message.recipient == "duc@example.cz" and message.payload["guest_id"] == duc.id
    assert "duc@example.cz" in str(render(message)["To"])
    duc.email = "duc.moi@example.cz"
    db.session.commit()
    try:
        render(message)
        raise AssertionError("rendered for an address the member no longer has")
    except PermanentFailure:
        pass
    _post(client, delegation.token, f"members/{duc.id}/remove")
    db.session.expire_all()
    try:
        render(db.session.get(OutboxMessage, message.id))
        raise AssertionError("rendered for a removed member")
    except PermanentFailure:
        pass


def test_the_language_and_zone_of_a_members_mail_are_checked_and_default_to_the_leaders(client, auth, db):
    _event, delegation = _delegation(client, auth, db, None, leader_language="en")
    page = client.get(f"/delegation/{delegation.token}").text
    assert "Language of the e-mails" in page and '<option value="en" selected>' in page
    assert _post(client, delegation.token, full_name="John Smith").status_code == 303
    assert _member(db, "John Smith").language == "en"
    for value in ("fr", "x\r\ny", "L" * 10_000, "=cmd"):
        refused = _post(client, delegation.token, full_name="Anna", language=value)
        assert refused.status_code == 400, value[:10]
        if value in ("fr", "=cmd"):
            assert "Choose Vietnamese or English." in refused.text
    for value in ("Europe/Atlantis", "../../etc/passwd", "x" * 65):
        refused = _post(client, delegation.token, full_name="Anna", timezone=value)
        assert refused.status_code == 400
        assert ("This time zone does not exist" if len(value) < 64 else "64") in refused.text
    assert _member(db, "Anna") is None
    assert _post(client, delegation.token, full_name="Anna", timezone="Asia/Tokyo").status_code == 303
    assert _member(db, "Anna").timezone == "Asia/Tokyo"


def test_an_organiser_adding_a_member_through_the_api_queues_their_welcome_once(client, auth, api, db):
    event, delegation = _delegation(client, auth, db, None)
    organiser = staff(event.association, Role.ORGANISER)
    url = f"/api/v1/events/{event.id}/delegations/{delegation.id}/members"
    refused = api(organiser).post(url, json={"full_name": "Sato Kenji", "email": "sato@example.jp",
                                             "timezone": "Asia/Atlantis", "language": "ja"})
    assert refused.status_code == 400 and set(refused.json["error"]["fields"]) == {"timezone", "language"}
    added = api(organiser).post(url, json={"full_name": "Sato Kenji", "honorific": "Mr", "email": "sato@example.jp",
                                           "timezone": "Asia/Tokyo", "language": "en"})
    assert added.status_code == 201
    assert (added.json["language"], added.json["timezone"]) == ("en", "Asia/Tokyo")
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == MessageKind.DELEGATION_MEMBER)).all()
    assert [(r.recipient, r.payload["purpose"]) for r in rows] == [("sato@example.jp", "welcome")]
    # Another organiser's association: 404/403, nothing added or queued.
    stranger = staff(EventFactory().association, Role.ORGANISER)
    assert api(stranger).post(url, json={"full_name": "X", "email": "x@example.jp"}).status_code in (403, 404)
    assert db.session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.kind == MessageKind.DELEGATION_MEMBER)) == 1
    # The same message rendered: English greeting, Tokyo's time beside the event's.
    import email
    import email.policy

    from eventsapp.mail.renderers import render

    parsed = email.message_from_bytes(render(rows[0]).as_bytes(), policy=email.policy.default)
    text = parsed.get_body(("plain",)).get_content()
    assert str(parsed["Subject"]) == f"Invitation: {TITLE_EN}"
    assert text.startswith("Dear Mr Sato Kenji,")
    assert f"Your time: {event_span(event, 'Asia/Tokyo', 'en')}" in text


def test_members_entered_while_the_event_is_a_draft_are_welcomed_when_it_is_published(client, auth, api, db):
    from eventsapp.events.models import EventStatus

    event = EventFactory(title_vi=TITLE_VI, title_en=TITLE_EN, status=EventStatus.DRAFT)
    ContactFactory(full_name="Nguyễn Văn Hùng", email="hung@example.cz", associations=[event.association])
    organiser = staff(event.association, Role.ORGANISER)
    created = api(organiser).post(f"/api/v1/events/{event.id}/delegations", json={
        "name": "Hội người Bắc Giang tại Séc", "leader_email": "hung@example.cz", "quota": 3})
    assert created.status_code == 201, created.json
    url = f"/api/v1/events/{event.id}/delegations/{created.json['id']}/members"
    assert api(organiser).post(url, json={"full_name": "Lê Thị Hoa", "email": "hoa@example.cz"}).status_code == 201
    assert api(organiser).post(url, json={"full_name": "Trần Văn Minh"}).status_code == 201

    def welcomes():
        db.session.expire_all()
        return db.session.scalars(select(OutboxMessage.recipient).where(
            OutboxMessage.kind == MessageKind.DELEGATION_MEMBER)).all()

    assert welcomes() == []  # a draft is shown to nobody
    assert api(organiser).post(f"/api/v1/events/{event.id}/publish").status_code == 200
    assert welcomes() == ["hoa@example.cz"]
    assert api(organiser).patch(f"/api/v1/events/{event.id}", json={"description_vi": "Mời bà con"}).status_code == 200
    assert welcomes() == ["hoa@example.cz"]  # saved again: not welcomed twice
