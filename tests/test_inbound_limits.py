"""Nothing unbounded in the mail loop: a message with 100,000 MIME parts is refused before it is parsed,
and the event page reads only the excerpt of each stored reply, one page at a time, however large the
stored messages are."""
from __future__ import annotations

import time
import tracemalloc

import pytest

from eventsapp.inbound import parsing
from eventsapp.inbound.models import InboundKind, InboundMessage, InboundState
from eventsapp.timeutils import utcnow
from tests.factories import staff
from tests.test_inbound_replies import configure, new_invitation, receive


@pytest.fixture(autouse=True)
def reply_address(app, monkeypatch):
    configure(app, monkeypatch)


def many_parts(count: int, nested: bool = False) -> bytes:
    parts = b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n" * count + b"--b--\r\n"
    inner = b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n' + parts
    if nested:  # the parts inside an attached message
        inner = (b'Content-Type: multipart/mixed; boundary="outer"\r\n\r\n--outer\r\nContent-Type: message/rfc822\r\n\r\n'
                 + b"Subject: inner\r\n" + inner + b"--outer--\r\n")
    return b"From: a@example.vn\r\nTo: rsvp@eventsapp.test\r\nMessage-ID: <parts-%d-%d@x>\r\n" % (count, nested) + inner


@pytest.mark.parametrize("nested, newline", [(False, b"\r\n"), (True, b"\r\n"), (False, b"\r")],
                         ids=["flat", "inside-an-attached-message", "bare-cr-line-ends"])
def test_a_message_of_100000_parts_is_refused_without_parsing_it(db, nested, newline):
    raw = many_parts(100_000, nested).replace(b"\r\n", newline)
    assert 3_000_000 < len(raw) < 5_000_000
    started = time.process_time()
    inbound = receive(db, raw)
    spent = time.process_time() - started
    assert inbound.state == InboundState.FAILED and "MAIL_INBOUND_MAX_PARTS" in inbound.outcome
    assert spent < 3, f"{spent:.1f} s of CPU for a message refused by its part count"  # was ~22 s


def test_the_part_count_before_parsing_agrees_with_the_parser_around_the_limit():
    for count in (98, 99, 100, 101):
        raw = many_parts(count)
        assert parsing.has_more_parts_than(raw, 100) == (parsing.count_parts(parsing.parse(raw)) > 100), count


def test_the_event_page_reads_excerpts_not_the_stored_messages(db, client, auth):
    invitation = new_invitation()
    organiser = staff(invitation.event.association, email="to-chuc@example.vn")
    big = b"x" * (6 * 1024 * 1024)
    stored = []
    for n in range(25):
        stored.append(InboundMessage(
            message_key=f"<big-{n}@example.vn>", source="imap", from_address="giang@example.vn",
            subject=f"Thư số {n}", size=len(big), raw=big, state=InboundState.DONE, kind=InboundKind.HUMAN,
            body_text=f"Câu hỏi số {n} về chỗ đậu xe. " + "Nội dung dài. " * 2000, event_id=invitation.event_id,
            contact_id=invitation.contact_id, received_at=utcnow()))
        db.session.add(stored[-1])
        db.session.flush()
    db.session.commit()
    for row in stored:  # the test's own copies of the bytes leave the session
        db.session.expunge(row)
    del stored, big
    auth.login(organiser)
    client.get(f"/events/{invitation.event_id}")  # templates compiled, caches warm
    tracemalloc.start()
    try:
        page = client.get(f"/events/{invitation.event_id}")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * 1024 * 1024, f"{peak / 2**20:.0f} MB allocated for a page of 20 replies"  # ~150 MB stored
    assert page.status_code == 200 and "Câu hỏi số 24 về chỗ đậu xe" in page.text
    assert "Câu hỏi số 4 về" not in page.text  # the oldest are on the next page
    older = client.get(f"/events/{invitation.event_id}?replies=2")
    assert "Câu hỏi số 4 về" in older.text and "Câu hỏi số 24 về" not in older.text
    assert client.get(f"/events/{invitation.event_id}?replies=100000000000000000000").status_code == 200
