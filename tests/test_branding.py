"""An association's identity (name, logo, colour), set by its organisers, on its public pages and e-mails."""
from __future__ import annotations

import email
import io
import re
from email import policy

import pytest
from PIL import Image
from sqlalchemy import select

from eventsapp.associations import branding
from eventsapp.associations.models import Association, Role
from eventsapp.invitations import services
from eventsapp.mail.models import MessageKind, OutboxMessage
from eventsapp.mail.renderers import render
from tests.conftest import csrf_token_from
from tests.factories import AssociationFactory, ContactFactory, EventFactory, InvitationFactory, staff


def image_bytes(fmt: str, size=(64, 32), color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt)
    return out.getvalue()


def post_identity(client, association, *, logo: bytes | None = None, filename="logo.png", color="", remove=False):
    page = client.get(f"/associations/{association.slug}/identity")
    data = {"csrf_token": csrf_token_from(page.text), "brand_color": color}
    if logo is not None:
        data["logo"] = (io.BytesIO(logo), filename)
    if remove:
        data["remove_logo"] = "y"
    return client.post(f"/associations/{association.slug}/identity", data=data, content_type="multipart/form-data")


def fresh(db, association) -> Association:
    db.session.expire_all()
    return db.session.get(Association, association.id)


def test_organisers_set_a_logo_and_a_colour_served_by_the_app(client, auth, db):
    association = AssociationFactory(slug="viet-nhat-nhan-dien")
    auth.login(staff(association, Role.ORGANISER))
    exif = Image.Exif()
    exif[0x010E] = "<script>alert(1)</script>"
    upload = io.BytesIO()
    Image.new("RGB", (2000, 1000), (10, 80, 160)).save(upload, format="JPEG", exif=exif)
    response = post_identity(client, association, logo=upload.getvalue(), filename="logo.jpg", color="#1B5E20")
    assert response.status_code == 303
    saved = fresh(db, association)
    assert saved.brand_color == "#1b5e20"
    served = client.get(f"/associations/{saved.slug}/logo.png?v={saved.logo_version}")
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert "immutable" in served.headers["Cache-Control"]
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    image = Image.open(io.BytesIO(served.data))
    assert image.format == "PNG" and max(image.size) == 512  # re-encoded and scaled down
    assert b"<script>" not in served.data  # the upload's metadata is not kept
    css = client.get(f"/associations/{saved.slug}/brand.css?v=1b5e20")
    assert css.mimetype == "text/css" and "--brand-color: #1b5e20" in css.text

    assert post_identity(client, association, remove=True, color="#1b5e20").status_code == 303
    assert fresh(db, association).logo_version is None
    assert client.get(f"/associations/{saved.slug}/logo.png").status_code == 404


@pytest.mark.parametrize("upload, filename", [
    (image_bytes("GIF"), "logo.gif"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "logo.png"),
    (b"<html><script>alert(1)</script></html>", "logo.png"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "logo.png"),  # a PNG signature and nothing behind it
    (b"\x00" * (branding.MAX_LOGO_BYTES + 1), "logo.png"),
])
def test_a_logo_that_is_not_a_small_png_jpeg_or_webp_is_refused(client, auth, db, upload, filename):
    association = AssociationFactory()
    auth.login(staff(association, Role.ORGANISER))
    response = post_identity(client, association, logo=upload, filename=filename, color="#123456")
    assert response.status_code == 400
    assert ("PNG, JPEG hoặc WebP" in response.text) or ("quá lớn" in response.text)
    saved = fresh(db, association)
    assert saved.logo_version is None and saved.brand_color is None  # nothing changed


def test_a_logo_of_too_many_pixels_is_refused_before_decoding(client, auth, db):
    association = AssociationFactory()
    auth.login(staff(association, Role.ORGANISER))
    out = io.BytesIO()
    Image.new("1", (6000, 6000)).save(out, format="PNG", optimize=True)  # tiny file, 36 million pixels
    assert len(out.getvalue()) < branding.MAX_LOGO_BYTES
    response = post_identity(client, association, logo=out.getvalue())
    assert response.status_code == 400
    assert fresh(db, association).logo_version is None


@pytest.mark.parametrize("color", ["red", "#12345", "#1234567", "#ggg000", "javascript:alert(1)",
                                   "#123456\r\nX-Evil: 1", "#123456;}body{display:none", "=cmd|' /C calc'!A0"])
def test_a_colour_that_is_not_rrggbb_is_refused(client, auth, db, color):
    association = AssociationFactory(brand_color="#0a3d7a")
    auth.login(staff(association, Role.ORGANISER))
    response = post_identity(client, association, color=color)
    assert response.status_code == 400
    assert "mã màu gồm dấu # và sáu ký tự" in response.text
    assert fresh(db, association).brand_color == "#0a3d7a"


def test_only_the_associations_organisers_may_change_its_identity(client, auth, db):
    association = AssociationFactory()
    other = AssociationFactory()
    auth.login(staff(other, Role.ORGANISER))
    assert client.get(f"/associations/{association.slug}/identity").status_code == 403
    auth.login(staff(association, Role.CHECKIN))
    assert client.get(f"/associations/{association.slug}/identity").status_code == 403
    client.post("/logout")


def test_text_on_any_brand_colour_has_enough_contrast():
    for color in ("#ffff00", "#777777", "#767676", "#0a3d7a", "#1b5e20", "#ffffff", "#000000", "#ff0000"):
        assert branding.contrast(color, branding.text_color_on(color)) >= 4.5


def _with_identity(db, **association_kwargs):
    association = AssociationFactory(name_vi="Hội hữu nghị Việt Nam – Nhật Bản", name_en="Vietnam–Japan Friendship Association",
                                     brand_color="#1b5e20", **association_kwargs)
    branding.set_logo(association, branding.process_logo(image_bytes("PNG")))
    event = EventFactory(association=association, title_vi="Gặp mặt Xuân", description_vi="Chào mừng.")
    invitation = InvitationFactory(event=event, contact=ContactFactory(email="nhan.dien@example.vn"))
    db.session.commit()
    return association, event, invitation


def test_the_invitation_email_carries_the_associations_identity(db):
    association, event, invitation = _with_identity(db)
    services.send_invitations(event.id)
    db.session.commit()
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.invitation_id == invitation.id,
                                                            OutboxMessage.kind == MessageKind.INVITATION))
    mail = email.message_from_bytes(bytes(render(message)), policy=policy.default)
    html = next(p for p in mail.walk() if p.get_content_type() == "text/html").get_content()
    assert "background:#1b5e20;color:#ffffff" in html
    assert f"/associations/{association.slug}/logo.png?v={association.logo_version}" in html
    assert html.count("Hội hữu nghị Việt Nam – Nhật Bản") >= 2  # header and footer
    assert "eventsapp" not in re.sub(r"<[^>]+>", " ", html).lower()  # in what the reader sees


def test_public_pages_show_the_associations_identity(live_server, phone_page, db):
    association, event, invitation = _with_identity(db)
    page = phone_page
    for url in (f"/rsvp/{invitation.token}", f"/e/{event.slug}", f"/unsubscribe/{invitation.contact.unsubscribe_token}"):
        page.goto(live_server + url)
        header = page.locator(".brand-header")
        assert "Hội hữu nghị Việt Nam – Nhật Bản" in header.inner_text()
        assert header.evaluate("h => getComputedStyle(h).backgroundColor") == "rgb(27, 94, 32)"
        assert header.evaluate("h => getComputedStyle(h.querySelector('.brand-name')).color") == "rgb(255, 255, 255)"
        assert header.locator("img.brand-logo").evaluate("img => img.complete && img.naturalWidth") == 64
        assert "eventsapp" not in page.locator("body").inner_text().lower()
        assert "eventsapp" not in page.title().lower()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_reminders_and_thank_yous_carry_the_associations_identity(db):
    from eventsapp.invitations.models import InvitationStatus
    from eventsapp.reminders import services as reminders
    from eventsapp.reminders.models import Anchor, RuleKind
    from tests.reminders_helpers import DAY, START, mark_invitation_sent, rule

    association, event, invitation = _with_identity(db)
    event.starts_at, event.ends_at = START, START + DAY / 10
    invitation.status = InvitationStatus.ACCEPTED
    mark_invitation_sent(invitation, START - 30 * DAY)
    rule(event, offset=-2 * DAY, audience=("accepted",))
    rule(event, kind=RuleKind.THANK_YOU, anchor=Anchor.END, offset=DAY, audience=("accepted",))
    reminders.fire_due(now=START - DAY)
    reminders.fire_due(now=event.ends_at + DAY)
    db.session.commit()
    for kind in (MessageKind.REMINDER, MessageKind.THANK_YOU):
        message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.invitation_id == invitation.id,
                                                                OutboxMessage.kind == kind))
        mail = email.message_from_bytes(bytes(render(message)), policy=policy.default)
        html = next(p for p in mail.walk() if p.get_content_type() == "text/html").get_content()
        assert "background:#1b5e20;color:#ffffff" in html, kind
        assert f"/associations/{association.slug}/logo.png?v={association.logo_version}" in html, kind
        assert html.count("Hội hữu nghị Việt Nam – Nhật Bản") >= 2, kind  # header and footer
