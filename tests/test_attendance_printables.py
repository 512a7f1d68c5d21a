"""Printables: badges whose QR codes check the right people in, the door list, certificates — PDFs made
by the real worker, read back with poppler (pdftotext, pdftoppm) and zxing-cpp."""
from __future__ import annotations

import glob
import io
import subprocess
import time
import tracemalloc
from datetime import datetime, timezone
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

from eventsapp.associations.models import Role
from eventsapp.attendance import printables, printing
from eventsapp.attendance.models import CertificateTemplate, CheckIn, Printable
from eventsapp.events.services import add_honoree
from eventsapp.invitations.models import InvitationStatus
from tests.attendance_factories import invite
from tests.conftest import csrf_token_from
from tests.factories import AssociationFactory, EventFactory, staff
from tests.support.browser import sign_in


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True).stdout.decode()


def qr_texts(pdf: bytes, tmp_path: Path) -> list[str]:
    """Every QR code on every page, rasterised at 150 dpi and decoded by zxing-cpp."""
    path = tmp_path / "badges.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-gray", "-png", str(path), str(tmp_path / "page")], check=True)
    found = []
    for page in sorted(glob.glob(str(tmp_path / "page*.png"))):
        found += [barcode.text for barcode in zxingcpp.read_barcodes(Image.open(page))]
    return found


def wait_until_done(client, event, timeout: float = 90.0) -> dict:
    """Poll the page's JSON like its script does, until the newest printable is done."""
    from eventsapp.extensions import db

    started = time.monotonic()
    while True:
        db.session.rollback()
        row = db.session.scalar(select(Printable).where(Printable.event_id == event.id).order_by(Printable.id.desc()))
        state = client.get(f"/events/{event.id}/printables/{row.id}.json").get_json()
        if state["state"] in ("done", "failed"):
            return state
        if time.monotonic() - started > timeout:
            raise AssertionError(f"printable {row.id} still {state['state']}")
        time.sleep(0.3)


def ceremony():
    association = AssociationFactory(name_vi="Hội hữu nghị Việt Nam – Lào tỉnh Bắc Giang")
    event = EventFactory(association=association, title_vi="Lễ trao Kỷ niệm chương Vì hòa bình",
                         starts_at=datetime(2027, 2, 5, 2, 0, tzinfo=timezone.utc),
                         ends_at=datetime(2027, 2, 5, 5, 0, tzinfo=timezone.utc))
    organiser = staff(association, Role.ORGANISER, email="btc@example.vn", name="Ban tổ chức")
    return event, organiser


def test_badges_made_by_the_worker_have_the_names_and_qr_codes_that_check_the_right_people_in(
        celery_worker, client, auth, db, tmp_path):
    event, organiser = ceremony()
    names = ["Nguyễn Thị Ánh Tuyết", "Trần Quốc Đạt", "Lê Thị Thủy", "Phạm Văn Đồng", "Vũ Ngọc Ửng"]
    invitations = {name: invite(event, full_name=name) for name in names}
    invite(event, full_name="Hoàng Văn Từ Chối", status=InvitationStatus.DECLINED)
    auth.login(organiser)
    page = client.get(f"/events/{event.id}/printables")
    assert page.status_code == 200
    response = client.post(f"/events/{event.id}/printables/badges", data={
        "csrf_token": csrf_token_from(page.text), "paper": "A4", "columns": "2", "rows": "4", "audience": "accepted"})
    assert response.status_code == 303
    state = wait_until_done(client, event)
    assert state["state"] == "done" and state["item_count"] == 5
    pdf = client.get(state["download_url"])
    assert pdf.status_code == 200 and pdf.content_type == "application/pdf"
    text = pdf_text(pdf.data, tmp_path)
    for name in names:
        assert name in text
    assert "Hoàng Văn Từ Chối" not in text  # declined: no badge
    assert "Hội hữu nghị Việt Nam – Lào tỉnh Bắc Giang" in text
    codes = qr_texts(pdf.data, tmp_path)
    assert len(codes) == 5
    # Each badge scans at the door and checks in its own person.
    door = staff(event.association, Role.CHECKIN, email="cua@example.vn")
    auth.login(door)
    token = csrf_token_from(client.get(f"/events/{event.id}/checkin").text)
    for code in codes:
        answer = client.post(f"/events/{event.id}/checkin/scan", data={"code": code, "csrf_token": token},
                             headers={"Accept": "application/json"})
        assert answer.status_code == 200, answer.get_json()
    db.session.expire_all()
    came = {row.contact_id for row in db.session.scalars(select(CheckIn).where(CheckIn.event_id == event.id))}
    assert came == {invitation.contact_id for invitation in invitations.values()}


def test_the_door_list_is_in_vietnamese_order_with_status_and_guests(celery_worker, client, auth, db, tmp_path):
    event, organiser = ceremony()
    invite(event, full_name="Trần Văn Bình", guests=2)
    invite(event, full_name="Nguyễn Thị Ánh", status=InvitationStatus.PENDING)
    invite(event, full_name="Lê Văn Đức", status=InvitationStatus.DECLINED)
    invite(event, full_name="Đỗ Thị Dung")
    auth.login(organiser)
    token = csrf_token_from(client.get(f"/events/{event.id}/printables").text)
    client.post(f"/events/{event.id}/printables/door_list", data={"csrf_token": token, "audience": "all"})
    state = wait_until_done(client, event)
    assert state["item_count"] == 4
    text = pdf_text(client.get(state["download_url"]).data, tmp_path)
    order = [text.index(name) for name in ("Nguyễn Thị Ánh", "Trần Văn Bình", "Đỗ Thị Dung", "Lê Văn Đức")]
    assert order == sorted(order)  # Ánh < Bình < Dung < Đức: by given name, đ after d
    line = next(line for line in text.splitlines() if "Trần Văn Bình" in line)
    assert "Nhận lời" in line and " 2" in line
    assert "Chưa trả lời" in next(line for line in text.splitlines() if "Nguyễn Thị Ánh" in line)


def test_certificates_one_per_honoree_all_in_one_and_a_preview(celery_worker, client, auth, db, tmp_path):
    event, organiser = ceremony()
    tuyet = invite(event, full_name="Nguyễn Thị Ánh Tuyết")
    dat = invite(event, full_name="Trần Quốc Đạt")
    first = add_honoree(event, tuyet.contact, "Kỷ niệm chương Vì hòa bình, hữu nghị giữa các dân tộc")
    add_honoree(event, dat.contact, "Bằng khen của Liên hiệp")
    db.session.commit()
    auth.login(organiser)
    page = client.get(f"/events/{event.id}/printables")
    token = csrf_token_from(page.text)
    logo = io.BytesIO()
    Image.new("RGB", (120, 120), "red").save(logo, "PNG")
    saved = client.post(f"/events/{event.id}/certificate-template", data={
        "csrf_token": token, "title": "Giấy khen", "intro": "Trân trọng trao tặng ông/bà", "place": "Bắc Giang",
        "signer_title": "TM. Ban chấp hành – Chủ tịch", "signer_name": "Hoàng Thị Hạnh",
        "logo": (io.BytesIO(logo.getvalue()), "logo.png")}, content_type="multipart/form-data")
    assert saved.status_code == 303
    one = client.get(f"/events/{event.id}/certificates/{first.id}.pdf")
    text = pdf_text(one.data, tmp_path)
    for expected in ("GIẤY KHEN", "Nguyễn Thị Ánh Tuyết", "Kỷ niệm chương Vì hòa bình, hữu nghị giữa các dân tộc",
                     "Bắc Giang, ngày 5 tháng 2 năm 2027", "Hoàng Thị Hạnh", "TM. Ban chấp hành – Chủ tịch"):
        assert expected in text
    assert "Trần Quốc Đạt" not in text
    preview = client.post(f"/events/{event.id}/certificate-template/preview", data={
        "csrf_token": token, "title": "Bằng khen", "intro": "Tặng", "place": "Hà Nội", "signer_title": "Chủ tịch",
        "signer_name": "Lý Văn Sáu"}, content_type="multipart/form-data")
    assert preview.status_code == 200 and preview.content_type == "application/pdf"
    assert "Hà Nội, ngày 5 tháng 2 năm 2027" in pdf_text(preview.data, tmp_path)
    db.session.expire_all()
    assert db.session.scalar(select(CertificateTemplate)).place == "Bắc Giang"  # the preview saved nothing
    client.post(f"/events/{event.id}/printables/certificates", data={"csrf_token": token})
    state = wait_until_done(client, event)
    assert state["item_count"] == 2
    text = pdf_text(client.get(state["download_url"]).data, tmp_path)
    assert "Nguyễn Thị Ánh Tuyết" in text and "Trần Quốc Đạt" in text and "Bằng khen của Liên hiệp" in text


def test_only_organisers_of_the_association_start_or_download_printables(client, auth, db):
    event, organiser = ceremony()
    invite(event, full_name="Nguyễn Văn An")
    auth.login(organiser)
    token = csrf_token_from(client.get(f"/events/{event.id}/printables").text)
    assert client.post(f"/events/{event.id}/printables/badges", data={
        "csrf_token": token, "paper": "A4", "columns": "2", "rows": "5", "audience": "all"}).status_code == 303
    row = db.session.scalar(select(Printable))
    printables.render(row.id)  # as the worker would
    assert client.get(f"/events/{event.id}/printables/{row.id}/download").status_code == 200
    door = staff(event.association, Role.CHECKIN, email="cua@example.vn")
    elsewhere = AssociationFactory()
    outsider = staff(elsewhere, Role.ORGANISER, email="khac@example.vn")
    other_event = EventFactory(association=elsewhere)
    for user in (door, outsider):
        auth.login(user)
        assert client.get(f"/events/{event.id}/printables").status_code == 403
        assert client.get(f"/events/{event.id}/printables/{row.id}/download").status_code == 403
        assert client.get(f"/events/{event.id}/printables/{row.id}.json").status_code == 403
        assert client.post(f"/events/{event.id}/printables/door_list", data={"csrf_token": token}).status_code == 403
    # An organiser elsewhere cannot reach this file through their own event either.
    assert client.get(f"/events/{other_event.id}/printables/{row.id}/download").status_code == 404
    assert db.session.scalar(select(Printable).where(Printable.kind == "door_list")) is None


@pytest.mark.parametrize("data", [
    {"paper": "A4", "columns": "0", "rows": "5", "audience": "all"},
    {"paper": "A4", "columns": str(2 ** 63), "rows": "5", "audience": "all"},
    {"paper": "B0", "columns": "2", "rows": "5", "audience": "all"},
    {"paper": "A4", "columns": "2", "rows": "5", "audience": "=cmd|' /C calc'!A0"},
])
def test_bad_badge_options_are_refused_with_a_message_and_change_nothing(client, auth, db, data):
    event, organiser = ceremony()
    auth.login(organiser)
    token = csrf_token_from(client.get(f"/events/{event.id}/printables").text)
    response = client.post(f"/events/{event.id}/printables/badges", data={"csrf_token": token, **data},
                           follow_redirects=True)
    assert "alert-danger" in response.text
    assert db.session.scalar(select(Printable)) is None


def test_a_logo_that_is_not_an_image_is_refused(client, auth, db):
    event, organiser = ceremony()
    auth.login(organiser)
    token = csrf_token_from(client.get(f"/events/{event.id}/printables").text)
    response = client.post(f"/events/{event.id}/certificate-template", data={
        "csrf_token": token, "title": "Giấy khen", "logo": (io.BytesIO(b"<svg onload=alert(1)>"), "logo.png")},
        content_type="multipart/form-data", follow_redirects=True)
    assert "PNG" in response.text and "alert-danger" in response.text
    assert db.session.scalar(select(CertificateTemplate)) is None
    assert client.post(f"/events/{event.id}/printables/certificates",
                       data={"csrf_token": token}, follow_redirects=True).text.count("alert-danger") == 1  # no honorees


def test_the_printing_page_shows_the_download_link_when_the_pdf_is_ready(live_server, page, db):
    """No worker runs here: the page shows the file waiting, the test renders it as the worker would,
    and the page's polling script turns the row into a download link without a reload."""

    event, organiser = ceremony()
    invite(event, full_name="Nguyễn Thị Ánh Tuyết")
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, live_server, organiser.email)
    page.goto(f"{live_server}/events/{event.id}/printables")
    page.fill("#columns", "3")
    page.click("form[action$='/printables/badges'] button[type=submit]")
    page.locator("tr[data-printable-url] .printable-state", has_text="Đang chờ xử lý").wait_for()
    page.evaluate("window.printingPageLoadedOnce = true")  # gone if the page reloaded
    printables.render(db.session.scalar(select(Printable)).id)
    page.locator("tr[data-printable-url] .printable-link a", has_text="Tải PDF").wait_for()
    assert page.evaluate("window.printingPageLoadedOnce") is True
    assert "Sẵn sàng: 1 mục" in page.locator("tr[data-printable-url] .printable-state").inner_text()
    href = page.locator("tr[data-printable-url] .printable-link a").get_attribute("href")
    response = page.request.get(f"{live_server}{href}")
    assert response.status == 200 and response.body()[:5] == b"%PDF-"
    db.session.expire_all()
    assert db.session.scalar(select(Printable)).options["columns"] == 3
    assert errors == []


def test_a_thousand_badges_keep_the_worker_within_a_few_times_their_pdfs_size(app, tmp_path):
    """What the drawing keeps until the document is saved stays within a few times the PDF it makes (a QR code is a
    small image, not a vector path kept uncompressed): a congress's batch fits a worker. Python's own
    allocation count (tracemalloc), not the process's RSS, so that the figure does not depend on the machine."""
    badges = (printing.Badge(f"Nguyễn Thị Ánh Tuyết {n}", "Hội hữu nghị Việt Nam – Nhật Bản tỉnh Bắc Giang",
                             f"https://events.example.vn/c/{n:08d}{'x' * 35}") for n in range(1000))
    with app.app_context(), (tmp_path / "badges.pdf").open("wb") as out:
        printing.register_fonts()
        tracemalloc.start()
        try:
            count = printing.badges_pdf(badges, printing.BadgeLayout("A4", 2, 5), out)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        size = out.tell()
    assert count == 1000
    assert peak < 5 * size, f"{peak / 1e6:.1f} MB kept for a {size / 1e6:.1f} MB PDF"
    # The last sheet still scans: ten codes, each its own person's link.
    subprocess.run(["pdftoppm", "-r", "150", "-gray", "-png", "-f", "100", "-l", "100", str(tmp_path / "badges.pdf"),
                    str(tmp_path / "last")], check=True)
    codes = {barcode.text for barcode in zxingcpp.read_barcodes(Image.open(glob.glob(str(tmp_path / "last*.png"))[0]))}
    assert codes == {f"https://events.example.vn/c/{n:08d}{'x' * 35}" for n in range(990, 1000)}
