"""Absolute links that leave the app (e-mails, calendars, QR codes).

The paths are a contract between domains: each is served by the domain named.
Built from EVENTSAPP_BASE_URL, not from the request, so workers build them too.
"""
from __future__ import annotations

from urllib.parse import urlencode

from flask import current_app

# The token in every acting link of an organiser's test copy (invitations.emails.render_test_mail): the
# pages behind those links say it is a test and what the invitee would see (invitations.views.test_copy).
TEST_COPY_TOKEN = "test-copy"


def absolute(path: str, **query) -> str:
    base = current_app.config["BASE_URL"].rstrip("/")
    query = {k: v for k, v in query.items() if v is not None}
    return f"{base}{path}" + (f"?{urlencode(query)}" if query else "")


def rsvp_url(invitation, answer: str | None = None) -> str:
    """invitations: the RSVP page; `answer` preselects accepted/tentative/declined."""
    return absolute(f"/rsvp/{invitation.token}", answer=answer)


def invitation_ics_url(invitation) -> str:
    """invitations: this invitee's .ics of the event (works for invite-only events)."""
    return absolute(f"/rsvp/{invitation.token}/event.ics")


def unsubscribe_url(contact) -> str:
    """invitations: one-click opt-out (also the List-Unsubscribe target)."""
    return absolute(f"/unsubscribe/{contact.unsubscribe_token}")


def public_event_url(event) -> str:
    """events: the public page of a public event."""
    return absolute(f"/e/{event.slug}")


def public_event_ics_url(event) -> str:
    """feeds: single-event .ics download of a public event."""
    return absolute(f"/e/{event.slug}.ics")


def association_feed_url(association) -> str:
    """feeds: public events of an association."""
    return absolute(f"/feeds/associations/{association.slug}.ics")


def association_private_feed_url(association) -> str:
    """feeds: all events (invite-only too) of an association, for its staff; revocable."""
    return absolute(f"/feeds/associations/{association.slug}/private/{association.private_feed_token}.ics")


def campaign_feed_url(campaign) -> str:
    """feeds: the events of a campaign."""
    return absolute(f"/feeds/campaigns/{campaign.slug}.ics")


def personal_feed_url(contact) -> str:
    """feeds: the events a contact accepted or may attend; revocable."""
    return absolute(f"/feeds/personal/{contact.feed_token}.ics")


def checkin_url(invitation) -> str:
    """attendance: what the QR code encodes; opens the check-in for staff."""
    return absolute(f"/c/{invitation.checkin_token}")


def webcal(url: str) -> str:
    return "webcal://" + url.split("://", 1)[1]
