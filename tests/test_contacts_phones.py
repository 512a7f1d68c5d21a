"""People, not addresses (issue 26): a contact reached by e-mail, phone or post; phones as people write them,
kept in E.164; hostile values refused on the form, the API and the import, changing nothing."""
from __future__ import annotations

import importlib.util
import random
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from eventsapp import validation
from eventsapp.contacts import importing
from eventsapp.contacts.models import Contact
from tests.contacts_support import login_as, preview_token, upload
from tests.factories import AssociationFactory, ContactFactory, staff

HOSTILE_PHONES = ["0912\r\n345 678", "=cmd|' /C calc'!A0", "javascript:alert(1)", "1" * 10_000, "0912 345 67x",
                  "+84 12", "9223372036854775808", "1-800-FLOWERS"]


def _count() -> int:
    from eventsapp.extensions import db

    return db.session.scalar(select(func.count()).select_from(Contact))


@pytest.mark.parametrize("written, stored", [
    ("0912 345 678", "+84912345678"), ("0912.345.678", "+84912345678"), ("+84 912 345 678", "+84912345678"),
    ("0084 912 345 678", "+84912345678"), ("(024) 3825 1234", "+842438251234"),
    ("+420 601 234 567", "+420601234567"), ("+49 30 1234 567", "+49301234567"), ("", ""),
])
def test_phones_are_read_as_people_write_them(written, stored):
    assert validation.phone(written) == stored


@pytest.mark.parametrize("written", HOSTILE_PHONES + ["0912\x00345678", "\ud800", {}, 2**63])
def test_what_is_no_phone_number_is_refused_with_a_message(app, written):
    with app.test_request_context():
        with pytest.raises(validation.Invalid) as refused:
            validation.phone(written)
    assert refused.value.message


def test_the_shortcut_for_vietnamese_numbers_agrees_with_libphonenumber():
    """validation.phone asks libphonenumber once per four-digit prefix for nine-digit Vietnamese numbers."""
    generator = random.Random(26)
    for _ in range(20_000):
        national = f"{generator.randint(1, 9)}{generator.randint(0, 99_999_999):08d}"
        for written in (f"0{national}", f"+84{national}"):
            try:
                read = validation.phone(written)
            except validation.Invalid:
                read = None
            assert read == validation._parsed_phone(written, "VN"), written


def _form(hoi, **values) -> dict:
    return {"full_name": "Hoàng Văn Sơn", "timezone": "Asia/Ho_Chi_Minh", "language": "vi",
            "association_ids": str(hoi.id), "preferred_channel": "zalo", **values}


def test_a_member_with_only_a_phone_number_is_a_contact(auth, db):
    hoi = AssociationFactory()
    login_as(auth, staff(hoi))
    page = auth.post("/contacts/new", _form(hoi, phone="0912 345 678", honorific="Ông",
                                            position="Hội viên Chi hội Phồn Xương"), follow_redirects=True)
    son = db.session.scalar(select(Contact))
    assert (son.email, son.phone, son.honorific, son.preferred_channel) == (None, "+84912345678", "Ông", "zalo")
    # The page reads the number as it is dialled at home, names the channel, and says "no e-mail".
    for words in ("0912 345 678", "Zalo", "Chưa có email", "Hội viên Chi hội Phồn Xương", "Ông"):
        assert words in page.text, words
    assert "walk-in.invalid" not in page.text and "+84912345678" not in page.text.replace('tel:+84912345678', "")
    # A second member with the same number, however written, is the same person.
    again = auth.post("/contacts/new", _form(hoi, full_name="Người khác", phone="+84 912 345 678"))
    assert "Đã có một liên hệ với số điện thoại +84912345678." in again.text and _count() == 1
    # A foreign number keeps its country.
    auth.post(f"/contacts/{son.id}/edit", _form(hoi, phone="+420 601 234 567", postal_address="Praha 4"))
    db.session.expire_all()
    assert db.session.get(Contact, son.id).phone == "+420601234567"
    assert "+420 601 234 567" in auth.client.get(f"/contacts/{son.id}").text


def test_a_contact_needs_an_e_mail_a_phone_or_a_postal_address(auth, db):
    hoi = AssociationFactory()
    login_as(auth, staff(hoi))
    page = auth.post("/contacts/new", _form(hoi))
    assert "Xin ghi ít nhất một cách liên lạc với người này: địa chỉ email, số điện thoại hoặc địa chỉ gửi thư." \
        in page.text and _count() == 0
    auth.client.get("/lang/en")
    page = auth.post("/contacts/new", _form(hoi))
    assert "Give at least one way to reach this person: an e-mail address, a phone number or a postal address." \
        in page.text and _count() == 0
    auth.client.get("/lang/vi")
    # A postal address alone will do: printed cards reach them.
    auth.post("/contacts/new", _form(hoi, postal_address="Xã Phồn Xương\nhuyện Yên Thế, Bắc Giang",
                                     preferred_channel="printed"))
    kept = db.session.scalar(select(Contact))
    assert (kept.email, kept.phone, kept.postal_address) == (None, "", "Xã Phồn Xương\nhuyện Yên Thế, Bắc Giang")


def test_hostile_values_on_the_form_get_a_message_and_change_nothing(auth, db):
    hoi = AssociationFactory()
    login_as(auth, staff(hoi))
    for phone in HOSTILE_PHONES:
        page = auth.post("/contacts/new", _form(hoi, phone=phone))
        assert page.status_code == 200 and ("Không phải số điện thoại" in page.text or "Tối đa" in page.text
                                            or "Phải viết trên một dòng" in page.text), phone
    for name, value in (("honorific", "Ông\r\nBà"), ("honorific", "x" * 41), ("position", "y" * 301),
                        ("postal_address", "z" * 1001), ("preferred_channel", "fax"),
                        ("preferred_channel", "javascript:alert(1)")):
        page = auth.post("/contacts/new", _form(hoi, phone="0912 345 678", **{name: value}))
        assert page.status_code == 200 and 'is-invalid' in page.text, (name, value)
    assert auth.post("/contacts/new", _form(hoi, phone="0912\x00345")).status_code == 400
    assert _count() == 0
    # Free text that only looks hostile is text: kept as written, shown escaped, exported guarded.
    auth.post("/contacts/new", _form(hoi, phone="0912 345 678", honorific="=cmd", position="<b>Chủ tịch</b>",
                                     postal_address="javascript:alert(1)"))
    contact = db.session.scalar(select(Contact))
    page = auth.client.get(f"/contacts/{contact.id}").text
    assert "&lt;b&gt;Chủ tịch&lt;/b&gt;" in page and "<b>Chủ tịch</b>" not in page
    exported = auth.client.get("/contacts/export.csv").data.decode("utf-8-sig")
    assert "'=cmd" in exported


def test_hostile_values_in_the_api_get_a_400_naming_the_field(api, db):
    hoi = AssociationFactory(slug="hoi-dien-thoai")
    client = api(staff(hoi))
    base = {"full_name": "Hoàng Văn Sơn", "associations": ["hoi-dien-thoai"]}
    for field, value in [("phone", value) for value in HOSTILE_PHONES + [{}, 2**63, ["0912345678"]]] + [
            ("honorific", {}), ("honorific", "x" * 41), ("honorific", "Ông\nBà"), ("position", 2**63),
            ("postal_address", "z" * 1001), ("preferred_channel", "fax"), ("preferred_channel", {}),
            ("email", "=cmd"), ("email", "javascript:alert(1)")]:
        answer = client.post("/api/v1/contacts", json={**base, "phone": "0912 345 678", field: value})
        assert answer.status_code == 400, (field, value, answer.json)
        error = answer.json["error"]
        assert error["message"] and (field in error.get("fields", {}) or error["code"] == "invalid"), (field, error)
    nothing = client.post("/api/v1/contacts", json=base)
    assert nothing.status_code == 400 and "số điện thoại hoặc địa chỉ gửi thư" in nothing.json["error"]["message"]
    assert _count() == 0
    made = client.post("/api/v1/contacts", json={**base, "phone": "0912 345 678", "honorific": "Đồng chí",
                                                 "position": "Phó Chủ tịch Hội", "preferred_channel": "sms",
                                                 "postal_address": "Số 1 Hoàng Văn Thụ"})
    assert made.status_code == 201, made.json
    assert {k: made.json[k] for k in ("email", "phone", "honorific", "position", "preferred_channel",
                                      "postal_address")} == {
        "email": None, "phone": "+84912345678", "honorific": "Đồng chí", "position": "Phó Chủ tịch Hội",
        "preferred_channel": "sms", "postal_address": "Số 1 Hoàng Văn Thụ"}


IMPORT = ("Danh xưng,Họ và tên,Điện thoại,Email,Chức vụ,Địa chỉ,Kênh liên lạc,Hội\n"
          "Đồng chí,Nguyễn Văn An,0912 345 678,,Phó Chủ tịch Hội,Số 1 Hoàng Văn Thụ,Zalo,hoi-nhap\n"
          "Bà,Trần Thị Bích,,bich@example.vn,,,,hoi-nhap\n"
          "Ông,Lê Văn Cường,,,,Thôn Đồng Vàng,Thiệp mời,hoi-nhap\n")


def test_the_import_reads_phones_forms_of_address_positions_and_postal_addresses(auth, db):
    hoi = AssociationFactory(slug="hoi-nhap")
    login_as(auth, staff(hoi))
    preview = upload(auth, IMPORT.encode())
    assert 'data-count="create">3<' in preview.text
    auth.post(f"/contacts/import/{preview_token(preview)}", {"basis": "consent"})
    an = db.session.scalar(select(Contact).where(Contact.full_name == "Nguyễn Văn An"))
    assert (an.email, an.phone, an.honorific, an.position, an.postal_address, an.preferred_channel) == \
        (None, "+84912345678", "Đồng chí", "Phó Chủ tịch Hội", "Số 1 Hoàng Văn Thụ", "zalo")
    cuong = db.session.scalar(select(Contact).where(Contact.full_name == "Lê Văn Cường"))
    assert (cuong.email, cuong.phone, cuong.preferred_channel) == (None, "", "printed")
    # The same people again, An now with an e-mail: found by the phone, his address filled in; nothing doubled.
    again = IMPORT.replace("0912 345 678,,", "+84 912 345 678,an@example.vn,")
    preview = upload(auth, again.encode())
    assert 'data-count="update">1<' in preview.text and 'data-count="create">1<' in preview.text  # Cường: no key
    db.session.rollback()
    result = importing.check_file("a.csv", again.replace("Ông,Lê Văn Cường", "Ông,Lê Văn Cường,", 0).encode(),
                                  None, hoi)
    assert [row.action for row in result.rows] == ["update", "skip", "create"]
    importing.apply(result)
    db.session.commit()
    db.session.expire_all()
    an = db.session.get(Contact, an.id)
    assert (an.email, an.phone) == ("an@example.vn", "+84912345678")
    assert "an@example.vn" in an.search_text


def test_the_import_says_what_is_wrong_with_a_phone_or_a_row_without_reach(auth, db):
    hoi = AssociationFactory(slug="hoi-nhap")
    ContactFactory(full_name="Đã có", email="co@example.vn", phone="+84987654321", associations=[hoi])
    login_as(auth, staff(hoi))
    rows = ("Họ và tên,Điện thoại,Email,Hội\n"
            "Người Một,=cmd|' /C calc'!A0,,hoi-nhap\n"
            "Người Hai,,,hoi-nhap\n"
            "Người Ba,0911 111 111,,hoi-nhap\n"
            "Người Bốn,0911.111.111,,hoi-nhap\n"
            "Người Năm,0987 654 321,khac@example.vn,hoi-nhap\n")
    preview = upload(auth, rows.encode())
    page = preview.text
    for words in ("Không phải số điện thoại: =cmd", "Xin ghi địa chỉ email, số điện thoại hoặc địa chỉ gửi thư.",
                  "Số điện thoại này đã có ở dòng 4.",
                  "Số điện thoại này đã là của một liên hệ khác. Xin sửa lại, hoặc gộp hai liên hệ trước."):
        assert words in page, words
    assert 'data-count="error">4<' in page and 'data-count="create">1<' in page
    auth.client.get("/lang/en")
    english = upload(auth, rows.encode()).text
    for words in ("Not a phone number: =cmd", "Give an e-mail address, a phone number or a postal address.",
                  "The same phone number is already on row 4."):
        assert words in english, words
    assert _count() == 1


def _migration():
    path = Path(__file__).resolve().parent.parent / "migrations" / "versions" / "people_01_contacts_without_email.py"
    spec = importlib.util.spec_from_file_location("people_01", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_migration_normalises_phones_and_keeps_what_it_cannot_read_in_the_notes(db):
    """people_01's phone step, on rows as the older code stored them (free text; a walk-in's placeholder)."""
    connection = db.session.connection()
    rows = [("Một", "mot@example.vn", "0912 345 678", ""), ("Hai", "hai@example.vn", "+84 912 345 678", "cũ"),
            ("Ba", "ba@example.vn", "gọi cơ quan", "Hội viên"), ("Bốn", "walkin-1@walk-in.invalid", "+420 601 234 567", ""),
            ("Năm", "nam@example.vn", "", "")]
    for name, email, phone, notes in rows:
        connection.execute(text(
            "INSERT INTO contacts (full_name, email, phone, notes, honorific, position, postal_address, "
            "preferred_channel, country, place, timezone, language, search_text, sort_key, undeliverable_reason, "
            "soft_bounces, feed_token, unsubscribe_token, created_at, updated_at) VALUES (:n, :e, :p, :notes, '', '', "
            "'', 'email', '', '', 'Asia/Ho_Chi_Minh', 'vi', '', '', '', 0, :f, :u, now(), now())"),
            {"n": name, "e": email, "p": phone, "notes": notes, "f": f"{name}-feed", "u": f"{name}-unsub"})
    connection.execute(text("DROP INDEX uq_contacts_phone"))  # as before the migration: free text, repeated
    migration = _migration()
    connection.execute(text("UPDATE contacts SET email = NULL WHERE email LIKE '%.invalid' OR email = ''"))
    migration._normalise_phones(connection)
    connection.execute(text("CREATE UNIQUE INDEX uq_contacts_phone ON contacts (phone) WHERE phone <> ''"))
    found = {row.full_name: (row.email, row.phone, row.notes) for row in connection.execute(
        text("SELECT full_name, email, phone, notes FROM contacts"))}
    assert found == {
        "Một": ("mot@example.vn", "+84912345678", ""),
        "Hai": ("hai@example.vn", "", "cũ\nSố điện thoại cũ (chưa đọc được): +84 912 345 678"),  # another's number
        "Ba": ("ba@example.vn", "", "Hội viên\nSố điện thoại cũ (chưa đọc được): gọi cơ quan"),
        "Bốn": (None, "+420601234567", ""),
        "Năm": ("nam@example.vn", "", ""),
    }
