"""Demo events: the Tết Việt week's programme, the VUFO anniversary, an award ceremony with
honorees, and a past end-of-year gathering (for the attendance demo). Idempotent by slug."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from ..associations import services as associations
from ..campaigns import lunar
from ..campaigns import services as campaigns
from ..campaigns.demo import tet_week_slug
from ..contacts.models import Contact
from ..extensions import db
from ..timeutils import utcnow
from . import services
from .models import EventKind, EventStatus, Visibility

ZONE = "Asia/Ho_Chi_Minh"
VUFO_FOUNDED = date(1950, 5, 17)  # Ngày truyền thống Liên hiệp các tổ chức hữu nghị Việt Nam
DEMO_HONOREES = [
    ("Nguyễn Thị Lan", "lan.nguyen@honoree.example.vn", "Cộng hòa Séc"),
    ("Trần Minh Đức", "duc.tran@honoree.example.jp", "Nhật Bản"),
    ("Lê Văn Hùng", "hung.le@honoree.example.vn", "Việt Nam"),
]


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return services.local_to_utc(datetime.combine(day, time(hour, minute)), ZONE)


def _ensure(association, slug: str, *, publish: bool = True, **values):
    event = services.get_by_slug(slug)
    if event is None:
        event = services.create_event(association, timezone=ZONE, **values)
        event.slug = slug
        if publish:
            services.publish(event)
        db.session.flush()
    return event


def _honoree_contacts(association) -> list[Contact]:
    """Three contacts: existing ones of the association (or any), else three demo contacts."""
    existing = list(db.session.scalars(
        select(Contact).where(Contact.associations.any(id=association.id), Contact.archived_at.is_(None))
        .order_by(Contact.id).limit(3)))
    if len(existing) < 3:
        existing = list(db.session.scalars(select(Contact).order_by(Contact.id).limit(3)))
    if len(existing) >= 3:
        return existing
    contacts = []
    for name, email, country in DEMO_HONOREES:
        contact = db.session.scalar(select(Contact).where(Contact.email == email))
        if contact is None:
            contact = Contact(full_name=name, email=email, country=country, language="vi", timezone=ZONE)
            contact.associations.append(association)
            db.session.add(contact)
            db.session.flush()
        contacts.append(contact)
    return contacts


def seed():
    host = associations.get_by_slug("viet-nhat")
    union = associations.get_by_slug("lhhn-bac-giang")
    if host is None or union is None:
        return
    today = utcnow().date()
    year = lunar.next_tet(today).year
    tet = lunar.tet(year)
    week = campaigns.get_by_slug(tet_week_slug(year))
    campaign_id = week.id if week else None
    place = dict(venue_name="Nhà văn hóa tỉnh Bắc Giang", venue_address="Đường Nguyễn Văn Cừ, TP Bắc Giang")
    made = [
        _ensure(host, f"khai-mac-tuan-le-tet-viet-{year}", kind=EventKind.TET_WEEK, campaign_id=campaign_id,
                title_vi=f"Khai mạc Tuần lễ Tết Việt {year}", title_en=f"Opening of the Tết Việt week {year}",
                description_vi="Văn nghệ chào Xuân, **gói bánh chưng** và giới thiệu phong tục Tết Việt.",
                description_en="Spring performances, **bánh chưng** wrapping and Vietnamese Tết customs.",
                starts_at=_at(tet - timedelta(days=3), 9), ends_at=_at(tet - timedelta(days=3), 11, 30),
                visibility=Visibility.PUBLIC, capacity=300, max_guests=2, **place),
        _ensure(host, f"giao-luu-truc-tuyen-kieu-bao-{year}", kind=EventKind.TET_WEEK, campaign_id=campaign_id,
                title_vi="Giao lưu trực tuyến với kiều bào tại Nhật Bản và Séc",
                title_en="Online meeting with compatriots in Japan and the Czech Republic",
                description_vi="Kết nối trực tuyến đón Giao thừa cùng kiều bào.",
                starts_at=_at(tet - timedelta(days=2), 19), ends_at=_at(tet - timedelta(days=2), 21),
                visibility=Visibility.INVITE_ONLY, online_url="https://meet.example.vn/tet-viet", **place),
        _ensure(host, f"hoi-cho-xuan-tet-viet-{year}", kind=EventKind.TET_WEEK, campaign_id=campaign_id,
                title_vi="Hội chợ Xuân và ẩm thực ngày Tết", title_en="Spring fair and Tết food",
                starts_at=_at(tet + timedelta(days=2), 0), ends_at=_at(tet + timedelta(days=4), 0), all_day=True,
                visibility=Visibility.PUBLIC, **place),
    ]
    vufo_day = date(today.year, 5, 17) if date(today.year, 5, 17) >= today else date(today.year + 1, 5, 17)
    ordinal = services.anniversary_ordinal(VUFO_FOUNDED, vufo_day)
    made.append(_ensure(
        union, f"ky-niem-{ordinal}-nam-ngay-truyen-thong-vufo", kind=EventKind.ANNIVERSARY,
        title_vi=f"Kỷ niệm {ordinal} năm Ngày truyền thống Liên hiệp các tổ chức hữu nghị Việt Nam "
                 f"(17/5/1950 – 17/5/{vufo_day.year})",
        title_en=f"{ordinal}th anniversary of the Vietnam Union of Friendship Organisations",
        starts_at=_at(vufo_day, 8), ends_at=_at(vufo_day, 11), visibility=Visibility.PUBLIC,
        venue_name="Hội trường UBND tỉnh Bắc Giang", venue_address="Số 82 Hùng Vương, TP Bắc Giang"))
    ceremony_day = date(today.year, 12, 20) if date(today.year, 12, 20) > today else today + timedelta(days=21)
    ceremony = _ensure(
        host, f"le-trao-khen-thuong-{ceremony_day.year}", kind=EventKind.AWARD_CEREMONY,
        title_vi=f"Lễ trao Giấy khen, Bằng khen cho hội viên và kiều bào tiêu biểu năm {ceremony_day.year}",
        title_en=f"Award ceremony for outstanding members and compatriots {ceremony_day.year}",
        starts_at=_at(ceremony_day, 14), ends_at=_at(ceremony_day, 16, 30), visibility=Visibility.PUBLIC,
        rsvp_deadline=_at(ceremony_day - timedelta(days=5), 17), **place)
    if not ceremony.honorees:
        awards = [("Bằng khen", "Đóng góp quỹ vắc-xin phòng COVID-19 cho tỉnh Bắc Giang."),
                  ("Giấy khen", "Tích cực kết nối hội viên và kiều bào tại Nhật Bản."),
                  ("Giấy khen", "Hội viên tiêu biểu nhiều năm liền.")]
        for contact, (award, citation) in zip(_honoree_contacts(host), awards, strict=False):
            services.add_honoree(ceremony, contact, award, citation)
    made.append(ceremony)
    first_of_month = today.replace(day=1)
    last_month = (first_of_month - timedelta(days=1)).replace(day=15)
    made.append(_ensure(
        host, f"gap-mat-huu-nghi-cuoi-nam-{last_month:%Y-%m}", kind=EventKind.FRIENDSHIP,
        title_vi="Gặp mặt hữu nghị cuối năm", title_en="End-of-year friendship gathering",
        starts_at=_at(last_month, 18), ends_at=_at(last_month, 21), visibility=Visibility.INVITE_ONLY,
        capacity=120, **place))
    draft = _ensure(host, f"du-thao-giao-luu-van-hoa-{year}", publish=False, kind=EventKind.FRIENDSHIP,
                    title_vi="Giao lưu văn hóa Việt – Nhật (dự thảo)", title_en="Vietnam–Japan cultural exchange (draft)",
                    starts_at=_at(tet + timedelta(days=20), 9), ends_at=_at(tet + timedelta(days=20), 12), **place)
    made.append(draft)
    published = sum(1 for e in made if e.status == EventStatus.PUBLISHED)
    yield f"Events: {len(made)} ({published} published), award ceremony with {len(ceremony.honorees)} honorees."
