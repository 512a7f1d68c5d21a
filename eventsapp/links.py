"""Absolute links that leave the app (e-mails, calendars, QR codes).

The paths are a contract between domains: each is served by the domain named.
Built from EVENTSAPP_BASE_URL, not from the request, so workers build them too.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
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


def join_url(invitation) -> str:
    """attendance: this invitee's personal join link of an online event (redirects to the meeting in its time)."""
    return absolute(f"/j/{invitation.join_token}")


def feedback_url(invitation) -> str:
    """feedback: the short form of the thank-you message (by the RSVP token; answered once)."""
    return absolute(f"/feedback/{invitation.token}")


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


def privacy_url(contact) -> str:
    """privacy: the person's own data page (see, download, correct, erase), behind the same secret as unsubscribing."""
    return absolute(f"/privacy/{contact.unsubscribe_token}")


def personal_feed_url(contact) -> str:
    """feeds: the events a contact accepted or may attend; revocable."""
    return absolute(f"/feeds/personal/{contact.feed_token}.ics")


def checkin_url(invitation) -> str:
    """attendance: what the QR code encodes; opens the check-in for staff."""
    return absolute(f"/c/{invitation.checkin_token}")


def card_url(invitation) -> str:
    """attendance: what a printed invitation card's QR code encodes: the door's check-in link (the door reads
    the token and ignores the query), signed, so that the invitee scanning their own card reaches their answer
    page. A badge or an e-mailed door code carries no signature: photographed, it opens nothing but a login."""
    return absolute(f"/c/{invitation.checkin_token}", card=card_signature(invitation.checkin_token))


def card_signature(checkin_token: str) -> str:
    """An HMAC of the check-in token with the app's secret: only printed cards carry it (128 bits)."""
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(), f"card:{checkin_token}".encode(),
                      hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")


def webcal(url: str) -> str:
    return "webcal://" + url.split("://", 1)[1]
