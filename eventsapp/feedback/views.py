"""Feedback pages: the invitee's form (by their RSVP token), the organiser's results and settings, the
export. No tracking: the form counts only what people write on it."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import refresh
from flask_login import current_user, login_required

from .. import audit, navigation, spreadsheets
from ..campaigns.views import load_campaign
from ..events.access import load_event
from ..extensions import db
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..invitations import services as invitations
from ..permissions import Action, can
from . import services
from .forms import AnswerForm, SettingsForm
from .models import FeedbackForm

bp = Blueprint("feedback", __name__)
navigation.register_tab("event", "feedback.event_results", _l("Feedback"), order=80)
navigation.register_tab("campaign", "feedback.campaign_results", _l("Feedback"), order=80)


@bp.route("/feedback/<token>", methods=["GET", "POST"])
def answer(token: str):
    """The invitee's short form: a mark from 1 to 5, what to do better, the organiser's question."""
    invitation = invitations.by_token(token)
    if invitation is None or invitation.event.status.value == "draft":
        g.locale_override = "vi"
        refresh()
        return render_template("invitations/not_found.html"), 404
    contact, event = invitation.contact, invitation.event
    g.locale_override = contact.language if contact.language in ("vi", "en") else "vi"
    g.timezone_override = contact.timezone
    refresh()
    locale = g.locale_override
    form_settings = services.form_of(event)
    closed = services.closed_reason(event, form_settings)
    done = services.has_answered(invitation)
    form = AnswerForm()
    if request.method == "POST" and not closed and not done and form.validate_on_submit():
        try:
            services.answer(invitation, rating=int(form.rating.data), better=(form.better.data or "").strip(),
                            answer_text=(form.answer.data or "").strip(), language=locale)
        except services.FeedbackError as error:
            db.session.rollback()
            closed = str(error)
        else:
            db.session.commit()
            return redirect(url_for(".answer", token=token), code=303)
    status = 400 if request.method == "POST" and form.errors else 200
    return render_template("feedback/answer.html", form=form, event=event, title=event.title(locale),
                           question=form_settings.question(locale), anonymous=form_settings.anonymous,
                           closed=closed, done=services.has_answered(invitation)), status


@bp.route("/events/<int:event_id>/feedback", methods=["GET", "POST"])
@login_required
def event_results(event_id: int):
    """What the invitees thought (VIEW), and how the form asks (MANAGE changes it)."""
    event = load_event(event_id, Action.VIEW)
    can_manage = _can_manage(event)
    current = services.form_of(event)
    form = SettingsForm(obj=current)
    if request.method == "POST":
        if not can_manage:
            abort(403)
        if form.validate_on_submit():
            if db.session.get(FeedbackForm, event.id) is None:
                db.session.add(current)
            current.anonymous = bool(form.anonymous.data)
            current.question_vi = (form.question_vi.data or "").strip()
            current.question_en = (form.question_en.data or "").strip()
            current.open_days = form.open_days.data
            audit.record("settings_changed", event, association_id=event.association_id, what="feedback_form",
                         fields=audit.changed(current, ("anonymous", "question_vi", "question_en", "open_days")),
                         anonymous=current.anonymous, open_days=current.open_days)
            db.session.commit()
            flash(_("The feedback form is saved."), "success")
            return redirect(url_for(".event_results", event_id=event.id), code=303)
    return render_template("feedback/results.html", event=event, campaign=None, form=form, can_manage=can_manage,
                           results=services.results([event.id]), settings=current,
                           closes_at=services.closes_at(event, current)), 400 if form.errors else 200


def _can_manage(event) -> bool:
    return can(current_user, Action.MANAGE, event.association_id)


@bp.get("/events/<int:event_id>/feedback.csv")
@login_required
def export_csv(event_id: int):
    event = load_event(event_id, Action.VIEW)
    rows = services.export_rows(event)
    audit.downloaded("feedback", event, event.association_id, len(rows) - 1, format="csv")
    return Response(spreadsheets.csv_bytes(rows), mimetype="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="feedback-{event.slug}.csv"'})


@bp.get("/campaigns/<int:campaign_id>/feedback")
@login_required
def campaign_results(campaign_id: int):
    campaign = load_campaign(campaign_id, Action.VIEW)
    events = list(campaign.events)
    per_event = [(event, services.results([event.id])) for event in events]
    return render_template("feedback/results.html", event=None, campaign=campaign, form=None, can_manage=False,
                           results=services.results([e.id for e in events]), per_event=per_event, settings=None,
                           closes_at=None)
