"""Attendance figures for an event, a campaign, an association or a period, and the exports.

Every figure is computed from the invitations and the active check-ins of the
chosen events, in one pass, so the totals, the per-event rows and the
breakdowns by country and language always add up.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import selectinload

from .. import spreadsheets
from ..associations.models import Association
from ..contacts.models import Contact
from ..events.models import Event
from ..extensions import db
from ..guests.models import Delegation, EventGuest
from ..i18n import LANGUAGE_NAMES
from ..invitations.models import STATUS_VI, Invitation, InvitationStatus
from ..permissions import descendant_ids
from ..timefmt import zone_label
from ..timeutils import in_zone, utcnow, zone
from .models import CheckIn, OnlineJoin
from .services import check_ins, staff_name

UNKNOWN = "—"


@dataclass
class Figures:
    invited: int = 0
    answered: int = 0
    accepted: int = 0
    tentative: int = 0
    declined: int = 0
    expected_guests: int = 0
    attended: int = 0           # people checked in: invitees and walk-ins
    attended_invitees: int = 0  # of whom invited
    accepted_attended: int = 0  # of whom had accepted
    walk_ins: int = 0
    online: int = 0             # invitees who joined online through their personal link (apart from `attended`)
    guests: int = 0             # guests who came with them
    no_shows: int = 0           # accepted, not checked in, event over
    ended_accepted: int = 0     # accepted invitations of events that are over

    @property
    def rate(self) -> float | None:
        """Share of accepted invitees (of events that are over) who came."""
        if not self.ended_accepted:
            return None
        return (self.ended_accepted - self.no_shows) / self.ended_accepted

    @property
    def rate_percent(self) -> str:
        return "—" if self.rate is None else f"{self.rate * 100:.0f}%"

    def as_dict(self) -> dict:
        keys = ("invited", "answered", "accepted", "tentative", "declined", "expected_guests", "attended",
                "attended_invitees", "walk_ins", "online", "guests", "no_shows")
        return {**{key: getattr(self, key) for key in keys}, "attendance_rate": self.rate}


@dataclass
class Report:
    events: list[Event]
    total: Figures = field(default_factory=Figures)
    per_event: dict[int, Figures] = field(default_factory=dict)
    by_country: dict[str, Figures] = field(default_factory=lambda: defaultdict(Figures))
    by_language: dict[str, Figures] = field(default_factory=lambda: defaultdict(Figures))
    by_delegation: dict[str, Figures] = field(default_factory=lambda: defaultdict(Figures))

    def breakdown(self, name: str) -> list[tuple[str, Figures]]:
        rows = getattr(self, name)
        return sorted(rows.items(), key=lambda item: (-item[1].invited - item[1].walk_ins, item[0]))

    def as_dict(self) -> dict:
        return {
            "totals": self.total.as_dict(),
            "events": [{"id": e.id, "title": e.title_vi, **self.per_event[e.id].as_dict()} for e in self.events],
            "by_country": {key: f.as_dict() for key, f in self.breakdown("by_country")},
            "by_language": {key: f.as_dict() for key, f in self.breakdown("by_language")},
        }


def build(events: list[Event], now: datetime | None = None) -> Report:
    now = now or utcnow()
    report = Report(events=list(events))
    if not events:
        return report
    ended = {e.id for e in events if e.ends_at <= now}
    ids = [e.id for e in events]
    # Grouped in the database: one row per (event, country, language, answer, came or not). Joining online
    # counts as coming (an accepted invitee who joined online is no no-show).
    came_flag = case((and_(CheckIn.id.is_(None), OnlineJoin.id.is_(None)), 0), else_=1)
    invitations = db.session.execute(
        select(Invitation.event_id, Contact.country, Contact.language, Invitation.status, came_flag.label("here"),
               func.count(Invitation.id).label("n"), func.coalesce(func.sum(Invitation.guests), 0).label("guests"))
        .join(Contact, Contact.id == Invitation.contact_id)
        .outerjoin(CheckIn, and_(CheckIn.event_id == Invitation.event_id, CheckIn.contact_id == Invitation.contact_id,
                                 CheckIn.undone_at.is_(None)))
        .outerjoin(OnlineJoin, OnlineJoin.invitation_id == Invitation.id)
        .where(Invitation.event_id.in_(ids), Invitation.revoked_at.is_(None))
        .group_by(Invitation.event_id, Contact.country, Contact.language, Invitation.status, came_flag)
    ).all()
    invited_flag = case((CheckIn.invitation_id.is_(None), 0), else_=1)
    came = db.session.execute(
        select(CheckIn.event_id, Contact.country, Contact.language, CheckIn.walk_in, invited_flag.label("invited"),
               func.count(CheckIn.id).label("n"), func.coalesce(func.sum(CheckIn.guests), 0).label("guests"))
        .join(Contact, Contact.id == CheckIn.contact_id)
        .where(CheckIn.event_id.in_(ids), CheckIn.undone_at.is_(None))
        .group_by(CheckIn.event_id, Contact.country, Contact.language, CheckIn.walk_in, invited_flag)
    ).all()
    online = db.session.execute(
        select(OnlineJoin.event_id, Contact.country, Contact.language, func.count(OnlineJoin.id).label("n"))
        .join(Invitation, Invitation.id == OnlineJoin.invitation_id)
        .join(Contact, Contact.id == Invitation.contact_id)
        .where(OnlineJoin.event_id.in_(ids), Invitation.revoked_at.is_(None))
        .group_by(OnlineJoin.event_id, Contact.country, Contact.language)
    ).all()
    for event_id in ids:
        report.per_event[event_id] = Figures()

    def buckets(event_id, country, language):
        return (report.total, report.per_event[event_id],
                report.by_country[country or UNKNOWN], report.by_language[language or UNKNOWN])

    for row in invitations:
        n, accepted, here = row.n, row.status == InvitationStatus.ACCEPTED, bool(row.here)
        for figures in buckets(row.event_id, row.country, row.language):
            figures.invited += n
            figures.answered += n if row.status != InvitationStatus.PENDING else 0
            if accepted:
                figures.accepted += n
                figures.expected_guests += int(row.guests)
                figures.accepted_attended += n if here else 0
                if row.event_id in ended:
                    figures.ended_accepted += n
                    figures.no_shows += 0 if here else n
            figures.tentative += n if row.status == InvitationStatus.TENTATIVE else 0
            figures.declined += n if row.status == InvitationStatus.DECLINED else 0
    for row in online:
        for figures in buckets(row.event_id, row.country, row.language):
            figures.online += row.n
    for row in came:
        for figures in buckets(row.event_id, row.country, row.language):
            figures.attended += row.n
            figures.attended_invitees += row.n if row.invited else 0
            figures.walk_ins += row.n if row.walk_in else 0
            figures.guests += int(row.guests)
    _named_guests(report, ids, buckets)
    _delegations(report, ids, ended, buckets)
    return report


def _named_guests(report: Report, ids: list[int], buckets) -> None:
    """Guests named by invitees are already announced in the invitations' number of guests; those who came
    (on their own code) count with the guests, under their host's country and language."""
    for row in db.session.execute(
            select(CheckIn.event_id, Contact.country, Contact.language, func.count(CheckIn.id).label("n"))
            .join(EventGuest, EventGuest.id == CheckIn.guest_id)
            .join(Invitation, Invitation.id == EventGuest.invitation_id)
            .join(Contact, Contact.id == Invitation.contact_id)
            .where(CheckIn.event_id.in_(ids), CheckIn.undone_at.is_(None), CheckIn.contact_id.is_(None))
            .group_by(CheckIn.event_id, Contact.country, Contact.language)).all():
        for figures in buckets(row.event_id, row.country, row.language):
            figures.guests += row.n


def _delegations(report: Report, ids: list[int], ended: set[int], buckets) -> None:
    """Delegation members are invited people who have said yes (their leader named them): counted like
    accepted invitees, and grouped by delegation (country and language unknown)."""
    here = case((CheckIn.id.is_(None), 0), else_=1)
    for row in db.session.execute(
            select(Delegation.event_id, Delegation.name, here.label("here"), func.count(EventGuest.id).label("n"))
            .join(EventGuest, EventGuest.delegation_id == Delegation.id)
            .outerjoin(CheckIn, and_(CheckIn.guest_id == EventGuest.id, CheckIn.undone_at.is_(None)))
            .where(Delegation.event_id.in_(ids), Delegation.revoked_at.is_(None))
            .group_by(Delegation.event_id, Delegation.name, here)).all():
        came = row.n if row.here else 0
        for figures in (*buckets(row.event_id, None, None), report.by_delegation[row.name]):
            figures.invited += row.n
            figures.answered += row.n
            figures.accepted += row.n
            figures.accepted_attended += came
            figures.attended += came
            figures.attended_invitees += came
            if row.event_id in ended:
                figures.ended_accepted += row.n
                figures.no_shows += row.n - came


# ---------------------------------------------------------------- which events

def campaign_events(campaign) -> list[Event]:
    return list(db.session.scalars(select(Event).where(Event.campaign_id == campaign.id).order_by(Event.starts_at)))


def period_bounds(start: date | None, end: date | None, zone_name: str) -> tuple[datetime | None, datetime | None]:
    """[start 00:00, day after end 00:00) in `zone_name`, as aware datetimes."""
    tz = zone(zone_name)
    lower = datetime.combine(start, time.min, tz) if start else None
    upper = datetime.combine(end + timedelta(days=1), time.min, tz) if end else None
    return lower, upper


def events_in_period(association_ids: set[int] | None, start: date | None, end: date | None,
                     zone_name: str) -> list[Event]:
    """Events starting in the period; `association_ids` None means every association."""
    lower, upper = period_bounds(start, end, zone_name)
    statement = select(Event).options(selectinload(Event.association)).order_by(Event.starts_at, Event.id)
    if association_ids is not None:
        statement = statement.where(Event.association_id.in_(association_ids or [-1]))
    if lower is not None:
        statement = statement.where(Event.starts_at >= lower)
    if upper is not None:
        statement = statement.where(Event.starts_at < upper)
    return list(db.session.scalars(statement))


def association_events(association: Association, start: date | None, end: date | None) -> list[Event]:
    """Events of the association and its branches in the period."""
    return events_in_period(descendant_ids([association.id]), start, end, association.timezone)


def overview(start: date | None, end: date | None, zone_name: str) -> list[tuple[Association, Report]]:
    """Per association (its own events, branches separately), for the admin's period."""
    events = events_in_period(None, start, end, zone_name)
    grouped: dict[int, list[Event]] = defaultdict(list)
    for event in events:
        grouped[event.association_id].append(event)
    associations = db.session.scalars(select(Association).order_by(Association.name_vi)).all()
    return [(a, build(grouped[a.id])) for a in associations if grouped.get(a.id)]


# ---------------------------------------------------------------- exports

def export_headers(event: Event) -> list[str]:
    return ["STT", "Họ và tên", "Email", "Điện thoại", "Quốc gia", "Ngôn ngữ", "Trả lời", "Khách đi kèm",
            "Khách mời danh dự", "Khách vãng lai", f"Giờ check-in – {zone_label(event.timezone, 'vi', event.starts_at)}", "Người check-in"]


def export_rows(event: Event) -> list[list]:
    """The attendee list: one line per person checked in, earliest first, times in the event's zone."""
    rows = []
    for number, row in enumerate(check_ins(event), start=1):
        contact, invitation = row.contact, row.invitation
        if row.guest_id is not None:  # a named guest or delegation member: their name, no address of theirs
            guest = row.guest
            rows.append([number, f"{guest.honorific} {guest.full_name}".strip(), "", guest.phone or "",
                         guest.nationality, "", "Đoàn: " + guest.delegation.name if guest.delegation_id
                         else "Khách đi cùng", 0, "", "",
                         in_zone(row.checked_in_at, event.timezone).strftime("%Y-%m-%d %H:%M"),
                         staff_name(row.checked_in_by)])
            continue
        rows.append([
            number, contact.full_name, contact.email or "", contact.phone, contact.country,
            LANGUAGE_NAMES.get(contact.language, contact.language), STATUS_VI[invitation.status] if invitation else "",
            row.guests,
            "Có" if invitation and invitation.is_honoree else "", "Có" if row.walk_in else "",
            in_zone(row.checked_in_at, event.timezone).strftime("%Y-%m-%d %H:%M"), staff_name(row.checked_in_by),
        ])
    return rows


def attendees_csv(event: Event) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens the Vietnamese names intact."""
    return spreadsheets.csv_bytes([export_headers(event), *export_rows(event)])


def attendees_xlsx(event: Event) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Người tham dự"
    spreadsheets.append_row(sheet, [event.title_vi], font=Font(bold=True, size=13))
    spreadsheets.append_row(sheet, export_headers(event), font=Font(bold=True))
    for row in export_rows(event):
        spreadsheets.append_row(sheet, row)
    for column, width in zip("ABCDEFGHIJKL", (6, 28, 30, 16, 16, 9, 14, 10, 10, 10, 20, 22), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A3"
    return spreadsheets.save(workbook)


def export_filename(event: Event, extension: str) -> str:
    return f"diem-danh-{event.slug}.{extension}"
