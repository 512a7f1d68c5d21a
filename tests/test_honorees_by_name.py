"""Honorees are added by name, searched as the directory does (without diacritics), or by e-mail."""
from __future__ import annotations

import re

from eventsapp.events.models import EventKind, Honoree
from tests.conftest import csrf_token_from
from tests.factories import AssociationFactory, ContactFactory, EventFactory, staff


def visible(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def setting(db):
    association = AssociationFactory()
    event = EventFactory(association=association, kind=EventKind.AWARD_CEREMONY)
    people = {name: ContactFactory(full_name=name, email=email, associations=[association])
              for name, email in (("Nguyễn Văn An", "an@example.vn"), ("Nguyễn Văn Anh", "anh@example.vn"),
                                  ("Nguyễn Thị Ánh", "anh.nguyen.thi@example.vn"), ("Trần Thị Bình", "binh@example.vn"))}
    ContactFactory(full_name="Trần Thị Bình Khác Hội", email="khac@example.vn")  # another association's: not seen
    return event, people, staff(association)


def names(db, event) -> list[str]:
    db.session.expire_all()
    return sorted(h.contact.full_name for h in db.session.query(Honoree).filter_by(event_id=event.id))


def test_typing_a_name_without_accents_adds_the_one_person_it_names(auth, client, db):
    event, people, organiser = setting(db)
    auth.login(organiser)
    page = auth.post(f"/events/{event.id}/honorees", {"contact": "tran thi binh", "award": "Giấy khen"},
                     form_url=f"/events/{event.id}", follow_redirects=True).text
    assert "Đã thêm người được khen thưởng." in page
    assert names(db, event) == ["Trần Thị Bình"]
    # The exact name wins over longer ones that contain it ("Nguyễn Văn Anh").
    auth.post(f"/events/{event.id}/honorees", {"contact": "Nguyen Van An", "award": "Bằng khen"},
              form_url=f"/events/{event.id}")
    assert names(db, event) == ["Nguyễn Văn An", "Trần Thị Bình"]
    # By e-mail, as before.
    auth.post(f"/events/{event.id}/honorees", {"contact": "ANH@example.vn", "award": "Bằng khen"},
              form_url=f"/events/{event.id}")
    assert "Nguyễn Văn Anh" in names(db, event)


def test_several_people_match_then_she_chooses_one(auth, client, db):
    event, people, organiser = setting(db)
    auth.login(organiser)
    response = auth.post(f"/events/{event.id}/honorees", {"contact": "nguyen anh", "award": "Kỷ niệm chương",
                                                          "citation": "Đóng góp lâu năm"},
                         form_url=f"/events/{event.id}", follow_redirects=True)
    page = visible(response.text)
    assert "2 người khớp với “nguyen anh”. Xin chọn một người:" in page
    assert "Nguyễn Văn Anh · anh@example.vn" in page and "Nguyễn Thị Ánh · anh.nguyen.thi@example.vn" in page
    assert "Nguyễn Văn An ·" not in page and names(db, event) == []
    chosen = client.post(f"/events/{event.id}/honorees", data={
        "csrf_token": csrf_token_from(response.text), "contact_id": people["Nguyễn Thị Ánh"].id,
        "contact": "nguyen anh", "award": "Kỷ niệm chương", "citation": "Đóng góp lâu năm"}, follow_redirects=True)
    assert "Đã thêm người được khen thưởng." in chosen.text
    assert names(db, event) == ["Nguyễn Thị Ánh"]
    honoree = db.session.query(Honoree).one()
    assert (honoree.award, honoree.citation) == ("Kỷ niệm chương", "Đóng góp lâu năm")


def test_nobody_matches_or_someone_she_may_not_see(auth, client, db):
    event, people, organiser = setting(db)
    auth.login(organiser)
    page = auth.post(f"/events/{event.id}/honorees", {"contact": "khac hoi", "award": "Giấy khen"},
                     form_url=f"/events/{event.id}", follow_redirects=True).text
    assert "Không có người liên hệ nào khớp với “khac hoi”." in visible(page)
    stranger = ContactFactory(full_name="Người Lạ", email="la@example.vn")
    db.session.commit()
    page = client.post(f"/events/{event.id}/honorees", data={
        "csrf_token": csrf_token_from(client.get(f"/events/{event.id}").text),
        "contact_id": stranger.id, "contact": "x", "award": "Giấy khen"}, follow_redirects=True).text
    assert names(db, event) == []
