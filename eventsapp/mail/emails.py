"""The mail domain's own message: a note to a staff member (e.g. a test of the mail setup).

The row's payload carries the words: {"subject": ..., "text": ..., "html": optional}.
Its HTML part, when not given, is the text, escaped, in paragraphs.
"""
from __future__ import annotations

from html import escape

from flask import current_app

from .compose import Mail, Multipart, text_part
from .models import MessageKind, OutboxMessage
from .renderers import renderer


@renderer(MessageKind.STAFF)
def staff_message(message: OutboxMessage) -> Mail:
    payload = message.payload or {}
    try:
        subject, text = payload["subject"], payload["text"]
    except KeyError as missing:
        raise ValueError(f"a staff message needs {missing} in its payload") from None
    html = payload.get("html") or "".join(f"<p>{escape(part)}</p>" for part in text.split("\n\n"))
    email = Mail(Multipart("alternative", [
        text_part(text), text_part(f"<!doctype html><html><body>{html}</body></html>", "html")]))
    email["Subject"] = subject
    email["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    email["To"] = message.recipient
    return email
