"""Greetings as a Vietnamese official letter and an English one write them (issue 26)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from eventsapp import salutations

POSITION = "Phó Chủ tịch Hội hữu nghị Việt Nam – Nhật Bản tỉnh"


def test_vietnamese_names_the_form_of_address_the_person_and_the_position():
    assert salutations.vietnamese("Đồng chí", "Nguyễn Văn A", POSITION) == \
        f"Kính gửi: Đồng chí Nguyễn Văn A, {POSITION}"
    assert salutations.vietnamese("Bà", "Trần Thị Bích", "") == "Kính gửi: Bà Trần Thị Bích"
    assert salutations.vietnamese("", "Lê Minh Châu", None) == "Kính gửi: Lê Minh Châu"
    # Free text is kept as written; stray spaces and line breaks never split the greeting.
    assert salutations.vietnamese(" Thượng tá ", "Phạm  Quốc\nDũng", " Chính ủy ") == \
        "Kính gửi: Thượng tá Phạm Quốc Dũng, Chính ủy"


@pytest.mark.parametrize("honorific, expected", [
    ("Ông", "Dear Mr Nguyễn Văn A,"), ("ông", "Dear Mr Nguyễn Văn A,"), ("Anh", "Dear Mr Nguyễn Văn A,"),
    ("Bà", "Dear Ms Nguyễn Văn A,"), ("Chị", "Dear Ms Nguyễn Văn A,"),
    ("Đồng chí", "Dear Nguyễn Văn A,"), ("", "Dear Nguyễn Văn A,"), ("Thượng tá", "Dear Nguyễn Văn A,"),
    ("Giáo sư", "Dear Professor Nguyễn Văn A,"), ("Tiến sĩ", "Dear Dr Nguyễn Văn A,"),
    ("Mrs", "Dear Mrs Nguyễn Văn A,"), ("Dr.", "Dear Dr. Nguyễn Văn A,"),
    ("Ngài", "Your Excellency,"),
])
def test_english_puts_the_form_of_address_as_an_english_reader_expects(honorific, expected):
    assert salutations.english(honorific, "Nguyễn Văn A", POSITION) == expected


def test_greeting_follows_the_readers_language():
    person = SimpleNamespace(honorific="Đồng chí", full_name="Nguyễn Văn A", position=POSITION)
    assert salutations.greeting(person, "vi") == f"Kính gửi: Đồng chí Nguyễn Văn A, {POSITION}"
    assert salutations.greeting(person, "en") == "Dear Nguyễn Văn A,"
