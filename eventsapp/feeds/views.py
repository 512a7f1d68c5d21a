"""Feed URLs (public by design: the URL, or its token, is the key) and the staff page to subscribe.

Serving reads a small row (id, ETag, Last-Modified) and answers 304 without
touching the body; the body comes from a per-process cache keyed by ETag, so
the database sends it once per change and process.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from hashlib import sha256
from urllib.parse import quote

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.http import is_resource_modified

from .. import links
from ..associations.forms import ConfirmForm
from ..associations.models import Association
from ..campaigns.models import Campaign
from ..contacts.models import Contact
from ..events.models import Event, Visibility
from ..extensions import db
from ..permissions import Action, authorize, can
from . import builder, services
from .models import Feed, FeedKind

bp = Blueprint("feeds", __name__)

CONTENT_TYPE = "text/calendar; charset=utf-8"
PUBLIC_CACHE = "public, max-age=300"
PRIVATE_CACHE = "private, max-age=300"
TRUE_VALUES = {"1", "true", "yes", "on"}


class BodyCache:
    """Feed bodies by (feed id, ETag), least recently used dropped past `max_bytes`."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024):
        self.max_bytes = max_bytes
        self.size = 0
        self.items: OrderedDict[int, tuple[str, bytes]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, feed_id: int, etag: str) -> bytes | None:
        with self.lock:
            item = self.items.get(feed_id)
            if item is None or item[0] != etag:
                return None
            self.items.move_to_end(feed_id)
            return item[1]

    def put(self, feed_id: int, etag: str, body: bytes) -> None:
        with self.lock:
            old = self.items.pop(feed_id, None)
            if old is not None:
                self.size -= len(old[1])
            self.items[feed_id] = (etag, body)
            self.size += len(body)
            while self.size > self.max_bytes and len(self.items) > 1:
                _, (_, dropped) = self.items.popitem(last=False)
                self.size -= len(dropped)


bodies = BodyCache()


def _wants_branches() -> bool:
    return request.args.get("branches", "").lower() in TRUE_VALUES


def _headers(response: Response, etag: str, last_modified, cache_control: str) -> Response:
    response.set_etag(etag)
    response.last_modified = last_modified
    response.headers["Cache-Control"] = cache_control
    return response


def serve(kind: FeedKind, subject_id: int, branches: bool, cache_control: str) -> Response:
    row = db.session.execute(
        select(Feed.id, Feed.etag, Feed.last_modified)
        .where(Feed.kind == kind, Feed.subject_id == subject_id, Feed.branches == branches)
    ).first()
    if row is None or row.etag is None:
        feed = services.ensure_built(kind, subject_id, branches)
        if feed is None:
            abort(404)
        bodies.put(feed.id, feed.etag, feed.body)
        row = feed
    if not is_resource_modified(request.environ, etag=row.etag, last_modified=row.last_modified):
        return _headers(Response(status=304), row.etag, row.last_modified, cache_control)
    body = bodies.get(row.id, row.etag)
    if body is None:
        body = db.session.scalar(select(Feed.body).where(Feed.id == row.id, Feed.etag == row.etag))
        if body is None:  # rebuilt between the two reads: serve the new one
            return serve(kind, subject_id, branches, cache_control)
        bodies.put(row.id, row.etag, body)
    return _headers(Response(body, content_type=CONTENT_TYPE), row.etag, row.last_modified, cache_control)


@bp.get("/feeds/associations/<slug>.ics")
def association_feed(slug: str):
    association_id = db.session.scalar(select(Association.id).where(Association.slug == slug))
    if association_id is None:
        abort(404)
    return serve(FeedKind.ASSOCIATION, association_id, _wants_branches(), PUBLIC_CACHE)


@bp.get("/feeds/associations/<slug>/private/<token>.ics")
def association_private_feed(slug: str, token: str):
    association_id = db.session.scalar(
        select(Association.id).where(Association.slug == slug, Association.private_feed_token == token))
    if association_id is None:
        abort(404)
    return serve(FeedKind.ASSOCIATION_PRIVATE, association_id, _wants_branches(), PRIVATE_CACHE)


@bp.get("/feeds/campaigns/<slug>.ics")
def campaign_feed(slug: str):
    campaign_id = db.session.scalar(select(Campaign.id).where(Campaign.slug == slug))
    if campaign_id is None:
        abort(404)
    return serve(FeedKind.CAMPAIGN, campaign_id, False, PUBLIC_CACHE)


@bp.get("/feeds/personal/<token>.ics")
def personal_feed(token: str):
    contact_id = db.session.scalar(
        select(Contact.id).where(Contact.feed_token == token, Contact.archived_at.is_(None)))
    if contact_id is None:
        abort(404)
    return serve(FeedKind.PERSONAL, contact_id, False, PRIVATE_CACHE)


@bp.get("/e/<slug>.ics")
def event_ics(slug: str):
    """One public event to add to a calendar (METHOD:PUBLISH); built on the fly, it is small."""
    event = db.session.scalar(select(Event).where(Event.slug == slug, Event.visibility == Visibility.PUBLIC,
                                                  builder.visible_clause()))
    if event is None:
        abort(404)
    body = builder.single_event(event)
    response = Response(body, content_type=CONTENT_TYPE)
    response.headers["Content-Disposition"] = f"attachment; filename=\"{quote(event.slug)}.ics\""
    response.headers["Cache-Control"] = PUBLIC_CACHE
    response.set_etag(sha256(body).hexdigest()[:32])
    response.last_modified = event.updated_at.replace(microsecond=0)
    return response.make_conditional(request)


# ---------------------------------------------------------------- the staff page

def subscribe_links(url: str) -> dict[str, str]:
    """How to open a feed URL in calendar apps."""
    webcal = links.webcal(url)
    return {
        "url": url,
        "webcal": webcal,
        "google": "https://calendar.google.com/calendar/render?cid=" + quote(webcal, safe=""),
        "outlook": "https://outlook.live.com/calendar/0/addfromurl?url=" + quote(webcal, safe=""),
    }


def with_branches(url: str) -> str:
    return url + "?branches=1"


def instructions() -> dict[str, list[str]]:
    """Short subscribing instructions in both languages, whatever the page's language."""
    result = {}
    for locale in ("vi", "en"):
        with force_locale(locale):
            result[locale] = [
                _("Apple Calendar, Thunderbird and most phones: use the webcal link; the calendar app opens and asks to subscribe."),
                _("Google Calendar: use the Google link while signed in; Google refreshes subscribed calendars every few hours."),
                _("Outlook.com: use the Outlook link. Other apps: copy the address and add it as a calendar subscription (from URL)."),
            ]
    return result


@bp.get("/associations/<slug>/calendar-feeds")
@login_required
def association_feeds(slug: str):
    association = db.session.scalar(select(Association).where(Association.slug == slug))
    if association is None:
        abort(404)
    authorize(Action.VIEW, association)
    public = links.association_feed_url(association)
    private = links.association_private_feed_url(association)
    rows = [("public", _("Public events"), subscribe_links(public))]
    if association.children:
        rows.append(("public-branches", _("Public events, with the branches"), subscribe_links(with_branches(public))))
    rows.append(("private", _("All events, invite-only included (staff only)"), subscribe_links(private)))
    if association.children:
        rows.append(("private-branches", _("All events with the branches, invite-only included (staff only)"),
                     subscribe_links(with_branches(private))))
    return render_template("feeds/association.html", association=association, rows=rows,
                           instructions=instructions(), confirm=ConfirmForm(),
                           can_manage=can(current_user, Action.MANAGE, association))


@bp.post("/associations/<slug>/calendar-feeds/revoke")
@login_required
def revoke_private(slug: str):
    association = db.session.scalar(select(Association).where(Association.slug == slug))
    if association is None:
        abort(404)
    authorize(Action.MANAGE, association)
    if ConfirmForm().validate_on_submit():
        services.rotate_private_token(association)
        db.session.commit()
        flash(_("The old private link no longer works. Give the new one to the staff who need it."), "success")
    return redirect(url_for(".association_feeds", slug=slug))
