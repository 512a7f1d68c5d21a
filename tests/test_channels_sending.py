"""SMS, Zalo and printed cards through the one outbox, against fake gateways that are real HTTP servers."""
from __future__ import annotations

import time
from datetime import timedelta

import redis
from sqlalchemy import select, update

from eventsapp.channels import dispatch, routing, segments
from eventsapp.channels.models import ProviderToken, ShortLink
from eventsapp.extensions import db
from eventsapp.invitations.models import Invitation
from eventsapp.invitations.services import send_invitations
from eventsapp.mail.models import Channel, MessageState, OutboxMessage
from eventsapp.timeutils import utcnow
from tests.channels_support import by_channel, invitee, rows
from tests.factories import ContactFactory, InvitationFactory
from tests.support.fake_providers import closed_port_url


def send(invitation) -> None:
    send_invitations(invitation.event_id)
    db.session.commit()


def run(*channels: Channel) -> None:
    for channel in channels:
        dispatch.dispatch(channel)


def make_due() -> None:
    db.session.execute(update(OutboxMessage).where(OutboxMessage.state == MessageState.QUEUED)
                       .values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()


# ---------------------------------------------------------------- segments and cost

def test_gsm_texts_fit_160_then_153_a_segment_and_vietnamese_70_then_67():
    assert segments.count("a" * 160).count == 1 and segments.count("a" * 161).count == 2
    assert segments.count("a" * 306).count == 2 and segments.count("a" * 307).count == 3
    assert segments.count("ô" * 70) == segments.Segments("UCS-2", 70, 1)
    assert segments.count("Kính mời " * 10).count == 2  # 90 UTF-16 units: two segments of 67
    assert segments.count("{}" * 40).units == 160  # the extension characters take two septets
    assert segments.without_accents("Kính mời Đồng chí dự lễ") == "Kinh moi Dong chi du le"


# ---------------------------------------------------------------- Zalo

def test_a_zalo_invitation_goes_as_the_zns_api_documents_it_with_a_short_link(app, db, gateways):
    invitation = invitee()
    send(invitation)
    [queued] = rows()
    assert (queued.channel, queued.recipient) == (Channel.ZALO, "+84912345678")
    run(Channel.ZALO)
    [request] = gateways.zalo.sends()
    body = request["body"]
    assert body["phone"] == "84912345678" and body["template_id"] == "231456"
    assert body["tracking_id"] == f"outbox-{queued.id}"
    assert body["template_data"]["customer_name"] == f"Ông {invitation.contact.full_name}"
    code = db.session.scalar(select(ShortLink.code).where(ShortLink.invitation_id == invitation.id))
    assert body["template_data"]["reply"] == f"http://eventsapp.test/r/{code}" and len(code) >= 11
    [sent] = rows()
    assert sent.state == MessageState.SENT and sent.provider == "zalo" and sent.provider_message_id
    assert sent.cost == app.config["ZALO_PRICE_PER_MESSAGE"]

    # The OAuth refresh token was spent once and the rotated one kept.
    oauth = [r for r in gateways.zalo.requests if r["kind"] == "oauth"]
    assert [r["body"]["refresh_token"] for r in oauth] == ["refresh-0"]
    token = db.session.get(ProviderToken, "zalo")
    assert (token.access_token, token.refresh_token) == ("access-1", "refresh-1")

    # The short link opens the invitation's RSVP page; an unknown one is a 404.
    client = app.test_client()
    answer = client.get(f"/r/{code}")
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/rsvp/{invitation.token}")
    assert client.get("/r/AAAAAAAAAAAA").status_code == 404


def test_an_access_token_zalo_no_longer_accepts_is_renewed_with_the_stored_refresh_token(app, db, gateways):
    first, second = invitee(), invitee(phone="+84987654321")
    send(first)
    run(Channel.ZALO)
    gateways.zalo.expire_access_token()  # revoked before its time: Zalo answers -124
    send(second)
    run(Channel.ZALO)
    assert [(row.state, row.last_error) for row in rows()] == [(MessageState.SENT, "")] * 2
    oauth = [r["body"]["refresh_token"] for r in gateways.zalo.requests if r["kind"] == "oauth"]
    assert oauth == ["refresh-0", "refresh-1"]
    assert db.session.get(ProviderToken, "zalo").refresh_token == "refresh-2"


def test_no_approved_zalo_template_is_a_clear_error_and_the_sms_goes_instead(app, db, gateways):
    invitation = invitee(template=False)
    send(invitation)
    run(Channel.ZALO)
    [zalo] = by_channel(Channel.ZALO)
    assert zalo.state == MessageState.FAILED
    assert "no approved Zalo template for invitation messages" in zalo.last_error
    assert gateways.zalo.sends() == []

    [sms] = by_channel(Channel.SMS)
    assert sms.dedupe_key == f"{routing.root_of(zalo.dedupe_key)}:via:sms" and sms.send_id == zalo.send_id
    run(Channel.SMS)
    [request] = gateways.esms.sends()
    body = request["body"]
    assert body["Phone"] == "0912345678" and body["Brandname"] == "HOIHUUNGHI" and body["SmsType"] == "2"
    assert body["IsUnicode"] == "0" and "Kinh moi" not in body["Content"]  # accents dropped: GSM-7
    assert body["Content"].isascii() and "http://eventsapp.test/r/" in body["Content"]
    assert "/hooks/esms/" in body["CallbackUrl"]
    [sent] = by_channel(Channel.SMS)
    expected = segments.count(body["Content"]).count
    assert sent.state == MessageState.SENT and sent.segments == expected
    assert sent.cost == expected * app.config["ESMS_PRICE_PER_SEGMENT"] and sent.subject == body["Content"]


def test_a_person_without_zalo_gets_the_sms_and_without_a_phone_the_email(app, db, gateways):
    invitation = invitee(email="co.mail@example.vn")
    gateways.zalo.answer_next("refuse")  # -118: no Zalo account for this number
    gateways.esms.answer_next("refuse")  # 108: not a valid phone number
    send(invitation)
    run(Channel.ZALO, Channel.SMS)
    zalo, sms, email = (by_channel(channel)[0] for channel in (Channel.ZALO, Channel.SMS, Channel.EMAIL))
    assert zalo.state == MessageState.FAILED and "Zalo -118: Zalo account not existed" in zalo.last_error
    assert sms.state == MessageState.FAILED and "eSMS 108: Phone not valid" in sms.last_error
    assert email.state == MessageState.QUEUED and email.recipient == "co.mail@example.vn"
    assert email.dedupe_key == routing.root_of(zalo.dedupe_key)  # e-mail keeps the purpose's own key


# ---------------------------------------------------------------- SMS

def test_numbers_abroad_go_through_twilio_in_unicode(app, db, gateways):
    invitation = invitee(phone="+420601234567", order="sms", language="vi")
    send(invitation)
    run(Channel.SMS)
    assert gateways.esms.sends() == []
    [request] = gateways.twilio.sends()
    form = request["body"]
    assert form["To"] == "+420601234567" and form["From"] == "+15005550006"
    assert "mời" in form["Body"] and form["StatusCallback"] == "http://eventsapp.test/hooks/twilio/status"
    [sent] = rows()
    assert sent.provider == "twilio" and sent.provider_message_id.startswith("SM")
    assert sent.segments == segments.count(form["Body"]).count and segments.count(form["Body"]).unicode


def test_a_4xx_refusal_is_permanent_with_the_providers_reason(app, db, gateways):
    invitation = invitee(phone="+15551234567", order="sms")
    gateways.twilio.answer_next("refuse")
    send(invitation)
    run(Channel.SMS)
    [failed] = rows()
    assert failed.state == MessageState.FAILED and failed.attempts == 1
    assert "Twilio 21211: The 'To' number +15551234567 is not a valid phone number." in failed.last_error


def test_an_outage_releases_the_batch_without_counting_the_attempt(app, db, gateways):
    for n in range(3):
        invitee(phone=f"+8491234567{n}", order="sms")
    app.config["ESMS_API_URL"] = closed_port_url() + "/MainService.svc/json/SendMultipleMessage_V4_post_json/"
    for invitation in db.session.scalars(select(Invitation)):
        send(invitation)
    run(Channel.SMS)
    queued = rows()
    assert len(queued) == 3
    assert all(row.state == MessageState.QUEUED and row.attempts == 0 for row in queued)
    assert all("cannot reach the gateway" in row.last_error for row in queued)
    assert all(row.next_attempt_at > utcnow() for row in queued)


def test_a_slow_answer_is_tried_again_and_esms_request_id_keeps_it_from_going_twice(app, db, gateways):
    app.config["CHANNEL_HTTP_TIMEOUT_SECONDS"] = 0.5
    gateways.esms.slow_seconds = 1.5
    gateways.esms.answer_next("slow")
    invitation = invitee(order="sms")
    send(invitation)
    run(Channel.SMS)
    [waiting] = rows()
    assert waiting.state == MessageState.QUEUED and waiting.attempts == 1
    assert "no answer within 0.5 s" in waiting.last_error
    assert waiting.next_attempt_at > utcnow() + timedelta(seconds=30)  # backoff: MAIL_RETRY_BASE_SECONDS
    make_due()
    run(Channel.SMS)
    [sent] = rows()
    assert sent.state == MessageState.SENT and sent.attempts == 2
    request_ids = [r["body"]["RequestId"] for r in gateways.esms.sends()]
    assert request_ids == [f"outbox-{sent.id}"] * 2  # the second answer: 124, already sent


def test_a_server_error_is_retried_with_backoff_until_the_attempts_run_out(app, db, gateways):
    app.config["MAIL_MAX_ATTEMPTS"] = 2
    gateways.twilio.default = "http500"
    invitation = invitee(phone="+4915112345678", order="sms,email", email="ban@example.de")
    send(invitation)
    run(Channel.SMS)
    [first] = by_channel(Channel.SMS)
    assert first.state == MessageState.QUEUED and "HTTP 500" in first.last_error
    make_due()
    run(Channel.SMS)
    [gave_up] = by_channel(Channel.SMS)
    assert gave_up.state == MessageState.FAILED and gave_up.last_error.startswith("gave up after 2 attempts")
    assert by_channel(Channel.EMAIL)[0].state == MessageState.QUEUED  # then the next channel


def test_each_provider_keeps_its_own_rate_shared_through_redis(app, db, gateways, redis_url):
    app.config["ESMS_RATE_PER_SECOND"] = 4
    for n in range(8):
        invitee(phone=f"+8490000000{n}", order="sms")
    for invitation in db.session.scalars(select(Invitation)):
        send(invitation)
    redis.Redis.from_url(redis_url).delete("eventsapp:channels:rate:esms")
    started = time.monotonic()
    run(Channel.SMS)
    elapsed = time.monotonic() - started
    assert len(gateways.esms.sends()) == 8 and all(row.state == MessageState.SENT for row in rows())
    assert elapsed >= 0.9  # 4 at once (a second's worth), then 4 more at 4 a second
    assert redis.Redis.from_url(redis_url).exists("eventsapp:channels:rate:esms")


# ---------------------------------------------------------------- opt-out and cards

def test_an_opted_out_person_gets_nothing_on_any_channel(app, db, gateways):
    invitation = invitee(email="ra@example.vn", template=True)
    send(invitation)
    invitation.contact.opted_out_at = utcnow()
    db.session.commit()
    run(Channel.ZALO)
    [row] = rows()
    assert row.state == MessageState.FAILED and "opted out" in row.last_error
    assert gateways.zalo.sends() == [] and len(rows()) == 1  # no fallback either


def test_a_printed_card_is_recorded_never_transmitted(app, db, gateways):
    invitation = invitee(order="printed")
    send(invitation)
    run(Channel.PRINTED)
    [card] = rows()
    assert card.channel == Channel.PRINTED and card.state == MessageState.SENT and card.provider == "printed"
    assert card.recipient == invitation.contact.full_name
    assert not (gateways.esms.sends() or gateways.twilio.sends() or gateways.zalo.sends())


def test_the_contacts_preferred_channel_goes_first_and_a_second_send_adds_nothing(app, db, gateways):
    invitation = invitee(preferred_channel="sms", order="zalo,sms")
    send(invitation)
    send(invitation)
    [row] = rows()
    assert row.channel == Channel.SMS
    assert not ContactFactory._meta.model.query.filter_by(phone="").count()
    assert InvitationFactory._meta.model.query.count() == 1
