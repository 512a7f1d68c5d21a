"""Importing contacts: Vietnamese/English headers, preview, all-or-nothing, re-import, limits, CLI, API."""
from __future__ import annotations

import io
import zipfile

from flask import g
from sqlalchemy import func, select

from eventsapp.associations.models import Role
from eventsapp.contacts.models import Contact, ImportBatch
from tests.contacts_support import VI_HEADER, example_associations, preview_token, upload
from tests.factories import UserFactory, staff

GOOD = (VI_HEADER
        + "Nguyễn Văn An,An.Nguyen@Example.vn,+84 912 000 001,Liên bang Nga,Moskva,Europe/Moscow,vi,viet-nga,Hội viên lâu năm\n"
        + "Trần Thị Bích,bich.tran@example.de,,Đức,Berlin,Europe/Berlin,en,viet-duc;viet-nhat-yen-the,\n"
        + "Lê Hoàng,le.hoang@example.vn,0912 345 678,Việt Nam,Yên Thế,Asia/Ho_Chi_Minh,vi,,\n")

BAD = (VI_HEADER
       + "Nguyễn Văn An,an@example.vn,,Việt Nam,,Asia/Ho_Chi_Minh,vi,viet-nga,\n"      # row 2 fine
       + "Phạm Minh,khong-phai-email,,Việt Nam,,Asia/Ho_Chi_Minh,vi,viet-nga,\n"       # row 3 bad address
       + ",ten.trong@example.vn,,Việt Nam,,Asia/Ho_Chi_Minh,vi,viet-nga,\n"             # row 4 missing name
       + "Đỗ Hà,ha@example.vn,,Nhật Bản,,Asia/Hanoi_Tokyo,vi,viet-nga,\n"               # row 5 unknown zone
       + "Vũ Lan,lan@example.vn,,Việt Nam,,Asia/Ho_Chi_Minh,vi,hoi-khong-co,\n"        # row 6 unknown association
       + "Bùi Long,long@example.vn,,Pháp,,Europe/Paris,fr,viet-nga,\n"                  # row 7 unsupported language
       + "Nguyễn Văn An,AN@example.vn,,Việt Nam,,Asia/Ho_Chi_Minh,vi,viet-nga,\n")     # row 8 duplicate of row 2


def contact_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Contact))


def test_vietnamese_header_file_imports_with_associations_zones_languages(auth, db):
    tree = example_associations()
    admin = UserFactory(is_admin=True)
    auth.login(admin)
    preview = upload(auth, GOOD.encode())
    assert "Xem trước" in preview.text or "preview" in preview.text.lower()
    assert contact_count(db) == 0  # nothing written before the confirmation
    token = preview_token(preview)
    done = auth.post(f"/contacts/import/{token}", {"basis": "consent"}, follow_redirects=True)
    assert done.status_code == 200
    an = db.session.scalar(select(Contact).where(Contact.email == "an.nguyen@example.vn"))
    assert an.full_name == "Nguyễn Văn An" and an.timezone == "Europe/Moscow" and an.language == "vi"
    assert [a.slug for a in an.associations] == ["viet-nga"] and an.notes == "Hội viên lâu năm"
    bich = db.session.scalar(select(Contact).where(Contact.email == "bich.tran@example.de"))
    assert bich.language == "en" and bich.timezone == "Europe/Berlin"
    assert sorted(a.slug for a in bich.associations) == ["viet-duc", "viet-nhat-yen-the"]
    assert contact_count(db) == 3
    assert tree["viet-nga"].id in {a.id for a in an.associations}


def test_file_with_bad_rows_imports_nothing_and_names_each_row(auth, db):
    example_associations()
    auth.login(UserFactory(is_admin=True))
    preview = upload(auth, BAD.encode())
    token = preview_token(preview)
    text = preview.text
    for row, fragment in [(3, "khong-phai-email"), (4, "Thiếu họ và tên"), (5, "Asia/Hanoi_Tokyo"),
                          (6, "hoi-khong-co"), (7, "fr"), (8, "dòng 2")]:
        assert f"<td>{row}</td>" in text and fragment in text, (row, fragment)
    refused = auth.post(f"/contacts/import/{token}", {"basis": "consent"}, follow_redirects=True)
    assert "không có gì được nhập" in refused.text.lower()
    assert contact_count(db) == 0
    report = auth.client.get(f"/contacts/import/{token}/errors.csv")
    lines = report.data.decode("utf-8-sig").splitlines()
    assert {line.split(",")[0] for line in lines[1:]} == {"3", "4", "5", "6", "7", "8"}
    # The download is in the audit log: which list, how many rows, and none of their values.
    from eventsapp.audit.models import AuditEntry

    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "download")).one()
    assert (entry.target_type, entry.details["what"], entry.details["rows"]) == (
        "contact_import_batches", "import_errors", 6)
    assert "Phạm Minh" not in str(entry.details) and "ha@example.vn" not in str(entry.details)
    # Explicit choice: the valid rows only.
    done = auth.post(f"/contacts/import/{token}", {"valid_only": "y", "basis": "consent"}, form_url=f"/contacts/import/{token}",
                     follow_redirects=True)
    assert contact_count(db) == 1
    assert 'data-count="errors">6<' in done.text


def test_reimport_updates_instead_of_duplicating(auth, db):
    example_associations()
    admin = UserFactory(is_admin=True)
    auth.login(admin)
    auth.post(f"/contacts/import/{preview_token(upload(auth, GOOD.encode()))}", {"basis": "consent"})
    assert contact_count(db) == 3
    changed = GOOD.replace("Europe/Moscow", "Asia/Tokyo")
    preview = upload(auth, changed.encode())
    assert 'data-count="update">1<' in preview.text and 'data-count="skip">2<' in preview.text
    auth.post(f"/contacts/import/{preview_token(preview)}", {"basis": "consent"})
    assert contact_count(db) == 3
    db.session.expire_all()
    an = db.session.scalar(select(Contact).where(Contact.email == "an.nguyen@example.vn"))
    assert an.timezone == "Asia/Tokyo"


def test_csv_with_bom_and_semicolons_and_english_headers(auth, db):
    tree = example_associations()
    auth.login(UserFactory(is_admin=True))
    data = ("\ufeffFull name;E-MAIL;Phone;Country;Place/City;Timezone;Language;Associations;Notes;Tags\r\n"
            "Hồ Thị Mai;mai@example.it;+39 06 1234;Italia;Roma;Europe/Rome;en;viet-italia;note;kiều bào; \r\n").encode("utf-8")
    preview = upload(auth, data, "members.csv")
    assert 'data-count="create">1<' in preview.text
    auth.post(f"/contacts/import/{preview_token(preview)}", {"basis": "consent"})
    mai = db.session.scalar(select(Contact).where(Contact.email == "mai@example.it"))
    assert mai.full_name == "Hồ Thị Mai" and mai.place == "Roma" and mai.language == "en"
    assert mai.tag_names == ["kiều bào"] and mai.associations == [tree["viet-italia"]]


def test_unknown_header_asks_for_the_mapping(auth, db):
    example_associations()
    auth.login(UserFactory(is_admin=True))
    data = "Tên đầy đủ,Thư,Hội\nNgô Bảo Châu,chau@example.fr,viet-nga\n".encode()
    mapping_page = upload(auth, data)
    assert "column-0" in mapping_page.text
    token = preview_token(mapping_page)
    preview = auth.post(f"/contacts/import/{token}/mapping",
                        {"column-0": "full_name", "column-1": "email", "column-2": "associations"},
                        follow_redirects=True)
    assert 'data-count="create">1<' in preview.text
    auth.post(f"/contacts/import/{token}", {"basis": "consent"})
    assert db.session.scalar(select(Contact.full_name).where(Contact.email == "chau@example.fr")) == "Ngô Bảo Châu"


def test_refuses_files_that_are_not_spreadsheets_or_too_big(app, auth, db):
    auth.login(UserFactory(is_admin=True))
    not_sheet = upload(auth, b"%PDF-1.7\x00\x01\x02binary", "hoa-don.pdf")
    assert not_sheet.status_code == 200 and "không phải là bảng tính" in not_sheet.text
    fake_xlsx = io.BytesIO()
    with zipfile.ZipFile(fake_xlsx, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    not_workbook = upload(auth, fake_xlsx.getvalue(), "thu-moi.xlsx")
    assert not_workbook.status_code == 200 and "không phải là bảng tính" in not_workbook.text
    huge_field = upload(auth, b'Email\n"' + b"x" * 200_000 + b'"\n')
    assert huge_field.status_code == 200 and "không phải là bảng tính" in huge_field.text
    latin1 = upload(auth, "Họ và tên,Email\nLê,le@example.vn\n".encode("cp1258", errors="replace").replace(b"?", b"\xe9"))
    assert "UTF-8" in latin1.text
    limit, app.config["CONTACTS_IMPORT_MAX_ROWS"] = app.config["CONTACTS_IMPORT_MAX_ROWS"], 5
    try:
        many = upload(auth, (VI_HEADER + "".join(f"A {i},a{i}@example.vn,,,,,,,\n" for i in range(6))).encode())
        assert "nhiều hơn 5 dòng" in many.text
    finally:
        app.config["CONTACTS_IMPORT_MAX_ROWS"] = limit
    app.config["MAX_CONTENT_LENGTH"] = 1000
    try:
        huge = upload(auth, b"x" * 5000)
        assert huge.status_code == 413 and "Tệp quá lớn" in huge.text
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 20 * 1024 * 1024
    assert contact_count(db) == 0


def test_organiser_may_only_import_into_associations_they_manage(auth, db):
    tree = example_associations()
    organiser = staff(tree["viet-nhat"], Role.ORGANISER)
    auth.login(organiser)
    data = (VI_HEADER + "Lý Thu,thu@example.jp,,Nhật Bản,Tokyo,Asia/Tokyo,vi,viet-nhat-yen-the,\n"
            + "Mạc Quang,quang@example.ru,,Nga,,Europe/Moscow,vi,viet-nga,\n").encode()
    preview = upload(auth, data)
    assert f"Bạn không quản lý: {tree['viet-nga'].name_vi}" in preview.text and "viet-nga" not in preview.text
    auth.post(f"/contacts/import/{preview_token(preview)}", {"basis": "consent"})
    assert contact_count(db) == 0
    # A batch belongs to its uploader.
    other = staff(tree["viet-nhat"], Role.ORGANISER)
    token = db.session.scalar(select(ImportBatch.token))
    auth.login(other)
    g.pop("_login_user", None)  # requests share the test's app context (and so Flask-Login's cached user)
    response = auth.client.get(f"/contacts/import/{token}")
    assert response.status_code == 404


def test_cli_import_dry_run_writes_nothing_then_imports(runner, db, tmp_path):
    example_associations()
    path = tmp_path / "hoi-vien.csv"
    path.write_text(GOOD, encoding="utf-8")
    dry = runner.invoke(args=["contacts", "import", str(path), "--association", "viet-nhat", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "3 to create" in dry.output and contact_count(db) == 0
    real = runner.invoke(args=["contacts", "import", str(path), "--association", "viet-nhat"])
    assert real.exit_code == 0, real.output
    assert contact_count(db) == 3
    an = db.session.scalar(select(Contact).where(Contact.email == "an.nguyen@example.vn"))
    assert sorted(a.slug for a in an.associations) == ["viet-nga", "viet-nhat"]
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD, encoding="utf-8")
    refused = runner.invoke(args=["contacts", "import", str(bad), "--association", "viet-nhat"])
    assert refused.exit_code != 0 and "row 3" in refused.output
    assert contact_count(db) == 3


def test_api_import_dry_run_then_real(api, db):
    tree = example_associations()
    organiser = staff(tree["viet-nga"], Role.ORGANISER)
    client = api(organiser)
    files = lambda: {"file": (io.BytesIO(GOOD.replace("viet-duc;viet-nhat-yen-the", "viet-nga").encode()), "a.csv")}  # noqa: E731
    dry = client.post("/api/v1/contacts/import", data={**files(), "dry_run": "true"}, content_type="multipart/form-data")
    assert dry.status_code == 200 and dry.json["counts"]["create"] == 2 and dry.json["errors"][0]["row"] == 4
    assert contact_count(db) == 0
    refused = client.post("/api/v1/contacts/import", data=files(), content_type="multipart/form-data")
    assert refused.status_code == 422 and contact_count(db) == 0
    done = client.post("/api/v1/contacts/import", data={**files(), "association": "viet-nga"},
                       content_type="multipart/form-data")
    assert done.status_code == 200, done.json
    assert done.json["imported"]["created"] == 3 and contact_count(db) == 3


def test_a_name_with_a_control_character_is_a_row_error(auth, db):
    example_associations()
    auth.login(UserFactory(is_admin=True))
    data = "Họ và tên,Email,Hội\nKim\x07Phan,kim@example.vn,viet-nga\nLê Văn Tám,tam@example.vn,viet-nga\n"
    preview = upload(auth, data.encode())
    assert "<td>2</td>" in preview.text
    assert "Tên không được chứa dấu xuống dòng hay ký tự điều khiển." in preview.text
    assert contact_count(db) == 0


def test_the_row_limit_is_set_from_the_environment(tmp_path):
    """CONTACTS_IMPORT_MAX_ROWS, like every other setting, comes from the environment."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    probe = ("from config import TestingConfig\nfrom eventsapp import create_app\n"
             "app = create_app(TestingConfig)\n"
             "with app.app_context():\n"
             "    from eventsapp.contacts import importing\n"
             "    try:\n"
             "        importing.parse_file('a.csv', ('Họ và tên,Email\\n' + 'An,a@example.vn\\n' * 4).encode())\n"
             "    except importing.ImportFileError as error:\n"
             "        print(error)\n")
    env = {**os.environ, "CONTACTS_IMPORT_MAX_ROWS": "3", "EVENTSAPP_INSTANCE_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", probe], cwd=Path(__file__).resolve().parents[1], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "nhiều hơn 3 dòng" in result.stdout  # the default locale: Vietnamese


def test_a_changed_roll_updates_as_before_and_marks_only_the_feeds_that_show_the_change(auth, db):
    """The set-based update path: non-empty cells replace, empty cells keep, associations and tags are added,
    the search and sort keys follow a new name, and only the personal feeds of contacts whose name, language
    or zone changed are marked for rebuilding (one statement, not one per contact)."""
    from eventsapp.feeds import services as feeds
    from eventsapp.feeds.models import Feed, FeedKind
    from eventsapp.text import fold, sort_key

    example_associations()
    auth.login(UserFactory(is_admin=True))
    auth.post(f"/contacts/import/{preview_token(upload(auth, GOOD.encode()))}", {"basis": "consent"})
    by_email = {c.email: c for c in db.session.scalars(select(Contact))}
    an, bich, le = by_email["an.nguyen@example.vn"], by_email["bich.tran@example.de"], by_email["le.hoang@example.vn"]
    for contact in (an, bich, le):
        feeds.ensure_built(FeedKind.PERSONAL, contact.id)
    db.session.commit()
    before = {c.email: c.updated_at for c in (an, bich, le)}
    changed = (VI_HEADER
               + "Nguyễn Văn Ân,an.nguyen@example.vn,,,,,en,viet-duc,\n"                # renamed, English, +viet-duc
               + "Trần Thị Bích,bich.tran@example.de,+49 30 1234 567,,,,,,Ghi chú mới\n"  # phone and notes only
               + "Lê Hoàng,le.hoang@example.vn,,,,Asia/Tokyo,,,\n")                       # zone only
    preview = upload(auth, (changed.rstrip("\n") + "\n").encode())
    assert 'data-count="update">3<' in preview.text
    done = auth.post(f"/contacts/import/{preview_token(preview)}", {"basis": "consent"}, follow_redirects=True)
    assert 'data-count="updated">3<' in done.text
    db.session.expire_all()
    an, bich, le = (db.session.scalar(select(Contact).where(Contact.email == e))
                    for e in ("an.nguyen@example.vn", "bich.tran@example.de", "le.hoang@example.vn"))
    assert (an.full_name, an.language, an.phone, an.timezone, an.notes) == \
        ("Nguyễn Văn Ân", "en", "+84912000001", "Europe/Moscow", "Hội viên lâu năm")
    assert sorted(a.slug for a in an.associations) == ["viet-duc", "viet-nga"]
    assert (an.search_text, an.sort_key) == (f"{fold('Nguyễn Văn Ân')} an.nguyen@example.vn", sort_key("Nguyễn Văn Ân"))
    assert (bich.phone, bich.notes, bich.language, bich.timezone) == ("+49301234567", "Ghi chú mới", "en", "Europe/Berlin")
    assert sorted(a.slug for a in bich.associations) == ["viet-duc", "viet-nhat-yen-the"]
    assert (le.timezone, le.phone) == ("Asia/Tokyo", "+84912345678")
    assert all(c.updated_at > before[c.email] for c in (an, bich, le))
    dirty = {f.subject_id: f.dirty for f in db.session.scalars(select(Feed).where(Feed.kind == FeedKind.PERSONAL))}
    assert dirty == {an.id: True, bich.id: False, le.id: True}
    # The same file again changes nothing.
    again = upload(auth, (changed.rstrip("\n") + "\n").encode())
    assert 'data-count="skip">3<' in again.text
