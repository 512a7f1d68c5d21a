"""E-mails written by eventsapp.mail.compose, read back by the standard library's parser."""
from __future__ import annotations

import email
from email import policy
from email.header import decode_header, make_header

from eventsapp.mail.compose import Mail, Multipart, attachment, calendar_mail_body, text_part

SUBJECT = "Thư mời: Gặp mặt kiều bào đón Tết Nguyên đán Bính Ngọ tại Nhà văn hóa Hữu nghị Hà Nội, kỷ niệm 75 năm"
TEXT = "Kính gửi chị Nguyễn Thị Hương Giang,\n\nTrân trọng kính mời chị đến dự buổi gặp mặt.\n" + "Đoạn dài. " * 200
ICS = b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nSUMMARY:G\xe1\xba\xb7p m\xe1\xba\xb7t\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"


def invitation_mail() -> Mail:
    mail = Mail(calendar_mail_body(TEXT, f"<p>{TEXT}</p>", ICS, "REQUEST", inline_qr=(b"\x89PNG fake", "<qr.1@eventsapp>")))
    mail["Subject"] = SUBJECT
    mail["From"] = ("Hội hữu nghị Việt Nam – Nhật Bản, chi hội Tokyo", "hoi@example.vn")
    mail["To"] = ('Tôn Nữ "Phương" Thảo', "thao@example.vn")
    mail["List-Unsubscribe"] = ("<mailto:hoi@example.vn?subject=unsubscribe>, "
                                "<https://events.example.vn/unsubscribe/" + "x" * 43 + ">")
    mail["Message-ID"] = "<outbox.1.abcd@example.vn>"
    return mail


def test_what_a_mail_client_reads_is_what_was_written():
    raw = bytes(invitation_mail())
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"] == SUBJECT
    # A long name spans several RFC 2047 words, split inside a word as the RFC allows. The modern
    # parser's address grammar inserts a space at that split (a CPython quirk; mail clients and the
    # RFC join the words), so the name is read with the RFC-faithful decoder.
    raw_from = email.message_from_bytes(raw, policy=policy.compat32)["From"]
    assert str(make_header(decode_header(raw_from))) == \
        "Hội hữu nghị Việt Nam – Nhật Bản, chi hội Tokyo <hoi@example.vn>"
    assert parsed["From"].addresses[0].addr_spec == "hoi@example.vn"
    assert parsed["To"].addresses[0].display_name == 'Tôn Nữ "Phương" Thảo'
    assert parsed["List-Unsubscribe"].endswith("x" * 43 + ">")
    assert parsed["Message-ID"] == "<outbox.1.abcd@example.vn>"
    assert parsed.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n") == TEXT
    assert parsed.get_body(preferencelist=("html",)).get_content().replace("\r\n", "\n") == f"<p>{TEXT}</p>"
    structure = [(p.get_content_type(), p.get_content_disposition()) for p in parsed.walk()]
    assert structure == [
        ("multipart/mixed", None), ("multipart/alternative", None), ("text/plain", None),
        ("multipart/related", None), ("text/html", None), ("image/png", "inline"),
        ("text/calendar", None), ("application/ics", "attachment")]
    calendar = next(p for p in parsed.walk() if p.get_content_type() == "text/calendar")
    assert calendar.get_param("method") == "REQUEST"
    assert calendar.get_payload(decode=True) == ICS  # CRLFs intact
    assert next(p for p in parsed.walk() if p.get_content_type() == "image/png")["Content-ID"] == "<qr.1@eventsapp>"
    assert parsed.defects == [] and all(not p.defects for p in parsed.walk())


def test_the_wire_format_is_ascii_with_crlf_lines_of_at_most_78_characters():
    raw = bytes(invitation_mail())
    assert raw.isascii()  # Vietnamese travels as RFC 2047 words and base64, so any server relays it
    lines = raw.split(b"\r\n")
    assert b"\n" not in b"".join(lines) and b"\r" not in b"".join(lines)
    # Only a single word too long to fold (the unsubscribe URL) may exceed 78; none reaches SMTP's 998.
    assert [line for line in lines if len(line) > 78] == [b" <https://events.example.vn/unsubscribe/" + b"x" * 43 + b">"]


def test_ascii_text_stays_readable_and_attachments_keep_their_names():
    mail = Mail(Multipart("mixed", [text_part("Hello Klaus,\nsee you in Hanoi."),
                                    attachment(b"BEGIN:VCALENDAR\r\n", "application/ics", "events.ics")]))
    mail["To"] = "klaus@example.de"
    raw = bytes(mail)
    assert b"Content-Transfer-Encoding: 7bit\r\n\r\nHello Klaus,\r\nsee you in Hanoi.\r\n" in raw
    parsed = email.message_from_bytes(raw, policy=policy.default)
    [ics] = list(parsed.iter_attachments())
    assert ics.get_filename() == "events.ics" and ics.get_content_type() == "application/ics"


def test_a_subject_without_spaces_is_cut_between_characters_and_reads_back_whole():
    subject = "Đạiđoànkếtdântộc" * 12  # one "word" far longer than an encoded word can hold
    mail = Mail(text_part("x"))
    mail["Subject"] = subject
    raw = bytes(mail)
    header = raw.split(b"\r\nMIME-Version")[0]
    assert all(len(line) <= 78 for line in header.split(b"\r\n"))
    assert all(len(word) <= 75 for word in header.replace(b"Subject:", b"").split())
    assert email.message_from_bytes(raw, policy=policy.default)["Subject"] == subject
