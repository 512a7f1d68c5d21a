"""A forged sender is not the invitee: answers and opt-outs by mail are applied only when authenticated
(a tagged address, a DKIM signature we verify ourselves, or our own receiving server's dmarc=pass);
anything else is kept as unverified, shown to the organisers, and the invitee — at the address we hold —
is asked once a day at most to confirm. Replies link to a message only through its own secret, and what
answers a forward is never forwarded again."""
from __future__ import annotations

import email
import email.policy
import re

import pytest
from sqlalchemy import select

from eventsapp import links
from eventsapp.contacts.models import Contact
from eventsapp.inbound.models import InboundState
from eventsapp.invitations import services as invitations
from eventsapp.invitations.models import InvitationStatus
from eventsapp.mail import addresses, sender
from eventsapp.mail.models import MessageKind, MessageState, OutboxMessage
from tests import inbound_support as mails
from tests.factories import ContactFactory, InvitationFactory, staff
from tests.test_inbound_replies import REPLY_ADDRESS, configure, fresh, new_invitation, receive, sent_invitation


@pytest.fixture(autouse=True)
def reply_address(app, monkeypatch):
    configure(app, monkeypatch)


@pytest.fixture
def invitation(db):
    return new_invitation()


def answer_checks(db) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == MessageKind.ANSWER_CHECK)))


def built(row: OutboxMessage):
    """The message as it would leave (rendered by the sender), parsed."""
    return email.message_from_bytes(bytes(sender._prepare(row).email), policy=email.policy.default)


def another_copy(raw: bytes, n: int) -> bytes:
    """The same message sent again (a new Message-ID)."""
    return re.sub(rb"Message-ID: <[^>]+>", f"Message-ID: <again-{n}@client.example>".encode(), raw, count=1)


@pytest.mark.parametrize("results", [
    None,
    "mx.eventsapp.test; dkim=none; spf=fail smtp.mailfrom=example.vn; dmarc=permerror header.from=example.vn",
    "mx.eventsapp.test; dmarc = fail header.from=example.vn",
    "mx.evil.example; dkim=pass header.d=example.vn; dmarc=pass header.from=example.vn",  # not our server
    "mx.eventsapp.test; dmarc=pass header.from=evil.example",  # a pass, for another domain
    "mx.eventsapp.test dmarc=pass",  # not RFC 8601: no verdict
], ids=["no-header", "permerror", "fail-with-spaces", "untrusted-server", "other-domain", "unparseable"])
def test_a_forged_calendar_answer_changes_nothing_and_asks_the_invitee_once(db, invitation, results):
    _, raw = sent_invitation(db, invitation)
    forged = mails.gmail_reply(mails.read_request(raw), "giang@example.vn")  # UID and SEQUENCE are public
    if results:
        forged = f"Authentication-Results: {results}\r\n".encode() + forged
    inbound = receive(db, forged)
    assert inbound.state == InboundState.UNVERIFIED and inbound.claim == "accepted", inbound.outcome
    assert fresh(db, invitation).status == InvitationStatus.PENDING
    [check] = answer_checks(db)
    message = built(check)
    assert [a.addr_spec for a in message["To"].addresses] == ["giang@example.vn"]
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Subject"] == "Xin Quý vị xác nhận câu trả lời: Gặp mặt kiều bào đón Tết"
    assert "“Tôi sẽ tham dự”" in message.get_body(("plain",)).get_content()
    assert links.rsvp_url(fresh(db, invitation), answer="accepted") in message.get_body(("plain",)).get_content()
    # The same forgery again the same day: kept, and the invitee is not mailed a second time.
    again = receive(db, another_copy(forged, 1))
    assert again.state == InboundState.UNVERIFIED and "not asked again" in again.outcome
    assert len(answer_checks(db)) == 1


def test_the_confirmation_goes_only_to_the_address_we_hold(db, invitation):
    _, raw = sent_invitation(db, invitation)
    forged = mails.gmail_reply(mails.read_request(raw), "giang@example.vn", "DECLINED").replace(
        b"From: giang@example.vn", b"From: mallory@evil.example")
    inbound = receive(db, mails.as_received(forged))  # evil.example's own DMARC passes: it is still not giang
    assert inbound.state == InboundState.UNVERIFIED and inbound.claim == "declined"
    assert [row.recipient for row in answer_checks(db)] == ["giang@example.vn"]
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient.like("%evil.example"))) is None
    assert fresh(db, invitation).status == InvitationStatus.PENDING


def test_a_validly_signed_answer_is_applied_and_other_signatures_are_not(db, invitation, app, monkeypatch):
    invitee_domain, other = mails.signing_key("example.vn"), mails.signing_key("evil.example")
    monkeypatch.setitem(app.config, "MAIL_DKIM_DNSFUNC", mails.stub_resolver(invitee_domain, other))
    _, raw = sent_invitation(db, invitation)
    reply = mails.gmail_reply(mails.read_request(raw), "giang@example.vn", "TENTATIVE")

    inbound = receive(db, other.sign(reply))  # a valid signature, of a domain not aligned with From
    assert inbound.state == InboundState.UNVERIFIED and "not aligned" in inbound.outcome
    tampered = invitee_domain.sign(another_copy(reply, 2)).replace(b"Subject: ", b"Subject: Re: ", 1)
    inbound = receive(db, tampered)
    assert inbound.state == InboundState.UNVERIFIED
    assert fresh(db, invitation).status == InvitationStatus.PENDING

    inbound = receive(db, invitee_domain.sign(another_copy(reply, 3)))
    assert inbound.state == InboundState.DONE and "TENTATIVE" in inbound.outcome, inbound.outcome
    assert fresh(db, invitation).status == InvitationStatus.TENTATIVE


def test_our_receiving_servers_dmarc_pass_is_trusted(db, invitation):
    _, raw = sent_invitation(db, invitation)
    inbound = receive(db, mails.as_received(mails.outlook_reply(mails.read_request(raw), "giang@example.vn",
                                                                "DECLINED")))
    assert inbound.state == InboundState.DONE, inbound.outcome
    assert fresh(db, invitation).status == InvitationStatus.DECLINED
    assert answer_checks(db) == []


def test_a_forged_unsubscribe_opts_nobody_out_and_asks_the_contact(db, invitation, client, auth):
    contact_id = invitation.contact_id
    other = ContactFactory(email="an@example.vn")  # a contact of any association
    other.associations.append(invitation.event.association)
    inbound = receive(db, mails.plain_mail("an@example.vn", REPLY_ADDRESS, "unsubscribe", ""))
    assert inbound.state == InboundState.UNVERIFIED and inbound.claim == "unsubscribe", inbound.outcome
    assert db.session.get(Contact, other.id).opted_out_at is None
    [check] = answer_checks(db)
    assert check.recipient == "an@example.vn"
    assert built(check)["Subject"] == "Xin Quý vị xác nhận: thôi không nhận thư của chúng tôi"
    auth.login(staff(invitation.event.association, email="to-chuc@example.vn"))
    assert "Thôi nhận thư qua email, chờ xác nhận" in client.get(f"/contacts/{other.id}").text
    assert links.unsubscribe_url(other) in built(check).get_body(("plain",)).get_content()
    # To the tagged address of a message sent to her: the same capability as the unsubscribe link.
    row, _ = sent_invitation(db, invitation)
    inbound = receive(db, mails.plain_mail("someone@elsewhere.example", addresses.tagged_address(row.id),
                                           "unsubscribe", ""))
    assert inbound.state == InboundState.DONE, inbound.outcome
    assert db.session.get(Contact, contact_id).opted_out_at is not None


def test_a_signed_unsubscribe_opts_the_sender_out(db, invitation, app, monkeypatch):
    key = mails.signing_key("example.vn")
    monkeypatch.setitem(app.config, "MAIL_DKIM_DNSFUNC", mails.stub_resolver(key))
    inbound = receive(db, key.sign(mails.plain_mail("giang@example.vn", REPLY_ADDRESS, "unsubscribe", "")))
    assert inbound.state == InboundState.DONE, inbound.outcome
    assert db.session.get(Contact, invitation.contact_id).opted_out_at is not None


def test_organisers_see_the_unverified_answer_on_the_event_page(db, invitation, client, auth):
    organiser = staff(invitation.event.association, email="to-chuc@example.vn")
    _, raw = sent_invitation(db, invitation)
    receive(db, mails.gmail_reply(mails.read_request(raw), "giang@example.vn", "DECLINED"))
    auth.login(organiser)
    page = client.get(f"/events/{invitation.event_id}")
    assert page.status_code == 200
    section = page.text.split('id="unverified-answers"')[1].split("</section>")[0]
    assert "Nguyễn Thị Hương Giang" in section and "Tôi không thể tham dự" in section
    assert "giang@example.vn" in section


# ------------------------------------------------------------------ linking replies, forwarding

def test_each_message_id_has_its_own_secret_and_a_guessed_one_links_nothing(db, invitation):
    staff(invitation.event.association, email="to-chuc@example.vn")
    mallory = InvitationFactory(event=invitation.event, contact=ContactFactory(email="mallory@example.vn"))
    invitations.send_invitations(invitation.event_id)
    db.session.commit()
    claimed = sender.claim(10)
    rows = {row.invitation_id: row for row in db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.id.in_(claimed)))}
    victim, own = rows[invitation.id], rows[mallory.id]
    assert addresses.has_secret(victim.smtp_message_id) and addresses.has_secret(own.smtp_message_id)
    secret = own.smtp_message_id.split(".")[2].split("@")[0]
    assert secret not in victim.smtp_message_id  # one batch, two secrets
    guessed = own.smtp_message_id.replace(f"outbox.{own.id}.", f"outbox.{victim.id}.")
    inbound = receive(db, mails.plain_mail("mallory@example.vn", REPLY_ADDRESS, "Re: Thư mời", "Chào",
                                           in_reply_to=guessed))
    assert inbound.outbox_message_id is None and "not linked" in inbound.outcome
    inbound = receive(db, mails.plain_mail("giang@example.vn", REPLY_ADDRESS, "Re: Thư mời", "Chào",
                                           in_reply_to=victim.smtp_message_id))
    assert inbound.outbox_message_id == victim.id and "forwarded" in inbound.outcome


def deliver_forwards(db) -> list[tuple[str, object]]:
    """What the sender sends of the queued forwards: (envelope sender, parsed message) each."""
    ids = sender.claim(100)
    out = []
    for row in db.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids))):
        outgoing = sender._prepare(row)
        row.state = MessageState.SENT
        if row.kind == MessageKind.INBOUND_FORWARD:
            out.append((outgoing.envelope_sender, email.message_from_bytes(bytes(outgoing.email),
                                                                           policy=email.policy.default)))
    db.session.commit()
    return out


@pytest.mark.parametrize("answers_to", ["envelope-sender", "from"])
def test_an_organisers_auto_responder_and_our_mailbox_do_not_loop(db, invitation, app, monkeypatch, answers_to):
    """Two mailboxes answering each other: ours forwards a person's reply to the organiser, whose
    responder answers everything it gets, without Auto-Submitted, quoting the forward's Message-ID."""
    monkeypatch.setitem(app.config, "MAIL_DEFAULT_SENDER", f"Ban tổ chức <{REPLY_ADDRESS}>")  # the worst case
    organiser = staff(invitation.event.association, email="to-chuc@example.vn")
    invitation.event.association.sender_email = None
    db.session.commit()
    row, _ = sent_invitation(db, invitation)
    receive(db, mails.plain_mail("giang@example.vn", addresses.tagged_address(row.id), "Re: Thư mời",
                                 "Tôi sẽ đến cùng con gái."))
    forwarded = 0
    for _round in range(6):
        sent = deliver_forwards(db)
        forwarded += len(sent)
        if not sent:
            break
        for envelope, message in sent:
            to = envelope if answers_to == "envelope-sender" else message["From"].addresses[0].addr_spec
            receive(db, mails.plain_mail(organiser.email, to, f"Re: {message['Subject']}",
                                         "Cảm ơn, văn phòng đã nhận được thư và sẽ trả lời sớm.",
                                         in_reply_to=str(message["Message-ID"])))
    assert forwarded == 1
    assert deliver_forwards(db) == []
