"""Small helpers shared by the domains' API modules (events, campaigns)."""
from __future__ import annotations

from flask import abort
from sqlalchemy import select

from .api import api_error
from .associations.models import Association
from .extensions import db
from .permissions import Action, authorize


def bad_request(message: str, field: str | None = None):
    """Abort with a 400 JSON error naming the field."""
    abort(api_error(400, "invalid", message, **({"field": field} if field else {})))


def managed_association(data: dict) -> Association:
    """The association named by slug in `data["association"]`; 400 if unknown, 403 unless the caller manages it."""
    association = db.session.scalar(select(Association).where(Association.slug == str(data.get("association", ""))))
    if association is None:
        bad_request("Unknown association.", "association")
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
