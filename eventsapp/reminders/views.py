"""Organiser pages: an event's reminder rules (a tab of the event), a campaign's default
rules (a tab of the campaign) and an association's defaults."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import navigation, query_args
from ..associations.services import get_by_slug
from ..auth.security import framed_by_self
from ..campaigns.models import Campaign
from ..events.access import load_event, load_of_event
from ..extensions import db
from ..i18n import current_locale, ngettext
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..invitations import previews as invitation_previews
from ..invitations.models import Invitation
from ..mail.transport import PermanentFailure
from ..permissions import Action, authorize, can
from ..timeutils import utcnow
from ..web import save_or_flash
from . import previews, services
from .forms import RuleForm
from .models import Anchor, ReminderRule, SkipReason

bp = Blueprint("reminders", __name__)

navigation.register_tab("event", "reminders.event_rules", _l("Reminders"), order=40)
navigation.register_tab("campaign", "reminders.campaign_rules", _l("Reminders"), order=40)

SKIP_LABELS = {
    SkipReason.STARTED: _l("Skipped: its time passed while the system was down and the event had started"),
    SkipReason.TOO_LATE: _l("Skipped: too late for a thank-you"),
    SkipReason.CANCELLED: _l("Stopped: the event is cancelled"),
    SkipReason.NOT_PUBLISHED: _l("Held back: the event is not published"),
    SkipReason.REMOVED: _l("Removed"),
    SkipReason.SUPERSEDED: _l("Skipped: late, and a later reminder was due at the same time"),
    SkipReason.PUBLISHED_LATE: _l("Skipped: its time had passed when the event was published"),
}
# Why single invitees were (or would be) left out of a rule that fires.
INVITEE_SKIP_LABELS = {
    SkipReason.NOT_INVITED: _l("invitation never sent"),
    SkipReason.INVITED_LATE: _l("invited after this reminder's time"),
    SkipReason.SUPERSEDED: _l("a later reminder reaches them"),
    SkipReason.RECENTLY_REMINDED: _l("already reminded of this event shortly before"),
}
AUDIENCE_LABELS = {"accepted": _l("Accepted"), "tentative": _l("Maybe"), "pending": _l("Not yet answered"),
                   "attended": _l("Checked in at the door")}
STATE_LABELS = {"queued": _l("waiting to be sent"), "sending": _l("being sent"), "sent": _l("sent"),
                "failed": _l("failed")}
INHERITED_LABELS = {"campaign": _l("from the campaign"), "association": _l("from the association"),
                    "built_in": _l("standard")}


def describe(rule: ReminderRule) -> str:
    """"1 day before the start", "2 hours after the end", …"""
    if rule.anchor == Anchor.ABSOLUTE:
        return _("At a fixed time")
    minutes = abs(rule.offset_minutes)
    if minutes == 0:
        return _("At the start") if rule.anchor == Anchor.START else _("At the end")
    if minutes % 1440 == 0:
        amount = ngettext("%(num)s day", "%(num)s days", minutes // 1440)
    elif minutes % 60 == 0:
        amount = ngettext("%(num)s hour", "%(num)s hours", minutes // 60)
    else:
        amount = ngettext("%(num)s minute", "%(num)s minutes", minutes)
    if rule.offset_minutes < 0:
        return _("%(amount)s before the start", amount=amount) if rule.anchor == Anchor.START else \
            _("%(amount)s before the end", amount=amount)
    return _("%(amount)s after the start", amount=amount) if rule.anchor == Anchor.START else \
        _("%(amount)s after the end", amount=amount)


@bp.app_context_processor
def reminder_helpers():
    return {"describe_rule": describe, "skip_labels": SKIP_LABELS, "audience_labels": AUDIENCE_LABELS, "state_labels": STATE_LABELS,
            "invitee_skip_labels": INVITEE_SKIP_LABELS,
            "inherited_labels": INHERITED_LABELS}


def _save(form: RuleForm, zone_name: str, action) -> bool:
    """Run `action(values)` and commit; a refused rule is flashed in the reader's language."""
    succeeded = object()  # the action may return None; save_or_flash returns None only when refused
    outcome = save_or_flash(services.ReminderError, lambda: action(form.values(zone_name)) or succeeded)
    return outcome is not None


# ---------------------------------------------------------------- an event's rules

@bp.route("/events/<int:event_id>/reminders", methods=["GET", "POST"])
@login_required
def event_rules(event_id: int):
    event = load_event(event_id, Action.VIEW)
    form = RuleForm()
    if request.method == "POST":
        authorize(Action.MANAGE, event.association_id)
        if form.validate_on_submit() and _save(form, event.timezone,
                                               lambda values: services.create_rule(values, event=event)):
            return redirect(url_for(".event_rules", event_id=event.id))
    rules = services.event_rules(event)
    now = utcnow()
    # What each pending rule would do when its time comes (or now, if it is already due).
    plans = {rule.id: services.plan_rule(rule, event, max(now, rule.fire_at))
             for rule in rules if rule.is_pending and rule.fire_at is not None}
    return render_template(
        "reminders/event.html", event=event, form=form, rules=rules, plans=plans, skips=services.skips_by_rule(event),
        sent=services.sent_by_rule(event), log=services.email_log(event, page=query_args.page_number()),
        can_manage=can(current_user, Action.MANAGE, event.association_id),
    )


def _event_rule(event_id: int, rule_id: int):
    event = load_event(event_id, Action.MANAGE)
    rule = services.get_event_rule(event, rule_id)
    if rule is None:
        abort(404)
    return event, rule


@bp.route("/events/<int:event_id>/reminders/<int:rule_id>/edit", methods=["GET", "POST"])
@login_required
def edit_event_rule(event_id: int, rule_id: int):
    event, rule = _event_rule(event_id, rule_id)
    form = RuleForm()
    if request.method == "GET":
        form.fill_from(rule, event.timezone)
    elif form.validate_on_submit() and _save(form, event.timezone, lambda values: services.update_rule(rule, values)):
        return redirect(url_for(".event_rules", event_id=event.id))
    return render_template("reminders/edit.html", form=form, rule=rule, title=event.title(),
                           back_url=url_for(".event_rules", event_id=event.id), allow_absolute=True)


def _preview_target(event, rule) -> tuple[Invitation | None, list[Invitation]]:
    """The recipient a rule's preview is about (?invitation=<id>, default the first by name) and the choices."""
    choices = previews.recipients(rule, event)
    invitation_id = query_args.optional_id("invitation")
    if invitation_id is not None:  # 0, no id at all, is an invitee that does not exist: a 404
        return load_of_event(Invitation, invitation_id, event), choices
    return (choices[0] if choices else None), choices


@bp.get("/events/<int:event_id>/reminders/<int:rule_id>/preview")
@login_required
def preview_rule(event_id: int, rule_id: int):
    """The rule's e-mail as the chosen recipient will get it (their language, zone, answer links)."""
    event, rule = _event_rule(event_id, rule_id)
    invitation, choices = _preview_target(event, rule)
    shown, refusal = None, None
    if invitation is not None:
        try:
            shown = previews.preview(rule, invitation)
        except (PermanentFailure, LookupError):
            refusal = _("This invitee would not get this e-mail: they unsubscribed or were archived.")
    return render_template("reminders/preview.html", event=event, rule=rule, invitation=invitation, shown=shown,
                           refusal=refusal, choices=choices)


@bp.get("/events/<int:event_id>/reminders/<int:rule_id>/preview/<int:invitation_id>.html")
@login_required
@framed_by_self(invitation_previews.FRAME_POLICY)
def preview_rule_frame(event_id: int, rule_id: int, invitation_id: int):
    """The preview's HTML part alone, for the sandboxed frame of the preview page."""
    event, rule = _event_rule(event_id, rule_id)
    try:
        html = previews.preview(rule, load_of_event(Invitation, invitation_id, event))["html"]
    except (PermanentFailure, LookupError):
        abort(404)
    return Response(html, mimetype="text/html")


@bp.post("/events/<int:event_id>/reminders/<int:rule_id>/remove")
@login_required
def remove_event_rule(event_id: int, rule_id: int):
    event, rule = _event_rule(event_id, rule_id)
    services.remove_rule(rule)
    db.session.commit()
    flash(_("Removed."), "success")
    return redirect(url_for(".event_rules", event_id=event.id))


# ---------------------------------------------------------------- defaults of a campaign or an association

@dataclass
class Owner:
    """Whose default rules a page shows: a campaign or an association."""

    campaign: Campaign | None = None
    association: object = None

    @property
    def association_id(self) -> int:
        return self.campaign.association_id if self.campaign else self.association.id

    @property
    def title(self) -> str:
        return self.campaign.title(self.locale) if self.campaign else self.association.name(self.locale)

    @property
    def locale(self) -> str:
        return current_locale()

    @property
    def url(self) -> str:
        if self.campaign:
            return url_for(".campaign_rules", campaign_id=self.campaign.id)
        return url_for(".association_rules", slug=self.association.slug)

    def rules(self) -> list[ReminderRule]:
        return services.default_rules(campaign=self.campaign, association=self.association)


def _defaults_page(owner: Owner):
    authorize(Action.VIEW, owner.association_id)
    form = RuleForm()
    if request.method == "GET":
        form.unit.data, form.amount.data = "days", 3
    else:
        authorize(Action.MANAGE, owner.association_id)
        if form.validate_on_submit() and _save(form, "UTC", lambda values: services.create_rule(
                values, campaign=owner.campaign, association=owner.association if not owner.campaign else None)):
            return redirect(owner.url)
    return render_template("reminders/defaults.html", owner=owner, form=form, rules=owner.rules(),
                           can_manage=can(current_user, Action.MANAGE, owner.association_id))


@bp.route("/campaigns/<int:campaign_id>/reminders", methods=["GET", "POST"])
@login_required
def campaign_rules(campaign_id: int):
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    return _defaults_page(Owner(campaign=campaign))


@bp.route("/associations/<slug>/reminders", methods=["GET", "POST"])
@login_required
def association_rules(slug: str):
    association = get_by_slug(slug)
    if association is None:
        abort(404)
    return _defaults_page(Owner(association=association))


def _default_rule(rule_id: int) -> tuple[ReminderRule, Owner]:
    rule = db.session.get(ReminderRule, rule_id)
    if rule is None or rule.event_id is not None:
        abort(404)
    owner = Owner(campaign=rule.campaign) if rule.campaign_id else Owner(association=rule.association)
    authorize(Action.MANAGE, owner.association_id)
    return rule, owner


@bp.route("/reminders/defaults/<int:rule_id>/edit", methods=["GET", "POST"])
@login_required
def edit_default_rule(rule_id: int):
    rule, owner = _default_rule(rule_id)
    form = RuleForm()
    if request.method == "GET":
        form.fill_from(rule, "UTC")
    elif form.validate_on_submit() and _save(form, "UTC", lambda values: services.update_rule(rule, values)):
        return redirect(owner.url)
    return render_template("reminders/edit.html", form=form, rule=rule, title=owner.title, back_url=owner.url,
                           allow_absolute=False)


@bp.post("/reminders/defaults/<int:rule_id>/remove")
@login_required
def remove_default_rule(rule_id: int):
    rule, owner = _default_rule(rule_id)
    services.remove_rule(rule)
    db.session.commit()
    flash(_("Removed."), "success")
    return redirect(owner.url)
