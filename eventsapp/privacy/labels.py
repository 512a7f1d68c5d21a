"""Words for the person's data page (never a column name or an internal code on a page)."""
from __future__ import annotations

from ..i18n import lazy_gettext as _l

FIELD_LABELS = {
    "full_name": _l("Full name"), "email": _l("E-mail"), "phone": _l("Phone"), "honorific": _l("Form of address"),
    "position": _l("Position"), "postal_address": _l("Postal address"), "country": _l("Country"),
    "place": _l("Place"), "timezone": _l("Time zone"), "language": _l("Language"), "notes": _l("Notes"),
    "preferred_channel": _l("Preferred channel"), "tags": _l("Tags"), "associations": _l("Associations"),
    "opted_out_at": _l("Unsubscribed on"), "created_at": _l("Known since"),
}
PURPOSE_LABELS = {"invitations": _l("Invitations from the association"), "reminders": _l("Reminders"),
                  "newsletter": _l("Newsletter")}
CHANNEL_LABELS = {"any": _l("every channel"), "email": _l("e-mail"), "sms": _l("SMS"), "zalo": _l("Zalo"),
                  "printed": _l("printed letter")}
SOURCE_LABELS = {"import": _l("list imported by the association"), "registration": _l("registration form"),
                 "rsvp": _l("answer page"), "staff_phone": _l("told staff by phone"),
                 "unsubscribe": _l("unsubscribe link"), "privacy_page": _l("your data page")}
