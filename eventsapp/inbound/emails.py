"""The forward of a person's reply to the organisers: a short note, the reply's text, the original attached.

The original is attached untouched (message/rfc822); the note quotes only the plain text we kept
(never the reply's HTML). `Reply-To` is the person, so the organiser's answer goes to them.
"""
from __future__ import annotations

from flask import current_app
from flask_babel import force_locale

from ..extensions import db
from ..i18n import gettext as _
from ..mail.compose import Mail, Multipart, Part, text_part
from ..mail.models import MessageKind, OutboxMessage
from ..mail.renderers import renderer
from ..mail.transport import PermanentFailure
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
