"""Helpers for the contact tests: the association tree of the example files, uploads."""
from __future__ import annotations

import io
import re

from eventsapp.associations.models import AssociationKind
from tests.factories import AssociationFactory

SLUGS = ("viet-nga", "viet-duc", "viet-trung", "viet-lao", "viet-campuchia", "viet-sec-slovakia", "viet-han",
         "viet-italia", "viet-nhat")

VI_HEADER = "Họ và tên,Email,Số điện thoại,Quốc gia,Nơi ở,Múi giờ,Ngôn ngữ,Hội,Ghi chú\n"


def example_associations() -> dict:
    """The nine associations the example files name, and a branch under viet-nhat."""
    found = {slug: AssociationFactory(slug=slug) for slug in SLUGS}
    found["viet-nhat-yen-the"] = AssociationFactory(slug="viet-nhat-yen-the", kind=AssociationKind.BRANCH,
                                                    parent=found["viet-nhat"])
    return found


def upload(auth, data: bytes, filename: str = "danh-ba.csv", association_id: int = 0):
    """Upload a file on the import page; returns the response after redirects."""
    return auth.post("/contacts/import", {"file": (io.BytesIO(data), filename), "association_id": str(association_id)},
                     content_type="multipart/form-data", follow_redirects=True)


def preview_token(response) -> str:
    match = re.search(r"/contacts/import/([\w-]+)/", response.text) or re.search(r"/contacts/import/([\w-]+)\"",
                                                                                   response.text)
    assert match, response.text
    return match.group(1)


def login_as(auth, user) -> None:
    """Sign in as `user`; requests share the test's app context, so forget Flask-Login's cached user."""
    from flask import g

    auth.login(user)
    g.pop("_login_user", None)
