"""Answering a request for a stored feed, in Flask's views and ahead of Flask.

Per request: one small query finds the URL's subject and its stored feed's id
and ETag (public feeds: or a lookup up to 2 s old); the body, its gzip form
and Last-Modified come from the per-process representation cache, so the
database sends each body once per change and process, and a 304 or a 200 is
answered from memory. Private and personal URLs are looked up on every
request, in every process: a revoked token answers 404 at once.

`FeedServer` is a WSGI middleware that gives these answers before Flask's
request cycle (session, Babel, login, rate limiter, the security hooks), which
costs several times the answer itself; calendar clients poll feeds far more
often than people open pages. It answers only the common case — a built feed
that was found — with the same headers Flask would send; anything else (404,
a feed never built, a plain-HTTP request when HTTPS is forced, an error) falls
through to the Flask views, which use the same functions.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import NamedTuple

from flask import Flask, Response
from sqlalchemy import Engine, and_, bindparam, literal_column, select
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES, is_resource_modified, quote_etag
from werkzeug.wrappers import Request

from ..associations.models import Association
from ..auth.security import is_secure
from ..campaigns.models import Campaign, CampaignStatus
from ..contacts.models import Contact
from ..fastread import PreparedRead, read, reader
from .cache import Representation, lookups, representations
from .models import Feed, FeedKind

logger = logging.getLogger(__name__)

CONTENT_TYPE = "text/calendar; charset=utf-8"
PUBLIC_CACHE = "public, max-age=300"
PRIVATE_CACHE = "private, max-age=300"
TRUE_VALUES = {"1", "true", "yes", "on"}


# ---------------------------------------------------------------- which feed a URL names

class Stored(NamedTuple):
    """What a feed URL names: the subject, and its stored feed's id and ETag (None: never built)."""

    subject_id: int
    id: int | None
    etag: str | None


def _lookup(model, condition) -> PreparedRead:
    """The subject matching `condition` and its stored feed of the bound `kind` (NULLs when never built):
    the one query of almost every feed request."""
    return PreparedRead(
        select(model.id, Feed.id, Feed.etag)
        .select_from(model)
        .outerjoin(Feed, and_(Feed.kind == bindparam("kind"), Feed.subject_id == model.id,
                              Feed.branches == bindparam("branches")))
        .where(condition),
        Stored)


@dataclass(frozen=True)
class FeedRoute:
    """How the URLs of one Flask endpoint find their stored feed."""

    kind: FeedKind
    lookup: PreparedRead
    cache_control: str
    with_branches: bool = False  # ?branches=1 selects the "with branches" feed

    @property
    def public(self) -> bool:
        """Public URLs may be answered from a lookup up to LOOKUP_TTL old (see cache.LookupCache)."""
        return self.cache_control == PUBLIC_CACHE

    def parameters(self, view_args: dict, request: Request) -> dict:
        branches = self.with_branches and request.args.get("branches", "").lower() in TRUE_VALUES
        return {**view_args, "branches": branches, "kind": self.kind.value}


ROUTES = {
    "feeds.association_feed": FeedRoute(
        FeedKind.ASSOCIATION,
        _lookup(Association, Association.slug == bindparam("slug")),
        PUBLIC_CACHE, with_branches=True),
    "feeds.association_private_feed": FeedRoute(
        FeedKind.ASSOCIATION_PRIVATE,
        _lookup(Association, and_(Association.slug == bindparam("slug"),
                                  Association.private_feed_token == bindparam("token"))),
        PRIVATE_CACHE, with_branches=True),
    "feeds.campaign_feed": FeedRoute(  # a draft campaign is not public: its feed (and title) answer 404
        FeedKind.CAMPAIGN, _lookup(Campaign, and_(Campaign.slug == bindparam("slug"),
                                                  # a literal: the prepared read binds only the URL's values
                                                  Campaign.status != literal_column(f"'{CampaignStatus.DRAFT.value}'"))),
        PUBLIC_CACHE),
    "feeds.personal_feed": FeedRoute(
        FeedKind.PERSONAL,
        _lookup(Contact, and_(Contact.feed_token == bindparam("token"), Contact.archived_at.is_(None))),
        PRIVATE_CACHE),
}

_BODY = select(Feed.id, Feed.etag, Feed.last_modified, Feed.body).where(
    Feed.id == bindparam("feed_id"), Feed.etag.is_not(None))


# ---------------------------------------------------------------- answers

@dataclass(frozen=True)
class Unbuilt:
    """The URL names a subject whose feed was never built."""

    subject_id: int
    branches: bool


@dataclass(frozen=True)
class Answer:
    """A ready answer: status, the feed's own headers (no security headers) and body."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def response(self) -> Response:
        """As a Flask response (the views' path; the security hook adds its headers)."""
        return Response(self.body, self.status, self.headers)


def answer_for(route: FeedRoute, view_args: dict, request: Request, engine: Engine) -> Answer | Unbuilt | None:
    """The answer for a stored feed; None when the URL names nothing (404)."""
    parameters = route.parameters(view_args, request)
    key = (route.kind, *sorted(parameters.items())) if route.public else None
    row = lookups.get(key) if key else None
    if row is None:
        row = route.lookup.first(engine, parameters)
        if row is None:
            return None
        if row.etag is None:
            return Unbuilt(row.subject_id, parameters["branches"])
        if key:
            lookups.put(key, row)
    representation = representations.get(row.id, row.etag) or _fetch(engine, row)
    if representation is None:  # the subject's feed was deleted meanwhile
        return None
    return respond(representation, request, route.cache_control)


def _fetch(engine: Engine, row) -> Representation | None:
    """The feed's current body from the database. When it was rebuilt since the
    lookup `row`, that is the newer body, served with its own ETag."""
    found = read(engine, _BODY, {"feed_id": row.id})
    if found is None:
        return None
    if found.etag != row.etag:
        lookups.clear()  # a public lookup may still name the older ETag
    return representations.put(Representation(found.id, found.etag, found.last_modified, bytes(found.body)))


def respond(representation: Representation, request: Request, cache_control: str) -> Answer:
    """200 or 304 for `representation`; gzip for clients that accept it (its own ETag,
    since the compressed body is a representation of its own)."""
    gzipped = "gzip" in request.headers.get("Accept-Encoding", "")
    etag = representation.etag + ("-gz" if gzipped else "")
    headers = [("ETag", quote_etag(etag)), ("Cache-Control", cache_control), ("Vary", "Accept-Encoding")]
    if not _modified(request, representation, etag):
        return Answer(304, headers, b"")
    body = representation.gzipped if gzipped else representation.body
    headers += [("Content-Type", CONTENT_TYPE), ("Content-Length", str(len(body)))]
    if representation.http_last_modified:
        headers.append(("Last-Modified", representation.http_last_modified))
    if gzipped:
        headers.append(("Content-Encoding", "gzip"))
    return Answer(200, headers, body)


def _modified(request: Request, representation: Representation, etag: str) -> bool:
    """False when the client holds this version: either ETag (a client may keep the plain
    one when it starts asking for gzip) or a Last-Modified at least as recent."""
    return all(is_resource_modified(request.environ, etag=candidate, last_modified=representation.last_modified)
               for candidate in {etag, representation.etag})


# ---------------------------------------------------------------- ahead of Flask

class FeedServer:
    """WSGI middleware: answers for built feeds before Flask (see the module docstring)."""

    def __init__(self, app: Flask, wsgi_app):
        self.app, self.wsgi_app = app, wsgi_app
        self.force_https = app.config["FORCE_HTTPS"]

    def __call__(self, environ, start_response):
        found = self._answer(environ) if environ.get("PATH_INFO", "").endswith(".ics") else None
        if found is None:
            return self.wsgi_app(environ, start_response)
        answer, secure = found
        start_response(f"{answer.status} {HTTP_STATUS_CODES[answer.status]}",
                       answer.headers + self.security_headers(secure))
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [answer.body]

    def _answer(self, environ) -> tuple[Answer, bool] | None:
        """The answer and whether the request came over HTTPS; None to leave the request to Flask."""
        request = Request(environ)
        secure = is_secure(request)  # the security hook's test, which decides on redirects and HSTS
        if self.force_https and not secure:
            return None  # Flask redirects to HTTPS
        try:
            endpoint, view_args = self.app.url_map.bind_to_environ(environ).match()
        except HTTPException:  # no such URL, or not a GET/HEAD
            return None
        route = ROUTES.get(endpoint)
        if route is None:
            return None
        try:
            result = answer_for(route, view_args, request, reader(self.app))
        except Exception:
            logger.exception("serving %s ahead of Flask failed; Flask answers", environ.get("PATH_INFO"))
            return None
        return (result, secure) if isinstance(result, Answer) else None

    def security_headers(self, secure: bool) -> list[tuple[str, str]]:
        """The security headers of every Flask response (one definition: auth.security)."""
        return self.app.extensions["security_headers"][secure]


def init_app(app: Flask) -> None:
    """Put `FeedServer` in front of the Flask application."""
    app.wsgi_app = FeedServer(app, app.wsgi_app)
