"""Inbound mail in the web process: calendar answers, bounces, auto-replies, unsubscribe requests,
people's replies, and what must change nothing (processing called directly; the worker's run of
the same pipeline is in test_inbound_end_to_end.py)."""
from __future__ import annotations

import secrets
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from eventsapp.contacts.models import Contact
from eventsapp.inbound import services
from eventsapp.inbound.models import InboundKind, InboundMessage, InboundState
from eventsapp.invitations import services as invitations
from eventsapp.invitations.models import Invitation, InvitationStatus
from eventsapp.mail import addresses, sender
from eventsapp.mail.models import MessageKind, MessageState, OutboxMessage
from tests import inbound_support as mails
from tests.factories import AssociationFactory, ContactFactory, EventFactory, InvitationFactory, staff

REPLY_ADDRESS = "rsvp@eventsapp.test"


def configure(app, monkeypatch) -> None:
    """The reply address, and our receiving server whose Authentication-Results vouch for a sender
    (mails.as_received)."""
    monkeypatch.setitem(app.config, "MAIL_REPLY_ADDRESS", REPLY_ADDRESS)
    monkeypatch.setitem(app.config, "MAIL_TRUSTED_AUTHSERV_IDS", mails.TRUSTED_SERVER)


@pytest.fixture(autouse=True)
def reply_address(app, monkeypatch):
    configure(app, monkeypatch)


@pytest.fixture
def invitation(db):
    return new_invitation()


def new_invitation() -> Invitation:
    association = AssociationFactory(name_vi="Hội hữu nghị Việt – Nhật Bản", sender_email="hoi-viet-nhat@example.vn")
    event = EventFactory(association=association, title_vi="Gặp mặt kiều bào đón Tết", title_en="Tết gathering",
                         starts_at=datetime(2030, 2, 10, 11, 0, tzinfo=timezone.utc),
                         ends_at=datetime(2030, 2, 10, 14, 0, tzinfo=timezone.utc), sequence=2, capacity=1)
    contact = ContactFactory(full_name="Nguyễn Thị Hương Giang", email="giang@example.vn")
    return InvitationFactory(event=event, contact=contact)


def sent_invitation(db, invitation) -> tuple[OutboxMessage, bytes]:
    """The invitation as the sender builds it (Reply-To, ORGANIZER), bytes as they go out."""
    invitations.send_invitations(invitation.event_id)
    db.session.commit()
    row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.invitation_id == invitation.id))
    row.smtp_message_id = f"<outbox.{row.id}.{secrets.token_hex(16)}@eventsapp.test>"
    row.state = MessageState.SENT
    db.session.commit()
    return row, bytes(sender._prepare(row).email)


def receive(db, raw: bytes, recipient: str = "") -> InboundMessage:
    inbound_id, _ = services.store(raw, "pipe", recipient)
    db.session.commit()
    services.process(inbound_id)
    return db.session.get(InboundMessage, inbound_id)


def fresh(db, invitation) -> Invitation:
    db.session.expire_all()
    return db.session.get(Invitation, invitation.id)


def test_the_invitation_asks_answers_to_come_back_to_the_reply_address(db, invitation):
    row, raw = sent_invitation(db, invitation)
    request = mails.read_request(raw)
    assert request.organizer.lower() == f"mailto:{REPLY_ADDRESS}"
    assert addresses.message_id_from(request.reply_to.split("<")[-1].rstrip(">")) == row.id
    assert "Auto-Submitted" not in raw.split(b"\r\n\r\n")[0].decode()  # a person's invitation, not automatic


def test_a_gmail_yes_accepts_takes_the_seat_and_sends_the_confirmation(db, invitation):
    _, raw = sent_invitation(db, invitation)
    inbound = receive(db, mails.as_received(mails.gmail_reply(mails.read_request(raw), "giang@example.vn")))
    assert inbound.state == InboundState.DONE and inbound.kind == InboundKind.CALENDAR_REPLY, inbound.outcome
    answered = fresh(db, invitation)
    assert answered.status == InvitationStatus.ACCEPTED and answered.answered_at is not None
    assert invitations.seats_taken([invitation.event_id]) == 1
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.invitation_id == invitation.id,
                                                         OutboxMessage.kind == MessageKind.CONFIRMATION))
    assert inbound.invitation_id == invitation.id and inbound.event_id == invitation.event_id


def test_outlook_accepted_without_organizer_and_in_other_case_is_understood(db, invitation):
    _, raw = sent_invitation(db, invitation)
    reply = mails.outlook_reply(mails.read_request(raw), "giang@example.vn", "TENTATIVE")
    reply = reply.replace(b"mailto:giang@example.vn", b"MAILTO:Giang@Example.VN")
    assert b"ORGANIZER" not in reply
    inbound = receive(db, mails.as_received(reply))
    assert inbound.state == InboundState.DONE, inbound.outcome
    assert fresh(db, invitation).status == InvitationStatus.TENTATIVE


def test_apple_calendar_decline_keeps_its_comment(db, invitation):
    _, raw = sent_invitation(db, invitation)
    reply = mails.apple_reply(mails.read_request(raw), "giang@example.vn", "DECLINED",
                              comment="Xin lỗi, hôm đó tôi về quê ăn Tết")
    inbound = receive(db, mails.as_received(reply))
    assert inbound.state == InboundState.DONE, inbound.outcome
    answered = fresh(db, invitation)
    assert answered.status == InvitationStatus.DECLINED
    assert answered.comment == "Xin lỗi, hôm đó tôi về quê ăn Tết"


def test_a_full_event_waitlists_the_calendar_yes_as_the_rsvp_page_would(db, invitation):
    other = InvitationFactory(event=invitation.event, contact=ContactFactory(email="an@example.vn"))
    invitations.answer(other, InvitationStatus.ACCEPTED)
    db.session.commit()
    _, raw = sent_invitation(db, invitation)
    receive(db, mails.as_received(mails.gmail_reply(mails.read_request(raw), "giang@example.vn")))
    assert fresh(db, invitation).status == InvitationStatus.WAITLISTED
    assert invitations.seats_taken([invitation.event_id]) == 1


@pytest.mark.parametrize("change, reason", [
    ({"sequence": 1}, "answers SEQUENCE 1, the event is at 2"),
    ({"uid": "unknown-event@elsewhere"}, "unknown UID"),
])
def test_an_old_sequence_or_an_unknown_uid_changes_nothing(db, invitation, change, reason):
    _, raw = sent_invitation(db, invitation)
    inbound = receive(db, mails.gmail_reply(mails.read_request(raw), "giang@example.vn", **change))
    assert inbound.state == InboundState.IGNORED and reason in inbound.outcome
    assert fresh(db, invitation).status == InvitationStatus.PENDING


def test_an_attendee_who_is_not_the_invitee_changes_nothing(db, invitation):
    ContactFactory(email="stranger@example.vn")  # a contact, but not invited to this event
    _, raw = sent_invitation(db, invitation)
    request = mails.read_request(raw)
    inbound = receive(db, mails.gmail_reply(request, "stranger@example.vn"))
    assert inbound.state == InboundState.IGNORED and "is not an invitee" in inbound.outcome
    # Someone else claiming to be the invitee (From differs from ATTENDEE), to the shared address:
    forged = mails.gmail_reply(request, "giang@example.vn").replace(b"From: giang@example.vn",
                                                                     b"From: mallory@evil.example")
    inbound = receive(db, mails.as_received(forged))  # mallory's own domain passes DMARC: still not giang
    assert inbound.state == InboundState.UNVERIFIED and "not applied" in inbound.outcome
    assert fresh(db, invitation).status == InvitationStatus.PENDING


def test_a_reply_to_the_signed_reply_to_address_may_come_from_a_forwarded_mailbox(db, invitation):
    row, raw = sent_invitation(db, invitation)
    request = mails.read_request(raw)
    reply = mails.gmail_reply(request, "giang.personal@gmail.example").replace(
        f"To: {REPLY_ADDRESS}".encode(), f"To: {addresses.tagged_address(row.id)}".encode())
    inbound = receive(db, reply)
    assert inbound.state == InboundState.DONE, inbound.outcome
    assert fresh(db, invitation).status == InvitationStatus.ACCEPTED


def test_the_same_message_twice_is_stored_and_answered_once(db, invitation):
    _, raw = sent_invitation(db, invitation)
    reply = mails.as_received(mails.gmail_reply(mails.read_request(raw), "giang@example.vn"))
    first = receive(db, reply)
    again, new = services.store(reply, "imap")
    db.session.commit()
    assert not new and again == first.id
    assert db.session.query(InboundMessage).count() == 1
    assert len(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == MessageKind.CONFIRMATION)).all()) == 1


def test_answers_after_the_deadline_are_refused_like_on_the_rsvp_page(db, invitation):
    invitation.event.rsvp_deadline = datetime(2020, 1, 1, tzinfo=timezone.utc)
    db.session.commit()
    _, raw = sent_invitation(db, invitation)
    inbound = receive(db, mails.as_received(mails.gmail_reply(mails.read_request(raw), "giang@example.vn")))
    assert inbound.state == InboundState.IGNORED and "answer refused" in inbound.outcome
    assert fresh(db, invitation).status == InvitationStatus.PENDING


@pytest.mark.parametrize("raw", [
    b"From: a@example.vn\r\nSubject: broken\r\nContent-Type: text/calendar; method=REPLY\r\n"
    b"Content-Transfer-Encoding: base64\r\nMessage-ID: <broken-1@x>\r\n\r\nBEGIN:VCALENDAR\r\nMETHOD:REPLY\r\n"
    b"BEGIN:VEVENT\r\nUID:\x00\xff\xfe\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:\r\n",
    b"\x00\x01\x02 not a message at all \xff" * 50,
    b"Message-ID: <nested@x>\r\nContent-Type: multipart/mixed; boundary=a\r\n\r\n" + b"--a\r\nContent-Type: text/plain\r\n\r\nx\r\n" * 200 + b"--a--\r\n",
])
def test_malformed_mail_is_stored_logged_and_skipped(db, invitation, raw):
    inbound = receive(db, raw)
    assert inbound.state in (InboundState.FAILED, InboundState.IGNORED, InboundState.DONE)
    assert inbound.outcome and inbound.raw == raw
    assert fresh(db, invitation).status == InvitationStatus.PENDING


def test_too_large_mail_is_kept_truncated_and_not_read(db, invitation, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_INBOUND_MAX_BYTES", 1000)
    _, raw = sent_invitation(db, invitation)
    inbound = receive(db, mails.gmail_reply(mails.read_request(raw), "giang@example.vn"))
    assert inbound.truncated and len(inbound.raw) == 1000 and inbound.state == InboundState.FAILED
    assert fresh(db, invitation).status == InvitationStatus.PENDING


# ------------------------------------------------------------------ bounces

def test_a_hard_bounce_marks_the_address_and_later_sends_skip_it(db, invitation):
    row, _ = sent_invitation(db, invitation)
    verp = addresses.tagged_address(row.id)
    inbound = receive(db, mails.dsn(verp, "giang@example.vn"))
    assert inbound.state == InboundState.DONE and inbound.kind == InboundKind.BOUNCE, inbound.outcome
    contact = db.session.get(Contact, invitation.contact_id)
    assert contact.undeliverable_at is not None and "5.1.1" in contact.undeliverable_reason
    assert db.session.get(OutboxMessage, row.id).state == MessageState.FAILED
    # The next message to that address is skipped and counted as failed, with the reason.
    invitations.resend(fresh(db, invitation))
    db.session.commit()
    again = db.session.scalar(select(OutboxMessage).where(OutboxMessage.id != row.id,
                                                          OutboxMessage.invitation_id == invitation.id))
    assert sender.claim(10) == [again.id]
    recorder = sender.Recorder()
    assert sender.render_batch([again.id], recorder) == []
    recorder.flush()
    db.session.expire_all()
    again = db.session.get(OutboxMessage, again.id)
    assert again.state == MessageState.FAILED and again.last_error.startswith("address undeliverable")
    # Editing the address clears the mark (even on an instance whose attributes were expired).
    contact = db.session.get(Contact, invitation.contact_id)
    db.session.expire(contact)
    contact.email = "giang.moi@example.vn"
    db.session.commit()
    assert contact.undeliverable_at is None and contact.undeliverable_reason == ""


def test_temporary_failures_count_and_several_in_a_row_mark_the_address(db, invitation):
    row, _ = sent_invitation(db, invitation)
    verp = addresses.tagged_address(row.id)
    for n in range(3):
        inbound = receive(db, mails.dsn(verp, "giang@example.vn", status="4.2.0", action="delayed"))
        assert inbound.state == InboundState.DONE, inbound.outcome
        contact = db.session.get(Contact, invitation.contact_id)
        db.session.refresh(contact)
        assert contact.soft_bounces == n + 1
        assert (contact.undeliverable_at is not None) == (n == 2)



def test_a_calendar_answer_from_the_address_ends_a_run_of_temporary_failures(db, invitation):
    row, raw = sent_invitation(db, invitation)
    receive(db, mails.dsn(addresses.tagged_address(row.id), "giang@example.vn", status="4.2.0", action="delayed"))
    assert db.session.get(Contact, invitation.contact_id).soft_bounces == 1
    receive(db, mails.as_received(mails.gmail_reply(mails.read_request(raw), "giang@example.vn")))
    db.session.expire_all()
    assert db.session.get(Contact, invitation.contact_id).soft_bounces == 0


def test_a_bounce_whose_signature_does_not_verify_is_ignored(db, invitation):
    row, _ = sent_invitation(db, invitation)
    local, domain = REPLY_ADDRESS.split("@")
    forged = f"{local}+m{row.id}.0123456789abcdef@{domain}"
    inbound = receive(db, mails.dsn(forged, "giang@example.vn"))
    assert inbound.state == InboundState.IGNORED and "does not verify" in inbound.outcome
    inbound = receive(db, mails.dsn(REPLY_ADDRESS, "giang@example.vn"))  # no tag at all
    assert inbound.state == InboundState.IGNORED
    assert db.session.get(Contact, invitation.contact_id).undeliverable_at is None


# ------------------------------------------------------------------ everything else

@pytest.mark.parametrize("headers, subject", [
    ({"Auto-Submitted": "auto-replied"}, "Re: Thư mời"),
    ({"X-Autoreply": "yes"}, "Re: Thư mời"),
    ({"Precedence": "auto_reply"}, "Re: Thư mời"),
    ({}, "Out of Office: Gặp mặt kiều bào"),
    ({}, "Trả lời tự động: Thư mời"),
])
def test_auto_replies_are_logged_and_ignored(db, invitation, headers, subject):
    row, _ = sent_invitation(db, invitation)
    inbound = receive(db, mails.plain_mail("giang@example.vn", addresses.tagged_address(row.id), subject,
                                           "Tôi đang nghỉ phép đến ngày 20.", headers=headers))
    assert inbound.kind == InboundKind.AUTO_REPLY and inbound.state == InboundState.IGNORED
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == MessageKind.INBOUND_FORWARD)) is None


def test_a_mailto_unsubscribe_opts_the_sender_out(db, invitation):
    inbound = receive(db, mails.as_received(mails.plain_mail("Giang <Giang@example.vn>", REPLY_ADDRESS, "unsubscribe", "")))
    assert inbound.kind == InboundKind.UNSUBSCRIBE and inbound.state == InboundState.DONE, inbound.outcome
    assert db.session.get(Contact, invitation.contact_id).opted_out_at is not None


def test_a_persons_reply_is_kept_for_the_event_and_forwarded_to_its_organisers(db, invitation):
    organiser = staff(invitation.event.association, email="to-chuc@example.vn")
    invitation.event.association.sender_email = None
    db.session.commit()
    row, _ = sent_invitation(db, invitation)
    html = ('<p>Cho tôi hỏi có chỗ đậu xe không?<script>alert(1)</script>'
            '<img src=x onerror="alert(2)"></p><blockquote>old</blockquote>')
    raw = mails.plain_mail("giang@example.vn", addresses.tagged_address(row.id), "Re: Thư mời",
                           "Cho tôi hỏi có chỗ đậu xe không?\n\nOn Mon, 1 Feb 2030 Hội wrote:\n> Thư mời",
                           html=html, in_reply_to=row.smtp_message_id)
    inbound = receive(db, raw)
    assert inbound.kind == InboundKind.HUMAN and inbound.state == InboundState.DONE, inbound.outcome
    assert inbound.event_id == invitation.event_id and inbound.invitation_id == invitation.id
    assert inbound.body_text == "Cho tôi hỏi có chỗ đậu xe không?"
    assert [r.id for r in services.human_replies(invitation.event_id)[0]] == [inbound.id]
    forward = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == MessageKind.INBOUND_FORWARD))
    assert forward.recipient == organiser.email
    built = bytes(sender._prepare(forward).email)
    assert b"Auto-Submitted: auto-generated" in built and b"Reply-To: giang@example.vn" in built
    assert raw.replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n").rstrip(b"\r\n") in built


def test_organisers_read_replies_on_the_event_page_as_text_and_viewers_do_not(db, invitation, client, auth):
    from eventsapp.associations.models import Role

    association = invitation.event.association
    organiser = staff(association, email="to-chuc@example.vn")
    viewer = staff(association, role=Role.VIEWER, email="xem@example.vn")
    outsider = staff(AssociationFactory(), email="hoi-khac@example.vn")
    row, _ = sent_invitation(db, invitation)
    receive(db, mails.plain_mail("giang@example.vn", addresses.tagged_address(row.id), "Re: Thư mời",
                                 "Có chỗ đậu xe máy không ạ?", html='<p>Có chỗ <b onclick="x()">đậu</b> xe máy'
                                 ' không ạ?</p><script>alert(1)</script>'))
    # An HTML-only reply: its text is kept, its markup never rendered.
    receive(db, mails.plain_mail("giang@example.vn", addresses.tagged_address(row.id), "Re: Thư mời", "x")
            .replace(b"Content-Type: text/plain", b"Content-Type: text/html")
            .replace(b"\n\nx\n", b'\n\n<img src=x onerror=alert(1)>T\xc3\xb4i s\xe1\xba\xbd \xc4\x91\xe1\xba\xbfn<script>alert(2)</script>\n'))
    auth.login(organiser)
    page = client.get(f"/events/{invitation.event_id}")
    assert page.status_code == 200
    assert "Có chỗ đậu xe máy không ạ?" in page.text and "Tôi sẽ đến" in page.text
    assert "<script>alert" not in page.text and "onerror" not in page.text and "Nguyễn Thị Hương Giang" in page.text
    auth.login(viewer)
    assert "Có chỗ đậu xe máy" not in client.get(f"/events/{invitation.event_id}").text
    auth.login(outsider)
    assert client.get(f"/events/{invitation.event_id}").status_code in (403, 404)


def test_the_directory_and_the_invitee_table_show_an_undeliverable_address(db, invitation, client, auth):
    organiser = staff(invitation.event.association, email="to-chuc@example.vn")
    invitation.contact.associations.append(invitation.event.association)
    row, _ = sent_invitation(db, invitation)
    receive(db, mails.dsn(addresses.tagged_address(row.id), "giang@example.vn"))
    auth.login(organiser)
    for url in ("/contacts/", f"/events/{invitation.event_id}/invitations", f"/events/{invitation.event_id}/mail"):
        page = client.get(url)
        assert page.status_code == 200 and "Không gửi được" in page.text, url


def test_header_tricks_in_a_reply_do_not_reach_the_forward(db, invitation):
    staff(invitation.event.association, email="to-chuc@example.vn")
    invitation.event.association.sender_email = None
    db.session.commit()
    row, _ = sent_invitation(db, invitation)
    raw = (f"From: giang@example.vn\r\nTo: {addresses.tagged_address(row.id)}\r\nMessage-ID: <trick@x>\r\n"
           "Subject: =?utf-8?b?SGVsbG8NCkJjYzogdmljdGltQGV4YW1wbGUudm4NCgBOVUw=?=\r\n\r\nXin chào\x00!\r\n").encode()
    inbound = receive(db, raw)
    assert inbound.state == InboundState.DONE and "\x00" not in inbound.subject + inbound.body_text
    forward = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == MessageKind.INBOUND_FORWARD))
    import email

    parsed = email.message_from_bytes(bytes(sender._prepare(forward).email), policy=email.policy.default)
    assert parsed["Bcc"] is None and parsed.get_all("To") == ["to-chuc@example.vn"]
    assert "Hello Bcc: victim@example.vn NUL" in parsed["Subject"]  # mere words of the one subject line


def test_dkim_keygen_prints_the_record_that_verifies_what_the_transport_signs(app, runner, tmp_path, monkeypatch):
    import dkim

    from eventsapp.mail.signing import signer

    key = tmp_path / "dkim.pem"
    result = runner.invoke(args=["mail", "dkim-keygen", "--out", str(key), "--selector", "thang12",
                                 "--domain", "hoi.example.vn", "--bits", "1024"])
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if line.startswith("thang12._domainkey.hoi.example.vn."))
    record = line.split('"')[1]
    assert record.startswith("v=DKIM1; k=rsa; p=") and oct(key.stat().st_mode)[-3:] == "600"
    assert runner.invoke(args=["mail", "dkim-keygen", "--out", str(key)]).exit_code != 0  # never overwrites
    monkeypatch.setitem(app.config, "DKIM_DOMAIN", "hoi.example.vn")
    monkeypatch.setitem(app.config, "DKIM_SELECTOR", "thang12")
    monkeypatch.setitem(app.config, "DKIM_PRIVATE_KEY", key.read_text())  # a PEM in the variable works too
    signed = signer()(mails.plain_mail("hoi@hoi.example.vn", "giang@example.vn", "Thư mời dự Tết", "Kính mời"))

    def dns(name, timeout=5):
        return record.encode() if name == b"thang12._domainkey.hoi.example.vn." else None

    assert dkim.verify(signed, dnsfunc=dns)


def test_flask_mail_receive_stores_a_file_once(db, runner, tmp_path, invitation):
    path = tmp_path / "reply.eml"
    path.write_bytes(mails.plain_mail("giang@example.vn", REPLY_ADDRESS, "Cảm ơn", "Cảm ơn Hội"))
    first = runner.invoke(args=["mail", "receive", str(path)])
    assert first.exit_code == 0 and "stored as inbound message" in first.output
    second = runner.invoke(args=["mail", "receive", str(path)])
    assert second.exit_code == 0 and "already stored" in second.output
    assert runner.invoke(args=["mail", "receive", str(tmp_path / "missing.eml")]).exit_code != 0
    assert db.session.query(InboundMessage).count() == 1


def test_a_qmail_style_bounce_is_read_by_flufl_bounce(db, invitation):
    row, _ = sent_invitation(db, invitation)
    raw = (f"From: MAILER-DAEMON@mx.example.org\r\nTo: {addresses.tagged_address(row.id)}\r\n"
           "Subject: failure notice\r\nMessage-ID: <qmail-1@mx.example.org>\r\n\r\n"
           "Hi. This is the qmail-send program at mx.example.org.\r\n"
           "I'm afraid I wasn't able to deliver your message to the following addresses.\r\n"
           "This is a permanent error; I've given up. Sorry it didn't work out.\r\n\r\n"
           "<giang@example.vn>:\r\nSorry, no mailbox here by that name. (#5.1.1)\r\n\r\n"
           "--- Below this line is a copy of the message.\r\n").encode()
    inbound = receive(db, raw)
    assert inbound.kind == InboundKind.BOUNCE and inbound.state == InboundState.DONE, inbound.outcome
    assert db.session.get(Contact, invitation.contact_id).undeliverable_at is not None


def test_a_reply_whose_sender_failed_authentication_changes_nothing(db, invitation):
    _, raw = sent_invitation(db, invitation)
    reply = mails.gmail_reply(mails.read_request(raw), "giang@example.vn")
    reply = b"Authentication-Results: mx.eventsapp.test; dkim=fail header.d=example.vn; spf=fail\r\n" + reply
    inbound = receive(db, reply)
    assert inbound.state == InboundState.UNVERIFIED and "not applied" in inbound.outcome
    assert fresh(db, invitation).status == InvitationStatus.PENDING


def test_counter_and_refresh_are_logged_and_change_nothing(db, invitation):
    _, raw = sent_invitation(db, invitation)
    counter = mails.apple_reply(mails.read_request(raw), "giang@example.vn", "ACCEPTED")
    assert b"METHOD:REPLY" in counter
    counter = counter.replace(b"METHOD:REPLY", b"METHOD:COUNTER").replace(b"method=REPLY", b"method=COUNTER")
    inbound = receive(db, counter)
    assert inbound.kind == InboundKind.CALENDAR_OTHER and "COUNTER" in inbound.outcome
    assert fresh(db, invitation).status == InvitationStatus.PENDING


def test_the_answer_already_given_on_the_rsvp_page_sends_no_second_confirmation(db, invitation):
    invitations.answer(invitation, InvitationStatus.ACCEPTED, comment="Sẽ đến đúng giờ")
    db.session.commit()
    _, raw = sent_invitation(db, invitation)
    inbound = receive(db, mails.gmail_reply(mails.read_request(raw), "giang@example.vn"))
    assert inbound.state == InboundState.DONE and "already answered accepted" in inbound.outcome
    assert fresh(db, invitation).comment == "Sẽ đến đúng giờ"
    assert len(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == MessageKind.CONFIRMATION)).all()) == 1


def test_administrators_see_what_came_in_and_what_was_done_others_do_not(db, invitation, client, auth):
    from tests.factories import UserFactory

    _, raw = sent_invitation(db, invitation)
    receive(db, mails.gmail_reply(mails.read_request(raw), "stranger@example.vn"))
    receive(db, mails.plain_mail("a@example.vn", REPLY_ADDRESS, "Trả lời tự động: vắng mặt", "<b>x</b>"))
    admin = UserFactory(is_admin=True)
    auth.login(admin)
    page = client.get("/mail/inbound")
    assert page.status_code == 200
    assert "is not an invitee" in page.text and "Thư trả lời tự động" in page.text
    assert "Trả lời tự động: vắng mặt" in page.text and "<b>x</b>" not in page.text
    too_far = client.get("/mail/inbound?page=100000000000000000000")  # never a 500: the page-number rule's 400
    assert too_far.status_code == 400 and "Số trang phải là số nguyên từ 1 đến" in too_far.text
    only = client.get("/mail/inbound?kind=calendar_reply")
    assert "is not an invitee" in only.text and "vắng mặt" not in only.text
    auth.login(staff(invitation.event.association, email="to-chuc@example.vn"))
    assert client.get("/mail/inbound").status_code == 403


def test_mail_linked_to_nothing_we_sent_is_kept_but_not_forwarded(db, invitation):
    from tests.factories import UserFactory

    UserFactory(is_admin=True)
    inbound = receive(db, mails.plain_mail("spam@example.org", REPLY_ADDRESS, "Khuyến mãi lớn", "Mua ngay"))
    assert inbound.kind == InboundKind.HUMAN and inbound.state == InboundState.DONE
    assert "not forwarded" in inbound.outcome and inbound.body_text == "Mua ngay"
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == MessageKind.INBOUND_FORWARD)) is None
