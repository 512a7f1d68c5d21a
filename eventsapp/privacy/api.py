"""API: administrators export or erase a person on request (the same services as the staff pages)."""
from __future__ import annotations

from flask import Response, abort
from flask_login import current_user

from ..api import api_error, bp, json_body
from ..api.resources import load, operation
from ..contacts.models import Contact
from ..extensions import db
from ..i18n import gettext as _
from . import schemas, services


def _contact(contact_id: int) -> Contact:
    """The contact an administrator acts on: 403 for anyone else (nothing is looked up), 404 when unknown or
    already erased."""
    if not current_user.is_admin:
        abort(api_error(403, "forbidden", _("Only an administrator can export or erase a person's data.")))
    contact = db.session.get(Contact, contact_id)
    if contact is None or contact.erased_at is not None:
        abort(api_error(404, "not_found", _("No such contact.")))
    return contact


@bp.get("/contacts/<int:contact_id>/personal-data")
@operation(tags=["privacy"], responses={
    200: ("What is held about the person: the same document as their own download", schemas.PersonalData),
    403: "Not an administrator", 404: "Unknown or erased contact"})
def export_personal_data(contact_id: int):
    """Export everything held about a person who asked (administrators).
    The export is recorded in the audit log (person_exported, requested_by staff)."""
    contact = _contact(contact_id)
    services.record_export(contact, by_self=False)
    db.session.commit()
    return Response(services.export_json(contact), mimetype="application/json",
                    headers={"Cache-Control": "no-store"})


@bp.post("/contacts/<int:contact_id>/erasure")
@operation(tags=["privacy"], body=schemas.ErasureRequest, example={"confirm": True}, responses={
    200: ("What the erasure emptied or deleted, counted", schemas.Erasure),
    400: "confirm is not true: nothing erased", 403: "Not an administrator", 404: "Unknown or already erased contact"})
def erase_person(contact_id: int):
    """Erase a person who asked (administrators); it cannot be undone.
    The same erasure as the person's own page and the administrators' page: their values are removed or
    anonymised everywhere, their secret links stop working, the events' counts stay; the audit log records
    person_erased with the contact's id and the counts."""
    contact = _contact(contact_id)
    if load(schemas.ErasureRequest(), json_body())["confirm"] is not True:
        return api_error(400, "not_confirmed", _("Send confirm: true to erase this person; nothing was erased."),
                         fields={"confirm": _("Must be true.")})
    counts = services.erase(contact, by_self=False)
    db.session.commit()
    return {"contact_id": contact_id, **counts}
