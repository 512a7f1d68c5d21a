"""What an organiser checks before a bulk send: an invitee's e-mail as they will get it, and a test copy.

The preview runs the real renderer on an unsaved outbox row. A test goes through the outbox as a TEST row
to the organiser's own address; its renderer (`emails.render_test_mail`) renders the invitee's e-mail with
stand-ins for everything personal that acts (answer links, unsubscribe and feed links, the door's QR code),
so nothing done with the test copy touches the invitee's answer, subscription or check-in.
"""
from __future__ import annotations

import base64
import email
import uuid
from email import policy

from ..mail.models import MessageKind, OutboxMessage
from ..mail.renderers import render
from ..mail.services import queue_messages
from .models import Invitation

PREVIEW_KINDS = (MessageKind.INVITATION, MessageKind.UPDATE, MessageKind.CANCELLATION)
# A preview's HTML is shown in a sandboxed frame under this policy: no script, no request anywhere but
# images; inline styles allowed (e-mails carry their styles inline).
FRAME_POLICY = {"default-src": "'none'", "style-src": "'unsafe-inline'", "img-src": ["data:", "https:", "http:"],
                "frame-ancestors": "'self'", "base-uri": "'none'", "form-action": "'none'"}


def preview(invitation: Invitation, kind: MessageKind = MessageKind.INVITATION) -> dict:
    """The e-mail `invitation`'s invitee would get: subject, from, to, text, and HTML with inline images
    as data: URIs (their cid: references resolved). Raises the renderer's PermanentFailure when it would not
    be sent (e.g. the invitee unsubscribed)."""
    row = OutboxMessage(kind=kind, invitation_id=invitation.id, recipient=invitation.contact.email, payload={})
    return parse(bytes(render(row)))


def parse(raw: bytes) -> dict:
    message = email.message_from_bytes(raw, policy=policy.default)
    text = message.get_body(("plain",))
    html_part = message.get_body(("html",))
    html = html_part.get_content() if html_part else ""
    for part in message.walk():
        content_id = part.get("Content-ID")
        if content_id and part.get_content_maintype() == "image":
            data = base64.b64encode(part.get_payload(decode=True)).decode("ascii")
            html = html.replace(f"cid:{content_id.strip('<>')}", f"data:{part.get_content_type()};base64,{data}")
    return {"subject": str(message["Subject"] or ""), "from": str(message["From"] or ""),
            "to": str(message["To"] or ""), "text": text.get_content() if text else "", "html": html}


def queue_test(invitation: Invitation, recipient: str, kind: MessageKind = MessageKind.INVITATION) -> int:
    """Queue a test copy of `invitation`'s e-mail to `recipient` (the organiser); returns rows queued.

    Not tied to the event's counts or sends (no event, invitation or send id on the row)."""
    return queue_messages([{
        "kind": MessageKind.TEST, "dedupe_key": f"test:{invitation.id}:{uuid.uuid4().hex}", "recipient": recipient,
        "payload": {"invitation_id": invitation.id, "kind": MessageKind(kind).value},
    }])
