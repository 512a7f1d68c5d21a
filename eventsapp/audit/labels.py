"""What each audit action is called on the page."""
from __future__ import annotations

from ..i18n import lazy_gettext as _l

ACTION_LABELS = {
    "sign_in": _l("Signed in"), "sign_in_failed": _l("Failed sign-in"), "role_granted": _l("Role given"),
    "role_revoked": _l("Role taken away"), "contacts_imported": _l("Contacts imported"),
    "contacts_exported": _l("Contacts exported"), "download": _l("List downloaded"),
    "contacts_merged": _l("Contacts merged"), "contact_edited": _l("Contact changed"),
    "contact_created": _l("Contact added"), "contact_deleted": _l("Contact deleted"),
    "send_started": _l("Sending started"), "send_cancelled": _l("Scheduled sending cancelled"),
    "check_in_undone": _l("Check-in undone"), "person_exported": _l("Personal data exported"),
    "person_erased": _l("Person erased"), "person_corrected": _l("Personal data corrected"),
    "settings_changed": _l("Settings changed"),
    "template_changed": _l("Template changed"), "consent_changed": _l("Consent changed"),
    "retention_purged": _l("Old data removed"), "registration_decided": _l("Registration accepted or declined"),
    "delegation_changed": _l("Delegation changed"), "invitation_changed": _l("Invitations changed"),
}
