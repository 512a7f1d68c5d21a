"""Feed URLs (public by design: the URL, or its token, is the key) and the staff page to subscribe.

Serving reads a small row (id, ETag, Last-Modified) and answers 304 without
touching the body; the body comes from a per-process cache keyed by ETag, so
the database sends it once per change and process.
"""
from __future__ import annotations

import threading
from hashlib import sha256
from types import SimpleNamespace
from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import Engine, and_, create_engine, select
from sqlalchemy.exc import DBAPIError
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
from .cache import bodies, lookups
from .models import Feed, FeedKind

bp = Blueprint("feeds", __name__)

CONTENT_TYPE = "text/calendar; charset=utf-8"
PUBLIC_CACHE = "public, max-age=300"
PRIVATE_CACHE = "private, max-age=300"
TRUE_VALUES = {"1", "true", "yes", "on"}


_readers: dict[str, Engine] = {}
_readers_lock = threading.Lock()


def reader() -> Engine:
    """A small autocommit engine for serving: one round trip per lookup (no BEGIN,
    no pre-ping, no ROLLBACK), so a subscriber's poll costs about as much as a static file."""
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    engine = _readers.get(url)
    if engine is None:
        with _readers_lock:
            engine = _readers.get(url)
            if engine is None:
                engine = _readers[url] = create_engine(url, isolation_level="AUTOCOMMIT", pool_size=2,
                                                       max_overflow=8, pool_recycle=1800)
    return engine


def read(statement):
    """Run a read on the serving engine; a dropped connection is retried once on a fresh one."""
    for attempt in (1, 2):
        try:
            with reader().connect() as connection:
                return connection.execute(statement).first()
        except DBAPIError as error:
            if attempt == 2 or not error.connection_invalidated:
                raise


def _wants_branches() -> bool:
    return request.args.get("branches", "").lower() in TRUE_VALUES


def _headers(response: Response, etag: str, last_modified, cache_control: str) -> Response:
    response.set_etag(etag)
    response.last_modified = last_modified
    response.headers["Cache-Control"] = cache_control
    return response




def serve(kind: FeedKind, model, condition, branches: bool, cache_control: str, cache_key: tuple | None = None) -> Response:
    """Answer for the feed of the `model` row matching `condition` (404 when none).

    One query finds the subject and the stored feed's id/ETag/Last-Modified
    (public feeds: or the lookup cache); a conditional request is answered from
    that alone.
    """
    row = lookups.get(cache_key) if cache_key else None
    if row is None:
        row = read(
            select(model.id.label("subject_id"), Feed.id, Feed.etag, Feed.last_modified)
            .select_from(model)
            .outerjoin(Feed, and_(Feed.kind == kind, Feed.subject_id == model.id, Feed.branches == branches))
            .where(condition)
        )
        if row is None:
            abort(404)
        if row.etag is None:  # never built: build now, so that a feed always answers
            feed = services.ensure_built(kind, row.subject_id, branches)
            if feed is None:
                abort(404)
            bodies.put(feed.id, feed.etag, feed.body)
            row = SimpleNamespace(subject_id=feed.subject_id, id=feed.id, etag=feed.etag,
                                  last_modified=feed.last_modified)
        if cache_key:
            lookups.put(cache_key, row)
    # Calendar clients poll with gzip: the compressed body is a representation of its own (its own ETag).
    gzipped = "gzip" in request.headers.get("Accept-Encoding", "")
    etag = row.etag + ("-gz" if gzipped else "")
    if not (is_resource_modified(request.environ, etag=etag, last_modified=row.last_modified)
            and is_resource_modified(request.environ, etag=row.etag, last_modified=row.last_modified)):
        return _headers(Response(status=304), etag, row.last_modified, cache_control)
    body = bodies.get(row.id, row.etag)
    if body is None:
        found = read(select(Feed.body).where(Feed.id == row.id, Feed.etag == row.etag))
        if found is None:  # rebuilt between the two reads: serve the new one
            lookups.clear()
            return serve(kind, model, condition, branches, cache_control, cache_key)
        body = bytes(found.body)
        bodies.put(row.id, row.etag, body)
    response = Response(bodies.gzipped(row.id, row.etag, body) if gzipped else body, content_type=CONTENT_TYPE)
    response.vary.add("Accept-Encoding")
    if gzipped:
        response.content_encoding = "gzip"
    return _headers(response, etag, row.last_modified, cache_control)


@bp.get("/feeds/associations/<slug>.ics")
def association_feed(slug: str):
    branches = _wants_branches()
    return serve(FeedKind.ASSOCIATION, Association, Association.slug == slug, branches, PUBLIC_CACHE,
                 cache_key=(FeedKind.ASSOCIATION, slug, branches))


@bp.get("/feeds/associations/<slug>/private/<token>.ics")
def association_private_feed(slug: str, token: str):
    return serve(FeedKind.ASSOCIATION_PRIVATE, Association,
                 and_(Association.slug == slug, Association.private_feed_token == token),
                 _wants_branches(), PRIVATE_CACHE)


@bp.get("/feeds/campaigns/<slug>.ics")
def campaign_feed(slug: str):
    return serve(FeedKind.CAMPAIGN, Campaign, Campaign.slug == slug, False, PUBLIC_CACHE,
                 cache_key=(FeedKind.CAMPAIGN, slug))


@bp.get("/feeds/personal/<token>.ics")
def personal_feed(token: str):
    return serve(FeedKind.PERSONAL, Contact, and_(Contact.feed_token == token, Contact.archived_at.is_(None)),
                 False, PRIVATE_CACHE)


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


def _association_for(slug: str, action: Action) -> Association:
    """The association, or 404; 403 unless the current user may do `action` there."""
    association = db.session.scalar(select(Association).where(Association.slug == slug))
    if association is None:
        abort(404)
    authorize(action, association)
    return association


@bp.get("/associations/<slug>/calendar-feeds")
@login_required
def association_feeds(slug: str):
    association = _association_for(slug, Action.VIEW)
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
    association = _association_for(slug, Action.MANAGE)
    if ConfirmForm().validate_on_submit():
        services.rotate_private_token(association)
        db.session.commit()
        flash(_("The old private link no longer works. Give the new one to the staff who need it."), "success")
    return redirect(url_for(".association_feeds", slug=slug))
