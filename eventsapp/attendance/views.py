"""Check-in at the door (phone-first), the /c/<token> link of the QR codes, reports and exports."""
from __future__ import annotations

from datetime import date

from flask import (Blueprint, Response, abort, flash, jsonify, redirect, render_template, request,
                   url_for)
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import navigation
from ..associations.models import Association
from ..campaigns.models import Campaign
from ..contacts.models import Contact
from ..events.access import load_event
from ..events.models import Event
from ..extensions import db
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..invitations.models import Invitation, InvitationStatus
from ..permissions import Action, authorize, can, require_admin
from ..timeutils import utcnow
from . import reports, services
from .forms import CheckInForm, PeriodForm, WalkInForm
from .models import CheckIn

bp = Blueprint("attendance", __name__)

navigation.register_tab("event", "attendance.checkin", _l("Check-in"), order=65)
navigation.register_tab("event", "attendance.event_report", _l("Attendance"), order=70)
navigation.register_tab("campaign", "attendance.campaign_report", _l("Attendance"), order=70)
navigation.register("attendance.overview", _l("Attendance"), order=75, admin_only=True)


@bp.context_processor
def _door_helpers() -> dict:
    return {"door_associations": services.door_associations}


# ---------------------------------------------------------------- the door

def _wants_json() -> bool:
    return request.is_json or request.accept_mimetypes.best == "application/json"


def _render_person(event: Event, person: services.Person) -> str:
    return render_template("attendance/_person.html", event=event, person=person)


def _answer(event: Event, message: str, ok: bool, contact: Contact | None = None, status: int | None = None):
    """JSON for the door's script (message, the person's refreshed card, counters); else flash + back."""
    if _wants_json():
        body = {"ok": ok, "message": message, "counts": services.counters(event)}
        if contact is not None:
            body["html"] = _render_person(event, services.person(event, contact))
        return jsonify(body), status or (200 if ok else 409)
    flash(message, "success" if ok else "warning")
    target = request.form.get("q")
    return redirect(url_for(".checkin", event_id=event.id, q=target or None))


def _checked_in_message(row: CheckIn, name: str | None = None) -> str:
    name = name or row.contact.full_name
    if row.guests:
        return _("Checked in: %(name)s (+%(guests)s guests).", name=name, guests=row.guests)
    return _("Checked in: %(name)s.", name=name)


@bp.get("/events/<int:event_id>/checkin")
@login_required
def checkin(event_id: int):
    event = load_event(event_id, Action.CHECKIN)
    query = (request.args.get("q") or "").strip()
    return render_template(
        "attendance/checkin.html", event=event, query=query,
        people=services.search(event, query) if query else None,
        counts=services.counters(event), walk_in_form=WalkInForm(formdata=None),
    )


@bp.get("/events/<int:event_id>/checkin/search")
@login_required
def search(event_id: int):
    event = load_event(event_id, Action.CHECKIN)
    query = (request.args.get("q") or "").strip()
    return render_template("attendance/_results.html", event=event, query=query,
                           people=services.search(event, query))


@bp.get("/events/<int:event_id>/checkin/counts")
@login_required
def counts(event_id: int):
    event = load_event(event_id, Action.CHECKIN)
    return jsonify(services.counters(event))


@bp.post("/events/<int:event_id>/checkin/scan")
@login_required
def scan(event_id: int):
    """The camera read a QR code: check its invitee in at once (guests as they answered)."""
    event = load_event(event_id, Action.CHECKIN)
    data = request.get_json(silent=True) if request.is_json else request.form
    code = (data or {}).get("code", "")
    try:
        row = services.check_in_by_token(event, code, by=current_user)
    except services.AlreadyCheckedIn as error:
        db.session.rollback()
        return _answer(event, str(error), False, contact=error.existing.contact)
    except services.CheckInError as error:
        db.session.rollback()
        return _answer(event, str(error), False, status=422)
    db.session.commit()
    return _answer(event, _checked_in_message(row), True, contact=row.contact)


def _guests_from(form: CheckInForm, default: int | None = None) -> int | None:
    """The guests typed at the door; empty means `default` (an invitee's: as they answered)."""
    return default if form.guests.data is None else form.guests.data


def _form_problem(form: CheckInForm | WalkInForm) -> str:
    if form.guests.errors:
        return _("The number of guests must be between 0 and %(max)s.", max=services.MAX_GUESTS)
    if "csrf_token" in form.errors:
        return _("The form has expired. Please reload the page.")
    if getattr(form, "email", None) is not None and form.email.errors:
        return _("This e-mail address is not valid.")
    return _("Enter the walk-in's name.")


@bp.post("/events/<int:event_id>/checkin/contacts/<int:contact_id>")
@login_required
def check_in_contact(event_id: int, contact_id: int):
    """Check in a person found by search: an invitee, or a known contact as a walk-in."""
    event = load_event(event_id, Action.CHECKIN)
    contact = db.session.get(Contact, contact_id)
    # Outside the door's scope (not invited, not on the association's rolls) a contact is unknown here,
    # before anything about it (its card) can be answered.
    if contact is None or not services.search_scope_allows(event, contact):
        abort(404)
    form = CheckInForm()
    if not form.validate_on_submit():
        return _answer(event, _form_problem(form), False, contact, status=400)
    try:
        found = services.person(event, contact)
        if found.invitation is not None:
            row = services.check_in_invitation(found.invitation, by=current_user, guests=_guests_from(form))
        else:
            row = services.register_walk_in(event, contact=contact, by=current_user, guests=_guests_from(form, 0))
    except services.AlreadyCheckedIn as error:
        db.session.rollback()
        return _answer(event, str(error), False, contact)
    except services.CheckInError as error:
        db.session.rollback()
        return _answer(event, str(error), False, contact, status=422)
    db.session.commit()
    return _answer(event, _checked_in_message(row), True, contact)


@bp.post("/events/<int:event_id>/checkin/walk-in")
@login_required
def walk_in(event_id: int):
    """Someone without an invitation and not on the rolls: a new contact, checked in as a walk-in."""
    event = load_event(event_id, Action.CHECKIN)
    form = WalkInForm()
    if not form.validate_on_submit():
        return _answer(event, _form_problem(form), False, status=422)
    email = (form.email.data or "").strip().lower()
    known = db.session.scalar(select(Contact).where(Contact.email == email)) if email else None
    # An address of someone outside the door's scope is answered as a new person, with the name typed
    # at the door: the stored name (another association's data) is not shown.
    hidden = known is not None and not services.search_scope_allows(event, known)
    try:
        row = services.register_walk_in(event, by=current_user, full_name=form.full_name.data,
                                        email=email, guests=form.guests.data or 0)
    except services.AlreadyCheckedIn as error:
        db.session.rollback()
        return _answer(event, str(error), False, error.existing.contact)
    except services.CheckInError as error:
        db.session.rollback()
        return _answer(event, str(error), False, status=422)
    db.session.commit()
    if hidden:
        return _answer(event, _checked_in_message(row, name=" ".join(form.full_name.data.split())), True)
    return _answer(event, _checked_in_message(row), True, row.contact)


@bp.post("/events/<int:event_id>/checkin/<int:checkin_id>/undo")
@login_required
def undo(event_id: int, checkin_id: int):
    event = load_event(event_id, Action.CHECKIN)
    row = db.session.get(CheckIn, checkin_id)
    if row is None or row.event_id != event.id:
        abort(404)
    if not CheckInForm().validate_on_submit():
        return _answer(event, _("The form has expired. Please reload the page."), False, row.contact, status=400)
    try:
        services.undo(row, by=current_user)
    except services.CheckInError as error:
        db.session.rollback()
        return _answer(event, str(error), False, row.contact, status=409)
    db.session.commit()
    return _answer(event, _("Check-in of %(name)s undone.", name=row.contact.full_name), True, row.contact)


@bp.get("/c/<token>")
@login_required
def confirm(token: str):
    """What the QR code opens: the person's check-in card for staff of the event's association."""
    invitation = services.invitation_by_token(token)
    if invitation is None:
        abort(404)
    authorize(Action.CHECKIN, invitation.event.association_id)
    event = invitation.event
    return render_template("attendance/confirm.html", event=event,
                           person=services.person(event, invitation.contact), counts=services.counters(event))


# ---------------------------------------------------------------- reports

def _period() -> tuple[PeriodForm, date | None, date | None]:
    form = PeriodForm(request.args)
    if request.args and not form.validate():
        return form, None, None
    return form, form.start.data, form.end.data


@bp.get("/events/<int:event_id>/attendance")
@login_required
def event_report(event_id: int):
    event = load_event(event_id, Action.VIEW)
    return render_template(
        "attendance/event_report.html", event=event, report=reports.build([event]),
        attendees=services.check_ins(event), no_shows=_no_shows(event),
        can_checkin=can(current_user, Action.CHECKIN, event.association_id),
    )


def _no_shows(event: Event) -> list[Invitation]:
    if event.ends_at > utcnow():
        return []
    came = select(CheckIn.contact_id).where(CheckIn.event_id == event.id, CheckIn.undone_at.is_(None))
    return [i for i in db.session.scalars(
        select(Invitation).join(Contact).where(
            Invitation.event_id == event.id, Invitation.status == InvitationStatus.ACCEPTED, Invitation.revoked_at.is_(None),
            Invitation.contact_id.not_in(came)).order_by(Contact.sort_key))]


@bp.get("/events/<int:event_id>/attendance.csv")
@login_required
def export_csv(event_id: int):
    event = load_event(event_id, Action.VIEW)
    return _download(reports.attendees_csv(event), "text/csv; charset=utf-8", reports.export_filename(event, "csv"))


@bp.get("/events/<int:event_id>/attendance.xlsx")
@login_required
def export_xlsx(event_id: int):
    event = load_event(event_id, Action.VIEW)
    return _download(reports.attendees_xlsx(event),
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     reports.export_filename(event, "xlsx"))


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/campaigns/<int:campaign_id>/attendance")
@login_required
def campaign_report(campaign_id: int):
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    authorize(Action.VIEW, campaign.association_id)
    return render_template("attendance/campaign_report.html", campaign=campaign,
                           report=reports.build(reports.campaign_events(campaign)))


@bp.get("/associations/<slug>/attendance")
@login_required
def association_report(slug: str):
    association = db.session.scalar(select(Association).where(Association.slug == slug))
    if association is None:
        abort(404)
    authorize(Action.VIEW, association)
    form, start, end = _period()
    return render_template("attendance/association_report.html", association=association, form=form,
                           report=reports.build(reports.association_events(association, start, end)))


@bp.get("/admin/attendance")
@login_required
def overview():
    require_admin()
    form, start, end = _period()
    rows = reports.overview(start, end, current_user.timezone)
    total = reports.build([event for _, report in rows for event in report.events])
    return render_template("attendance/overview.html", form=form, rows_by_association=rows, total=total, start=start, end=end)
