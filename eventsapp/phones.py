"""Phone numbers as people read them. Stored in E.164 ("+84912345678"; `validation.phone` reads what people
type): Vietnamese ones are shown as dialled at home ("0912 345 678"), others with their country code."""
from __future__ import annotations


def shown_phone(number: str | None) -> str:
    """A stored number as people read it ("0912 345 678", "+420 601 234 567"); "" for none."""
    if not number:
        return ""
    import phonenumbers  # read on first use

    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return number
    form = phonenumbers.PhoneNumberFormat.NATIONAL if parsed.country_code == 84 \
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(parsed, form)
