"""The union's shared roll imported by one association's organiser: what she reads on the pages.

The preview's counts and its Import button come first; errors are grouped by kind, a few rows each, the
rest in a spreadsheet; she can choose to keep only the associations she manages; associations are named
in words, never by their short names; time zones and languages are read as people write them; the
upload page says what each column accepts and offers an example file that imports as it is.
"""
from __future__ import annotations

import csv
import html
import io
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from eventsapp.associations.models import Role
from eventsapp.contacts.models import Contact
from tests.contacts_support import SLUGS, VI_HEADER, preview_token, upload
from tests.factories import AssociationFactory, staff
from tests.support.browser import sign_in

# A copy of the union's shared roll (shared/data/contacts-300.csv), so that a fresh clone tests it too.
ROLL = Path(__file__).resolve().parent / "data" / "contacts-300.csv"
ARTIFACTS = Path(__file__).resolve().parent / ".artifacts"
NAMES = {"viet-nga": "Việt Nam – Liên bang Nga", "viet-duc": "Việt Nam – Đức", "viet-trung": "Việt Nam – Trung Quốc",
         "viet-lao": "Việt Nam – Lào", "viet-campuchia": "Việt Nam – Campuchia",
         "viet-sec-slovakia": "Việt Nam – Séc – Slovakia", "viet-han": "Việt Nam – Hàn Quốc",
         "viet-italia": "Việt Nam – Italia", "viet-nhat": "Việt Nam – Nhật Bản"}


def union() -> dict:
    """The nine friendship associations with their real names."""
    return {slug: AssociationFactory(slug=slug, name_vi=f"Hội hữu nghị {NAMES[slug]}",
                                     name_en=f"{NAMES[slug]} Friendship Association") for slug in SLUGS}


def visible(response) -> str:
    """The text a person reads: no tags, scripts or attribute values."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", response.text, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def roll() -> tuple[bytes, list[dict]]:
    if not ROLL.exists():
        pytest.fail(f"the shared roll is missing: {ROLL}")
    data = ROLL.read_bytes()
    return data, list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_the_union_roll_as_one_associations_organiser(auth, db):
    tree = union()
    data, rows = roll()
    lao_rows = [r for r in rows if "viet-lao" in r["Hội"].split(";")]
    only_lao = [r for r in lao_rows if r["Hội"] == "viet-lao"]
    auth.login(staff(tree["viet-lao"], Role.ORGANISER))
    preview = upload(auth, data, "contacts-300.csv")
    text, page = visible(preview), preview.text

    # What will happen and the button come before any list.
    assert page.index('id="import-counts"') < page.index('id="confirm-import"') < page.index('id="import-errors"') \
        < page.index('id="import-rows"')
    assert re.search(r'data-count="create">\s*%d\s*<' % len(only_lao), page)
    assert re.search(r'data-count="error">\s*%d\s*<' % (len(rows) - len(only_lao)), page)
    # One kind, one heading with its count and its first five rows; the rest in the spreadsheet.
    assert f"Các hội bạn không quản lý · {len(rows) - len(only_lao)} dòng" in text
    errors = re.search(r'id="import-errors".*?</section>', page, re.S).group(0)
    assert errors.count("<tr><td>") == 5
    assert f"và {len(rows) - len(only_lao) - 5} dòng nữa" in text
    # Associations named in words, never by their short names, and at most one line per row.
    assert "Bạn không quản lý: Hội hữu nghị Việt Nam – Campuchia" in text
    assert [slug for slug in SLUGS if slug in text] == []
    report = auth.client.get(re.search(r'href="([^"]+errors\.csv[^"]*)"', page).group(1).replace("&amp;", "&"))
    lines = list(csv.reader(io.StringIO(report.data.decode("utf-8-sig"))))[1:]
    assert len(lines) == len({line[0] for line in lines}) == len(rows) - len(only_lao)
    assert [slug for slug in SLUGS if slug in report.data.decode()] == []

    # Her explicit choice: only the associations she manages.
    assert "Chỉ nhập các hội của tôi" in text
    mine = auth.client.get(f"/contacts/import/{preview_token(preview)}?mine=1")
    text, page = visible(mine), mine.text
    assert re.search(r'data-count="create">\s*%d\s*<' % len(lao_rows), page)
    assert re.search(r'data-count="error">\s*0\s*<', page)
    assert re.search(r'data-count="ignore">\s*%d\s*<' % (len(rows) - len(lao_rows)), page)
    assert f"{len(rows) - len(lao_rows)} dòng chỉ ghi các hội khác nên được bỏ qua" in text
    assert f"{len(lao_rows) - len(only_lao)} dòng được nhập mà không kèm các hội khác" in text
    assert 'id="import-errors"' not in page
    done = auth.post(f"/contacts/import/{preview_token(preview)}?mine=1", {"basis": "membership"}, follow_redirects=True)
    assert done.status_code == 200 and re.search(r'data-count="created">\s*%d\s*<' % len(lao_rows), done.text)
    assert re.search(r'data-count="ignored">\s*%d\s*<' % (len(rows) - len(lao_rows)), done.text)
    contacts = db.session.scalars(select(Contact)).all()
    assert len(contacts) == len(lao_rows)
    assert {a.slug for c in contacts for a in c.associations} == {"viet-lao"}


def test_time_zones_and_languages_as_people_write_them(auth, db):
    tree = union()
    auth.login(staff(tree["viet-nhat"], Role.ORGANISER))
    data = (VI_HEADER
            + "Lý Thu,thu@example.jp,,Nhật Bản,,UTC+9,tiếng Việt,Hội hữu nghị Việt Nam – Nhật Bản,\n"
            + "Ngô Hải,hai@example.vn,,Việt Nam,,GMT+7,Vietnamese,viet nam - nhat ban,\n"
            + "Mai Lan,lan@example.jp,,Nhật Bản,,Giờ Tokyo,Tiếng Anh,viet-nhat,\n"
            + "Đào Minh,minh@example.cz,,Séc,,Praha,English,viet-nhat,\n"
            + "Hà Vy,vy@example.jp,,Nhật Bản,,Nhật Bản,vi,viet-nhat,\n"
            + "Tạ Nga,nga@example.ru,,Nga,,Liên bang Nga,vi,viet-nhat,\n"
            + "Vũ Pháp,phap@example.fr,,Pháp,,Europe/Paris,Tiếng Pháp,viet-nhat,\n").encode()
    preview = upload(auth, data)
    text = visible(preview)
    assert "Liên bang Nga có nhiều múi giờ: xin ghi tên thành phố" in text
    assert "Không hiểu ngôn ngữ: Tiếng Pháp" in text
    assert "giờ Nhật Bản (UTC+9)" in text and "giờ Séc" in text
    auth.post(f"/contacts/import/{preview_token(preview)}", {"valid_only": "y", "basis": "consent"})
    stored = {c.email: (c.timezone, c.language, [a.slug for a in c.associations])
              for c in db.session.scalars(select(Contact))}
    assert stored == {
        "thu@example.jp": ("Asia/Tokyo", "vi", ["viet-nhat"]), "hai@example.vn": ("Asia/Ho_Chi_Minh", "vi", ["viet-nhat"]),
        "lan@example.jp": ("Asia/Tokyo", "en", ["viet-nhat"]), "minh@example.cz": ("Europe/Prague", "en", ["viet-nhat"]),
        "vy@example.jp": ("Asia/Tokyo", "vi", ["viet-nhat"]),
    }


def test_the_upload_page_says_what_each_column_accepts_and_its_example_imports_as_it_is(auth, db):
    tree = union()
    auth.login(staff(tree["viet-han"], Role.ORGANISER))
    page = auth.client.get("/contacts/import")
    text = visible(page)
    for words in ("Họ và tên", "Bắt buộc.", "Múi giờ", "Giờ Tokyo · Nhật Bản · UTC+9 · GMT+7",
                  "Tiếng Việt · Vietnamese · Tiếng Anh · English", "Hội hữu nghị Việt Nam – Hàn Quốc",
                  "Tải tệp mẫu"):
        assert words in text, words
    # The list of columns is in the page's font and colours: no monospace <code> (it lost an accent and
    # failed contrast).
    assert "<code" not in page.text
    # In English, the explanations and examples are English (the file's own headers stay as they are).
    auth.client.get("/lang/en")
    english = visible(auth.client.get("/contacts/import"))
    for words in ("Required.", "Tokyo · Japan · UTC+9 · GMT+7", "Vietnamese · English", "Download an example file"):
        assert words in english, words
    assert "Tiếng Anh" not in english and "Nhật Bản" not in english
    auth.client.get("/lang/vi")
    example = auth.client.get("/contacts/import-example.csv")
    assert example.status_code == 200 and example.headers["Content-Type"].startswith("text/csv")
    preview = upload(auth, example.data, "danh-ba-mau.csv")
    assert re.search(r'data-count="create">\s*5\s*<', preview.text) and 'id="import-errors"' not in preview.text
    auth.post(f"/contacts/import/{preview_token(preview)}", {"basis": "consent"})
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 5
    # A member without e-mail, reached by Zalo at his number, greeted as "Ông" (issue 26).
    son = db.session.scalar(select(Contact).where(Contact.full_name == "Hoàng Văn Sơn"))
    assert (son.email, son.phone, son.honorific, son.preferred_channel) == (None, "+84987654321", "Ông", "zalo")
    assert {c.timezone for c in db.session.scalars(select(Contact))} == {"Asia/Ho_Chi_Minh", "Europe/Berlin",
                                                                          "Asia/Tokyo"}


def test_on_a_phone_the_import_button_is_on_the_first_screen(live_server, phone_page, db):
    tree = union()
    organiser = staff(tree["viet-lao"], Role.ORGANISER, email="lao@example.vn")
    db.session.commit()
    sign_in(phone_page, live_server, organiser.email)
    phone_page.goto(f"{live_server}/contacts/import")
    phone_page.set_input_files("input[name=file]", str(ROLL))
    phone_page.click("button[type=submit]:has-text('Tải lên và xem trước')")
    phone_page.wait_for_selector("#confirm-import")
    ARTIFACTS.mkdir(exist_ok=True)
    phone_page.screenshot(path=str(ARTIFACTS / "contacts-import-roll-390.png"))
    box = phone_page.locator("#confirm-import").bounding_box()
    assert box is not None and box["y"] + box["height"] <= 844, box


@pytest.mark.parametrize(("written", "zone"), [
    ("UTC+9", "Asia/Tokyo"), ("GMT+7", "Asia/Ho_Chi_Minh"), ("UTC +07:00", "Asia/Ho_Chi_Minh"),
    ("Giờ Tokyo", "Asia/Tokyo"), ("giờ Nhật Bản", "Asia/Tokyo"), ("Japan Time", "Asia/Tokyo"),
    ("Praha", "Europe/Prague"), ("Mát-xcơ-va", "Europe/Moscow"), ("Hà Nội", "Asia/Ho_Chi_Minh"),
    ("Seoul", "Asia/Seoul"), ("Hàn Quốc", "Asia/Seoul"), ("Đức", "Europe/Berlin"), ("Cộng hòa Séc", "Europe/Prague"),
    ("UTC+5:30", "Asia/Kolkata"), ("Europe/Berlin", "Europe/Berlin"), ("UTC", "UTC"),
    ("Liên bang Nga", None), ("Mỹ", None), ("Asia/Hanoi_Tokyo", None), ("giờ sao Hỏa", None),
])
def test_a_time_zone_as_people_write_it(app, written, zone):
    from eventsapp.contacts.values import read_timezone

    assert read_timezone(written) == zone


@pytest.mark.parametrize(("written", "language"), [
    ("tiếng Việt", "vi"), ("Tiếng Việt", "vi"), ("Vietnamese", "vi"), ("vi", "vi"), ("VI", "vi"),
    ("Tiếng Anh", "en"), ("English", "en"), ("en-GB", "en"), ("Tiếng Pháp", None), ("fr", None),
])
def test_a_language_as_people_write_it(app, written, language):
    from eventsapp.contacts.values import read_language

    assert read_language(written) == language
