"""Issue 29: every staff action the issue lists leaves its audit entry — the action, who (account, IP), the
association, the object's ids and counts — and no personal value (names, addresses, numbers, texts typed).
One test per action, each through the page, the API or the command line that real users take."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from eventsapp.associations.models import Membership, Role
from eventsapp.audit.models import AuditEntry
from eventsapp.ceremony import protocol, seating
from eventsapp.ceremony.models import ProtocolPosition, SeatTable
from eventsapp.events.models import EventStatus, Visibility
from eventsapp.guests.models import Delegation
from eventsapp.questions.models import Question
from eventsapp.registration.models import Registration, RegistrationSettings, RegistrationState
from eventsapp.reminders import services as reminders
from eventsapp.timeutils import utcnow
from tests.ceremony_support import ceremony
from tests.conftest import csrf_token_from
from tests.factories import (
    AssociationFactory,
    ContactFactory,
    EventFactory,
    InvitationFactory,
    UserFactory,
    staff,
)

ORGANISER = "to-chuc@example.vn"


def entries(db, action: str) -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def one(db, action: str, **details) -> AuditEntry:
    """The single entry of `action` whose details include `details`."""
    found = [e for e in entries(db, action) if all(e.details.get(k) == v for k, v in details.items())]
    assert len(found) == 1, (action, details, [e.details for e in entries(db, action)])
    return found[0]


def no_values(entry: AuditEntry, *values: str) -> None:
    """None of the personal (or typed) values appears anywhere in the entry."""
    text = " ".join(str(v) for v in (entry.details, entry.target_id, entry.target_type))
    for value in values:
        assert value not in text, (value, entry.details)


def organiser_of(association, role=Role.ORGANISER):
    return staff(association, role, email=ORGANISER)


def by(entry: AuditEntry, user, association) -> None:
    assert (entry.actor, entry.actor_id, entry.association_id) == (user.email, user.id, association.id)
    assert entry.ip == "127.0.0.1"


# ---------------------------------------------------------------- event settings

def test_event_created_edited_published_and_cancelled_on_the_page_and_by_the_api(db, auth, api, client):
    association = AssociationFactory()
    organiser = organiser_of(association)
    auth.login(organiser)
    form = {"association_id": association.id, "campaign_id": 0, "kind": "meeting", "visibility": "public",
            "title_vi": "Gặp mặt bí mật", "title_en": "", "timezone": "Asia/Ho_Chi_Minh",
            "starts_local": "2027-01-15T19:00", "ends_local": "2027-01-15T21:00", "venue_name": "Nhà văn hóa",
            "venue_address": "Số 5 phố Huế", "max_guests": "1", "description_vi": ""}
    assert auth.post("/events/new", form).status_code == 302
    created = one(db, "settings_changed", what="event", change="created")
    by(created, organiser, association)
    event_id = int(created.target_id)
    assert created.target_type == "events"
    assert auth.post(f"/events/{event_id}/edit", {**form, "venue_name": "Hội trường lớn",
                                                  "starts_local": "2027-01-16T19:00",
                                                  "ends_local": "2027-01-16T21:00"}).status_code == 302
    edited = one(db, "settings_changed", what="event", change="edited")
    assert edited.details["fields"] == ["ends_at", "starts_at", "venue_name"]
    assert edited.details["sequence_raised"] is True
    no_values(edited, "Hội trường lớn", "Gặp mặt bí mật", "Số 5 phố Huế")

    # The API's edit, publication and cancellation: one entry each, by the token's owner.
    assert api(organiser).patch(f"/api/v1/events/{event_id}", json={"title_en": "Secret meeting"}).status_code == 200
    assert one(db, "settings_changed", what="event", change="edited", fields=["title_en"]).actor == ORGANISER
    # A save changing nothing leaves no entry.
    before = len(entries(db, "settings_changed"))
    assert api(organiser).patch(f"/api/v1/events/{event_id}", json={"title_en": "Secret meeting"}).status_code == 200
    assert len(entries(db, "settings_changed")) == before
    assert api(organiser).post(f"/api/v1/events/{event_id}/publish").status_code == 200
    assert api(organiser).post(f"/api/v1/events/{event_id}/cancel", json={}).status_code == 200
    for change in ("published", "cancelled"):
        entry = one(db, "settings_changed", what="event", change=change)
        assert (entry.target_id, entry.association_id) == (str(event_id), association.id)


def test_guest_options_of_an_event(db, auth):
    event = EventFactory()
    organiser = organiser_of(event.association)
    auth.login(organiser)
    assert auth.post(f"/events/{event.id}/guests/options", {"guests_must_be_named": "y"},
                     form_url=f"/events/{event.id}/guests").status_code in (302, 303)
    entry = one(db, "settings_changed", what="event_guests")
    by(entry, organiser, event.association)
    assert entry.details["fields"] == ["guests_must_be_named"] and entry.details["guests_must_be_named"] is True


# ---------------------------------------------------------------- reminders

def test_reminder_rule_added_edited_its_message_changed_and_removed(db, auth, api):
    event = EventFactory(starts_at=utcnow() + timedelta(days=20), ends_at=utcnow() + timedelta(days=20, hours=2))
    organiser = organiser_of(event.association)
    auth.login(organiser)
    url = f"/events/{event.id}/reminders"
    form = {"kind": "reminder", "timing": "relative", "amount": "2", "unit": "days", "to_accepted": "y",
            "message_vi": "Nhớ mang giấy mời, anh Hùng nhé"}
    assert auth.post(url, form).status_code == 302
    rule, = reminders.event_rules(event)
    added = one(db, "settings_changed", what="reminder", change="added")
    by(added, organiser, event.association)
    assert (added.target_type, added.target_id, added.details["event_id"]) == ("reminder_rules", str(rule.id), event.id)
    no_values(added, "Hùng", "giấy mời")

    edit = f"/events/{event.id}/reminders/{rule.id}/edit"
    assert auth.post(edit, {**form, "amount": "3"}).status_code == 302
    edited = one(db, "settings_changed", what="reminder", change="edited")
    assert edited.details["fields"] == ["offset_minutes"] and entries(db, "template_changed") == []
    # The reminder's own words: a template change, which languages, never the text.
    assert auth.post(edit, {**form, "amount": "3", "message_vi": "Lời nhắn mới cho chị Lan",
                            "message_en": "Bring the card"}).status_code == 302
    message = one(db, "template_changed", what="reminder_message")
    by(message, organiser, event.association)
    assert (message.target_id, message.details["languages"]) == (str(rule.id), ["en", "vi"])
    no_values(message, "chị Lan", "Bring the card")

    assert auth.post(f"{url}/{rule.id}/remove", {}, form_url=url).status_code == 302
    assert one(db, "settings_changed", what="reminder", change="removed").target_id == str(rule.id)
    # The API's rule: added and removed, the same entries.
    created = api(organiser).post(f"/api/v1/events/{event.id}/reminders", json={
        "kind": "reminder", "offset_minutes": -60, "audience": ["accepted"]})
    assert created.status_code == 201, created.json
    assert api(organiser).delete(f"/api/v1/events/{event.id}/reminders/{created.json['id']}").status_code == 204
    assert [e.target_id for e in entries(db, "settings_changed") if e.details.get("what") == "reminder"][-2:] == [
        str(created.json["id"])] * 2


def test_association_default_reminders_are_recorded_under_the_association(db, auth):
    association = AssociationFactory()
    organiser = organiser_of(association)
    auth.login(organiser)
    assert auth.post(f"/associations/{association.slug}/reminders", {
        "kind": "reminder", "timing": "relative", "amount": "1", "unit": "days", "to_accepted": "y"}).status_code == 302
    entry = one(db, "settings_changed", what="reminder", change="added")
    by(entry, organiser, association)
    assert entry.details["default"] is True


# ---------------------------------------------------------------- channels, Zalo, quiet hours

def test_channel_order_and_zalo_template_changes(db, auth):
    invitation = InvitationFactory()
    event, association = invitation.event, invitation.event.association
    organiser = organiser_of(association)
    auth.login(organiser)
    assert auth.post(f"/events/{event.id}/channels", {"order": "sms,email"}).status_code in (302, 303)
    order = one(db, "settings_changed", what="channels")
    by(order, organiser, association)
    assert (order.target_id, order.details["order"]) == (str(event.id), ["sms", "email"])
    assert auth.post(f"/associations/{association.slug}/zalo", {
        "kind": "invitation", "template_id": "231456", "params": "customer_name = name",
        "text": "Kính mời ông Tám", "approved": "y"}).status_code == 303
    zalo = one(db, "template_changed", what="zalo")
    by(zalo, organiser, association)
    assert zalo.details == {"what": "zalo", "kind": "invitation", "approved": True,
                            "fields": ["approved", "params", "template_id", "text"]}
    no_values(zalo, "ông Tám")


def test_quiet_hours_and_other_association_settings(db, auth):
    association = AssociationFactory()
    admin = UserFactory(is_admin=True, email="quan-tri@example.vn")
    auth.login(admin)
    url = f"/associations/{association.slug}/edit"
    data = {"name_vi": association.name_vi, "name_en": association.name_en, "slug": association.slug,
            "kind": association.kind.value, "parent_id": "0", "timezone": association.timezone,
            "quiet_from": "22:30", "quiet_until": "06:00"}
    auth.post(url, data=data, form_url=url)
    entry = one(db, "settings_changed", what="association")
    assert (entry.actor, entry.association_id, entry.target_id) == ("quan-tri@example.vn", association.id,
                                                                     str(association.id))
    assert entry.details == {"what": "association", "change": "edited", "fields": ["quiet_from", "quiet_until"]}
