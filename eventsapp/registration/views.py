"""Open registration: the form on an event's public page, the confirmation link, and the organiser's page
(settings, registrations waiting for a decision)."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import refresh
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required
from markupsafe import Markup

from .. import navigation
from ..events.access import load_event, load_of_event
from ..events.services import public_event
from ..extensions import db, limiter
from ..i18n import current_locale
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..invitations.emails import status_label
from ..invitations.forms import ConfirmForm
from ..permissions import Action, can
from ..questions import services as questions
from ..questions.models import Audience
from . import services
from .forms import CodeForm, DecisionForm, RegistrationForm, SettingsForm
from .models import Registration, RegistrationState

bp = Blueprint("registration", __name__)

navigation.register_tab("event", "registration.manage", _l("Registration"), order=36)

STATE_LABELS = {RegistrationState.UNCONFIRMED: _l("Not confirmed"), RegistrationState.PENDING: _l("Waiting for approval"),
                RegistrationState.ACCEPTED: _l("Accepted"), RegistrationState.DECLINED: _l("Declined")}


# ------------------------------------------------------------------ public: the form

def _open_event(slug: str):
    event = public_event(slug)
    if event is None:
        abort(404)
    return event


def _form_page(event, form: RegistrationForm, question_errors: dict | None = None, status: int = 200):
    return render_template("registration/form.html", event=event, form=form, locale=current_locale(),
                           sms=services.sms_possible(),
                           closed=services.closed_reason(event),
                           question_fields=questions.fields(event.id, Audience.INVITEE, None,
                                                            form=request.form if request.method == "POST" else None,
                                                            errors=question_errors)), status


@bp.app_template_global()
def registration_box(event) -> Markup:
    """The registration form for the event's public page, when the event takes registrations."""
    if services.closed_reason(event):
        return Markup("")
    form = RegistrationForm()
    return Markup(render_template("registration/_box.html", event=event, form=form, locale=current_locale(),
                                  sms=services.sms_possible(),
                                  question_fields=questions.fields(event.id, Audience.INVITEE, None)))


def _address_key() -> str:
    """The address registered (or, without one, the phone number): nobody floods one inbox or phone."""
    address = (request.form.get("email") or "").strip().lower() or "".join(
        ch for ch in request.form.get("phone") or "" if ch.isdigit())
    return "registration-address:" + address[:254]


@bp.get("/e/<slug>/register")
def form(slug: str):
    event = _open_event(slug)
    return _form_page(event, RegistrationForm())


@bp.post("/e/<slug>/register")
@limiter.limit(lambda: current_app.config["REGISTRATION_RATE_LIMIT_PER_CLIENT"], key_func=get_remote_address,
               scope="registration-client")
@limiter.limit(lambda: current_app.config["REGISTRATION_RATE_LIMIT_PER_ADDRESS"], key_func=_address_key,
               scope="registration-address")
def register(slug: str):
    """Keep the registration and send the confirmation link; everyone who sends a valid form sees the same page,
    whether or not the address is known (nothing here reads the contacts)."""
    event = _open_event(slug)
    form = RegistrationForm()
    form.limit_guests(event.max_guests or 0)
    if services.closed_reason(event):
        return _form_page(event, form, status=409)
    values, question_errors = questions.check_form(event.id, Audience.INVITEE, request.form)
    if not form.validate_on_submit() or question_errors:
        return _form_page(event, form, question_errors, status=400)
    person = services.Person(full_name=form.full_name.data.strip(), email=form.email.data or "",
                             phone=form.phone.data or "",
                             language=current_locale(), guests=form.guests.data or 0,
                             answers={str(key): value for key, value in values.items() if value is not None})
    try:
        registration = services.register(event, person)
    except services.RegistrationError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
        return _form_page(event, form, status=409)
    db.session.commit()
    if not registration.email:  # by phone: the code goes by SMS, typed on the next page
        return redirect(url_for("registration.code", slug=event.slug, token=services.code_token_for(registration)),
                        code=303)
    return render_template("registration/sent.html", event=event, email=person.email.strip().lower())


@bp.route("/e/<slug>/register/confirm/<token>", methods=["GET", "POST"])
def confirm(slug: str, token: str):
    """The link sent to the address: a page with one button (a link scanner's GET confirms nothing)."""
    event = _open_event(slug)
    registration = services.by_token(token, event)
    if registration is None:
        return render_template("registration/unknown.html", event=event), 404
    g.locale_override = registration.language
    refresh()
    error = None
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        try:
            services.confirm(registration)
        except services.RegistrationError as refused:
            db.session.rollback()
            error = str(refused.message)
        else:
            db.session.commit()
    return render_template("registration/confirm.html", event=event, registration=registration, error=error,
                           confirm=ConfirmForm(), locale=registration.language, RegistrationState=RegistrationState,
                           status_label=status_label)


def _masked(phone: str) -> str:
    """A number as the code page shows it: enough for its owner to recognise, not to read it off the screen."""
    return phone[:3] + "•" * max(0, len(phone) - 6) + phone[-3:]


@bp.route("/e/<slug>/register/code/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REGISTRATION_CODE_RATE_LIMIT_PER_CLIENT"], key_func=get_remote_address,
               scope="registration-code", methods=["POST"])
def code(slug: str, token: str):
    """Where a person who registered by phone types the code of their SMS; the code does what the link does."""
    event = _open_event(slug)
    registration = services.by_code_token(token, event)
    if registration is None:
        return render_template("registration/unknown.html", event=event), 404
    g.locale_override = registration.language
    refresh()
    form, error, status = CodeForm(), None, 200
    if request.method == "POST" and form.validate_on_submit():
        try:
            services.confirm_code(registration, form.code.data)
        except services.CodeRefused as refused:
            db.session.commit()  # the wrong try counts
            error, status = str(refused.message), 400
        except services.RegistrationError as refused:
            db.session.rollback()
            error, status = str(refused.message), 409
        else:
            db.session.commit()
    elif request.method == "POST":
        if form.csrf_token.errors:
            abort(400)
        status = 400
    if registration.state != RegistrationState.UNCONFIRMED:
        return render_template("registration/confirm.html", event=event, registration=registration, error=None,
                               confirm=ConfirmForm(), locale=registration.language,
                               RegistrationState=RegistrationState, status_label=status_label)
    return render_template("registration/code.html", event=event, registration=registration, form=form,
                           error=error, phone=_masked(registration.phone), locale=registration.language), status


# ------------------------------------------------------------------ organisers

@bp.route("/events/<int:event_id>/registration", methods=["GET", "POST"])
@login_required
def manage(event_id: int):
    event = load_event(event_id, Action.VIEW if request.method == "GET" else Action.MANAGE)
    settings = services.settings_of(event.id)
    form = SettingsForm(obj=settings) if request.method == "GET" else SettingsForm()
    if request.method == "POST" and form.validate_on_submit():
        services.save_settings(event, is_open=bool(form.is_open.data), needs_approval=bool(form.needs_approval.data))
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("registration.manage", event_id=event.id), code=303)
    return render_template("registration/manage.html", event=event, form=form, settings=settings,
                           registrations=services.registrations(event.id),
                           unconfirmed=services.unconfirmed_count(event.id), decision=DecisionForm(),
                           state_labels=STATE_LABELS, status_label=status_label,
                           closed=services.closed_reason(event, settings),
                           can_manage=can(current_user, Action.MANAGE, event.association_id))


@bp.post("/events/<int:event_id>/registrations/<int:registration_id>/<decision>")
@login_required
def decide(event_id: int, registration_id: int, decision: str):
    """Accept or decline a registration waiting for approval, with a message to the person."""
    if decision not in ("accept", "decline"):
        abort(404)
    event = load_event(event_id, Action.MANAGE)
    registration = load_of_event(Registration, registration_id, event)
    form = DecisionForm()
    if not form.validate_on_submit():
        for error in form.message.errors:
            flash(error, "danger")
        return redirect(url_for("registration.manage", event_id=event.id), code=303)
    try:
        services.decide(registration, decision == "accept", (form.message.data or "").strip())
    except (services.RegistrationError, services.invitations.InvitationError) as error:
        db.session.rollback()
        flash(str(error.message), "danger")
    else:
        db.session.commit()
        flash(_("%(name)s: %(state)s.", name=registration.full_name, state=STATE_LABELS[registration.state]), "success")
    return redirect(url_for("registration.manage", event_id=event.id), code=303)
