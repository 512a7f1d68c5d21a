"""The contact directory pages: list, search, export, create/edit, merge, delete/archive, import."""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from .. import audit, navigation
from ..associations import services as association_services
from ..associations.models import Association
from ..errors import refuse
from ..extensions import db
from ..i18n import current_locale
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..permissions import Action, accessible_associations, association_ids_for, authorize, require_some
from ..privacy.models import Basis
from ..timeutils import utcnow
from ..web import save_or_flash
from . import import_help, importing, services
from .forms import CHANNEL_LABELS, ConfirmForm, ConfirmImportForm, ContactForm, ImportForm, MergeForm
from .models import HONORIFICS, Contact

bp = Blueprint("contacts", __name__)

navigation.register("contacts.index", _l("Contacts"), order=30)

PREVIEW_ROWS_SHOWN = 200


def load_contact(contact_id: int, action: Action = Action.VIEW) -> Contact:
    contact = db.session.get(Contact, contact_id)
    # A contact the user may not see is answered as one that does not exist.
    if contact is None or not services.can_access(current_user, contact, Action.VIEW):
        abort(404)
    if not services.can_access(current_user, contact, action):
        abort(403)
    return contact


def _association_choices(action: Action = Action.MANAGE) -> list[tuple[int, str]]:
    rows = association_services.tree(accessible_associations(current_user, action))
    locale = current_locale()
    return [(a.id, "— " * depth + a.name(locale)) for depth, a in rows]


@bp.get("/contacts/")
@login_required
def index():
    require_some(Action.VIEW)
    flt = services.DirectoryFilter.from_args(request.args)
    after = request.args.get("after")
    if after and services.decode_cursor(after) is None:
        refuse(400, _("This page link is not valid (it may have been cut short). "
                      "Open the contact list again from its first page."), code="invalid_cursor")
    contacts, next_cursor = services.page(current_user, flt, after)
    return render_template(
        "contacts/index.html", contacts=contacts, flt=flt, next_cursor=next_cursor,
        first_page=not request.args.get("after"), total=services.count(current_user, flt),
        associations=_association_choices(Action.VIEW), choices=services.filter_choices(current_user),
        can_manage=bool(association_ids_for(current_user, Action.MANAGE) != set()),
    )


@bp.get("/contacts/export.<fmt>")
@login_required
def export(fmt: str):
    if fmt not in ("csv", "xlsx"):
        abort(404)
    require_some(Action.VIEW)
    flt = services.DirectoryFilter.from_args(request.args)
    contacts = db.session.scalars(services.directory_query(current_user, flt)).all()
    visible = association_ids_for(current_user, Action.VIEW)
    filters = {**flt.as_args(), "q": bool(flt.q)}  # whether a search was typed, not what (it may be a name)
    audit.downloaded("contacts", None, audit.association_of(current_user, [flt.association_id]), len(contacts),
                     format=fmt, **filters)
    stamp = utcnow().strftime("%Y%m%d")
    if fmt == "csv":
        return Response(importing.export_csv(contacts, visible), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="danh-ba-{stamp}.csv"'})
    return Response(importing.export_xlsx(contacts, visible),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="danh-ba-{stamp}.xlsx"'})


def _data_from(form: ContactForm) -> services.ContactData:
    return services.ContactData(
        full_name=form.full_name.data or "", email=form.email.data or "", phone=form.phone.data or "",
        honorific=form.honorific.data or "", position=form.position.data or "",
        postal_address=form.postal_address.data or "", preferred_channel=form.preferred_channel.data or "email",
        country=form.country.data or "", place=form.place.data or "", timezone=form.timezone.data,
        language=form.language.data, notes=form.notes.data or "", tags=services.clean_tags(form.tags.data or ""),
        association_ids=list(form.association_ids.data or []),
    )


def _save(form: ContactForm, contact: Contact | None) -> Contact | None:
    return save_or_flash(services.ContactError, services.save_contact, contact, _data_from(form), current_user)


@bp.route("/contacts/new", methods=["GET", "POST"])
@login_required
def create():
    if association_ids_for(current_user, Action.MANAGE) == set():
        abort(403)
    form = ContactForm()
    form.association_ids.choices = _association_choices()
    if form.validate_on_submit() and (saved := _save(form, None)) is not None:
        return redirect(url_for(".show", contact_id=saved.id))
    return render_template("contacts/form.html", form=form, contact=None, honorifics=HONORIFICS)


@bp.get("/contacts/<int:contact_id>")
@login_required
def show(contact_id: int):
    from ..inbound.services import unverified_opt_out  # inbound sits above contacts (it reads their mail)

    contact = load_contact(contact_id)
    visible = association_ids_for(current_user, Action.VIEW)
    can_manage = services.can_access(current_user, contact, Action.MANAGE)
    return render_template(
        "contacts/show.html", contact=contact, confirm=ConfirmForm(), channel_labels=CHANNEL_LABELS,
        associations=[a for a in contact.associations if visible is None or a.id in visible],
        can_manage=can_manage, has_history=services.has_history(contact),
        unverified_opt_out=unverified_opt_out(contact.id) if can_manage and not contact.opted_out_at else None,
    )


@bp.route("/contacts/<int:contact_id>/edit", methods=["GET", "POST"])
@login_required
def edit(contact_id: int):
    contact = load_contact(contact_id, Action.MANAGE)
    form = ContactForm(obj=contact)
    form.association_ids.choices = _association_choices()
    if request.method == "GET":
        allowed = {choice[0] for choice in form.association_ids.choices}
        form.association_ids.data = [a.id for a in contact.associations if a.id in allowed]
        form.tags.data = "; ".join(contact.tag_names)
    if form.validate_on_submit() and _save(form, contact) is not None:
        return redirect(url_for(".show", contact_id=contact.id))
    return render_template("contacts/form.html", form=form, contact=contact, honorifics=HONORIFICS)


_STATE_CHANGES = {
    "archive": (services.archive, _l("The contact is archived: it no longer appears in the directory.")),
    "unarchive": (services.unarchive, _l("The contact is back in the directory.")),
    "opt-out": (services.opt_out, _l("The contact will not be e-mailed again.")),
    "opt-in": (services.opt_in, _l("The contact may be e-mailed again.")),
}


@bp.post("/contacts/<int:contact_id>/<any(archive, unarchive, 'opt-out', 'opt-in'):change>")
@login_required
def change_state(contact_id: int, change: str):
    contact = load_contact(contact_id, Action.MANAGE)
    if ConfirmForm().validate_on_submit():
        function, message = _STATE_CHANGES[change]
        function(contact)
        db.session.commit()
        flash(str(message), "success")
    return redirect(url_for(".show", contact_id=contact.id))


@bp.post("/contacts/<int:contact_id>/delete")
@login_required
def delete(contact_id: int):
    contact = load_contact(contact_id, Action.MANAGE)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for(".show", contact_id=contact.id))
    try:
        services.delete_contact(contact)
    except services.ContactError as error:
        db.session.rollback()
        flash(str(error), "warning")
        return redirect(url_for(".show", contact_id=contact.id))
    db.session.commit()
    flash(_("The contact was deleted."), "success")
    return redirect(url_for(".index"))


@bp.route("/contacts/<int:contact_id>/merge", methods=["GET", "POST"])
@login_required
def merge(contact_id: int):
    contact = load_contact(contact_id, Action.MANAGE)
    form = MergeForm()
    if form.validate_on_submit():
        other = services.find_by_email_or_phone(form.other_email.data)
        if other is None or not services.can_access(current_user, other, Action.MANAGE):
            flash(_("No contact you manage has this e-mail or phone number."), "danger")
        elif other.id == contact.id:
            flash(_("Choose two different contacts."), "danger")
        elif save_or_flash(services.ContactError, services.merge, contact, other, current_user,
                           saved=_("The two contacts were merged.")):
            return redirect(url_for(".show", contact_id=contact.id))
    return render_template("contacts/merge.html", form=form, contact=contact)


# ---------------------------------------------------------------- import

@bp.route("/contacts/import", methods=["GET", "POST"])
@login_required
def import_upload():
    if association_ids_for(current_user, Action.MANAGE) == set():
        abort(403)
    form = ImportForm()
    form.association_id.choices = [(0, "—")] + _association_choices()
    if form.validate_on_submit():
        association = None
        if form.association_id.data:
            association = db.session.get(Association, form.association_id.data)
            authorize(Action.MANAGE, association)
        upload = form.file.data
        try:
            batch = importing.create_batch(current_user, upload.filename or "", upload.read(), association)
        except importing.ImportFileError as error:
            db.session.rollback()
            flash(str(error), "danger")
        else:
            db.session.commit()
            if importing.mapping_problems(batch.headers, batch.mapping) or \
                    importing.unknown_headers(batch.headers, batch.mapping):
                return redirect(url_for(".import_mapping", token=batch.token))
            return redirect(url_for(".import_preview", token=batch.token))
    return render_template("contacts/import.html", form=form, columns=import_help.column_help(_managed_names()))


def _managed_names() -> list[str]:
    """The names, in the reader's language, of the associations the user manages (tree order)."""
    return [name.lstrip("— ") for _id, name in _association_choices()]


@bp.get("/contacts/import-example.csv")
@login_required
def import_example():
    """A small roll to start from, naming the user's first association: it imports as it is."""
    names = _managed_names()
    if not names:
        abort(403)
    return Response(import_help.example_csv(names[0]), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="danh-ba-mau.csv"'})


def _load_batch(token: str):
    batch = importing.get_batch(token, current_user)
    if batch is None:
        abort(404)
    return batch


@bp.route("/contacts/import/<token>/mapping", methods=["GET", "POST"])
@login_required
def import_mapping(token: str):
    batch = _load_batch(token)
    form = ConfirmForm()
    problems: list[str] = []
    if form.validate_on_submit():
        mapping = {}
        for index in range(len(batch.headers)):
            name = request.form.get(f"column-{index}", "")
            if name in importing.FIELDS and name not in mapping.values():
                mapping[str(index)] = name
        problems = importing.mapping_problems(batch.headers, mapping)
        if not problems:
            batch.mapping = mapping
            db.session.commit()
            return redirect(url_for(".import_preview", token=batch.token))
    else:
        problems = importing.mapping_problems(batch.headers, batch.mapping)
    return render_template("contacts/import_mapping.html", batch=batch, form=form, problems=problems,
                           fields=[(name, importing.FIELD_LABELS[name]) for name in importing.FIELDS],
                           samples=batch.rows[:3])


def _only_mine() -> bool:
    """She chose to import only the associations she manages (`?mine=1`, kept by the confirm form's URL)."""
    return request.args.get("mine") == "1"


@bp.route("/contacts/import/<token>", methods=["GET", "POST"])
@login_required
def import_preview(token: str):
    batch = _load_batch(token)
    if batch.imported_at is not None:
        return redirect(url_for(".import_done", token=batch.token))
    if importing.mapping_problems(batch.headers, batch.mapping):
        return redirect(url_for(".import_mapping", token=batch.token))
    form = ConfirmImportForm()
    only_mine = _only_mine()
    if form.validate_on_submit():
        try:
            importing.confirm_batch(batch, current_user, valid_only=form.valid_only.data, only_mine=only_mine,
                                    basis=Basis(form.basis.data))
        except importing.ImportRefused as error:
            db.session.rollback()
            flash(str(error), "danger")
        else:
            db.session.commit()
            return redirect(url_for(".import_done", token=batch.token))
    result = importing.batch_preview(batch, current_user, only_mine=only_mine)
    groups = result.error_groups()
    not_managed = next((g.count for g in groups if g.kind == "association_not_managed"), 0)
    return render_template("contacts/import_preview.html", batch=batch, result=result, form=form,
                           shown=result.rows[:PREVIEW_ROWS_SHOWN], limit=PREVIEW_ROWS_SHOWN, groups=groups,
                           only_mine=only_mine, not_managed=not_managed,
                           mapped={int(i): importing.FIELD_LABELS[name] for i, name in batch.mapping.items()})


@bp.get("/contacts/import/<token>/errors.csv")
@login_required
def import_errors(token: str):
    batch = _load_batch(token)
    if batch.imported_at is not None:  # the rows left out by a "valid rows only" import
        report = (batch.summary or {}).get("error_report", "\ufeff")
    else:
        report = importing.error_report_csv(importing.batch_preview(batch, current_user, only_mine=_only_mine()))
    rows = max(len(list(csv.reader(io.StringIO(report.lstrip("\ufeff"))))) - 1, 0)
    audit.downloaded("import_errors", ("contact_import_batches", batch.id), batch.association_id
                     or audit.association_of(current_user, []), rows)
    return Response(report.encode("utf-8"), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="loi-nhap-danh-ba.csv"'})


@bp.get("/contacts/import/<token>/done")
@login_required
def import_done(token: str):
    batch = _load_batch(token)
    if batch.imported_at is None:
        return redirect(url_for(".import_preview", token=batch.token))
    return render_template("contacts/import_done.html", batch=batch, summary=batch.summary or {})
