"""The import flow in Chromium: upload → preview → confirm → summary → directory."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from eventsapp.associations.models import Role
from eventsapp.contacts.models import Contact
from tests.contacts_support import VI_HEADER, example_associations
from tests.factories import staff
from tests.support.browser import sign_in

ARTIFACTS = Path(__file__).resolve().parent / ".artifacts"


def test_upload_preview_confirm_in_chromium(live_server, page, db, tmp_path):
    tree = example_associations()
    organiser = staff(tree["viet-nhat"], Role.ORGANISER, email="hoa@example.vn")
    sheet = tmp_path / "hoi-vien-yen-the.csv"
    sheet.write_text("\ufeff" + VI_HEADER.replace(",", ";")
                     + "Lý Thị Thu;thu@example.jp;;Nhật Bản;Tokyo;Asia/Tokyo;vi;viet-nhat-yen-the;\n"
                     + "Ngô Quang Hải;hai@example.jp;;Nhật Bản;Osaka;Asia/Tokyo;en;;\n", encoding="utf-8")
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    sign_in(page, live_server, organiser.email)
    page.click("text=Danh bạ")
    page.click("text=Nhập")
    page.set_input_files("input[name=file]", str(sheet))
    page.select_option("select[name=association_id]", str(tree["viet-nhat"].id))
    page.click("text=Tải lên và xem trước")
    page.wait_for_selector("#import-counts")
    assert page.inner_text("[data-count=create]") == "2"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "contacts-import-preview.png"), full_page=True)
    assert "Ngô Quang Hải" in page.inner_text("#import-rows")
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 0  # nothing written yet
    page.select_option("select[name=basis]", "consent")
    page.click("#confirm-import")
    page.wait_for_selector("#import-summary")
    assert page.inner_text("[data-count=created]") == "2"
    page.click("text=Quay lại danh bạ")
    page.fill("input[name=q]", "ngo quang hai")
    page.click("button:has-text('Lọc')")
    page.wait_for_load_state()
    assert page.locator("#contacts-table tbody tr").count() == 1
    assert "Ngô Quang Hải" in page.inner_text("#contacts-table")
    page.screenshot(path=str(ARTIFACTS / "contacts-directory.png"), full_page=True)
    assert errors == []
