"""Pages of named guests and delegations: the invitee's guests page (from the RSVP page), the delegation
leader's page (by their secret link), and the organiser's tab of an event (options, guests, delegations)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import refresh
from flask_login import current_user, login_required

from .. import navigation
from ..events.access import load_event, load_of_event
from ..events.models import EventStatus
from ..events.services import local_to_utc
from ..extensions import db
from ..i18n import current_locale
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..invitations import services as invitation_services
from ..invitations.models import Invitation
from ..permissions import Action, can
from ..questions import services as questions
from ..questions.models import Audience
from ..timefmt import zone_choices
from ..web import save_or_flash
from . import services
from .emails import delegation_url
from .forms import DelegationForm, GuestOptionsForm
from .models import Delegation, EventGuest

bp = Blueprint("guests", __name__)

navigation.register_tab("event", "guests.event_guests", _l("Guests and delegations"), order=35)


def _speak(contact) -> None:
    """A public page speaks its reader's language and shows their zone."""
    g.locale_override = contact.language if contact is not None and contact.language in ("vi", "en") else "vi"
    if contact is not None and contact.timezone:
        g.timezone_override = contact.timezone
    refresh()


def _not_found():
    g.locale_override = "vi"
    refresh()
    return render_template("invitations/not_found.html"), 404


def _rows_from_form(prefix: str, slots: int, fields: tuple[str, ...]) -> list[dict]:
    """The guest rows a form sent (`guest-0-full_name`, …), the empty ones left out (removed)."""
    rows = []
    for index in range(slots):
        row = {name: request.form.get(f"{prefix}-{index}-{name}", "") for name in fields}
        if services.is_blank(row, fields):
            continue
        guest_id = request.form.get(f"{prefix}-{index}-id", "")
        row["id"] = int(guest_id) if guest_id.isascii() and guest_id.isdigit() and len(guest_id) < 10 else None
        row["slot"] = index
        rows.append(row)
    return rows


def _slots(invitation: Invitation, guests: list, rows: list[dict] | None = None) -> list[dict]:
    """What each of the form's guest slots shows: the saved guests, or the rows sent back with a refusal."""
    if rows is not None:
        by_slot = {row["slot"]: row for row in rows}
        return [by_slot.get(index, {}) for index in range(invitation.event.max_guests)]
    shown = [{"id": guest.id, "full_name": guest.full_name, "honorific": guest.honorific,
              "email": guest.email or "", "phone": guest.phone or ""} for guest in guests]
    return (shown + [{}] * invitation.event.max_guests)[:max(invitation.event.max_guests, len(shown))]


def _guests_page(invitation: Invitation, *, staff: bool, rows=None, errors=None, status: int = 200):
    guests = services.named_guests(invitation.id)
    return render_template(
        "guests/named.html", invitation=invitation, event=invitation.event, staff=staff, guests=guests,
        slots=_slots(invitation, guests, rows), errors=errors or {},
        closed=services.guests_closed_reason(invitation, staff=staff),
        back_url=url_for("guests.event_guests", event_id=invitation.event_id) if staff
        else url_for("invitations.rsvp", token=invitation.token),
        locale=g.get("locale_override") or "vi"), status


def _save_guests(invitation: Invitation, *, staff: bool, done_url: str):
    rows = _rows_from_form("guest", invitation.event.max_guests, services.PERSON_FIELDS)
    try:
        services.save_named_guests(invitation, rows, staff=staff)
    except services.GuestError as error:
        db.session.rollback()
        errors = {}
        for key, message in error.fields.items():  # "guests.<n>.<field>" → the n-th sent row's slot
            parts = key.split(".")
            if len(parts) == 3 and int(parts[1]) < len(rows):
                errors[f"{rows[int(parts[1])]['slot']}-{parts[2]}"] = message
        flash(error.message, "danger")
        invitation = db.session.get(Invitation, invitation.id)
        return _guests_page(invitation, staff=staff, rows=rows, errors=errors, status=400)
    db.session.commit()
    flash(_("The names of the guests are saved."), "success")
    return redirect(done_url, code=303)


# ---------------------------------------------------------------- the invitee's guests

def _invitee(token: str) -> Invitation | None:
    invitation = invitation_services.by_token(token)
    if invitation is None or invitation.event.status == EventStatus.DRAFT:
        return None
    _speak(invitation.contact)
    return invitation


@bp.route("/rsvp/<token>/guests", methods=["GET", "POST"])
def invitee_guests(token: str):
    """The invitee names the guests they bring (until the reply deadline)."""
    invitation = _invitee(token)
    if invitation is None:
        return _not_found()
    if request.method == "POST":
        return _save_guests(invitation, staff=False, done_url=url_for("guests.invitee_guests", token=token))
    return _guests_page(invitation, staff=False)


@bp.route("/events/<int:event_id>/invitations/<int:invitation_id>/guests", methods=["GET", "POST"])
@login_required
def staff_guests(event_id: int, invitation_id: int):
    """The staff name an invitee's guests for them (an answer by phone); the reply deadline does not bind them."""
    event = load_event(event_id, Action.MANAGE)
    invitation = load_of_event(Invitation, invitation_id, event)
    if request.method == "POST":
        return _save_guests(invitation, staff=True, done_url=url_for("guests.event_guests", event_id=event.id))
    return _guests_page(invitation, staff=True)


# ---------------------------------------------------------------- the delegation leader's page

def _leader(token: str) -> Delegation | None:
    delegation = services.by_token(token)
    if delegation is not None:
        _speak(delegation.leader_contact)
    return delegation


def _question_prefix(member_id: int | None) -> str:
    """The names of a member form's question inputs: one form per member on the page, each its own ids."""
    return f"m{member_id}-question-" if member_id else "new-question-"


def _question_fields(delegation: Delegation, member_id: int | None, editing: int | None, errors: dict) -> list:
    """The questions asked of delegation members, as the form of `member_id` (None: the new member's) shows
    them: the member's answers, or what was sent back with a refusal."""
    refused = editing is not None and (editing or None) == member_id
    person = questions.Person(guest_id=member_id) if member_id else None
    return questions.fields(delegation.event, Audience.MEMBER, person, form=request.form if refused else None,
                            errors=errors if refused else None, prefix=_question_prefix(member_id))


def _delegation_page(delegation: Delegation, *, form_values=None, errors=None, editing: int | None = None,
                     status: int = 200, staff: bool = False):
    members = list(db.session.scalars(db.select(EventGuest).where(EventGuest.delegation_id == delegation.id)
                                      .order_by(EventGuest.id)))
    errors = errors or {}
    leader = delegation.leader_contact
    closed = services.members_closed_reason(delegation)
    locale = g.get("locale_override") or "vi"
    return render_template(
        "guests/delegation.html", delegation=delegation, event=delegation.event, members=members,
        fields=services.member_fields(delegation.event), closed=closed,
        values=form_values or {}, errors=errors, editing=editing, staff=staff,
        # Closed: each member's answers are read; open: each member's form asks the members' questions.
        answer_lines=questions.answer_lines(delegation.event_id, [m.id for m in members], locale, guests=True)
        if closed else None,
        question_fields={} if closed else
        {member.id: _question_fields(delegation, member.id, editing, errors) for member in members}
        | {0: _question_fields(delegation, None, editing, errors)},
        default_language=leader.language if leader is not None and leader.language in ("vi", "en") else "vi",
        default_timezone=leader.timezone if leader is not None else "",
        zone_choices=[] if closed else
        zone_choices([zone for zone in (leader.timezone if leader else None, delegation.event.timezone) if zone], locale),
        locale=locale), status


def _record_answers(delegation: Delegation, member: EventGuest, prefix: str) -> None:
    """Save the member's answers to the questions asked of members, as the RSVP page does (required ones,
    deadlines, values checked); GuestError (with each refused field) when one is not acceptable."""
    errors = questions.record_form(delegation.event, Audience.MEMBER, request.form,
                                   questions.Person(guest_id=member.id), prefix=prefix)
    if errors:
        raise services.GuestError(_("Please correct the answers marked below."), errors)


def _member_values() -> dict:
    return {name: request.form.get(name, "") for name in services.MEMBER_FIELDS + services.PASSPORT_FIELDS}


@bp.get("/delegation/<token>")
def delegation(token: str):
    found = _leader(token)
    if found is None:
        return _not_found()
    return _delegation_page(found)


def _member_change(token: str, change, member_id: int | None = None):
    found = _leader(token)
    if found is None:
        return _not_found()
    member = None
    if member_id is not None:
        member = db.session.get(EventGuest, member_id)
        if member is None or member.delegation_id != found.id:
            return _not_found()  # another delegation's member is not reachable through this link
    values = _member_values()
    try:
        message = change(found, member, values)
    except services.GuestError as error:
        db.session.rollback()
        flash(error.message, "danger")
        found = services.by_token(token)
        if found is None:
            return _not_found()
        return _delegation_page(found, form_values=values, errors=error.fields, editing=member_id or 0, status=400)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("guests.delegation", token=token), code=303)


@bp.post("/delegation/<token>/members")
def add_member(token: str):
    def add(found, _member, values):
        saved = services.save_member(found, values)
        _record_answers(found, saved, _question_prefix(None))
        return _("%(name)s is added to the delegation.", name=saved.full_name)
    return _member_change(token, add)


@bp.post("/delegation/<token>/members/<int:member_id>")
def change_member(token: str, member_id: int):
    def change(found, member, values):
        saved = services.save_member(found, values, member)
        _record_answers(found, saved, _question_prefix(member.id))
        return _("The details of %(name)s are saved.", name=saved.full_name)
    return _member_change(token, change, member_id)


@bp.post("/delegation/<token>/members/<int:member_id>/remove")
def remove_member(token: str, member_id: int):
    def remove(found, member, _values):
        name = member.full_name
        services.remove_member(found, member)
        return _("%(name)s is removed from the delegation.", name=name)
    return _member_change(token, remove, member_id)


# ---------------------------------------------------------------- the organiser's tab

@bp.get("/events/<int:event_id>/guests")
@login_required
def event_guests(event_id: int):
    """Options, the invitees' named guests, and the delegations with their members."""
    event = load_event(event_id, Action.VIEW)
    return _event_page(event)


def _event_page(event, delegation_form: DelegationForm | None = None, status: int = 200):
    guests = services.guests_by_invitation(event.id)
    hosts = {i.id: i for i in db.session.scalars(db.select(Invitation).where(Invitation.id.in_(list(guests))))}
    delegations = services.delegations_of(event.id)
    members = {d.id: d.members for d in delegations}
    options = GuestOptionsForm(formdata=None, guests_must_be_named=event.guests_must_be_named,
                               delegations_ask_passport=event.delegations_ask_passport)
    return render_template(
        "guests/event.html", event=event, guests=guests, hosts=hosts, delegations=delegations, members=members,
        options=options, delegation_form=delegation_form or DelegationForm(formdata=None),
        member_answer_lines=questions.answer_lines(event.id, [m.id for ms in members.values() for m in ms],
                                                   current_locale(), guests=True),
        can_manage=can(current_user, Action.MANAGE, event.association_id), delegation_url=delegation_url), status


@bp.post("/events/<int:event_id>/guests/options")
@login_required
def save_options(event_id: int):
    event = load_event(event_id, Action.MANAGE)
    form = GuestOptionsForm()
    if form.validate_on_submit():
        save_or_flash(services.GuestError, services.set_options, event,
                      must_be_named=form.guests_must_be_named.data, ask_passport=form.delegations_ask_passport.data)
    else:
        flash(_("The form has expired. Please reload the page."), "danger")
    return redirect(url_for("guests.event_guests", event_id=event.id), code=303)


@bp.post("/events/<int:event_id>/delegations")
@login_required
def create_delegation(event_id: int):
    event = load_event(event_id, Action.MANAGE)
    form = DelegationForm()
    if not form.validate_on_submit():
        return _event_page(event, form, status=400)
    deadline = local_to_utc(form.deadline_local.data, event.timezone) if form.deadline_local.data else None
    values = services.DelegationValues(name=form.name.data, leader_email=form.leader_email.data or "",
                                       quota=form.quota.data, deadline=deadline,
                                       organisation_email=form.organisation_email.data or "")
    try:
        created = services.create_delegation(event, values, user=current_user)
    except services.GuestError as error:
        db.session.rollback()
        for name, message in error.fields.items():
            target = "deadline_local" if name == "deadline" else name
            if target in form:
                form[target].errors = [*form[target].errors, message]
        flash(_("Could not save: %(reason)s", reason=error.message), "danger")
        return _event_page(event, form, status=400)
    db.session.commit()
    flash(_("The delegation “%(name)s” is created; its leader's link is on its way.", name=created.name), "success")
    return redirect(url_for("guests.event_guests", event_id=event.id), code=303)


def _live_delegation(event_id: int, delegation_id: int):
    event = load_event(event_id, Action.MANAGE)
    found = load_of_event(Delegation, delegation_id, event)
    if found.revoked_at is not None:
        abort(404)
    return event, found


@bp.post("/events/<int:event_id>/delegations/<int:delegation_id>/revoke")
@login_required
def revoke_delegation(event_id: int, delegation_id: int):
    """The link stops working and the members give back their places."""
    event, found = _live_delegation(event_id, delegation_id)
    if GuestOptionsForm().validate_on_submit():
        save_or_flash(services.GuestError, services.revoke_delegation, found, saved=_("The delegation is revoked."))
    return redirect(url_for("guests.event_guests", event_id=event.id), code=303)


@bp.post("/events/<int:event_id>/delegations/<int:delegation_id>/new-link")
@login_required
def new_delegation_link(event_id: int, delegation_id: int):
    """A new link for the leader, sent to them; the old one stops working (a forwarded or lost link)."""
    event, found = _live_delegation(event_id, delegation_id)
    if GuestOptionsForm().validate_on_submit():
        save_or_flash(services.GuestError, services.renew_link, found,
                      saved=_("A new link is on its way to the leader; the old one no longer works."))
    return redirect(url_for("guests.event_guests", event_id=event.id), code=303)
