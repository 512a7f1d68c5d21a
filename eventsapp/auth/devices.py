"""Device cookies (OWASP "Slow brute force: device cookies"): a browser that has signed in to an
account before carries a signed cookie naming that account (by a keyed digest, not the address) and a
random nonce. Its sign-in attempts to that account are counted on the nonce
(LOGIN_RATE_LIMIT_PER_DEVICE), not on the account-wide ceiling, so guessers from many addresses
cannot lock the owner out of their own browser; every other browser still meets the ceiling.

One cookie per browser, holding the last few accounts signed in there, sent to the sign-in page only.
"""
from __future__ import annotations

import hashlib
import secrets

from flask import current_app, request, url_for
from itsdangerous import BadData, URLSafeTimedSerializer

COOKIE_NAME = "eventsapp_device"
MAX_ACCOUNTS = 5  # a shared office computer: the last five accounts signed in on it
_SALT = "eventsapp.sign-in-device"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_SALT)


def _max_age() -> int:
    return int(current_app.config["LOGIN_DEVICE_COOKIE_DAYS"]) * 86_400


def account_tag(normalised_email: str) -> str:
    """The account as the cookie names it: a digest keyed with the secret key, so that the cookie does
    not show which addresses signed in on the browser."""
    key = hashlib.sha256(current_app.secret_key.encode()).digest()
    return hashlib.blake2b(normalised_email.encode(), key=key, digest_size=16).hexdigest()


def _entries() -> list[list[str]]:
    """The [account tag, nonce] pairs of this request's device cookie; none when absent, forged or expired."""
    value = request.cookies.get(COOKIE_NAME)
    if not value or len(value) > 4096:
        return []
    try:
        entries = _serializer().loads(value, max_age=_max_age())
    except BadData:
        return []
    if not isinstance(entries, list):
        return []
    return [entry for entry in entries
            if isinstance(entry, list) and len(entry) == 2 and all(isinstance(part, str) for part in entry)]


def nonce_for(normalised_email: str) -> str | None:
    """The nonce this browser's genuine device cookie holds for the account, or None (an untrusted browser)."""
    tag = account_tag(normalised_email)
    return next((nonce for account, nonce in _entries() if account == tag), None)


def remember(response, normalised_email: str):
    """After a successful sign-in: a fresh nonce for this account in the browser's device cookie."""
    tag = account_tag(normalised_email)
    entries = [[tag, secrets.token_urlsafe(16)]] + [entry for entry in _entries() if entry[0] != tag]
    response.set_cookie(
        COOKIE_NAME, _serializer().dumps(entries[:MAX_ACCOUNTS]), max_age=_max_age(), path=url_for("auth.login"),
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")), httponly=True, samesite="Lax",
    )
    return response
