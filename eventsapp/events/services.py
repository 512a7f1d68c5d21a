"""Events: create, update, publish, cancel; the changes invitees must hear about; honorees.

The caller commits. Signals are sent inside the transaction (receivers write in
the same session): `event_saved` on every save, `event_changed` when a change
invitees must hear about (time, place, online link, cancellation) was recorded.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select, update

from .. import audit, signals, spreadsheets
from ..associations.models import Association
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..invitations.models import Invitation
from ..slugs import unique_slug
from ..text import has_control_characters
from ..timeutils import UTC, is_valid_timezone, utcnow, zone
from .models import ChangeKind, Event, EventChange, EventKind, EventStatus, Honoree, Visibility


class EventError(ValueError):
    """A rule about events was broken; the message is shown to the user."""


# Fields an organiser may set; the values are what the model stores.
EDITABLE = (
    "title_vi", "title_en", "description_vi", "description_en", "kind", "timezone", "starts_at", "ends_at",
    "all_day", "venue_name", "venue_address", "online_url", "capacity", "max_guests", "rsvp_deadline",
    "visibility", "campaign_id",
)

# What invitees must hear about, by kind of change.
WATCHED = {
    ChangeKind.TIME: ("starts_at", "ends_at", "all_day", "timezone"),
    ChangeKind.PLACE: ("venue_name", "venue_address"),
    ChangeKind.ONLINE: ("online_url",),
}


def local_to_utc(wall_time: datetime, zone_name: str) -> datetime:
    """A wall time in `zone_name` (naive) as an aware UTC moment."""
    return wall_time.replace(tzinfo=zone(zone_name)).astimezone(UTC)


def all_day_span(first: date, last: date, zone_name: str) -> tuple[datetime, datetime]:
    """An all-day event from `first` to `last` (inclusive): local midnights, end exclusive."""
    start = local_to_utc(datetime.combine(first, time()), zone_name)
    end = local_to_utc(datetime.combine(last + timedelta(days=1), time()), zone_name)
    return start, end


def validate(values: dict) -> None:
    """The rules every event obeys, whoever sets the values (form, API, CLI)."""
    if not (values.get("title_vi") or "").strip():
        raise EventError(_l("Enter the Vietnamese title."))
    if has_control_characters(values.get("title_vi")) or has_control_characters(values.get("title_en")):
        raise EventError(_l("A title cannot contain line breaks or control characters."))
    if not is_valid_timezone(values.get("timezone")):
        raise EventError(_l("This time zone does not exist: %(zone)s", zone=values.get("timezone")))
    starts_at, ends_at = values.get("starts_at"), values.get("ends_at")
    if starts_at is None or ends_at is None:
        raise EventError(_l("Enter the start and the end."))
    if ends_at <= starts_at:
        raise EventError(_l("The end must be after the start."))
    deadline = values.get("rsvp_deadline")
    if deadline is not None and deadline > starts_at:
        raise EventError(_l("The reply deadline must be before the start."))
    capacity = values.get("capacity")
    if capacity is not None and capacity < 1:
        raise EventError(_l("The capacity must be a positive number."))
    if (values.get("max_guests") or 0) < 0:
        raise EventError(_l("The number of guests cannot be negative."))


def _normalise(values: dict) -> dict:
    values = {k: v for k, v in values.items() if k in EDITABLE}
    for key in ("title_vi", "title_en", "venue_name", "venue_address", "online_url"):
        if key in values:
            values[key] = (values[key] or "").strip()
    for key in ("description_vi", "description_en"):
        if key in values:
            values[key] = values[key] or ""
    if "kind" in values:
        values["kind"] = EventKind(values["kind"])
    if "visibility" in values:
        values["visibility"] = Visibility(values["visibility"])
    return values


def create_event(association: Association, *, user=None, **values) -> Event:
    """A new draft event in `association`."""
    values = _normalise(values)
    values.setdefault("timezone", association.timezone or "Asia/Ho_Chi_Minh")
    values.setdefault("max_guests", 0)
    validate(values)
    event = Event(association_id=association.id, association=association, sequence=0, status=EventStatus.DRAFT,
                  slug=unique_slug(Event, values["title_vi"]), **values)
    db.session.add(event)
    db.session.flush()
    signals.event_saved.send(event)
    # Last: the audit lock is held to the commit (eventsapp.audit.services).
    audit.record("settings_changed", event, association_id=event.association_id, what="event", change="created")
    return event


def _snapshot(event: Event, fields) -> dict:
    out = {}
    for name in fields:
        value = getattr(event, name)
        out[name] = value.isoformat() if isinstance(value, datetime) else value
    return out


def update_event(event: Event, *, user=None, **values) -> list[EventChange]:
    """Apply `values`; record and announce the changes invitees must hear about.

    The sequence grows once per save that changes time, place or online link;
    other edits (a typo in the description) leave it alone. The slug never changes: the public
    page and feed URLs already sent to people keep working.
    """
    if event.is_cancelled:
        raise EventError(_l("A cancelled event cannot be changed."))
    values = _normalise(values)
    merged = {name: getattr(event, name) for name in EDITABLE} | values
    validate(merged)
    before = {kind: _snapshot(event, fields) for kind, fields in WATCHED.items()}
    for name, value in values.items():
        setattr(event, name, value)
    after = {kind: _snapshot(event, fields) for kind, fields in WATCHED.items()}
    changed_kinds = [kind for kind in WATCHED if before[kind] != after[kind]]
    fields = audit.changed(event, EDITABLE)
    changes: list[EventChange] = []
    if changed_kinds:
        event.sequence += 1
        for kind in changed_kinds:
            changes.append(_record(event, kind, before[kind], after[kind], user))
    event.updated_at = utcnow()
    db.session.flush()
    if changes:
        signals.event_changed.send(event, changes=changes)
    signals.event_saved.send(event)
    if fields:
        audit.record("settings_changed", event, association_id=event.association_id, what="event", change="edited",
                     fields=fields, sequence_raised=bool(changed_kinds))
    return changes


def _record(event: Event, kind: ChangeKind, before: dict, after: dict, user) -> EventChange:
    change = EventChange(event=event, sequence=event.sequence, kind=kind, before=before, after=after,
                         changed_by_id=getattr(user, "id", None))
    db.session.add(change)
    return change


def publish(event: Event, *, user=None) -> Event:
    """Make a draft event visible (public pages and feeds when public; invitations may go out)."""
    if event.is_cancelled:
        raise EventError(_l("A cancelled event cannot be published."))
    if event.status != EventStatus.PUBLISHED:
        event.status = EventStatus.PUBLISHED
        event.published_at = utcnow()
        db.session.flush()
        signals.event_saved.send(event)
        audit.record("settings_changed", event, association_id=event.association_id, what="event",
                     change="published")
    return event


def cancel(event: Event, *, user=None, reason: str = "") -> EventChange | None:
    """Cancel the event: invitees must hear about it (sequence bumped, change recorded)."""
    if event.is_cancelled:
        return None
    previous = event.status.value
    event.status = EventStatus.CANCELLED
    event.cancelled_at = utcnow()
    event.sequence += 1
    change = _record(event, ChangeKind.CANCELLED, {"status": previous},
                     {"status": EventStatus.CANCELLED.value, "reason": reason}, user)
    db.session.flush()
    signals.event_changed.send(event, changes=[change])
    signals.event_saved.send(event)
    audit.record("settings_changed", event, association_id=event.association_id, what="event", change="cancelled")
    return change


def get_by_slug(slug: str) -> Event | None:
    return db.session.scalar(select(Event).where(Event.slug == slug))


def public_event(slug: str) -> Event | None:
    """The event behind /e/<slug>: only public, published (or cancelled, to say so) events."""
    event = get_by_slug(slug)
    if event is None or event.visibility != Visibility.PUBLIC or event.status == EventStatus.DRAFT:
        return None
    return event


def upcoming(association_ids: set[int] | None, *, association_id: int | None = None, limit: int = 200,
             now: datetime | None = None) -> list[Event]:
    """Events not yet over (cancelled included, marked as such), soonest first."""
    query = select(Event).where(Event.ends_at >= (now or utcnow())).order_by(Event.starts_at, Event.id)
    if association_ids is not None:
        query = query.where(Event.association_id.in_(association_ids or [-1]))
    if association_id is not None:
        query = query.where(Event.association_id == association_id)
    return list(db.session.scalars(query.limit(limit)))


def agenda(events: list[Event], zone_name: str) -> list[tuple[date, list[Event]]]:
    """Events grouped by their day in `zone_name`, in order."""
    days: dict[date, list[Event]] = {}
    for event in events:
        days.setdefault(event.starts_at.astimezone(zone(zone_name)).date(), []).append(event)
    return sorted(days.items())


# ---------------------------------------------------------------- anniversaries

def anniversary_ordinal(founded_on: date, on: date) -> int:
    """Which anniversary falls in the year of `on` (founded 1950 → 77th in 2027)."""
    return on.year - founded_on.year


def anniversary_title(association: Association, on: date) -> str | None:
    """'Kỷ niệm 30 năm thành lập Hội …', or None without a founding date."""
    if association.founded_on is None or on.year <= association.founded_on.year:
        return None
    return f"Kỷ niệm {anniversary_ordinal(association.founded_on, on)} năm thành lập {association.name_vi}"


# ---------------------------------------------------------------- honorees

def add_honoree(event: Event, contact, award: str, citation: str = "") -> Honoree:
    """Honour `contact` at `event`; marks their invitation to it as an honoree's."""
    award = (award or "").strip()
    if not award:
        raise EventError(_l("Enter the award."))
    existing = db.session.scalar(select(Honoree).where(
        Honoree.event_id == event.id, Honoree.contact_id == contact.id, Honoree.award == award))
    if existing is not None:
        raise EventError(_l("%(name)s already receives this award.", name=contact.full_name))
    honoree = Honoree(event=event, contact=contact, award=award, citation=(citation or "").strip())
    db.session.add(honoree)
    db.session.flush()
    _sync_honoree_flags(event.id, [contact.id])
    audit.record("contact_edited", ("contacts", contact.id), association_id=event.association_id,
                 honour="added", honoree_id=honoree.id, event_id=event.id, citation=bool(honoree.citation))
    return honoree


def remove_honoree(honoree: Honoree) -> None:
    event_id, contact_id, honoree_id = honoree.event_id, honoree.contact_id, honoree.id
    db.session.delete(honoree)
    db.session.flush()
    _sync_honoree_flags(event_id, [contact_id])
    audit.for_event("contact_edited", ("contacts", contact_id), event_id, honour="removed", honoree_id=honoree_id)


def _sync_honoree_flags(event_id: int, contact_ids: list[int]) -> None:
    """Invitation.is_honoree is true exactly for the contacts honoured at the event."""
    honoured = set(db.session.scalars(select(Honoree.contact_id).where(
        Honoree.event_id == event_id, Honoree.contact_id.in_(contact_ids))))
    for contact_id in contact_ids:
        db.session.execute(update(Invitation).where(
            Invitation.event_id == event_id, Invitation.contact_id == contact_id
        ).values(is_honoree=contact_id in honoured).execution_options(synchronize_session="fetch"))


@signals.invitations_created.connect
def _mark_new_honoree_invitations(event, invitation_ids=(), **_):
    """Invitations made after the honorees were chosen are marked too."""
    contact_ids = list(db.session.scalars(select(Honoree.contact_id).where(Honoree.event_id == event.id)))
    if contact_ids and invitation_ids:
        db.session.execute(update(Invitation).where(
            Invitation.id.in_(list(invitation_ids)), Invitation.contact_id.in_(contact_ids)
        ).values(is_honoree=True).execution_options(synchronize_session="fetch"))


def honorees_csv(event: Event) -> str:
    """The honorees as CSV (UTF-8 with BOM, so Excel shows the diacritics)."""
    rows = sorted(event.honorees, key=lambda h: (h.contact.sort_key, h.award))
    header = ["Họ và tên", "Email", "Quốc gia", "Danh hiệu", "Lý do khen thưởng"]
    return spreadsheets.csv_text([header] + [[h.contact.full_name, h.contact.email, h.contact.country, h.award,
                                              h.citation] for h in rows])
