"""The person's own data page behind their secret link, and the administrators' export and erasure."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, url_for
from flask_login import login_required

from ..associations import branding
from ..contacts.models import Contact
from ..extensions import db
from ..i18n import gettext as _
from ..invitations import services as invitations
from ..invitations.emails import status_label
from ..permissions import require_admin
from . import consent, labels, services
from .forms import ConsentForm, CorrectionForm, EraseForm, StaffEraseForm
from .models import Purpose, Source

bp = Blueprint("privacy", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _person(token: str) -> Contact:
    contact = services.contact_by_token(token)
    if contact is None:
        abort(404)
    g.locale_override = contact.language
    return contact


def _brand(contact: Contact):
    association = invitations.inviting_association(contact)
    return branding.brand(association, contact.language) if association else None


def _download(contact: Contact, fmt: str, *, by_self: bool) -> Response:
    if fmt not in ("json", "xlsx"):
        abort(404)
    services.record_export(contact, by_self=by_self)
    db.session.commit()
    body = services.export_json(contact) if fmt == "json" else services.export_xlsx(contact)
    return Response(body, mimetype="application/json" if fmt == "json" else XLSX,
                    headers={"Content-Disposition": f'attachment; filename="personal-data.{fmt}"',
                             "Cache-Control": "no-store"})


@bp.route("/privacy/<token>", methods=["GET", "POST"])
def person(token: str):
    """What we hold about the person, with the correction form."""
    contact = _person(token)
    form = CorrectionForm(obj=contact)
    if form.validate_on_submit():
        try:
            services.correct(contact, full_name=form.full_name.data, language=form.language.data,
                             timezone=form.timezone.data)
        except services.PrivacyError as error:
            db.session.rollback()
            flash(str(error), "danger")
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for(".person", token=contact.unsubscribe_token), code=303)
    return render_template("privacy/person.html", contact=contact, data=services.collect(contact), form=form,
                           consent_form=_consent_form(contact), public_brand=_brand(contact), labels=labels,
                           status_label=status_label), 400 if form.errors else 200


def _consent_form(contact: Contact) -> ConsentForm:
    current = consent.current(contact)
    given = {p.value: bool(current.get((p.value, "any")) and current[(p.value, "any")].granted
                           and current[(p.value, "any")].basis.value != "none") for p in Purpose}
    return ConsentForm(formdata=None, **given)


@bp.post("/privacy/<token>/consent")
def person_consent(token: str):
    """The person says, purpose by purpose, what they agree to receive (each change recorded with its wording)."""
    contact = _person(token)
    form = ConsentForm()
    if form.validate_on_submit():
        shown = _consent_form(contact)
        for purpose in Purpose:
            wanted = getattr(form, purpose.value).data
            if wanted != getattr(shown, purpose.value).data:
                consent.record_one(contact, [purpose], granted=wanted, source=Source.PRIVACY_PAGE)
        db.session.commit()
        flash(_("Saved."), "success")
    return redirect(url_for(".person", token=contact.unsubscribe_token), code=303)


@bp.get("/rsvp/<token>/privacy")
def from_invitation(token: str):
    """From the RSVP page (which knows the invitation's secret, not the person's): on to their data page."""
    invitation = invitations.by_token(token)
    if invitation is None or invitation.contact.erased_at is not None:
        abort(404)
    return redirect(url_for(".person", token=invitation.contact.unsubscribe_token), code=303)


@bp.get("/privacy/<token>/data.<fmt>")
def person_download(token: str, fmt: str):
    """The person's data as JSON or as a spreadsheet."""
    return _download(_person(token), fmt, by_self=True)


@bp.route("/privacy/<token>/erase", methods=["GET", "POST"])
def person_erase(token: str):
    """The person asks for their data to be erased, and confirms."""
    contact = _person(token)
    form = EraseForm()
    brand = _brand(contact)
    if form.validate_on_submit():
        services.erase(contact, by_self=True)
        db.session.commit()
        return render_template("privacy/erased.html", public_brand=brand)
    return render_template("privacy/erase.html", contact=contact, form=form, public_brand=brand), (
        400 if form.errors else 200)


def _staff_contact(contact_id: int) -> Contact:
    require_admin()
    contact = db.session.get(Contact, contact_id)
    if contact is None or contact.erased_at is not None:
        abort(404)
    return contact


@bp.get("/contacts/<int:contact_id>/personal-data.<fmt>")
@login_required
def staff_download(contact_id: int, fmt: str):
    """An administrator exports what is held about a person who asked."""
    return _download(_staff_contact(contact_id), fmt, by_self=False)


@bp.route("/contacts/<int:contact_id>/erase", methods=["GET", "POST"])
@login_required
def staff_erase(contact_id: int):
    """An administrator erases a person who asked."""
    contact = _staff_contact(contact_id)
    form = StaffEraseForm()
    if form.validate_on_submit():
        services.erase(contact, by_self=False)
        db.session.commit()
        flash(_("The person's data was erased."), "success")
        return redirect(url_for("contacts.index"), code=303)
    return render_template("privacy/staff_erase.html", contact=contact, form=form), 400 if form.errors else 200
