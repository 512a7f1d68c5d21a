"""What the feeds contain: public/private split, cancellations, personal rule, no personal data,
and every produced calendar read by ical.js (Thunderbird's parser) and icalendar alike."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from eventsapp import links
from eventsapp.associations.models import AssociationKind
from eventsapp.campaigns.models import CampaignStatus
from eventsapp.events.models import EventKind, EventStatus, Visibility
from eventsapp.invitations.models import InvitationStatus
from eventsapp.timeutils import utcnow
from tests.factories import AssociationFactory, CampaignFactory, ContactFactory, EventFactory, InvitationFactory
from tests.feeds_support import cancel_event
from tests.support.icaljs import assert_valid_ics, expected_wall_time

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
VIEWERS = ("Europe/Prague", "America/Los_Angeles")


def get_ics(client, url: str) -> bytes:
    response = client.get(url.replace("http://eventsapp.test", ""))
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    return response.data


def hcm(*args) -> datetime:
    return datetime(*args, tzinfo=HCM)


def test_invite_only_events_only_in_the_private_feed(client):
    association = AssociationFactory()
    public = EventFactory(association=association, title_vi="Gặp mặt đầu xuân công khai")
    private = EventFactory(association=association, visibility=Visibility.INVITE_ONLY, title_vi="Họp kín ban chấp hành")
    draft = EventFactory(association=association, status=EventStatus.DRAFT, title_vi="Bản nháp chưa công bố")

    public_feed = assert_valid_ics(get_ics(client, links.association_feed_url(association)))
    private_feed = assert_valid_ics(get_ics(client, links.association_private_feed_url(association)))

    assert public_feed.uids == {public.uid}
    assert private_feed.uids == {public.uid, private.uid}
    assert draft.uid not in private_feed.uids
    assert public_feed.name == association.name_vi
    assert private_feed.by_uid(public.uid).url == links.public_event_url(public)
    assert private_feed.by_uid(private.uid).url is None  # no public page for an invite-only event


def test_public_feeds_carry_no_personal_data(client):
    association = AssociationFactory()
    campaign = CampaignFactory(association=association, status=CampaignStatus.PUBLISHED)
    event = EventFactory(association=association, campaign=campaign)
    contacts = [ContactFactory(full_name=f"Trần Thị Bích Ngọc {n}", email=f"ngoc{n}@example.vn") for n in range(3)]
    for contact, status in zip(contacts, (InvitationStatus.ACCEPTED, InvitationStatus.PENDING, InvitationStatus.DECLINED), strict=True):
        InvitationFactory(event=event, contact=contact, status=status)

    for url in (links.association_feed_url(association), links.association_private_feed_url(association),
                links.campaign_feed_url(campaign), links.public_event_ics_url(event)):
        body = get_ics(client, url)
        text = body.decode("utf-8").replace("\r\n ", "")
        assert event.uid in text
        for contact in contacts:
            assert contact.full_name not in text and contact.email not in text
            assert "Trần Thị Bích Ngọc" not in text
        assert "ATTENDEE" not in text
        assert all(not e.attendees for e in assert_valid_ics(body).events)


def test_cancelled_event_kept_thirty_days_as_cancelled(client):
    association = AssociationFactory()
    recent = EventFactory(association=association, title_vi="Đêm nhạc hữu nghị")
    old = EventFactory(association=association, title_vi="Hội chợ cũ")
    cancel_event(recent)
    cancel_event(old, when=utcnow() - timedelta(days=31))

    body = get_ics(client, links.association_feed_url(association))
    parsed = assert_valid_ics(body)
    assert parsed.uids == {recent.uid}
    cancelled = parsed.by_uid(recent.uid)
    assert cancelled.status == "CANCELLED"
    assert cancelled.summary == "[Đã hủy] Đêm nhạc hữu nghị"
    assert cancelled.sequence == 1
    # The single-event download keeps answering during those 30 days too.
    assert assert_valid_ics(get_ics(client, links.public_event_ics_url(recent))).events[0].status == "CANCELLED"
    assert client.get(links.public_event_ics_url(old).replace("http://eventsapp.test", "")).status_code == 404


def test_personal_feed_shows_accepted_and_tentative_events_of_that_contact_only(client):
    contact = ContactFactory(full_name="Lê Văn Hùng")
    other = ContactFactory(full_name="Phạm Thị Lan", email="lan@example.vn")
    accepted = EventFactory(visibility=Visibility.INVITE_ONLY, title_vi="Lễ trao Bằng khen")
    tentative = EventFactory(title_vi="Giao lưu văn hóa")
    pending = EventFactory(title_vi="Chờ trả lời")
    declined = EventFactory(title_vi="Đã từ chối")
    others_only = EventFactory(title_vi="Sự kiện của người khác")
    InvitationFactory(event=accepted, contact=contact, status=InvitationStatus.ACCEPTED)
    InvitationFactory(event=accepted, contact=other, status=InvitationStatus.ACCEPTED)
    InvitationFactory(event=tentative, contact=contact, status=InvitationStatus.TENTATIVE)
    InvitationFactory(event=pending, contact=contact, status=InvitationStatus.PENDING)
    InvitationFactory(event=declined, contact=contact, status=InvitationStatus.DECLINED)
    InvitationFactory(event=others_only, contact=other, status=InvitationStatus.ACCEPTED)

    body = get_ics(client, links.personal_feed_url(contact))
    parsed = assert_valid_ics(body)
    assert parsed.uids == {accepted.uid, tentative.uid}
    assert parsed.by_uid(accepted.uid).status == "CONFIRMED"
    assert parsed.by_uid(tentative.uid).status == "TENTATIVE"
    text = body.decode("utf-8").replace("\r\n ", "")
    assert other.full_name not in text and other.email not in text and "ATTENDEE" not in text


@pytest.mark.parametrize("viewer", VIEWERS)
def test_icaljs_agrees_on_times_in_every_produced_calendar(client, viewer):
    association = AssociationFactory(name_vi="Hội hữu nghị Việt Nam – Séc")
    campaign = CampaignFactory(association=association, title_vi="Tuần lễ Tết Việt 2027", status=CampaignStatus.PUBLISHED)
    contact = ContactFactory()
    # Winter (Prague +1, LA −8) and summer (Prague +2, LA −7), across midnight in the viewer's zones.
    winter = EventFactory(association=association, campaign=campaign, kind=EventKind.TET_WEEK,
                          starts_at=hcm(2027, 2, 6, 19, 30), ends_at=hcm(2027, 2, 6, 22, 0))
    summer = EventFactory(association=association, campaign=campaign, visibility=Visibility.PUBLIC,
                          starts_at=hcm(2027, 7, 15, 8, 0), ends_at=hcm(2027, 7, 15, 11, 30),
                          online_url="https://meet.example.vn/giao-luu")
    private = EventFactory(association=association, visibility=Visibility.INVITE_ONLY,
                           starts_at=hcm(2027, 3, 29, 0, 30), ends_at=hcm(2027, 3, 29, 2, 0))
    for event in (winter, summer, private):
        InvitationFactory(event=event, contact=contact, status=InvitationStatus.ACCEPTED)

    calendars = {
        "public": (links.association_feed_url(association), [winter, summer]),
        "private": (links.association_private_feed_url(association), [winter, summer, private]),
        "campaign": (links.campaign_feed_url(campaign), [winter, summer]),
        "personal": (links.personal_feed_url(contact), [winter, summer, private]),
        "single": (links.public_event_ics_url(summer), [summer]),
    }
    for label, (url, events) in calendars.items():
        parsed = assert_valid_ics(get_ics(client, url), viewer_zone=viewer)
        assert parsed.uids == {e.uid for e in events}, label
        assert parsed.timezones == ["Asia/Ho_Chi_Minh"], label
        for event in events:
            seen = parsed.by_uid(event.uid)
            assert seen.start == event.starts_at and seen.end == event.ends_at, label
            assert seen.start_zone == "Asia/Ho_Chi_Minh", label
            assert seen.start_local == expected_wall_time(event.starts_at, viewer), label
            assert seen.end_local == expected_wall_time(event.ends_at, viewer), label
            assert seen.summary == event.title_vi, label
    # The winter event at 19:30 in Hà Nội is 13:30 in Prague and 04:30 in Los Angeles.
    expected = {"Europe/Prague": "2027-02-06T13:30:00", "America/Los_Angeles": "2027-02-06T04:30:00"}[viewer]
    assert expected_wall_time(winter.starts_at, viewer) == expected


def test_single_event_download_is_a_publish_with_organizer(client):
    association = AssociationFactory(sender_email="hoi@example.vn")
    event = EventFactory(association=association)
    parsed = assert_valid_ics(get_ics(client, links.public_event_ics_url(event)))
    assert parsed.method == "PUBLISH"
    assert parsed.events[0].organizer == "mailto:hoi@example.vn"
    invite_only = EventFactory(visibility=Visibility.INVITE_ONLY)
    assert client.get(f"/e/{invite_only.slug}.ics").status_code == 404
    assert client.get("/e/khong-co.ics").status_code == 404


def test_long_vietnamese_text_folds_on_character_boundaries(client):
    association = AssociationFactory()
    title = ("Lễ kỷ niệm 75 năm thiết lập quan hệ ngoại giao và tôn vinh những người đóng góp xuất sắc "
             "cho tình hữu nghị giữa hai dân tộc — Đêm hội ở Thành phố Hồ Chí Minh")
    description = "Chương trình: phát biểu khai mạc; trao Bằng khen, Giấy khen.\nTiệc trà thân mật ở sảnh Đông. " * 4
    event = EventFactory(association=association, title_vi=title, description_vi=description)
    body = get_ics(client, links.association_feed_url(association))
    parsed = assert_valid_ics(body)  # each line ≤ 75 octets, never a split character
    assert max(len(line) for line in body.split(b"\r\n")) > 60  # long lines were folded, not avoided
    seen = parsed.by_uid(event.uid)
    assert seen.summary == title
    assert seen.description.startswith(description.strip()[:80])
    assert "ư" in seen.description and "Đ" in seen.description


def test_calendar_properties_and_all_day_events(client):
    association = AssociationFactory(name_vi="Hội hữu nghị Việt Nam – Nhật Bản")
    branch = AssociationFactory(parent=association, kind=AssociationKind.BRANCH, name_vi="Chi hội Osaka")
    all_day = EventFactory(association=association, all_day=True, title_vi="Ngày hội văn hóa",
                           starts_at=hcm(2027, 4, 10, 0, 0), ends_at=hcm(2027, 4, 11, 0, 0))
    branch_event = EventFactory(association=branch, title_vi="Gặp mặt chi hội")

    body = get_ics(client, links.association_feed_url(association))
    text = body.decode("utf-8")
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in text and "X-PUBLISHED-TTL:PT1H" in text
    assert "X-WR-CALNAME:Hội hữu nghị Việt Nam – Nhật Bản" in text and "X-WR-CALDESC:" in text
    assert "DTSTART;VALUE=DATE:20270410" in text and "DTEND;VALUE=DATE:20270411" in text
    assert "CATEGORIES:" in text and "METHOD" not in text
    parsed = assert_valid_ics(body)
    assert parsed.uids == {all_day.uid}
    assert parsed.by_uid(all_day.uid).all_day and parsed.by_uid(all_day.uid).start_date == "2027-04-10"

    with_branches = assert_valid_ics(get_ics(client, links.association_feed_url(association) + "?branches=1"))
    assert with_branches.uids == {all_day.uid, branch_event.uid}
    assert "chi hội" in with_branches.name


def test_feed_output_is_deterministic(client, db):
    from eventsapp.feeds import builder
    from eventsapp.feeds.models import FeedKind

    association = AssociationFactory()
    for n in range(5):
        EventFactory(association=association, starts_at=hcm(2027, 5, 1, 9, 0), ends_at=hcm(2027, 5, 1, 12, n))
    first = builder.build(FeedKind.ASSOCIATION, association.id).body
    db.session.expire_all()
    assert builder.build(FeedKind.ASSOCIATION, association.id).body == first


def test_unknown_feeds_answer_404(client):
    for url in ("/feeds/associations/khong-co.ics", "/feeds/campaigns/khong-co.ics",
                "/feeds/personal/khong-co.ics", "/feeds/associations/khong-co/private/x.ics"):
        assert client.get(url).status_code == 404, url
    association = AssociationFactory()
    assert client.get(f"/feeds/associations/{association.slug}/private/wrong-token.ics").status_code == 404
