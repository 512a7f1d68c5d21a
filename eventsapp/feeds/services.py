"""Feeds: finding, marking, building and storing them; revoking private links.

Marking (called by the receivers inside the change's transaction): every
existing feed the change touches gets `dirty` and `marked_at`; those with no
rebuild queued are claimed (`queued_at`) and one `feeds.build` per feed is sent
after commit with a short countdown, so a burst of changes — even in separate
transactions — leads to one build per feed. Feeds nobody has requested yet have
no row and are not built: the first request builds them synchronously.
"""
from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, true, update
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..after_commit import enqueue_after_commit
from ..associations.models import Association, new_feed_token
from ..contacts.models import Contact, new_contact_token
from ..events.models import Event
from ..extensions import db
from ..invitations.models import Invitation
from ..timeutils import utcnow
from . import builder, cache
from .models import Feed, FeedKind

DEBOUNCE_SECONDS = 2
STALE_QUEUE = timedelta(minutes=5)  # a claim older than this (worker died) may be taken again
BATCH = 100
BUILD_TASK = "feeds.build"
BUILD_MANY_TASK = "feeds.build_many"
ASSOCIATION_KINDS = (FeedKind.ASSOCIATION, FeedKind.ASSOCIATION_PRIVATE)
feeds = Feed.__table__


def etag_of(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:32]


# ---------------------------------------------------------------- which feeds a change touches

def event_conditions(event: Event, previous_campaign_id: int | None = None,
                     previous_association_id: int | None = None) -> list:
    """SQL conditions selecting every feed that shows (or showed) `event`."""
    association_ids = {event.association_id, previous_association_id} - {None}
    ancestor_ids: set[int] = set()
    for association_id in association_ids:
        association = db.session.get(Association, association_id)
        if association is not None:
            ancestor_ids.update(a.id for a in association.ancestors())
    conditions = [
        and_(feeds.c.kind.in_(ASSOCIATION_KINDS), feeds.c.subject_id.in_(association_ids)),
        and_(feeds.c.kind.in_(ASSOCIATION_KINDS), feeds.c.branches == true(), feeds.c.subject_id.in_(ancestor_ids)),
        and_(feeds.c.kind == FeedKind.PERSONAL,
             feeds.c.subject_id.in_(select(Invitation.contact_id).where(Invitation.event_id == event.id))),
    ]
    campaign_ids = {event.campaign_id, previous_campaign_id} - {None}
    if campaign_ids:
        conditions.append(and_(feeds.c.kind == FeedKind.CAMPAIGN, feeds.c.subject_id.in_(campaign_ids)))
    return conditions


def association_conditions(association: Association) -> list:
    """The association's own feeds, and every "with branches" feed (the tree may have changed)."""
    return [
        and_(feeds.c.kind.in_(ASSOCIATION_KINDS), feeds.c.subject_id == association.id),
        and_(feeds.c.kind.in_(ASSOCIATION_KINDS), feeds.c.branches == true()),
    ]


def personal_conditions(contact_ids) -> list:
    return [and_(feeds.c.kind == FeedKind.PERSONAL, feeds.c.subject_id.in_(contact_ids))]


def personal_feed_subjects(contact_ids) -> list[int]:
    """Those of `contact_ids` that have a personal feed (one SELECT of the personal feeds' subjects)."""
    wanted = set(contact_ids)
    if not wanted:
        return []
    subjects = db.session.scalars(select(feeds.c.subject_id).where(feeds.c.kind == FeedKind.PERSONAL))
    return sorted(wanted.intersection(subjects))


def campaign_conditions(campaign_id: int) -> list:
    return [and_(feeds.c.kind == FeedKind.CAMPAIGN, feeds.c.subject_id == campaign_id)]


# ---------------------------------------------------------------- marking

def mark(conditions: Iterable, connection=None) -> list[int]:
    """Mark the matching feeds dirty and enqueue one rebuild per feed after commit.

    Bulk SQL only (no objects loaded); returns the ids of the feeds whose
    rebuild this call enqueued (the others already had one queued).
    """
    conditions = list(conditions)
    if not conditions:
        return []
    if connection is None:
        db.session.flush()  # the change's own rows (new invitations, moved events) count
        connection = db.session.connection()
    now = utcnow()
    where = or_(*conditions)
    if not connection.execute(update(feeds).where(where).values(dirty=True, marked_at=now)).rowcount:
        return []  # no feed shows this change (an invitee without a personal feed): nothing to claim
    claimed = connection.execute(
        update(feeds).where(where, or_(feeds.c.queued_at.is_(None), feeds.c.queued_at < now - STALE_QUEUE))
        .values(queued_at=now).returning(feeds.c.id)
    ).scalars().all()
    enqueue_builds(sorted(claimed))
    return claimed


def enqueue_builds(feed_ids: list[int]) -> None:
    """Ask the `feeds` workers to rebuild these feeds after commit (by task name: feeds.tasks imports this module)."""
    celery = current_app.extensions["celery"]
    if len(feed_ids) <= 10:
        for feed_id in feed_ids:
            enqueue_after_commit(celery.signature(BUILD_TASK), feed_id, countdown=DEBOUNCE_SECONDS)
    else:
        for start in range(0, len(feed_ids), BATCH):
            enqueue_after_commit(celery.signature(BUILD_MANY_TASK), feed_ids[start:start + BATCH],
                                 countdown=DEBOUNCE_SECONDS)


# ---------------------------------------------------------------- building

def rebuild(feed_id: int) -> Feed | None:
    """Worker side: release the claim, build, store. Safe to run twice."""
    db.session.execute(update(feeds).where(feeds.c.id == feed_id).values(queued_at=None))
    db.session.commit()  # from here a new change enqueues a new build
    started = utcnow()
    feed = db.session.get(Feed, feed_id)
    if feed is None:
        return None
    return _build_and_store(feed, started)


def _build_and_store(feed: Feed, started) -> Feed | None:
    clock = time.perf_counter()
    built = builder.build(feed.kind, feed.subject_id, feed.branches)
    if built is None:  # the association, campaign or contact is gone
        db.session.delete(feed)
        db.session.commit()
        return None
    elapsed = int((time.perf_counter() - clock) * 1000)
    feed = db.session.get(Feed, feed.id, with_for_update=True, populate_existing=True)
    _store(feed, built, started, elapsed)
    db.session.commit()
    return feed


def _store(feed: Feed, built, started, elapsed_ms: int) -> None:
    etag = etag_of(built.body)
    now = utcnow()
    if etag != feed.etag:
        feed.body, feed.etag, feed.last_modified = built.body, etag, now.replace(microsecond=0)
        cache.lookups.clear()  # this process serves the new body at once (others within the lookup TTL)
    feed.event_count = built.event_count
    feed.built_at, feed.build_ms = now, elapsed_ms
    if feed.marked_at is None or feed.marked_at <= started:
        feed.dirty = False  # else a change came in during the build; its own build is queued


def find(kind: FeedKind, subject_id: int, branches: bool = False) -> Feed | None:
    return db.session.scalar(select(Feed).where(Feed.kind == kind, Feed.subject_id == subject_id,
                                                Feed.branches == branches))


def ensure_built(kind: FeedKind, subject_id: int, branches: bool = False) -> Feed | None:
    """The stored feed; built synchronously when it was never built (first request)."""
    feed = find(kind, subject_id, branches)
    if feed is not None and feed.etag is not None:
        return feed
    started = utcnow()
    if feed is None:
        try:
            with db.session.begin_nested():
                feed = Feed(kind=kind, subject_id=subject_id, branches=branches, dirty=True, marked_at=started)
                db.session.add(feed)
        except IntegrityError:  # another request created it meanwhile
            feed = find(kind, subject_id, branches)
        db.session.commit()
    return _build_and_store(feed, started)


def sweep() -> int:
    """Re-enqueue dirty feeds with no live claim (broker was down, worker died); mark
    the feeds of cancelled events whose kept period just ended so they drop out."""
    now = utcnow()
    expired = db.session.scalars(select(Event).where(
        Event.cancelled_at.is_not(None),
        Event.cancelled_at < now - builder.CANCELLED_KEPT,
        Event.cancelled_at >= now - builder.CANCELLED_KEPT - timedelta(days=2),
    )).all()
    for event in expired:
        mark(event_conditions(event))
    claimed = db.session.execute(
        update(feeds).where(feeds.c.dirty == true(), feeds.c.etag.is_not(None),
                            or_(feeds.c.queued_at.is_(None), feeds.c.queued_at < now - STALE_QUEUE))
        .values(queued_at=now).returning(feeds.c.id)
    ).scalars().all()
    enqueue_builds(sorted(claimed))
    db.session.commit()
    return len(claimed)


# ---------------------------------------------------------------- revoking

def rotate_private_token(association: Association) -> str:
    """Revoke the private feed URL of `association` (the old one answers 404 at once); caller commits."""
    association.private_feed_token = new_feed_token()
    audit.record("settings_changed", association, association_id=association.id, what="private_feed",
                 change="link_revoked")
    return association.private_feed_token


def rotate_personal_token(contact: Contact) -> str:
    """Revoke a contact's personal feed URL; caller commits."""
    contact.feed_token = new_contact_token()
    return contact.feed_token


