"""Hostile values sent to the API (security review, second pass: "No 500, ever"): a lone surrogate in JSON text,
a crafted contact cursor, an object or a list where a word is expected. Each is a 4xx in the one error shape,
and the walk over the OpenAPI document sends such values to every field and query parameter it lists."""
import base64
import json

import pytest

from eventsapp.associations.models import Association
from eventsapp.campaigns.models import Campaign
from eventsapp.contacts.models import Contact
from eventsapp.events.models import Event
from eventsapp.invitations.models import InvitationStatus
from tests.attendance_factories import invite
from tests.factories import AssociationFactory, CampaignFactory, ContactFactory, EventFactory, UserFactory, staff


def assert_error(response, status_range=(400, 499), field=None):
    assert status_range[0] <= response.status_code <= status_range[1], (
        response.status_code, response.get_data(as_text=True)[:300])
    error = response.json["error"]
    assert isinstance(error["code"], str) and error["message"] and isinstance(error["fields"], dict), error
    if field:
        assert field in error["fields"], error
    return error


def _cursor(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.fixture
def organiser(api, db):
    return api(staff(AssociationFactory(slug="viet-duc"), locale="en"))


EVENT = {"association": "viet-duc", "title_vi": "Gặp mặt", "starts_at": "2027-01-15T19:00",
         "ends_at": "2027-01-15T21:00"}


@pytest.mark.parametrize("body", [
    '{"association": "viet-duc", "title_vi": "G\\ud800p", "starts_at": "2027-01-15T19:00", "ends_at": "2027-01-15T21:00"}',
    '{"association": "viet-duc", "title_vi": "Gặp", "venue_name": "\\udfff", "starts_at": "2027-01-15T19:00", '
    '"ends_at": "2027-01-15T21:00"}',
    '{"association": "viet-duc", "\\ud800": 1, "title_vi": "Gặp", "starts_at": "2027-01-15T19:00", '
    '"ends_at": "2027-01-15T21:00"}',
])
def test_a_lone_surrogate_in_json_text_is_a_400_and_stores_nothing(organiser, db, body):
    error = assert_error(organiser.post("/api/v1/events", data=body, content_type="application/json"), (400, 400))
    assert error["code"] == "invalid_characters"
    assert db.session.query(Event).count() == 0


def test_a_lone_surrogate_in_a_contact_or_an_answer_is_a_400(organiser, db):
    body = '{"full_name": "Lan \\ud83d", "email": "lan@example.vn", "associations": ["viet-duc"]}'
    assert_error(organiser.post("/api/v1/contacts", data=body, content_type="application/json"), (400, 400))
    assert db.session.query(Contact).count() == 0
    event = EventFactory(association=db.session.query(Association).filter_by(slug="viet-duc").one())
    invitation = invite(event, status=InvitationStatus.PENDING)
    db.session.commit()
    answer = organiser.post(f"/api/v1/events/{event.id}/invitations/{invitation.id}/answer",
                            data='{"status": "accepted", "comment": "\\ud800"}', content_type="application/json")
    assert_error(answer, (400, 400))


@pytest.mark.parametrize("cursor", [
    _cursor(["nguyen", 2**40]), _cursor(["nguyen", -1]), _cursor(["a\u0000b", 1]), _cursor(["\ud800", 1]),
    _cursor(["x" * 10_000, 1]), _cursor([1, 1]), _cursor(["a", True]), _cursor({"a": 1}), _cursor(["a"]),
    "!!!not base64", "%ff", "eyJ",
])
def test_a_crafted_contact_cursor_is_a_400(organiser, db, cursor):
    ContactFactory()
    db.session.commit()
    assert_error(organiser.get("/api/v1/contacts", query_string={"cursor": cursor}), (400, 400), "cursor")


def test_the_cursor_of_a_page_still_leads_to_the_next(api, db):
    association = AssociationFactory()
    contacts = [ContactFactory(full_name=f"Nguyễn Văn {letter}") for letter in "ABC"]
    for contact in contacts:
        contact.associations.append(association)
    db.session.commit()
    client = api(staff(association))
    first = client.get("/api/v1/contacts?limit=2").json
    second = client.get("/api/v1/contacts", query_string={"limit": 2, "cursor": first["next_cursor"]}).json
    assert [c["full_name"] for c in first["items"] + second["items"]] == [
        "Nguyễn Văn A", "Nguyễn Văn B", "Nguyễn Văn C"]


@pytest.mark.parametrize("status", [{}, [], ["accepted"], {"accepted": True}, 1, None])
def test_an_answer_whose_status_is_not_a_word_is_a_400(organiser, db, status):
    association = AssociationFactory()
    event = EventFactory(association=association)
    invitation = invite(event, status=InvitationStatus.PENDING)
    db.session.commit()
    admin = organiser.__class__(UserFactory(is_admin=True))
    answer = admin.post(f"/api/v1/events/{event.id}/invitations/{invitation.id}/answer", json={"status": status})
    assert_error(answer, (400, 400), "status")
    db.session.expire_all()
    assert db.session.get(type(invitation), invitation.id).status == InvitationStatus.PENDING


@pytest.mark.parametrize("value", [{}, [], {"a": 1}, ["public"], 7])
def test_an_event_visibility_or_kind_that_is_not_a_word_is_a_400(organiser, db, value):
    assert_error(organiser.post("/api/v1/events", json=EVENT | {"visibility": value}), (400, 400), "visibility")
    assert_error(organiser.post("/api/v1/events", json=EVENT | {"kind": value}), (400, 400), "kind")
    event = EventFactory(association=AssociationFactory())
    db.session.commit()
    admin = organiser.__class__(UserFactory(is_admin=True))
    assert_error(admin.patch(f"/api/v1/events/{event.id}", json={"visibility": value}), (400, 400), "visibility")
    assert db.session.query(Event).count() == 1


@pytest.mark.parametrize("value", [{}, [], {"a": 1}, ["tet_week"], 7])
def test_a_campaign_kind_that_is_not_a_word_is_a_400(organiser, db, value):
    assert_error(organiser.post("/api/v1/campaigns", json={"association": "viet-duc", "kind": value, "year": 2027}),
                 (400, 400), "kind")
    assert db.session.query(Campaign).count() == 0


# ---------------------------------------------------------------- every field of the document

HOSTILE_JSON = [{}, [], "\ud800", 10**20, True, "x" * 5000]  # each kind once: the walk is some 400 requests
HOSTILE_QUERY = ["{}", "[]", "99999999999999999999", "-1", "1e999", "\u00e9" * 300, _cursor(["a", 2**40]),
                 _cursor(["\u0000", 1])]


@pytest.fixture
def seeded(db):
    """One of each object the API's paths name, in an association the admin token may reach."""
    association = AssociationFactory(slug="viet-nga")
    campaign = CampaignFactory(association=association)
    event = EventFactory(association=association, campaign=campaign, max_guests=2)
    invitation = invite(event, status=InvitationStatus.PENDING)
    db.session.commit()
    return {"event_id": event.id, "campaign_id": campaign.id, "contact_id": invitation.contact_id,
            "invitation_id": invitation.id, "checkin_id": 1, "rule_id": 1, "slug": "viet-nga",
            "send_id": "nope", "token": invitation.checkin_token}


def _operations(client):
    document = client.get("/api/v1/openapi.json").json
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def _url(path: str, seeded: dict) -> str:
    for name, value in seeded.items():
        path = path.replace("{" + name + "}", str(value))
    return "/api/v1" + path


def test_every_json_field_of_the_document_takes_hostile_values_without_a_500(api, client, db, seeded):
    admin = api(UserFactory(is_admin=True))
    tried = 0
    for path, method, operation in _operations(client):
        content = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if content is None:
            continue
        properties = content["schema"].get("properties", {})
        for name in properties:
            for value in HOSTILE_JSON:
                body = json.dumps({name: value})  # ensure_ascii: a lone surrogate travels as \ud800
                response = getattr(admin, method)(_url(path, seeded), data=body, content_type="application/json")
                tried += 1
                assert response.status_code < 500, (method, path, name, value, response.get_data(as_text=True)[:300])
                if response.status_code >= 400:
                    assert_error(response, (400, 499))
    assert tried > 300


def test_every_query_parameter_of_the_document_takes_hostile_values_without_a_500(api, client, db, seeded):
    admin = api(UserFactory(is_admin=True))
    tried = 0
    for path, method, operation in _operations(client):
        if method != "get":
            continue
        for parameter in operation.get("parameters", []):
            if parameter["in"] != "query":
                continue
            for value in HOSTILE_QUERY:
                response = admin.get(_url(path, seeded), query_string={parameter["name"]: value})
                tried += 1
                assert response.status_code < 500, (path, parameter["name"], value,
                                                     response.get_data(as_text=True)[:300])
                if response.status_code >= 400:
                    assert_error(response, (400, 499))
    assert tried > 100


def test_the_schemas_messages_follow_the_users_language(api, db):
    client = api(staff(AssociationFactory(slug="viet-duc"), locale="vi"))
    refused = client.post("/api/v1/events", json={"association": "viet-duc", "kind": {}, "starts_at": "x",
                                                  "ends_at": "2027-01-15T21:00"})
    error = assert_error(refused, (400, 400))
    assert error["fields"]["kind"] == "Loại không hợp lệ."
    assert error["fields"]["title_vi"] == "Bắt buộc."
    assert "ISO 8601" in error["fields"]["starts_at"] and "Not" not in error["fields"]["starts_at"]
    contact = client.post("/api/v1/contacts", json={"full_name": "Lan", "associations": "viet-duc"})
    assert assert_error(contact, (400, 400))["fields"]["associations"] == "Phải là một danh sách."


@pytest.mark.parametrize("after", [_cursor(["nguyen", 2**40]), _cursor(["a\u0000b", 1]), _cursor(["\ud800", 1]),
                                   _cursor([1, True])])
def test_a_crafted_cursor_on_the_directory_page_is_refused_in_words(auth, client, db, after):
    """The page refuses what the API refuses (tests/test_fuzz_pages.py walks the page's other bad cursors)."""
    association = AssociationFactory()
    organiser = staff(association)
    db.session.commit()
    auth.login(organiser)
    page = client.get("/contacts/", query_string={"after": after})
    assert page.status_code == 400 and "Liên kết trang này không hợp lệ" in page.text
