"""The public RSVP and unsubscribe pages, and the organiser's invitation pages of an event and a campaign."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import refresh
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import func, select

from .. import links, navigation, spreadsheets
from ..calendars.core import single_event_calendar, to_ics
from ..campaigns.models import Campaign
from ..events.access import load_event
from ..events.models import EventStatus
from ..extensions import csrf, db
from ..i18n import current_locale, select_timezone
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..permissions import Action, accessible_associations, authorize
from . import reading, services
from .emails import map_url, sender, status_label
from .forms import ANSWER_CHOICES, ANSWER_VALUES, AddInviteesForm, AnswerForm, ConfirmForm
from .models import Invitation, InvitationStatus
from .reading import InvitationView

bp = Blueprint("invitations", __name__)

navigation.register_tab("event", "invitations.event_invitations", _l("Invitations"), order=30)
navigation.register_tab("campaign", "invitations.campaign_invitations", _l("Invitations"), order=30)

PAGE_SIZE = 200


# ------------------------------------------------------------------ public: RSVP

def _not_found():
    g.locale_override = "vi"
    refresh()
    return render_template("invitations/not_found.html"), 404


def _as_invitee(token: str) -> InvitationView | None:
    """The active invitation of an RSVP URL; its pages speak the invitee's language and show their zone."""
    view = reading.by_token(token)
    if view is not None and view.event.status == EventStatus.DRAFT:
        return None  # a draft event is not public, even to someone holding a link
    if view is not None:
        g.locale_override = view.language
        g.timezone_override = view.timezone
        refresh()
    return view


@dataclass(frozen=True)
class _Answer:
    """The answer the RSVP form shows: the invitee's current one, a preselected one, or the one refused."""

    status: str | None
    guests: int
    comment: str


@bp.get("/rsvp/<token>")
def rsvp(token: str):
    view = _as_invitee(token)
    if view is None:
        return _not_found()
    # A link scanner fetching ?answer=… only sees a preselected form: nothing is recorded.
    preselect = request.args.get("answer")
    if preselect in ANSWER_VALUES:
        status = preselect
    elif view.status == InvitationStatus.WAITLISTED:
        status = "accepted"
    else:
        status = view.status.value if view.status != InvitationStatus.PENDING else None
    return _rsvp_page(view, _Answer(status, view.guests, view.comment))


@bp.post("/rsvp/<token>")
def rsvp_answer(token: str):
    view = _as_invitee(token)
    if view is None:
        return _not_found()
    form = AnswerForm()
    if not services.answer_closed_reason(view.event) and form.validate_on_submit():
        try:
            status = services.answer(view, form.status.data, form.guests.data or 0, form.comment.data or "").status
        except services.InvitationError as error:
            db.session.rollback()
            view = reading.by_token(token)  # as it is now: revoked or deleted meanwhile, the page is gone
            if view is None:
                return _not_found()
            flash(str(error.message), "danger")
        else:
            db.session.commit()
            flash(_("Thank you, your answer is recorded: %(answer)s.", answer=status_label(status)),
                  "success" if status != InvitationStatus.WAITLISTED else "warning")
            return redirect(url_for("invitations.rsvp", token=token), code=303)
    answer = _Answer(form.status.data, form.guests.data or 0, form.comment.data or "")
    return _rsvp_page(view, answer, form.errors, status=400)


def _rsvp_page(view: InvitationView, answer: _Answer, errors: dict | None = None, status: int = 200):
    event, locale = view.event, view.language
    return render_template("invitations/rsvp.html", invitation=view, event=event, answer=answer, errors=errors or {},
                           closed=services.answer_closed_reason(event), choices=ANSWER_CHOICES,
                           status_label=status_label(view.status), locale=locale,
                           event_header=_event_header(event, locale),
                           ics_url=url_for("invitations.rsvp_ics", token=view.token),
                           feed_url=links.personal_feed_url(view)), status


_EVENT_HEADERS: dict[tuple, Markup] = {}
EVENT_HEADER_CACHE_SIZE = 256


def _event_header(event, locale: str) -> Markup:
    """The top of the RSVP page: association, title, time, place, deadline, in the current language and zone.

    Every invitee reading in the same language and zone sees the same one, so it is rendered once per
    version of the event and its association (their `updated_at` are part of the key: an edit shows at once).
    """
    association = event.association
    key = (event.id, event.updated_at, association.id, association.updated_at, locale, current_locale(),
           select_timezone())
    header = _EVENT_HEADERS.get(key)
    if header is None:
        if len(_EVENT_HEADERS) >= EVENT_HEADER_CACHE_SIZE:
            _EVENT_HEADERS.clear()  # mostly superseded versions of edited events; each is rebuilt on its next view
        header = _EVENT_HEADERS[key] = Markup(render_template(
            "invitations/_rsvp_event.html", event=event, locale=locale, map_url=map_url(event)))
    return header


@bp.get("/rsvp/<token>/event.ics")
def rsvp_ics(token: str):
    """The invitee's .ics of the event (METHOD:PUBLISH, with the organiser), for invite-only events too."""
    invitation = services.by_token(token)
    if invitation is None or invitation.event.status == EventStatus.DRAFT:
        return _not_found()
    event = invitation.event
    locale = invitation.contact.language
    name, address = sender(event.association)
    cal = single_event_calendar(event, method="PUBLISH", locale=locale, url=links.rsvp_url(invitation),
                                organizer_email=address, organizer_name=event.association.name(locale) or name)
    return Response(to_ics(cal), mimetype="text/calendar",
                    headers={"Content-Disposition": f'attachment; filename="{event.slug}.ics"',
                             "Cache-Control": "private, no-store"})


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058 one-click: mail clients POST "List-Unsubscribe=One-Click" without a form token
def unsubscribe(token: str):
    contact = services.contact_by_unsubscribe_token(token)
    if contact is None:
        return _not_found()
    g.locale_override = contact.language
    refresh()
    if request.method == "POST":
        services.unsubscribe(contact)
        db.session.commit()
        return render_template("invitations/unsubscribe.html", contact=contact, done=True)
    return render_template("invitations/unsubscribe.html", contact=contact, done=contact.opted_out_at is not None)


# ------------------------------------------------------------------ organiser: an event

def _add_form() -> AddInviteesForm:
    form = AddInviteesForm()
    form.association_id.choices = [(0, "—")] + [(a.id, a.name_vi) for a in accessible_associations(current_user, Action.VIEW)]
    return form


def criteria_from_form(form: AddInviteesForm) -> services.Criteria:
    if form.association_id.data:
        authorize(Action.VIEW, form.association_id.data)
    return services.Criteria(
        association_id=form.association_id.data or None, include_branches=bool(form.include_branches.data),
        tags=[t for t in [(form.tag.data or "").strip()] if t], country=(form.country.data or "").strip(),
        language=form.language.data or "", emails=services.parse_emails(form.emails.data or ""),
    )


def _flash_result(result: services.AddResult) -> None:
    flash(_("%(added)s invitees added; skipped: %(already)s already invited, %(opted)s unsubscribed, "
            "%(archived)s archived, %(unknown)s unknown addresses.", added=result.added,
            already=result.already_invited, opted=result.opted_out, archived=result.archived,
            unknown=len(result.unknown_emails)), "success" if result.added else "info")
    if result.unknown_emails:
        flash(_("Unknown addresses: %(list)s", list=", ".join(result.unknown_emails[:20])), "warning")


def _add_from_form(form: AddInviteesForm, association_id: int, add) -> bool:
    """Handle the add-invitees form; True when invitees were added (and committed)."""
    authorize(Action.MANAGE, association_id)
    if not form.validate_on_submit():
        return False
    criteria = criteria_from_form(form)
    if criteria.is_empty:
        flash(_("Choose at least one filter or enter e-mail addresses."), "warning")
        return False
    try:
        result = add(criteria)
    except services.InvitationError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
        return False
    db.session.commit()
    _flash_result(result)
    return True


def _flash_sent(queued: int) -> None:
    flash(_("%(n)s invitations are being sent.", n=queued) if queued else _("Everyone has been sent the invitation already."),
          "success" if queued else "info")


def _filters() -> dict:
    return {"status": request.args.get("status", ""), "honoree": request.args.get("honoree", ""),
            "q": request.args.get("q", "")}


def _invitations_page(event_ids, filters):
    query = services.invitation_query(event_ids, status=filters["status"], honoree=filters["honoree"],
                                      search=filters["q"])
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = list(db.session.scalars(query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).unique())
    return rows, total, page


@bp.route("/events/<int:event_id>/invitations", methods=["GET", "POST"])
@login_required
def event_invitations(event_id: int):
    event = load_event(event_id, Action.VIEW)
    form = _add_form()
    if request.method == "POST" and _add_from_form(form, event.association_id, lambda c: services.add_invitees(event, c, user=current_user)):
        return redirect(url_for("invitations.event_invitations", event_id=event.id), code=303)
    filters = _filters()
    rows, total, page = _invitations_page([event.id], filters)
    return render_template(
        "invitations/event.html", event=event, form=form, confirm=ConfirmForm(), filters=filters,
        counts=services.status_counts([event.id]), invitations=rows, total=total, page=page, page_size=PAGE_SIZE,
        last_messages=services.last_messages([i.id for i in rows]), sends=services.recent_sends([event.id]),
        statuses=list(InvitationStatus), status_label=status_label,
        can_manage=_can_manage(event.association_id),
    )


def _can_manage(association_id: int) -> bool:
    from ..permissions import can

    return can(current_user, Action.MANAGE, association_id)


@bp.post("/events/<int:event_id>/invitations/send")
@login_required
def send(event_id: int):
    event = load_event(event_id, Action.MANAGE)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        send_id, queued = services.send_invitations(event.id)
    except services.InvitationError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
        return redirect(url_for("invitations.event_invitations", event_id=event.id), code=303)
    db.session.commit()
    _flash_sent(queued)
    return redirect(url_for("invitations.event_invitations", event_id=event.id), code=303)


def _event_invitation(event_id: int, invitation_id: int) -> Invitation:
    event = load_event(event_id, Action.MANAGE)
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.event_id != event.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return invitation


@bp.post("/events/<int:event_id>/invitations/<int:invitation_id>/<action>")
@login_required
def invitation_action(event_id: int, invitation_id: int, action: str):
    if action not in ("resend", "revoke", "regenerate"):
        abort(404)
    invitation = _event_invitation(event_id, invitation_id)
    try:
        if action == "resend":
            services.resend(invitation)
            message = _("The invitation will be sent again to %(email)s.", email=invitation.contact.email)
        elif action == "revoke":
            services.revoke(invitation)
            message = _("The invitation link of %(name)s no longer works.", name=invitation.contact.full_name)
        else:
            services.regenerate_token(invitation)
            message = _("%(name)s has a new invitation link; the old one no longer works.", name=invitation.contact.full_name)
    except services.InvitationError as error:
        db.session.rollback()
        flash(str(error.message), "danger")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(url_for("invitations.event_invitations", event_id=event_id, **_filters()), code=303)


def _csv_response(invitations, filename: str) -> Response:
    header = ["Sự kiện", "Họ và tên", "Email", "Quốc gia", "Ngôn ngữ", "Trạng thái", "Số khách đi cùng",
              "Người được vinh danh", "Ghi chú", "Thời điểm trả lời (UTC)", "Đã thu hồi"]
    rows = ([invitation.event.title_vi, invitation.contact.full_name, invitation.contact.email,
             invitation.contact.country, invitation.contact.language, invitation.status.value, invitation.guests,
             "có" if invitation.is_honoree else "", invitation.comment,
             invitation.answered_at.strftime("%Y-%m-%d %H:%M") if invitation.answered_at else "",
             "có" if invitation.revoked_at else ""] for invitation in invitations)
    return Response(spreadsheets.csv_text([header, *rows]), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/events/<int:event_id>/invitations.csv")
@login_required
def export_csv(event_id: int):
    event = load_event(event_id, Action.VIEW)
    filters = _filters()
    query = services.invitation_query([event.id], status=filters["status"], honoree=filters["honoree"],
                                      search=filters["q"])
    return _csv_response(db.session.scalars(query).unique(), f"invitations-{event.slug}.csv")


# ------------------------------------------------------------------ organiser: a campaign

def _load_campaign(campaign_id: int, action: Action) -> Campaign:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    authorize(action, campaign.association_id)
    return campaign


@bp.route("/campaigns/<int:campaign_id>/invitations", methods=["GET", "POST"])
@login_required
def campaign_invitations(campaign_id: int):
    campaign = _load_campaign(campaign_id, Action.VIEW)
    form = _add_form()
    if request.method == "POST" and _add_from_form(form, campaign.association_id,
                                                   lambda c: services.add_campaign_invitees(campaign, c, user=current_user)):
        return redirect(url_for("invitations.campaign_invitations", campaign_id=campaign.id), code=303)
    event_ids = [e.id for e in campaign.events]
    per_event = [(event, services.status_counts([event.id])) for event in campaign.events]
    filters = _filters()
    rows, total, page = _invitations_page(event_ids, filters)
    return render_template(
        "invitations/campaign.html", campaign=campaign, form=form, confirm=ConfirmForm(), per_event=per_event,
        counts=services.status_counts(event_ids), sends=services.recent_sends(campaign_id=campaign.id),
        invitations=rows, total=total, page=page, page_size=PAGE_SIZE, filters=filters,
        statuses=list(InvitationStatus), status_label=status_label, can_manage=_can_manage(campaign.association_id),
    )


@bp.post("/campaigns/<int:campaign_id>/invitations/send")
@login_required
def send_campaign(campaign_id: int):
    campaign = _load_campaign(campaign_id, Action.MANAGE)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    queued = services.send_campaign_invitations(campaign.id)[1]
    db.session.commit()
    _flash_sent(queued)
    return redirect(url_for("invitations.campaign_invitations", campaign_id=campaign.id), code=303)
