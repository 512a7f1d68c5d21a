"""Demo: the Bắc Giang union, its nine associations, a few district branches, staff accounts."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from ..auth import services as accounts
from ..demo import DEMO_PASSWORDS
from ..extensions import db
from . import branding, services
from .models import Association, AssociationKind, Role

UNION = ("lhhn-bac-giang", "Liên hiệp các tổ chức hữu nghị tỉnh Bắc Giang",
         "Bac Giang Union of Friendship Organisations", date(1995, 9, 1))

ASSOCIATIONS = [
    ("viet-nga", "Hội hữu nghị Việt Nam – Liên bang Nga", "Vietnam–Russia Friendship Association", date(1997, 5, 20)),
    ("viet-duc", "Hội hữu nghị Việt Nam – Đức", "Vietnam–Germany Friendship Association", date(2001, 3, 15)),
    ("viet-trung", "Hội hữu nghị Việt Nam – Trung Quốc", "Vietnam–China Friendship Association", date(1998, 10, 1)),
    ("viet-lao", "Hội hữu nghị Việt Nam – Lào", "Vietnam–Laos Friendship Association", date(1996, 7, 18)),
    ("viet-campuchia", "Hội hữu nghị Việt Nam – Campuchia", "Vietnam–Cambodia Friendship Association", date(1999, 6, 24)),
    ("viet-sec-slovakia", "Hội hữu nghị Việt Nam – Séc – Slovakia", "Vietnam–Czech–Slovakia Friendship Association", date(2004, 11, 12)),
    ("viet-han", "Hội hữu nghị Việt Nam – Hàn Quốc", "Vietnam–Korea Friendship Association", date(2006, 12, 22)),
    ("viet-italia", "Hội hữu nghị Việt Nam – Italia", "Vietnam–Italy Friendship Association", date(2010, 3, 23)),
    ("viet-nhat", "Hội hữu nghị Việt Nam – Nhật Bản", "Vietnam–Japan Friendship Association", date(1996, 9, 21)),
]

BRANCHES = [
    ("viet-nhat-yen-the", "viet-nhat", "Chi hội Việt Nam – Nhật Bản huyện Yên Thế", "Vietnam–Japan branch, Yên Thế district"),
    ("viet-nhat-luc-ngan", "viet-nhat", "Chi hội Việt Nam – Nhật Bản huyện Lục Ngạn", "Vietnam–Japan branch, Lục Ngạn district"),
    ("viet-nga-tp-bac-giang", "viet-nga", "Chi hội Việt Nam – Liên bang Nga TP Bắc Giang", "Vietnam–Russia branch, Bắc Giang city"),
    ("viet-lao-hiep-hoa", "viet-lao", "Chi hội Việt Nam – Lào huyện Hiệp Hòa", "Vietnam–Laos branch, Hiệp Hòa district"),
    ("viet-duc-viet-yen", "viet-duc", "Chi hội Việt Nam – Đức thị xã Việt Yên", "Vietnam–Germany branch, Việt Yên town"),
]

STAFF = [
    # email, name, is_admin, role, association slug
    ("admin@demo.eventsapp.vn", "Quản trị viên", True, None, None),
    ("organiser@demo.eventsapp.vn", "Nguyễn Thị Hoa", False, Role.ORGANISER, "viet-nhat"),
    ("checkin@demo.eventsapp.vn", "Trần Văn Nam", False, Role.CHECKIN, "viet-nhat"),
]


def _ensure(slug, name_vi, name_en, kind, parent, founded_on=None) -> Association:
    association = services.get_by_slug(slug)
    if association is None:
        association = services.save_association(
            None, slug=slug, name_vi=name_vi, name_en=name_en, kind=kind, parent=parent,
            founded_on=founded_on, timezone="Asia/Ho_Chi_Minh", sender_email=f"{slug}@demo.eventsapp.vn",
        )
        db.session.flush()
    return association


def _identity(association: Association, color: str) -> None:
    """A drawn demo logo (two suns over a blue sea) and a colour, unless the organisers set their own."""
    import io

    from PIL import Image, ImageDraw

    if association.logo_version is None:
        image = Image.new("RGBA", (256, 256), (255, 255, 255, 0))
        draw = ImageDraw.Draw(image)
        draw.ellipse((8, 8, 248, 248), fill=(255, 255, 255, 255), outline=(31, 78, 140, 255), width=12)
        draw.ellipse((48, 60, 132, 144), fill=(218, 37, 29, 255))
        draw.ellipse((124, 60, 208, 144), fill=(188, 0, 45, 255))
        draw.polygon([(40, 180), (216, 180), (200, 208), (56, 208)], fill=(31, 78, 140, 255))
        out = io.BytesIO()
        image.save(out, format="PNG")
        branding.set_logo(association, branding.process_logo(out.getvalue()))
    if association.brand_color is None:
        association.brand_color = color


def seed():
    slug, name_vi, name_en, founded = UNION
    union = _ensure(slug, name_vi, name_en, AssociationKind.UNION, None, founded)
    by_slug = {}
    for slug, name_vi, name_en, founded in ASSOCIATIONS:
        by_slug[slug] = _ensure(slug, name_vi, name_en, AssociationKind.ASSOCIATION, union, founded)
    for slug, parent, name_vi, name_en in BRANCHES:
        _ensure(slug, name_vi, name_en, AssociationKind.BRANCH, by_slug[parent])
    for email, name, is_admin, role, association_slug in STAFF:
        user = accounts.find_user(email)
        if user is None:
            user = accounts.create_user(email, DEMO_PASSWORDS[email], name=name, is_admin=is_admin)
            db.session.flush()
        if role is not None:
            services.grant(user, by_slug[association_slug], role)
    _identity(by_slug["viet-nhat"], "#1f4e8c")
    count = len(db.session.scalars(select(Association.id)).all())
    yield f"Associations: {count} (union, {len(ASSOCIATIONS)} associations, branches)."
    for email, *_ in STAFF:
        yield f"Demo login: {email} / {DEMO_PASSWORDS[email]}"
