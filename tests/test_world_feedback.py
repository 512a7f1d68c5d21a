"""What people thought: the thank-you message's short form (1–5, what to do better, the organiser's own
question), once per invitation, anonymous when chosen (no table links it to the person), closed after N
days; results per event and campaign (distribution, escaped comments, answer rate) and the export."""
from __future__ import annotations

from datetime import datetime, timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import inspect, select

from eventsapp.feedback.models import FeedbackAnswer, FeedbackForm
from eventsapp.invitations.models import InvitationStatus
from eventsapp.mail.models import MessageKind, MessageState, OutboxMessage
from eventsapp.mail.renderers import render
from eventsapp.reminders import services as reminders
from eventsapp.reminders.models import Anchor, RuleKind
from eventsapp.timeutils import UTC
from tests.factories import CampaignFactory, ContactFactory, EventFactory, InvitationFactory, staff
from tests.reminders_helpers import DAY, invite, rule

START = datetime(2027, 2, 5, 12, 0, tzinfo=UTC)


def _event(**values):
    return EventFactory(starts_at=START, ends_at=START + timedelta(hours=3), **values)


def _answers(db) -> list[FeedbackAnswer]:
    db.session.expire_all()
    return db.session.scalars(select(FeedbackAnswer).order_by(FeedbackAnswer.id)).all()


def _give(client, invitation, **data):
    from tests.conftest import csrf_token_from

    client.get(f"/feedback/{invitation.token}")
    token = csrf_token_from(client.get("/login").text)  # the session's token (the form is gone once answered)
    return client.post(f"/feedback/{invitation.token}", data={**data, "csrf_token": token})


def test_the_thank_you_carries_a_plain_link_to_the_form_in_the_reader_s_language(db):
    event = _event()
    invitation = invite(event, InvitationStatus.ACCEPTED, language="en", sent_at=START - 30 * DAY)
    rule(event, kind=RuleKind.THANK_YOU, anchor=Anchor.END, offset=DAY, audience=("accepted",))
    reminders.fire_due(now=event.ends_at + DAY + timedelta(hours=2))  # 05:00 UTC: midday in Hanoi
    db.session.expire_all()
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == MessageKind.THANK_YOU))
    parsed = message_from_bytes(bytes(render(message)), policy=policy.default)
    text = parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    link = f"http://eventsapp.test/feedback/{invitation.token}"
    assert "How was it? Tell us in one minute" in text and link in text and f'href="{link}"' in html
    assert "<img" not in html  # no tracking pixel


@pytest.mark.parametrize("anonymous", [True, False])
def test_an_answer_is_taken_once_and_linked_to_the_person_only_when_not_anonymous(app, db, client, travel,
                                                                                  anonymous):
    event = _event()
    db.session.add(FeedbackForm(event_id=event.id, anonymous=anonymous, question_vi="Quý vị muốn gặp lại năm sau?",
                                question_en="Would you come again next year?", open_days=14))
    invitation = InvitationFactory(event=event, status=InvitationStatus.ACCEPTED,
                                   contact=ContactFactory(language="vi", full_name="Trần Thị Lan"))
    db.session.commit()
    travel(START + timedelta(days=2))
    page = client.get(f"/feedback/{invitation.token}").get_data(as_text=True)
    assert "Quý vị muốn gặp lại năm sau?" in page and "Cần làm gì tốt hơn?" in page
    assert ("không gắn với tên của Quý vị" in page) == anonymous
    answered = _give(client, invitation, rating="4", better="Âm thanh hơi nhỏ", answer="Có")
    assert answered.status_code == 303
    assert "Xin cảm ơn" in client.get(f"/feedback/{invitation.token}").get_data(as_text=True)
    again = _give(client, invitation, rating="1", better="lần hai")
    assert again.status_code == 200
    rows = _answers(db)
    assert [(r.rating, r.better, r.answer) for r in rows] == [(4, "Âm thanh hơi nhỏ", "Có")]
    if anonymous:
        assert rows[0].invitation_id is None
        assert (rows[0].created_at.hour, rows[0].created_at.minute) == (0, 0)  # its day, not its moment
        # No column of the answer holds the invitation's id, token, contact or the person's name.
        values = {str(getattr(rows[0], c.key)) for c in inspect(FeedbackAnswer).mapper.column_attrs
                  if c.key not in ("id", "event_id", "rating")}  # its own numbers
        assert not values & {str(invitation.id), invitation.token, str(invitation.contact_id), "Trần Thị Lan"}
    else:
        assert rows[0].invitation_id == invitation.id


def test_the_form_closes_after_its_days_and_a_revoked_link_is_gone(app, db, client, travel):
    event = _event()
    db.session.add(FeedbackForm(event_id=event.id, anonymous=True, question_vi="", question_en="", open_days=3))
    invitation = InvitationFactory(event=event, contact=ContactFactory(language="en"))
    revoked = InvitationFactory(event=event, revoked_at=START)
    db.session.commit()
    travel(START + timedelta(days=4))
    page = client.get(f"/feedback/{invitation.token}").get_data(as_text=True)
    assert "This form is closed: answers were taken until 3 days after the event." in page
    assert _give(client, invitation, rating="5").status_code == 200 and _answers(db) == []
    assert client.get(f"/feedback/{revoked.token}").status_code == 404


@pytest.mark.parametrize(("field", "value"), [
    ("rating", "6"), ("rating", "0"), ("rating", "=cmd"), ("rating", "9223372036854775808"), ("rating", ""),
    ("better", "a" * 10_000), ("better", "x\x00y"), ("answer", "\x07bell"), ("rating", "javascript:alert(1)")])
def test_hostile_answers_are_refused_and_change_nothing(app, db, client, travel, field, value):
    event = _event()
    invitation = InvitationFactory(event=event, contact=ContactFactory(language="en"))
    travel(START + timedelta(hours=4))
    answer = _give(client, invitation, **{"rating": "3", "better": "", "answer": "", field: value})
    assert answer.status_code == 400
    assert _answers(db) == []


def test_results_per_event_and_campaign_with_escaped_comments_rate_and_export(app, db, client, auth, travel):
    campaign = CampaignFactory()
    event = _event(association=campaign.association, campaign=campaign)
    other = _event(association=campaign.association, campaign=campaign)
    people = [InvitationFactory(event=event, status=InvitationStatus.ACCEPTED) for _ in range(4)]
    for invitation in people:  # four thank-yous went out
        db.session.add(OutboxMessage(kind=MessageKind.THANK_YOU, dedupe_key=f"reminder:1:{invitation.id}",
                                     recipient=invitation.contact.email, invitation_id=invitation.id,
                                     event_id=event.id, state=MessageState.SENT))
    db.session.commit()
    travel(START + timedelta(days=1))
    _give(client, people[0], rating="5", better="<script>alert(1)</script>")
    _give(client, people[1], rating="2", better="=HYPERLINK(\"http://evil\")")
    _give(client, InvitationFactory(event=other), rating="3")
    auth.login(staff(event.association, locale="en"))
    page = client.get(f"/events/{event.id}/feedback").get_data(as_text=True)
    assert 'data-figure="answers">2<' in page and 'data-figure="rate">50%<' in page
    assert 'data-rating="5">1<' in page and 'data-rating="2">1<' in page and 'data-rating="4">0<' in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    exported = client.get(f"/events/{event.id}/feedback.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in exported and "<script>alert(1)</script>" in exported
    campaign_page = client.get(f"/campaigns/{campaign.id}/feedback").get_data(as_text=True)
    assert 'data-figure="answers">3<' in campaign_page


def test_the_organiser_sets_the_form_and_a_viewer_may_only_read(app, db, client, auth):
    from eventsapp.associations.models import Role

    event = _event()
    url = f"/events/{event.id}/feedback"
    auth.login(staff(event.association, locale="vi"))
    saved = auth.post(url, data={"question_vi": "Món ăn thế nào?", "question_en": "How was the food?",
                                 "open_days": "10"}, form_url=url)
    assert saved.status_code == 303
    db.session.expire_all()
    form = db.session.get(FeedbackForm, event.id)
    assert (form.anonymous, form.question_en, form.open_days) == (False, "How was the food?", 10)
    for hostile in ({"open_days": "0"}, {"open_days": "2147483648"}, {"question_vi": "a\r\nb"},
                    {"question_en": "x" * 10_000}):
        answer = auth.post(url, data={"question_vi": "Món ăn thế nào?", "open_days": "10", **hostile}, form_url=url)
        assert answer.status_code == 400
        db.session.expire_all()
        assert db.session.get(FeedbackForm, event.id).open_days == 10
    auth.login(staff(event.association, Role.VIEWER, locale="en"))
    assert client.get(url).status_code == 200
    assert auth.post(url, data={"open_days": "5"}, form_url=url).status_code == 403
