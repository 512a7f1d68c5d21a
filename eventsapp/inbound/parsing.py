"""Reading a received message: its calendar parts, delivery status, automatic-reply marks and text.

Pure functions over `email.message.EmailMessage` (standard library, policy `default`); nothing
here touches the database.
"""
from __future__ import annotations

import email
import email.policy
import html
import re
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses

import nh3


class Malformed(ValueError):
    """The message or one of its parts cannot be read."""


def parse(raw: bytes) -> Message:
    return email.message_from_bytes(raw, policy=email.policy.default)


def headers_only(raw: bytes) -> Message:
    """The header block through the lenient compat32 policy (never raises on a bad header)."""
    head = raw.split(b"\r\n\r\n", 1)[0] if b"\r\n\r\n" in raw[:65536] else raw.split(b"\n\n", 1)[0]
    return email.message_from_bytes(head[:65536] + b"\n\n", policy=email.policy.compat32)


def header_text(message: Message, name: str) -> str:
    """A header's decoded text (RFC 2047 words joined), '' when absent or unreadable."""
    value = message.get(name)
    if value is None:
        return ""
    try:
        return str(make_header(decode_header(str(value)))).replace("\r", " ").replace("\n", " ").strip()
    except (ValueError, LookupError, UnicodeError):
        return str(value).strip()


def addresses(message: Message, *names: str) -> list[str]:
    values = [str(v) for name in names for v in (message.get_all(name) or [])]
    return [address.strip().lower() for _, address in getaddresses(values) if "@" in address]


def count_parts(message: Message) -> int:
    return sum(1 for _ in message.walk())


def has_more_parts_than(raw: bytes, limit: int) -> bool:
    """Whether `raw` has more than `limit` MIME parts (as `count_parts` counts them), found before parsing:
    parsing 100,000 parts costs the standard library ~20 s, so the count stops at the limit.

    An upper bound first (every part but the first starts after a `--boundary` line, or is a message
    inside a message/* part); only when it exceeds the limit are the boundaries followed, line by line."""
    # Lines may end in LF, CRLF or a bare CR (the parser accepts all three): a CRLF line counts twice here.
    if raw.count(b"\n--") + raw.count(b"\r--") + raw.lower().count(b"message/") + 1 <= limit:
        return False
    boundaries: set[bytes] = set()
    count, header, in_header = 1, [], True
    for line in raw.splitlines():
        if in_header:
            if line.strip():
                header.append(line)
                continue
            in_header = False
            block = email.message_from_bytes(b"\n".join(header[:200]) + b"\n\n", policy=email.policy.compat32)
            header = []
            if block.get_content_maintype() == "multipart" and block.get_param("boundary"):
                boundaries.add(str(block.get_param("boundary")).encode("utf-8", "replace"))
            elif block.get_content_maintype() == "message":
                count, in_header = count + 1, True  # the enclosed message's own header follows
        elif line.startswith(b"--") and line[2:].rstrip() in boundaries:
            count, in_header = count + 1, True
        if count > limit:
            return True
    return False


def _payload_bytes(part: Message) -> bytes:
    payload = part.get_payload(decode=True)
    if payload is None:
        raise Malformed(f"unreadable {part.get_content_type()} part")
    return payload


@dataclass
class CalendarPart:
    method: str  # from the calendar's METHOD property (the MIME parameter is only a hint)
    data: bytes


def calendar_parts(message: Message) -> list[CalendarPart]:
    """Every text/calendar or .ics part (inline or attached), with its METHOD."""
    found = []
    for part in message.walk():
        if part.is_multipart():
            continue
        content_type = part.get_content_type()
        filename = (part.get_filename() or "").lower()
        if content_type not in ("text/calendar", "application/ics") and not filename.endswith(".ics"):
            continue
        data = _payload_bytes(part)
        match = re.search(rb"^METHOD:([A-Za-z-]+)\s*$", data, re.MULTILINE)
        method = (match.group(1).decode("ascii") if match else str(part.get_param("method") or "")).upper()
        found.append(CalendarPart(method, data))
    # Clients often send the same object inline and as an attachment: keep one of each.
    unique = {part.data.replace(b"\r\n", b"\n").strip(): part for part in found}
    return list(unique.values())


@dataclass
class Delivery:
    recipient: str
    action: str  # failed, delayed, delivered, relayed, expanded
    status: str  # 5.1.1
    diagnostic: str

    @property
    def permanent(self) -> bool:
        return self.action == "failed" and not self.status.startswith("4")

    @property
    def temporary(self) -> bool:
        return self.action == "delayed" or (self.action == "failed" and self.status.startswith("4"))


def is_delivery_report(message: Message) -> bool:
    return (message.get_content_type() == "multipart/report"
            and str(message.get_param("report-type") or "").lower() == "delivery-status")


def deliveries(message: Message) -> list[Delivery]:
    """The per-recipient blocks of an RFC 3464 report."""
    found = []
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        blocks = part.get_payload()
        if not isinstance(blocks, list):  # some servers send it base64-encoded: parse it ourselves
            blocks = [email.message_from_bytes(chunk, policy=email.policy.compat32)
                      for chunk in re.split(rb"\r?\n\r?\n", _payload_bytes(part)) if chunk.strip()]
        for block in blocks:
            recipient = str(block.get("Final-Recipient") or block.get("Original-Recipient") or "")
            action = str(block.get("Action") or "").strip().lower()
            if not recipient or not action:
                continue  # the per-message block
            found.append(Delivery(recipient.partition(";")[2].strip().lower() or recipient.strip().lower(), action,
                                  str(block.get("Status") or "").strip().split(" ")[0],
                                  " ".join(str(block.get("Diagnostic-Code") or "").split())[:400]))
    return found


_AUTO_SUBJECT = re.compile(
    r"^\s*(out of (the )?office|automatic reply|auto[- ]?reply|autoreply|away from|vacation|"
    r"trả lời tự động|thư trả lời tự động|vắng mặt|đang đi vắng|không có mặt tại văn phòng|nghỉ phép)",
    re.IGNORECASE)


def auto_reply_reason(message: Message) -> str | None:
    """Why `message` looks automatic (RFC 3834 and common practice), or None."""
    auto_submitted = header_text(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress-Reply"):
        if message.get(name) is not None:
            return f"{name} header"
    precedence = header_text(message, "Precedence").lower()
    if precedence in ("auto_reply", "bulk", "junk", "list"):
        return f"Precedence: {precedence}"
    subject = header_text(message, "Subject")
    if _AUTO_SUBJECT.match(subject):
        return f"subject {subject[:80]!r}"
    return None


_QUOTE_START = re.compile(
    r"^(On .{0,300} wrote:|Vào .{0,300} (đã )?viết:|-+\s*Original Message\s*-+|-+\s*Thư gốc\s*-+|"
    r"From: .+|Từ: .+|________________________________)\s*$", re.IGNORECASE)


def reply_text(message: Message, limit: int = 20_000) -> str:
    """A person's reply as plain text without the quoted history (HTML reduced to its text)."""
    try:
        part = message.get_body(preferencelist=("plain", "html"))
    except (AttributeError, KeyError):
        part = None
    if part is None:
        return ""
    try:
        text = part.get_content()
    except (LookupError, ValueError, AssertionError):
        text = _payload_bytes(part).decode("utf-8", "replace")
    if part.get_content_type() == "text/html":
        text = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", text)
        text = re.sub(r"(?i)<br\s*/?>|</p>|</div>", "\n", text)
        text = nh3.clean(text, tags=set())  # no markup survives; entities stay escaped for HTML use
        text = html.unescape(text)
    kept = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if _QUOTE_START.match(line.strip()):
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    return "\n".join(kept).strip().replace("\x00", "")[:limit]
