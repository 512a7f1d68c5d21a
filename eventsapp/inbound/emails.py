"""The forward of a person's reply to the organisers: a short note, the reply's text, the original attached;
and the request to confirm an answer by mail whose sender could not be verified.

The original is attached untouched (message/rfc822); the note quotes only the plain text we kept
(never the reply's HTML). `Reply-To` is the person, so the organiser's answer goes to them.
"""
from __future__ import annotations

from flask import current_app
from flask_babel import force_locale

from .. import links, salutations
from ..extensions import db
from ..i18n import gettext as _
from ..invitations.emails import mail_locale, sender
from ..mail.compose import Mail, Multipart, Part, text_part
from ..mail.models import MessageKind, OutboxMessage
from ..mail.renderers import renderer
from ..mail.transport import PermanentFailure
from .labels import CLAIM_LABELS
from .models import InboundMessage


@renderer(MessageKind.INBOUND_FORWARD)
def render_forward(message: OutboxMessage) -> Mail:
    inbound = db.session.get(InboundMessage, (message.payload or {}).get("inbound_id"))
    if inbound is None:
        raise PermanentFailure("the received message no longer exists")
    event = inbound.event
    with force_locale("vi"):
        title = event.title("vi") if event else ""
        subject = (_("Reply about %(title)s: %(subject)s", title=title, subject=inbound.subject) if event
                   else _("Reply received: %(subject)s", subject=inbound.subject))
        note = "\n".join([
            _("%(sender)s replied to a message from eventsapp.", sender=inbound.from_address or "?"),
            _("Event: %(title)s", title=title) if event else "",
            "", inbound.body_text or _("(no text)"), "",
            _("The original message is attached. Answering this e-mail writes to the sender."),
        ])
    raw = bytes(inbound.raw).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n").rstrip(b"\r\n")
    original = Part("message/rfc822", raw, transfer_encoding="7bit" if raw.isascii() else "8bit",
                    disposition="attachment", filename="original.eml")
    mail = Mail(Multipart("mixed", [text_part(note), original]))
    mail["Subject"] = " ".join(subject.split())[:300]
    mail["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    mail["To"] = message.recipient
    if inbound.from_address:
        mail["Reply-To"] = inbound.from_address
    return mail


@renderer(MessageKind.ANSWER_CHECK)
def render_answer_check(message: OutboxMessage) -> Mail:
    """To the invitee's address we hold: an answer (or opt-out) arrived by mail in their name without
    proof that they sent it; nothing was changed, the link does it if it was them."""
    inbound = db.session.get(InboundMessage, (message.payload or {}).get("inbound_id"))
    contact = inbound.contact if inbound is not None else None
    if contact is None or contact.email != message.recipient:
        raise PermanentFailure("the contact of the received message is gone or has another address now")
    locale = mail_locale(contact)
    invitation, event = inbound.invitation, inbound.event
    with force_locale(locale):
        if inbound.claim == "unsubscribe" or invitation is None:
            subject = _("Please confirm: stop receiving our e-mail")
            asked = _("We received an e-mail in your name asking us to stop sending you e-mail.")
            action = _("If it was you, please confirm on this page: %(url)s", url=links.unsubscribe_url(contact))
        else:
            title = event.title(locale) if event else ""
            subject = _("Please confirm your answer: %(title)s", title=title)
            asked = _("We received an e-mail in your name answering “%(answer)s” to the invitation to %(title)s.",
                      answer=str(CLAIM_LABELS.get(inbound.claim, inbound.claim)), title=title)
            action = _("If it was you, please confirm your answer on this page: %(url)s",
                       url=links.rsvp_url(invitation, answer=inbound.claim or None))
        text = "\n\n".join([
            salutations.greeting(contact, locale), asked,
            _("We could not verify that it came from you, so nothing has been changed."), action,
            _("If you did not send it, you need not do anything."),
        ])
        association = event.association if event is not None else None
        name, address = sender(association) if association is not None else (None, None)
        mail = Mail(text_part(text))
        mail["Subject"] = " ".join(subject.split())[:300]
        mail["From"] = (association.name(locale) or name, address) if association is not None else \
            current_app.config["MAIL_DEFAULT_SENDER"]
        mail["To"] = (contact.full_name, contact.email)
        mail["Auto-Submitted"] = "auto-generated"  # vacation responders must not answer it (RFC 3834)
    return mail
