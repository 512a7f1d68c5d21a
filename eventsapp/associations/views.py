"""Association pages, staff memberships, and the admin's user management."""
from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import audit, navigation
from ..auth import services as accounts
from ..auth.models import User
from ..extensions import db
from ..i18n import current_locale
from ..i18n import gettext as _
from ..i18n import lazy_gettext as _l
from ..permissions import Action, accessible_associations, can, require_admin
from ..web import save_or_flash
from . import branding, services
from .access import load_association
from .forms import ROLE_LABELS, AssociationForm, ConfirmForm, IdentityForm, MembershipForm, UserForm, UserRoleForm
from .models import Association, AssociationKind, Membership, Role

bp = Blueprint("associations", __name__)

navigation.register("associations.index", _l("Associations"), order=80)
navigation.register("associations.users", _l("Users"), order=90, admin_only=True)


@bp.app_template_global("mail_brand")
def mail_brand(association, locale: str) -> branding.Brand:
    """The association's identity at the top of its e-mails (templates/emails/_layout.html)."""
    return branding.brand(association, locale, default_color=branding.DEFAULT_MAIL_COLOR, external=True)


@bp.get("/associations/")
@login_required
def index():
    rows = services.tree(accessible_associations(current_user, Action.VIEW))
    return render_template("associations/index.html", rows=rows)


@bp.get("/associations/<slug>")
@login_required
def show(slug: str):
    association = load_association(slug, Action.VIEW)
    return render_template(
        "associations/show.html",
        association=association,
        branches=services.tree(list(association.children)),
        can_manage=can(current_user, Action.MANAGE, association),
    )


def _fill_parent_choices(form: AssociationForm, exclude: Association | None = None) -> None:
    form.parent_id.choices = [(0, "—")] + [
        (a.id, "— " * depth + a.name_vi) for depth, a in services.tree() if a is not exclude
    ]


def _save_from_form(form: AssociationForm, association: Association | None) -> Association | None:
    parent = db.session.get(Association, form.parent_id.data) if form.parent_id.data else None
    return save_or_flash(
        services.AssociationError, services.save_association,
        association, slug=form.slug.data, name_vi=form.name_vi.data.strip(), name_en=(form.name_en.data or "").strip(),
        kind=AssociationKind(form.kind.data), parent=parent, founded_on=form.founded_on.data,
        timezone=form.timezone.data, sender_email=form.sender_email.data,
        quiet_from=form.quiet_from.data, quiet_until=form.quiet_until.data,
    )


@bp.route("/associations/new", methods=["GET", "POST"])
@login_required
def create():
    require_admin()
    form = AssociationForm()
    _fill_parent_choices(form)
    if form.validate_on_submit() and (saved := _save_from_form(form, None)) is not None:
        return redirect(url_for(".show", slug=saved.slug))
    return render_template("associations/form.html", form=form, association=None)


@bp.route("/associations/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str):
    require_admin()
    association = load_association(slug, None)
    form = AssociationForm(obj=association)
    _fill_parent_choices(form, exclude=association)
    if request.method == "GET":
        form.parent_id.data = association.parent_id or 0
        form.kind.data = association.kind.value
    if form.validate_on_submit() and (saved := _save_from_form(form, association)) is not None:
        return redirect(url_for(".show", slug=saved.slug))
    return render_template("associations/form.html", form=form, association=association)


@bp.route("/associations/<slug>/identity", methods=["GET", "POST"])
@login_required
def identity(slug: str):
    """The organisers set the logo and colour their public pages and e-mails show."""
    association = load_association(slug, Action.MANAGE)
    form = IdentityForm(brand_color=association.brand_color)
    if form.validate_on_submit():
        color = _checked(form.brand_color, branding.clean_color, form.brand_color.data)
        upload, logo_png = form.logo.data, None
        if upload and upload.filename and not form.remove_logo.data:
            logo_png = _checked(form.logo, branding.process_logo, upload.read(branding.MAX_LOGO_BYTES + 1))
        if not form.brand_color.errors and not form.logo.errors:
            association.brand_color = color
            if form.remove_logo.data:
                branding.set_logo(association, None)
            elif logo_png is not None:
                branding.set_logo(association, logo_png)
            audit.record("settings_changed", association, association_id=association.id, what="identity",
                         logo="removed" if form.remove_logo.data else "new" if logo_png is not None else "kept")
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for(".identity", slug=association.slug), code=303)
    status = 400 if request.method == "POST" else 200
    return render_template("associations/identity.html", form=form, association=association,
                           brand=branding.brand(association, current_locale())), status


def _checked(field, check, value):
    """check(value), or None with the refusal added to the field's errors."""
    try:
        return check(value)
    except branding.BrandingError as error:
        field.errors = [*field.errors, str(error.message)]
        return None


@bp.get("/associations/<slug>/logo.png")
def logo(slug: str):
    """The association's logo (public: its pages and e-mails show it), as the app re-encoded it."""
    association = load_association(slug, None)
    if association.logo_version is None or association.logo_png is None:
        abort(404)
    response = Response(association.logo_png, mimetype="image/png")
    fresh = request.args.get("v") == association.logo_version
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable" if fresh else "public, max-age=300"
    response.headers["Content-Disposition"] = "inline; filename=logo.png"
    return response


@bp.get("/associations/<slug>/brand.css")
def brand_css(slug: str):
    """The association's colours as CSS custom properties (the CSP allows no inline style)."""
    association = load_association(slug, None)
    color = association.brand_color or branding.DEFAULT_PAGE_COLOR
    response = Response(branding.brand_css(color), mimetype="text/css")
    fresh = request.args.get("v") == color.lstrip("#")
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable" if fresh else "public, max-age=300"
    return response


@bp.route("/associations/<slug>/members", methods=["GET", "POST"])
@login_required
def members(slug: str):
    association = load_association(slug, Action.MANAGE)
    form = MembershipForm()
    if form.validate_on_submit():
        user = accounts.find_user(form.email.data)
        if user is None:
            flash(_("No staff account has this e-mail. An administrator must create it first."), "danger")
        else:
            services.grant(user, association, Role(form.role.data))
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for(".members", slug=slug))
    memberships = db.session.scalars(
        select(Membership).where(Membership.association_id == association.id).join(User).order_by(User.email)
    ).all()
    return render_template("associations/members.html", association=association, form=form,
                           memberships=memberships, confirm=ConfirmForm())


@bp.post("/associations/<slug>/members/<int:membership_id>/remove")
@login_required
def remove_member(slug: str, membership_id: int):
    association = load_association(slug, Action.MANAGE)
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.association_id != association.id:
        abort(404)
    if ConfirmForm().validate_on_submit():
        services.revoke(membership)
        db.session.commit()
        flash(_("Removed."), "success")
    return redirect(url_for(".members", slug=slug))


@bp.get("/admin/users")
@login_required
def users():
    require_admin()
    rows = db.session.scalars(select(User).order_by(User.email)).all()
    return render_template("associations/users.html", users=rows, role_labels=ROLE_LABELS)


@bp.route("/admin/users/new", methods=["GET", "POST"], defaults={"user_id": None})
@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def edit_user(user_id: int | None):
    require_admin()
    user = db.session.get(User, user_id) if user_id else None
    if user_id and user is None:
        abort(404)
    form = UserForm(obj=user)
    if form.validate_on_submit():
        try:
            if user is None:
                if not form.password.data:
                    raise accounts.AccountError(_("The password must have at least 8 characters."))
                user = accounts.create_user(form.email.data, form.password.data, name=form.name.data or "",
                                            is_admin=form.is_admin.data, locale=form.locale.data,
                                            timezone=form.timezone.data)
            else:
                other = accounts.find_user(form.email.data)
                if other is not None and other is not user:
                    raise accounts.AccountError(_("An account with this e-mail already exists."))
                user.email = accounts.normalise_email(form.email.data)
                user.name = form.name.data or ""
                user.locale, user.timezone = form.locale.data, form.timezone.data
                if user is not current_user:  # an admin cannot lock themself out
                    user.is_admin, user.active = form.is_admin.data, form.active.data
                if form.password.data:
                    user.set_password(form.password.data)
            audit.record("settings_changed", user, what="account", is_admin=user.is_admin, active=user.active,
                         password_changed=bool(form.password.data))
            db.session.commit()
        except accounts.AccountError as error:
            db.session.rollback()
            flash(_("Could not save: %(reason)s", reason=str(error)), "danger")
        else:
            if user_id is None and not user.is_admin:
                # Without a role a new account sees nothing: giving one is the next step.
                flash(_("Account created. Now give %(name)s a role in an association: until then they see "
                        "nothing.", name=user.name or user.email), "success")
                return redirect(url_for(".user_roles", user_id=user.id))
            flash(_("Saved."), "success")
            return redirect(url_for(".users"))
    return render_template("associations/user_form.html", form=form, user=user)


@bp.route("/admin/users/<int:user_id>/roles", methods=["GET", "POST"])
@login_required
def user_roles(user_id: int):
    """A user's roles, and a role given in an association (administrators)."""
    require_admin()
    user = db.session.get(User, user_id) or abort(404)
    associations = accessible_associations(current_user, Action.MANAGE)
    form = UserRoleForm()
    form.association_id.choices = [(a.id, a.name(current_locale())) for a in associations]
    status = 200
    if form.validate_on_submit():
        association = db.session.get(Association, form.association_id.data)
        if association is None:
            flash(_("Please choose an association from the list."), "danger")
            status = 400
        else:
            services.grant(user, association, Role(form.role.data))
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for(".user_roles", user_id=user.id))
    memberships = db.session.scalars(select(Membership).where(Membership.user_id == user.id)).all()
    return render_template("associations/user_roles.html", user=user, form=form, role_labels=ROLE_LABELS,
                           memberships=sorted(memberships, key=lambda m: m.association.name_vi)), status
