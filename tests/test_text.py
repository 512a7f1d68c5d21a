"""Vietnamese search folding and alphabetical order."""
from eventsapp.text import fold, sort_key
from tests.factories import ContactFactory


def test_fold_removes_diacritics_and_case():
    assert fold("Nguyễn Văn An") == "nguyen van an"
    assert fold("ĐẶNG  Thị Ánh") == "dang thi anh"


def test_names_sort_by_given_name_in_vietnamese_alphabet_order():
    names = ["Trần Thị Ơn", "Lê Văn Ô", "Phạm Đức Bình", "Vũ Thị Ân", "Nguyễn Văn An", "Đỗ Văn Ăn", "Hà Đào",
             "Ngô Văn Em", "Lý Ê", "Mai Ong", "Hoàng Dung"]
    assert sorted(names, key=sort_key) == [
        "Nguyễn Văn An", "Đỗ Văn Ăn", "Vũ Thị Ân", "Phạm Đức Bình", "Hoàng Dung", "Hà Đào",
        "Ngô Văn Em", "Lý Ê", "Mai Ong", "Lê Văn Ô", "Trần Thị Ơn"]


def test_tones_only_break_ties():
    assert sorted(["Lê Ánh", "Lê Anh", "Lê Ảnh", "Lê Ạnh", "Lê Ãnh", "Lê Ành"], key=sort_key) == [
        "Lê Anh", "Lê Ành", "Lê Ảnh", "Lê Ãnh", "Lê Ánh", "Lê Ạnh"]


def test_contacts_keep_their_search_fields_in_step(db):
    contact = ContactFactory(full_name="Nguyễn Văn An", email="  An.Nguyen@Example.VN ")
    assert contact.email == "an.nguyen@example.vn"
    assert "nguyen van an" in contact.search_text
    contact.full_name = "Phạm Thị Ánh"
    db.session.commit()
    assert "pham thi anh" in contact.search_text
