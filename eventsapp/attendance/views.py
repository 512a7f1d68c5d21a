"""Check-in at the door (phone-first), the /c/<token> link of the QR codes, reports and exports."""
from __future__ import annotations

import gzip
import hmac
import json
from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import refresh
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from .. import audit, links, navigation
from ..associations.access import load_association
from ..campaigns.models import Campaign
from ..contacts.models import Contact
from ..events.access import load_event, load_of_event
from ..events.models import Event, Honoree
from ..extensions import db
from ..i18n import current_locale, select_timezone
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..invitations.models import Invitation, InvitationStatus
from ..links import card_signature, rsvp_url
from ..permissions import Action, authorize, can, require_admin
from ..text import nfc
from ..timeutils import utcnow
from . import doorlist, online, printables, reports, services
from .forms import (
    AddressLabelsForm,
    BadgesForm,
    CertificateTemplateForm,
    CheckInForm,
    DoorListForm,
    InvitationCardsForm,
    PeriodForm,
    WalkInForm,
)
from .models import CertificateTemplate, CheckIn, Printable

bp = Blueprint("attendance", __name__)

navigation.register_tab("event", "attendance.checkin", _l("Check-in"), order=65)
navigation.register_tab("event", "attendance.event_report", _l("Attendance"), order=70)
navigation.register_tab("event", "attendance.printables_page", _l("Printing"), order=72)
navigation.register_tab("campaign", "attendance.campaign_report", _l("Attendance"), order=70)
navigation.register("attendance.overview", _l("Attendance"), order=75, admin_only=True)
navigation.register("attendance.doors", _l("Today's doors"), order=5, door=True)


GZIP_FROM_BYTES = 1024  # below this gzip saves less than it costs


@bp.context_processor
def _door_helpers() -> dict:
    return {"door_associations": services.door_associations}


# ---------------------------------------------------------------- the door

@bp.get("/doors")
@login_required
def doors():
    """Where check-in staff land: the doors of today's events (the reader's day), then the coming weeks'."""
    today, coming = services.doors_for(current_user, select_timezone())
    return render_template("attendance/doors.html", today=today, coming=coming)


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
    name = name or (row.contact.full_name if row.guest_id is None else row.guest.full_name)
    if row.guests:
        return _("Checked in: %(name)s (+%(guests)s guests).", name=name, guests=row.guests)
    return _("Checked in: %(name)s.", name=name)


@bp.get("/events/<int:event_id>/checkin")
@login_required
def checkin(event_id: int):
    event = load_event(event_id, Action.CHECKIN)
    query = (request.args.get("q") or "").strip()
    first_day, last_day = services.event_days(event)
    return render_template(
        "attendance/checkin.html", event=event, query=query, first_day=first_day, last_day=last_day,
        event_day=services.is_event_day(event),
        can_manage=can(current_user, Action.MANAGE, event.association_id),
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


@bp.get("/events/<int:event_id>/checkin/door.json")
@login_required
def door_data(event_id: int):
    """The event's check-in list for the phone to keep offline (codes only as hashes).

    The phone sends the version it holds as `If-None-Match`: unchanged, 304 and no body; changed, only
    the lines changed since (when this process made that version), else the whole list; gzipped when
    the phone accepts it. The CSRF token for the sync rides in a header, so the body is the same for
    every phone.
    """
    event = load_event(event_id, Action.CHECKIN)
    now_period = doorlist.period()
    version = doorlist.fingerprint(event, now_period)
    held = next(iter(request.if_none_match.as_set()), None) if request.if_none_match else None
    if held == version:
        response = Response(status=304)
    else:
        lineage = doorlist.lineage(event.id)
        snapshot = lineage.current(event, version, now_period)
        since = lineage.generation_of(held)
        body = snapshot.delta(since) if since is not None else snapshot.body
        response = Response(body, mimetype="application/json")
        if "gzip" in request.accept_encodings and len(body) > GZIP_FROM_BYTES:
            response.set_data(snapshot.gzipped if since is None else gzip.compress(body, compresslevel=1))
            response.headers["Content-Encoding"] = "gzip"
        version = snapshot.version
    response.set_etag(version)
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["Vary"] = "Accept-Encoding, Cookie"
    response.headers["X-CSRF-Token"] = generate_csrf()
    return response


SYNC_ATTEMPTS = 5


@bp.post("/events/<int:event_id>/checkin/sync")
@login_required
def door_sync(event_id: int):
    """Check-ins and undos queued by a phone while offline: `{"ops": [{id, type, …}]}` (CSRF header)."""
    event = load_event(event_id, Action.CHECKIN)
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("ops"), list):
        return jsonify({"ok": False, "message": _("Send the queued check-ins as JSON.")}), 400
    for attempt in range(1, SYNC_ATTEMPTS + 1):
        try:
            results = services.apply_offline(event, data["ops"], by=current_user)
            db.session.commit()
            break
        except services.CheckInError as error:
            db.session.rollback()
            return jsonify({"ok": False, "message": str(error)}), 422
        except DBAPIError as error:
            # Two phones' batches locked the same people crosswise: the database let one through and
            # refused the other, which applies its whole batch again (each operation applies once).
            db.session.rollback()
            if attempt == SYNC_ATTEMPTS or not services.is_lock_conflict(error):
                raise
    return jsonify({"ok": True, "results": results, "counts": services.counters(event)})


@bp.get("/events/<int:event_id>/checkin/manifest.webmanifest")
@login_required
def door_manifest(event_id: int):
    """The door as an installable web app: opens straight on this event's check-in page."""
    event = load_event(event_id, Action.CHECKIN)
    start = url_for(".checkin", event_id=event.id)
    body = {
        "name": f"{_('Check-in')} · {event.title_vi}"[:100], "short_name": _("Check-in"),
        "start_url": start, "scope": start, "display": "standalone", "orientation": "portrait",
        "background_color": "#ffffff", "theme_color": "#0d6efd", "lang": "vi",
        "icons": [{"src": url_for("static", filename=f"icons/door-{size}.png"), "sizes": f"{size}x{size}",
                   "type": "image/png", "purpose": "any"} for size in (192, 512)],
    }
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")


@bp.get("/door-sw.js")
def door_service_worker():
    """The door's service worker, served from the root so that it may control /events/<id>/checkin."""
    response = send_from_directory(current_app.static_folder, "js/door-sw.js", mimetype="text/javascript",
                                   max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


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
    row = load_of_event(CheckIn, checkin_id, event)
    if not CheckInForm().validate_on_submit():
        return _answer(event, _("The form has expired. Please reload the page."), False, row.contact, status=400)
    try:
        services.undo(row, by=current_user)
    except services.CheckInError as error:
        db.session.rollback()
        return _answer(event, str(error), False, row.contact, status=409)
    db.session.commit()
    name = row.contact.full_name if row.guest_id is None else row.guest.full_name
    return _answer(event, _("Check-in of %(name)s undone.", name=name), True, row.contact)


@bp.get("/c/<token>")
def confirm(token: str):
    """What the QR code opens: the person's check-in card for staff of the event's association. A printed
    invitation card's code is signed (links.card_url): for anyone else, it opens the invitee's answer page; a
    badge's or an e-mail's (unsigned) asks to sign in, or is refused, as before."""
    invitation = services.invitation_by_token(token)
    if invitation is None:
        guest = services.guest_by_token(token)
        if guest is None:
            abort(404)
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        return _confirm_guest(guest, token)
    if not current_user.is_authenticated or not can(current_user, Action.CHECKIN, invitation.event.association_id):
        if hmac.compare_digest(request.args.get("card", "")[:64], card_signature(token)):
            return redirect(rsvp_url(invitation), 303)
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        abort(403)
    event = invitation.event
    return render_template("attendance/confirm.html", event=event,
                           can_manage=can(current_user, Action.MANAGE, event.association_id),
                           person=services.person(event, invitation.contact), counts=services.counters(event))


def _confirm_guest(guest, token: str):
    """A named guest's or delegation member's own code: their card, checked in with their code."""
    event = guest.event
    authorize(Action.CHECKIN, event.association_id)
    return render_template("guests/confirm.html", event=event, guest=guest, token=token,
                           with_whom=services.guest_label(guest), counts=services.counters(event),
                           check_in=services.active_guest_check_in(event.id, guest.id))


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
        can_manage=can(current_user, Action.MANAGE, event.association_id),
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
    audit.downloaded("attendance", event, event.association_id, len(reports.export_rows(event)), format="csv")
    return _download(reports.attendees_csv(event), "text/csv; charset=utf-8", reports.export_filename(event, "csv"))


@bp.get("/events/<int:event_id>/attendance.xlsx")
@login_required
def export_xlsx(event_id: int):
    event = load_event(event_id, Action.VIEW)
    audit.downloaded("attendance", event, event.association_id, len(reports.export_rows(event)), format="xlsx")
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
    association = load_association(slug)
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


# ---------------------------------------------------------------- the live board (organisers)

@bp.get("/events/<int:event_id>/board")
@login_required
def board(event_id: int):
    """The arrivals on a projector at the ceremony; static/js/board.js refreshes it from board.json."""
    event = load_event(event_id, Action.MANAGE)
    return render_template("attendance/board.html", event=event, board=services.board(event))


@bp.get("/events/<int:event_id>/board.json")
@login_required
def board_data(event_id: int):
    event = load_event(event_id, Action.MANAGE)
    response = jsonify(services.board(event))
    response.headers["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------- printables (organisers)

def _printable(event: Event, printable_id: int) -> Printable:
    row = load_of_event(Printable, printable_id, event)
    return row


def _printable_json(row: Printable) -> dict:
    return {
        "id": row.id, "kind": row.kind, "state": row.state, "item_count": row.item_count, "error": row.error,
        "download_url": url_for(".printable_download", event_id=row.event_id, printable_id=row.id)
        if row.state == "done" else None,
    }


@bp.get("/events/<int:event_id>/printables")
@login_required
def printables_page(event_id: int):
    event = load_event(event_id, Action.MANAGE)
    rows = db.session.scalars(select(Printable).where(Printable.event_id == event.id,
                                                      Printable.kind.in_(printables.KINDS))  # the ceremony's: its page
                              .order_by(Printable.created_at.desc(), Printable.id.desc()).limit(20)).all()
    template = printables.certificate_template(event)
    return render_template(
        "attendance/printables.html", event=event, rows=rows, describe=printables.describe,
        badges_form=BadgesForm(formdata=None), door_list_form=DoorListForm(formdata=None),
        cards_form=InvitationCardsForm(formdata=None), labels_form=AddressLabelsForm(formdata=None),
        template_form=CertificateTemplateForm(formdata=None, obj=template), template=template,
        honorees=printables.honorees(event),
    )


@bp.post("/events/<int:event_id>/printables/<kind>")
@login_required
def printable_start(event_id: int, kind: str):
    """Start a PDF in a worker; the page polls it and shows the download link."""
    event = load_event(event_id, Action.MANAGE)
    form = {"badges": BadgesForm, "door_list": DoorListForm, "certificates": FlaskForm,
            "invitation_cards": InvitationCardsForm, "address_labels": AddressLabelsForm}.get(kind)
    if form is None:
        abort(404)
    form = form()
    if not form.validate_on_submit():
        flash(_("Please correct the choices: %(problems)s",
                problems="; ".join(f"{getattr(form, name).label.text}: {', '.join(map(str, errors))}"
                                   for name, errors in form.errors.items() if name != "csrf_token")
                or _("The form has expired. Please reload the page.")), "danger")
        return redirect(url_for(".printables_page", event_id=event.id), 303)
    options = {k: v for k, v in form.data.items() if k != "csrf_token"}
    options["locale"] = current_locale()
    try:
        printables.request_printable(event, kind, options, by=current_user)
    except printables.PrintableError as error:
        db.session.rollback()
        flash(str(error), "danger")
        return redirect(url_for(".printables_page", event_id=event.id), 303)
    db.session.commit()
    flash(_("The PDF is being made. Its download link appears below when it is ready."), "success")
    return redirect(url_for(".printables_page", event_id=event.id), 303)


@bp.get("/events/<int:event_id>/printables/<int:printable_id>.json")
@login_required
def printable_state(event_id: int, printable_id: int):
    event = load_event(event_id, Action.MANAGE)
    return jsonify(_printable_json(_printable(event, printable_id)))


@bp.get("/events/<int:event_id>/printables/<int:printable_id>/download")
@login_required
def printable_download(event_id: int, printable_id: int):
    event = load_event(event_id, Action.MANAGE)
    row = _printable(event, printable_id)
    if row.state != "done" or row.content is None:
        abort(404)
    audit.downloaded("printable", row, event.association_id, row.item_count or 0, kind=row.kind, event_id=event.id)
    return _download(row.content, "application/pdf", printables.filename(row))


@bp.get("/events/<int:event_id>/certificates/<int:honoree_id>.pdf")
@login_required
def certificate_pdf(event_id: int, honoree_id: int):
    """One honoree's certificate, drawn at once."""
    event = load_event(event_id, Action.MANAGE)
    honoree = load_of_event(Honoree, honoree_id, event)
    name = f"certificate-{honoree.id}.pdf"
    body = printables.certificates_pdf(event, only=honoree)
    audit.downloaded("certificate", honoree, event.association_id, 1, event_id=event.id)
    return _download(body, "application/pdf", name)


def _template_from(form: CertificateTemplateForm, template: CertificateTemplate) -> str | None:
    """Copy the form onto `template`; a problem with the logo as a message, else None."""
    for name in ("title", "intro", "place", "signer_title", "signer_name"):
        setattr(template, name, nfc(getattr(form, name).data or "").strip())
    upload = form.logo.data
    if upload and getattr(upload, "filename", ""):
        try:
            template.logo_png = printables.logo_png(upload.read(printables.LOGO_MAX_BYTES + 1))
        except printables.PrintableError as error:
            return str(error)
    return None


@bp.post("/events/<int:event_id>/certificate-template")
@login_required
def certificate_template_save(event_id: int):
    """Save the certificate template of the event's association (its branches inherit it)."""
    event = load_event(event_id, Action.MANAGE)
    form = CertificateTemplateForm()
    if not form.validate_on_submit():
        flash(_("Please correct the fields marked below."), "danger")
        return redirect(url_for(".printables_page", event_id=event.id), 303)
    template = db.session.scalar(select(CertificateTemplate).where(
        CertificateTemplate.association_id == event.association_id))
    if template is None:
        template = CertificateTemplate(association_id=event.association_id)
        db.session.add(template)
    problem = _template_from(form, template)
    if problem:
        db.session.rollback()
        flash(problem, "danger")
        return redirect(url_for(".printables_page", event_id=event.id), 303)
    audit.record("template_changed", template, association_id=event.association_id, what="certificate")
    db.session.commit()
    flash(_("Certificate template saved."), "success")
    return redirect(url_for(".printables_page", event_id=event.id), 303)


@bp.post("/events/<int:event_id>/certificate-template/preview")
@login_required
def certificate_template_preview(event_id: int):
    """The form as it stands (not saved) on the first honoree's certificate, as a PDF."""
    event = load_event(event_id, Action.MANAGE)
    form = CertificateTemplateForm()
    if not form.validate_on_submit():
        abort(400)
    saved = printables.certificate_template(event)
    template = CertificateTemplate(association_id=event.association_id, logo_png=saved.logo_png)
    problem = _template_from(form, template)
    if problem:
        return Response(problem, status=422, mimetype="text/plain")
    body = printables.preview_certificate(event, template)
    return Response(body, mimetype="application/pdf", headers={"Content-Disposition": 'inline; filename="preview.pdf"'})


# ---------------------------------------------------------------- online: the personal join link

@bp.get("/j/<token>")
def join(token: str):
    """An invitee's personal join link: to the event's own meeting address in its time (counted once as
    attending online), else a page saying when it opens; a revoked or unknown link is a 404."""
    if token == links.TEST_COPY_TOKEN:  # the join link of an organiser's test copy: says what it does
        return redirect(url_for("invitations.test_copy_link", link="join"))
    invitation = online.invitation_by_join_token(token)
    if invitation is None:
        g.locale_override = "vi"
        refresh()
        return render_template("invitations/not_found.html"), 404
    contact, event = invitation.contact, invitation.event
    g.locale_override = contact.language if contact.language in ("vi", "en") else "vi"
    g.timezone_override = contact.timezone
    refresh()
    state = online.join_state(event)
    if state.url:
        online.record_join(invitation)
        db.session.commit()
        response = redirect(state.url, code=303)
        response.headers["Referrer-Policy"] = "no-referrer"  # the meeting never learns the personal link
        response.headers["Cache-Control"] = "no-store"
        return response
    response = Response(render_template("attendance/join.html", event=event, state=state,
                                        title=event.title(current_locale())))
    response.headers["Cache-Control"] = "no-store"
    return response
