"""Small helpers shared by the domains' API modules: 400s, the managed association, a service call committed.

The fields of a request are checked by the resource's schema (eventsapp.api.resources)."""
from __future__ import annotations

from flask import abort
from sqlalchemy import select

from .api import api_error
from .associations.models import Association
from .extensions import db
from .i18n import gettext as _
from .permissions import Action, authorize


def bad_request(message, field: str | None = None):
    """Abort with a 400 JSON error; `fields` names the field when there is one."""
    abort(api_error(400, "invalid", message, fields={field: message} if field else None))


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
