"""How a letter greets a person: one function per language form, and `greeting` choosing by the reader's language.

Vietnamese follows an official letter: "Kính gửi: Đồng chí Nguyễn Văn A, Phó Chủ tịch Hội hữu nghị Việt Nam –
Nhật Bản tỉnh" (form of address, full name, position). English: "Dear Mr Nguyễn Văn A," — the Vietnamese forms
of address put as an English reader expects them (Ông → Mr, Bà → Ms, Ngài → Your Excellency), and "Đồng chí"
(comrade), or a form with no English counterpart, leaves the name alone. Used by every e-mail's greeting (and
by printed cards).
"""
from __future__ import annotations

from .text import fold

# A Vietnamese form of address (folded: no case, no diacritics) → its English counterpart; "" = the name alone.
ENGLISH_FORMS = {
    "ong": "Mr", "anh": "Mr", "thay": "Mr", "ba": "Ms", "chi": "Ms", "co": "Ms", "em": "", "dong chi": "",
    "giao su": "Professor", "pho giao su": "Professor", "tien si": "Dr", "bac si": "Dr", "thac si": "",
    "ngai": "Your Excellency", "ngai dai su": "Your Excellency",
}
# Forms an English reader knows already (typed in English): kept as they are.
ENGLISH_KNOWN = {"mr", "mr.", "mrs", "mrs.", "ms", "ms.", "miss", "dr", "dr.", "prof", "prof.", "professor", "sir",
                 "madam", "dame", "lord", "lady", "rev", "rev.", "ambassador", "your excellency", "excellency"}


def _clean(text: str | None) -> str:
    """One line, single spaces (a greeting never breaks inside)."""
    return " ".join((text or "").split())


def vietnamese(honorific: str | None, full_name: str | None, position: str | None = "") -> str:
    """ "Kính gửi: Đồng chí Nguyễn Văn A, Phó Chủ tịch Hội…" — each part left out when empty."""
    person = " ".join(part for part in (_clean(honorific), _clean(full_name)) if part)
    position = _clean(position)
    return f"Kính gửi: {person}, {position}" if position else f"Kính gửi: {person}"


def english_form(honorific: str | None) -> str:
    """The English form of address for a Vietnamese (or English) one; "" when the name stands alone."""
    written = _clean(honorific)
    if written.lower() in ENGLISH_KNOWN:
        return written
    return ENGLISH_FORMS.get(fold(written), "")


def english(honorific: str | None, full_name: str | None, position: str | None = "") -> str:
    """ "Dear Mr Nguyễn Văn A," ("Your Excellency," alone: that form takes no name); the position, which an
    English greeting does not carry, is left out."""
    form, name = english_form(honorific), _clean(full_name)
    if form.lower() in ("your excellency", "excellency"):
        return "Your Excellency,"
    return f"Dear {' '.join(part for part in (form, name) if part)},"


def greeting(contact, locale: str) -> str:
    """The greeting of a letter to `contact` (honorific, full_name, position) in `locale` ("vi" or "en")."""
    form = english if locale == "en" else vietnamese
    return form(getattr(contact, "honorific", ""), contact.full_name, getattr(contact, "position", ""))
