"""SMS and Zalo batches prepared and recorded together (short links and templates read once, sent messages
written in one statement): each person still gets their own text, link and record (bench/channels_send.py
measures the rates)."""
from __future__ import annotations

import re

from sqlalchemy import event as sa_event

from eventsapp.channels import dispatch, routing
from eventsapp.extensions import db
from eventsapp.invitations.services import send_invitations
from eventsapp.mail.models import Channel, MessageState
from tests.channels_support import by_channel, invitee
from tests.factories import ContactFactory, InvitationFactory


def _people(order: str, count: int):
    first = invitee(order=order, full_name="Nguyễn Văn Một")
    event = first.event
    for n in range(count - 1):
        InvitationFactory(event=event, contact=ContactFactory(phone=f"+8491230{n:04d}", email=None,
                                                              full_name=f"Trần Thị Hai {n}"))
    db.session.commit()
    return event


def test_a_batch_of_sms_each_with_its_own_link_and_record(app, db, client, gateways):
    event = _people("sms", 45)
    send_invitations(event.id)
    db.session.commit()
    app.config["MAIL_RECORD_EVERY"] = 20
    statements = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        statements.append(" ".join(statement.split()))

    sa_event.listen(db.engine, "before_cursor_execute", seen)
    try:
        dispatch.dispatch(Channel.SMS)
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", seen)
    rows = by_channel(Channel.SMS)
    assert len(rows) == 45 and {row.state for row in rows} == {MessageState.SENT}
    sent_texts = {request["body"]["Phone"]: request["body"]["Content"] for request in gateways.esms.sends()}
    codes = set()
    for row in rows:
        assert row.provider == "esms" and row.provider_message_id and row.segments >= 1
        assert row.cost == row.segments * app.config["ESMS_PRICE_PER_SEGMENT"]
        assert row.subject in set(sent_texts.values())
        code = re.search(r"/r/([\w-]+)", row.subject).group(1)
        codes.add(code)
        assert client.get(f"/r/{code}").status_code in (301, 302, 303)  # each link opens its own answer page
    assert len(codes) == 45 and len({row.provider_message_id for row in rows}) == 45
    # Recorded together: a statement per 20 sent messages (and per batch's end), not one per message.
    recorded = [s for s in statements if s.startswith("UPDATE outbox_messages SET state") and "sent_at" in s]
    assert 3 <= len(recorded) <= 6, len(recorded)
    links_read = [s for s in statements if s.startswith("SELECT short_links")]
    assert len(links_read) <= 2 * 3  # a batch (50 rows a claim) reads its links together


def test_a_message_that_cannot_be_built_leaves_the_others_and_their_links(app, db, client, gateways):
    event = _people("zalo,sms", 6)
    routing.set_order(event.id, [Channel.ZALO, Channel.SMS])
    db.session.commit()
    gateways.zalo.answer_next("ok", "refuse", "ok", "ok", "ok", "ok")  # the second has no Zalo: the SMS instead
    send_invitations(event.id)
    db.session.commit()
    dispatch.dispatch(Channel.ZALO)
    dispatch.dispatch(Channel.SMS)
    zalo, sms = by_channel(Channel.ZALO), by_channel(Channel.SMS)
    assert sorted(row.state.value for row in zalo) == ["failed"] + ["sent"] * 5
    assert [row.state for row in sms] == [MessageState.SENT]
    assert "link=" in zalo[0].subject or "reply=" in zalo[0].subject
    for row in [*zalo, *sms]:
        if row.state == MessageState.SENT:
            code = re.search(r"/r/([\w-]+)", row.subject).group(1)
            assert client.get(f"/r/{code}").status_code in (301, 302, 303)
