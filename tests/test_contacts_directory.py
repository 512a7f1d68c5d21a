"""The directory: search, Vietnamese order, keyset pages, filters, permissions, export, merge, delete/archive."""
from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest
from sqlalchemy import func, select

from eventsapp.associations.models import AssociationKind, Role
from eventsapp.contacts import importing, services
from eventsapp.contacts.models import Contact, ContactTag
from eventsapp.events.models import Honoree
from eventsapp.invitations.models import Invitation, InvitationStatus
from tests.contacts_support import login_as, preview_token, upload
from tests.factories import (
    AssociationFactory,
    ContactFactory,
    EventFactory,
    InvitationFactory,
    MembershipFactory,
    UserFactory,
    staff,
)


def names_on(page_html: str) -> list[str]:
    return re.findall(r'<td><a href="/contacts/\d+">([^<]+)</a></td>', page_html)


def test_search_ignores_diacritics_and_case(auth, db):
    hoi = AssociationFactory()
    ContactFactory(full_name="Nguyễn Văn An", email="an@example.vn", associations=[hoi])
    ContactFactory(full_name="Nguyễn Văn Anh", email="anh@example.vn", associations=[hoi])
    ContactFactory(full_name="Đặng Thùy Dương", email="duong@example.vn", associations=[hoi])
    login_as(auth, staff(hoi))
    found = names_on(auth.client.get("/contacts/?q=nguyen+van+an").text)
    assert found == ["Nguyễn Văn An", "Nguyễn Văn Anh"]
    assert names_on(auth.client.get("/contacts/?q=DANG THUY").text) == ["Đặng Thùy Dương"]
    assert names_on(auth.client.get("/contacts/?q=duong%40example").text) == ["Đặng Thùy Dương"]
    assert names_on(auth.client.get("/contacts/?q=100%25").text) == []


def test_list_page_is_in_vietnamese_alphabetical_order(auth, db):
    hoi = AssociationFactory()
    for name in ["Trần Văn Ánh", "Lê Thị Ân", "Phạm Đức", "Nguyễn Văn Dũng", "Hoàng An", "Vũ Thị Ăn", "Bùi Ý"]:
        ContactFactory(full_name=name, associations=[hoi])
    login_as(auth, staff(hoi))
    # By given name: An, Ánh, Ăn, Ân, Dũng, Đức, Ý (a < ă < â letter by letter; d < đ; tones break ties only).
    assert names_on(auth.client.get("/contacts/").text) == [
        "Hoàng An", "Trần Văn Ánh", "Vũ Thị Ăn", "Lê Thị Ân", "Nguyễn Văn Dũng", "Phạm Đức", "Bùi Ý"]


def test_keyset_pages_cover_everyone_once_in_order(db):
    hoi = AssociationFactory()
    admin = UserFactory(is_admin=True)
    for i in range(23):
        ContactFactory(full_name=f"Nguyễn Văn {'An' if i % 2 else 'Bình'}", email=f"p{i}@example.vn", associations=[hoi])
    seen, cursor = [], None
    while True:
        rows, cursor = services.page(admin, services.DirectoryFilter(), cursor, size=5)
        seen += rows
        if cursor is None:
            break
    assert len(seen) == 23 and len({c.id for c in seen}) == 23
    assert [(c.sort_key, c.id) for c in seen] == sorted((c.sort_key, c.id) for c in seen)
    assert services.page(admin, services.DirectoryFilter(), "not-a-cursor", size=5)[0] == seen[:5]


def test_filters_association_with_branches_tag_country_language_opt_out_archived(auth, db):
    parent = AssociationFactory(slug="viet-nhat")
    branch = AssociationFactory(slug="viet-nhat-yen-the", kind=AssociationKind.BRANCH, parent=parent)
    other = AssociationFactory(slug="viet-nga")
    a = ContactFactory(full_name="Lý Thu", associations=[branch], country="Nhật Bản", language="vi")
    b = ContactFactory(full_name="Mạc Quang", associations=[other], country="Nga", language="en")
    c = ContactFactory(full_name="Hà Lan", associations=[parent], country="Việt Nam")
    services.opt_out(b)
    services.archive(c)
    a.tags.append(ContactTag(tag="kiều bào"))
    db.session.commit()
    admin = UserFactory(is_admin=True)
    login_as(auth, admin)
    get = lambda qs: names_on(auth.client.get("/contacts/?" + qs).text)  # noqa: E731
    assert get(f"association={parent.id}") == ["Lý Thu"]  # branch included, archived hidden
    assert get(f"association={parent.id}&archived=all") == ["Hà Lan", "Lý Thu"]
    assert get("archived=yes") == ["Hà Lan"]
    assert get("tag=ki%E1%BB%81u+b%C3%A0o") == ["Lý Thu"]
    assert get("country=Nga") == ["Mạc Quang"]
    assert get("language=en") == ["Mạc Quang"]
    assert get("opted_out=yes") == ["Mạc Quang"]
    assert get("opted_out=no") == ["Lý Thu"]


def test_organiser_cannot_read_another_associations_contacts(auth, api, db):
    mine = AssociationFactory(slug="viet-nhat")
    branch = AssociationFactory(slug="viet-nhat-luc-ngan", kind=AssociationKind.BRANCH, parent=mine)
    theirs = AssociationFactory(slug="viet-nga")
    ours = ContactFactory(full_name="Lý Thu", email="thu@example.jp", associations=[branch])
    secret = ContactFactory(full_name="Mạc Quang", email="quang@example.ru", associations=[theirs])
    organiser = staff(mine, Role.ORGANISER)
    login_as(auth, organiser)
    page_html = auth.client.get("/contacts/").text
    assert "Lý Thu" in page_html and "Mạc Quang" not in page_html
    # Issue 13: a contact outside the user's associations is answered as one that does not exist.
    assert auth.client.get(f"/contacts/{secret.id}").status_code == 404
    assert auth.client.get(f"/contacts/{secret.id}/edit").status_code == 404
    assert auth.client.get(f"/contacts/{ours.id}").status_code == 200
    assert "quang@example.ru" not in auth.client.get("/contacts/export.csv").data.decode("utf-8-sig")
    assert "thu@example.jp" in auth.client.get("/contacts/export.csv").data.decode("utf-8-sig")
    sheet = openpyxl.load_workbook(io.BytesIO(auth.client.get("/contacts/export.xlsx").data)).active
    assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["thu@example.jp"]
    # An association filter naming the other association does not widen the view.
    assert "Mạc Quang" not in auth.client.get(f"/contacts/?association={theirs.id}").text
    client = api(organiser)
    listed = client.get("/api/v1/contacts").json
    assert [c["email"] for c in listed["items"]] == ["thu@example.jp"]
    assert client.get(f"/api/v1/contacts/{secret.id}").status_code == 404
    assert client.patch(f"/api/v1/contacts/{secret.id}", json={"full_name": "X"}).status_code == 404
    assert client.get("/api/v1/contacts?q=quang").json["items"] == []
    refused = client.post("/api/v1/contacts", json={"full_name": "A", "email": "a@example.vn", "associations": ["viet-nga"]})
    assert refused.status_code == 400
    created = client.post("/api/v1/contacts", json={"full_name": "Đỗ Minh", "email": "Minh@Example.vn",
                                                   "timezone": "Asia/Tokyo", "associations": ["viet-nhat"]})
    assert created.status_code == 201 and created.json["email"] == "minh@example.vn"
    # An admin sees everyone.
    assert len(api(UserFactory(is_admin=True)).get("/api/v1/contacts").json["items"]) == 3


def test_api_keyset_cursor_and_update(api, db):
    hoi = AssociationFactory(slug="viet-duc")
    for i in range(7):
        ContactFactory(full_name=f"Trần Văn Khách {i}", email=f"k{i}@example.de", associations=[hoi])
    client = api(staff(hoi))
    first = client.get("/api/v1/contacts?limit=4").json
    second = client.get(f"/api/v1/contacts?limit=4&cursor={first['next_cursor']}").json
    assert len(first["items"]) == 4 and len(second["items"]) == 3 and second["next_cursor"] is None
    target = first["items"][0]
    changed = client.patch(f"/api/v1/contacts/{target['id']}", json={"language": "en", "timezone": "Europe/Berlin"})
    assert changed.status_code == 200 and changed.json["language"] == "en" and changed.json["associations"] == ["viet-duc"]
    bad = client.patch(f"/api/v1/contacts/{target['id']}", json={"timezone": "Mars/Olympus"})
    assert bad.status_code == 400 and "Mars/Olympus" in bad.json["error"]["message"]
    assert "/contacts/import" in client.get("/api/v1/openapi.json").json["paths"]


def test_export_csv_has_bom_and_import_headers(auth, db):
    hoi = AssociationFactory(slug="viet-lao")
    ContactFactory(full_name="Nguyễn Thị Hương", email="huong@example.la", country="Lào", associations=[hoi])
    login_as(auth, UserFactory(is_admin=True))
    data = auth.client.get("/contacts/export.csv").data
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:9] == ["Họ và tên", "Email", "Số điện thoại", "Quốc gia", "Nơi ở", "Múi giờ", "Ngôn ngữ", "Hội", "Ghi chú"]
    assert rows[1][0] == "Nguyễn Thị Hương" and rows[1][7] == "viet-lao"


def snapshot(db) -> list[tuple]:
    db.session.expire_all()
    return [(c.full_name, c.email, c.phone, c.country, c.place, c.timezone, c.language, c.notes,
             tuple(sorted(a.slug for a in c.associations)), tuple(c.tag_names), c.updated_at)
            for c in db.session.scalars(select(Contact).order_by(Contact.email))]


def test_xlsx_round_trip_changes_nothing(auth, db):
    nga, duc = AssociationFactory(slug="viet-nga"), AssociationFactory(slug="viet-duc")
    ContactFactory(full_name="Lê Thị Hồng Nhung", email="nhung@example.ru", phone="+74951234567", country="Liên bang Nga",
                   place="Moskva", timezone="Europe/Moscow", language="vi", notes="Ghi chú: đã đóng hội phí",
                   associations=[nga, duc])
    ContactFactory(full_name="Hans Müller", email="hans@example.de", timezone="Europe/Berlin", language="en",
                   associations=[duc])
    login_as(auth, UserFactory(is_admin=True))
    before = snapshot(db)
    exported = auth.client.get("/contacts/export.xlsx").data
    result = importing.check_file("danh-ba.xlsx", exported, None)
    assert result.counts == {"create": 0, "update": 0, "skip": 2, "ignore": 0, "error": 0}
    # Through the import page too: the workbook is read, previewed as unchanged, and confirming changes nothing.
    preview = upload(auth, exported, "danh-ba.xlsx")
    assert 'data-count="skip">2<' in preview.text
    auth.post(f"/contacts/import/{preview_token(preview)}", {"basis": "consent"})
    assert snapshot(db) == before


def test_merge_moves_associations_tags_invitations_and_deletes_duplicate(auth, db):
    nga, duc = AssociationFactory(), AssociationFactory()
    keep = ContactFactory(full_name="Nguyễn Văn An", email="an@example.vn", associations=[nga])
    dup = ContactFactory(full_name="Nguyen Van An", email="an.nguyen@example.vn", phone="+84912345678",
                         associations=[duc])
    shared_event, own_event = EventFactory(association=nga), EventFactory(association=duc)
    kept_invitation = InvitationFactory(event=shared_event, contact=keep)
    answered = InvitationFactory(event=shared_event, contact=dup, status=InvitationStatus.ACCEPTED)
    moved = InvitationFactory(event=own_event, contact=dup)
    db.session.add(Honoree(event=own_event, contact=dup, award="Bằng khen"))
    db.session.commit()
    organiser = UserFactory()
    MembershipFactory(user=organiser, association=nga)
    MembershipFactory(user=organiser, association=duc)
    login_as(auth, organiser)
    response = auth.post(f"/contacts/{keep.id}/merge", {"other_email": "an.nguyen@example.vn"}, follow_redirects=True)
    assert "Đã gộp hai liên hệ" in response.text
    db.session.expire_all()
    assert db.session.get(Contact, dup.id) is None
    keep = db.session.get(Contact, keep.id)
    assert {a.id for a in keep.associations} == {nga.id, duc.id} and keep.phone == "+84912345678"
    invitations = db.session.scalars(select(Invitation).where(Invitation.contact_id == keep.id)).all()
    assert {i.id for i in invitations} == {answered.id, moved.id}  # the answered one wins on the shared event
    assert db.session.get(Invitation, kept_invitation.id) is None
    assert db.session.scalar(select(Honoree.contact_id)) == keep.id


def test_delete_is_refused_with_invitations_then_archive(auth, db):
    hoi = AssociationFactory()
    invited = ContactFactory(associations=[hoi])
    InvitationFactory(contact=invited, event=EventFactory(association=hoi))
    lonely = ContactFactory(associations=[hoi])
    login_as(auth, staff(hoi))
    refused = auth.post(f"/contacts/{invited.id}/delete", {}, form_url=f"/contacts/{invited.id}", follow_redirects=True)
    assert "không thể xóa" in refused.text
    assert db.session.get(Contact, invited.id) is not None
    auth.post(f"/contacts/{invited.id}/archive", {}, form_url=f"/contacts/{invited.id}")
    db.session.expire_all()
    assert db.session.get(Contact, invited.id).archived_at is not None
    assert invited.full_name not in auth.client.get("/contacts/").text
    auth.post(f"/contacts/{lonely.id}/delete", {}, form_url=f"/contacts/{lonely.id}")
    assert db.session.get(Contact, lonely.id) is None


def test_create_and_edit_pages_normalise_and_validate(auth, db):
    hoi = AssociationFactory()
    login_as(auth, staff(hoi))
    form = {"full_name": "  Phan Thị Kim  ", "email": "Kim.Phan@Example.VN ", "timezone": "Europe/Paris",
            "language": "vi", "association_ids": str(hoi.id), "tags": "kiều bào; hội viên"}
    created = auth.post("/contacts/new", form, follow_redirects=True)
    assert "Phan Thị Kim" in created.text
    kim = db.session.scalar(select(Contact).where(Contact.email == "kim.phan@example.vn"))
    assert kim.full_name == "Phan Thị Kim" and kim.tag_names == ["hội viên", "kiều bào"]
    again = auth.post("/contacts/new", {**form, "full_name": "Kim khác"})
    assert "Đã có liên hệ với email kim.phan@example.vn" in again.text
    bad_zone = auth.post(f"/contacts/{kim.id}/edit", {**form, "timezone": "Paris"})
    assert "Múi giờ" in bad_zone.text and db.session.scalar(select(func.count()).select_from(Contact)) == 1
    auth.post(f"/contacts/{kim.id}/opt-out", {}, form_url=f"/contacts/{kim.id}")
    db.session.expire_all()
    assert db.session.get(Contact, kim.id).opted_out_at is not None


def test_a_name_with_a_line_break_or_control_character_is_refused(auth, db):
    hoi = AssociationFactory()
    login_as(auth, staff(hoi))
    form = {"email": "kim@example.vn", "timezone": "Asia/Ho_Chi_Minh", "language": "vi",
            "association_ids": str(hoi.id)}
    for name in ("Kim\r\nBcc: evil@example.com", "Kim\x00Phan", "Kim\u2028Phan"):
        page = auth.post("/contacts/new", {**form, "full_name": name})
        # A line break or U+2028: the field says so; a NUL: the whole request is refused (eventsapp.validation).
        assert ("Phải viết trên một dòng, không có ký tự điều khiển (như NUL)." in page.text
                or "Một trường có ký tự điều khiển (như NUL); hãy xóa ký tự đó." in page.text)
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 0


@pytest.mark.slow
def test_contact_saved_signal_on_change_and_demo_seed_is_idempotent(runner, db):
    from eventsapp import signals

    hoi = AssociationFactory()
    received = []

    def receiver(contact):
        received.append((contact.email, contact.language))

    signals.contact_saved.connect(receiver)
    try:
        contact = services.save_contact(None, services.ContactData(
            full_name="Trịnh Công Sơn", email="son@example.vn", association_ids=[hoi.id]))
        services.save_contact(contact, services.ContactData(
            full_name="Trịnh Công Sơn", email="son@example.vn", language="en", association_ids=[hoi.id]))
        services.save_contact(contact, services.ContactData(
            full_name="Trịnh Công Sơn", email="son@example.vn", language="en", phone="0909 123 456",
            association_ids=[hoi.id]))  # nothing other domains care about changed
        services.opt_out(contact)
        db.session.commit()
    finally:
        signals.contact_saved.disconnect(receiver)
    assert received == [("son@example.vn", "vi"), ("son@example.vn", "en"), ("son@example.vn", "en")]

    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    total = db.session.scalar(select(func.count()).select_from(Contact))
    assert total >= 300 and "Contacts: " in first.output
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0 and db.session.scalar(select(func.count()).select_from(Contact)) == total
    abroad = db.session.scalar(select(func.count()).select_from(Contact).where(Contact.timezone != "Asia/Ho_Chi_Minh"))
    assert abroad > 0
