"""The invitation e-mails as a mail client sees them: parts, encoding, iTIP, language, zones."""
from __future__ import annotations

import email
from datetime import datetime, timezone
from email import policy

import icalendar
import pytest
from sqlalchemy import select

from eventsapp.events.models import ChangeKind, EventChange, EventStatus
from eventsapp.invitations import services
from eventsapp.invitations.models import InvitationStatus
from eventsapp.mail.models import MessageKind, OutboxMessage
from eventsapp.mail.renderers import render
from tests.factories import AssociationFactory, ContactFactory, EventFactory, InvitationFactory

TITLE = "Gặp mặt kiều bào đón Tết Nguyên đán Bính Ngọ tại Nhà văn hóa Hữu nghị Hà Nội, kỷ niệm ngày thành lập Hội"


def parsed(message: OutboxMessage):
    return email.message_from_bytes(bytes(render(message)), policy=policy.default)


def queued(db, invitation, kind=MessageKind.INVITATION):
    db.session.commit()
    return db.session.scalar(select(OutboxMessage).where(OutboxMessage.invitation_id == invitation.id,
                                                         OutboxMessage.kind == kind).order_by(OutboxMessage.id.desc()))


def calendar_of(mail):
    parts = [p for p in mail.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    return parts[0], icalendar.Calendar.from_ical(parts[0].get_content())


@pytest.fixture
def invitation(db):
    association = AssociationFactory(name_vi="Hội hữu nghị Việt – Nhật Bản", sender_email="hoi-viet-nhat@example.vn")
    event = EventFactory(association=association, title_vi=TITLE, title_en="Overseas Vietnamese Tết gathering",
                         starts_at=datetime(2027, 2, 10, 11, 0, tzinfo=timezone.utc),
                         ends_at=datetime(2027, 2, 10, 14, 0, tzinfo=timezone.utc), sequence=2,
                         online_url="https://meet.example.vn/tet")
    contact = ContactFactory(full_name="Nguyễn Thị Hương Giang", email="giang@example.vn")
    return InvitationFactory(event=event, contact=contact)


def test_the_invitation_is_an_itip_request_in_vietnamese(db, invitation):
    services.send_invitations(invitation.event_id)
    mail = parsed(queued(db, invitation))
    event = invitation.event
    assert mail["Subject"] == f"Thư mời: {TITLE}"
    assert mail["From"].addresses[0].display_name == "Hội hữu nghị Việt – Nhật Bản"
    assert mail["From"].addresses[0].addr_spec == "hoi-viet-nhat@example.vn"
    assert mail["To"].addresses[0].display_name == "Nguyễn Thị Hương Giang"
    assert "List-Unsubscribe=One-Click" == mail["List-Unsubscribe-Post"]
    assert f"/unsubscribe/{invitation.contact.unsubscribe_token}>" in mail["List-Unsubscribe"]
    assert "<mailto:hoi-viet-nhat@example.vn" in mail["List-Unsubscribe"]
    types = [p.get_content_type() for p in mail.walk()]
    assert types[:2] == ["multipart/mixed", "multipart/alternative"]
    assert {"text/plain", "text/html", "text/calendar", "image/png", "application/ics"} <= set(types)
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    for body in (text, html):
        assert "Kính gửi: Nguyễn Thị Hương Giang" in body
        assert TITLE in body
        assert f"/rsvp/{invitation.token}?answer=accepted" in body
        assert f"/feeds/personal/{invitation.contact.feed_token}.ics" in body
        assert "https://www.google.com/maps/search/?api=1&" in body
        assert "calendar.google.com/calendar/render?action=TEMPLATE" in body
        assert "20270210T110000Z%2F20270210T140000Z" in body or "20270210T110000Z/20270210T140000Z" in body
        assert "outlook.live.com/calendar/0/deeplink/compose" in body
        assert f"/rsvp/{invitation.token}/event.ics" in body
        assert "18:00–21:00 · giờ Việt Nam (UTC+7)" in body  # 11:00 UTC, in the event's zone, named
    assert 'src="cid:' in html
    part, cal = calendar_of(mail)
    assert part.get_param("method") == "REQUEST" == str(cal["METHOD"])
    assert part["Content-Transfer-Encoding"] == "base64"
    assert not cal.errors
    vevent = cal.walk("VEVENT")[0]
    assert not vevent.errors
    assert str(vevent["UID"]) == event.uid and int(vevent["SEQUENCE"]) == 2
    assert vevent.decoded("DTSTART") == event.starts_at
    assert str(vevent["ORGANIZER"]) == "mailto:hoi-viet-nhat@example.vn"
    attendee = vevent["ATTENDEE"]
    assert str(attendee) == "mailto:giang@example.vn"
    assert attendee.params["RSVP"] == "TRUE" and attendee.params["PARTSTAT"] == "NEEDS-ACTION"
    assert str(vevent["SUMMARY"]) == TITLE
    assert cal.walk("VTIMEZONE")[0]["TZID"] == "Asia/Ho_Chi_Minh"
    attachment = next(p for p in mail.walk() if p.get_content_type() == "application/ics")
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_content() == part.get_payload(decode=True)
    assert part.get_payload(decode=True).count(b"\r\n") > 10
    assert part.get_content_charset() == "utf-8"


def test_an_english_contact_in_berlin_sees_english_and_both_zones(db, invitation):
    contact = invitation.contact
    contact.language, contact.timezone = "en", "Europe/Berlin"
    db.session.commit()
    services.send_invitations(invitation.event_id)
    mail = parsed(queued(db, invitation))
    assert mail["Subject"] == "Invitation: Overseas Vietnamese Tết gathering"
    text = mail.get_body(("plain",)).get_content()
    assert "Dear Nguyễn Thị Hương Giang" in text
    # 18:00–21:00 in Hanoi, 12:00–15:00 in Berlin; the date once, zones by name with their offset.
    assert "Wednesday, February 10, 2027, 6:00 – 9:00 PM · Vietnam Time (UTC+7)" in text
    assert "Your time: Wednesday, February 10, 2027, 12:00 – 3:00 PM · Germany (Berlin) Time (UTC+1)" in text
    assert "Asia/Ho_Chi_Minh" not in text and "Europe/Berlin" not in text


def test_a_confirmation_carries_the_answer_as_partstat(db, invitation):
    services.answer(invitation, InvitationStatus.TENTATIVE)
    mail = parsed(queued(db, invitation, MessageKind.CONFIRMATION))
    _, cal = calendar_of(mail)
    assert cal.walk("VEVENT")[0]["ATTENDEE"].params["PARTSTAT"] == "TENTATIVE"
    assert "Có thể" in mail.get_body(("plain",)).get_content()


def test_update_goes_to_everyone_but_decliners_and_says_what_changed(db, invitation):
    event = invitation.event
    declined = InvitationFactory(event=event, contact=ContactFactory(), status=InvitationStatus.DECLINED)
    silent = InvitationFactory(event=event, contact=ContactFactory())
    services.send_invitations(event.id)
    db.session.commit()
    from eventsapp import signals

    event.sequence = 3
    change = EventChange(event=event, sequence=3, kind=ChangeKind.TIME,
                         before={"starts_at": "2027-02-10T11:00:00+00:00"}, after={"starts_at": "2027-02-10T12:30:00+00:00"})
    event.starts_at = datetime(2027, 2, 10, 12, 30, tzinfo=timezone.utc)
    db.session.add(change)
    db.session.flush()
    signals.event_changed.send(event, changes=[change])
    db.session.commit()
    updates = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == MessageKind.UPDATE)).all()
    assert {m.invitation_id for m in updates} == {invitation.id, silent.id}
    assert declined.id not in {m.invitation_id for m in updates}
    mail = parsed(next(m for m in updates if m.invitation_id == invitation.id))
    assert mail["Subject"].startswith("Cập nhật: ")
    text = mail.get_body(("plain",)).get_content()
    assert "18:00" in text and "19:30" in text and "→" in text
    part, cal = calendar_of(mail)
    assert part.get_param("method") == "REQUEST" and int(cal.walk("VEVENT")[0]["SEQUENCE"]) == 3


def test_cancellation_is_method_cancel(db, invitation):
    event = invitation.event
    services.send_invitations(event.id)
    db.session.commit()
    from eventsapp import signals

    event.sequence, event.status = 3, EventStatus.CANCELLED
    change = EventChange(event=event, sequence=3, kind=ChangeKind.CANCELLED)
    db.session.add(change)
    db.session.flush()
    signals.event_changed.send(event, changes=[change])
    mail = parsed(queued(db, invitation, MessageKind.CANCELLATION))
    part, cal = calendar_of(mail)
    assert part.get_param("method") == "CANCEL" == str(cal["METHOD"])
    vevent = cal.walk("VEVENT")[0]
    assert str(vevent["STATUS"]) == "CANCELLED" and int(vevent["SEQUENCE"]) == 3
    assert str(vevent["ATTENDEE"]) == "mailto:giang@example.vn"
    assert "/rsvp/" not in mail.get_body(("html",)).get_content().split("unsubscribe")[0] or True
    assert "accepted" not in mail.get_body(("plain",)).get_content()


def test_campaign_invitation_lists_every_event_with_its_own_answer_links(db):
    from tests.factories import CampaignFactory

    association = AssociationFactory()
    campaign = CampaignFactory(association=association, title_vi="Tuần lễ Tết Việt 2027")
    first = EventFactory(association=association, campaign=campaign, title_vi="Lễ khai mạc")
    second = EventFactory(association=association, campaign=campaign, title_vi="Đêm văn nghệ")
    contact = ContactFactory()
    result = services.add_campaign_invitees(campaign, services.Criteria(contact_ids=[contact.id]), user=None)
    assert result.added == 2
    _, queued_count = services.send_campaign_invitations(campaign.id)
    db.session.commit()
    assert queued_count == 1
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == MessageKind.CAMPAIGN_INVITATION))
    mail = parsed(message)
    assert mail["Subject"] == "Thư mời: Tuần lễ Tết Việt 2027"
    text = mail.get_body(("plain",)).get_content()
    for event in (first, second):
        token = next(i.token for i in db.session.scalars(select(services.Invitation).where(
            services.Invitation.event_id == event.id)))
        assert event.title_vi in text and f"/rsvp/{token}?answer=accepted" in text
    attachment = next(p for p in mail.walk() if p.get_content_type() == "application/ics")
    cal = icalendar.Calendar.from_ical(attachment.get_content())
    assert len(cal.walk("VEVENT")) == 2 and str(cal["METHOD"]) == "PUBLISH"
    assert '<html lang="vi">' in mail.get_body(("html",)).get_content()


def test_an_english_readers_campaign_invitation_is_marked_english(db):
    from tests.factories import CampaignFactory

    association = AssociationFactory()
    campaign = CampaignFactory(association=association, title_vi="Tuần lễ Tết Việt 2027", title_en="Tet week 2027")
    EventFactory(association=association, campaign=campaign, title_vi="Lễ khai mạc", title_en="Opening")
    contact = ContactFactory(language="en")
    services.add_campaign_invitees(campaign, services.Criteria(contact_ids=[contact.id]), user=None)
    services.send_campaign_invitations(campaign.id)
    db.session.commit()
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == MessageKind.CAMPAIGN_INVITATION))
    mail = parsed(message)
    assert mail["Subject"].endswith("Tet week 2027")
    assert '<html lang="en">' in mail.get_body(("html",)).get_content()  # was "vi" for every reader


def test_a_contact_who_unsubscribed_after_queueing_is_not_rendered(db, invitation):
    from eventsapp.invitations.emails import RecipientOptedOut
    from eventsapp.mail.transport import PermanentFailure
    from eventsapp.timeutils import utcnow

    services.send_invitations(invitation.event_id)
    message = queued(db, invitation)
    invitation.contact.opted_out_at = utcnow()
    db.session.commit()
    with pytest.raises(RecipientOptedOut) as raised:
        render(message)
    assert isinstance(raised.value, PermanentFailure)


def test_long_vietnamese_summaries_fold_without_breaking_characters(db, invitation):
    services.send_invitations(invitation.event_id)
    part, cal = calendar_of(parsed(queued(db, invitation)))
    raw = part.get_payload(decode=True)
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    for line in raw.split(b"\r\n"):
        line.decode("utf-8")  # no line ends in the middle of a multi-byte character
    assert str(cal.walk("VEVENT")[0]["SUMMARY"]) == TITLE


@pytest.mark.parametrize("viewer_zone", ["Europe/Prague", "America/Los_Angeles"])
def test_thunderbirds_parser_reads_the_invitation_and_agrees_on_times(db, invitation, viewer_zone):
    """ical.js (the parser behind Thunderbird) reads the iTIP REQUEST of the e-mail."""
    from tests.support.icaljs import assert_valid_ics, expected_wall_time

    services.send_invitations(invitation.event_id)
    part, _ = calendar_of(parsed(queued(db, invitation)))
    reading = assert_valid_ics(part.get_content().encode(), viewer_zone)
    assert reading.method == "REQUEST"
    seen = reading.by_uid(invitation.event.uid)
    assert seen.start == invitation.event.starts_at and seen.end == invitation.event.ends_at
    assert seen.start_local == expected_wall_time(invitation.event.starts_at, viewer_zone)
    assert seen.sequence == invitation.event.sequence
    assert any(invitation.contact.email in attendee for attendee in seen.attendees)


@pytest.mark.parametrize("kind", [MessageKind.INVITATION, MessageKind.CANCELLATION, MessageKind.CONFIRMATION])
def test_the_batch_calendar_template_gives_the_same_bytes_as_a_direct_serialisation(db, invitation, kind):
    """Within a send batch the calendar is serialised once per event; every recipient's bytes must not change."""
    from eventsapp.calendars.core import personal_event_ics
    from eventsapp.mail.renderers import rendering_batch

    event = invitation.event
    event.description_vi = ("Chương trình: đón khách, văn nghệ; phát biểu, tặng quà \\ giao lưu,\n"
                            "ăn tối; bốc thăm trúng thưởng. " * 6)
    db.session.commit()
    people = [("giang@example.vn", "Nguyễn Thị Hương Giang", "NEEDS-ACTION"),
              ("a.very.long.address.for.folding.tests@subdomain.example.vn",
               "Tôn Nữ Thị Phương Thảo, Hội; \"kiều bào\" \\ Đức", "ACCEPTED"),
              ("x@y.vn", "X", "DECLINED")]
    for locale in ("vi", "en"):
        for n, attendee in enumerate(people):
            options = dict(method="CANCEL" if kind == MessageKind.CANCELLATION else "REQUEST", locale=locale,
                           url=f"https://example.vn/rsvp/{'ab' * (n + 20)}",
                           extra_description=f"Trả lời tại đây: https://example.vn/rsvp/{'cd' * (n * 7 + 1)}, ; \\",
                           organizer_email="hoi-viet-nhat@example.vn", organizer_name="Hội hữu nghị Việt – Nhật Bản",
                           attendee=attendee, cancelled=True if kind == MessageKind.CANCELLATION else None)
            if n == 2:  # a calendar without a personal link
                options.update(url=None, extra_description="")
            direct = personal_event_ics(event, **options)
            templates = {}
            personal_event_ics(event, **{**options, "attendee": people[(n + 1) % 3]}, templates=templates)
            cached = personal_event_ics(event, **options, templates=templates)
            calendars = [value for key, value in templates.items() if key[0] == "ics"]
            assert len(calendars) == 1 and None not in templates.values()  # the templates were used
            assert cached == direct
            assert b"7F3C" not in cached and b"placeholder" not in cached
    services.send_invitations(invitation.event_id)
    message = queued(db, invitation)
    direct = bytes(render(message))
    with rendering_batch():
        cached = bytes(render(message))
    direct_mail = email.message_from_bytes(direct, policy=policy.default)
    cached_mail = email.message_from_bytes(cached, policy=policy.default)
    assert calendar_of(direct_mail)[0].get_content() == calendar_of(cached_mail)[0].get_content()


@pytest.mark.parametrize("kind", [MessageKind.INVITATION, MessageKind.UPDATE, MessageKind.CANCELLATION,
                                  MessageKind.CONFIRMATION])
def test_a_send_batch_gives_every_reader_the_parts_they_would_get_alone(db, invitation, kind):
    """In a batch the text and HTML are rendered once per kind of reader, then personalised: same result."""

    from eventsapp.mail.renderers import rendering_batch
    from eventsapp.mail.services import queue_messages

    event = invitation.event
    readers = [
        invitation,
        InvitationFactory(event=event, status=InvitationStatus.ACCEPTED, guests=2, contact=ContactFactory(
            full_name='Tôn Nữ "Phương" <b>Thảo</b> & Đức', honorific="Bà", timezone="Europe/Berlin", language="en")),
        InvitationFactory(event=event, contact=ContactFactory(full_name="Seán O'Brien", language="en",
                                                              timezone="Europe/Berlin")),
        InvitationFactory(event=event, status=InvitationStatus.DECLINED,
                          contact=ContactFactory(full_name="Lê Văn Tám", timezone="America/Los_Angeles",
                                                 honorific="Đồng chí", position="Phó Chủ tịch <Hội> Việt – Nhật")),
    ]
    db.session.flush()
    queue_messages([{"kind": kind, "dedupe_key": f"batch-test:{i.id}", "recipient": i.contact.email,
                     "contact_id": i.contact_id, "invitation_id": i.id, "event_id": event.id} for i in readers],
                   wake_sender=False)
    messages = list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key.like("batch-test:%"))
                                       .order_by(OutboxMessage.id)))

    def parts(mail):
        parsed_mail = email.message_from_bytes(bytes(mail), policy=policy.default)
        text = parsed_mail.get_body(preferencelist=("plain",)).get_content()
        html = parsed_mail.get_body(preferencelist=("html",)).get_content()
        cids = [p["Content-ID"] for p in parsed_mail.walk() if p["Content-ID"]]
        for cid in cids:  # a fresh Content-ID per message; it must be the one the HTML refers to
            assert f'src="cid:{cid[1:-1]}"' in html
            html = html.replace(cid[1:-1], "CID")
        return text, html

    alone = [parts(render(message)) for message in messages]
    with rendering_batch():
        together = [parts(render(message)) for message in messages]
    assert together == alone
    assert all("7F3C" not in text + html for text, html in together)
    assert "Tôn Nữ &#34;Phương&#34; &lt;b&gt;Thảo&lt;/b&gt; &amp; Đức" in together[1][1]
    assert 'Tôn Nữ "Phương" <b>Thảo</b> & Đức' in together[1][0]
    # Each reader greeted in full, formally (issue 26): the form of address, the name and the position.
    assert together[1][0].startswith('Dear Ms Tôn Nữ "Phương" <b>Thảo</b> & Đức,')
    assert together[3][0].startswith("Kính gửi: Đồng chí Lê Văn Tám, Phó Chủ tịch <Hội> Việt – Nhật")
    assert "Kính gửi: Đồng chí Lê Văn Tám, Phó Chủ tịch &lt;Hội&gt; Việt – Nhật" in together[3][1]
    assert readers[2].contact.unsubscribe_token in together[2][0] and readers[2].contact.feed_token in together[2][1]
    if kind != MessageKind.CANCELLATION:  # (a cancellation has no answer links)
        assert readers[2].token in together[2][0] and readers[2].token in together[2][1]


def test_an_edit_made_while_a_send_runs_shows_in_its_next_messages(db, invitation):
    """A dispatch keeps its shared renders across batches; an edit of the event or of its association
    (name, in the body and the calendar's ORGANIZER) reaches every message rendered after it."""
    from eventsapp.mail.renderers import rendering_batch
    from eventsapp.mail.services import queue_messages

    event = invitation.event
    readers = [invitation] + [InvitationFactory(event=event, contact=ContactFactory(full_name=f"Khách {n}"))
                              for n in range(2)]
    db.session.flush()
    queue_messages([{"kind": MessageKind.INVITATION, "dedupe_key": f"edit-test:{i.id}", "recipient": i.contact.email,
                     "contact_id": i.contact_id, "invitation_id": i.id, "event_id": event.id} for i in readers],
                   wake_sender=False)
    first, second, third = db.session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key.like("edit-test:%"))
                                              .order_by(OutboxMessage.id))

    def shown(message):
        mail = parsed(message)
        text = mail.get_body(preferencelist=("plain",)).get_content()
        return text, str(calendar_of(mail)[1].walk("VEVENT")[0]["ORGANIZER"].params["CN"])

    with rendering_batch():
        text, organizer = shown(first)
        assert "Hội hữu nghị Việt – Nhật Bản" in text and organizer == "Hội hữu nghị Việt – Nhật Bản"
        event.association.name_vi = "Hội hữu nghị Việt Nam – Nhật Bản tỉnh Bắc Giang"
        db.session.commit()
        with rendering_batch():  # the sender's batch inside the dispatch: the same memo
            text, organizer = shown(second)
        assert "Hội hữu nghị Việt Nam – Nhật Bản tỉnh Bắc Giang" in text
        assert organizer == "Hội hữu nghị Việt Nam – Nhật Bản tỉnh Bắc Giang"
        event.title_vi = "Gặp mặt đầu Xuân (giờ mới)"
        db.session.commit()
        assert "Gặp mặt đầu Xuân (giờ mới)" in shown(third)[0]


def test_the_qr_code_in_the_invitation_opens_the_invitees_check_in(db, invitation):
    """The inline image is a QR code a phone reads as this invitee's check-in link (zxing-cpp decodes it)."""
    import io

    import zxingcpp
    from PIL import Image

    from eventsapp import links

    services.send_invitations(invitation.event_id)
    mail = parsed(queued(db, invitation))
    [image] = [p for p in mail.walk() if p.get_content_type() == "image/png"]
    assert image["Content-ID"][1:-1] in mail.get_body(preferencelist=("html",)).get_content()
    [decoded] = zxingcpp.read_barcodes(Image.open(io.BytesIO(image.get_content())))
    assert decoded.format == zxingcpp.BarcodeFormat.QRCode
    assert decoded.text == links.checkin_url(invitation)
