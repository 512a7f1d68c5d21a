"""Sign in and out, with failed attempts limited per address, per account and address, and
(higher, over a longer period) per account, except from a browser that signed in to the account
before, whose attempts are counted on its device cookie instead (`devices`); signing out ends the
session server-side."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db, limiter, login_manager
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..redirects import safe_next
from . import devices, services
from .forms import LoginForm
from .models import User

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message_category = "warning"
login_manager.login_message = _l("Please sign in to see this page.")  # Flask-Login's own is English only


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The session's user (its id and session version, see `services.load_session_user`); none on API
    requests, which authenticate by bearer token only (`api.user_from_bearer_token`, Flask-Login's request loader)."""
    if request.blueprint == "api":
        return None
    return services.load_session_user(session_id)


def _account_key() -> str:
    return "account:" + services.normalise_email(request.form.get("email", ""))[:254]


def _account_and_address_key() -> str:
    return f"account-address:{get_remote_address()}:" + _account_key()


def _device_nonce() -> str | None:
    """The nonce of this browser's device cookie for the account being signed in to, if it has one."""
    return devices.nonce_for(services.normalise_email(request.form.get("email", ""))[:254])


def _device_key() -> str:
    return f"device:{_device_nonce()}"


def _failed(response) -> bool:
    """Only refused sign-ins count towards the limits (a success redirects)."""
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT_PER_ADDRESS"], methods=["POST"], deduct_when=_failed)
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT_PER_ACCOUNT_AND_ADDRESS"], methods=["POST"],
               key_func=_account_and_address_key, deduct_when=_failed)
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT_PER_ACCOUNT"], methods=["POST"], key_func=_account_key,
               deduct_when=_failed, exempt_when=lambda: _device_nonce() is not None)
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT_PER_DEVICE"], methods=["POST"], key_func=_device_key,
               deduct_when=_failed, exempt_when=lambda: _device_nonce() is None)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None:
            db.session.commit()
            login_user(user, remember=form.remember.data)
            return devices.remember(redirect(safe_next(request.args.get("next"))), services.normalise_email(user.email))
        db.session.commit()  # the failed attempt's audit entry
        flash(_("The e-mail or the password is wrong."), "danger")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    # Server-side: this session's cookie (and any copy of it) no longer signs anyone in.
    services.end_sessions(current_user._get_current_object())
    db.session.commit()
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))
