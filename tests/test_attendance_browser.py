"""The check-in page at phone size in Chromium: find a person by name, check them in, counters move."""
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from eventsapp.associations.models import Role
from eventsapp.attendance.models import CheckIn
from eventsapp.timeutils import utcnow
from tests.attendance_factories import invite
from tests.factories import AssociationFactory, EventFactory, staff
from tests.support.browser import sign_in

ARTIFACTS = Path(__file__).resolve().parent / ".artifacts"


def under_way():
    """A start an hour ago: the door of today's event (another day's door asks before each check-in)."""
    return utcnow().replace(microsecond=0) - timedelta(hours=1)


def test_check_in_by_search_on_a_phone(live_server, phone_page, db):
    association = AssociationFactory()
    event = EventFactory(association=association, title_vi="Gặp mặt kiều bào Xuân Bính Ngọ", starts_at=under_way())
    user = staff(association, Role.CHECKIN, email="cua@example.vn", name="Trần Văn Nam")
    invite(event, full_name="Nguyễn Văn Ân", email="an.nguyen@example.vn", guests=1)
    invite(event, full_name="Lê Thị Hoa", email="hoa.le@example.vn")
    page = phone_page
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))

    sign_in(page, live_server, user.email, lands_on="/doors")  # check-in staff land on the doors
    page.goto(f"{live_server}/events/{event.id}/checkin")
    assert page.locator("[data-count=expected]").inner_text() == "2"
    assert page.locator("[data-count=checked_in]").inner_text() == "0"
    assert page.evaluate("typeof window.ZXingBrowser") == "object"  # the vendored scanner loaded
    start = page.locator("#scan-start").bounding_box()
    assert start["width"] > 300 and start["height"] >= 44  # a big touch target

    page.fill("#door-q", "nguyen van an")  # typed without diacritics
    card = page.locator(".person-card", has_text="Nguyễn Văn Ân")
    card.wait_for()
    assert page.locator(".person-card").count() == 1
    card.locator(".checkin-button").tap()
    page.locator("[data-count=checked_in]", has_text="1").wait_for()
    assert page.locator("[data-count=checked_in_guests]").inner_text() == "1"
    assert "Nguyễn Văn Ân" in page.locator("#door-message").inner_text()
    card.locator(".checked-in-note").wait_for()
    assert "Trần Văn Nam" in card.locator(".checked-in-note").inner_text()
    db.session.expire_all()
    rows = db.session.scalars(select(CheckIn).where(CheckIn.event_id == event.id)).all()
    assert [(r.contact.full_name, r.guests) for r in rows] == [("Nguyễn Văn Ân", 1)]

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "attendance-checkin-phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    assert errors == []


def _qr_video(text: str, path: Path, size: int = 480) -> None:
    """A still Y4M clip of the QR code of `text`, for Chromium's fake camera."""
    import zxingcpp

    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    modules = barcode.to_image(scale=1).shape[0]  # quiet zone included
    luma = barcode.to_image(scale=size // modules // 2 * 2)  # 8-bit grey: the Y plane; an even side for 4:2:0
    side = luma.shape[0]
    chroma = b"\x80" * ((side // 2) * (side // 2) * 2)
    with open(path, "wb") as clip:
        clip.write(f"YUV4MPEG2 W{side} H{side} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(10):
            clip.write(b"FRAME\n" + bytes(luma) + chroma)


def _checked_in(db, event) -> bool:
    db.session.rollback()  # a fresh snapshot: the check-in is committed by the live server's request
    return db.session.scalar(select(CheckIn.id).where(CheckIn.event_id == event.id).limit(1)) is not None


def test_scanning_a_qr_code_with_the_camera_checks_in(live_server, browser, db, tmp_path):
    """The vendored ZXing scanner reads the invitation's QR code from a (fake) camera."""
    from eventsapp.links import checkin_url
    from tests.support import services as test_services

    association = AssociationFactory()
    event = EventFactory(association=association, starts_at=under_way())
    user = staff(association, Role.CHECKIN, email="camera@example.vn", name="Trần Văn Nam")
    invitation = invite(event, full_name="Đoàn Thị Quỳnh", guests=2)
    clip = tmp_path / "qr.y4m"
    _qr_video(checkin_url(invitation), clip)
    # A second Chromium from the same Playwright, whose camera films the QR code.
    camera_browser = browser.browser_type.launch(
        executable_path=test_services.CHROMIUM, headless=True,
        args=["--no-sandbox", "--disable-gpu", "--use-fake-ui-for-media-stream",
              "--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={clip}",
              "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"])
    try:
        context = camera_browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                             locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
        context.grant_permissions(["camera"], origin=live_server)
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        sign_in(page, live_server, user.email, lands_on="/doors")  # check-in staff land on the doors
        page.goto(f"{live_server}/events/{event.id}/checkin")
        page.locator("#door[data-list-ready=true]").wait_for()  # the kept list is there before the first scan
        page.locator("#scan-start").tap()
        # Poll the database for the check-in rather than trusting one fixed wait: on a busy machine the
        # fake camera can be slow to start (the page then stops scanning and shows the start button
        # again: tap it again) and decoding frames is slow. The bound only ends a run that is stuck.
        # A fake camera that gave no readable frame for a minute is opened afresh with the page (seen once
        # in a full run: the capture never delivered a frame); the test's own bound comes before pytest's.
        deadline, reopen_at = time.monotonic() + 240, time.monotonic() + 60
        while not _checked_in(db, event):
            assert time.monotonic() < deadline, page.locator("#door-message").inner_text()
            if time.monotonic() > reopen_at:
                page.reload()
                page.locator("#door[data-list-ready=true]").wait_for()
                reopen_at = time.monotonic() + 60
            if page.locator("#scan-start").is_visible():
                page.locator("#scan-start").tap()
            page.wait_for_timeout(250)
        page.locator("[data-count=checked_in]", has_text="1").wait_for(timeout=120_000)
        assert "Đoàn Thị Quỳnh" in page.locator("#door-message").inner_text()
        assert page.locator(".person-card", has_text="Đoàn Thị Quỳnh").locator(".checked-in-note").count() == 1
        page.locator("#scan-stop").tap()
    finally:
        camera_browser.close()
    db.session.expire_all()
    rows = db.session.scalars(select(CheckIn).where(CheckIn.event_id == event.id)).all()
    assert [(r.contact.full_name, r.guests) for r in rows] == [("Đoàn Thị Quỳnh", 2)]
    assert errors == []
