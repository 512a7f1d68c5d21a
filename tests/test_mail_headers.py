"""Header safety of eventsapp.mail.compose, property-based: whatever text callers pass (names, titles,
subjects with CR, LF, NUL, U+2028, bidi marks, emoji, very long words), the standard library's parser
reads back exactly the headers that were set, with the same text (control characters as spaces) and
exactly the envelope's recipients."""
from __future__ import annotations

import email
import re
from email import policy
from email.header import decode_header, make_header

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from eventsapp.mail.compose import Mail, calendar_mail_body, text_part

# What the tests count as a control character, independently of the module under test.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")

NASTY = ("\r", "\n", "\r\n", "\x00", "\t", "\x0b", "\x0c", "\x85", "\u2028", "\u2029", "\u200e", "\u200f",
         "\u202e", "\u2066", "\u2069", "\ufeff", "😀", "👩‍👩‍👧", "Đ", "ữ", "ệ", " ", "  ", '"', "\\", "<", ">",
         ",", ";", ":", "@", "(", ")", "=?", "?=", "=?utf-8?b?SGk=?=", "Bcc: evil@example.com", "Reply-To:",
         "\r\n\r\nbody", "é" * 400, "x" * 1200, "ẞ" * 700)
pieces = st.one_of(st.sampled_from(NASTY), st.text(max_size=30))
texts = st.lists(pieces, max_size=12).map("".join)
ordinary_addresses = st.emails()


def expected(text: str) -> str:
    return CONTROL.sub(" ", text)


def rfc_display_name(raw_header: str) -> str:
    """The display name as an RFC 2047 reader decodes it (adjacent encoded words joined)."""
    if "<" not in raw_header:
        return ""
    phrase = raw_header.rsplit("<", 1)[0].strip()
    if phrase.startswith("="):
        return str(make_header(decode_header(phrase)))
    return email.utils.parseaddr(f"{phrase} <a@b.c>")[0]


def build(subject: str, sender: tuple[str, str], recipients: list[tuple[str, str]], title: str) -> Mail:
    body = calendar_mail_body(f"{title}\n", f"<p>{title}</p>", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "REQUEST")
    mail = Mail(body)
    mail["Subject"] = subject
    mail["From"] = sender
    mail["To"] = recipients
    mail["Message-ID"] = "<outbox.1.abcd@example.vn>"
    mail["List-Unsubscribe"] = "<https://events.example.vn/unsubscribe/" + "t" * 43 + ">"
    mail["X-Event-Title"] = title
    return mail


@settings(max_examples=150, deadline=None)
@given(subject=texts, sender_name=texts, sender=ordinary_addresses,
       recipients=st.lists(st.tuples(texts, ordinary_addresses), min_size=1, max_size=3), title=texts)
@example(subject="Thư mời\r\nBcc: evil@example.com", sender_name="Hội\r\nReply-To: evil@example.com",
         sender="hoi@example.vn", recipients=[("Nguyễn\x00Văn A\u2028", "a@example.vn")],
         title="Tết\r\n\r\n<b>new body</b>")
@pytest.mark.slow
def test_headers_read_back_exactly_as_set(subject, sender_name, sender, recipients, title):
    mail = build(subject, (sender_name, sender), recipients, title)
    raw = bytes(mail)
    head, _, _ = raw.partition(b"\r\n\r\n")
    lines = raw.split(b"\r\n")
    assert all(len(line) <= 998 for line in lines)
    assert all(b"\r" not in line and b"\n" not in line for line in lines)
    assert all(line.strip() for line in head.split(b"\r\n")[1:] if line[:1] in b" \t")  # no blank folds

    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert [name.lower() for name in parsed.keys()] == [
        "subject", "from", "to", "message-id", "list-unsubscribe", "x-event-title", "mime-version", "content-type"]
    assert parsed.defects == []
    assert parsed["Subject"] == expected(subject)
    assert str(parsed["X-Event-Title"]).strip() == expected(title).strip()

    # Recipients: exactly the envelope's, in the header as in the transport's RCPT TO.
    assert [a.addr_spec for a in parsed["To"].addresses] == mail.addresses("To") == [a for _, a in recipients]
    assert [a.addr_spec for a in parsed["From"].addresses] == [sender]
    # Display names: exact for an RFC 2047 reader; CPython's own address grammar keeps the folding
    # space between two encoded words and collapses runs of whitespace, so there they are compared
    # without whitespace.
    raw_from = email.message_from_bytes(raw, policy=policy.compat32)["From"]
    assert rfc_display_name(raw_from) == expected(sender_name).strip(" ") or \
        rfc_display_name(raw_from) == expected(sender_name)
    for (name, _), parsed_address in zip(recipients, parsed["To"].addresses, strict=True):
        assert "".join(parsed_address.display_name.split()) == "".join(expected(name).split())


@pytest.mark.parametrize("address", [
    "a@example.vn\r\nBcc: evil@example.com", "a@example.vn>, <evil@example.com", "a@example.vn, evil@example.com",
    "a@example.vn\x00", "Evil <evil@example.com>", "", "no-at-sign", "a b@example.vn",
])
def test_an_address_that_is_not_one_plain_mailbox_is_refused(address):
    mail = Mail(text_part("x"))
    with pytest.raises(ValueError):
        mail["To"] = ("Name", address)


def test_a_structured_header_with_a_word_longer_than_a_line_is_refused():
    mail = Mail(text_part("x"))
    mail["List-Unsubscribe"] = "<https://events.example.vn/unsubscribe/" + "t" * 1000 + ">"
    with pytest.raises(ValueError):
        bytes(mail)


def test_a_header_name_cannot_carry_a_header_of_its_own():
    mail = Mail(text_part("x"))
    for name in ("X-Title\r\nBcc", "X Title", "Subject:", ""):
        with pytest.raises(ValueError):
            mail[name] = "value"


def test_a_string_address_header_lists_only_its_own_mailboxes():
    mail = Mail(text_part("x"))
    mail["To"] = "Hương <huong@example.vn>\r\nBcc: evil@example.com"
    parsed = email.message_from_bytes(bytes(mail), policy=policy.default)
    assert parsed["Bcc"] is None
    assert mail.addresses("To") == [a.addr_spec for a in parsed["To"].addresses]
