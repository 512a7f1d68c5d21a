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


def test_the_sort_key_of_the_longest_name_a_form_accepts_fits_its_column(db):
    """A 200-character name (the contact form's and the API's limit) is saved: its sort key is cut to
    the column's length instead of failing the insert."""
    from eventsapp.contacts import services
    from eventsapp.contacts.models import Contact
    from eventsapp.text import SORT_KEY_LENGTH
    from tests.factories import AssociationFactory

    name = ("Nguyễn Thị Hoàng Anh " * 10)[:200]
    contact = services.save_contact(None, services.ContactData(full_name=name, email="dai@example.vn",
                                                               association_ids=[AssociationFactory().id]))
    db.session.commit()
    assert len(sort_key(name)) == SORT_KEY_LENGTH
    assert db.session.get(Contact, contact.id).full_name == name.strip()
