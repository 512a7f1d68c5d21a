"""The README's pictures, made from the demo data: `make screenshots`.

Starts a temporary app (SQLite and the outbox folder in a temporary directory,
`seed-demo`'s data), serves it on a loopback port, and photographs the main
screens with Playwright and Debian's Chromium into docs/screenshots/ as small
PNGs (palette-reduced with Pillow). `--review DIR` photographs every page at
390 px and 1366 px in Vietnamese and English instead, for a person to look at.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--review DIR]
"""
from __future__ import annotations

import argparse
import base64
import email
import email.policy
import io
import os
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
MAX_BYTES = 300_000


def start_app(workdir: Path):
    """The app on a fresh SQLite database with the demo data, served in a thread; returns (app, base URL)."""
    os.environ["EVENTSAPP_INSTANCE_DIR"] = str(workdir)
    os.environ["EVENTSAPP_CONFIG"] = "development"
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("MAIL_SERVER", None)
    sys.path.insert(0, str(ROOT))
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    from werkzeug.serving import make_server

    from config import DevelopmentConfig
    from eventsapp import create_app
    from eventsapp.demo import seed_all

    app = create_app(
        DevelopmentConfig,
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{workdir / 'screens.sqlite3'}",
        CELERY_BROKER_URL=f"sqla+sqlite:///{workdir / 'broker.sqlite3'}",
        MAIL_OUTBOX_DIR=str(workdir / "outbox"),
        MAIL_SERVER=None,
    )
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        for _line in seed_all():
            pass
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = base  # e-mails link their logo and pages to this server
    return app, base


class Demo:
    """What the pictures show, looked up in the demo data."""

    def __init__(self, app):
        from sqlalchemy import select

        from eventsapp.contacts.models import Contact
        from eventsapp.events.models import Event
        from eventsapp.extensions import db
        from eventsapp.invitations.models import Invitation, InvitationStatus
        from eventsapp.timeutils import utcnow

        with app.app_context():
            events = db.session.scalars(select(Event).order_by(Event.starts_at)).all()
            upcoming = [e for e in events if e.starts_at > utcnow() and e.status.value == "published"]
            self.event = next(e for e in upcoming if e.capacity is None or e.capacity > 0)
            self.past = next(e for e in events if e.ends_at < utcnow())
            self.event_id, self.event_slug, self.past_id = self.event.id, self.event.slug, self.past.id
            self.campaign_id = next((e.campaign_id for e in events if e.campaign_id), None)

            def pending_invitation(language):
                invitation = db.session.scalars(
                    select(Invitation).join(Contact).where(Invitation.event_id == self.event_id,
                                                           Invitation.status == InvitationStatus.PENDING,
                                                           Contact.language == language)
                    .order_by(Invitation.id)).first()
                return invitation

            self.vi_invitation = pending_invitation("vi")
            self.en_invitation = pending_invitation("en") or self.vi_invitation
            self.vi_token = self.vi_invitation.token
            self.en_token = self.en_invitation.token
            self.vi_invitation_id, self.en_invitation_id = self.vi_invitation.id, self.en_invitation.id
            self.unsubscribe_token = self.vi_invitation.contact.unsubscribe_token


def invitation_html(app, invitation_id: int) -> str:
    """The HTML of the invitation e-mail as the invitee receives it, its inline images as data: URLs."""
    from eventsapp.extensions import db
    from eventsapp.invitations import services
    from eventsapp.invitations.models import Invitation
    from eventsapp.mail import renderers
    from eventsapp.mail.models import MessageKind, OutboxMessage

    with app.app_context():
        invitation = db.session.get(Invitation, invitation_id)
        message = db.session.query(OutboxMessage).filter_by(
            invitation_id=invitation_id, kind=MessageKind.INVITATION).first()
        if message is None:
            services.send_invitations(invitation.event_id)
            db.session.commit()
            message = db.session.query(OutboxMessage).filter_by(
                invitation_id=invitation_id, kind=MessageKind.INVITATION).first()
        raw = renderers.render(message).as_bytes()
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    html, images = "", {}
    for part in parsed.walk():
        if part.get_content_type() == "text/html":
            html = part.get_content()
        elif part.get_content_maintype() == "image" and part["Content-ID"]:
            data = base64.b64encode(part.get_payload(decode=True)).decode()
            images[part["Content-ID"].strip("<>")] = f"data:{part.get_content_type()};base64,{data}"
    for cid, url in images.items():
        html = html.replace(f"cid:{cid}", url)
    return html


def optimise(path: Path) -> None:
    """Palette-reduce a PNG in place (screens have few colours) so it stays well under MAX_BYTES."""
    from PIL import Image

    image = Image.open(path).convert("RGB")
    for colours in (256, 128, 64):
        buffer = io.BytesIO()
        image.quantize(colors=colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
            buffer, format="PNG", optimize=True)
        if buffer.tell() <= MAX_BYTES:
            break
    path.write_bytes(buffer.getvalue())


def sign_in(context, base: str, email_address: str, password: str) -> None:
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email_address)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.close()


def shoot(context, url: str, path: Path, *, full_page: bool = True, html: str | None = None) -> None:
    page = context.new_page()
    if html is None:
        page.goto(url)
    else:
        page.set_content(html)
    page.wait_for_load_state("networkidle")
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=full_page)
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size["width"]
    note = "" if width <= viewport else f"  (page {width}px wide > {viewport}px)"
    print(f"{path}{note}")
    page.close()


def readme_pictures(app, base: str, browser, out: Path) -> None:
    demo = Demo(app)
    desktop = browser.new_context(viewport=DESKTOP, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    sign_in(desktop, base, "organiser@demo.eventsapp.vn", "organiser-demo-2026")
    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=1,
                                locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    door = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=1,
                               locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    sign_in(door, base, "checkin@demo.eventsapp.vn", "checkin-demo-2026")
    mail = browser.new_context(viewport={"width": 700, "height": 900}, locale="vi-VN")
    shots = [
        (desktop, f"{base}/e/{demo.event_slug}", "event-page.png", None),
        (mail, None, "invitation-vi.png", invitation_html(app, demo.vi_invitation_id)),
        (mail, None, "invitation-en.png", invitation_html(app, demo.en_invitation_id)),
        (phone, f"{base}/rsvp/{demo.vi_token}", "rsvp-phone.png", None),
        (door, f"{base}/events/{demo.event_id}/checkin", "door-phone.png", None),
        (desktop, f"{base}/events/{demo.past_id}/attendance", "attendance-report.png", None),
    ]
    for context, url, name, html in shots:
        shoot(context, url, out / name, html=html)
        optimise(out / name)
        print(f"  {(out / name).stat().st_size // 1024} KB")


ACCOUNTS = {"admin": ("admin@demo.eventsapp.vn", "admin-demo-2026"),
            "organiser": ("organiser@demo.eventsapp.vn", "organiser-demo-2026"),
            "checkin": ("checkin@demo.eventsapp.vn", "checkin-demo-2026")}


def review_pages(demo: Demo) -> dict[str, dict[str, str]]:
    """Every page the review photographs, per who looks at it ("public": signed out): {who: {name: path}}.
    tests/test_page_words.py reads every one of them in both languages."""
    organiser_pages = {
        "dashboard": "/", "events": "/events/", "agenda": "/events/agenda", "event": f"/events/{demo.event_id}",
        "invitations": f"/events/{demo.event_id}/invitations", "mail-log": f"/events/{demo.event_id}/mail",
        "reminders": f"/events/{demo.event_id}/reminders", "attendance": f"/events/{demo.past_id}/attendance",
        "checkin": f"/events/{demo.event_id}/checkin", "contacts": "/contacts/", "associations": "/associations/",
        "campaigns": "/campaigns/", "campaign": f"/campaigns/{demo.campaign_id}",
        "campaign-invitations": f"/campaigns/{demo.campaign_id}/invitations", "new-event": "/events/new",
        "association": "/associations/viet-nhat", "association-edit": "/associations/viet-nhat/edit",
        "new-campaign": "/campaigns/new",
    }
    public_pages = {"event-public": f"/e/{demo.event_slug}", "rsvp-vi": f"/rsvp/{demo.vi_token}",
                    "rsvp-en": f"/rsvp/{demo.en_token}", "unsubscribe": f"/unsubscribe/{demo.unsubscribe_token}",
                    "login": "/login", "sign-in-needed": "/events/"}  # a signed-out visit: the sign-in page says why
    return {"admin": {"dashboard": "/"}, "organiser": organiser_pages,
            "checkin": {"landing": "/", "checkin": f"/events/{demo.event_id}/checkin"}, "public": public_pages}


def review(app, base: str, browser, out: Path) -> None:
    """Every page at phone and desktop width, in both languages, for a person to look at."""
    demo = Demo(app)
    pages_of = review_pages(demo)
    only = set(os.environ.get("REVIEW_ONLY", "").split(",")) - {""}
    for size_name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        for language in ("vi", "en"):
            for who, pages in pages_of.items():
                context = browser.new_context(viewport=viewport, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
                if who != "public":
                    sign_in(context, base, *ACCOUNTS[who])
                lang_page = context.new_page()
                lang_page.goto(f"{base}/lang/{language}")
                lang_page.close()
                for name, path in pages.items():
                    if only and name not in only:
                        continue
                    shoot(context, base + path, out / f"{size_name}-{language}-{who}-{name}.png")
                context.close()
    mail = browser.new_context(viewport={"width": 700, "height": 900})
    shoot(mail, None, out / "mail-vi.png", html=invitation_html(app, demo.vi_invitation_id))
    shoot(mail, None, out / "mail-en.png", html=invitation_html(app, demo.en_invitation_id))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--review", type=Path, help="photograph every page into this folder instead")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="eventsapp-screens-") as workdir:
        app, base = start_app(Path(workdir))
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                 args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
            if args.review:
                review(app, base, browser, args.review)
            else:
                readme_pictures(app, base, browser, args.out)
            browser.close()


if __name__ == "__main__":
    main()
