"""The addresses mail comes back to, the signed tags that tie a returning message to one we sent, and
the secret in every Message-ID.

`MAIL_REPLY_ADDRESS` (say `rsvp@events.example.vn`) is the ORGANIZER of every invitation, the
`Reply-To` of every message and the base of the envelope sender. Each outbox message is sent with
`rsvp+m<outbox id>.<mac>@events.example.vn` as its envelope sender (VERP: a bounce goes there) and
its `Reply-To` (a person's answer goes there), the mac an HMAC of the id with SECRET_KEY: a bounce
or reply to that address maps to exactly that message, and nobody can forge one for another message.
The mailbox behind the base address receives the tagged ones too (plus-addressing, `+` as
Postfix's `recipient_delimiter`).

A reply without a tag is linked to the message it answers only through `In-Reply-To`/`References`,
so every Message-ID carries a secret of its own (`<outbox.<id>.<32 hex>@domain>`, drawn per row by
the database when the sender claims it): knowing your own message's id tells nothing about another's.
"""
from __future__ import annotations

import hashlib
import hmac
import re

from flask import current_app
from sqlalchemy import String, cast, func

_TAG = re.compile(r"^m(\d{1,18})\.([0-9a-f]{16})$")
_MESSAGE_ID = re.compile(r"^<outbox\.\d{1,18}\.[0-9a-f]{32}@[^<>\s]{1,250}>$")


def reply_address() -> str | None:
    """The configured base address, or None when inbound mail is not set up."""
    value = (current_app.config.get("MAIL_REPLY_ADDRESS") or "").strip()
    return value if "@" in value else None


def organizer_address(fallback: str) -> str:
    """The ORGANIZER of invitations: the reply address (calendar apps send their answers there)."""
    return reply_address() or fallback


def _mac(message_id: int) -> str:
    key = current_app.config["SECRET_KEY"].encode("utf-8")
    return hmac.new(key, f"outbox:{message_id}".encode("ascii"), hashlib.sha256).hexdigest()[:16]


def tagged_address(message_id: int) -> str | None:
    """`<local>+m<id>.<mac>@<domain>` for outbox message `message_id` (None without a reply address)."""
    base = reply_address()
    if base is None:
        return None
    local, _, domain = base.rpartition("@")
    return f"{local}+m{message_id}.{_mac(message_id)}@{domain}"


def _split(address: str) -> tuple[str, str, str] | None:
    local, at, domain = address.strip().strip("<>").rpartition("@")
    if not at:
        return None
    base, _, tag = local.partition("+")
    return base.lower(), tag.lower(), domain.lower()


def is_ours(address: str) -> bool:
    """Whether `address` is the reply address, tagged or not."""
    base = reply_address()
    parts, ours = _split(address or ""), _split(base or "")
    return bool(parts and ours and (parts[0], parts[2]) == (ours[0], ours[2]))


def message_id_from(address: str) -> int | None:
    """The outbox id a tagged address names, when its mac verifies; None otherwise."""
    if not is_ours(address):
        return None
    match = _TAG.match(_split(address)[1])
    if match is None:
        return None
    message_id = int(match.group(1))
    return message_id if hmac.compare_digest(match.group(2), _mac(message_id)) else None


def tagged_recipient(addresses: list[str]) -> tuple[int | None, bool]:
    """(outbox id, whether a tag was present but did not verify) over a message's recipient addresses."""
    forged = False
    for address in addresses:
        if not is_ours(address):
            continue
        found = message_id_from(address)
        if found is not None:
            return found, False
        if _split(address)[1]:
            forged = True
    return None, forged



def message_id_secret(bind):
    """A SQL expression drawing 32 random hex digits per row (the Message-ID's secret), for `bind`'s database."""
    if bind.dialect.name == "postgresql":
        return func.replace(cast(func.gen_random_uuid(), String), "-", "")  # 122 bits from the OS's random source
    return func.lower(func.hex(func.randomblob(16)))


def has_secret(message_id: str) -> bool:
    """Whether `message_id` is one of ours with its own secret (older ids shared one token per batch)."""
    return bool(_MESSAGE_ID.match(message_id.strip()))
