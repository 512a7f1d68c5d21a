"""Printables as a person holds them: nothing printed for nobody, each file in the list says who is on it
and on which paper, and no label prints over another (checked on the rendered PDF at the longest
Vietnamese labels)."""
from __future__ import annotations

import re
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from eventsapp.associations.models import Role
from eventsapp.attendance import printables
from eventsapp.attendance.models import Printable
from eventsapp.events.services import add_honoree
from eventsapp.invitations.models import InvitationStatus
from tests.attendance_factories import invite
from tests.conftest import csrf_token_from
from tests.factories import AssociationFactory, EventFactory, staff

LONG_ASSOCIATION = "Hội hữu nghị Việt Nam – Séc – Slovakia huyện Lục Ngạn tỉnh Bắc Giang"
LONG_NAME = "Tôn Nữ Hoàng Thị Phương Nguyệt Ánh"
WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')


def ceremony():
    association = AssociationFactory(name_vi=LONG_ASSOCIATION)
    event = EventFactory(association=association, title_vi="Lễ trao Kỷ niệm chương Vì hòa bình, hữu nghị giữa các dân tộc",
                         starts_at=datetime(2027, 2, 5, 2, 0, tzinfo=timezone.utc),
                         ends_at=datetime(2027, 2, 5, 5, 0, tzinfo=timezone.utc))
    return event, staff(association, Role.ORGANISER, email="btc@example.vn")


def words(pdf: bytes, tmp_path: Path) -> list[list[tuple]]:
    """Every word poppler finds, per page: (x0, y0, x1, y1, text)."""
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], check=True, capture_output=True).stdout.decode()
    return [[(*map(float, m.groups()[:4]), m.group(5)) for m in WORD.finditer(page)]
            for page in html.split("<page ")[1:]]


def overlaps(page: list[tuple]) -> list[tuple[str, str]]:
    """Pairs of words whose boxes cover each other (more than a hair: glyph boxes touch at their edges)."""
    found = []
    for i, a in enumerate(page):
        for b in page[i + 1:]:
            dx = min(a[2], b[2]) - max(a[0], b[0])
            dy = min(a[3], b[3]) - max(a[1], b[1])
            if dx > 1.0 and dy > 1.0:
                found.append((a[4], b[4]))
    return found


def start(client, auth, event, organiser, kind, **data):
    auth.login(organiser)
    page = client.get(f"/events/{event.id}/printables")
    return client.post(f"/events/{event.id}/printables/{kind}", data={"csrf_token": csrf_token_from(page.text), **data},
                       follow_redirects=True)


def test_badges_for_nobody_are_refused_with_a_sentence(client, auth, db):
    event, organiser = ceremony()
    invite(event, status=InvitationStatus.PENDING, full_name="Lê Văn Chờ")
    db.session.commit()
    page = start(client, auth, event, organiser, "badges", paper="A4", columns="2", rows="5", audience="accepted").text
    assert "Chưa có ai nhận lời tham dự nên chưa có thẻ tên nào để in." in page
    assert "Sẵn sàng: 0" not in page and db.session.scalar(select(Printable.id)) is None
    # Everyone invited: one badge, made.
    start(client, auth, event, organiser, "badges", paper="A4", columns="2", rows="5", audience="all")
    assert db.session.scalar(select(Printable.id)) is not None


def test_a_door_list_of_nobody_is_refused_too(client, auth, db):
    event, organiser = ceremony()
    page = start(client, auth, event, organiser, "door_list", audience="all").text
    assert "Sự kiện chưa có khách mời nào nên chưa có gì để in." in page
    assert db.session.scalar(select(Printable.id)) is None


def test_each_file_in_the_list_names_who_is_on_it_and_the_paper(client, auth, db):
    event, organiser = ceremony()
    invite(event, full_name="Trần Quốc Đạt")
    db.session.add_all([
        Printable(event=event, kind="badges", state="done", item_count=1, content=b"%PDF",
                  options={"paper": "A5", "columns": 1, "rows": 1, "audience": "accepted", "locale": "vi"}),
        Printable(event=event, kind="door_list", state="done", item_count=1, content=b"%PDF",
                  options={"audience": "all", "locale": "vi"})])
    db.session.commit()
    auth.login(organiser)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", client.get(f"/events/{event.id}/printables").text))
    assert "Thẻ tên · khách đã nhận lời · khổ A5, 1 × 1 thẻ mỗi trang" in text
    assert "Danh sách cửa vào · mọi khách mời · khổ A4" in text


@pytest.mark.parametrize("kind", ["door_list", "badges", "certificates"])
def test_no_label_prints_over_another_at_the_longest_vietnamese_labels(db, tmp_path, kind):
    event, _organiser = ceremony()
    first = invite(event, full_name=LONG_NAME, guests=3)
    invite(event, full_name="Nguyễn Văn An", status=InvitationStatus.WAITLISTED)
    add_honoree(event, first.contact, "Kỷ niệm chương Vì hòa bình, hữu nghị giữa các dân tộc của Liên hiệp các tổ "
                                      "chức hữu nghị Việt Nam", "Đã có nhiều đóng góp cho công tác đối ngoại nhân dân")
    options = {"audience": "all", "paper": "A4", "columns": "2", "rows": "5", "locale": "vi"}
    row = printables.request_printable(event, kind, options)
    db.session.commit()
    printables.render(row.id)  # what the worker runs
    db.session.refresh(row)
    assert row.state == "done", row.error
    pages = words(row.content, tmp_path)
    assert pages and all(page for page in pages)
    for page in pages:
        assert overlaps(page) == [], kind
    if kind == "door_list":
        seen = " ".join(w[4] for w in pages[0])
        assert "Khách đi cùng" in seen and "Đã đến" in seen
