"""What the import page tells people: what each column accepts, and an example file to start from."""
from __future__ import annotations

from .. import spreadsheets
from ..i18n import lazy_gettext as _l
from .importing import EXPORT_HEADERS, FIELD_LABELS, FIELDS

# For each column: what it accepts, and examples of what people write (in the reader's language; both are read).
ACCEPTS = {
    "full_name": (_l("Required."), "Nguyễn Văn An"),
    "honorific": (_l("How a letter greets them: Ông, Bà, Anh, Chị, Đồng chí, Ngài… or your own words."),
                  "Ông · Bà · Đồng chí"),
    "position": (_l("Their office, as a letter names it."), _l("Vice-President of the Association")),
    "email": (_l("One address per row. A row whose address (or else phone number) is already in your associations "
                 "updates that contact; empty cells keep what is stored. Each row needs an e-mail, a phone number "
                 "or a postal address."), "an.nguyen@example.vn"),
    "phone": (_l("As you write it: numbers without a country code are Vietnamese."), "0912 345 678 · +49 30 1234 567"),
    "postal_address": (_l("Where printed invitation cards are posted."), "Số 1 Hoàng Văn Thụ, TP Bắc Giang"),
    "preferred_channel": (_l("How to reach them first: e-mail, SMS, Zalo or printed card. Empty: e-mail."),
                          _l("E-mail · Zalo · SMS · Printed card")),
    "country": (_l("In Vietnamese or English."), _l("Japan · Germany")),
    "place": (_l("Town, district or city."), "Yên Thế · Berlin"),
    "timezone": (_l("A city, a country with a single time zone, or an offset from UTC. Empty: Vietnam's time."),
                 _l("Tokyo · Japan · UTC+9 · GMT+7")),
    "language": (_l("The language of the invitations: Vietnamese or English. Empty: Vietnamese."),
                 _l("Vietnamese · English")),
    "associations": (_l("The names of associations you manage, separated by semicolons (;). You may also choose "
                        "one association for every row below."), None),
    "notes": (_l("Free text."), _l("Long-standing member")),
    "tags": (_l("Words to group contacts by, separated by semicolons (;)."), _l("member; Tet 2027")),
}


def column_help(association_names: list[str]) -> list[dict]:
    """One line per column: its header (Vietnamese, as in exports), its name in the reader's language,
    what it accepts and examples (the association column's examples: her own associations)."""
    lines = []
    for name in FIELDS:
        accepts, example = ACCEPTS[name]
        if name == "associations":
            example = " · ".join(association_names[:2])
        lines.append({"header": EXPORT_HEADERS[name], "label": str(FIELD_LABELS[name]), "accepts": str(accepts),
                      "example": str(example or "")})
    return lines


def example_csv(association_name: str) -> bytes:
    """A small roll that imports as it is for an organiser of `association_name` (UTF-8 with BOM, for Excel)."""
    rows = [
        [EXPORT_HEADERS[name] for name in FIELDS],
        ["Nguyễn Văn An", "an.nguyen@example.vn", "0912 345 678", "Việt Nam", "Yên Thế", "", "Tiếng Việt",
         association_name, "Hội viên lâu năm", "hội viên", "Đồng chí", "Phó Chủ tịch Hội",
         "Số 1 Hoàng Văn Thụ, TP Bắc Giang", "Email"],
        ["Hoàng Văn Sơn", "", "0987 654 321", "Việt Nam", "Yên Thế", "", "Tiếng Việt", association_name, "",
         "hội viên", "Ông", "", "Xã Phồn Xương, huyện Yên Thế", "Zalo"],
        ["Trần Thị Bích", "bich.tran@example.de", "+49 30 1234 567", "Đức", "Berlin", "Đức", "Tiếng Việt",
         association_name, "", "kiều bào", "Bà", "", "", "Email"],
        ["Lê Minh Châu", "chau.le@example.jp", "+81 3 1234 5678", "Nhật Bản", "Tokyo", "Giờ Tokyo", "Tiếng Anh",
         association_name, "", "kiều bào; Tết 2027", "Chị", "", "", ""],
        ["Phạm Quốc Dũng", "dung.pham@example.kr", "+82 2 1234 5678", "Hàn Quốc", "Seoul", "UTC+9", "Vietnamese",
         association_name, "", "", "Anh", "", "", ""],
    ]
    return spreadsheets.csv_bytes(rows)
