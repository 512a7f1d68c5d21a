"""What a person reads in the e-mails: the HTML part opened in Chromium, the text part as a mail client shows it."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from eventsapp.campaigns.models import Campaign, CampaignKind
from eventsapp.invitations import services
from eventsapp.mail.models import MessageKind, OutboxMessage
from eventsapp.mail.renderers import render
from tests.factories import AssociationFactory, ContactFactory, EventFactory, InvitationFactory

DESCRIPTION_VI = """## Chương trình

**18:00** Đón khách tại *Nhà văn hóa*.

- Văn nghệ chào Xuân
- Trao kỷ niệm chương

Xem [bản đồ đường đi](https://maps.example.vn/nha-van-hoa) hoặc <script>alert(1)</script>[mục này](javascript:alert(2))."""
DESCRIPTION_EN = "## Programme\n\n**6 pm** Welcome. See [the map](https://maps.example.vn/en)."


def visible_text(page, html: str) -> str:
    """The text a reader sees when the HTML part is opened (as a webmail shows it)."""
    page.set_content(html)
    return page.inner_text("body")


def parts(raw: bytes):
    import email
    from email import policy

    message = email.message_from_bytes(raw, policy=policy.default)
    return message, message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


def tet_gathering(association):
    """The e-mail tests' event: a Tết gathering with the Markdown descriptions above."""
    return EventFactory(association=association, title_vi="Gặp mặt đón Tết", title_en="Tết gathering",
                        description_vi=DESCRIPTION_VI, description_en=DESCRIPTION_EN,
                        starts_at=datetime(2027, 2, 5, 12, 0, tzinfo=timezone.utc),
                        ends_at=datetime(2027, 2, 5, 14, 30, tzinfo=timezone.utc))


@pytest.fixture
def invitation(db):
    association = AssociationFactory(name_vi="Hội hữu nghị Việt – Nhật", sender_email="hoi@example.vn")
    event = tet_gathering(association)
    contact = ContactFactory(full_name="Trần Thị Mai", email="mai@example.vn", language="vi")
    return InvitationFactory(event=event, contact=contact)


def assert_markdown_rendered(text: str) -> None:
    for raw in ("##", "**", "](", "<script", "javascript:"):
        assert raw not in text, f"{raw!r} shown to the reader:\n{text}"


def test_the_invitation_sent_by_the_worker_shows_the_description_formatted(db, invitation, celery_worker,
                                                                          smtp_sink, page):
    services.send_invitations(invitation.event_id)
    db.session.commit()
    [received] = smtp_sink.wait_for(1, timeout=60)
    _message, text, html = parts(received.data)
    seen = visible_text(page, html)
    assert_markdown_rendered(seen)
    assert "Chương trình" in seen and "Văn nghệ chào Xuân" in seen and "bản đồ đường đi" in seen
    # The heading is a heading, the bold is bold, the link a link, each styled inline (Gmail drops <style>).
    assert page.eval_on_selector("h2", "e => e.textContent") == "Chương trình"
    assert page.eval_on_selector("h2", "e => e.getAttribute('style')")
    assert page.locator("h2 + p strong").first.inner_text() == "18:00"
    assert page.eval_on_selector("a[href='https://maps.example.vn/nha-van-hoa']",
                                 "e => e.textContent + '|' + e.getAttribute('style')").startswith("bản đồ đường đi|color:")
    assert page.locator("a[href^='javascript']").count() == 0
    # The unsafe link keeps its words, not a link's look.
    assert page.locator("a", has_text="mục này").get_attribute("style") is None
    # The text part reads as plain text, links written out.
    assert_markdown_rendered(text)
    assert "Chương trình" in text and "• Văn nghệ chào Xuân" in text
    assert "bản đồ đường đi (https://maps.example.vn/nha-van-hoa)" in text


@pytest.mark.parametrize("kind", [MessageKind.UPDATE, MessageKind.CONFIRMATION, MessageKind.PROMOTION,
                                  MessageKind.CANCELLATION])
def test_every_event_mail_shows_the_english_description_formatted(db, invitation, page, kind):
    invitation.contact.language = "en"
    db.session.add(OutboxMessage(kind=kind, invitation_id=invitation.id, recipient=invitation.contact.email,
                                 subject="", dedupe_key=f"t:{kind}"))
    db.session.commit()
    row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == f"t:{kind}"))
    _message, text, html = parts(bytes(render(row)))
    seen = visible_text(page, html)
    assert_markdown_rendered(seen)
    assert "Programme" in seen and "the map" in seen
    assert "the map (https://maps.example.vn/en)" in text and "**" not in text


def test_the_campaign_invitation_shows_the_campaign_description_formatted(db, page):
    association = AssociationFactory()
    campaign = Campaign(association=association, slug="tet-2027", title_vi="Tuần Tết Việt 2027",
                        description_vi="## Lịch tuần Tết\n\n**Mọi người** đều được mời. [Chi tiết](https://tet.example.vn)",
                        kind=CampaignKind.TET_WEEK)
    db.session.add(campaign)
    db.session.commit()
    event = EventFactory(association=association, campaign=campaign)
    contact = ContactFactory(language="vi")
    InvitationFactory(event=event, contact=contact)
    services.send_campaign_invitations(campaign.id)
    db.session.commit()
    row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == MessageKind.CAMPAIGN_INVITATION))
    _message, text, html = parts(bytes(render(row)))
    seen = visible_text(page, html)
    assert_markdown_rendered(seen)
    assert "Lịch tuần Tết" in seen and page.eval_on_selector("h2", "e => e.textContent") == "Lịch tuần Tết"
    assert "Chi tiết (https://tet.example.vn)" in text and "##" not in text


def test_the_organisers_message_in_a_reminder_and_a_thank_you_is_formatted(db, page):
    from eventsapp.invitations.models import InvitationStatus
    from eventsapp.reminders import services as reminders
    from eventsapp.reminders.models import Anchor, RuleKind
    from tests.reminders_helpers import DAY, START, invite, make_event, rule

    event = make_event(title_vi="Lễ trao Bằng khen")
    invitation = invite(event, InvitationStatus.ACCEPTED, full_name="Lê Văn Cường", language="vi")
    rule(event, offset=-2 * DAY, audience=("accepted",), message_vi="**Nhớ mang** [giấy mời](https://hoi.example.vn/giay-moi).")
    rule(event, kind=RuleKind.THANK_YOU, anchor=Anchor.END, offset=DAY, audience=("accepted",),
         message_vi="## Cảm ơn\n\nHẹn gặp lại **năm sau**.")
    reminders.fire_due(now=START - DAY)
    reminders.fire_due(now=event.ends_at + DAY)
    db.session.expire_all()
    rows = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.invitation_id == invitation.id, OutboxMessage.kind != MessageKind.INVITATION)
        .order_by(OutboxMessage.id)).all()  # the invitation itself was sent before (reminders_helpers.invite)
    assert [row.kind for row in rows] == [MessageKind.REMINDER, MessageKind.THANK_YOU]
    _m, text, html = parts(bytes(render(rows[0])))
    seen = visible_text(page, html)
    assert "Nhớ mang giấy mời." in seen and "**" not in seen and "](" not in seen
    assert page.locator("a[href='https://hoi.example.vn/giay-moi']").inner_text() == "giấy mời"
    assert "Nhớ mang giấy mời (https://hoi.example.vn/giay-moi)." in text
    _m, text, html = parts(bytes(render(rows[1])))
    seen = visible_text(page, html)
    assert "##" not in seen and "**" not in seen and page.locator("h2").inner_text() == "Cảm ơn"
    assert "Cảm ơn\r\n\r\nHẹn gặp lại năm sau." in text


def test_the_invitation_says_until_when_to_answer_and_how_many_guests_in_the_readers_zone(
        db, celery_worker, smtp_sink, page):
    """The RSVP page shows the answer-by time and the guests allowed; the e-mail says both too, in
    the reader's zone (a reader in Berlin reads the deadline in German time)."""
    association = AssociationFactory(name_vi="Hội hữu nghị Việt – Đức", sender_email="hoi@example.vn")
    event = tet_gathering(association)
    event.max_guests = 2
    event.rsvp_deadline = datetime(2027, 1, 31, 10, 0, tzinfo=timezone.utc)  # 17:00 in Hà Nội, 11:00 in Berlin
    vi = InvitationFactory(event=event, contact=ContactFactory(full_name="Trần Thị Mai", email="mai@example.vn",
                                                               language="vi", timezone="Asia/Ho_Chi_Minh"))
    en = InvitationFactory(event=event, contact=ContactFactory(full_name="Anna Weber", email="anna@example.de",
                                                               language="en", timezone="Europe/Berlin"))
    services.send_invitations(event.id)
    db.session.commit()
    received = {r.recipients[0]: parts(r.data) for r in smtp_sink.wait_for(2, timeout=60)}
    _m, text, html = received[vi.contact.email]
    for body in (text, visible_text(page, html)):
        assert "Xin Quý vị vui lòng trả lời trước Chủ Nhật, 31 tháng 1, 2027, 17:00 · giờ Việt Nam (UTC+7)." in body, body
        assert "Quý vị có thể đưa tối đa 2 khách đi cùng." in body
    _m, text, html = received[en.contact.email]
    for body in (text, visible_text(page, html)):
        assert "Please answer by Sunday, January 31, 2027, 11:00 AM · Germany (Berlin) Time (UTC+1)." in body, body
        assert "You may bring up to 2 guests." in body


@pytest.mark.parametrize("width", [390, 320])
def test_the_answer_buttons_keep_their_words_on_one_line_on_a_phone(db, invitation, page, width):
    """At phone width a button wraps as a whole to the next line, never inside its label ("Tham / dự")."""
    services.send_invitations(invitation.event_id)
    db.session.commit()
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == MessageKind.INVITATION))
    _message, _text, html = parts(bytes(render(message)))
    page.set_viewport_size({"width": width, "height": 800})
    page.set_content(html)
    for label in ("Tham dự", "Có thể", "Không tham dự"):
        button = page.locator("a", has_text=label).first
        lines = button.evaluate("""a => { const r = document.createRange(); r.selectNodeContents(a);
            return new Set([...r.getClientRects()].map(rect => Math.round(rect.top))).size; }""")
        assert lines == 1, label
        box = button.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, label
    assert page.evaluate("document.documentElement.scrollWidth") <= width
