"""API: the contact directory (list/search with a keyset cursor, create, update, import)."""
from __future__ import annotations

from flask import abort, request
from flask_login import current_user
from marshmallow import fields

from .. import audit
from ..api import api_error, bp, json_body
from ..api.resources import load, operation, page_of
from ..associations.models import Association
from ..extensions import db
from ..i18n import gettext as _
from ..permissions import Action, require_some
from ..privacy.models import Basis
from . import importing, schemas, services
from .models import Contact


def _load(contact_id: int, action: Action) -> Contact:
    contact = db.session.get(Contact, contact_id)
    if contact is None or not services.can_access(current_user, contact, Action.VIEW):
        abort(api_error(404, "not_found", _("No such contact.")))  # invisible ones too: existence is not revealed
    if not services.can_access(current_user, contact, action):
        abort(api_error(403, "forbidden", _("You have no role in this contact's associations.")))
    return contact


def _data(body: dict, contact: Contact | None) -> services.ContactData:
    values = load(schemas.Contact(partial=True), body)
    slugs = values.pop("associations", None)
    if slugs is None:
        association_ids = [a.id for a in contact.associations] if contact else []
        allowed = services.manageable_association_ids(current_user)
        if allowed is not None:
            association_ids = [a for a in association_ids if a in allowed]
    else:
        found = {a.slug: a.id for a in db.session.query(Association).filter(Association.slug.in_(slugs))}
        unknown = [s for s in slugs if s not in found]
        if unknown:
            message = _("Unknown association: %(slugs)s", slugs=", ".join(unknown))
            abort(api_error(400, "unknown_association", message, fields={"associations": message}))
        association_ids = [found[s] for s in slugs]
    defaults = {name: "" for name in services.SAVED_FIELDS}
    defaults.update(timezone="Asia/Ho_Chi_Minh", language="vi", preferred_channel="email")
    for name, default in defaults.items():
        values.setdefault(name, (getattr(contact, name) or "") if contact else default)
    tags = values.pop("tag_names", contact.tag_names if contact else [])  # the schema reads `tags` into it
    return services.ContactData(**values, tags=services.clean_tags(tags), association_ids=association_ids)


def _save(contact: Contact | None, status: int):
    try:
        saved = services.save_contact(contact, _data(json_body(), contact), current_user)
    except services.ContactError as error:
        db.session.rollback()
        return api_error(400, "invalid", str(error))
    db.session.commit()
    return saved, status


@bp.get("/contacts")
@operation(tags=["contacts"], query=schemas.ContactQuery, responses={
    200: ("A page of contacts; next_cursor is null on the last page",
          page_of(schemas.Contact, next_cursor=fields.String(required=True, allow_none=True))),
    404: "Unknown association"})
def list_contacts():
    """List and search the contacts the caller may see, in Vietnamese order, page by page."""
    require_some(Action.VIEW)
    query = load(schemas.ContactQuery(), request.args)
    args = request.args.to_dict()
    if args.get("association"):
        association = db.session.query(Association).filter_by(slug=args["association"]).one_or_none()
        if association is None:
            return api_error(404, "not_found", _("Unknown association."))
        args["association"] = str(association.id)
    flt = services.DirectoryFilter.from_args(args)
    contacts, next_cursor = services.page(current_user, flt, query.get("cursor"), query["limit"])
    # Each page taken through the API is an export, as the directory's CSV: which filters (whether a search was
    # typed, not what), how many rows.
    audit.downloaded("contacts", None, audit.association_of(current_user, [flt.association_id]), len(contacts),
                     format="api", page=bool(query.get("cursor")), **{**flt.as_args(), "q": bool(flt.q)})
    return {"items": contacts, "next_cursor": next_cursor}


@bp.get("/contacts/<int:contact_id>")
@operation(tags=["contacts"], responses={200: ("The contact", schemas.Contact),
                                         403: "Not linked to an association of the caller", 404: "Unknown contact"})
def get_contact(contact_id: int):
    """Read one contact."""
    return _load(contact_id, Action.VIEW)


@bp.post("/contacts")
@operation(tags=["contacts"], body=schemas.Contact, example={
    "full_name": "Nguyễn Thị Lan", "email": "lan@example.vn", "phone": "0912 345 678", "honorific": "Bà",
    "language": "vi", "associations": ["viet-nhat"]},
    responses={201: ("The new contact", schemas.Contact), 400: "Invalid data (message says why)"})
def create_contact():
    """Create a contact."""
    require_some(Action.MANAGE)
    return _save(None, 201)


@bp.patch("/contacts/<int:contact_id>")
@operation(tags=["contacts"], body=schemas.Contact(partial=True), responses={
    200: ("The contact", schemas.Contact), 400: "Invalid data",
    403: "Not linked to an association the caller manages"})
def update_contact(contact_id: int):
    """Change a contact: only the fields sent change."""
    return _save(_load(contact_id, Action.MANAGE), 200)


@bp.post("/contacts/import")
def import_contacts():
    """Import a CSV or XLSX file (multipart field `file`).
    ---
    post:
      summary: Import contacts from a spreadsheet
      tags: [contacts]
      requestBody:
        content:
          multipart/form-data:
            schema:
              type: object
              required: [file]
              properties:
                file: {type: string, format: binary}
                association: {type: string, description: "Slug added to every row"}
                dry_run: {type: boolean, description: "Check only; write nothing"}
                valid_only: {type: boolean, description: "Import the valid rows even if others have errors"}
                only_mine: {type: boolean, description: "Leave out the associations the caller does not manage"}
                basis: {type: string, enum: [consent, membership, contract, none], description: "Why the association may write to the people of this list, recorded as each row's consent (none: nothing is sent until they agree)"}
      responses:
        200: {description: "dry_run, counts, imported, errors (each: row, column, message)", schema: ContactImport}
        400: {description: "Not a readable spreadsheet"}
        413: {description: "File too large"}
        422: {description: "Rows have errors and valid_only was not set: nothing imported"}
    """
    require_some(Action.MANAGE)
    upload = request.files.get("file")
    if upload is None:
        return api_error(400, "missing_file", _("Send the spreadsheet in the multipart field 'file'."))
    association = None
    if request.form.get("association"):
        association = db.session.query(Association).filter_by(slug=request.form["association"]).one_or_none()
        if association is None:
            return api_error(400, "unknown_association", _("Unknown association."))
        if not services.can_access_association(current_user, association):
            return api_error(403, "forbidden", _("You do not manage this association."))
    flag = lambda name: request.form.get(name, "").lower() in ("1", "true", "yes", "on")  # noqa: E731
    basis = request.form.get("basis") or None
    if basis is not None and basis not in Basis._value2member_map_:
        return api_error(400, "invalid", _("Unknown basis: use consent, membership, contract or none."),
                         fields={"basis": _("Use consent, membership, contract or none.")})
    try:
        result = importing.check_file(upload.filename or "", upload.read(), current_user, association,
                                      only_mine=flag("only_mine"))
    except importing.ImportFileError as error:
        db.session.rollback()
        return api_error(400, "unreadable_file", str(error))
    errors = [{"row": row.number, "column": column, "message": message}
              for row in result.errors for column, message in row.errors]
    if flag("dry_run"):
        db.session.rollback()
        return {"dry_run": True, "counts": result.counts, "imported": None, "errors": errors}
    try:
        counts = importing.apply(result, valid_only=flag("valid_only"), user=current_user,
                                 basis=Basis(basis) if basis else None)
    except importing.ImportRefused as error:
        db.session.rollback()
        return api_error(422, "rows_have_errors", str(error), counts=result.counts, errors=errors)
    db.session.commit()
    return {"dry_run": False, "counts": result.counts, "imported": counts, "errors": errors}
