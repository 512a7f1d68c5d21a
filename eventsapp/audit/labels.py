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

# What an entry is about, as the page names it (the table's name is the entry's own key, never shown).
TARGET_LABELS = {
    "contacts": _l("Person"), "events": _l("Event"), "invitations": _l("Invitation"), "users": _l("Account"),
    "associations": _l("Association"), "memberships": _l("Role"), "api_tokens": _l("API key"),
    "campaigns": _l("Campaign"), "registrations": _l("Registration"), "registration_settings": _l("Registration"),
    "delegations": _l("Delegation"), "event_guests": _l("Guest"), "questions": _l("Question"),
    "reminder_rules": _l("Reminder"), "feedback_forms": _l("Feedback form"), "zalo_templates": _l("Zalo template"),
    "event_channel_orders": _l("Channel order"), "contact_import_batches": _l("Roll import"),
    "check_ins": _l("Check-in"), "printables": _l("Printed document"), "certificate_templates": _l("Certificate"),
    "protocol_positions": _l("Protocol order"), "seat_tables": _l("Seating table"), "seating_states": _l("Seating plan"),
    "feeds": _l("Calendar feed"), "outbox_messages": _l("Message"), "honorees": _l("Honour"),
}

# The details' names; a detail not listed here is named by its key with spaces (still no value of a person's).
DETAIL_LABELS = {
    "fields": _l("fields"), "count": _l("number"), "rows": _l("rows"), "decision": _l("decision"),
    "requested_by": _l("asked by"), "event_id": _l("event no."), "association_id": _l("association no."),
    "invitation_id": _l("invitation no."), "member_id": _l("member no."), "contact_id": _l("person no."),
    "send_id": _l("sending"), "filters": _l("filter"), "with_message": _l("with a message"), "told": _l("told"),
    "what": _l("what"), "change": _l("change"), "kind": _l("kind"), "role": _l("role"), "days": _l("number of days"),
    "messages": _l("messages"), "events": _l("events"), "via": _l("through"), "languages": _l("languages"),
}


def target_label(target_type: str, target_id: str) -> str:
    """"Event 12", "Person 40": what an entry is about, in the reader's language."""
    name = TARGET_LABELS.get(target_type)
    name = str(name) if name is not None else target_type.replace("_", " ")
    return f"{name} {target_id}".strip()


def detail_lines(details: dict | None) -> list[tuple[str, str]]:
    """An entry's details as (name, value) pairs to show: lists joined, yes/no for booleans."""
    return [(_detail_name(key), _shown(value)) for key, value in (details or {}).items()]


def _detail_name(key: str) -> str:
    label = DETAIL_LABELS.get(key)
    return str(label) if label is not None else key.replace("_", " ")


def _shown(value) -> str:
    if isinstance(value, bool):
        return str(_l("yes") if value else _l("no"))
    if isinstance(value, (list, tuple)):
        return ", ".join(_shown(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{_detail_name(key)} {_shown(item)}" for key, item in value.items())
    return str(value)
