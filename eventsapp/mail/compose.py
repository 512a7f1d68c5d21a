"""E-mails written straight to bytes: our own MIME trees, headers encoded by the standard library.

Why not `email.message.EmailMessage`: its policy-based headers parse and refold every header through
a full RFC 5322 grammar, and flattening walks the tree again. For an invitation that was about two
thirds of the time spent per message (bench/mail_send.py --profile), for messages whose structure we
choose ourselves. Here the tree is a few dataclasses; text outside ASCII in headers becomes RFC 2047
words (UTF-8, base64), bodies base64, every line ends in CRLF. The tests parse every kind of message
back with the standard library's parser.

    mail = Mail(Multipart("alternative", [text_part(text), text_part(html, "html")]))
    mail["Subject"] = "Thư mời: Gặp mặt kiều bào"
    mail["From"] = ("Hội hữu nghị Việt – Nhật", "hoi@example.vn")
    bytes(mail)
"""
from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass, field
from email.utils import formataddr, getaddresses

CRLF = "\r\n"
ADDRESS_HEADERS = frozenset({"from", "to", "cc", "reply-to", "sender"})
MAX_LINE = 78


@dataclass
class Part:
    """One leaf: its body bytes and how to label them."""

    content_type: str
    body: bytes
    params: dict[str, str] = field(default_factory=dict)
    transfer_encoding: str = "base64"
    disposition: str | None = None
    filename: str | None = None
    content_id: str | None = None

    def write(self, out: list[bytes]) -> None:
        params = "".join(f'; {name}="{value}"' for name, value in self.params.items())
        head = [f"Content-Type: {self.content_type}{params}", f"Content-Transfer-Encoding: {self.transfer_encoding}"]
        if self.disposition:
            filename = f'; filename="{self.filename}"' if self.filename else ""
            head.append(f"Content-Disposition: {self.disposition}{filename}")
        if self.content_id:
            head.append(f"Content-ID: {self.content_id}")
        out.append((CRLF.join(head) + CRLF + CRLF).encode("ascii"))
        if self.transfer_encoding == "base64":
            out.append(base64.encodebytes(self.body).replace(b"\n", b"\r\n"))
        else:
            out.append(self.body + b"\r\n")


@dataclass
class Multipart:
    """multipart/<subtype> around its parts, with a fresh boundary (never found in base64 or 7bit text)."""

    subtype: str
    parts: list[Part | Multipart]

    def write(self, out: list[bytes]) -> None:
        boundary = f"=_{secrets.token_hex(12)}"
        out.append(f'Content-Type: multipart/{self.subtype}; boundary="{boundary}"{CRLF}{CRLF}'.encode("ascii"))
        delimiter = f"--{boundary}{CRLF}".encode("ascii")
        for part in self.parts:
            out.append(delimiter)
            part.write(out)
        out.append(f"--{boundary}--{CRLF}".encode("ascii"))


def text_part(text: str, subtype: str = "plain", **params: str) -> Part:
    """UTF-8 text: 7bit when it is short-lined ASCII, base64 otherwise (Vietnamese is shorter so than in QP)."""
    lines = text.replace("\r\n", "\n").split("\n")
    params = {"charset": "utf-8", **params}
    if text.isascii() and max(map(len, lines)) <= 998:
        return Part(f"text/{subtype}", CRLF.join(lines).encode("ascii"), params, "7bit")
    return Part(f"text/{subtype}", CRLF.join(lines).encode("utf-8"), params)


def attachment(data: bytes, content_type: str, filename: str, **params: str) -> Part:
    return Part(content_type, data, params, disposition="attachment", filename=filename)


def inline_image(data: bytes, content_type: str, content_id: str, filename: str) -> Part:
    """An image shown by the HTML part as <img src="cid:…"> (content_id is given with its <>)."""
    return Part(content_type, data, disposition="inline", filename=filename, content_id=content_id)


def _fold_ascii(name: str, value: str) -> str:
    """Fold an ASCII header at spaces so lines stay under 78 characters where the words allow."""
    line, lines = f"{name}:", []
    for word in value.split(" "):
        if len(line) + 1 + len(word) > MAX_LINE and line != f"{name}:":
            lines.append(line)
            line = ""  # the next line starts with the space before `word`: folding whitespace
        line += f" {word}"
    lines.append(line)
    return CRLF.join(lines)


def _encoded_words(text: str, first_room: int) -> str:
    """`text` as RFC 2047 words (UTF-8, base64) of at most 75 characters, folded one per line.

    Words are split after a space where possible, inside a long word only when it must be: the RFC
    joins adjacent encoded words, but some parsers (CPython's address grammar among them) put a space
    at each split, and a doubled space reads better than a broken word.
    """
    def capacity(room: int) -> int:  # UTF-8 bytes that fit in an encoded word of `room` characters
        return max(3, (min(room, 75) - len("=?utf-8?b??=")) // 4 * 3)

    chunks, chunk, limit = [], "", capacity(first_room)
    for piece in re.split(r"(?<= )", text):
        while len((chunk + piece).encode("utf-8")) > limit:
            if chunk:
                chunks.append(chunk)
                chunk, limit = "", capacity(MAX_LINE - 1)
                continue
            cut = len(piece) - 1  # a single word longer than one encoded word: cut between characters
            while len(piece[:cut].encode("utf-8")) > limit:
                cut -= 1
            chunks.append(piece[:cut])
            piece, limit = piece[cut:], capacity(MAX_LINE - 1)
        chunk += piece
    chunks.append(chunk)
    return f"{CRLF} ".join(f"=?utf-8?b?{base64.b64encode(c.encode('utf-8')).decode('ascii')}?=" for c in chunks)


def _address_pairs(value) -> list[tuple[str, str]]:
    """`(name, address)`, a list of them, or a header string, as (name, address) pairs."""
    return [value] if isinstance(value, tuple) else getaddresses([value]) if isinstance(value, str) else list(value)


def encode_header(name: str, value) -> str:
    """The header line(s), without the final CRLF: ASCII folded at spaces, other text as encoded words."""
    if name.lower() not in ADDRESS_HEADERS:
        value = str(value)
        return _fold_ascii(name, value) if value.isascii() else f"{name}: {_encoded_words(value, MAX_LINE - len(name) - 2)}"
    addresses = []
    for display_name, address in _address_pairs(value):
        if display_name and not display_name.isascii():
            room = MAX_LINE - len(name) - 2 if not addresses else MAX_LINE - 1
            addresses.append(f"{_encoded_words(display_name, room)}{CRLF} <{address}>")
        else:
            addresses.append(formataddr((display_name, address)))
    encoded = ", ".join(addresses)
    return f"{name}: {encoded}" if CRLF in encoded else _fold_ascii(name, encoded)


class Mail:
    """Headers (in order, names case-insensitive) and one body; `bytes(mail)` is what goes on the wire."""

    def __init__(self, body: Part | Multipart | None = None):
        self.body = body
        self._headers: list[tuple[str, object]] = []

    def __setitem__(self, name: str, value) -> None:
        self._headers.append((name, value))

    def __getitem__(self, name: str):
        return self.get(name)

    def get(self, name: str, default=None):
        """The value as set (a string, or a (name, address) pair for address headers)."""
        for key, value in self._headers:
            if key.lower() == name.lower():
                return value
        return default

    def __delitem__(self, name: str) -> None:
        self._headers = [(key, value) for key, value in self._headers if key.lower() != name.lower()]

    def addresses(self, name: str) -> list[str]:
        """The bare addresses of an address header (the SMTP envelope uses them)."""
        value = self.get(name)
        return [] if value is None else [address for _, address in _address_pairs(value) if address]

    def as_bytes(self) -> bytes:
        # UTF-8 only for an address outside ASCII (sent with SMTPUTF8); everything else is ASCII by now.
        head = "".join(encode_header(name, value) + CRLF for name, value in self._headers)
        out = [head.encode("utf-8"), b"MIME-Version: 1.0\r\n"]
        if self.body is not None:
            self.body.write(out)
        return b"".join(out)

    __bytes__ = as_bytes


def calendar_mail_body(text: str, html: str, ics: bytes, method: str, *, inline_qr: tuple[bytes, str] | None = None,
                       attachment_name: str = "invite.ics") -> Multipart:
    """The layout Gmail, Outlook and Apple Mail show as an invitation (shared/calendar-notes.md):

    multipart/mixed
      multipart/alternative
        text/plain
        text/html, or multipart/related (text/html + the door QR code, `inline_qr` = (png, Content-ID))
        text/calendar; method=<METHOD> (base64, so RFC 5545's CRLFs survive)
      application/ics <attachment_name> (the same object, for clients that only read attachments)
    """
    html_part: Part | Multipart = text_part(html, "html")
    if inline_qr:
        png, content_id = inline_qr
        html_part = Multipart("related", [html_part, inline_image(png, "image/png", content_id, "qr-checkin.png")])
    calendar = Part("text/calendar", ics, {"method": method, "charset": "UTF-8"})
    return Multipart("mixed", [
        Multipart("alternative", [text_part(text), html_part, calendar]),
        attachment(ics, "application/ics", attachment_name),
    ])
