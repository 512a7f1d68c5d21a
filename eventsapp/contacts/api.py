"""API: the contact directory (list/search with a keyset cursor, create, update, import)."""
from __future__ import annotations

from flask import abort, request
from flask_login import current_user

from .. import validation
from ..api import api_error, bp, json_body
from ..api_helpers import Fields
from ..associations.models import Association
from ..extensions import db
from ..i18n import gettext as _
from ..permissions import Action, association_ids_for, require_some
from . import importing, services
from .forms import TEXT_LIMITS
from .models import Contact


def contact_json(contact: Contact, visible: set[int] | None) -> dict:
    return {
        "id": contact.id, "full_name": contact.full_name, "email": contact.email, "phone": contact.phone,
        "country": contact.country, "place": contact.place, "timezone": contact.timezone,
        "language": contact.language, "notes": contact.notes, "tags": contact.tag_names,
        "associations": sorted(a.slug for a in contact.associations if visible is None or a.id in visible),
        "opted_out_at": contact.opted_out_at.isoformat() if contact.opted_out_at else None,
        "archived_at": contact.archived_at.isoformat() if contact.archived_at else None,
        "updated_at": contact.updated_at.isoformat() if contact.updated_at else None,
    }


def _load(contact_id: int, action: Action) -> Contact:
    contact = db.session.get(Contact, contact_id)
    if contact is None or not services.can_access(current_user, contact, Action.VIEW):
        abort(api_error(404, "not_found", _("No such contact.")))  # invisible ones too: existence is not revealed
    if not services.can_access(current_user, contact, action):
        abort(api_error(403, "forbidden", _("You have no role in this contact's associations.")))
    return contact


def _data(body: dict, contact: Contact | None) -> services.ContactData:
    fields = Fields()
    slugs = body.get("associations")
    if slugs is None:
        association_ids = [a.id for a in contact.associations] if contact else []
        allowed = services.manageable_association_ids(current_user)
        if allowed is not None:
            association_ids = [a for a in association_ids if a in allowed]
    else:
        if not isinstance(slugs, list) or not all(isinstance(s, str) and len(s) <= 200 for s in slugs):
            abort(api_error(400, "invalid", _("associations must be a list of slugs."),
                            fields={"associations": _("associations must be a list of slugs.")}))
        found = {a.slug: a.id for a in db.session.query(Association).filter(Association.slug.in_(slugs))}
        unknown = [s for s in slugs if s not in found]
        if unknown:
            message = _("Unknown association: %(slugs)s", slugs=", ".join(unknown))
            abort(api_error(400, "unknown_association", message, fields={"associations": message}))
        association_ids = [found[s] for s in slugs]
    current = {name: getattr(contact, name) for name in ("full_name", "email", "phone", "country", "place",
                                                       "timezone", "language", "notes")} if contact else {}
    values = {}
    for name, default in (("full_name", ""), ("email", ""), ("phone", ""), ("country", ""), ("place", ""),
                          ("timezone", "Asia/Ho_Chi_Minh"), ("language", "vi"), ("notes", "")):
        value = body.get(name, current.get(name, default))
        values[name] = fields.check(name, validation.text, value, max_length=TEXT_LIMITS[name],
                                    multiline=name == "notes") or ""
    tags = body.get("tags", contact.tag_names if contact else [])
    if not isinstance(tags, (list, str)) or (isinstance(tags, list) and not all(isinstance(t, str) for t in tags)):
        fields.refuse("tags", _("tags must be a list of strings."))
    else:
        for tag in ([tags] if isinstance(tags, str) else tags):
            fields.check("tags", validation.text, tag, max_length=TEXT_LIMITS["tags"])
    fields.done()
    return services.ContactData(**values, tags=services.clean_tags(tags), association_ids=association_ids)


def _save(contact: Contact | None, status: int):
    try:
        saved = services.save_contact(contact, _data(json_body(), contact), current_user)
    except services.ContactError as error:
        db.session.rollback()
        return api_error(400, "invalid", str(error))
    db.session.commit()
    return contact_json(saved, association_ids_for(current_user, Action.VIEW)), status


@bp.get("/contacts")
def list_contacts():
    """List and search the contacts the caller may see, in Vietnamese order, page by page.
    ---
    get:
      summary: List or search contacts
      tags: [contacts]
      parameters:
        - {name: q, in: query, schema: {type: string}, description: "Name or e-mail; diacritics and case ignored"}
        - {name: association, in: query, schema: {type: string}, description: "Slug; its branches included"}
        - {name: tag, in: query, schema: {type: string}}
        - {name: country, in: query, schema: {type: string}}
        - {name: language, in: query, schema: {type: string, enum: [vi, en]}}
        - {name: opted_out, in: query, schema: {type: string, enum: ["yes", "no"]}}
        - {name: archived, in: query, schema: {type: string, enum: ["no", "yes", "all"]}}
        - {name: cursor, in: query, schema: {type: string}, description: "next_cursor of the previous page"}
        - {name: limit, in: query, schema: {type: integer, maximum: 500, default: 50}}
      responses:
        200:
          description: "A page of contacts; next_cursor is null on the last page"
          content:
            application/json:
              schema:
                type: object
                required: [items, next_cursor]
                properties:
                  items: {type: array, items: {$ref: "#/components/schemas/Contact"}}
                  next_cursor: {type: string, nullable: true}
        404: {description: Unknown association}
    """
    require_some(Action.VIEW)
    args = request.args.to_dict()
    if args.get("association"):
        association = db.session.query(Association).filter_by(slug=args["association"]).one_or_none()
        if association is None:
            return api_error(404, "not_found", _("Unknown association."))
        args["association"] = str(association.id)
    try:
        limit = max(1, min(int(request.args.get("limit", services.PAGE_SIZE)), 500))
    except ValueError:
        return api_error(400, "invalid", _("limit must be a number."), fields={"limit": _("limit must be a number.")})
    flt = services.DirectoryFilter.from_args(args)
    contacts, next_cursor = services.page(current_user, flt, request.args.get("cursor"), limit)
    visible = association_ids_for(current_user, Action.VIEW)
    return {"items": [contact_json(c, visible) for c in contacts], "next_cursor": next_cursor}


@bp.get("/contacts/<int:contact_id>")
def get_contact(contact_id: int):
    """Read one contact.
    ---
    get:
      summary: Read a contact
      tags: [contacts]
      parameters:
        - {name: contact_id, in: path, required: true, schema: {type: integer}}
      responses:
        200: {description: The contact, schema: Contact}
        403: {description: Not linked to an association of the caller}
        404: {description: Unknown contact}
    """
    return contact_json(_load(contact_id, Action.VIEW), association_ids_for(current_user, Action.VIEW))


@bp.post("/contacts")
def create_contact():
    """Create a contact.
    ---
    post:
      summary: Create a contact
      tags: [contacts]
      requestBody:
        content:
          application/json:
            example: {full_name: "Nguyễn Thị Lan", email: "lan@example.vn", language: vi, associations: [viet-nhat]}
            schema:
              type: object
              required: [full_name, email, associations]
              properties:
                full_name: {type: string}
                email: {type: string}
                phone: {type: string}
                country: {type: string}
                place: {type: string}
                timezone: {type: string, example: Europe/Berlin}
                language: {type: string, enum: [vi, en]}
                notes: {type: string}
                tags: {type: array, items: {type: string}}
                associations: {type: array, items: {type: string}, description: "Slugs the caller manages"}
      responses:
        201: {description: The new contact, schema: Contact}
        400: {description: "Invalid data (message says why)"}
    """
    require_some(Action.MANAGE)
    return _save(None, 201)


@bp.patch("/contacts/<int:contact_id>")
def update_contact(contact_id: int):
    """Change a contact: only the fields sent change.
    ---
    patch:
      summary: Update a contact
      tags: [contacts]
      parameters:
        - {name: contact_id, in: path, required: true, schema: {type: integer}}
      requestBody:
        content:
          application/json:
            schema: {type: object, description: "Any field of POST /contacts"}
      responses:
        200: {description: The contact, schema: Contact}
        400: {description: Invalid data}
        403: {description: Not linked to an association the caller manages}
    """
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
        counts = importing.apply(result, valid_only=flag("valid_only"), user=current_user)
    except importing.ImportRefused as error:
        db.session.rollback()
        return api_error(422, "rows_have_errors", str(error), counts=result.counts, errors=errors)
    db.session.commit()
    return {"dry_run": False, "counts": result.counts, "imported": counts, "errors": errors}
