"""How many SMS segments a text takes, and what it costs, before it is sent.

A text in the GSM 03.38 alphabet (GSM-7) fits 160 characters in one SMS, 153 a segment when it is split
(the rest carries the joining header); the extension characters (€, [, ], {, }, ^, ~, |, \\) take two.
Anything else, Vietnamese letters with their accents among them, makes the whole text UCS-2: 70 characters
in one SMS, 67 a segment when split, counted in UTF-16 units (an emoji takes two).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..text import nfc

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = frozenset("^{}\\[~]|€\f")


@dataclass(frozen=True)
class Segments:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 units (UCS-2)
    count: int

    @property
    def unicode(self) -> bool:
        return self.encoding == "UCS-2"


def is_gsm(text: str) -> bool:
    return all(ch in GSM_BASIC or ch in GSM_EXTENSION for ch in text)


def count(text: str) -> Segments:
    """The encoding and the number of segments of `text` (NFC first: a decomposed accent is one letter)."""
    text = nfc(text)
    if is_gsm(text):
        units = sum(2 if ch in GSM_EXTENSION else 1 for ch in text)
        single, part, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, part, encoding = 70, 67, "UCS-2"
    segments = 1 if units <= single else -(-units // part)
    return Segments(encoding, units, segments)


def without_accents(text: str) -> str:
    """Vietnamese written without its accents ("Kính mời" → "Kinh moi"), as brand-name SMS often are:
    one GSM-7 segment carries 160 characters instead of 70. Other letters outside GSM-7 become "?"."""
    import unicodedata

    decomposed = unicodedata.normalize("NFD", nfc(text).replace("đ", "d").replace("Đ", "D"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return "".join(ch if ch in GSM_BASIC or ch in GSM_EXTENSION else "?" for ch in plain)
