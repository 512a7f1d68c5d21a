"""Country names in the reader's language.

Contacts keep the country as typed or imported ("Cộng hòa Séc", "Nhật Bản", "Germany"); pages show it
in the reader's language through Babel's territory names (CLDR), recognised without diacritics or case
in Vietnamese or English, plus the everyday names CLDR does not use. Unrecognised text is shown as it is.
"""
from __future__ import annotations

import functools

from babel import Locale

from .i18n import current_locale
from .text import fold

# Names people write that are not CLDR's own (folded).
ALIASES = {
    "cong hoa sec": "CZ", "czech republic": "CZ", "tiep khac": "CZ", "lien bang nga": "RU", "russia": "RU",
    "russian federation": "RU", "italia": "IT", "my": "US", "usa": "US", "united states of america": "US",
    "anh": "GB", "uk": "GB", "vuong quoc anh": "GB", "great britain": "GB", "han quoc": "KR", "korea": "KR",
    "south korea": "KR", "uc": "AU", "dai loan": "TW", "hong kong": "HK", "cong hoa lien bang duc": "DE",
    "viet nam": "VN", "vietnam": "VN", "lao": "LA", "campuchia": "KH", "cambodia": "KH", "ha lan": "NL",
    "thuy si": "CH", "thuy dien": "SE", "ca-na-da": "CA", "canada": "CA",
}


@functools.cache
def _index() -> dict[str, str]:
    index: dict[str, str] = {}
    for locale in ("vi", "en"):
        for code, name in Locale.parse(locale).territories.items():
            if code.isalpha() and len(code) == 2:
                index.setdefault(fold(name), code)
    index.update(ALIASES)
    return index


def country_code(text: str | None) -> str | None:
    """The ISO 3166 code of a country written in Vietnamese or English, or None."""
    return _index().get(fold(text)) if text else None


def country_name(text: str | None, locale: str | None = None) -> str:
    """`text` as the country's name in `locale` (default: the current one); unknown text unchanged."""
    if not text:
        return ""
    code = country_code(text)
    if code is None:
        return text
    if locale is None:
        locale = current_locale()
    return Locale.parse(locale).territories.get(code, text)
