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
from email.utils import getaddresses

CRLF = "\r\n"
ADDRESS_HEADERS = frozenset({"from", "to", "cc", "bcc", "reply-to", "sender"})
TEXT_HEADERS = frozenset({"subject", "comments", "keywords"})  # free text, like every X- header
MAX_LINE = 78


def _quotable(value: str) -> str:
    """A parameter value safe inside quotes: no control characters, quotes or backslashes."""
    return header_text(value).replace('"', "").replace("\\", "")


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
        params = "".join(f'; {name}="{_quotable(value)}"' for name, value in self.params.items())
        head = [f"Content-Type: {self.content_type}{params}", f"Content-Transfer-Encoding: {self.transfer_encoding}"]
        if self.disposition:
            filename = f'; filename="{_quotable(self.filename)}"' if self.filename else ""
            head.append(f"Content-Disposition: {self.disposition}{filename}")
        if self.content_id:
            head.append(f"Content-ID: {_quotable(self.content_id)}")
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
    # Every line break made CRLF; a lone CR is a line break too, never sent bare (string replacements:
    # several times faster than splitting a message's HTML on a regular expression).
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    params = {"charset": "utf-8", **params}
    if text.isascii() and max(map(len, text.split("\n"))) <= 998:
        return Part(f"text/{subtype}", text.replace("\n", CRLF).encode("ascii"), params, "7bit")
    return Part(f"text/{subtype}", text.replace("\n", CRLF).encode("utf-8"), params)


def attachment(data: bytes, content_type: str, filename: str, **params: str) -> Part:
    return Part(content_type, data, params, disposition="attachment", filename=filename)


def inline_image(data: bytes, content_type: str, content_id: str, filename: str) -> Part:
    """An image shown by the HTML part as <img src="cid:…"> (content_id is given with its <>)."""
    return Part(content_type, data, disposition="inline", filename=filename, content_id=content_id)


# Characters no header may carry: C0/C1 controls (CR, LF, NUL, TAB, NEL…), the Unicode line and
# paragraph separators, and lone surrogates (not encodable). Each becomes a space.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_HEADER_NAME = re.compile(r"[!-9;-~]+")  # RFC 5322 ftext
# A mailbox address as the envelope uses it: one "@", no whitespace, controls or characters with a
# meaning in an address header (so the header can list exactly the envelope's recipients).
_ADDRESS = re.compile(r'[^\s@<>,;:"()\[\]\\\x00-\x1f\x7f-\x9f\u2028\u2029]+@[^\s@<>,;:"()\[\]\\\x00-\x1f\x7f-\x9f\u2028\u2029]+')
_ATOM_PHRASE = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+( [A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
MAX_OCTETS = 998  # RFC 5322 §2.1.1: no line longer, CRLF excluded


def header_text(value) -> str:
    """`value` as text a header can carry: every control character or line break replaced by a space."""
    return _CONTROL.sub(" ", str(value))


def _checked_address(address: str) -> str:
    if not _ADDRESS.fullmatch(address):
        raise ValueError(f"not a mailbox address: {address!r}")
    return address


def _clean_addresses(value):
    """An address header's value in the shape it was given, names made safe and addresses checked."""
    if isinstance(value, tuple):
        name, address = value
        return header_text(name or ""), _checked_address(address)
    if isinstance(value, str):
        value = header_text(value)
        for _, address in getaddresses([value]) if value.strip() else []:
            _checked_address(address)
        return value
    return [_clean_addresses(tuple(pair)) for pair in value]


def _fold_ascii(name: str, value: str) -> str:
    """Fold an ASCII header at spaces so lines stay under 78 characters where the words allow."""
    line, lines = f"{name}:", []
    for word in value.split(" "):
        # Fold only before a word: a continuation line of nothing but whitespace is obsolete syntax.
        if word and len(line) + 1 + len(word) > MAX_LINE and line.strip() and line != f"{name}:":
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


def _plain_text(value: str, room: int) -> bool:
    """Whether free text can go into a header as it is: ASCII words a reader gets back unchanged."""
    return (value.isascii() and "=?" not in value and value == value.strip(" ")
            and all(len(word) <= room for word in value.split(" ")))


def _address_pairs(value) -> list[tuple[str, str]]:
    """`(name, address)`, a list of them, or a header string, as (name, address) pairs."""
    return [value] if isinstance(value, tuple) else getaddresses([value]) if isinstance(value, str) else list(value)


def _display_name(display_name: str, room: int) -> str:
    if not display_name:
        return ""
    if _ATOM_PHRASE.fullmatch(display_name) and "=?" not in display_name and len(display_name) < room:
        return display_name
    if display_name.isascii() and "=?" not in display_name and len(display_name) < room:
        return '"' + display_name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return _encoded_words(display_name, room)


def encode_header(name: str, value) -> str:
    """The header line(s), without the final CRLF: ASCII folded at spaces, other text as encoded words.

    `value` has been through `Mail.add_header` (no control characters; checked addresses).
    """
    if name.lower() not in ADDRESS_HEADERS:
        value = str(value)
        room = MAX_LINE - len(name) - 2
        if name.lower() in TEXT_HEADERS or name.lower().startswith("x-"):  # free text: read back as written
            return _fold_ascii(name, value) if _plain_text(value, room) else f"{name}: {_encoded_words(value, room)}"
        return _fold_ascii(name, value) if value.isascii() else f"{name}: {_encoded_words(value, room)}"
    addresses = []
    for display_name, address in _address_pairs(value):
        room = MAX_LINE - len(name) - 2 if not addresses else MAX_LINE - 1
        phrase = _display_name(display_name, room)
        addresses.append(f"{phrase}{CRLF} <{address}>" if phrase.startswith("=?") else
                         f"{phrase} <{address}>" if phrase else address)
    encoded = ", ".join(addresses)
    return f"{name}: {encoded}" if CRLF in encoded else _fold_ascii(name, encoded)


class Mail:
    """Headers (in order, names case-insensitive) and one body; `bytes(mail)` is what goes on the wire.

    Every header value goes through `add_header` (also `mail[name] = value`), which makes it safe
    whatever the caller passes: control characters and line breaks (CR, LF, NUL, U+2028…) become
    spaces, so no value can end its header or start another; addresses must be plain mailboxes.
    """

    def __init__(self, body: Part | Multipart | None = None):
        self.body = body
        self._headers: list[tuple[str, object]] = []

    def add_header(self, name: str, value) -> None:
        """Append a header. Address headers take `(name, address)`, a list of them, or a string."""
        if not _HEADER_NAME.fullmatch(name):
            raise ValueError(f"not a header name: {name!r}")
        self._headers.append((name, _clean_addresses(value) if name.lower() in ADDRESS_HEADERS
                              else header_text(value)))

    __setitem__ = add_header

    def __getitem__(self, name: str):
        return self.get(name)

    def get(self, name: str, default=None):
        """The value as stored (a string, or a (name, address) pair for address headers)."""
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
        lines = []
        for name, value in self._headers:
            if name.lower() in ADDRESS_HEADERS and not _address_pairs(value):
                continue  # an empty address list: no header rather than an empty one
            line = encode_header(name, value)
            if any(len(part.encode("utf-8")) > MAX_OCTETS for part in line.split(CRLF)):
                raise ValueError(f"{name} has a word longer than a mail line may be")
            lines.append(line + CRLF)
        out = ["".join(lines).encode("utf-8"), b"MIME-Version: 1.0\r\n"]
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
