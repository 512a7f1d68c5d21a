"""The channel pages: an event's channel order and its report by channel, an association's Zalo templates,
and the message log's channel filter."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from eventsapp.channels import dispatch, routing
from eventsapp.channels.models import ZaloTemplate
from eventsapp.invitations.models import InvitationStatus
from eventsapp.invitations.services import send_invitations
from eventsapp.mail.models import Channel
from tests.channels_support import invitee
from tests.factories import ContactFactory, InvitationFactory, staff


def test_the_report_counts_invitations_answers_and_cost_by_channel(app, db, auth, gateways):
    zalo_person = invitee()
    event = zalo_person.event
    sms_person = InvitationFactory(event=event, contact=ContactFactory(phone="+84987654321",
                                                                       email=None))
    InvitationFactory(event=event, contact=ContactFactory(email="thu@example.vn"))  # reached by e-mail
    gateways.zalo.answer_next("ok", "refuse")  # the second person has no Zalo: SMS instead
    send_invitations(event.id)
    db.session.commit()
    dispatch.dispatch(Channel.ZALO)
    dispatch.dispatch(Channel.SMS)
    zalo_person.status = InvitationStatus.ACCEPTED
    sms_person.status = InvitationStatus.DECLINED
    db.session.commit()

    auth.login(staff(event.association))
    page = auth.client.get(f"/events/{event.id}/channels")
    assert page.status_code == 200
    text = " ".join(page.text.split())
    assert "Theo kênh gửi" in text and "Zalo, không được thì tin nhắn SMS, rồi email" in text
    report = {row: cells for row, cells in _rows(page.text)}
    # invited, accepted, maybe, declined, no answer, came, sent, delivered, failed, waiting, SMS parts, cost
    assert report["zalo"][:2] == ["1", "1"] and report["zalo"][8] == "1"  # one sent and one refused
    assert report["sms"][0] == "1" and report["sms"][3] == "1"
    assert report["sms"][11] == f"{report['sms'][10] and int(report['sms'][10]) * 800:,}"
    assert report["email"][9] == "1"  # the e-mail waits for the mail worker


def _rows(html: str):
    import re

    for match in re.finditer(r'<tr data-channel="(\w+)"[^>]*>(.*?)</tr>', html, re.S):
        yield match.group(1), re.findall(r'<td class="text-end"[^>]*>([^<]*)</td>', match.group(2))


def test_organisers_choose_the_order_and_a_made_up_one_is_refused(app, db, auth):
    invitation = InvitationFactory()
    event = invitation.event
    auth.login(staff(event.association))
    answer = auth.post(f"/events/{event.id}/channels", {"order": "sms,email"})
    assert answer.status_code == 303
    assert routing.order_of(event.id) == (Channel.SMS, Channel.EMAIL)
    refused = auth.post(f"/events/{event.id}/channels", {"order": "sms,pigeon"})
    assert refused.status_code == 400 and routing.order_of(event.id) == (Channel.SMS, Channel.EMAIL)


@pytest.mark.parametrize("field,value", [
    ("template_id", "12\r\n34"), ("template_id", "x" * 10_000), ("template_id", "javascript:alert(1)"),
    ("template_id", "=cmd"), ("template_id", str(2 ** 63) * 3), ("params", "name = nobody"),
    ("params", "a\x00 = name"), ("text", "x" * 401),
])
def test_a_zalo_template_with_a_hostile_value_is_refused_with_a_message_and_changes_nothing(app, db, auth,
                                                                                          field, value):
    invitation = InvitationFactory()
    association = invitation.event.association
    auth.login(staff(association))
    data = {"kind": "invitation", "template_id": "231456", "params": "customer_name = name\nreply = link",
            "text": "Kính mời", "approved": "y", field: value}
    answer = auth.post(f"/associations/{association.slug}/zalo", data)
    assert answer.status_code == 400
    # Control characters are refused for every request before any view runs; the rest by the form's field.
    assert 'class="invalid-feedback' in answer.text or any(ch in value for ch in "\r\n\x00")
    assert db.session.scalar(select(ZaloTemplate)) is None


def test_an_organiser_saves_a_zalo_template_with_its_parameters(app, db, auth):
    invitation = InvitationFactory()
    association = invitation.event.association
    auth.login(staff(association))
    answer = auth.post(f"/associations/{association.slug}/zalo", {
        "kind": "invitation", "template_id": "231456", "params": "customer_name = name\r\nreply = link",
        "text": "Kính mời <customer_name>. Trả lời: <reply>", "approved": "y"})
    assert answer.status_code == 303
    template = db.session.scalar(select(ZaloTemplate))
    assert (template.template_id, template.params, template.approved) == \
        ("231456", {"customer_name": "name", "reply": "link"}, True)
    page = auth.client.get(f"/associations/{association.slug}/zalo")
    assert "Mẫu tin Zalo" in page.text and "231456" in page.text


def test_the_message_log_filters_by_channel(app, db, auth, gateways):
    invitation = invitee(order="zalo,email")
    send_invitations(invitation.event_id)
    db.session.commit()
    auth.login(staff(invitation.event.association))
    everything = auth.client.get(f"/events/{invitation.event_id}/mail")
    assert "Nhật ký tin nhắn" in everything.text and "+84912345678" in everything.text
    only_email = auth.client.get(f"/events/{invitation.event_id}/mail?channel=email")
    assert "+84912345678" not in only_email.text
    only_zalo = auth.client.get(f"/events/{invitation.event_id}/mail?channel=zalo")
    assert "+84912345678" in only_zalo.text
