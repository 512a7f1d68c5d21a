"""Small helpers shared by the domains' API modules: field checks, 400s, the managed association."""
from __future__ import annotations

from flask import abort
from sqlalchemy import select

from . import validation
from .api import api_error
from .associations.models import Association
from .extensions import db
from .i18n import gettext as _
from .permissions import Action, authorize


def bad_request(message, field: str | None = None):
    """Abort with a 400 JSON error; `fields` names the field when there is one."""
    abort(api_error(400, "invalid", message, fields={field: message} if field else None))


class Fields:
    """Checks a request's fields with `eventsapp.validation` and collects every message:
    `value = fields.check("capacity", validation.integer, data["capacity"], minimum=1)`, then `fields.done()`."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def check(self, name: str, checker, value, **options):
        try:
            return checker(value, **options)
        except validation.Invalid as error:
            self.errors.setdefault(name, error.message)
            return None

    def refuse(self, name: str, message) -> None:
        self.errors.setdefault(name, str(message))

    def done(self) -> None:
        """Abort with a 400 naming every bad field, if there is one."""
        if self.errors:
            name, message = next(iter(self.errors.items()))
            summary = _("%(field)s: %(message)s", field=name, message=message)
            abort(api_error(400, "invalid", summary, fields=self.errors))


def managed_association(data: dict) -> Association:
    """The association named by slug in `data["association"]`; 400 if unknown, 403 unless the caller manages it."""
    slug = data.get("association")
    association = None
    if isinstance(slug, str) and len(slug) <= 200:
        association = db.session.scalar(select(Association).where(Association.slug == slug))
    if association is None:
        bad_request(_("Unknown association."), "association")
    authorize(Action.MANAGE, association)
    return association


def commit_or_400(error_class: type[Exception], action, *args, **kwargs):
    """Run a service call and commit; its rule errors (`error_class`) become a 400 with the message."""
    try:
        result = action(*args, **kwargs)
    except error_class as error:
        db.session.rollback()
        bad_request(str(error))
    db.session.commit()
    return result
