"""Event rules: what invitees must hear about bumps the sequence, once per save; signals; honorees."""
from datetime import datetime, timedelta

import pytest

from eventsapp import signals
from eventsapp.events import services
from eventsapp.events.models import ChangeKind, EventChange, EventStatus
from eventsapp.invitations.models import Invitation
from tests.factories import AssociationFactory, ContactFactory, EventFactory, InvitationFactory


@pytest.fixture
def received():
    seen = {"saved": [], "changed": []}

    def on_saved(event, **_):
        seen["saved"].append(event.id)

    def on_changed(event, changes=(), **_):
        seen["changed"].append((event.id, event.sequence, sorted(c.kind.value for c in changes)))

    signals.event_saved.connect(on_saved)
    signals.event_changed.connect(on_changed)
    yield seen
    signals.event_saved.disconnect(on_saved)
    signals.event_changed.disconnect(on_changed)


def test_create_makes_a_draft_with_a_folded_unique_slug(db):
    association = AssociationFactory()
    values = dict(title_vi="Tuần lễ Tết Việt 2027", starts_at=datetime(2027, 2, 3, 2, tzinfo=services.UTC),
                  ends_at=datetime(2027, 2, 3, 5, tzinfo=services.UTC))
    first = services.create_event(association, **values)
    second = services.create_event(association, **values)
    db.session.commit()
    assert first.slug == "tuan-le-tet-viet-2027"
    assert second.slug == "tuan-le-tet-viet-2027-2"
    assert first.status == EventStatus.DRAFT and first.sequence == 0
    assert first.uid != second.uid and first.timezone == "Asia/Ho_Chi_Minh"


def test_time_change_bumps_sequence_and_is_recorded(db, received):
    event = EventFactory()
    old_start = event.starts_at
    changes = services.update_event(event, starts_at=old_start + timedelta(hours=1),
                                    ends_at=event.ends_at + timedelta(hours=1))
    db.session.commit()
    assert event.sequence == 1
    assert [c.kind for c in changes] == [ChangeKind.TIME]
    assert changes[0].before["starts_at"] == old_start.isoformat()
    assert changes[0].after["starts_at"] == (old_start + timedelta(hours=1)).isoformat()
    assert received["changed"] == [(event.id, 1, ["time"])]
    assert received["saved"] == [event.id]


def test_description_typo_does_not_bump_sequence(db, received):
    event = EventFactory(description_vi="Gặp mặt kiều bao")
    changes = services.update_event(event, description_vi="Gặp mặt kiều bào", title_en="Gathering")
    db.session.commit()
    assert changes == [] and event.sequence == 0
    assert db.session.query(EventChange).count() == 0
    assert received["changed"] == [] and received["saved"] == [event.id]


def test_one_bump_per_save_with_one_change_per_kind(db, received):
    event = EventFactory()
    changes = services.update_event(event, starts_at=event.starts_at + timedelta(days=1),
                                    ends_at=event.ends_at + timedelta(days=1), venue_name="Khách sạn Mường Thanh",
                                    online_url="https://meet.example.vn/x")
    services.update_event(event, venue_address="Số 1 Hùng Vương")
    db.session.commit()
    assert sorted(c.kind.value for c in changes) == ["online", "place", "time"]
    assert {c.sequence for c in changes} == {1}
    assert event.sequence == 2
    assert [c[1:] for c in received["changed"]] == [(1, ["online", "place", "time"]), (2, ["place"])]


def test_rules_are_checked(db):
    event = EventFactory()
    with pytest.raises(services.EventError):
        services.update_event(event, ends_at=event.starts_at - timedelta(hours=1))
    with pytest.raises(services.EventError):
        services.update_event(event, rsvp_deadline=event.starts_at + timedelta(hours=1))
    with pytest.raises(services.EventError):
        services.update_event(event, capacity=0)
    with pytest.raises(services.EventError):
        services.update_event(event, timezone="Asia/Hanoi_Nowhere")


def test_cancel_records_bumps_and_signals(db, received):
    event = EventFactory(status=EventStatus.PUBLISHED)
    change = services.cancel(event, reason="Bão lớn")
    db.session.commit()
    assert event.status == EventStatus.CANCELLED and event.cancelled_at is not None
    assert change.kind == ChangeKind.CANCELLED and event.sequence == 1
    assert received["changed"] == [(event.id, 1, ["cancelled"])]
    assert services.cancel(event) is None and event.sequence == 1  # twice is once
    with pytest.raises(services.EventError):
        services.update_event(event, title_vi="Khác")


def test_publish(db, received):
    event = EventFactory(status=EventStatus.DRAFT)
    services.publish(event)
    assert event.status == EventStatus.PUBLISHED and event.published_at is not None
    assert received["saved"] == [event.id]


def test_honorees_mark_invitations(db):
    event = EventFactory()
    contact, other = ContactFactory(), ContactFactory()
    invitation = InvitationFactory(event=event, contact=contact)
    other_invitation = InvitationFactory(event=event, contact=other)
    honoree = services.add_honoree(event, contact, "Bằng khen", "Đóng góp quỹ vắc-xin")
    second = services.add_honoree(event, contact, "Giấy khen")
    db.session.commit()
    assert db.session.get(Invitation, invitation.id).is_honoree is True
    assert db.session.get(Invitation, other_invitation.id).is_honoree is False
    with pytest.raises(services.EventError):
        services.add_honoree(event, contact, "Bằng khen")
    services.remove_honoree(honoree)
    db.session.commit()
    assert db.session.get(Invitation, invitation.id).is_honoree is True  # still has a Giấy khen
    services.remove_honoree(second)
    db.session.commit()
    assert db.session.get(Invitation, invitation.id).is_honoree is False


def test_invitations_made_later_are_marked_for_honorees(db):
    event = EventFactory()
    contact = ContactFactory()
    services.add_honoree(event, contact, "Giấy khen")
    invitation = InvitationFactory(event=event, contact=contact)
    signals.invitations_created.send(event, invitation_ids=[invitation.id])
    db.session.commit()
    assert db.session.get(Invitation, invitation.id).is_honoree is True


def test_honorees_csv_in_vietnamese_order(db):
    event = EventFactory()
    services.add_honoree(event, ContactFactory(full_name="Trần Văn Bình", country="Séc"), "Giấy khen", "Tích cực")
    services.add_honoree(event, ContactFactory(full_name="Nguyễn Thị Ánh"), "Bằng khen")
    db.session.commit()
    text = services.honorees_csv(event)
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0] == "Họ và tên,Email,Quốc gia,Danh hiệu,Lý do khen thưởng"
    assert lines[1].startswith("Nguyễn Thị Ánh,") and lines[2].startswith("Trần Văn Bình,")


def test_anniversary_title():
    from datetime import date

    association = AssociationFactory.build(name_vi="Hội hữu nghị Việt Nam – Lào", founded_on=date(1996, 7, 18))
    assert services.anniversary_title(association, date(2026, 7, 18)) == \
        "Kỷ niệm 30 năm thành lập Hội hữu nghị Việt Nam – Lào"
    assert services.anniversary_ordinal(date(1950, 5, 17), date(2027, 5, 17)) == 77


def test_slug_stays_when_the_title_changes(db):
    event = EventFactory(slug="gap-mat-kieu-bao")
    services.update_event(event, title_vi="Gặp mặt kiều bào mùa Xuân")
    db.session.commit()
    assert event.slug == "gap-mat-kieu-bao"
