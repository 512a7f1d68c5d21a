"""The calendar's fast paths write exactly what the icalendar library writes."""
import random

import pytest
from icalendar.parser import Contentline

from eventsapp.calendars.core import _attendee_line, _foldline, _personal_attendee_line

HOSTILE_NAMES = [
    "Nguyễn Thị Hương Giang", 'Tôn Nữ "Phương" <b>Thảo</b> & Đức', "Seán O'Brien", "Lê’s", "A, B; C: D",
    "x^y ^n", "back\\slash\\", "😀 Trần 漢字", "Nguye\u0302\u0303n (NFD)", "Nguyễn Thị Hương Giang " * 8,
    "mailto:attendee-7f3c@placeholder.invalid", "EVENTSAPPCN7F3C", "", "=cmd|' /C calc'!A0",
]


def library_fold(line: str) -> str:
    return Contentline(line).to_ical().decode("utf-8")


@pytest.mark.parametrize("line", [
    "", "SUMMARY:Tết", "X" * 74, "X" * 75, "X" * 73 + "\\,", "X" * 73 + "^^" + "Y" * 80, "X" * 72 + "ệ" * 40,
    "DESCRIPTION:" + "Chương trình văn nghệ\\, gói bánh chưng\\; trao bằng khen. " * 6 + "😀" * 30,
])
def test_folding_is_the_librarys(line):
    assert _foldline(line) == library_fold(line)


def test_folding_is_the_librarys_on_random_text():
    alphabet = list("ab ;,:\"'’\\^") + list("ăâđêôơưấầẩẫậếềểễệốồổỗộớờởỡợứừửữự") + ["😀", "漢", "\u0303"]
    generator = random.Random(2027)
    for _ in range(3000):
        line = "".join(generator.choice(alphabet) for _ in range(generator.randint(0, 300)))
        assert _foldline(line) == library_fold(line), line
    for piece in library_fold("A" * 74 + "ệ" * 200).split("\r\n "):  # no piece over 75 octets with its space
        assert len(piece.encode("utf-8")) <= 74


@pytest.mark.parametrize("name", HOSTILE_NAMES)
@pytest.mark.parametrize("partstat", ["NEEDS-ACTION", "ACCEPTED", "DECLINED"])
def test_a_batchs_attendee_line_is_the_one_the_library_builds(name, partstat):
    templates: dict = {}
    for address in ("giang@example.vn", "o'brien+tet@example.vn", "thuý@ví-dụ.vn"):
        assert _personal_attendee_line(templates, address, name, partstat) == _attendee_line(address, name, partstat)
