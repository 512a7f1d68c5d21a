"""Delivery receipts and STOP replies through each gateway's webhook, signed as each provider documents."""
from __future__ import annotations

from eventsapp.channels import dispatch
from eventsapp.extensions import db
from eventsapp.invitations.services import send_invitations
from eventsapp.mail.models import Channel, MessageState
from tests.channels_support import by_channel, invitee, rows

BASE = "http://eventsapp.test"


def sent_by(invitation, channel: Channel):
    send_invitations(invitation.event_id)
    db.session.commit()
    dispatch.dispatch(channel)
    [row] = by_channel(channel, invitation.id)
    assert row.state == MessageState.SENT
    return row


def test_a_twilio_receipt_signed_with_the_auth_token_marks_the_message_delivered_once(app, db, gateways):
    row = sent_by(invitee(phone="+420601234567", order="sms"), Channel.SMS)
    client = app.test_client()
    url = f"{BASE}/hooks/twilio/status"

    form, headers = gateways.twilio.status_callback(url, row.provider_message_id, "delivered")
    forged = {**headers, "X-Twilio-Signature": headers["X-Twilio-Signature"][:-4] + "AAA="}
    assert client.post("/hooks/twilio/status", data=form, headers=forged).status_code == 403
    assert client.post("/hooks/twilio/status", data=form).status_code == 403
    assert rows()[0].delivery_status == ""  # an unauthenticated callback changes nothing

    assert client.post("/hooks/twilio/status", data=form, headers=headers).status_code == 204
    first = rows()[0]
    assert first.delivery_status == "delivered" and first.delivered_at is not None
    assert client.post("/hooks/twilio/status", data=form, headers=headers).status_code == 204  # a duplicate
    again = rows()[0]
    assert (again.delivery_status, again.delivered_at, again.updated_at) == \
        (first.delivery_status, first.delivered_at, first.updated_at)


def test_an_undelivered_twilio_sms_fails_and_the_next_channel_is_queued(app, db, gateways):
    invitation = invitee(phone="+420601234567", order="sms,email", email="jana@example.cz")
    row = sent_by(invitation, Channel.SMS)
    url = f"{BASE}/hooks/twilio/status"
    form, headers = gateways.twilio.status_callback(url, row.provider_message_id, "undelivered", error_code="30003")
    assert app.test_client().post("/hooks/twilio/status", data=form, headers=headers).status_code == 204
    [sms] = by_channel(Channel.SMS)
    assert sms.state == MessageState.FAILED and "30003" in sms.last_error
    [email] = by_channel(Channel.EMAIL)
    assert email.state == MessageState.QUEUED and email.recipient == "jana@example.cz"


def test_a_stop_reply_opts_the_person_out_of_every_channel(app, db, gateways):
    invitation = invitee(phone="+420601234567", order="sms,email", email="petr@example.cz")
    url = f"{BASE}/hooks/twilio/inbound"
    client = app.test_client()
    form, headers = gateways.twilio.inbound(url, "+420601234567", "stop")
    assert client.post("/hooks/twilio/inbound", data=form).status_code == 403  # unsigned: nothing
    db.session.expire_all()
    assert invitation.contact.opted_out_at is None
    answer = client.post("/hooks/twilio/inbound", data=form, headers=headers)
    assert answer.status_code == 200 and answer.mimetype == "text/xml"
    db.session.expire_all()
    assert invitation.contact.opted_out_at is not None
    send_invitations(invitation.event_id)
    db.session.commit()
    assert rows() == []  # not invited again on any channel


def test_an_esms_callback_needs_the_signed_link_given_with_the_message(app, db, gateways):
    row = sent_by(invitee(order="sms"), Channel.SMS)
    callback = gateways.esms.sends()[0]["body"]["CallbackUrl"]
    assert callback.startswith(f"{BASE}/hooks/esms/{row.id}/")
    client = app.test_client()
    good = gateways.esms.callback(callback, row.provider_message_id, "0912345678").removeprefix(BASE)
    forged = good.replace(callback.rsplit("/", 1)[1], "0" * 32)
    other = gateways.esms.callback(callback, "another-sms-id", "0912345678").removeprefix(BASE)
    assert client.get(forged).status_code == 403
    assert client.get(other).status_code == 204 and rows()[0].delivery_status == ""
    assert client.get(good).status_code == 204 and rows()[0].delivery_status == "delivered"
    assert client.get(good).status_code == 204 and rows()[0].delivery_status == "delivered"


def test_a_zalo_webhook_signed_with_the_oa_secret_marks_the_message_delivered(app, db, gateways):
    row = sent_by(invitee(), Channel.ZALO)
    client = app.test_client()
    body, headers = gateways.zalo.received_event(row.provider_message_id, f"outbox-{row.id}", "84912345678")
    forged = {**headers, "X-ZEvent-Signature": "mac=" + "0" * 64}
    assert client.post("/hooks/zalo", data=body, headers=forged).status_code == 403
    assert rows()[0].delivery_status == ""
    assert client.post("/hooks/zalo", data=body, headers=headers).status_code == 200
    assert client.post("/hooks/zalo", data=body, headers=headers).status_code == 200
    assert rows()[0].delivery_status == "delivered"


def test_a_signature_that_is_not_ascii_is_refused_not_a_crash(app, db, gateways):
    client = app.test_client()
    assert client.get("/hooks/esms/1/%C3%A9%CC%81").status_code == 403
    assert client.post("/hooks/twilio/status", data={"MessageSid": "SM1"},
                       headers={"X-Twilio-Signature": "é".encode().decode("latin-1")}).status_code == 403
