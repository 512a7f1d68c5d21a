"""Delivery receipts and replies from the gateways: each checked as its provider documents, then applied once.

- Twilio signs every callback: X-Twilio-Signature = base64(HMAC-SHA1(auth token, the full URL it called +
  each POST parameter's name and value, sorted by name)).
- Zalo signs its webhook: X-ZEvent-Signature = "mac=" + hex SHA-256 of (app id + the raw body + the body's
  timestamp + the OA's secret key).
- eSMS signs nothing; it calls back the URL we gave with the message, which carries our HMAC of the row id
  (dispatch.callback_token), and the SMSID it names must be that row's.

An unauthenticated callback changes nothing. Applying a receipt is idempotent: a duplicate finds the row
already in that state. A failure reported after the gateway accepted the message fails the row and queues
the event's next channel, as a refusal would have.
"""
from __future__ import annotations

import base64
import hashlib
import hmac

from flask import current_app
from sqlalchemy import select, update

from ..contacts.models import Contact
from ..extensions import db
from ..mail.models import MessageState, OutboxMessage
from ..timeutils import utcnow
from . import dispatch

DELIVERED, UNDELIVERED = "delivered", "undelivered"
# Twilio's final MessageStatus values; "sent" means handed to the carrier, not delivered yet.
TWILIO_STATES = {"delivered": DELIVERED, "undelivered": UNDELIVERED, "failed": UNDELIVERED,
                 "sent": "sent", "read": DELIVERED}
STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "TU CHOI", "TUCHOI", "HUY", "DUNG"}


def _same(expected: str, given: str) -> bool:
    """A constant-time comparison; anything not ASCII is no signature of ours (compare_digest refuses it)."""
    return given.isascii() and hmac.compare_digest(expected, given)


def twilio_signature_ok(url: str, params: dict, signature: str) -> bool:
    token = current_app.config.get("TWILIO_AUTH_TOKEN") or ""
    if not token or not signature:
        return False
    data = url + "".join(f"{key}{params[key]}" for key in sorted(params))
    expected = base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()
    return _same(expected, signature)


def zalo_signature_ok(body: bytes, timestamp: str, header: str) -> bool:
    config = current_app.config
    app_id, secret = config.get("ZALO_APP_ID") or "", config.get("ZALO_OA_SECRET_KEY") or ""
    if not app_id or not secret or not header.startswith("mac="):
        return False
    expected = hashlib.sha256(app_id.encode() + body + timestamp.encode() + secret.encode()).hexdigest()
    return _same(expected, header[4:])


def esms_token_ok(row_id: int, token: str) -> bool:
    return _same(dispatch.callback_token(row_id), token)


def apply(row: OutboxMessage | None, status: str, reason: str = "") -> bool:
    """Record a receipt on `row`; True when something changed (False for a duplicate or an unknown row)."""
    if row is None or row.state not in (MessageState.SENT, MessageState.SENDING) or row.delivery_status == status:
        return False
    if row.delivery_status in (DELIVERED, UNDELIVERED):
        return False  # a final status stays (receipts may arrive out of order)
    now = utcnow()
    changed = db.session.execute(
        update(OutboxMessage).where(OutboxMessage.id == row.id, OutboxMessage.delivery_status == row.delivery_status)
        .values(delivery_status=status, updated_at=now, delivered_at=now if status == DELIVERED else None)
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    if changed and status == UNDELIVERED:
        woken = dispatch.record_failed(row.id, reason or "not delivered", states=(MessageState.SENT,))
        dispatch.wake(woken)
    return bool(changed)


def by_provider_id(provider: str, provider_id: str) -> OutboxMessage | None:
    if not provider_id:
        return None
    return db.session.scalar(select(OutboxMessage).where(OutboxMessage.provider_message_id == provider_id[:100],
                                                         OutboxMessage.provider == provider))


def opt_out_phone(phone: str) -> int:
    """Every contact with this mobile number opts out (of every channel); returns how many."""
    now = utcnow()
    count = db.session.execute(update(Contact).where(Contact.phone == phone, Contact.opted_out_at.is_(None))
                               .values(opted_out_at=now, updated_at=now)
                               .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return count


def is_stop(body: str) -> bool:
    return " ".join((body or "").upper().split()) in STOP_WORDS
