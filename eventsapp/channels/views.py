"""Short links, the gateways' webhooks, an event's channels (order and report), an association's Zalo templates."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import links, navigation
from ..associations.access import load_association
from ..events.access import load_event
from ..extensions import csrf, db
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..invitations.models import Invitation
from ..mail.models import Channel, OutboxMessage
from ..permissions import Action, can
from . import receipts, reports, services
from .forms import ChannelOrderForm, ZaloTemplateForm
from .models import ShortLink
from .texts import CHANNEL_KINDS, ZALO_SOURCES

bp = Blueprint("channels", __name__)

navigation.register_tab("event", "channels.event_channels", _l("Channels"), order=62)


# ---------------------------------------------------------------- short links

@bp.get("/r/<code>")
def short_link(code: str):
    """An SMS's short link: the invitation's RSVP page (404 for an unknown code or a revoked invitation)."""
    if len(code) > 24:
        abort(404)
    invitation = db.session.scalar(select(Invitation).join(ShortLink, ShortLink.invitation_id == Invitation.id)
                                   .where(ShortLink.code == code))
    if invitation is None or invitation.revoked_at is not None:
        abort(404)
    return redirect(links.rsvp_url(invitation), code=302)


# ---------------------------------------------------------------- webhooks (signed by the gateways, no session)

def _called_url() -> str:
    """The URL the gateway called, as it knows it (our public address, not the proxy's inside one)."""
    query = request.query_string.decode()
    return links.absolute(request.path) + (f"?{query}" if query else "")


@bp.post("/hooks/twilio/status")
@csrf.exempt
def twilio_status():
    """Twilio's delivery receipt (MessageStatus of MessageSid); 403 when the signature does not verify."""
    params = request.form.to_dict()
    if not receipts.twilio_signature_ok(_called_url(), params, request.headers.get("X-Twilio-Signature", "")):
        abort(403)
    status = receipts.TWILIO_STATES.get(params.get("MessageStatus", ""))
    if status is not None:
        row = receipts.by_provider_id("twilio", params.get("MessageSid", ""))
        receipts.apply(row, status, f"Twilio {params.get('ErrorCode', '')}: {params.get('MessageStatus')}")
    return "", 204


@bp.post("/hooks/twilio/inbound")
@csrf.exempt
def twilio_inbound():
    """An SMS a person sent to our Twilio number: STOP (or its usual synonyms) opts them out of every channel."""
    params = request.form.to_dict()
    if not receipts.twilio_signature_ok(_called_url(), params, request.headers.get("X-Twilio-Signature", "")):
        abort(403)
    if receipts.is_stop(params.get("Body", "")):
        receipts.opt_out_phone(params.get("From", ""))
    return current_app.response_class("<Response/>", mimetype="text/xml")


@bp.get("/hooks/esms/<int:row_id>/<token>")
@csrf.exempt
def esms_callback(row_id: int, token: str):
    """eSMS's receipt: a GET of the callback link given with the message (our HMAC of the row in the path)."""
    if not receipts.esms_token_ok(row_id, token):
        abort(403)
    row = db.session.get(OutboxMessage, row_id)
    sms_id = request.args.get("SMSID", "")
    if row is None or row.provider != "esms" or not sms_id or sms_id != row.provider_message_id:
        return "", 204  # another message's id: nothing to apply
    delivered = request.args.get("SendStatus") == "5" and request.args.get("SendSuccess", "0") not in ("", "0")
    receipts.apply(row, receipts.DELIVERED if delivered else receipts.UNDELIVERED,
                   f"eSMS: not delivered (status {request.args.get('SendStatus', '?')})")
    return "", 204


@bp.post("/hooks/zalo")
@csrf.exempt
def zalo_webhook():
    """Zalo's webhook (user_received_message): signed in X-ZEvent-Signature."""
    signature = request.headers.get("X-ZEvent-Signature", "")
    if not signature.startswith("mac="):
        abort(403)
    body = request.get_data(cache=True)
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        abort(400)
    if not receipts.zalo_signature_ok(body, str(payload.get("timestamp", "")),
                                      signature):
        abort(403)
    message = payload.get("message") if isinstance(payload.get("message"), dict) else {}
    if payload.get("event_name") == "user_received_message":
        receipts.apply(receipts.by_provider_id("zalo", str(message.get("msg_id", ""))), receipts.DELIVERED)
    return "", 200


# ---------------------------------------------------------------- an event's channels

@bp.route("/events/<int:event_id>/channels", methods=["GET", "POST"])
@login_required
def event_channels(event_id: int):
    """The order an event's messages try their channels in, and what each channel did (report and cost)."""
    event = load_event(event_id, Action.VIEW)
    can_manage = can(current_user, Action.MANAGE, event.association_id)
    form = ChannelOrderForm(data={"order": services.order_names(event.id)})
    if request.method == "POST":
        load_event(event_id, Action.MANAGE)
        if form.validate_on_submit():
            services.save_order(event.id, form.order.data)
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for(".event_channels", event_id=event.id), code=303)
    return render_template("channels/event.html", event=event, form=form, can_manage=can_manage,
                           report=reports.event_report(event.id), channels=list(Channel),
                           sends=reports.recent_sends_by_channel(event.id)), 400 if form.errors else 200


# ---------------------------------------------------------------- an association's Zalo templates

@bp.route("/associations/<slug>/zalo", methods=["GET", "POST"])
@login_required
def zalo_templates(slug: str):
    """The ZNS templates (approved by Zalo) an association's messages use, one per kind of message."""
    association = load_association(slug, Action.VIEW)
    can_manage = can(current_user, Action.MANAGE, association.id)
    templates = services.templates_of(association.id)
    form = ZaloTemplateForm()
    if request.method == "POST":
        load_association(slug, Action.MANAGE)
        if form.validate_on_submit():
            services.save_template(association.id, form)
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for(".zalo_templates", slug=association.slug), code=303)
    return render_template("channels/zalo.html", association=association, form=form, templates=templates,
                           kinds=CHANNEL_KINDS, sources=ZALO_SOURCES, can_manage=can_manage), \
        400 if form.errors else 200
