"""Messages as calendar apps and mail servers send them, for the inbound tests.

Written from RFC 5546 (iTIP REPLY), RFC 6047 (iMIP: text/calendar; method=REPLY), RFC 3464
(delivery status notifications), RFC 3834 (auto-replies) and the shapes Gmail, Outlook/Exchange
and Apple Calendar are documented and reported to send (shared/mail-loop-notes.md): Gmail puts the
REPLY inline and as invite.ics; Outlook sends "Accepted: <subject>" with Content-class
calendarmessage and may leave ORGANIZER out; Apple attaches the REPLY and may carry a COMMENT.
"""
from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from email.utils import format_datetime, make_msgid

import icalendar

from eventsapp.timeutils import utcnow


@dataclass
class Request:
    """What a client reads from a received invitation (REQUEST)."""

    uid: str
    sequence: int
    summary: str
    organizer: str  # mailto:… as received (may be missing)
    dtstart: str
    reply_to: str  # the Reply-To of the message
    message_id: str


def read_request(raw: bytes) -> Request:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    vevent = icalendar.Calendar.from_ical(part.get_content()).walk("VEVENT")[0]
    return Request(str(vevent["UID"]), int(vevent.get("SEQUENCE", 0)), str(vevent["SUMMARY"]),
                   str(vevent.get("ORGANIZER", "")), vevent["DTSTART"].to_ical().decode(),
                   str(message.get("Reply-To", "")), str(message["Message-ID"]))


def _stamp() -> str:
    return utcnow().strftime("%Y%m%dT%H%M%SZ")


def reply_ics(request: Request, attendee: str, partstat: str, *, prodid: str, organizer: bool = True,
              comment: str | None = None, sequence: int | None = None, uid: str | None = None,
              extra: list[str] = ()) -> str:
    lines = ["BEGIN:VCALENDAR", f"PRODID:{prodid}", "VERSION:2.0", "CALSCALE:GREGORIAN", "METHOD:REPLY",
             "BEGIN:VEVENT", f"DTSTART:{request.dtstart}",
             f"DTSTAMP:{_stamp()}"]
    if organizer and request.organizer:
        lines.append(f"ORGANIZER;CN=Ban tổ chức:{request.organizer}")
    lines += [f"UID:{uid or request.uid}",
              f"ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT={partstat};CN=Khách mời;X-NUM-GUESTS=0:mailto:{attendee}",
              f"SEQUENCE:{request.sequence if sequence is None else sequence}",
              f"SUMMARY:{request.summary}", *extra]
    if comment:
        lines.append(f"COMMENT:{comment}")
    lines += ["END:VEVENT", "END:VCALENDAR", ""]
    return "\r\n".join(icalendar.Calendar.from_ical("\r\n".join(lines)).to_ical().decode().splitlines()) + "\r\n"


def _headers(message, sender: str, to: str, subject: str, request: Request | None) -> None:
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain="client.example")
    if request is not None:
        message["In-Reply-To"] = request.message_id
        message["References"] = request.message_id


def _organizer_address(request: Request) -> str:
    return request.organizer[7:] if request.organizer.lower().startswith("mailto:") else request.organizer


def gmail_reply(request: Request, attendee: str, partstat: str = "ACCEPTED", **ics) -> bytes:
    """Gmail: multipart/mixed (alternative: text, html, text/calendar method=REPLY) + invite.ics."""
    word = {"ACCEPTED": "Accepted", "TENTATIVE": "Tentatively Accepted", "DECLINED": "Declined"}.get(partstat, partstat)
    text = reply_ics(request, attendee, partstat, prodid="-//Google Inc//Google Calendar 70.9054//EN", **ics)
    message = email.message.EmailMessage()
    _headers(message, attendee, _organizer_address(request), f"{word}: {request.summary} ({attendee})", request)
    message.set_content(f"{attendee} has {word.lower()} this invitation.")
    message.add_alternative(f"<p>{attendee} has {word.lower()} this invitation.</p>", subtype="html")
    message.add_alternative(text, subtype="calendar", params={"method": "REPLY"}, cte="base64")
    message.add_attachment(text.encode("utf-8"), maintype="application", subtype="ics", filename="invite.ics",
                           params={"name": "invite.ics"})
    return message.as_bytes()


def outlook_reply(request: Request, attendee: str, partstat: str = "ACCEPTED", **ics) -> bytes:
    """Outlook / Exchange: "Accepted: <subject>", Content-class calendarmessage, ORGANIZER left out."""
    word = {"ACCEPTED": "Accepted", "TENTATIVE": "Tentative", "DECLINED": "Declined"}[partstat]
    ics.setdefault("organizer", False)
    text = reply_ics(request, attendee, partstat, prodid="Microsoft Exchange Server 2010", **ics)
    message = email.message.EmailMessage()
    _headers(message, f"Khách mời <{attendee}>", _organizer_address(request), f"{word}: {request.summary}", request)
    message["Content-class"] = "urn:content-classes:calendarmessage"
    message["Thread-Topic"] = request.summary
    message.set_content("")
    message.add_alternative(text, subtype="calendar", params={"method": "REPLY"}, cte="base64")
    return message.as_bytes()


def apple_reply(request: Request, attendee: str, partstat: str = "DECLINED", comment: str | None = None, **ics) -> bytes:
    """Apple Calendar: text part plus the REPLY as an attached text/calendar, quoted-printable, COMMENT kept."""
    text = reply_ics(request, attendee, partstat, prodid="-//Apple Inc.//macOS 14.4//EN", comment=comment, **ics)
    message = email.message.EmailMessage()
    _headers(message, attendee, _organizer_address(request), f"Invitation {partstat.lower()}: {request.summary}",
             request)
    message.set_content(f"{attendee} has {partstat.lower()} your event.")
    message.add_attachment(text, subtype="calendar", params={"method": "REPLY"}, cte="quoted-printable",
                           filename="iCal-20270210-110000.ics")
    return message.as_bytes()


def dsn(return_path: str, recipient: str, status: str = "5.1.1", action: str = "failed",
        original_message_id: str = "<x@example>") -> bytes:
    """An RFC 3464 delivery status notification, as Postfix writes one, to our envelope sender."""
    boundary = "bounce-boundary-1"
    diagnostic = ("smtp; 550 5.1.1 <%s>: Recipient address rejected: User unknown" % recipient
                  if status.startswith("5") else "smtp; 451 4.2.0 mailbox busy, try later")
    return (
        f"Return-Path: <>\r\nDelivered-To: {return_path}\r\n"
        f"From: MAILER-DAEMON@mx.example.org (Mail Delivery System)\r\n"
        f"To: {return_path}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        f"Date: {format_datetime(utcnow())}\r\nMessage-ID: {make_msgid(domain='mx.example.org')}\r\n"
        f"Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n\r\n'
        f"--{boundary}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
        f"This is the mail system at host mx.example.org.\r\n\r\nI'm sorry to have to inform you that your message "
        f"could not be delivered to one or more recipients.\r\n\r\n"
        f"--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
        f"Reporting-MTA: dns; mx.example.org\r\nArrival-Date: {format_datetime(utcnow())}\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nOriginal-Recipient: rfc822;{recipient}\r\n"
        f"Action: {action}\r\nStatus: {status}\r\nDiagnostic-Code: {diagnostic}\r\n\r\n"
        f"--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {original_message_id}\r\nTo: {recipient}\r\nSubject: =?utf-8?b?VGjGsCBt4budaQ==?=\r\n\r\n"
        f"--{boundary}--\r\n"
    ).encode("ascii")


def plain_mail(sender: str, to: str, subject: str, body: str, *, headers: dict | None = None,
               html: str | None = None, in_reply_to: str | None = None) -> bytes:
    message = email.message.EmailMessage()
    _headers(message, sender, to, subject, None)
    for name, value in (headers or {}).items():
        message[name] = value
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message.as_bytes()



# ------------------------------------------------------------------ authentication (eventsapp.inbound.authentication)

TRUSTED_SERVER = "mx.eventsapp.test"  # tests.conftest.TRUSTED_AUTHSERV_ID: the worker trusts it too


def as_received(raw: bytes, dmarc: str = "pass", server: str = TRUSTED_SERVER) -> bytes:
    """`raw` as our receiving server hands it on: with its Authentication-Results (RFC 8601) on top."""
    sender = email.message_from_bytes(raw, policy=email.policy.default)["From"].addresses[0].domain
    return (f"Authentication-Results: {server};\r\n\tspf=pass smtp.mailfrom={sender};\r\n"
            f"\tdkim=pass header.d={sender};\r\n\tdmarc={dmarc} (p=quarantine) header.from={sender}\r\n").encode() + raw


@dataclass
class SigningKey:
    """A DKIM key of a sender's domain and the stub resolver that publishes its record."""

    domain: str
    selector: str
    pem: bytes
    record: str

    def sign(self, raw: bytes, headers=(b"from", b"to", b"subject", b"date", b"message-id")) -> bytes:
        import dkim

        raw = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        return dkim.sign(raw, self.selector.encode(), self.domain.encode(), self.pem,
                         include_headers=list(headers)) + raw


def signing_key(domain: str, selector: str = "s2026") -> SigningKey:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from eventsapp.mail.signing import txt_record

    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                            serialization.NoEncryption())
    return SigningKey(domain, selector, pem, txt_record(pem))


def stub_resolver(*keys: SigningKey):
    """A dkimpy `dnsfunc` answering the TXT records of `keys`, and nothing else (no network)."""
    records = {f"{k.selector}._domainkey.{k.domain}.".encode(): k.record.encode() for k in keys}

    def dnsfunc(name: bytes, timeout: int = 5):
        return records.get(name)

    return dnsfunc
