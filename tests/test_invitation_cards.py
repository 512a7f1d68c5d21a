"""Printed invitation cards (A5, two to an A4 sheet) and address labels (3 × 8 on A4), made by the worker like
the badges: the words read back from the PDF, the QR code scanned from its raster, hostile values kept in place."""
from __future__ import annotations

import glob
import io
import subprocess
import tracemalloc
from datetime import datetime, timezone
from pathlib import Path

import zxingcpp
from flask import g
from PIL import Image
from sqlalchemy import select

from eventsapp.associations.models import Role
from eventsapp.attendance import printables, printing
from eventsapp.attendance.models import CertificateTemplate, CheckIn, Printable
from eventsapp.invitations.models import InvitationStatus
from eventsapp.links import rsvp_url
from tests.attendance_factories import invite
from tests.conftest import csrf_token_from
from tests.factories import AssociationFactory, EventFactory, staff


def pdf_text(pdf: bytes, tmp_path: Path, name: str = "out.pdf") -> str:
    """The PDF's words in reading order (a card's or label's lines one after another), spaces folded."""
    path = tmp_path / name
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True).stdout.decode()
    return " ".join(text.split())


def qr_texts(pdf: bytes, tmp_path: Path) -> list[str]:
    """Every QR code on every page, rasterised at 150 dpi and decoded by zxing-cpp, page by page."""
    path = tmp_path / "cards.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "150", "-gray", "-png", str(path), str(tmp_path / "page")], check=True)
    found = []
    for page in sorted(glob.glob(str(tmp_path / "page*.png"))):
        found += [barcode.text for barcode in zxingcpp.read_barcodes(Image.open(page))]
    return found


def gala():
    association = AssociationFactory(name_vi="Hội hữu nghị Việt Nam – Nhật Bản tỉnh Bắc Giang")
    event = EventFactory(association=association, title_vi="Gặp mặt hữu nghị nhân dịp Tết Đinh Mùi",
                         title_en="New Year friendship gathering",
                         starts_at=datetime(2027, 2, 5, 11, 0, tzinfo=timezone.utc),
                         ends_at=datetime(2027, 2, 5, 14, 0, tzinfo=timezone.utc),
                         rsvp_deadline=datetime(2027, 1, 30, 10, 0, tzinfo=timezone.utc),
                         venue_name="Nhà văn hóa tỉnh Bắc Giang", venue_address="Đường Nguyễn Văn Cừ, TP Bắc Giang")
    organiser = staff(association, Role.ORGANISER, email="btc@example.vn", name="Ban tổ chức")
    return event, organiser


def render(db, event, kind: str, **options) -> Printable:
    """The worker's path in this process: the row as the page requests it, then the task's function."""
    from eventsapp.attendance.tasks import render_printable

    row = printables.request_printable(event, kind, dict(options, locale="vi"))
    db.session.commit()
    render_printable(row.id)
    db.session.expire_all()
    row = db.session.get(Printable, row.id)
    assert row.state == "done", row.error
    return row


def test_cards_made_by_the_worker_greet_each_person_formally_and_their_code_opens_their_answer_page_and_checks_in(
        celery_worker, client, auth, db, tmp_path):
    event, organiser = gala()
    vi = invite(event, status=InvitationStatus.PENDING, full_name="Nguyễn Thị Ánh Tuyết", honorific="Đồng chí",
                position="Phó Chủ tịch Hội hữu nghị Việt Nam – Nhật Bản tỉnh")
    en = invite(event, status=InvitationStatus.PENDING, full_name="Tanaka Hiroshi", honorific="Ông",
                language="en", timezone="Asia/Tokyo")
    auth.login(organiser)
    page = client.get(f"/events/{event.id}/printables")
    assert "Thiệp mời" in page.text or "thiệp mời" in page.text
    response = client.post(f"/events/{event.id}/printables/invitation_cards",
                           data={"csrf_token": csrf_token_from(page.text), "audience": "all"})
    assert response.status_code == 303
    from tests.test_attendance_printables import wait_until_done

    state = wait_until_done(client, event)
    assert state["state"] == "done" and state["item_count"] == 2
    pdf = client.get(state["download_url"])
    assert pdf.status_code == 200 and pdf.content_type == "application/pdf"
    text = pdf_text(pdf.data, tmp_path)
    assert "Kính gửi: Đồng chí Nguyễn Thị Ánh Tuyết, Phó Chủ tịch Hội hữu nghị Việt Nam – Nhật Bản tỉnh" in text
    assert "Dear Mr Tanaka Hiroshi," in text
    assert "HỘI HỮU NGHỊ VIỆT NAM – NHẬT BẢN TỈNH BẮC GIANG" in text
    assert "Gặp mặt hữu nghị nhân dịp Tết Đinh Mùi" in text and "New Year friendship gathering" in text
    assert "Nhà văn hóa tỉnh Bắc Giang, Đường Nguyễn Văn Cừ, TP Bắc Giang" in text
    # 11:00 UTC in Hà Nội's words, and in Tokyo's time in English for the Japanese guest
    assert "18:00" in text and "8:00" in text and "PM" in text, text
    assert "2027" in text and "Jan" in text, text  # the reply date in each reader's words
    codes = qr_texts(pdf.data, tmp_path)
    assert len(codes) == 2
    # Opened by the invitee (anyone not at this event's door), the code is their own answer page.
    anonymous = client.application.test_client()
    g.pop("_login_user", None)  # the tests' app context outlives requests: forget the organiser signed in above
    db.session.expire_all()
    targets = {anonymous.get("/" + code.split("://", 1)[1].split("/", 1)[1]).headers["Location"] for code in codes}
    assert targets == {rsvp_url(vi), rsvp_url(en)}
    # Scanned at the door, the same code checks its person in.
    door = staff(event.association, Role.CHECKIN, email="cua@example.vn")
    auth.login(door)
    token = csrf_token_from(client.get(f"/events/{event.id}/checkin").text)
    for code in codes:
        answer = client.post(f"/events/{event.id}/checkin/scan", data={"code": code, "csrf_token": token},
                             headers={"Accept": "application/json"})
        assert answer.status_code == 200, answer.get_json()
    db.session.expire_all()
    came = {row.contact_id for row in db.session.scalars(select(CheckIn).where(CheckIn.event_id == event.id))}
    assert came == {vi.contact_id, en.contact_id}


def test_cards_carry_the_associations_logo_when_the_certificate_template_has_one(app, db, tmp_path):
    event, _ = gala()
    invite(event, full_name="Lê Văn Lễ")
    logo = io.BytesIO()
    Image.new("RGB", (60, 60), (200, 20, 20)).save(logo, "PNG")
    db.session.add(CertificateTemplate(association_id=event.association_id, title="Giấy khen", intro="", place="",
                                       signer_title="", signer_name="", logo_png=logo.getvalue()))
    db.session.commit()
    row = render(db, event, "invitation_cards")
    listed = subprocess.run(["pdfimages", "-list", "-"], input=row.content, capture_output=True)
    if listed.returncode:  # pdfimages reads files, not stdin, on some versions
        (tmp_path / "logo.pdf").write_bytes(row.content)
        listed = subprocess.run(["pdfimages", "-list", str(tmp_path / "logo.pdf")], capture_output=True, check=True)
    sizes = [line.split()[3:5] for line in listed.stdout.decode().splitlines()[2:]]
    assert ["60", "60"] in sizes  # the logo, beside the QR code


def test_address_labels_only_for_contacts_with_a_postal_address(app, db, tmp_path):
    event, _ = gala()
    invite(event, full_name="Phạm Thị Hồng Nhung", honorific="Bà", position="Chủ tịch Hội",
           postal_address="Số 12 phố Hoàng Văn Thụ\r\nPhường Ngô Quyền, TP Bắc Giang")
    invite(event, full_name="Tanaka Hiroshi", honorific="Ông", language="en",
           postal_address="1-2-3 Shibuya, Tokyo")
    invite(event, full_name="Đỗ Văn Không Địa Chỉ", postal_address="  ")
    invite(event, full_name="Vũ Thị Chỉ Email")
    row = render(db, event, "address_labels")
    assert row.item_count == 2
    text = pdf_text(row.content, tmp_path)
    assert "Kính gửi: Bà Phạm Thị Hồng Nhung, Chủ tịch Hội" in text
    assert "Số 12 phố Hoàng Văn Thụ" in text and "Phường Ngô Quyền, TP Bắc Giang" in text
    assert "Mr Tanaka Hiroshi" in text and "1-2-3 Shibuya, Tokyo" in text
    assert "Không Địa Chỉ" not in text and "Chỉ Email" not in text
    assert "Address labels" in printables.describe(row) or "Nhãn" in printables.describe(row)


def test_labels_are_refused_with_a_message_when_nobody_has_a_postal_address(client, auth, db):
    event, organiser = gala()
    invite(event, full_name="Vũ Thị Chỉ Email")
    auth.login(organiser)
    page = client.get(f"/events/{event.id}/printables")
    response = client.post(f"/events/{event.id}/printables/address_labels",
                           data={"csrf_token": csrf_token_from(page.text), "audience": "all"}, follow_redirects=True)
    assert "địa chỉ bưu điện" in response.text
    assert db.session.scalar(select(Printable).where(Printable.event_id == event.id)) is None


def test_hostile_values_stay_inside_their_card_and_label_and_the_pdf_still_reads(app, tmp_path):
    """10,000 characters, CR/LF, a NUL, a lone surrogate and a spreadsheet formula: the layout holds (the text is
    shrunk, then cut with an ellipsis), the PDF opens, and the QR code still decodes."""
    hostile = "=cmd|' /C calc'!A0\r\nTrần\x00 Văn\ud800 Dài " + "Phó Chủ tịch " * 800
    long_word = "Ư" * 10_000
    cards = [printing.InvitationCard(
        association=hostile, heading="GIẤY MỜI", salutation=f"Kính gửi: {long_word}, {hostile}",
        intro="Trân trọng kính mời tới dự", event_title=hostile, when_label="Thời gian:", when=hostile,
        where_label="Địa điểm:", where=long_word, deadline=hostile, qr_caption=hostile,
        qr_text="https://events.example.vn/c/hostile-token-1234567890")]
    labels = [printing.AddressLabel(hostile, f"{long_word}\r\n{hostile}\n\n=cmd\nline 4\nline 5\nline 6")] * 2
    with app.app_context():
        card_pdf, label_pdf = io.BytesIO(), io.BytesIO()
        assert printing.invitation_cards_pdf(cards, card_pdf) == 1
        assert printing.address_labels_pdf(labels, label_pdf) == 2
    text = pdf_text(card_pdf.getvalue(), tmp_path)
    assert "=cmd|' /C calc'!A0 Trần Văn Dài" in text and "…" in text and "\x00" not in text
    assert qr_texts(card_pdf.getvalue(), tmp_path) == ["https://events.example.vn/c/hostile-token-1234567890"]
    # Nothing drawn outside the page: every word pdftotext finds lies within the sheet (bounding boxes).
    for pdf, name in ((card_pdf.getvalue(), "c.pdf"), (label_pdf.getvalue(), "l.pdf")):
        path = tmp_path / name
        path.write_bytes(pdf)
        boxes = subprocess.run(["pdftotext", "-bbox", str(path), "-"], check=True, capture_output=True).stdout.decode()
        page = boxes.split("<page ", 1)[1].split(">", 1)[0]
        width, height = (float(part.split('"')[1]) for part in page.split()[:2])
        for word in boxes.split("<word ")[1:]:
            attrs = dict(pair.split("=") for pair in word.split(">", 1)[0].split())
            x_max, y_max = float(attrs["xMax"].strip('"')), float(attrs["yMax"].strip('"'))
            x_min = float(attrs["xMin"].strip('"'))
            assert 0 <= x_min and x_max <= width + 0.5 and y_max <= height + 0.5, word[:80]
    labels_text = pdf_text(label_pdf.getvalue(), tmp_path, "labels.pdf")
    assert "line 5" not in labels_text  # an address is at most four lines on a label


def test_each_card_stays_inside_its_half_of_the_sheet(app, tmp_path):
    """A long name on the left card never reaches the right one: every word's box lies in one half."""
    hostile = "Nguyễn " * 2000
    cards = [printing.InvitationCard(
        association="Hội", heading="GIẤY MỜI", salutation=f"Kính gửi: Ông {hostile}", intro="Trân trọng kính mời",
        event_title=hostile, when_label="Thời gian:", when=hostile, where_label="Địa điểm:", where=hostile,
        deadline=hostile, qr_caption="Quét mã", qr_text=f"https://events.example.vn/c/token-{n:020d}")
        for n in range(2)]
    out = io.BytesIO()
    with app.app_context():
        printing.invitation_cards_pdf(cards, out)
    path = tmp_path / "halves.pdf"
    path.write_bytes(out.getvalue())
    boxes = subprocess.run(["pdftotext", "-bbox", str(path), "-"], check=True, capture_output=True).stdout.decode()
    half = 841.89 / 2
    for word in boxes.split("<word ")[1:]:
        attrs = dict(pair.split("=") for pair in word.split(">", 1)[0].split())
        x_min, x_max = (float(attrs[key].strip('"')) for key in ("xMin", "xMax"))
        assert x_max <= half + 0.5 or x_min >= half - 0.5, word[:80]


def test_three_hundred_cards_keep_the_worker_within_a_few_times_their_pdfs_size(app, tmp_path):
    """Like the badges: what the drawing keeps until the document is saved stays near the PDF's own size."""
    cards = (printing.InvitationCard(
        association="Hội hữu nghị Việt Nam – Nhật Bản tỉnh Bắc Giang", heading="GIẤY MỜI",
        salutation=f"Kính gửi: Đồng chí Nguyễn Thị Ánh Tuyết {n}, Phó Chủ tịch Hội", intro="Trân trọng kính mời tới dự",
        event_title="Gặp mặt hữu nghị nhân dịp Tết Đinh Mùi", when_label="Thời gian:",
        when="18:00 – 21:00, Thứ Sáu, 5 tháng 2, 2027", where_label="Địa điểm:", where="Nhà văn hóa tỉnh Bắc Giang",
        deadline="Xin vui lòng trả lời trước 30 thg 1, 2027", qr_caption="Quét mã để trả lời",
        qr_text=f"https://events.example.vn/c/{n:08d}{'x' * 35}") for n in range(300))
    with app.app_context(), (tmp_path / "cards.pdf").open("wb") as out:
        printing.register_fonts()
        tracemalloc.start()
        try:
            count = printing.invitation_cards_pdf(cards, out)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        size = out.tell()
    assert count == 300
    assert peak < 5 * size, f"{peak / 1e6:.1f} MB kept for a {size / 1e6:.1f} MB PDF"
