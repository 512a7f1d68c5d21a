"""Writing, reading and checking the audit log.

`record(action, target, **details)` adds one entry in the caller's transaction (an action rolled back
leaves no entry). Entries are chained: each entry's `hash` is an HMAC (keyed with `AUDIT_KEY`, by default
the app's secret key) of its own content and of the previous entry's hash, so an entry changed, removed or
added directly in the database breaks the chain, and whoever edits the table cannot recompute it without the
key. Writers are serialised by a transaction-scoped advisory lock on PostgreSQL (SQLite has one writer).
Nothing in the app updates or deletes an entry.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime

import click
from flask import current_app, has_request_context, request
from sqlalchemy import insert, select, text

from ..extensions import db
from ..timeutils import UTC, utcnow
from .models import AuditEntry

# One number for the lock every audit writer takes (pg_advisory_xact_lock's key).
LOCK_KEY = 29_2026_12

# The actions recorded (the page's filter lists them); details hold ids and counts, never personal values.
ACTIONS = (
    "sign_in", "sign_in_failed", "role_granted", "role_revoked", "contacts_imported", "contacts_exported",
    "download", "contacts_merged", "contact_edited", "contact_created", "contact_deleted", "send_started",
    "send_cancelled", "check_in_undone", "person_exported", "person_erased", "person_corrected",
    "settings_changed", "template_changed", "consent_changed", "retention_purged",
    "registration_decided", "delegation_changed", "invitation_changed",
)


def _actor() -> tuple[int | None, str, str]:
    """(user id, label, IP) of whoever acts now: the signed-in user (web or API token), the CLI, the system."""
    if has_request_context():
        from flask_login import current_user

        user = current_user._get_current_object() if current_user else None
        ip = (request.remote_addr or "")[:45]
        if user is not None and getattr(user, "is_authenticated", False):
            return user.id, user.email, ip
        return None, "anonymous", ip
    if click.get_current_context(silent=True) is not None:
        return None, "cli", ""
    return None, "system", ""


def _target(target) -> tuple[str, str]:
    if target is None:
        return "", ""
    if isinstance(target, tuple):
        kind, ident = target
        return str(kind), "" if ident is None else str(ident)
    if getattr(target, "id", None) is None:
        db.session.flush()
    return target.__tablename__, str(target.id)


def _key() -> bytes:
    return (current_app.config.get("AUDIT_KEY") or current_app.config["SECRET_KEY"]).encode()


def _moment(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def content_of(entry) -> str:
    """The canonical text an entry's hash covers (everything but its id and hashes)."""
    return json.dumps({
        "at": _moment(entry.at), "actor_id": entry.actor_id, "actor": entry.actor, "ip": entry.ip,
        "action": entry.action, "target_type": entry.target_type, "target_id": entry.target_id,
        "association_id": entry.association_id, "details": entry.details or {},
    }, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def hash_of(entry, prev_hash: str) -> str:
    return hmac.new(_key(), (prev_hash + "\n" + content_of(entry)).encode(), hashlib.sha256).hexdigest()


def _lock_and_last_hash() -> str:
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
    last = db.session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
    return last or ""


@dataclass
class _Values:
    at: datetime
    actor_id: int | None
    actor: str
    ip: str
    action: str
    target_type: str
    target_id: str
    association_id: int | None
    details: dict


def record(action: str, target=None, *, association_id: int | None = None, actor=None, **details) -> None:
    """Add an entry for `action` on `target` (a model object, or a (type, id) pair, or None) in the caller's
    transaction. `details`: ids, counts, filters — never names, addresses or other personal values.
    `actor` (a user) overrides who acts (e.g. a failed sign-in names the account tried, not the visitor)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    actor_id, label, ip = _actor()
    if actor is not None:
        actor_id, label = actor.id, actor.email
    target_type, target_id = _target(target)
    values = _Values(utcnow(), actor_id, label[:254], ip, action, target_type[:40], target_id[:64],
                     association_id, json.loads(json.dumps(details, default=str)))
    prev = _lock_and_last_hash()
    db.session.execute(insert(AuditEntry).values(
        **values.__dict__, prev_hash=prev, hash=hash_of(values, prev)))


@dataclass
class Problem:
    entry_id: int
    reason: str


def verify(batch: int = 5000) -> tuple[int, list[Problem]]:
    """Walk the chain in id order: (entries checked, problems). An entry whose hash does not match its
    content was changed (or written outside the app); one whose previous hash is not the hash of the entry
    before it follows a removed, inserted or reordered entry."""
    problems: list[Problem] = []
    previous = ""
    checked = 0
    after = 0
    while True:
        table = AuditEntry.__table__  # plain rows: nothing of the session's objects is loaded or expired
        rows = db.session.execute(select(table).where(table.c.id > after).order_by(table.c.id).limit(batch)).all()
        if not rows:
            break
        for entry in rows:
            checked += 1
            if entry.prev_hash != previous:
                problems.append(Problem(entry.id, "the entry before it was removed, changed or inserted"))
            if not hmac.compare_digest(hash_of(entry, entry.prev_hash), entry.hash or ""):
                problems.append(Problem(entry.id, "its content does not match its hash (changed or added in the database)"))
            previous = entry.hash
        after = rows[-1].id
    return checked, problems


@dataclass
class AuditFilter:
    action: str = ""
    actor: str = ""
    target_type: str = ""
    target_id: str = ""
    association_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def query(user, flt: AuditFilter):
    """Entries `user` may read, newest first: all for administrators, their associations' part (where they
    organise) for organisers."""
    from ..permissions import Action, association_ids_for

    stmt = select(AuditEntry).order_by(AuditEntry.id.desc())
    ids = association_ids_for(user, Action.MANAGE)
    if ids is not None:
        stmt = stmt.where(AuditEntry.association_id.in_(ids or [-1]))
    if flt.action:
        stmt = stmt.where(AuditEntry.action == flt.action)
    if flt.actor:
        stmt = stmt.where(AuditEntry.actor == flt.actor.strip().lower())
    if flt.target_type:
        stmt = stmt.where(AuditEntry.target_type == flt.target_type)
    if flt.target_id:
        stmt = stmt.where(AuditEntry.target_id == flt.target_id)
    if flt.association_id:
        stmt = stmt.where(AuditEntry.association_id == flt.association_id)
    if flt.since is not None:
        stmt = stmt.where(AuditEntry.at >= flt.since)
    if flt.until is not None:
        stmt = stmt.where(AuditEntry.at < flt.until)
    return stmt


def association_of(user, candidates) -> int | None:
    """The association an entry belongs to (so that its organisers see it): among `candidates` (ids), one
    `user` manages, else the first; without candidates, the user's own first association (None for admins
    without one)."""
    from ..permissions import Action, association_ids_for

    candidates = sorted(c for c in candidates if c is not None)
    managed = association_ids_for(user, Action.MANAGE) if user is not None else None
    for candidate in candidates:
        if managed is None or candidate in managed:
            return candidate
    if candidates:
        return candidates[0]
    memberships = sorted(m.association_id for m in getattr(user, "memberships", None) or [])
    return memberships[0] if memberships else None


def acting_user():
    """The signed-in user of this request, or None (CLI, worker, anonymous)."""
    if not has_request_context():
        return None
    from flask_login import current_user

    user = current_user._get_current_object() if current_user else None
    return user if getattr(user, "is_authenticated", False) else None


def record_for(action: str, target, association_ids=(), **details) -> None:
    """`record` with the association chosen by `association_of` for the acting user."""
    record(action, target, association_id=association_of(acting_user(), association_ids), **details)


def for_event(action: str, target, event, **details) -> None:
    """`record` of something done in `event` (an Event or its id): the event's association, its id in details."""
    if isinstance(event, int):
        from ..events.models import Event

        event = db.session.get(Event, event)
    record(action, target, association_id=event.association_id if event is not None else None,
           event_id=event.id if event is not None else None, **details)


def changed(obj, names=None) -> list[str]:
    """The column attributes of `obj` (among `names`) changed since it was loaded, before the flush: which
    fields changed for an entry's details, never their values."""
    from sqlalchemy import inspect

    state = inspect(obj)
    return sorted(attr.key for attr in state.mapper.column_attrs
                  if (names is None or attr.key in names) and state.attrs[attr.key].history.has_changes())


def downloaded(what: str, target, association_id: int | None, rows: int, **filters) -> None:
    """A list taken away from the server (CSV, XLSX, PDF): which list, with which filters, how many rows;
    committed at once (downloads are GET requests that change nothing else)."""
    action = "contacts_exported" if what == "contacts" else "download"
    record(action, target, association_id=association_id, what=what, rows=rows,
           filters={key: value for key, value in filters.items() if value not in ("", None)})
    db.session.commit()
