"""The batch send's splicing (eventsapp/personalise.py) never hands one reader another's values.

Within a send batch the text, HTML and calendar are rendered once per kind of reader and each
reader's name, tokens and address are spliced in. Hypothesis draws whole batches — names that are
prefixes of each other (as strings and as words), tokens that extend each other, several zones,
both languages, answers and kinds of message mixed — and every message must carry its reader's
values and none of the others', in its headers, text, HTML and calendar, exactly as if it had been
rendered alone. A leak here would send one person's RSVP link to another.
"""
from __future__ import annotations

import email
import html
import unicodedata
from datetime import datetime, timezone
from email import policy
from email.header import decode_header, make_header

import icalendar
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from eventsapp.contacts.models import Contact
from eventsapp.invitations.models import Invitation, InvitationStatus
from eventsapp.mail.models import MessageKind, OutboxMessage
from eventsapp.mail.renderers import render, rendering_batch
from eventsapp.mail.services import queue_messages
from tests.factories import AssociationFactory, EventFactory

# Letters no template, venue or zone name contains: a name drawn from them is found only where it was put.
NAME_LETTERS = "ƁƇƊƑƓƘƝƤƬƲƳ"
# Some characters every place must escape its own way (HTML, headers, iCalendar). No backslash: the
# icalendar library's reader takes one out of a parameter, which RFC 5545 does not ask for (its writing
# is checked in test_invitations_email.py).
NAME_EXTRAS = "ễĐữ&<>\"',;"
TOKEN_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789"
ZONES = ("Asia/Ho_Chi_Minh", "Europe/Berlin", "America/Los_Angeles", "Asia/Tokyo", "Europe/Prague",
         "Australia/Adelaide")
KINDS = (MessageKind.INVITATION, MessageKind.UPDATE, MessageKind.CANCELLATION, MessageKind.CONFIRMATION)
ANSWERS = (InvitationStatus.PENDING, InvitationStatus.ACCEPTED, InvitationStatus.TENTATIVE, InvitationStatus.DECLINED)


def _extended(strategy_of_new, extra):
    """A list whose items are new draws or earlier items with something added (so prefixes of each other)."""
    @st.composite
    def build(draw, size):
        items: list[str] = []
        for _ in range(size):
            if items and draw(st.booleans()):
                items.append(draw(st.sampled_from(items)) + draw(extra))
            else:
                items.append(draw(strategy_of_new))
        return items
    return build


name_word = st.text(NAME_LETTERS, min_size=2, max_size=6)
name_tail = st.one_of(st.text(NAME_LETTERS, min_size=1, max_size=3),  # "ƁƇ ƊƑ" and "ƁƇ ƊƑƓ"
                      st.builds(lambda extra, word: f" {extra}{word}",  # "ƁƇ ƊƑ" and "ƁƇ ƊƑ &<ƝƤ"
                                st.text(NAME_EXTRAS, max_size=3), name_word))
token_text = st.text(TOKEN_LETTERS, min_size=20, max_size=40)
token_tail = st.text(TOKEN_LETTERS, min_size=1, max_size=4)


@st.composite
def batches(draw):
    size = draw(st.integers(min_value=2, max_value=8))
    # A few kinds of reader (zone, language, answer, message), so that most readers share a render.
    profiles = draw(st.lists(st.tuples(st.sampled_from(ZONES), st.sampled_from(("vi", "en")), st.sampled_from(ANSWERS),
                                       st.sampled_from(KINDS)), min_size=1, max_size=3))
    names = draw(_extended(st.builds(lambda a, b: f"{a} {b}", name_word, name_word), name_tail)(size))
    tokens = draw(_extended(token_text, token_tail)(size * 3))
    locals_ = draw(_extended(st.text("abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=8),
                             st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=2))(size))
    readers = []
    for n in range(size):
        zone, language, answer, kind = draw(st.sampled_from(profiles))
        readers.append({
            "name": unicodedata.normalize("NFC", names[n]),
            "email": f"{locals_[n]}@example.vn",
            "token": tokens[3 * n], "unsubscribe": tokens[3 * n + 1], "feed": tokens[3 * n + 2],
            "zone": zone, "language": language, "answer": answer, "kind": kind,
        })
    distinct = [(r["name"], r["email"]) for r in readers]
    if len(set(tokens)) < len(tokens) or len({e for _, e in distinct}) < size or len({n for n, _ in distinct}) < size:
        from hypothesis import reject

        reject()  # the database keeps tokens and addresses unique; two readers never share a name here
    return readers


@pytest.fixture
def event(db):
    association = AssociationFactory(name_vi="Hội hữu nghị Việt – Séc", sender_email="hoi-viet-sec@example.vn")
    return EventFactory(association=association, starts_at=datetime(2027, 2, 10, 11, 0, tzinfo=timezone.utc),
                        ends_at=datetime(2027, 2, 10, 14, 0, tzinfo=timezone.utc), sequence=1, max_guests=2,
                        online_url="https://meet.example.vn/tet", description_vi="Chương trình **gặp mặt** đầu xuân.")


def _haystacks(raw: bytes) -> dict[str, str]:
    """Each place a reader's values may appear, decoded: headers, text, HTML (unescaped), calendar (unfolded)."""
    mail = email.message_from_bytes(raw, policy=policy.default)
    # Encoded words joined as RFC 2047 says (CPython's address parser puts a space between them).
    headers = "\n".join(f"{name}: {make_header(decode_header(value))}"
                        for name, value in email.message_from_bytes(raw).items())
    text = mail.get_body(preferencelist=("plain",)).get_content()
    body = mail.get_body(preferencelist=("html",)).get_content()
    calendar = next(part for part in mail.walk() if part.get_content_type() == "text/calendar").get_content()
    return {"headers": headers, "text": text, "html": html.unescape(body), "calendar": _calendar_values(calendar)}


def _calendar_values(ics: str) -> str:
    """Every property's value and parameters as a calendar program reads them (unfolded, unescaped)."""
    lines = []
    for component in icalendar.Calendar.from_ical(ics).walk():
        for name, value in component.items():
            for item in value if isinstance(value, list) else [value]:
                params = getattr(item, "params", {})
                lines.append(f"{name}: {item} " + " ".join(f"{key}={params[key]}" for key in params))
    return "\n".join(lines)


def _values(reader: dict) -> list[str]:
    return [reader["name"], reader["email"], reader["token"], reader["unsubscribe"], reader["feed"]]


def _without(haystack: str, values: list[str]) -> str:
    """`haystack` with every occurrence of `values` (longest first) cut out, leaving a separator."""
    for value in sorted(values, key=len, reverse=True):
        haystack = haystack.replace(value, "\0")
    return haystack


# Slow: 25 batches of up to 8 readers, each rendered together and alone.
# No shrinking: a batch renders in a second or two, and the failure's message already names the reader,
# the values that leaked and where.
@settings(max_examples=25, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@pytest.mark.slow
@given(readers=batches())
def test_no_message_of_a_batch_carries_another_readers_values(db, event, readers):
    invitations = []
    for reader in readers:
        contact = Contact(full_name=reader["name"], email=reader["email"], timezone=reader["zone"],
                          language=reader["language"], unsubscribe_token=reader["unsubscribe"], feed_token=reader["feed"])
        invitation = Invitation(event=event, contact=contact, token=reader["token"], status=reader["answer"],
                                guests=1 if reader["answer"] == InvitationStatus.ACCEPTED else 0)
        db.session.add_all([contact, invitation])
        invitations.append(invitation)
    db.session.flush()
    try:
        queue_messages([{"kind": reader["kind"], "dedupe_key": f"leak-test:{i.id}", "recipient": i.contact.email,
                         "contact_id": i.contact_id, "invitation_id": i.id, "event_id": event.id}
                        for reader, i in zip(readers, invitations, strict=True)], wake_sender=False)
        messages = list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key.like("leak-test:%"))
                                           .order_by(OutboxMessage.invitation_id)))
        by_invitation = {message.invitation_id: message for message in messages}
        with rendering_batch():
            together = [bytes(render(by_invitation[i.id])) for i in invitations]
        for n, (reader, raw) in enumerate(zip(readers, together, strict=True)):
            places = _haystacks(raw)
            own = _values(reader)
            # Its own values are there (the check below is not vacuous)...
            assert reader["email"] in places["headers"] and reader["unsubscribe"] in places["headers"]
            assert reader["name"] in places["text"] and reader["name"] in places["html"]
            assert reader["name"] in places["calendar"] and reader["email"] in places["calendar"]
            if reader["kind"] != MessageKind.CANCELLATION:
                assert reader["token"] in places["text"] and reader["token"] in places["calendar"]
            # ...and nobody else's, wherever it is looked for.
            others = [value for m, other in enumerate(readers) if m != n for value in _values(other)]
            for place, haystack in places.items():
                rest = _without(haystack, own)
                leaked = [value for value in others if value in rest]
                assert not leaked, f"the message to {reader['name']!r} shows {leaked} in its {place}"
            # And it is what this reader would get alone (but for the Message-ID, Date, MIME boundary and Content-ID).
            assert _comparable(raw) == _comparable(bytes(render(by_invitation[invitations[n].id])))
    finally:
        db.session.rollback()


def _comparable(raw: bytes) -> list[str]:
    mail = email.message_from_bytes(raw, policy=policy.default)
    out = [f"{name}: {value}" for name, value in mail.items() if name not in ("Message-ID", "Date", "Content-Type")]
    cids = [part["Content-ID"][1:-1] for part in mail.walk() if part["Content-ID"]]
    for part in mail.walk():
        if part.get_content_maintype() == "text":
            content = part.get_content()
            for cid in cids:
                content = content.replace(cid, "CID")
            out.append(content)
    return out
