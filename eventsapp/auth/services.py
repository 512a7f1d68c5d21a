"""Accounts: creation, authentication and API tokens (used by views, API and CLI)."""
from __future__ import annotations

import functools
import logging
import secrets

import email_validator
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..timeutils import utcnow
from .models import ApiToken, User

logger = logging.getLogger(__name__)


class AccountError(ValueError):
    """A rule about accounts was broken; the (translated) message is shown to the user."""


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def check_address(email: str) -> str:
    """The one rule for an account's e-mail address, applied by the sign-in and account forms
    (`forms.AccountAddress`) and by `create_user` (the CLI, the admin pages): a syntactically valid
    address on a real domain (email-validator, which also refuses special-use names such as `.test`
    and `localhost`), no DNS lookup. Returns the address normalised; raises AccountError."""
    address = normalise_email(email)
    try:
        email_validator.validate_email(address, check_deliverability=False)
    except email_validator.EmailNotValidError:
        raise AccountError(_l("This is not a valid e-mail address.")) from None
    return address


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def create_user(email: str, password: str, *, name: str = "", is_admin: bool = False,
                locale: str = "vi", timezone: str = "Asia/Ho_Chi_Minh") -> User:
    """Create a staff account; the caller commits."""
    email = check_address(email)
    if find_user(email) is not None:
        raise AccountError(_l("An account for %(email)s already exists.", email=email))
    if len(password or "") < 8:
        raise AccountError(_l("The password must have at least 8 characters."))
    user = User(email=email, name=name or email.split("@")[0], is_admin=is_admin, locale=locale, timezone=timezone)
    user.set_password(password)
    db.session.add(user)
    return user


# The one password check of a sign-in (a seam: tests count its calls).
verify_password = check_password_hash


@functools.cache
def dummy_password_hash() -> str:
    """A hash of a random password, made like real ones (werkzeug's default scrypt), checked
    for unknown accounts so that they cost the same time as a wrong password."""
    return generate_password_hash(secrets.token_urlsafe(16))


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None (same answer for both mistakes).

    Exactly one password hash is verified whatever the account: an unknown or inactive
    account checks the dummy hash, so the answer's timing does not tell whether it exists."""
    user = find_user(email)
    stored = user.password_hash if user is not None else dummy_password_hash()
    matches = verify_password(stored, password or "")
    if user is None or not user.is_active or not matches:
        logger.info("failed sign-in for %s", normalise_email(email))
        # The account tried, when it exists; an unknown address is not written down (it may be anyone's).
        audit.record("sign_in_failed", ("users", user.id) if user is not None else None)
        return None
    user.last_login_at = utcnow()
    audit.record("sign_in", user, actor=user)
    return user


def load_session_user(session_id: str) -> User | None:
    """The user a session (or remember cookie) id "<id>:<version>" names, if that session has
    not been ended since (sign-out, new password); None otherwise, and then it is signed out."""
    user_id, _, version = (session_id or "").partition(":")
    if not (user_id.isascii() and user_id.isdigit() and version.isascii() and version.isdigit()):
        return None
    if int(user_id) > 2**31 - 1 or len(version) > 12:  # beyond the integer columns
        return None
    user = db.session.get(User, int(user_id))
    if user is None or (user.session_version or 0) != int(version):
        return None
    return user


def end_sessions(user: User) -> None:
    """Sign `user` out everywhere: every cookie issued so far stops working (the caller commits)."""
    user.end_sessions()


def issue_api_token(user: User, name: str = "") -> str:
    """Create and commit an API token for `user`; returns the clear token (shown once)."""
    _, clear = ApiToken.issue(user, name)
    db.session.commit()
    return clear
