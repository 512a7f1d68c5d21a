"""What an unverified answer by mail asked for, in the words of the RSVP page (pages and e-mails)."""
from __future__ import annotations

from ..i18n import lazy_gettext as _l

CLAIM_LABELS = {"accepted": _l("I will attend"), "tentative": _l("Maybe"), "declined": _l("I cannot attend"),
                "unsubscribe": _l("Stop receiving e-mail")}
