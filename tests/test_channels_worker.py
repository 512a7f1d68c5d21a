"""End to end through the real Celery worker: a member with only a phone number is invited by Zalo with SMS
fallback, gets the SMS from the fake eSMS gateway, opens its short link and answers, and is checked in at the
door with the QR code of the printed invitation card the worker made for them."""
from __future__ import annotations

import re
import time

from flask import g
from sqlalchemy import select

from eventsapp.associations.models import Role
from eventsapp.attendance.models import CheckIn
from eventsapp.extensions import db
from eventsapp.invitations.models import Invitation, InvitationStatus
from eventsapp.invitations.services import send_invitations
from eventsapp.mail.models import Channel, MessageState
from tests.channels_support import by_channel, invitee
from tests.conftest import csrf_token_from
from tests.factories import staff
from tests.test_attendance_printables import wait_until_done
from tests.test_invitation_cards import qr_texts


def eventually(predicate, timeout: float = 90, what: str = "state"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()
        db.session.expire_all()
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_member_with_only_a_phone_is_invited_by_zalo_else_sms_answers_and_comes_with_the_printed_card(
        app, db, celery_worker, gateways, auth, tmp_path):
    invitation = invitee(phone="+84912345678", order="zalo,sms,email")  # no e-mail address at all
    assert invitation.contact.email is None
    gateways.zalo.answer_next("refuse")  # -118: this number has no Zalo account
    send_invitations(invitation.event_id)
    db.session.commit()  # the worker is woken after the commit

    sms = eventually(lambda: next((row for row in by_channel(Channel.SMS)
                                   if row.state == MessageState.SENT), None), what="the SMS sent by the worker")
    [zalo] = by_channel(Channel.ZALO)
    assert zalo.state == MessageState.FAILED and "Zalo -118" in zalo.last_error
    assert [r["body"]["phone"] for r in gateways.zalo.sends()] == ["84912345678"]
    [request] = gateways.esms.sends()
    content = request["body"]["Content"]
    assert request["body"]["Phone"] == "0912345678" and sms.provider == "esms" and sms.cost > 0
    assert by_channel(Channel.EMAIL) == []  # the SMS went: no e-mail (and there is no address for one)

    # The person opens the short link of the SMS and accepts on the RSVP page.
    link = re.search(r"http://eventsapp\.test(/r/[A-Za-z0-9_-]+)", content).group(1)
    client = app.test_client()
    opened = client.get(link)
    assert opened.status_code == 302
    rsvp = opened.headers["Location"].removeprefix("http://eventsapp.test")
    page = client.get(rsvp)
    assert page.status_code == 200
    answered = client.post(rsvp, data={"csrf_token": csrf_token_from(page.text), "status": "accepted"})
    assert answered.status_code in (200, 303)
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).status == InvitationStatus.ACCEPTED

    # eSMS reports the delivery to the signed callback link the worker gave it.
    callback = gateways.esms.callback(request["body"]["CallbackUrl"], sms.provider_message_id, "0912345678")
    assert client.get(callback.removeprefix("http://eventsapp.test")).status_code == 204
    db.session.expire_all()
    assert by_channel(Channel.SMS)[0].delivery_status == "delivered"

    # The organiser prints the invitation cards (the worker makes the PDF); the card handed over carries a code.
    event = db.session.get(Invitation, invitation.id).event
    g.pop("csrf_token", None)  # the tests' app context outlives requests: forget the invitee's client's token
    auth.login(staff(event.association, Role.ORGANISER))
    page = auth.client.get(f"/events/{event.id}/printables")
    printed = auth.client.post(f"/events/{event.id}/printables/invitation_cards",
                               data={"csrf_token": csrf_token_from(page.text), "audience": "all"})
    assert printed.status_code == 303
    state = wait_until_done(auth.client, event)
    assert state["state"] == "done" and state["item_count"] == 1
    [code] = qr_texts(auth.client.get(state["download_url"]).data, tmp_path)

    # At the door, the code scanned from the printed card checks the person in.
    auth.login(staff(event.association, Role.CHECKIN))
    token = csrf_token_from(auth.client.get(f"/events/{event.id}/checkin").text)
    scanned = auth.client.post(f"/events/{event.id}/checkin/scan", data={"code": code, "csrf_token": token},
                               headers={"Accept": "application/json"})
    assert scanned.status_code == 200, scanned.get_json()
    db.session.expire_all()
    assert [row.contact_id for row in db.session.scalars(select(CheckIn).where(CheckIn.event_id == event.id))] == [
        invitation.contact_id]
