"""The registration's messages, in the language the person registered in: the link confirming it, and an
organiser's decision (with their message) — by e-mail, or by SMS to a registration made by phone (the code
that confirms it, see `codes`)."""
from __future__ import annotations

from flask_babel import force_locale

from .. import links
from ..channels.providers.base import PermanentFailure as ChannelFailure
from ..channels.texts import short_code, short_link_path, sms_text_for
from ..extensions import db
from ..i18n import gettext as _
from ..invitations.emails import sender
from ..mail.compose import Mail, text_part
from ..mail.models import MessageKind, OutboxMessage
from ..mail.renderers import renderer
from ..mail.transport import PermanentFailure
from ..timefmt import event_span
from . import codes, services
from .models import Registration, RegistrationState


def _registration(message: OutboxMessage) -> Registration:
    registration = db.session.get(Registration, (message.payload or {}).get("registration_id"))
    if registration is None or registration.email != message.recipient:
        raise PermanentFailure("the registration is gone")
    return registration


def _mail(registration: Registration, subject: str, text: str) -> Mail:
    event, locale = registration.event, registration.language
    name, address = sender(event.association)
    mail = Mail(text_part(text))
    mail["Subject"] = " ".join(subject.split())[:300]
    mail["From"] = (event.association.name(locale) or name, address)
    mail["To"] = (registration.full_name, registration.email)
    mail["Auto-Submitted"] = "auto-generated"
    return mail


@renderer(MessageKind.REGISTRATION)
def render_confirmation_link(message: OutboxMessage) -> Mail:
    """The link that confirms a registration; nothing is done until it is followed."""
    registration = _registration(message)
    event, locale = registration.event, registration.language
    with force_locale(locale):
        title = event.title(locale)
        text = "\n\n".join([
            _("Dear %(name)s,", name=registration.full_name),
            _("This address was given to register for %(title)s (%(when)s).", title=title,
              when=event_span(event, locale=locale)),
            _("To confirm the registration, please open this link within 3 days: %(url)s",
              url=services.confirm_url(registration)),
            _("If you did not register, you need not do anything: nothing is recorded without this confirmation."),
        ])
        return _mail(registration, _("Please confirm your registration: %(title)s", title=title), text)


@renderer(MessageKind.REGISTRATION_DECISION)
def render_decision(message: OutboxMessage) -> Mail:
    """An organiser's decision on a registration, with their message."""
    registration = _registration(message)
    event, locale = registration.event, registration.language
    with force_locale(locale):
        title = event.title(locale)
        if registration.state == RegistrationState.DECLINED:
            subject = _("Your registration: %(title)s", title=title)
            decision = _("We are sorry: your registration for %(title)s could not be accepted.", title=title)
        else:
            subject = _("Your registration is accepted: %(title)s", title=title)
            decision = _("Your registration for %(title)s is accepted. Your answer page and your check-in code "
                         "come in a separate e-mail.", title=title)
        parts = [_("Dear %(name)s,", name=registration.full_name), decision]
        if registration.message:
            parts.append(_("Message from the organisers:") + "\n" + registration.message)
        return _mail(registration, subject, "\n\n".join(parts))


def _by_phone(message: OutboxMessage) -> Registration:
    registration = db.session.get(Registration, (message.payload or {}).get("registration_id"))
    if registration is None or not registration.phone or registration.phone != message.recipient:
        raise ChannelFailure("the registration is gone")
    return registration


def _short_title(registration: Registration) -> str:
    title = registration.event.title(registration.language)
    return title if len(title) <= 60 else title[:59] + "…"  # each 70 characters of Vietnamese is another SMS


@sms_text_for(MessageKind.REGISTRATION)
def sms_code(message: OutboxMessage) -> str:
    """The code that confirms a registration made by phone (computed, never stored: see `codes`)."""
    registration = _by_phone(message)
    if registration.code_sent_at is None:
        raise ChannelFailure("the registration has no code")
    with force_locale(registration.language):
        return _("%(code)s is your code to confirm the registration for %(title)s. It works for 15 minutes.",
                 code=codes.code_for(registration.id, registration.code_sent_at), title=_short_title(registration))


@sms_text_for(MessageKind.REGISTRATION_DECISION)
def sms_decision(message: OutboxMessage) -> str:
    """An organiser's decision on a registration made by phone, with the start of their message."""
    registration = _by_phone(message)
    title = _short_title(registration)
    with force_locale(registration.language):
        if registration.state == RegistrationState.DECLINED:
            text = _("We are sorry: your registration for %(title)s could not be accepted.", title=title)
        else:
            text = _("Your registration for %(title)s is accepted.", title=title)
            if registration.invitation is not None:
                text += " " + _("Your answer page: %(url)s", url=links.absolute(
                    short_link_path(short_code(registration.invitation_id))))
        if registration.message:
            words = " ".join(registration.message.split())
            text += " " + (words if len(words) <= 160 else words[:159] + "…")
        return text
