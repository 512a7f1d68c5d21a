"""The API's feed URLs of an association, written once (see eventsapp.api.resources)."""
from __future__ import annotations

from marshmallow import fields

from .. import links
from ..api.resources import Schema
from ..api.schemas import component


def _url(public: bool, branches: bool = False, webcal: bool = False):
    """What one field answers: an association's public or private feed URL, with the branches' events or not."""
    def url(association) -> str:
        address = links.association_feed_url(association) if public else links.association_private_feed_url(association)
        address += "?branches=1" if branches else ""
        return links.webcal(address) if webcal else address
    return url


@component("AssociationFeeds")
class AssociationFeeds(Schema):
    """The calendar feeds of an association: the public one, and the private one (invite-only events too)."""

    association = fields.String(attribute="slug", required=True, metadata={"description": "its slug"})
    public_url = fields.Function(_url(True), required=True, metadata={"type": "string"})
    public_with_branches_url = fields.Function(_url(True, branches=True), required=True, metadata={"type": "string"})
    private_url = fields.Function(_url(False), required=True, metadata={"type": "string"})
    private_with_branches_url = fields.Function(_url(False, branches=True), required=True,
                                                metadata={"type": "string"})
    webcal_private_url = fields.Function(_url(False, webcal=True), required=True, metadata={"type": "string"})
