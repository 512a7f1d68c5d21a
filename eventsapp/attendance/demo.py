"""Demo: a past year-end gathering of the Vietnam–Japan association with answers and check-ins.

Uses the events demo's "Gặp mặt hữu nghị cuối năm" when it exists, else creates it;
tops its invitations up to about forty, answers the unanswered ones once, and
checks people in (three walk-ins among them) only if nobody was checked in yet.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from ..associations.models import Association
from ..auth.models import User
from ..contacts.models import Contact
from ..events.models import Event, EventKind, EventStatus, Visibility
from ..extensions import db
from ..invitations.models import Invitation, InvitationStatus
from ..timeutils import utcnow, zone
from . import services
from .models import CheckIn

TITLE = "Gặp mặt hữu nghị cuối năm"
SLUG = "gap-mat-huu-nghi-cuoi-nam"
ZONE = "Asia/Ho_Chi_Minh"
INVITATIONS = 40
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô"]
GIVEN = ["Thị Hoa", "Văn Nam", "Minh Đức", "Thu Hà", "Quốc Bảo", "Ngọc Ánh", "Hải Yến", "Đức Thắng"]
PLACES = [("Việt Nam", "vi", "Asia/Ho_Chi_Minh"), ("Nhật Bản", "vi", "Asia/Tokyo"), ("Nhật Bản", "en", "Asia/Tokyo"),
          ("Đức", "vi", "Europe/Berlin"), ("Hàn Quốc", "vi", "Asia/Seoul")]
ANSWERS = [InvitationStatus.ACCEPTED] * 6 + [InvitationStatus.TENTATIVE, InvitationStatus.DECLINED,
                                             InvitationStatus.PENDING, InvitationStatus.ACCEPTED]


def _last_year_end() -> datetime:
    now = utcnow()
    year = now.year if now.astimezone(zone(ZONE)).date() > datetime(now.year, 12, 28).date() else now.year - 1
    return datetime(year, 12, 27, 18, 0, tzinfo=zone(ZONE))


def _event(association: Association) -> Event:
    event = db.session.scalar(select(Event).where(Event.title_vi == TITLE).order_by(Event.id))
    if event is None:
        starts = _last_year_end()
        event = Event(
            association=association, slug=SLUG, title_vi=TITLE, title_en="Year-end friendship gathering",
            description_vi="Gặp mặt hội viên và kiều bào cuối năm.", kind=EventKind.FRIENDSHIP, timezone=ZONE,
            starts_at=starts, ends_at=starts + timedelta(hours=3), venue_name="Nhà văn hóa tỉnh Bắc Giang",
            venue_address="Đường Nguyễn Văn Cừ, TP Bắc Giang", max_guests=2, status=EventStatus.PUBLISHED,
            visibility=Visibility.INVITE_ONLY, published_at=starts - timedelta(days=30),
        )
        db.session.add(event)
        db.session.flush()
    return event


def _demo_contact(n: int, association: Association) -> Contact:
    email = f"hoi-vien.{n:02d}@demo.eventsapp.vn"
    contact = db.session.scalar(select(Contact).where(Contact.email == email))
    if contact is None:
        country, language, tz = PLACES[n % len(PLACES)]
        contact = Contact(full_name=f"{FAMILY[n % len(FAMILY)]} {GIVEN[n % len(GIVEN)]}", email=email,
                          country=country, language=language, timezone=tz)
        db.session.add(contact)
    if association not in contact.associations:
        contact.associations.append(association)
    return contact


def _invite(event: Event, association: Association) -> list[Invitation]:
    invitations = list(db.session.scalars(select(Invitation).where(Invitation.event_id == event.id)
                                          .order_by(Invitation.id)))
    missing = INVITATIONS - len(invitations)
    if missing > 0:
        invited = {i.contact_id for i in invitations}
        candidates = [c for c in db.session.scalars(
            select(Contact).where(Contact.archived_at.is_(None), Contact.opted_out_at.is_(None),
                                  Contact.email.is_not(None))
            .order_by(Contact.id).limit(INVITATIONS + len(invited) + 10)) if c.id not in invited][:missing]
        n = 0
        while len(candidates) < missing:
            contact = _demo_contact(n, association)
            db.session.flush()
            if contact.id not in invited and contact not in candidates:
                candidates.append(contact)
            n += 1
        for contact in candidates:
            invitation = Invitation(event=event, contact=contact)
            db.session.add(invitation)
            invitations.append(invitation)
        db.session.flush()
    if all(i.status == InvitationStatus.PENDING for i in invitations):
        for n, invitation in enumerate(invitations):
            invitation.status = ANSWERS[n % len(ANSWERS)]
            invitation.guests = 1 if invitation.status == InvitationStatus.ACCEPTED and n % 4 == 0 else 0
            invitation.is_honoree = n in (0, 7)
            if invitation.status != InvitationStatus.PENDING:
                invitation.answered_at = event.starts_at - timedelta(days=10, hours=n)
        db.session.flush()
    return invitations


def _check_in(event: Event, invitations: list[Invitation], association: Association) -> None:
    by = db.session.scalar(select(User).where(User.email == "checkin@demo.eventsapp.vn"))
    accepted = [i for i in invitations if i.status == InvitationStatus.ACCEPTED]
    came = accepted[:-7] + [i for i in invitations if i.status == InvitationStatus.TENTATIVE][:1]
    rows = [services.check_in_invitation(i, by=by) for i in came]
    rows.append(services.register_walk_in(event, by=by, full_name="Trịnh Thị Mai",
                                          email="trinh.mai.walkin@demo.eventsapp.vn", guests=1))
    rows.append(services.register_walk_in(event, by=by, full_name="Lưu Quang Vũ"))
    invited = {i.contact_id for i in invitations}
    stranger = db.session.scalar(select(Contact).where(
        Contact.id.not_in(invited), Contact.archived_at.is_(None), Contact.email.is_not(None),
        Contact.email != "trinh.mai.walkin@demo.eventsapp.vn").order_by(Contact.id))
    if stranger is None:
        stranger = _demo_contact(INVITATIONS + 1, association)
    rows.append(services.register_walk_in(event, by=by, contact=stranger))
    opening = event.starts_at - timedelta(minutes=30)
    for n, row in enumerate(rows):
        row.checked_in_at = opening + timedelta(seconds=75 * n)
    db.session.flush()


def seed():
    association = db.session.scalar(select(Association).where(Association.slug == "viet-nhat"))
    if association is None:
        return
    event = _event(association)
    invitations = _invite(event, association)
    if not db.session.scalar(select(func.count(CheckIn.id)).where(CheckIn.event_id == event.id)):
        _check_in(event, invitations, association)
    figures = services.counters(event)
    yield (f"Attendance: “{event.title_vi}” — {len(invitations)} invited, {figures['checked_in']} checked in "
           f"({figures['walk_ins']} walk-ins).")
