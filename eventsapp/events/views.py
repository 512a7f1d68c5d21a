"""Event pages: list, agenda, create/edit/publish/cancel, the management page with its tabs,
honorees, and the public page /e/<slug>."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import audit, navigation, query_args
from ..associations import branding
from ..campaigns.models import Campaign
from ..contacts import services as contact_services
from ..extensions import db
from ..i18n import current_locale, select_timezone
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..markdown import render_markdown
from ..permissions import Action, accessible_associations, association_ids_for, authorize, can, home_association
from ..timefmt import event_span
from ..timeutils import is_valid_timezone, utcnow, zone
from ..web import save_or_flash
from . import services
from .access import load_event, load_of_event
from .forms import KIND_LABELS, VISIBILITY_LABELS, CancelForm, EventForm, HonoreeForm
from .models import ChangeKind, EventKind, EventStatus, Honoree

bp = Blueprint("events", __name__)

navigation.register("events.index", _l("Events"), order=20)
navigation.register("events.agenda", _l("Agenda"), order=25)
navigation.register_tab("event", "events.show", _l("Overview"), order=0)

CHANGE_LABELS = {ChangeKind.TIME: _l("Time"), ChangeKind.PLACE: _l("Venue"), ChangeKind.ONLINE: _l("Online link"),
                 ChangeKind.CANCELLED: _l("Cancellation")}


@bp.app_template_filter("markdown")
def markdown_filter(text):
    return render_markdown(text)


@bp.app_context_processor
def event_labels():
    return {"event_kind_labels": KIND_LABELS, "visibility_labels": VISIBILITY_LABELS, "event_when": event_when,
            "change_labels": CHANGE_LABELS}


def event_when(event, zone_name: str | None = None) -> str:
    """When the event is, as wall time in `zone_name` (default: its own zone), the zone named
    (`timefmt.event_span`); an all-day event as its dates, "all day"."""
    if event.all_day:
        return f"{event_span(event)} ({_('all day')})"
    return event_span(event, zone_name)


@bp.get("/events/")
@login_required
def index():
    association_id = query_args.optional_id("association")
    if association_id:
        authorize(Action.VIEW, association_id)
    ids = association_ids_for(current_user, Action.VIEW)
    query = select(services.Event).order_by(services.Event.starts_at.desc())
    if ids is not None:
        query = query.where(services.Event.association_id.in_(ids or [-1]))
    if association_id:
        query = query.where(services.Event.association_id == association_id)
    events = db.session.scalars(query.limit(500)).all()
    return render_template("events/index.html", events=events, association_id=association_id,
                           associations=accessible_associations(current_user, Action.VIEW),
                           can_create=bool(accessible_associations(current_user, Action.MANAGE)))


@bp.get("/events/agenda")
@login_required
def agenda():
    association_id = query_args.optional_id("association")
    if association_id:
        authorize(Action.VIEW, association_id)
    reader_zone = select_timezone()
    events = services.upcoming(association_ids_for(current_user, Action.VIEW), association_id=association_id)
    return render_template("events/agenda.html", days=services.agenda(events, reader_zone), reader_zone=reader_zone,
                           association_id=association_id,
                           associations=accessible_associations(current_user, Action.VIEW))


def _fill_choices(form: EventForm) -> None:
    associations = accessible_associations(current_user, Action.MANAGE)
    form.association_id.choices = [(a.id, a.name(current_locale())) for a in associations]
    ids = [a.id for a in associations]
    campaigns = db.session.scalars(select(Campaign).where(Campaign.association_id.in_(ids or [-1]))
                                   .order_by(Campaign.starts_on.desc().nulls_last())).all()
    form.campaign_id.choices = [(0, "—")] + [(c.id, c.title_vi) for c in campaigns]


def _values_from_form(form: EventForm) -> dict:
    zone_name = form.timezone.data
    if form.all_day.data:
        starts_at, ends_at = services.all_day_span(form.starts_local.data.date(), form.ends_local.data.date(), zone_name)
    else:
        starts_at = services.local_to_utc(form.starts_local.data, zone_name)
        ends_at = services.local_to_utc(form.ends_local.data, zone_name)
    deadline = form.rsvp_deadline_local.data
    campaign_id = form.campaign_id.data or None
    if campaign_id is not None:
        campaign = db.session.get(Campaign, campaign_id)
        if campaign is None or not can(current_user, Action.MANAGE, campaign.association_id):
            campaign_id = None
    return dict(
        title_vi=form.title_vi.data, title_en=form.title_en.data or "", description_vi=form.description_vi.data or "",
        description_en=form.description_en.data or "", kind=form.kind.data, timezone=zone_name,
        starts_at=starts_at, ends_at=ends_at, all_day=form.all_day.data, venue_name=form.venue_name.data or "",
        venue_address=form.venue_address.data or "", online_url=form.online_url.data or "",
        capacity=form.capacity.data, max_guests=form.max_guests.data or 0,
        rsvp_deadline=services.local_to_utc(deadline, zone_name) if deadline else None,
        visibility=form.visibility.data, campaign_id=campaign_id,
    )


def _prefill_new(form: EventForm) -> None:
    """Defaults from the query: ?association_id=&campaign_id=&kind= (anniversaries get their ordinal)."""
    association_id = query_args.optional_id("association_id")
    if association_id and any(a_id == association_id for a_id, _ in form.association_id.choices):
        form.association_id.data = association_id
    campaign_id = query_args.optional_id("campaign_id")
    campaign = db.session.get(Campaign, campaign_id) if campaign_id else None
    if campaign is not None and can(current_user, Action.MANAGE, campaign.association_id):
        form.campaign_id.data = campaign.id
        form.association_id.data = campaign.association_id
        if campaign.starts_on:
            form.starts_local.data = datetime.combine(campaign.starts_on, time(9))
            form.ends_local.data = datetime.combine(campaign.starts_on, time(11))
        if campaign.kind.value in EventKind._value2member_map_:
            form.kind.data = campaign.kind.value
    kind = request.args.get("kind")
    if kind in EventKind._value2member_map_:
        form.kind.data = kind
    if form.association_id.data is None and form.association_id.choices:
        home = home_association(current_user, accessible_associations(current_user, Action.MANAGE))
        form.association_id.data = home.id if home else form.association_id.choices[0][0]
    if form.kind.data == EventKind.ANNIVERSARY.value and form.association_id.data:
        association = db.session.get(services.Association, form.association_id.data)
        if association is not None and association.founded_on is not None:
            today = utcnow().date()
            day = _next_anniversary(association.founded_on, today)
            form.title_vi.data = services.anniversary_title(association, day)
            form.starts_local.data = datetime.combine(day, time(9))
            form.ends_local.data = datetime.combine(day, time(11, 30))


def _next_anniversary(founded_on: date, today: date) -> date:
    for year in (today.year, today.year + 1):
        try:
            day = founded_on.replace(year=year)
        except ValueError:  # founded on 29 February
            day = date(year, 3, 1)
        if day >= today and year > founded_on.year:
            return day
    return founded_on.replace(year=today.year + 1, day=min(founded_on.day, 28))


@bp.route("/events/new", methods=["GET", "POST"])
@login_required
def create():
    form = EventForm()
    _fill_choices(form)
    if not form.association_id.choices:
        abort(403)
    if request.method == "GET":
        _prefill_new(form)
    if form.validate_on_submit():
        association = db.session.get(services.Association, form.association_id.data)
        authorize(Action.MANAGE, association)
        event = save_or_flash(services.EventError, services.create_event, association, user=current_user,
                              **_values_from_form(form))
        if event is not None:
            return redirect(url_for(".show", event_id=event.id))
    return render_template("events/form.html", form=form, event=None)


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@login_required
def edit(event_id: int):
    event = load_event(event_id, Action.MANAGE)
    form = EventForm(obj=event)
    _fill_choices(form)
    form.association_id.choices = [(event.association_id, event.association.name_vi)]
    if request.method == "GET":
        tz = zone(event.timezone)
        form.association_id.data = event.association_id
        form.campaign_id.data = event.campaign_id or 0
        form.kind.data = event.kind.value
        form.visibility.data = event.visibility.value
        form.starts_local.data = event.starts_at.astimezone(tz).replace(tzinfo=None)
        ends = event.ends_at.astimezone(tz).replace(tzinfo=None)
        form.ends_local.data = ends - timedelta(days=1) if event.all_day else ends
        if event.rsvp_deadline:
            form.rsvp_deadline_local.data = event.rsvp_deadline.astimezone(tz).replace(tzinfo=None)
    if form.validate_on_submit():
        changes = save_or_flash(services.EventError, services.update_event, event, user=current_user,
                                saved=_saved_message, **_values_from_form(form))
        if changes is not None:  # a list, empty when nothing invitees must hear about changed
            return redirect(url_for(".show", event_id=event.id))
    return render_template("events/form.html", form=form, event=event)


def _saved_message(changes: list) -> str:
    return _("Saved. Invitees will be told about the change.") if changes else _("Saved.")


@bp.get("/events/<int:event_id>")
@login_required
def show(event_id: int):
    # Inbound sits above events (it reads their invitations and outbox); this page shows the replies it kept.
    from ..inbound import services as inbound
    from ..inbound.labels import CLAIM_LABELS

    event = load_event(event_id, Action.VIEW)
    can_manage = can(current_user, Action.MANAGE, event.association_id)
    replies_page = request.args.get("replies", 1, type=int) or 1
    mail_replies, more_replies = inbound.human_replies(event.id, replies_page) if can_manage else ([], False)
    unverified = inbound.unverified_answers(event.id)[0] if can_manage else []
    return render_template("events/show.html", event=event, can_manage=can_manage,
                           honoree_form=HonoreeForm(), cancel_form=CancelForm(), mail_replies=mail_replies,
                           replies_page=max(1, min(replies_page, 10_000)), more_replies=more_replies,
                           unverified_answers=unverified, claim_labels=CLAIM_LABELS)


@bp.post("/events/<int:event_id>/publish")
@login_required
def publish(event_id: int):
    event = load_event(event_id, Action.MANAGE)
    save_or_flash(services.EventError, services.publish, event, user=current_user, saved=_("The event is published."))
    return redirect(url_for(".show", event_id=event.id))


@bp.post("/events/<int:event_id>/cancel")
@login_required
def cancel(event_id: int):
    event = load_event(event_id, Action.MANAGE)
    form = CancelForm()
    if form.validate_on_submit():
        services.cancel(event, user=current_user, reason=form.reason.data or "")
        db.session.commit()
        flash(_("The event is cancelled. Invitees will be told."), "warning")
    return redirect(url_for(".show", event_id=event.id))


@bp.post("/events/<int:event_id>/honorees")
@login_required
def add_honoree(event_id: int):
    event = load_event(event_id, Action.MANAGE)
    form = HonoreeForm()
    if form.validate_on_submit():
        if form.contact_id.data:
            found = [c for c in [contact_services.visible_contact(current_user, form.contact_id.data)] if c]
        else:
            found = contact_services.people_named(current_user, form.contact.data)
        if len(found) > 1:
            return render_template("events/choose_honoree.html", event=event, form=form, people=found)
        contact = found[0] if found else None
        if contact is None:
            flash(_("No contact has this e-mail.") if "@" in form.contact.data else
                  _("No contact matches “%(text)s”.", text=form.contact.data.strip()), "danger")
        else:
            save_or_flash(services.EventError, services.add_honoree, event, contact, form.award.data,
                          form.citation.data or "", saved=_("Honoree added."))
    else:
        for errors in form.errors.values():
            for error in errors:
                flash(error, "danger")
    return redirect(url_for(".show", event_id=event.id) + "#honorees")


@bp.post("/events/<int:event_id>/honorees/<int:honoree_id>/remove")
@login_required
def remove_honoree(event_id: int, honoree_id: int):
    event = load_event(event_id, Action.MANAGE)
    honoree = load_of_event(Honoree, honoree_id, event)
    if CancelForm().validate_on_submit():
        services.remove_honoree(honoree)
        db.session.commit()
        flash(_("Removed."), "success")
    return redirect(url_for(".show", event_id=event.id) + "#honorees")


@bp.get("/events/<int:event_id>/honorees.csv")
@login_required
def honorees_csv(event_id: int):
    event = load_event(event_id, Action.VIEW)
    audit.downloaded("honorees", event, event.association_id, len(event.honorees))
    return Response(services.honorees_csv(event), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{event.slug}-honorees.csv"'})


@bp.get("/e/<slug>")
def public_page(slug: str):
    """The public page of a public, published event (no login); 404 for drafts and invite-only events."""
    event = services.public_event(slug)
    if event is None:
        abort(404)
    reader_zone = request.args.get("tz")
    if not is_valid_timezone(reader_zone) or all(
            zone(reader_zone).utcoffset(moment) == zone(event.timezone).utcoffset(moment)
            for moment in (event.starts_at, event.ends_at)):
        reader_zone = None  # an alias of the event's zone (Asia/Saigon) or the same clock: one time is enough
    return render_template("events/public.html", event=event, reader_zone=reader_zone,
                           public_brand=branding.brand(event.association, current_locale()),
                           honorees=event.honorees if event.kind == EventKind.AWARD_CEREMONY else [],
                           is_past=event.ends_at < utcnow(), EventStatus=EventStatus)
