"""The e-mail log of an event, a send's progress (JSON, for progress bars), and in
development the browser of the outbox folder."""
from __future__ import annotations

import email
import email.parser
import email.policy
import re
import uuid
from pathlib import Path

import nh3
from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import navigation, query_args
from ..events.access import load_event, load_of_event
from ..extensions import db
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..permissions import Action, authorize, can, require_admin
from . import services
from .models import Channel, MessageKind, MessageState, OutboxMessage

bp = Blueprint("mail", __name__)

navigation.register_tab("event", "mail.event_log", _l("Message log"), order=60)


@bp.record_once
def _outbox_menu(state) -> None:
    if state.app.config.get("SHOW_OUTBOX"):  # development only
        navigation.register("mail.outbox", _l("Outbox"), order=95, admin_only=True)


PER_PAGE = 50
STATE_LABELS = {MessageState.QUEUED.value: _l("Queued"), MessageState.SENDING.value: _l("Sending"),
                MessageState.SENT.value: _l("Sent"), MessageState.FAILED.value: _l("Failed")}
KIND_LABELS = {kind.value: label for kind, label in (
    (MessageKind.INVITATION, _l("Invitation")), (MessageKind.CAMPAIGN_INVITATION, _l("Campaign invitation")),
    (MessageKind.UPDATE, _l("Update")), (MessageKind.CANCELLATION, _l("Cancellation")),
    (MessageKind.CONFIRMATION, _l("Confirmation")), (MessageKind.PROMOTION, _l("Off the waitlist")),
    (MessageKind.REMINDER, _l("Reminder")), (MessageKind.THANK_YOU, _l("Thank you")), (MessageKind.STAFF, _l("Staff")),
    (MessageKind.INBOUND_FORWARD, _l("Reply forwarded")),
    (MessageKind.ANSWER_CHECK, _l("Answer by e-mail to confirm")),
    (MessageKind.REGISTRATION, _l("Registration to confirm")),
    (MessageKind.REGISTRATION_DECISION, _l("Registration decision")),
    (MessageKind.TEST, _l("Test")),
    (MessageKind.DELEGATION, _l("Delegation link")),
    (MessageKind.DELEGATION_MEMBER, _l("Delegation member")),
)}


CHANNEL_LABELS = {Channel.EMAIL.value: _l("E-mail"), Channel.SMS.value: _l("SMS"), Channel.ZALO.value: _l("Zalo"),
                  Channel.PRINTED.value: _l("Printed card")}


@bp.record_once
def _channel_labels(state) -> None:
    # A global, not a context variable: the progress macros (imported without the page's context) show them.
    state.app.jinja_env.globals["mail_channel_labels"] = CHANNEL_LABELS


@bp.app_context_processor
def mail_labels():
    """What a kind and a state of message are called, for every page that lists messages."""
    return {"mail_kind_labels": KIND_LABELS, "mail_state_labels": STATE_LABELS}


@bp.get("/events/<int:event_id>/mail")
@login_required
def event_log(event_id: int):
    event = load_event(event_id, Action.VIEW)
    state, kind = request.args.get("state") or None, request.args.get("kind") or None
    channel = request.args.get("channel") or None
    search = (request.args.get("q") or "")[:254].strip() or None
    # At 100,000 messages a count reads them all: the tallies give the badges and the filtered total
    # (a search counts its matches, found through ix_outbox_event_recipient).
    cells = services.event_cells(event.id)
    page = query_args.paginate(
        services.log_query(event_id=event.id, state=state, kind=kind, channel=channel, search=search),
        per_page=PER_PAGE, key=OutboxMessage.id, options=(selectinload(OutboxMessage.contact),),
        total=None if services.recipient_prefixes(search) else services.log_total(cells, state=state, kind=kind,
                                                                                   channel=channel))
    return render_template(
        "mail/event_log.html", event=event, page=page, counts=services.counts_of(cells),
        state=state, kind=kind, channel=channel, search=search, channel_labels=CHANNEL_LABELS, state_labels=STATE_LABELS, kind_labels=KIND_LABELS, sends=services.recent_sends(event_ids=[event.id]),
        can_manage=can(current_user, Action.MANAGE, event.association_id),
    )


@bp.post("/events/<int:event_id>/mail/retry-failed")
@login_required
def retry_failed(event_id: int):
    event = load_event(event_id, Action.MANAGE)
    count = services.retry_failed(event_id=event.id)
    db.session.commit()
    flash(_("%(count)s failed messages queued again.", count=count) if count else _("No failed messages to retry."),
          "success" if count else "info")
    return redirect(url_for("mail.event_log", event_id=event.id))


@bp.post("/events/<int:event_id>/mail/<int:message_id>/resend")
@login_required
def resend(event_id: int, message_id: int):
    event = load_event(event_id, Action.MANAGE)
    message = load_of_event(OutboxMessage, message_id, event)
    copy = services.resend(message, send_id=uuid.uuid4().hex)  # a send of one, with its own bar
    db.session.commit()
    flash(_("The message to %(recipient)s is queued again.", recipient=copy.recipient), "success")
    return redirect(url_for("mail.event_log", event_id=event.id))


@bp.get("/mail/sends/<send_id>/progress")
@login_required
def send_progress(send_id: str):
    """Counts by state of one send, and by channel (mail.services.progress)."""
    association_id = services.send_owner_association_id(send_id)
    if association_id is None:
        if not db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.send_id == send_id).limit(1)):
            abort(404)
        require_admin()  # a send about no event or campaign (staff mail)
    else:
        authorize(Action.VIEW, association_id)
    return jsonify(services.progress(send_id))


# ---------------------------------------------------------------- development: the outbox folder

EML_NAME = re.compile(r"^[0-9a-f]{32}\.eml$")
SAFE_TAGS = nh3.ALLOWED_TAGS - {"img"}


def _outbox_dir() -> Path:
    if not current_app.config.get("SHOW_OUTBOX"):
        abort(404)
    require_admin()
    return Path(current_app.config["MAIL_OUTBOX_DIR"])


@bp.get("/mail/outbox/")
@login_required
def outbox():
    folder = _outbox_dir()
    files = sorted((p for p in folder.glob("*.eml") if EML_NAME.match(p.name)),
                   key=lambda p: p.stat().st_mtime, reverse=True)[:200] if folder.is_dir() else []
    parser = email.parser.BytesHeaderParser(policy=email.policy.default)
    items = []
    for path in files:
        with path.open("rb") as handle:
            headers = parser.parse(handle)
        items.append({"name": path.name, "subject": headers.get("Subject", ""), "to": headers.get("To", ""),
                      "date": headers.get("Date", "")})
    return render_template("mail/outbox.html", items=items, folder=folder)


@bp.get("/mail/outbox/<name>")
@login_required
def outbox_message(name: str):
    folder = _outbox_dir()
    path = folder / name
    if not EML_NAME.match(name) or not path.is_file():
        abort(404)
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    attachments = [part.get_filename() or part.get_content_type() for part in message.iter_attachments()]
    return render_template(
        "mail/outbox_message.html", name=name, message=message, attachments=attachments,
        text=text.get_content() if text else "",
        html=nh3.clean(html.get_content(), tags=SAFE_TAGS) if html else "",
    )
