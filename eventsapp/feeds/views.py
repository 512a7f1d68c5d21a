"""Feed URLs (public by design: the URL, or its token, is the key) and the staff page to subscribe.

A request for a built feed is usually answered by `serving.FeedServer` before
it reaches these views; they answer the rest with the same functions: a feed's
first request (built here, synchronously), 404s, and anything the fast path
left to Flask.
"""
from __future__ import annotations

from hashlib import sha256
from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import links
from ..associations.access import load_association
from ..associations.forms import ConfirmForm
from ..events.models import Event, Visibility
from ..extensions import db
from ..fastread import reader
from ..i18n import gettext as _
from ..permissions import Action, can
from . import builder, services, serving
from .cache import Representation, representations
from .serving import CONTENT_TYPE, PUBLIC_CACHE

bp = Blueprint("feeds", __name__)


def serve(**view_args) -> Response:
    """The stored feed of this endpoint's route for `view_args` (404 when the URL names nothing);
    a feed never built is built now, so that a feed always answers."""
    route = serving.ROUTES[request.endpoint]
    engine = reader(current_app)
    result = serving.answer_for(route, view_args, request, engine)
    if isinstance(result, serving.Unbuilt):
        feed = services.ensure_built(route.kind, result.subject_id, result.branches)
        if feed is None:
            abort(404)
        representations.put(Representation(feed.id, feed.etag, feed.last_modified, feed.body))
        result = serving.answer_for(route, view_args, request, engine)
    if not isinstance(result, serving.Answer):
        abort(404)
    return result.response()


@bp.get("/feeds/associations/<slug>.ics")
def association_feed(slug: str):
    return serve(slug=slug)


@bp.get("/feeds/associations/<slug>/private/<token>.ics")
def association_private_feed(slug: str, token: str):
    return serve(slug=slug, token=token)


@bp.get("/feeds/campaigns/<slug>.ics")
def campaign_feed(slug: str):
    return serve(slug=slug)


@bp.get("/feeds/personal/<token>.ics")
def personal_feed(token: str):
    if token == links.TEST_COPY_TOKEN:
        return redirect(url_for("invitations.test_copy_link", link="feed"))
    return serve(token=token)


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
                _("Apple Calendar, Thunderbird and most phones: press “Open in your calendar app”; the calendar app opens and asks whether to follow this calendar."),
                _("Google Calendar: use the Google link while signed in; Google refreshes subscribed calendars every few hours."),
                _("Outlook.com: use the Outlook link. Other apps: copy the address and add it as a calendar subscription (from URL)."),
            ]
    return result


@bp.get("/associations/<slug>/calendar-feeds")
@login_required
def association_feeds(slug: str):
    association = load_association(slug, Action.VIEW)
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
    association = load_association(slug, Action.MANAGE)
    if ConfirmForm().validate_on_submit():
        services.rotate_private_token(association)
        db.session.commit()
        flash(_("The old private link no longer works. Give the new one to the staff who need it."), "success")
    return redirect(url_for(".association_feeds", slug=slug))
