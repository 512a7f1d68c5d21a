"""The short numeric code that confirms a registration made with a phone number alone, sent by SMS.

Nothing secret is stored: the code is an HMAC (keyed with the app's secret key) of the registration's id and
the moment it was issued (`Registration.code_sent_at`), so the worker that writes the SMS and the page that
checks the code compute the same six digits. A code works for CODE_MAX_AGE, for one confirmation (the
registration is then confirmed: a second use changes nothing), and for MAX_ATTEMPTS wrong tries (counted on
the registration, under its row lock); the page's POST is rate-limited per client on top of that.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from flask import current_app

from ..timeutils import UTC, utcnow

DIGITS = 6
CODE_MAX_AGE = timedelta(minutes=15)
MAX_ATTEMPTS = 5


def _moment(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def code_for(registration_id: int, issued_at: datetime) -> str:
    """The code of registration `registration_id` issued at `issued_at` (DIGITS digits, leading zeros kept)."""
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"registration-code:{registration_id}:{_moment(issued_at)}".encode(), hashlib.sha256)
    return str(int.from_bytes(digest.digest()[:8], "big") % 10**DIGITS).zfill(DIGITS)


def usable(issued_at: datetime | None, attempts: int, now: datetime | None = None) -> bool:
    """Whether a code issued at `issued_at`, tried wrongly `attempts` times, may still confirm."""
    return issued_at is not None and attempts < MAX_ATTEMPTS and (now or utcnow()) - issued_at <= CODE_MAX_AGE


def matches(registration_id: int, issued_at: datetime, typed: str) -> bool:
    """Whether `typed` (spaces and dashes people add are ignored) is the code, compared in constant time."""
    cleaned = "".join(ch for ch in (typed or "")[:40] if ch not in " -\u00a0")
    return hmac.compare_digest(cleaned.encode(), code_for(registration_id, issued_at).encode())
