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
from eventsapp.invitations.models import Invitation
from eventsapp.questions.models import Question
from eventsapp.registration.models import RegistrationSettings, RegistrationState
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


# ---------------------------------------------------------------- questions

def test_questions_added_changed_moved_and_removed_on_the_page_and_by_the_api(db, auth, api):
    event = EventFactory()
    organiser = organiser_of(event.association)
    auth.login(organiser)
    url = f"/events/{event.id}/questions/new"
    assert auth.post(url, {"kind": "text", "text_vi": "Bà Hoa ăn chay không?", "for_invitees": "y"}).status_code \
        in (302, 303)
    assert auth.post(url, {"kind": "yes_no", "text_vi": "Cần xe đón?", "for_invitees": "y"}).status_code in (302, 303)
    first, second = db.session.scalars(select(Question).order_by(Question.position)).all()
    added = [e for e in entries(db, "settings_changed") if e.details.get("change") == "added"]
    assert [(e.target_type, e.target_id, e.details["kind"]) for e in added] == [
        ("questions", str(first.id), "text"), ("questions", str(second.id), "yes_no")]
    by(added[0], organiser, event.association)
    no_values(added[0], "Bà Hoa", "ăn chay")

    assert auth.post(f"/events/{event.id}/questions/{first.id}/edit", {
        "kind": "text", "text_vi": "Bà Hoa dùng món gì?", "for_invitees": "y", "required": "y"}).status_code \
        in (302, 303)
    edited = one(db, "settings_changed", what="question", change="edited")
    assert edited.details["fields"] == ["required", "text_vi"] and edited.details["answers_dropped"] == 0
    no_values(edited, "Bà Hoa")
    assert auth.post(f"/events/{event.id}/questions/{second.id}/move", {"direction": "up"},
                     form_url=f"/events/{event.id}/questions").status_code in (302, 303)
    assert one(db, "settings_changed", what="question", change="moved").details["position"] == 1
    # By the API: changed, then removed.
    assert api(organiser).patch(f"/api/v1/events/{event.id}/questions/{first.id}",
                                json={"text_en": "Meal?"}).status_code == 200
    assert one(db, "settings_changed", what="question", change="edited", fields=["text_en"]).actor == ORGANISER
    assert api(organiser).delete(f"/api/v1/events/{event.id}/questions/{first.id}").status_code == 204
    removed = one(db, "settings_changed", what="question", change="removed")
    assert (removed.target_id, removed.details["answers_removed"], removed.association_id) == (
        str(first.id), 0, event.association_id)


# ---------------------------------------------------------------- delegations

def test_delegations_created_revoked_given_a_new_link_and_members_changed_by_staff(db, auth, api, client):
    event = EventFactory(capacity=100)
    organiser = organiser_of(event.association)
    leader = ContactFactory(full_name="Nguyễn Văn Hùng", email="hung@example.cz", associations=[event.association])
    auth.login(organiser)
    assert auth.post(f"/events/{event.id}/delegations", {
        "name": "Hội người Bắc Giang", "leader_email": "hung@example.cz", "quota": "6"},
        form_url=f"/events/{event.id}/guests").status_code in (302, 303)
    delegation = db.session.scalar(select(Delegation))
    created = one(db, "delegation_changed", change="created")
    by(created, organiser, event.association)
    assert (created.target_type, created.target_id) == ("delegations", str(delegation.id))
    assert created.details == {"change": "created", "event_id": event.id, "quota": 6, "leader_contact_id": leader.id,
                               "messages": 1}
    no_values(created, "Hùng", "hung@example.cz", "Bắc Giang", delegation.token)
    assert auth.post(f"/events/{event.id}/delegations/{delegation.id}/new-link", {},
                     form_url=f"/events/{event.id}/guests").status_code in (302, 303)
    renewed = one(db, "delegation_changed", change="new_link")
    db.session.refresh(delegation)
    no_values(renewed, delegation.token)

    members = f"/api/v1/events/{event.id}/delegations/{delegation.id}/members"
    added = api(organiser).post(members, json={"full_name": "Trần Thị Lan", "nationality": "Séc"})
    assert added.status_code == 201, added.json
    member_id = added.json["id"]
    assert api(organiser).delete(f"{members}/{member_id}").status_code == 204
    assert one(db, "delegation_changed", change="member_added").details["member_id"] == member_id
    assert one(db, "delegation_changed", change="member_removed").details["member_id"] == member_id
    no_values(one(db, "delegation_changed", change="member_added"), "Trần Thị Lan", "Séc")

    assert auth.post(f"/events/{event.id}/delegations/{delegation.id}/revoke", {},
                     form_url=f"/events/{event.id}/guests").status_code in (302, 303)
    assert one(db, "delegation_changed", change="revoked").details["members"] == 0


# ---------------------------------------------------------------- registration

def test_registration_settings_and_each_decision(db, auth, client):
    from flask import g

    from tests.test_registration import confirm, last_registration, register

    event = EventFactory(status=EventStatus.PUBLISHED, visibility=Visibility.PUBLIC)
    organiser = organiser_of(event.association)
    auth.login(organiser)
    assert auth.post(f"/events/{event.id}/registration", {"is_open": "y", "needs_approval": "y"}).status_code == 303
    settings = one(db, "settings_changed", what="registration")
    by(settings, organiser, event.association)
    assert settings.details == {"what": "registration", "fields": ["is_open", "needs_approval"], "is_open": True,
                                "needs_approval": True}
    assert db.session.get(RegistrationSettings, event.id).needs_approval
    client.get("/logout")
    g.pop("_login_user", None)
    waiting = []
    for name, address in (("Trần Văn An", "an@example.vn"), ("Lê Thị Bình", "binh@example.vn")):
        register(client, event, full_name=name, email=address)
        confirm(client, event, last_registration(db))
        waiting.append(last_registration(db))
    assert {r.state for r in waiting} == {RegistrationState.PENDING}
    auth.login(organiser)
    url = f"/events/{event.id}/registrations/{{}}/{{}}"
    auth.post(url.format(waiting[0].id, "accept"), {"message": ""}, form_url=f"/events/{event.id}/registration")
    auth.post(url.format(waiting[1].id, "decline"), {"message": "Rất tiếc, chị Bình"},
              form_url=f"/events/{event.id}/registration")
    accepted = one(db, "registration_decided", decision="accepted")
    declined = one(db, "registration_decided", decision="declined")
    by(accepted, organiser, event.association)
    assert (accepted.target_type, accepted.target_id, accepted.details["told"]) == (
        "registrations", str(waiting[0].id), False)
    assert (declined.target_id, declined.details["told"], declined.details["invitation_id"]) == (
        str(waiting[1].id), True, None)
    for entry in (accepted, declined):
        no_values(entry, "Trần Văn An", "an@example.vn", "Lê Thị Bình", "binh@example.vn", "chị Bình")


# ---------------------------------------------------------------- ceremony: protocol and seating

def test_protocol_table_order_and_titles(db, auth, client):
    world = ceremony(invitees=12, tables=2, delegation_sizes=())
    organiser, event, association = world.organiser, world.event, world.event.association
    auth.login(organiser)
    slug = association.slug
    token = csrf_token_from(client.get(f"/associations/{slug}/protocol").text)
    assert client.post(f"/associations/{slug}/protocol", data={
        "csrf_token": token, "label": "Khách quý", "keywords": "đại sứ", "delegations": ""}).status_code == 303
    line = db.session.scalar(select(ProtocolPosition).where(ProtocolPosition.label == "Khách quý"))
    added = one(db, "settings_changed", what="protocol_table", change="added")
    by(added, organiser, association)
    assert (added.target_type, added.target_id) == ("protocol_positions", str(line.id))
    client.post(f"/associations/{slug}/protocol/change", data={"csrf_token": token, "position_id": line.id,
                                                               "action": "up"})
    client.post(f"/associations/{slug}/protocol/change", data={"csrf_token": token, "position_id": line.id,
                                                               "action": "delete"})
    assert one(db, "settings_changed", what="protocol_table", change="moved_up").target_id == str(line.id)
    assert one(db, "settings_changed", what="protocol_table", change="removed").target_id == str(line.id)

    keys = [unit.key for unit in protocol.read(event).units]
    token = csrf_token_from(client.get(f"/events/{event.id}/protocol").text)
    assert client.post(f"/events/{event.id}/protocol/move", data={
        "csrf_token": token, "unit": keys[3], "direction": "up"}).status_code == 303
    moved = one(db, "settings_changed", what="protocol", change="moved")
    by(moved, organiser, association)
    assert (moved.target_id, moved.details["unit"], moved.details["to"], moved.details["event_id"]) == (
        str(event.id), keys[3], 3, event.id)
    assert client.post(f"/events/{event.id}/protocol/reset", data={"csrf_token": token}).status_code == 303
    assert one(db, "settings_changed", what="protocol", change="reset").association_id == association.id
    # An invitee's title set from the order page is an edit of their contact: the fields, not the words.
    invitation = world.invitations[5]
    client.post(f"/events/{event.id}/protocol/person", data={
        "csrf_token": token, "person": f"i-{invitation.id}", "honorific": "Thượng tọa", "position": "Bí thư tỉnh ủy"})
    edited = one(db, "contact_edited", event_id=event.id)
    assert (edited.target_id, edited.details["fields"], edited.actor) == (
        str(invitation.contact_id), ["honorific", "position"], organiser.email)
    no_values(edited, "Bí thư", "Thượng tọa")


def test_seating_tables_assignment_and_places(db, auth, client):
    world = ceremony(invitees=12, tables=2, capacity=6, delegation_sizes=())
    organiser, event, association = world.organiser, world.event, world.event.association
    auth.login(organiser)
    token = csrf_token_from(client.get(f"/events/{event.id}/seating").text)
    assert client.post(f"/events/{event.id}/seating/tables", data={
        "csrf_token": token, "name": "Bàn danh dự", "shape": "round", "capacity": "8", "x": "10", "y": "10"}
    ).status_code == 303
    table = db.session.scalar(select(SeatTable).where(SeatTable.name == "Bàn danh dự"))
    added = one(db, "settings_changed", what="seating", change="table_added")
    by(added, organiser, association)
    assert (added.target_type, added.target_id, added.details["capacity"]) == ("seat_tables", str(table.id), 8)
    client.post(f"/events/{event.id}/seating/tables/change", data={
        "csrf_token": token, "table_id": table.id, "name": "Bàn danh dự", "shape": "long", "capacity": "8",
        "x": "10", "y": "10"})
    assert one(db, "settings_changed", what="seating", change="table_changed").details["fields"] == ["shape"]
    assert client.post(f"/events/{event.id}/seating/assign", data={"csrf_token": token}).status_code == 303
    assigned = one(db, "settings_changed", what="seating", change="assigned")
    assert (assigned.details["seated"], assigned.details["unseated"]) == (12, 0)
    person = seating.seats(event)[0][0].person.key
    client.post(f"/events/{event.id}/seating/place", data={"csrf_token": token, "person": person,
                                                           "table_id": table.id})
    placed = one(db, "settings_changed", what="seating", change="placed")
    assert (placed.details["person"], placed.details["table_id"], placed.details["seat"]) == (person, table.id, 1)
    client.post(f"/events/{event.id}/seating/tables/change", data={
        "csrf_token": token, "table_id": table.id, "shape": "long", "capacity": "8", "x": "1", "y": "1",
        "delete": "y"})
    removed = one(db, "settings_changed", what="seating", change="table_removed")
    assert (removed.target_id, removed.details["seated"]) == (str(table.id), 1)


# ---------------------------------------------------------------- feedback forms

def test_the_feedback_form_settings(db, auth):
    event = EventFactory()
    organiser = organiser_of(event.association)
    auth.login(organiser)
    url = f"/events/{event.id}/feedback"
    assert auth.post(url, {"question_vi": "Anh Minh thấy thế nào?", "open_days": "7"}).status_code == 303
    entry = one(db, "settings_changed", what="feedback_form")
    by(entry, organiser, event.association)
    assert entry.target_id == str(event.id) and entry.details["open_days"] == 7
    assert set(entry.details["fields"]) >= {"question_vi", "open_days"}
    no_values(entry, "Anh Minh")


# ---------------------------------------------------------------- roles, imports, contacts

def test_roles_granted_and_revoked_on_the_members_page(db, auth, client):
    association = AssociationFactory()
    organiser = organiser_of(association)
    newcomer = UserFactory(email="moi@example.vn")
    auth.login(organiser)
    url = f"/associations/{association.slug}/members"
    assert auth.post(url, {"email": "moi@example.vn", "role": "viewer"}).status_code == 302
    granted = one(db, "role_granted")
    by(granted, organiser, association)
    assert (granted.target_type, granted.target_id, granted.details) == ("users", str(newcomer.id), {"role": "viewer"})
    membership = db.session.scalar(select(Membership).where(Membership.user_id == newcomer.id))
    assert auth.post(f"{url}/{membership.id}/remove", {}, form_url=url).status_code == 302
    revoked = one(db, "role_revoked")
    by(revoked, organiser, association)
    assert (revoked.target_id, revoked.details) == (str(newcomer.id), {"role": "viewer"})
    no_values(granted, "moi@example.vn")


def test_an_import_by_the_api_counts_rows_and_names_nobody(db, api):
    association = AssociationFactory(slug="hoi-a")
    organiser = organiser_of(association)
    ContactFactory(full_name="Người Cũ", email="cu@example.vn", associations=[association])
    roll = "Họ và tên,Email\nNguyễn Văn Mới,moi@example.vn\nNgười Cũ,cu@example.vn\n".encode()
    import io

    response = api(organiser).post("/api/v1/contacts/import", data={
        "file": (io.BytesIO(roll), "danh-sach.csv"), "association": "hoi-a", "valid_only": "true"},
        content_type="multipart/form-data")
    assert response.status_code == 200, response.json
    entry = one(db, "contacts_imported")
    by(entry, organiser, association)
    assert entry.details["created"] == 1 and entry.details["created"] + entry.details["updated"] + \
        entry.details["skipped"] == 2
    no_values(entry, "Nguyễn Văn Mới", "moi@example.vn", "cu@example.vn", "danh-sach")


def test_a_contact_edited_by_the_api_names_the_fields_not_the_values(db, api):
    association = AssociationFactory()
    organiser = organiser_of(association)
    contact = ContactFactory(full_name="Đỗ Văn Cũ", phone="", associations=[association])
    assert api(organiser).patch(f"/api/v1/contacts/{contact.id}", json={
        "full_name": "Đỗ Văn Mới", "notes": "Hay quên giấy mời"}).status_code == 200
    entry = one(db, "contact_edited")
    by(entry, organiser, association)
    assert (entry.target_type, entry.target_id, entry.details) == ("contacts", str(contact.id),
                                                                   {"fields": ["full_name", "notes"]})
    no_values(entry, "Đỗ Văn", "Hay quên")


# ---------------------------------------------------------------- sends, check-in undo

def test_a_send_scheduled_by_the_api_and_cancelled_on_the_page(db, api, auth, client):
    event = EventFactory(starts_at=utcnow() + timedelta(days=3), ends_at=utcnow() + timedelta(days=3, hours=2))
    for n in range(2):
        InvitationFactory(event=event, contact=ContactFactory(email=f"khach-{n}@example.vn"))
    organiser = organiser_of(event.association)
    at = (utcnow() + timedelta(days=1)).replace(microsecond=0)
    response = api(organiser).post(f"/api/v1/events/{event.id}/invitations/send", json={"not_before": at.isoformat()})
    assert response.status_code == 202
    send_id = response.json["send_id"]
    started = one(db, "send_started")
    by(started, organiser, event.association)
    assert (started.target_id, started.details["send_id"], started.details["messages"]) == (str(event.id), send_id, 2)
    assert started.details["not_before"] == at.isoformat()
    auth.login(organiser)
    page = client.get(f"/events/{event.id}/invitations")
    assert client.post(f"/events/{event.id}/invitations/sends/{send_id}/cancel",
                       data={"csrf_token": csrf_token_from(page.text)}).status_code == 303
    cancelled = one(db, "send_cancelled")
    by(cancelled, organiser, event.association)
    assert cancelled.details == {"send_id": send_id, "messages": 2}
    no_values(started, "khach-0@example.vn")


def test_a_check_in_undone_by_the_api(db, api):
    from eventsapp.associations.models import Role as Roles

    invitation = InvitationFactory()
    event = invitation.event
    door = staff(event.association, Roles.CHECKIN, email="cua@example.vn")
    checked = api(door).post(f"/api/v1/events/{event.id}/attendance/checkins", json={"token": invitation.checkin_token})
    assert checked.status_code in (200, 201), checked.json
    checkin_id = checked.json["id"] if "id" in checked.json else checked.json["check_in"]["id"]
    assert api(door).post(f"/api/v1/events/{event.id}/attendance/checkins/{checkin_id}/undo").status_code == 200
    entry = one(db, "check_in_undone")
    by(entry, door, event.association)
    assert (entry.target_type, entry.target_id, entry.details["event_id"]) == ("check_ins", str(checkin_id), event.id)
    no_values(entry, invitation.contact.full_name, invitation.contact.email)


# ---------------------------------------------------------------- downloads

def test_downloads_of_answers_feedback_and_pdfs_say_which_list_and_how_many_rows(db, auth, client):
    from eventsapp.attendance.models import Printable
    from eventsapp.feedback.models import FeedbackAnswer

    invitation = InvitationFactory(contact=ContactFactory(full_name="Vũ Thị Tải"))
    event = invitation.event
    organiser = organiser_of(event.association)
    db.session.add(FeedbackAnswer(event_id=event.id, invitation_id=invitation.id, marker="m", rating=4,
                                  better="Loa nhỏ quá"))
    printable = Printable(event_id=event.id, kind="badges", state="done", content=b"%PDF-1.4 Vu Thi Tai",
                          options={}, item_count=1)
    db.session.add(printable)
    db.session.commit()
    auth.login(organiser)
    assert client.get(f"/events/{event.id}/questions/answers.xlsx").status_code == 200
    assert client.get(f"/events/{event.id}/feedback.csv").status_code == 200
    assert client.get(f"/events/{event.id}/printables/{printable.id}/download").status_code == 200
    answers = one(db, "download", what="question_answers")
    feedback = one(db, "download", what="feedback")
    pdf = one(db, "download", what="printable")
    for entry in (answers, feedback, pdf):
        by(entry, organiser, event.association)
        no_values(entry, "Vũ Thị Tải", "Loa nhỏ")
    assert (answers.target_id, answers.details["rows"], answers.details["filters"]) == (
        str(event.id), 1, {"format": "xlsx"})
    assert feedback.details["rows"] == 1
    assert (pdf.target_type, pdf.target_id, pdf.details["rows"], pdf.details["filters"]) == (
        "printables", str(printable.id), 1, {"kind": "badges", "event_id": event.id})


# ---------------------------------------------------------------- campaigns and the private feed link

def test_campaigns_and_the_private_feed_link_by_the_api(db, api):
    association = AssociationFactory(slug="viet-phap")
    organiser = organiser_of(association)
    created = api(organiser).post("/api/v1/campaigns", json={"association": "viet-phap", "kind": "tet_week",
                                                             "year": 2027})
    assert created.status_code == 201, created.json
    campaign_id = created.json["id"]
    assert api(organiser).patch(f"/api/v1/campaigns/{campaign_id}", json={"title_en": "Tet week"}).status_code == 200
    assert api(organiser).post(f"/api/v1/campaigns/{campaign_id}/publish").status_code == 200
    assert api(organiser).post(f"/api/v1/campaigns/{campaign_id}/archive").status_code == 200
    changes = [e for e in entries(db, "settings_changed") if e.details.get("what") == "campaign"]
    assert [(e.target_type, e.target_id, e.details["change"]) for e in changes] == [
        ("campaigns", str(campaign_id), change) for change in ("created", "edited", "published", "archived")]
    assert changes[1].details["fields"] == ["title_en"]
    by(changes[0], organiser, association)
    assert api(organiser).post("/api/v1/associations/viet-phap/feeds/revoke").status_code == 200
    revoked = one(db, "settings_changed", what="private_feed")
    by(revoked, organiser, association)
    db.session.refresh(association)
    no_values(revoked, association.private_feed_token)


# ---------------------------------------------------------------- merges and the certificate template

def test_a_merge_on_the_page_names_both_ids_and_no_address(db, auth):
    association = AssociationFactory()
    organiser = organiser_of(association)
    keep = ContactFactory(full_name="Phan Văn Giữ", email="giu@example.vn", associations=[association])
    duplicate = ContactFactory(full_name="Phan V. Giữ", email="trung@example.vn", associations=[association])
    auth.login(organiser)
    assert auth.post(f"/contacts/{keep.id}/merge", {"other_email": "trung@example.vn"}).status_code == 302
    entry = one(db, "contacts_merged")
    by(entry, organiser, association)
    assert (entry.target_id, entry.details) == (str(keep.id), {"removed_contact_id": duplicate.id})
    no_values(entry, "giu@example.vn", "trung@example.vn", "Phan")


def test_the_certificate_template_and_a_certificate_download(db, auth, client):
    from eventsapp.events.services import add_honoree

    invitation = InvitationFactory(contact=ContactFactory(full_name="Nguyễn Thị Khen"))
    event = invitation.event
    honoree = add_honoree(event, invitation.contact, "Bằng khen")
    organiser = organiser_of(event.association)
    db.session.commit()
    auth.login(organiser)
    token = csrf_token_from(client.get(f"/events/{event.id}/printables").text)
    assert client.post(f"/events/{event.id}/certificate-template", data={
        "csrf_token": token, "title": "Giấy khen", "intro": "Trân trọng trao tặng", "place": "Bắc Giang",
        "signer_title": "Chủ tịch", "signer_name": "Hoàng Thị Hạnh"}).status_code == 303
    template = one(db, "template_changed", what="certificate")
    by(template, organiser, event.association)
    no_values(template, "Hoàng Thị Hạnh")
    assert client.get(f"/events/{event.id}/certificates/{honoree.id}.pdf").status_code == 200
    download = one(db, "download", what="certificate")
    by(download, organiser, event.association)
    assert (download.target_type, download.target_id, download.details["rows"]) == ("honorees", str(honoree.id), 1)
    no_values(download, "Nguyễn Thị Khen")


# ---------------------------------------------------------------- invitations: added, answered by staff, links

def test_invitees_added_an_answer_taken_by_phone_and_links_revoked_renewed_and_resent(db, api, auth, client):
    event = EventFactory(starts_at=utcnow() + timedelta(days=10), ends_at=utcnow() + timedelta(days=10, hours=2),
                         max_guests=2)
    organiser = organiser_of(event.association)
    lan = ContactFactory(full_name="Trịnh Thị Lan", email="lan@example.vn", associations=[event.association])
    added = api(organiser).post(f"/api/v1/events/{event.id}/invitations",
                                json={"emails": ["lan@example.vn", "khong-co@example.vn"]})
    assert added.status_code == 201, added.json
    entry = one(db, "invitation_changed", change="invitees_added")
    by(entry, organiser, event.association)
    assert (entry.target_id, entry.details["added"], entry.details["unknown"]) == (str(event.id), 1, 1)
    no_values(entry, "lan@example.vn", "khong-co@example.vn")

    invitation = db.session.scalar(select(Invitation).where(Invitation.contact_id == lan.id))
    answered = api(organiser).post(f"/api/v1/events/{event.id}/invitations/{invitation.id}/answer", json={
        "status": "accepted", "guests": 1, "comment": "Chị Lan đi cùng chồng", "source": "phone"})
    assert answered.status_code == 200, answered.json
    recorded = one(db, "invitation_changed", change="answer_recorded")
    by(recorded, organiser, event.association)
    assert (recorded.target_type, recorded.target_id) == ("invitations", str(invitation.id))
    assert {k: recorded.details[k] for k in ("source", "status", "guests", "comment_changed", "event_id")} == {
        "source": "phone", "status": "accepted", "guests": 1, "comment_changed": True, "event_id": event.id}
    no_values(recorded, "Chị Lan", "chồng")

    auth.login(organiser)
    page = client.get(f"/events/{event.id}/invitations")
    token = csrf_token_from(page.text)
    for action in ("revoke", "regenerate", "resend"):
        client.post(f"/events/{event.id}/invitations/{invitation.id}/{action}", data={"csrf_token": token})
    assert one(db, "invitation_changed", change="revoked").target_id == str(invitation.id)
    renewed = one(db, "invitation_changed", change="new_link")
    db.session.refresh(invitation)
    no_values(renewed, invitation.token)
    resent = one(db, "send_started", resend=True)
    by(resent, organiser, event.association)
    assert (resent.details["invitation_id"], resent.details["messages"]) == (invitation.id, 1)


def test_named_guests_and_answers_recorded_by_staff_through_the_api(db, api):
    from eventsapp.invitations.models import InvitationStatus
    from eventsapp.questions.models import QuestionKind

    event = EventFactory(max_guests=2, capacity=50)
    invitation = InvitationFactory(event=event, status=InvitationStatus.ACCEPTED, guests=1)
    question = Question(event_id=event.id, kind=QuestionKind.TEXT, text_vi="Món ăn?", for_invitees=True)
    db.session.add(question)
    db.session.commit()
    organiser = organiser_of(event.association)
    named = api(organiser).put(f"/api/v1/events/{event.id}/invitations/{invitation.id}/guests",
                               json={"guests": [{"full_name": "Đặng Văn Khách", "passport_number": "C7654321"}]})
    assert named.status_code == 200, named.json
    guests = one(db, "invitation_changed", change="guests_named")
    by(guests, organiser, event.association)
    assert (guests.target_id, guests.details["named"], guests.details["removed"]) == (str(invitation.id), 1, 0)
    no_values(guests, "Đặng Văn Khách", "C7654321")
    answered = api(organiser).put(f"/api/v1/events/{event.id}/invitations/{invitation.id}/answers",
                                  json={"answers": [{"question_id": question.id, "value": "Chay, không hành"}]})
    assert answered.status_code == 200, answered.json
    recorded = one(db, "invitation_changed", change="answers_recorded")
    by(recorded, organiser, event.association)
    assert (recorded.target_type, recorded.target_id, recorded.details["questions"]) == (
        "invitations", str(invitation.id), 1)
    no_values(recorded, "Chay, không hành")


# ---------------------------------------------------------------- the command line

def test_accounts_tokens_roles_and_the_private_feed_link_from_the_command_line(db, runner):
    association = AssociationFactory(slug="hoi-cli")
    result = runner.invoke(args=["users", "create", "ops@example.vn", "--password", "mat-khau-dai-1"])
    assert result.exit_code == 0, result.output
    token = runner.invoke(args=["users", "token", "ops@example.vn"]).output.strip()
    for args in (["users", "grant", "ops@example.vn", "organiser", "hoi-cli"],
                 ["users", "revoke", "ops@example.vn", "organiser", "hoi-cli"], ["feeds", "revoke", "hoi-cli"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, (args, result.output)
    created = one(db, "settings_changed", what="account", change="created")
    issued = one(db, "settings_changed", what="api_token")
    user_id = created.target_id
    for entry in (created, issued, one(db, "role_granted"), one(db, "role_revoked"),
                  one(db, "settings_changed", what="private_feed")):
        assert (entry.actor, entry.actor_id, entry.ip) == ("cli", None, "")
        no_values(entry, token, "mat-khau-dai-1")
    assert (issued.target_id, one(db, "role_revoked").association_id) == (user_id, association.id)


def test_a_page_of_contacts_taken_through_the_api_is_an_export(db, api):
    association = AssociationFactory(slug="hoi-api")
    organiser = organiser_of(association)
    for n in range(3):
        ContactFactory(full_name=f"Lý Văn {n}", email=f"ly{n}@example.vn", associations=[association])
    page = api(organiser).get("/api/v1/contacts?q=Lý&limit=2&association=hoi-api")
    assert page.status_code == 200 and len(page.json["items"]) == 2
    entry = one(db, "contacts_exported")
    by(entry, organiser, association)
    assert entry.details["rows"] == 2
    assert entry.details["filters"]["q"] is True and entry.details["filters"]["format"] == "api"
    no_values(entry, "Lý", "ly0@example.vn")


def test_a_walk_in_added_at_the_door_by_the_api(db, api):
    from eventsapp.associations.models import Role as Roles

    event = EventFactory(starts_at=utcnow() - timedelta(minutes=30), ends_at=utcnow() + timedelta(hours=2))
    door = staff(event.association, Roles.CHECKIN, email="cua@example.vn")
    response = api(door).post(f"/api/v1/events/{event.id}/attendance/walk-ins",
                              json={"full_name": "Hồ Văn Vãng Lai", "email": "vang.lai@example.vn"})
    assert response.status_code in (200, 201), response.json
    entry = one(db, "contact_created", via="walk_in")
    by(entry, door, event.association)
    assert entry.target_type == "contacts" and entry.details["event_id"] == event.id
    no_values(entry, "Hồ Văn", "vang.lai@example.vn")


def test_an_honoree_added_and_removed_on_the_event_page(db, auth):
    from eventsapp.events.models import Honoree

    event = EventFactory()
    organiser = organiser_of(event.association)
    person = ContactFactory(full_name="Lương Thị Vinh", email="vinh@example.vn", associations=[event.association])
    auth.login(organiser)
    assert auth.post(f"/events/{event.id}/honorees", {"contact": "vinh@example.vn", "award": "Bằng khen",
                                                      "citation": "Ba mươi năm gắn bó với hội"},
                     form_url=f"/events/{event.id}").status_code in (302, 303)
    honoree = db.session.scalar(select(Honoree))
    added = one(db, "contact_edited", honour="added")
    by(added, organiser, event.association)
    assert (added.target_id, added.details["honoree_id"], added.details["citation"]) == (str(person.id), honoree.id,
                                                                                          True)
    no_values(added, "Ba mươi năm", "Lương Thị Vinh")
    assert auth.post(f"/events/{event.id}/honorees/{honoree.id}/remove", {},
                     form_url=f"/events/{event.id}").status_code in (302, 303)
    removed = one(db, "contact_edited", honour="removed")
    assert (removed.target_id, removed.association_id, removed.details["event_id"]) == (
        str(person.id), event.association_id, event.id)
