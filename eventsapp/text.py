"""Vietnamese text: search without diacritics, and alphabetical order.

`fold("Nguyễn Văn An")` gives "nguyen van an", so a search typed without
diacritics (or in another case) finds the name. `sort_key` orders names the
Vietnamese way: by given name (the last word), then the rest; letters in the
Vietnamese alphabet order (a ă â b c d đ e ê g … o ô ơ … u ư v x y), tones
only breaking ties (ngang, huyền, hỏi, ngã, sắc, nặng). The key uses only
the letters a–z, so it sorts the same under any database collation.
"""
from __future__ import annotations

import functools
import re
import unicodedata

ALPHABET = "a ă â b c d đ e ê f g h i j k l m n o ô ơ p q r s t u ư v w x y z".split()
TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}  # huyền hỏi ngã sắc nặng
_LETTER_RANK = {letter: index for index, letter in enumerate(ALPHABET)}
_WORD_SEP = "ab"
_END = "aa"


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def has_control_characters(text: str | None) -> bool:
    """Whether `text` holds a line break or another control character (CR, LF, NUL, TAB, U+2028…):
    never wanted in a one-line field such as a name or a title, which e-mail headers carry."""
    return bool(_CONTROL.search(text or ""))


def nfc(text: str | None) -> str:
    return unicodedata.normalize("NFC", text or "")


def fold(text: str | None) -> str:
    """Lower-case, without diacritics (đ → d), spaces collapsed."""
    decomposed = unicodedata.normalize("NFD", (text or "").lower().replace("đ", "d").replace("Đ", "d"))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.split())


def _split_tone(char: str) -> tuple[str, int]:
    """('ơ', 4) for 'ớ': the letter of the alphabet and its tone."""
    decomposed = unicodedata.normalize("NFD", char)
    tone = 0
    kept = []
    for part in decomposed:
        if part in TONES:
            tone = TONES[part]
        else:
            kept.append(part)
    return unicodedata.normalize("NFC", "".join(kept)), tone


def _token(rank: int) -> str:
    # Two letters per rank, skipping "aa"/"ab" (end and word separator).
    rank += 2
    return chr(ord("a") + rank // 26) + chr(ord("a") + rank % 26)


# Names are made of a few hundred syllables: an import of 100,000 names works each one out once.
@functools.lru_cache(maxsize=8192)
def _word_key(word: str) -> tuple[str, str]:
    primary, tones = [], []
    for char in nfc(word).lower():
        letter, tone = _split_tone(char)
        if letter in _LETTER_RANK:
            primary.append(_token(_LETTER_RANK[letter]))
        elif letter.isdigit():
            primary.append(_token(len(ALPHABET) + int(letter)))  # digits after letters
        else:
            continue
        tones.append(chr(ord("a") + tone))
    return "".join(primary), "".join(tones)


SORT_KEY_LENGTH = 400  # the column's length: a key is cut there (names alike for ~130 letters then tie)


def sort_key(full_name: str | None) -> str:
    """A key that sorts Vietnamese names by given name, then family and middle names (at most
    SORT_KEY_LENGTH characters, so a long name a form or the API accepts always fits its column)."""
    words = nfc(full_name).split()
    if not words:
        return ""
    ordered = [words[-1], *words[:-1]]
    keys = [_word_key(word) for word in ordered]
    primary = _WORD_SEP.join(key[0] for key in keys)
    tones = "".join(key[1] for key in keys)
    return (primary + _END + tones)[:SORT_KEY_LENGTH]
