"""Accounts: creation, authentication and API tokens (used by views, API and CLI)."""
from __future__ import annotations

import logging

from sqlalchemy import func, select

from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..timeutils import utcnow
from .models import ApiToken, User

logger = logging.getLogger(__name__)


class AccountError(ValueError):
    """A rule about accounts was broken; the (translated) message is shown to the user."""


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def create_user(email: str, password: str, *, name: str = "", is_admin: bool = False,
                locale: str = "vi", timezone: str = "Asia/Ho_Chi_Minh") -> User:
    """Create a staff account; the caller commits."""
    email = normalise_email(email)
    if find_user(email) is not None:
        raise AccountError(_l("An account for %(email)s already exists.", email=email))
    if len(password or "") < 8:
        raise AccountError(_l("The password must have at least 8 characters."))
    user = User(email=email, name=name or email.split("@")[0], is_admin=is_admin, locale=locale, timezone=timezone)
    user.set_password(password)
    db.session.add(user)
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None (same answer for both mistakes)."""
    user = find_user(email)
    if user is None or not user.is_active or not user.check_password(password):
        logger.info("failed sign-in for %s", normalise_email(email))
        return None
    user.last_login_at = utcnow()
    return user


def issue_api_token(user: User, name: str = "") -> str:
    """Create and commit an API token for `user`; returns the clear token (shown once)."""
    _, clear = ApiToken.issue(user, name)
    db.session.commit()
    return clear
