"""The erasure rules: for every table, which columns hold personal data and what erasing a person does to
them, and which columns hold none. `tests/test_privacy_registry.py` fails while a table or a column of
`db.metadata` has no rule here, so a new table or column is classified before it ships.

One dict per table: `personal` maps a column to what `services.erase` does with the person's value there;
`kept` lists the columns without personal data (ids, states, times, counts — what the event's figures by
country, language and association are made of). A table with no personal data has an empty `personal`.
"""
from __future__ import annotations

ANONYMISED = "replaced by a neutral value"
CLEARED = "emptied"
REVOKED = "replaced by a new random token (the old link stops working)"
DELETED = "the person's rows are deleted"
STAFF = "a staff account's data, not a contact's: removed by deleting the account (not by this erasure)"

ERASURE_RULES: dict[str, dict] = {
    "contacts": {
        "personal": {"full_name": ANONYMISED, "email": CLEARED, "phone": CLEARED, "honorific": CLEARED,
                     "position": CLEARED, "postal_address": CLEARED, "place": CLEARED, "notes": CLEARED,
                     "search_text": ANONYMISED, "sort_key": ANONYMISED, "undeliverable_reason": CLEARED,
                     "feed_token": REVOKED, "unsubscribe_token": REVOKED},
        # country, language and associations stay: the past events' counts are made of them.
        "kept": ("id", "preferred_channel", "country", "timezone", "language", "opted_out_at", "archived_at",
                 "undeliverable_at", "soft_bounces", "created_at", "updated_at", "erased_at"),
    },
    "contact_tags": {"personal": {"tag": DELETED}, "kept": ("contact_id",)},
    "contact_associations": {"personal": {}, "kept": ("contact_id", "association_id")},
    "contact_consents": {"personal": {"note": CLEARED}, "kept": (
        "id", "contact_id", "purpose", "channel", "granted", "source", "basis", "wording_version", "at",
        "recorded_by_id")},
    "contact_import_batches": {
        "personal": {"rows": "emptied when they hold the person", "summary": "error report emptied when it holds the person",
                     "filename": CLEARED},
        "kept": ("id", "token", "user_id", "association_id", "headers", "mapping", "created_at", "expires_at",
                 "imported_at")},
    "invitations": {
        "personal": {"comment": CLEARED, "token": REVOKED, "checkin_token": REVOKED, "join_token": REVOKED},
        "kept": ("id", "event_id", "contact_id", "status", "guests", "is_honoree", "protocol_rank", "answered_at",
                 "answered_by_id", "answer_source", "card_handed_at", "card_handed_by_id",
                 "waitlisted_at", "revoked_at", "created_at", "updated_at")},
    "honorees": {"personal": {"citation": CLEARED}, "kept": ("id", "event_id", "contact_id", "award")},
    "check_ins": {"personal": {}, "kept": (
        "id", "event_id", "invitation_id", "contact_id", "guest_id", "guests", "walk_in", "checked_in_at",
        "checked_in_by_id", "undone_at", "undone_by_id", "client_id", "updated_at")},
    "checkin_codes": {"personal": {"url": DELETED, "png": DELETED}, "kept": ("invitation_id", "created_at")},
    "door_sync_ops": {"personal": {}, "kept": ("client_id", "check_in_id", "created_at")},
    "event_guests": {
        "personal": {"full_name": ANONYMISED, "honorific": CLEARED, "position": CLEARED, "email": CLEARED,
                     "phone": CLEARED, "passport_number": CLEARED, "passport_expires_on": CLEARED,
                     "notes": CLEARED, "checkin_token": REVOKED},
        "kept": ("id", "event_id", "invitation_id", "delegation_id", "contact_id", "language", "timezone", "nationality",
                 "protocol_rank", "created_at", "updated_at")},
    "delegations": {
        "personal": {"token": REVOKED},  # the leader's secret link; the delegation's name is an organisation's
        "kept": ("id", "event_id", "name", "organisation_contact_id", "leader_contact_id", "leader_invitation_id",
                 "quota", "deadline", "protocol_rank", "revoked_at", "created_at", "updated_at")},
    "outbox_messages": {
        "personal": {"recipient": ANONYMISED, "payload": CLEARED, "subject": CLEARED, "last_error": CLEARED},
        "kept": ("id", "kind", "dedupe_key", "channel", "contact_id", "invitation_id", "event_id", "campaign_id",
                 "send_id", "state", "attempts", "smtp_message_id", "created_at", "next_attempt_at",
                 "lease_expires_at", "sent_at", "updated_at", "priority", "provider", "provider_message_id",
                 "delivery_status", "delivered_at", "segments", "cost")},
    # Counts of outbox rows by event, send, kind, channel and state: nobody's data.
    "outbox_tallies": {"personal": {}, "kept": ("id", "event_id", "campaign_id", "send_id", "kind", "channel", "state",
                                                "delivered", "first_at", "n")},
    "inbound_messages": {
        "personal": {"from_address": CLEARED, "subject": CLEARED, "raw": CLEARED, "body_text": CLEARED,
                     "envelope_recipient": CLEARED, "outcome": CLEARED, "claim": CLEARED},
        "kept": ("id", "message_key", "source", "size", "truncated", "state", "kind", "invitation_id", "event_id",
                 "contact_id", "outbox_message_id", "received_at", "processed_at")},
    "feeds": {"personal": {"body": "the person's own feed is deleted (built again for nobody)"}, "kept": (
        "id", "kind", "subject_id", "branches", "etag", "event_count", "built_at", "build_ms", "last_modified",
        "dirty", "marked_at", "queued_at", "created_at")},
    "printables": {"personal": {"content": "printables of the person's events are deleted (made again on demand)",
                                "options": DELETED},
                   "kept": ("id", "event_id", "kind", "state", "requested_by_id", "created_at", "finished_at",
                            "item_count", "error")},
    "audit_entries": {"personal": {}, "kept": (  # ids and counts only, never a contact's values
        "id", "at", "actor_id", "actor", "ip", "action", "target_type", "target_id", "association_id", "details",
        "prev_hash", "hash")},
    "users": {"personal": {"email": STAFF, "name": STAFF, "password_hash": STAFF, "last_login_at": STAFF},
              "kept": ("id", "is_admin", "active", "locale", "timezone", "created_at", "session_version")},
    "api_tokens": {"personal": {}, "kept": ("id", "user_id", "token_hash", "name", "created_at", "last_used_at",
                                            "revoked_at")},
    "memberships": {"personal": {}, "kept": ("id", "user_id", "association_id", "role", "created_at")},
    "associations": {"personal": {}, "kept": (
        "id", "parent_id", "kind", "slug", "name_vi", "name_en", "founded_on", "timezone", "sender_email",
        "private_feed_token", "logo_png", "logo_version", "brand_color", "quiet_from", "quiet_until", "created_at",
        "updated_at")},
    "campaigns": {"personal": {}, "kept": (
        "id", "association_id", "slug", "title_vi", "title_en", "kind", "description_vi", "description_en",
        "starts_on", "ends_on", "status", "created_at", "updated_at")},
    "certificate_templates": {"personal": {}, "kept": (  # the signer is an official acting in office
        "id", "association_id", "title", "place", "intro", "signer_title", "signer_name", "logo_png", "updated_at")},
    "events": {"personal": {}, "kept": (
        "id", "association_id", "campaign_id", "slug", "uid", "sequence", "title_vi", "title_en", "description_vi",
        "description_en", "kind", "timezone", "starts_at", "ends_at", "all_day", "venue_name", "venue_address",
        "online_url", "capacity", "max_guests", "guests_must_be_named", "delegations_ask_passport", "rsvp_deadline", "visibility", "status", "published_at",
        "cancelled_at", "created_at", "updated_at")},
    "event_changes": {"personal": {}, "kept": (
        "id", "event_id", "sequence", "kind", "before", "after", "changed_by_id", "created_at")},
    "reminder_rules": {"personal": {}, "kept": (
        "id", "event_id", "campaign_id", "association_id", "kind", "anchor", "offset_minutes", "absolute_at",
        "to_accepted", "to_tentative", "to_pending", "to_attended", "message_vi", "message_en", "inherited_from",
        "fire_at", "fired_at", "skipped_at", "skip_reason", "removed_at", "sent_count", "created_at", "updated_at")},
    "reminder_skips": {"personal": {}, "kept": ("id", "rule_id", "invitation_id", "reason", "created_at")},
    "worker_heartbeats": {"personal": {}, "kept": ("hostname", "beat_at")},
    # Issue 26-30 tables. What a person wrote or was sent goes; settings, seats and counts stay.
    "registrations": {"personal": {"full_name": ANONYMISED, "email": CLEARED, "phone": CLEARED, "answers": CLEARED,
                                   "message": CLEARED},
                      "kept": ("id", "event_id", "language", "guests", "state", "contact_id", "invitation_id",
                               "created_at", "confirmed_at", "decided_at", "code_sent_at", "code_attempts")},
    "question_answers": {"personal": {"value": DELETED}, "kept": (
        "id", "question_id", "invitation_id", "guest_id", "created_at", "updated_at")},
    "questions": {"personal": {}, "kept": (
        "id", "event_id", "position", "kind", "text_vi", "text_en", "options", "required", "for_invitees",
        "for_guests", "for_members", "deadline", "created_at", "updated_at")},
    "registration_settings": {"personal": {}, "kept": ("event_id", "is_open", "needs_approval", "updated_at")},
    "feedback_answers": {"personal": {"better": CLEARED, "answer": CLEARED}, "kept": (
        "id", "event_id", "invitation_id", "marker", "rating", "language", "created_at")},
    "feedback_forms": {"personal": {}, "kept": (
        "event_id", "anonymous", "question_vi", "question_en", "open_days", "updated_at")},
    "online_joins": {"personal": {}, "kept": ("id", "event_id", "invitation_id", "contact_id", "joined_at")},
    "short_links": {"personal": {"code": DELETED}, "kept": ("invitation_id", "created_at")},
    "zalo_templates": {"personal": {}, "kept": (
        "id", "association_id", "kind", "template_id", "params", "text", "approved", "updated_at")},
    "provider_tokens": {"personal": {}, "kept": ("provider", "access_token", "refresh_token", "expires_at",
                                                 "updated_at")},
    "event_channel_orders": {"personal": {}, "kept": ("event_id", "channels", "updated_at")},
    "protocol_positions": {"personal": {}, "kept": (
        "id", "association_id", "order", "label", "keywords", "delegations", "updated_at")},
    "seat_tables": {"personal": {}, "kept": ("id", "event_id", "number", "name", "shape", "capacity", "x", "y",
                                             "updated_at")},
    "seat_assignments": {"personal": {}, "kept": ("id", "event_id", "table_id", "seat", "invitation_id", "guest_id",
                                                  "updated_at")},
    "seating_states": {"personal": {}, "kept": ("event_id", "cards_printed_at")},
    "alembic_version": {"personal": {}, "kept": ("version_num",)},
}
