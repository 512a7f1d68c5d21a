"""The ceremony's PDFs, made by the real worker and read back with poppler (pdftotext, pdftoppm): place
cards with the honorific and name on both faces, the chart of the hall, the list per table and the MC's
script in protocol order, Vietnamese diacritics intact; a seat changed after the cards were printed is
flagged on the seating page."""
from __future__ import annotations

import glob
import subprocess
import time
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from eventsapp.attendance.models import Printable
from eventsapp.ceremony import protocol, seating
from tests.ceremony_support import ceremony
from tests.conftest import csrf_token_from
from tests.test_attendance_printables import wait_until_done


def pdf_text(pdf: bytes, tmp_path: Path, *pages: str) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", *pages, str(path), "-"], check=True,
                          capture_output=True).stdout.decode()


def make(client, db, event, kind: str, timeout: float = 90.0) -> bytes:
    """Ask for a PDF as the page's button does, wait for the worker, download it."""
    page = client.get(f"/events/{event.id}/seating")
    response = client.post(f"/events/{event.id}/seating/print/{kind}", data={"csrf_token": csrf_token_from(page.text)})
    assert response.status_code == 303
    started = time.monotonic()
    while True:
        db.session.rollback()
        row = db.session.scalar(select(Printable).where(Printable.event_id == event.id).order_by(Printable.id.desc()))
        state = client.get(f"/events/{event.id}/printables/{row.id}.json").get_json()
        if state["state"] in ("done", "failed"):
            break
        assert time.monotonic() - started < timeout, f"printable still {state['state']}"
        time.sleep(0.3)
    assert state["state"] == "done", state
    pdf = client.get(state["download_url"])
    assert pdf.status_code == 200 and pdf.content_type == "application/pdf"
    return pdf.data


def test_cards_chart_lists_and_script_are_printed_and_read_back(celery_worker, client, auth, db, tmp_path):
    world = ceremony()  # 120 accepted invitees of mixed rank, 11 named guests, three delegations, 20 tables
    seating.assign(world.event)
    db.session.commit()
    order = protocol.read(world.event)
    auth.login(world.organiser)

    cards = make(client, db, world.event, "place_cards")
    first = pdf_text(cards, tmp_path, "-f", "1", "-l", "1")
    # Both faces of the first card: honorific, name and position twice (one face upside down).
    head = order.people()[0]
    assert head.name == "Nguyễn Văn An 000" and first.count("Nguyễn Văn An 000") == 2
    assert first.count("Đồng chí") >= 2 and "Bí thư Tỉnh ủy" in first and "Bàn 1 · ghế 1" in first
    every = pdf_text(cards, tmp_path)
    assert all(person.name in every for person in order.people())
    # Rasterised, the first sheet has ink on both faces of the card (upper and lower quarter).
    (tmp_path / "cards.pdf").write_bytes(cards)
    subprocess.run(["pdftoppm", "-r", "40", "-gray", "-png", "-f", "1", "-l", "1", str(tmp_path / "cards.pdf"),
                    str(tmp_path / "card")], check=True)
    image = Image.open(glob.glob(str(tmp_path / "card*.png"))[0])
    width, height = image.size
    for top in (0.05, 0.27):
        band = image.crop((0, int(height * top), width, int(height * (top + 0.2))))
        assert band.convert("L").getextrema()[0] < 100, f"no text on the face at {top}"

    chart = make(client, db, world.event, "seating_chart")
    text = pdf_text(chart, tmp_path)
    assert "Lễ kỷ niệm 75 năm Liên hiệp các tổ chức hữu nghị" in text
    assert all(f"Bàn {n}" in text for n in (1, 2, 3)) and "10/10" in text

    lists = make(client, db, world.event, "table_lists")
    text = pdf_text(lists, tmp_path)
    assert "Bàn 1 · Bàn chủ tọa" in text and "Đồng chí Nguyễn Văn An 000" in text
    assert "Thành viên 0-00 Đoàn" in text

    script = make(client, db, world.event, "mc_script")
    text = " ".join(pdf_text(script, tmp_path).split())
    assert "Giới thiệu đại biểu" in text
    assert "1. Đồng chí Nguyễn Văn An 000, Bí thư Tỉnh ủy" in text
    assert "Đoàn Hội người Việt tại Séc do" in text and "dẫn đầu" in text
    # In protocol order: the provincial leaders before the union's, before the chairs.
    assert text.index("Bí thư Tỉnh ủy") < text.index("Chủ tịch Liên hiệp") < text.index("Chủ tịch Hội hữu nghị")

    # A move after the cards were printed is flagged on the seating page.
    last = order.people()[-1]
    page = client.get(f"/events/{world.event.id}/seating")
    client.post(f"/events/{world.event.id}/seating/place", data={
        "csrf_token": csrf_token_from(page.text), "person": last.key, "table_id": world.tables[3].id, "seat": "10"})
    page = client.get(f"/events/{world.event.id}/seating")
    assert "Đã đổi chỗ sau khi in bảng tên để bàn" in page.text and f"{last.name} → Bàn 4 · ghế 10" in page.text


def test_nothing_to_print_is_said_in_words(client, auth, db):
    world = ceremony(invitees=2, tables=0, delegation_sizes=())
    auth.login(world.organiser)
    page = client.get(f"/events/{world.event.id}/seating")
    answer = client.post(f"/events/{world.event.id}/seating/print/place_cards",
                         data={"csrf_token": csrf_token_from(page.text)}, follow_redirects=True)
    assert "Sơ đồ chưa có bàn nào." in answer.text
    answer = client.post(f"/events/{world.event.id}/seating/print/badges",
                         data={"csrf_token": csrf_token_from(page.text)}, follow_redirects=True)
    assert answer.status_code == 200 and db.session.scalar(select(Printable.id)) is None


def test_a_badge_carries_the_seat(celery_worker, client, auth, db, tmp_path):
    world = ceremony(invitees=3, tables=1, delegation_sizes=())
    seating.assign(world.event)
    db.session.commit()
    auth.login(world.organiser)
    page = client.get(f"/events/{world.event.id}/printables")
    client.post(f"/events/{world.event.id}/printables/badges", data={
        "csrf_token": csrf_token_from(page.text), "paper": "A4", "columns": "2", "rows": "4", "audience": "accepted"})
    state = wait_until_done(client, world.event)
    text = pdf_text(client.get(state["download_url"]).data, tmp_path)
    assert "Bàn 1 · ghế 1" in text and "Bàn 1 · ghế 3" in text
