"""The mail loop end to end: an invitation sent by the real worker through the SMTP sink, the answer a
calendar app would send delivered to a real Dovecot mailbox (IMAP APPEND) or piped into
`flask mail receive -`, taken in and processed by the worker; bounces; DKIM; people's replies."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import dkim
import pytest
from sqlalchemy import select

from eventsapp.contacts.models import Contact
from eventsapp.inbound import receiving
from eventsapp.inbound.models import InboundKind, InboundMessage
from eventsapp.invitations import services as invitations
from eventsapp.invitations.models import Invitation, InvitationStatus
from eventsapp.mail import addresses
from eventsapp.mail.models import OutboxMessage
from tests import inbound_support as mails
from tests.conftest import REPLY_ADDRESS
from tests.factories import AssociationFactory, ContactFactory, EventFactory, InvitationFactory, staff
from tests.support import services
from tests.support.dovecot import DOVECOT, Dovecot

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.usefixtures("celery_worker")


@pytest.fixture(scope="module")
def dovecot():
    if not Path(DOVECOT).exists():
        services.missing("Dovecot is not installed (apt-get install dovecot-imapd)")
    server = Dovecot()
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def reply_address(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_REPLY_ADDRESS", REPLY_ADDRESS)  # as the worker has it


def eventually(db, predicate, timeout: float = 90, what: str = "state"):
    """Poll the database (fresh reads) until `predicate()` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()
        db.session.expire_all()
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def sent(db, smtp_sink):
    """An invitation sent by the worker, as the invitee's mail server received it."""
    association = AssociationFactory(name_vi="Hội hữu nghị Việt – Nhật Bản", sender_email=None)
    organiser = staff(association, email="to-chuc@example.vn")
    event = EventFactory(association=association, title_vi="Gặp mặt kiều bào đón Tết Bính Ngọ", capacity=10)
    contact = ContactFactory(full_name="Trần Thu Hà", email="ha@example.vn")
    invitation = InvitationFactory(event=event, contact=contact)
    invitations.send_invitations(event.id)
    db.session.commit()
    received = smtp_sink.wait_for(1, timeout=60)[0]
    assert received.recipients == ["ha@example.vn"]
    return {"invitation": invitation, "received": received, "organiser": organiser, "event": event}


def confirmation_to(smtp_sink, address: str, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in smtp_sink.to(address):
            if b"Auto-Submitted: auto-generated" in message.data and "Câu trả lời" in message.header("Subject"):
                return message
        time.sleep(0.1)
    raise AssertionError(f"no confirmation reached {address}")


def status_of(db, invitation) -> InvitationStatus:
    return db.session.get(Invitation, invitation.id).status


def test_yes_in_a_calendar_app_is_taken_from_the_imap_mailbox_and_counted(db, smtp_sink, dovecot, sent):
    invitation, received = sent["invitation"], sent["received"]
    request = mails.read_request(received.data)
    assert request.organizer.lower() == f"mailto:{REPLY_ADDRESS}"
    dovecot.append(mails.as_received(mails.gmail_reply(request, "ha@example.vn")))  # our MX vouches for it

    assert receiving.poll_imap(dovecot.url) == {"seen": 1, "stored": 1}
    eventually(db, lambda: status_of(db, invitation) == InvitationStatus.ACCEPTED, what="the answer")
    assert invitations.seats_taken([invitation.event_id]) == 1
    confirmation_to(smtp_sink, "ha@example.vn")
    # The message was moved out of the inbox; polling again finds nothing.
    assert dovecot.count("INBOX") == 0 and dovecot.count("eventsapp-processed") == 1
    assert receiving.poll_imap(dovecot.url) == {"seen": 0, "stored": 0}


def flask_receive(raw: bytes, database_url: str, **env) -> subprocess.CompletedProcess:
    environment = {**os.environ, "EVENTSAPP_CONFIG": "testing", "TEST_DATABASE_URL": database_url,
                   "TEST_BROKER_URL": services.REDIS_URL, "MAIL_REPLY_ADDRESS": REPLY_ADDRESS, **env}
    return subprocess.run([sys.executable, "-m", "flask", "--app", "eventsapp", "mail", "receive", "-"],
                          input=raw, capture_output=True, cwd=ROOT, env=environment, timeout=120)


def test_the_same_answer_piped_by_the_mta_into_flask_mail_receive(db, smtp_sink, sent, database_url):
    invitation = sent["invitation"]
    reply = mails.as_received(mails.outlook_reply(mails.read_request(sent["received"].data), "ha@example.vn",
                                                  "TENTATIVE"))
    result = flask_receive(reply, database_url)
    assert result.returncode == 0, result.stderr.decode()
    assert b"stored as inbound message" in result.stdout
    eventually(db, lambda: status_of(db, invitation) == InvitationStatus.TENTATIVE, what="the answer")
    confirmation_to(smtp_sink, "ha@example.vn")
    again = flask_receive(reply, database_url)  # the MTA delivering it twice
    assert again.returncode == 0 and b"already stored" in again.stdout


def test_flask_mail_receive_exits_75_when_it_cannot_store(database_url):
    unreachable = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"
    result = flask_receive(mails.plain_mail("a@example.vn", REPLY_ADDRESS, "Xin chào", "Chào"), unreachable)
    assert result.returncode == 75, result.stderr.decode()


def test_a_hard_bounce_for_a_sent_invitation_marks_the_address(db, dovecot, sent):
    invitation, received = sent["invitation"], sent["received"]
    row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.invitation_id == invitation.id))
    assert addresses.message_id_from(received.mail_from) == row.id  # VERP: the envelope sender names the row
    dovecot.append(mails.dsn(received.mail_from, "ha@example.vn", original_message_id=row.smtp_message_id))
    receiving.poll_imap(dovecot.url)
    contact = eventually(db, lambda: (c := db.session.get(Contact, invitation.contact_id)).undeliverable_at and c,
                         what="the undeliverable mark")
    assert "5.1.1" in contact.undeliverable_reason


def test_every_message_the_worker_sends_carries_a_dkim_signature_that_verifies(sent, dkim_key):
    data = sent["received"].data
    assert data.startswith(b"DKIM-Signature:")

    def dns(name, timeout=5):
        expected = f"{dkim_key['selector']}._domainkey.{dkim_key['domain']}.".encode()
        return dkim_key["record"].encode() if name == expected else None

    assert dkim.verify(data, dnsfunc=dns)
    tampered = data.replace(b"Subject: ", b"Subject: FW: ", 1)
    assert not dkim.verify(tampered, dnsfunc=dns)


def test_a_persons_reply_reaches_the_organisers(db, smtp_sink, dovecot, sent):
    received, organiser = sent["received"], sent["organiser"]
    reply_to = received.message["Reply-To"].addresses[0].addr_spec
    assert addresses.message_id_from(reply_to) is not None
    dovecot.append(mails.plain_mail("ha@example.vn", reply_to, "Re: Thư mời",
                                    "Tôi đi cùng chồng được không?\n\n> Thư mời cũ",
                                    in_reply_to=str(received.message["Message-ID"])))
    receiving.poll_imap(dovecot.url)
    forward = None
    deadline = time.monotonic() + 60
    while forward is None and time.monotonic() < deadline:
        forward = next(iter(smtp_sink.to(organiser.email)), None)
        time.sleep(0.1)
    assert forward is not None, "the reply was not forwarded to the organiser"
    assert "Tôi đi cùng chồng được không?" in forward.message.get_body(("plain",)).get_content()
    assert forward.message["Reply-To"].addresses[0].addr_spec == "ha@example.vn"
    inbound = db.session.scalar(select(InboundMessage).where(InboundMessage.kind == InboundKind.HUMAN))
    assert inbound.event_id == sent["event"].id


def test_the_beat_poll_takes_eml_files_from_the_inbox_folder(app, db, sent, inbox_dir):
    invitation = sent["invitation"]
    reply = mails.as_received(mails.apple_reply(mails.read_request(sent["received"].data), "ha@example.vn",
                                                "DECLINED", comment="Con bận đi công tác ạ"))
    (inbox_dir / ".drop.tmp").write_bytes(reply)
    (inbox_dir / ".drop.tmp").rename(inbox_dir / "reply.eml")
    app.extensions["celery"].send_task("inbound.poll")  # what beat sends every MAIL_INBOX_POLL_SECONDS
    eventually(db, lambda: status_of(db, invitation) == InvitationStatus.DECLINED, what="the answer")
    assert db.session.get(Invitation, invitation.id).comment == "Con bận đi công tác ạ"
    assert not (inbox_dir / "reply.eml").exists() and (inbox_dir / "processed" / "reply.eml").exists()
