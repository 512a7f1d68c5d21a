"""The ceremony's pages: the association's protocol table, an event's order, its seating plan and printing,
and the master of ceremonies' list (with its projector view and the JSON the page polls)."""
from __future__ import annotations

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import func, select

from .. import audit, navigation
from ..associations.access import load_association
from ..attendance.models import Printable
from ..contacts.services import can_access
from ..events.access import load_event
from ..extensions import db
from ..guests.models import EventGuest
from ..i18n import current_locale
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..invitations.models import Invitation
from ..permissions import Action
from ..web import save_or_flash
from . import mc, printables, protocol, seating
from .forms import MoveForm, PersonForm, PlaceForm, PositionChangeForm, PositionForm, TableChangeForm, TableForm
from .models import ProtocolPosition, SeatAssignment, SeatTable

bp = Blueprint("ceremony", __name__)

navigation.register_tab("event", "ceremony.order", _l("Protocol order"), order=73)
navigation.register_tab("event", "ceremony.seating_page", _l("Seating"), order=74)
navigation.register_tab("event", "ceremony.mc_page", _l("Master of ceremonies"), order=76)

MC_ACTIONS = (Action.VIEW, Action.CHECKIN)  # the MC may be an organiser, a viewer or door staff


def _problems(form) -> str:
    return "; ".join(f"{getattr(form, name).label.text}: {', '.join(map(str, errors))}"
                     for name, errors in form.errors.items() if name != "csrf_token") \
        or _("The form has expired. Please reload the page.")


def _refuse(form, target: str):
    flash(_("Could not save: %(reason)s", reason=_problems(form)), "danger")
    return redirect(target, 303)


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.app_template_global()
def ceremony_seat(invitation) -> str | None:
    """An invitee's seat as the door card shows it after check-in ("Bàn 3 · ghế 5"), or None."""
    row = db.session.execute(select(SeatTable.shape, SeatTable.number, SeatAssignment.seat)
                             .join(SeatTable, SeatTable.id == SeatAssignment.table_id)
                             .where(SeatAssignment.invitation_id == invitation.id)).first()
    return seating.seat_text(*row) if row else None


# ---------------------------------------------------------------- the association's protocol table

@bp.get("/associations/<slug>/protocol")
@login_required
def protocol_table(slug: str):
    association = load_association(slug, Action.MANAGE)
    rows = db.session.scalars(select(ProtocolPosition).where(ProtocolPosition.association_id == association.id)
                              .order_by(ProtocolPosition.order, ProtocolPosition.id)).all()
    inherited = protocol.table_for(association) if not rows else []
    return render_template("ceremony/protocol_table.html", association=association, rows=rows, inherited=inherited,
                           form=PositionForm(formdata=None))


@bp.post("/associations/<slug>/protocol")
@login_required
def protocol_add(slug: str):
    association = load_association(slug, Action.MANAGE)
    target = url_for(".protocol_table", slug=association.slug)
    form = PositionForm()
    if not form.validate_on_submit():
        return _refuse(form, target)
    last = db.session.scalar(select(func.max(ProtocolPosition.order))
                             .where(ProtocolPosition.association_id == association.id)) or 0
    line = ProtocolPosition(association_id=association.id, order=last + 1, label=form.label.data.strip(),
                            keywords=(form.keywords.data or "").strip(), delegations=form.delegations.data)
    db.session.add(line)
    audit.record("settings_changed", line, association_id=association.id, what="protocol_table", change="added",
                 order=line.order)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(target, 303)


@bp.post("/associations/<slug>/protocol/change")
@login_required
def protocol_change(slug: str):
    association = load_association(slug, Action.MANAGE)
    target = url_for(".protocol_table", slug=association.slug)
    form = PositionChangeForm()
    if not form.validate_on_submit():
        return _refuse(form, target)
    rows = list(db.session.scalars(select(ProtocolPosition).where(ProtocolPosition.association_id == association.id)
                                   .order_by(ProtocolPosition.order, ProtocolPosition.id)))
    found = next((row for row in rows if row.id == form.position_id.data), None)
    if found is None:
        flash(_("This line is not in the table any more."), "danger")
        return redirect(target, 303)
    index = rows.index(found)
    rows.remove(found)
    if form.action.data != "delete":
        rows.insert(max(0, index - 1) if form.action.data == "up" else min(len(rows), index + 1), found)
    else:
        db.session.delete(found)
    audit.record("settings_changed", ("protocol_positions", found.id), association_id=association.id,
                 what="protocol_table", change={"up": "moved_up", "down": "moved_down"}.get(form.action.data, "removed"))
    for number, row in enumerate(rows, start=1):
        row.order = number
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(target, 303)


# ---------------------------------------------------------------- the event's order

@bp.get("/events/<int:event_id>/protocol")
@login_required
def order(event_id: int):
    event = load_event(event_id, Action.MANAGE)
    found = protocol.read(event)
    pinned = any(unit.pinned is not None for unit in found.units)
    return render_template("ceremony/order.html", event=event, order=found, pinned=pinned,
                           form=MoveForm(formdata=None))


@bp.post("/events/<int:event_id>/protocol/move")
@login_required
def move(event_id: int):
    """Move a line of the order up or down one place (buttons), or to a place (dragging, `to`)."""
    event = load_event(event_id, Action.MANAGE)
    target = url_for(".order", event_id=event.id)
    form = MoveForm()
    if not form.validate_on_submit() or not (form.direction.data or form.to.data):
        if _wants_json():
            return jsonify({"ok": False, "message": _problems(form)}), 400
        return _refuse(form, target)
    to = form.to.data
    if not to:
        current = [unit.key for unit in protocol.read(event).units]
        if form.unit.data in current:  # one place up or down; the first line stays first
            to = max(1, current.index(form.unit.data) + (0 if form.direction.data == "up" else 2))
    if not to or not protocol.move(event, form.unit.data, to):
        db.session.rollback()
        message = _("This line is not in the order.")
        if _wants_json():
            return jsonify({"ok": False, "message": message}), 400
        flash(message, "danger")
        return redirect(target, 303)
    db.session.commit()
    if _wants_json():
        return jsonify({"ok": True})
    return redirect(f"{target}#unit-{form.unit.data}", 303)


@bp.post("/events/<int:event_id>/protocol/person")
@login_required
def person(event_id: int):
    """Set a person's honorific and position: an invitee's on their contact (held by an association the
    organiser manages), a named guest's on the guest."""
    event = load_event(event_id, Action.MANAGE)
    target = url_for(".order", event_id=event.id)
    form = PersonForm()
    if not form.validate_on_submit():
        return _refuse(form, target)
    kind, _sep, raw = form.person.data.partition("-")
    row = db.session.get(Invitation if kind == "i" else EventGuest, int(raw))
    if row is None or row.event_id != event.id:
        flash(_("This person is not on the list."), "danger")
        return redirect(target, 303)
    holder = row.contact if kind == "i" else row
    if kind == "i" and not can_access(current_user, holder, Action.MANAGE):
        flash(_("This person's record is kept by another association: ask its organisers to change it."), "danger")
        return redirect(target, 303)
    holder.honorific = (form.honorific.data or "").strip()
    holder.position = (form.position.data or "").strip()
    fields = audit.changed(holder, ("honorific", "position"))
    if kind == "i" and fields:
        audit.record_for("contact_edited", holder, [a.id for a in holder.associations], fields=fields,
                         event_id=event.id)
    elif fields:
        audit.for_event("settings_changed", holder, event, what="protocol", change="guest_title", fields=fields)
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(f"{target}#unit-{form.person.data}", 303)


@bp.post("/events/<int:event_id>/protocol/reset")
@login_required
def reset(event_id: int):
    event = load_event(event_id, Action.MANAGE)
    protocol.reset(event)
    db.session.commit()
    flash(_("The order follows the protocol table again."), "success")
    return redirect(url_for(".order", event_id=event.id), 303)


# ---------------------------------------------------------------- seating

@bp.get("/events/<int:event_id>/seating")
@login_required
def seating_page(event_id: int):
    event = load_event(event_id, Action.MANAGE)
    seats, tables = seating.seats(event)
    files = db.session.scalars(select(Printable).where(Printable.event_id == event.id,
                                                       Printable.kind.in_(printables.KINDS))
                               .order_by(Printable.created_at.desc(), Printable.id.desc()).limit(10)).all()
    by_table: dict[int, list] = {table.id: [] for table in tables}
    for each in seats:
        if each.table is not None:
            by_table[each.table.id].append(each)
    for people in by_table.values():
        people.sort(key=lambda each: each.seat)
    return render_template("ceremony/seating.html", event=event, seats=seats, tables=tables, by_table=by_table,
                           unseated=[each for each in seats if each.table is None],
                           changed=[each for each in seats if each.changed_after_print],
                           printed_at=seating.printed_at(event), files=files, describe=printables.describe,
                           kinds=printables.KINDS, table_form=TableForm(formdata=None),
                           plan=(seating.PLAN_WIDTH, seating.PLAN_HEIGHT), seat_text=seating.seat_text)


def _back(event) -> str:
    return url_for(".seating_page", event_id=event.id)


@bp.post("/events/<int:event_id>/seating/tables")
@login_required
def table_add(event_id: int):
    event = load_event(event_id, Action.MANAGE)
    form = TableForm()
    if not form.validate_on_submit():
        return _refuse(form, _back(event))
    save_or_flash(seating.SeatingError, seating.add_table, event, number=form.number.data,
                  name=(form.name.data or "").strip(), shape=form.shape.data, capacity=form.capacity.data,
                  x=form.x.data or 0, y=form.y.data or 0)
    return redirect(_back(event), 303)


@bp.post("/events/<int:event_id>/seating/tables/change")
@login_required
def table_change(event_id: int):
    event = load_event(event_id, Action.MANAGE)
    form = TableChangeForm()
    if not form.validate_on_submit():
        return _refuse(form, _back(event))
    table = db.session.get(SeatTable, form.table_id.data)
    if table is None or table.event_id != event.id:
        flash(_("This table is not on the plan any more."), "danger")
        return redirect(_back(event), 303)
    if form.delete.data:
        save_or_flash(seating.SeatingError, seating.remove_table, table)
    else:
        save_or_flash(seating.SeatingError, seating.update_table, table, name=(form.name.data or "").strip(),
                      shape=form.shape.data, capacity=form.capacity.data, x=form.x.data or 0, y=form.y.data or 0)
    return redirect(_back(event), 303)


@bp.post("/events/<int:event_id>/seating/assign")
@login_required
def assign(event_id: int):
    event = load_event(event_id, Action.MANAGE)
    if not FlaskForm().validate_on_submit():
        flash(_("The form has expired. Please reload the page."), "danger")
        return redirect(_back(event), 303)
    result = seating.assign(event)
    db.session.commit()
    if result.unseated:
        flash(_("%(seated)s people seated; %(n)s found no seat: add tables or seats, then seat again.",
                seated=result.seated, n=len(result.unseated)), "warning")
    else:
        flash(_("%(seated)s people seated in protocol order.", seated=result.seated), "success")
    return redirect(_back(event), 303)


@bp.post("/events/<int:event_id>/seating/place")
@login_required
def place(event_id: int):
    """Seat one person at a table (first free seat, or a chosen seat: whoever sat there swaps), or stand
    them up (no table). From the list's form, or from the plan when a name is dragged onto a table."""
    event = load_event(event_id, Action.MANAGE)
    form = PlaceForm()
    if not form.validate_on_submit():
        if _wants_json():
            return jsonify({"ok": False, "message": _problems(form)}), 400
        return _refuse(form, _back(event))
    try:
        if form.table_id.data:
            table = db.session.get(SeatTable, form.table_id.data)
            if table is None or table.event_id != event.id:
                raise seating.SeatingError(_("This table is not on the plan any more."))
            seating.place(event, form.person.data, table, form.seat.data)
        else:
            seating.unseat(event, form.person.data)
    except seating.SeatingError as error:
        db.session.rollback()
        if _wants_json():
            return jsonify({"ok": False, "message": str(error)}), 409
        flash(_("Could not save: %(reason)s", reason=str(error)), "danger")
        return redirect(_back(event), 303)
    db.session.commit()
    if _wants_json():
        return jsonify({"ok": True})
    flash(_("Saved."), "success")
    return redirect(_back(event), 303)


@bp.post("/events/<int:event_id>/seating/print/<kind>")
@login_required
def print_start(event_id: int, kind: str):
    event = load_event(event_id, Action.MANAGE)
    if not FlaskForm().validate_on_submit():
        flash(_("The form has expired. Please reload the page."), "danger")
        return redirect(_back(event), 303)
    try:
        printables.request_printable(event, kind, current_locale(), by=current_user)
    except printables.PrintableError as error:
        db.session.rollback()
        flash(str(error), "danger")
        return redirect(_back(event), 303)
    db.session.commit()
    flash(_("The PDF is being made. Its download link appears below when it is ready."), "success")
    return redirect(_back(event) + "#files", 303)


# ---------------------------------------------------------------- the master of ceremonies

@bp.get("/events/<int:event_id>/mc")
@login_required
def mc_page(event_id: int):
    event = load_event(event_id, MC_ACTIONS)
    return render_template("ceremony/mc.html", event=event, entries=mc.entries(event), projector=False)


@bp.get("/events/<int:event_id>/mc/projector")
@login_required
def mc_projector(event_id: int):
    event = load_event(event_id, MC_ACTIONS)
    return render_template("ceremony/mc.html", event=event, entries=mc.entries(event), projector=True)


@bp.get("/events/<int:event_id>/mc.json")
@login_required
def mc_data(event_id: int):
    """The list as JSON for the page's script (polled every 2 s): 304 while it has not changed."""
    event = load_event(event_id, MC_ACTIONS)
    body, version = mc.as_json(event)
    response = Response(body, mimetype="application/json")
    response.set_etag(version)
    response.headers["Cache-Control"] = "no-cache"
    return response.make_conditional(request)
